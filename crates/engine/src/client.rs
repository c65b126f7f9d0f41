//! The HTTP client for Front: one connection pool, Front's base URL, and the authenticated
//! request every call starts from.

use std::sync::Arc;
use std::time::Duration;

use actionhub_catalog::Catalog;
use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::cursor::Allowed;
use crate::pace::{MemoryPacer, Pacer, Wakeups};

/// Time to establish a TCP + TLS connection to Front.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a whole request, answer included: a user is waiting on the other end.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Idle connections kept per host: enough for a busy hub's concurrency to Front.
const POOL_IDLE_PER_HOST: usize = 64;
/// Front's production API, should the catalogue not name it.
const FRONT_BASE_URL: &str = "https://api2.frontapp.com";

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the Front base URL `{0}` is not an http:// or https:// URL")]
    BadBaseUrl(String),
    #[error("cannot set up the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

/// Talks to Front (or to the simulator standing in for it). Cheap to clone: clones share the
/// connection pool and the pacer.
#[derive(Debug, Clone)]
pub struct FrontClient {
    pub(crate) http: reqwest::Client,
    base_url: String,
    /// Where a `next` cursor may lead.
    pub(crate) allowed: Allowed,
    pub(crate) pacer: Arc<dyn Pacer>,
    /// Signalled per company after each answer, waking its callers waiting for its limits.
    pub(crate) budget_changed: Arc<Wakeups>,
}

impl FrontClient {
    /// A client for `base_url` (`ACTIONHUB_FRONT_BASE_URL`), or for the catalogue's base URL
    /// (Front's production API) when `None`.
    pub fn new(base_url: Option<&str>) -> Result<FrontClient, ClientError> {
        let front_base_url = Catalog::builtin()
            .connector("front")
            .map_or(FRONT_BASE_URL, |front| front.base_url.as_str());
        let base_url = base_url
            .unwrap_or(front_base_url)
            .trim_end_matches('/')
            .to_owned();
        let parsed = Url::parse(&base_url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .ok_or_else(|| ClientError::BadBaseUrl(base_url.clone()))?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // Front's API does not redirect; following one would carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("actionhub/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(POOL_IDLE_PER_HOST)
            .tcp_nodelay(true)
            .build()
            .map_err(ClientError::Build)?;
        Ok(FrontClient {
            http,
            base_url,
            allowed: Allowed::new(&parsed, front_base_url),
            pacer: Arc::new(MemoryPacer::new()),
            budget_changed: Arc::new(Wakeups::default()),
        })
    }

    /// The same client with its company budgets kept by `pacer` (e.g. a [`crate::RedisPacer`]
    /// shared by several hubs) instead of in this process.
    pub fn with_pacer(mut self, pacer: Arc<dyn Pacer>) -> FrontClient {
        self.pacer = pacer;
        self
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
pub(crate) fn bearer(token: &SecretString) -> HeaderValue {
    match HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())) {
        Ok(mut value) => {
            value.set_sensitive(true);
            value
        }
        // verify_token refuses such tokens before any request is built.
        Err(_) => HeaderValue::from_static("Bearer"),
    }
}
