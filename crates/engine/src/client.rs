//! The HTTP client for Front: one connection pool, Front's base URL, and the authenticated
//! request every call starts from.

use std::time::Duration;

use actionhub_catalog::Catalog;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

/// Time to establish a TCP + TLS connection to Front.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a whole request, answer included: a user is waiting on the other end.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the Front base URL `{0}` is not an http:// or https:// URL")]
    BadBaseUrl(String),
    #[error("cannot set up the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

/// Talks to Front (or to the simulator standing in for it).
#[derive(Debug, Clone)]
pub struct FrontClient {
    http: reqwest::Client,
    base_url: String,
}

impl FrontClient {
    /// A client for `base_url` (`ACTIONHUB_FRONT_BASE_URL`), or for the catalogue's base URL
    /// (Front's production API) when `None`.
    pub fn new(base_url: Option<&str>) -> Result<FrontClient, ClientError> {
        let base_url = match base_url {
            Some(url) => url.to_owned(),
            None => Catalog::builtin()
                .connector("front")
                .map(|front| front.base_url.clone())
                .unwrap_or_else(|| "https://api2.frontapp.com".to_owned()),
        };
        let base_url = base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ClientError::BadBaseUrl(base_url));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // Front's API does not redirect; following one would carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("actionhub/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ClientError::Build)?;
        Ok(FrontClient { http, base_url })
    }

    /// Where requests go, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A GET of `path` (starting with `/`) authenticated with `token`. The caller has checked
    /// that the token is a valid header value.
    pub(crate) fn get(&self, path: &str, token: &SecretString) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base_url))
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, bearer(token))
    }
}

/// `Bearer <token>`, marked sensitive so that no layer of the HTTP stack prints it.
fn bearer(token: &SecretString) -> HeaderValue {
    match HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())) {
        Ok(mut value) => {
            value.set_sensitive(true);
            value
        }
        // verify_token refuses such tokens before any request is built.
        Err(_) => HeaderValue::from_static("Bearer"),
    }
}
