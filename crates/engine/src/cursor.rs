//! The `next` cursor: an opaque wrapper around Front's absolute `_pagination.next` URL, which
//! the caller passes back as `query.next` (StackOne's convention).
//!
//! A cursor comes back from the caller, so it is untrusted. Before it is followed (with the
//! account's token) it must name Front (`https://*.frontapp.com`) or the configured base URL's
//! own scheme, host and port, and a path of the same action (so a cursor cannot reach an
//! operation the account is not allowed to run). Anything else is refused: the guard against
//! server-side request forgery.

use actionhub_catalog::Action;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Url;

/// The one domain whose hosts (`api2.frontapp.com`, `<company>.api.frontapp.com`) Front uses.
const FRONT_DOMAIN: &str = ".frontapp.com";

/// Why a cursor was refused. The message never repeats the cursor's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("`query.next` is not a cursor returned by this hub")]
    Malformed,
    #[error(
        "`query.next` points outside Front: only https://*.frontapp.com or the configured Front base URL is followed"
    )]
    ForeignHost,
    #[error("`query.next` is a cursor of another action")]
    OtherAction,
}

/// Wraps Front's next-page URL into the cursor handed to the caller.
pub fn encode(next_url: &str) -> String {
    URL_SAFE_NO_PAD.encode(next_url)
}

/// Where a cursor may lead: Front's domain, or the configured base URL.
#[derive(Debug, Clone)]
pub(crate) struct Allowed {
    scheme: String,
    host: String,
    port: Option<u16>,
    /// The base URL's path, without a trailing slash (usually empty).
    prefix: String,
}

impl Allowed {
    pub(crate) fn new(base_url: &Url) -> Allowed {
        Allowed {
            scheme: base_url.scheme().to_owned(),
            host: base_url.host_str().unwrap_or_default().to_ascii_lowercase(),
            port: base_url.port_or_known_default(),
            prefix: base_url.path().trim_end_matches('/').to_owned(),
        }
    }

    /// Opens a cursor for `action` and checks where it leads.
    pub(crate) fn open(&self, cursor: &str, action: &Action) -> Result<Url, CursorError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor.trim())
            .map_err(|_| CursorError::Malformed)?;
        let text = String::from_utf8(bytes).map_err(|_| CursorError::Malformed)?;
        let url = Url::parse(&text).map_err(|_| CursorError::Malformed)?;
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err(CursorError::ForeignHost);
        }
        let host = url
            .host_str()
            .ok_or(CursorError::ForeignHost)?
            .to_ascii_lowercase();
        let path = if url.scheme() == self.scheme
            && host == self.host
            && url.port_or_known_default() == self.port
        {
            url.path()
                .strip_prefix(self.prefix.as_str())
                .ok_or(CursorError::OtherAction)?
        } else if url.scheme() == "https"
            && host.ends_with(FRONT_DOMAIN)
            && url.port_or_known_default() == Some(443)
        {
            url.path()
        } else {
            return Err(CursorError::ForeignHost);
        };
        if !matches_template(path, &action.path) {
            return Err(CursorError::OtherAction);
        }
        Ok(url)
    }
}

/// Whether a concrete path fits a template: same segments, each `{name}` matching one
/// non-empty segment.
fn matches_template(path: &str, template: &str) -> bool {
    let mut given = path.split('/');
    let mut expected = template.split('/');
    loop {
        match (given.next(), expected.next()) {
            (None, None) => return true,
            (Some(segment), Some(pattern)) if pattern.starts_with('{') => {
                if segment.is_empty() {
                    return false;
                }
            }
            (Some(segment), Some(pattern)) if segment == pattern => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actionhub_catalog::Catalog;

    fn allowed(base: &str) -> Allowed {
        Allowed::new(&Url::parse(base).unwrap())
    }

    fn list_conversations() -> &'static Action {
        Catalog::builtin()
            .action("front_list_conversations")
            .unwrap()
    }

    #[test]
    fn front_and_the_configured_base_are_followed() {
        let action = list_conversations();
        let guard = allowed("http://127.0.0.1:9000");
        for url in [
            "https://acme.api.frontapp.com/conversations?page_token=abc",
            "http://127.0.0.1:9000/conversations?limit=5&page_token=x",
        ] {
            assert_eq!(guard.open(&encode(url), action).unwrap().as_str(), url);
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let action = list_conversations();
        let guard = allowed("http://127.0.0.1:9000");
        for url in [
            "https://evil.example.com/conversations",
            "https://frontapp.com.evil.example/conversations",
            "http://acme.api.frontapp.com/conversations",
            "https://acme.api.frontapp.com:8443/conversations",
            "http://127.0.0.1:9001/conversations",
            "https://user:pw@acme.api.frontapp.com/conversations",
            "http://169.254.169.254/latest/meta-data",
        ] {
            assert_eq!(
                guard.open(&encode(url), action),
                Err(CursorError::ForeignHost),
                "{url}"
            );
        }
        assert_eq!(
            guard.open(&encode("https://acme.api.frontapp.com/teammates"), action),
            Err(CursorError::OtherAction)
        );
        assert_eq!(guard.open("%%%", action), Err(CursorError::Malformed));
    }

    #[test]
    fn templates_match_one_segment_per_parameter() {
        assert!(matches_template(
            "/tags/tag_1/children",
            "/tags/{tag_id}/children"
        ));
        assert!(!matches_template(
            "/tags//children",
            "/tags/{tag_id}/children"
        ));
        assert!(!matches_template(
            "/tags/a/b/children",
            "/tags/{tag_id}/children"
        ));
    }
}
