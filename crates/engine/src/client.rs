//! The HTTP client for Front: one connection pool, Front's base URL, and the authenticated
//! request every call starts from.

use std::sync::Arc;
use std::time::Duration;

use actionhub_catalog::Catalog;
use bytes::{Bytes, BytesMut};
use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::cursor::Allowed;
use crate::pace::{FallbackPacer, LearntBudget, MemoryPacer, Pacer, SharedPacing, Wakeups};

/// Time to establish a TCP + TLS connection to Front.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a whole request, answer included: a user is waiting on the other end.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Idle connections kept per host: enough for a busy hub's concurrency to Front.
const POOL_IDLE_PER_HOST: usize = 64;
/// Front's production API, should the catalogue not name it.
const FRONT_BASE_URL: &str = "https://api2.frontapp.com";
/// Largest answer read from Front unless configured otherwise, in MiB: far above any page
/// Front serves (100 items), low enough that a runaway answer cannot exhaust the hub's memory.
pub const DEFAULT_MAX_ANSWER_MB: u64 = 64;
/// The setting that raises the bound, named in the error that enforces it.
pub(crate) const MAX_ANSWER_SETTING: &str = "`--max-answer-mb` / ACTIONHUB_MAX_ANSWER_MB";
const MIB: u64 = 1024 * 1024;

/// Why an answer's body was not read whole.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("Front's answer is larger than the {limit_mb} MiB limit ({MAX_ANSWER_SETTING})")]
    TooLarge { limit_mb: u64 },
    #[error("the answer was cut off")]
    Cut(#[source] reqwest::Error),
}

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
    /// Which pacer is in force, when budgets are shared (`None`: in this process only).
    shared_pacing: Option<Arc<SharedPacing>>,
    /// Signalled per company after each answer, waking its callers waiting for its limits.
    pub(crate) budget_changed: Arc<Wakeups>,
    /// Largest answer read from Front, in MiB; a larger one is refused while it is read.
    max_answer_mb: u64,
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
            shared_pacing: None,
            budget_changed: Arc::new(Wakeups::default()),
            max_answer_mb: DEFAULT_MAX_ANSWER_MB,
        })
    }

    /// The same client reading at most `mb` MiB (at least 1) of each of Front's answers.
    pub fn with_max_answer_mb(mut self, mb: u64) -> FrontClient {
        self.max_answer_mb = mb.max(1);
        self
    }

    /// Reads `response`'s body, stopping as soon as it is known to exceed the bound: from its
    /// `Content-Length` before reading, or from the bytes counted as they stream in.
    pub(crate) async fn read_answer(
        &self,
        mut response: reqwest::Response,
    ) -> Result<Bytes, ReadError> {
        let limit = self.max_answer_mb.saturating_mul(MIB);
        let too_large = ReadError::TooLarge {
            limit_mb: self.max_answer_mb,
        };
        let announced = response.content_length().unwrap_or(0);
        if announced > limit {
            return Err(too_large);
        }
        let mut body = BytesMut::with_capacity(usize::try_from(announced).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(ReadError::Cut)? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    /// The same client with its company budgets kept by `pacer` (e.g. a [`crate::RedisPacer`]
    /// shared by several hubs) instead of in this process.
    pub fn with_pacer(mut self, pacer: Arc<dyn Pacer>) -> FrontClient {
        self.pacer = pacer;
        self.shared_pacing = None;
        self
    }

    /// The same client with its company budgets kept by `shared` (a [`crate::RedisPacer`] used
    /// by several hubs), falling back to this process's budgets while it fails (see
    /// [`FallbackPacer`]).
    pub fn with_shared_pacer(self, shared: Arc<dyn Pacer>) -> FrontClient {
        self.with_fallback_pacer(FallbackPacer::new(shared))
    }

    /// The same client paced by `pacer`, whose status [`FrontClient::shared_pacing`] reports.
    pub fn with_fallback_pacer(mut self, pacer: FallbackPacer) -> FrontClient {
        self.shared_pacing = Some(pacer.status());
        self.pacer = Arc::new(pacer);
        self
    }

    /// Whether budgets are shared now, and how often the hub fell back to its own; `None` when
    /// they are kept in this process only.
    pub fn shared_pacing(&self) -> Option<&SharedPacing> {
        self.shared_pacing.as_deref()
    }

    /// Where requests go, without a trailing slash.
    /// The window budget learnt for a Front company, if Front has told it (see
    /// [`Pacer::learnt_budget`]).
    pub fn learnt_budget(&self, company: &str) -> Option<LearntBudget> {
        self.pacer.learnt_budget(company)
    }

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
