//! Cross-origin access. The Hub API (`/hub/*`) answers browsers on any origin: the connect-session
//! token travels in a header, no cookie is involved, so an embedding page (StackOne's `@stackone/hub`
//! component on the app's own site) gains nothing a script could not do anyway. The platform API
//! stays same-origin unless the operator lists origins (`ACTIONHUB_CORS_ORIGINS`); those get CORS
//! on every other route, without credentials mode.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use tower::ServiceExt;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::extract::HUB_SESSION_HEADER;

/// The prefix of the Hub API's routes.
const HUB_PREFIX: &str = "/hub/";
/// Sent by the Hub component on every call, beside `content-type` and the session token.
const HUB_VERSION_HEADER: &str = "x-hub-version";
/// How long a browser may reuse a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// An origin as browsers send it in `Origin`: `http` or `https`, a host, maybe a port; no path
/// and no trailing slash (a browser's `Origin` never has one, so such an entry would match
/// nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsOrigin(HeaderValue);

impl FromStr for CorsOrigin {
    type Err = String;

    fn from_str(text: &str) -> Result<CorsOrigin, String> {
        let origin = text.trim();
        let host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .ok_or_else(|| {
                format!(
                    "`{}`: an origin starts with http:// or https://",
                    actionhub_catalog::echo(origin)
                )
            })?;
        if host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) {
            return Err(format!(
                "`{}`: an origin is scheme://host[:port], without a path or a trailing slash",
                actionhub_catalog::echo(origin)
            ));
        }
        HeaderValue::from_str(origin).map(CorsOrigin).map_err(|_| {
            format!(
                "`{}`: an origin is plain ASCII text",
                actionhub_catalog::echo(origin)
            )
        })
    }
}

impl fmt::Display for CorsOrigin {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.0.to_str().unwrap_or_default())
    }
}

/// The CORS policy of each part of the API.
#[derive(Debug, Clone)]
pub struct CrossOrigin {
    hub: CorsLayer,
    /// `None`: same-origin only (no origin listed).
    platform: Option<CorsLayer>,
}

impl CrossOrigin {
    /// The Hub API open to any origin; the platform API open to `platform_origins` (none: closed).
    pub fn new(platform_origins: &[CorsOrigin]) -> CrossOrigin {
        let hub = CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::OPTIONS])
            .allow_headers([
                header::CONTENT_TYPE,
                HeaderName::from_static(HUB_SESSION_HEADER),
                HeaderName::from_static(HUB_VERSION_HEADER),
            ])
            .max_age(PREFLIGHT_MAX_AGE);
        let platform = (!platform_origins.is_empty()).then(|| {
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(
                    platform_origins.iter().map(|origin| origin.0.clone()),
                ))
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PATCH,
                    Method::DELETE,
                    Method::OPTIONS,
                ])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::ACCEPT,
                    HeaderName::from_static("x-account-id"),
                    HeaderName::from_static("idempotency-key"),
                    HeaderName::from_static("mcp-protocol-version"),
                ])
                .expose_headers([header::RETRY_AFTER])
                .max_age(PREFLIGHT_MAX_AGE)
        });
        CrossOrigin { hub, platform }
    }

    fn for_path(&self, path: &str) -> Option<&CorsLayer> {
        if path.starts_with(HUB_PREFIX) {
            Some(&self.hub)
        } else {
            self.platform.as_ref()
        }
    }
}

/// Runs the rest of the stack under the policy of the request's path. It sits outside the
/// timeouts and the JSON error bodies, so that their answers carry the CORS headers too (a
/// browser shows a script no answer without them).
pub async fn cross_origin(
    State(policy): State<Arc<CrossOrigin>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(layer) = policy.for_path(request.uri().path()) else {
        return next.run(request).await;
    };
    match tower::Layer::layer(layer, next).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
