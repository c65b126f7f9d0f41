//! The static files pages refer to, embedded at build time and served under `/assets/`.

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Path under which the server exposes it, e.g. `/assets/hub.css`.
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

/// Every embedded asset.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/assets/hub.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../assets/hub.css"),
    },
    Asset {
        path: "/assets/guide.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/guide.js"),
    },
    Asset {
        path: "/assets/link.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/link.js"),
    },
    Asset {
        path: "/assets/dashboard.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/dashboard.js"),
    },
    Asset {
        path: "/assets/front.svg",
        content_type: "image/svg+xml",
        body: include_str!("../assets/front.svg"),
    },
];

/// The policy every page is served with: only this origin's own files, no inline code, forms
/// posting back to this origin only. Whether a page may be framed by other sites differs per
/// page, so the server appends the `frame-ancestors` directive.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'";

/// The asset served at `path`, if any.
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}
