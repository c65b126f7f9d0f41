//! The Redis pacer: each company's budget is a Redis hash changed only by Lua scripts
//! (`acquire.lua`, `observe.lua`, `release.lua`: the rules of `budget.rs`), which Redis runs
//! atomically, so every hub replica using the same Redis shares one budget per company. Keys
//! expire after a day unused.

use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use super::budget::{DEFAULT_RETRY_AFTER_MS, Decision, Observation, PROBE_LEASE_MS, SOFT_WAIT_MS};
use super::{BoxFuture, Pacer, PacerError};

/// A company unused this long is forgotten (its budget is relearnt on the next call).
const IDLE_EXPIRY_MS: i64 = 24 * 60 * 60 * 1000;
/// How long Redis may take to answer one command once connected. A healthy Redis runs the
/// scripts in well under a millisecond; a hung one must not hold calls up.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(250);
/// How long one connection attempt may take, handshake (`AUTH`, `SELECT`) included. One attempt
/// per operation: the connection manager's own retries, with their growing pauses, would hold
/// the operation that triggered them (about 9.5 s by default); [`super::FallbackPacer`] asks
/// again about once a second instead, which reconnects.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// Budgets shared through Redis by every hub replica configured with the same URL and prefix.
#[derive(Clone)]
pub struct RedisPacer {
    connection: ConnectionManager,
    prefix: String,
    acquire: Script,
    observe: Script,
    release: Script,
}

impl std::fmt::Debug for RedisPacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: it is not kept, and not shown.
        f.debug_struct("RedisPacer")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisPacer {
    /// Connects to `url` (`redis://[USER:PASSWORD@]HOST:PORT/DB`); keys start with `prefix`
    /// (e.g. `actionhub`). Fails within [`CONNECT_TIMEOUT`] with a message naming the address
    /// (never the password) and the cause. Once connected, no Redis operation waits more than
    /// `CONNECT_TIMEOUT` + `RESPONSE_TIMEOUT`: a lost connection is re-established once per
    /// operation that needs it, without retrying in between.
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisPacer, PacerError> {
        let address = redacted(url);
        let client = redis::Client::open(url).map_err(|e| {
            PacerError(format!(
                "{address} is not a usable Redis URL: {}",
                redact(&e)
            ))
        })?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(0);
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| PacerError(format!("cannot connect to {address}: {}", redact(&e))))?;
        Ok(RedisPacer {
            connection,
            prefix: prefix.to_owned(),
            acquire: Script::new(include_str!("acquire.lua")),
            observe: Script::new(include_str!("observe.lua")),
            release: Script::new(include_str!("release.lua")),
        })
    }

    fn company_key(&self, company: &str) -> String {
        format!("{}:company:{company}", self.prefix)
    }

    fn keys(&self, company: &str, route: &str) -> (String, String) {
        (
            self.company_key(company),
            format!("{}:route:{company}:{route}", self.prefix),
        )
    }
}

/// What went wrong, without the URL (and its password) that some of the crate's messages repeat:
/// the operating system's reason for a failed connection, a timeout, or Redis's own error
/// (`WRONGPASS ...`, `NOAUTH ...`), else the kind of error.
fn redact(error: &redis::RedisError) -> String {
    if error.is_timeout() {
        return "no answer in time (timed out)".to_owned();
    }
    if matches!(error.kind(), redis::ErrorKind::Io) {
        // The operating system's reason (`Connection refused (os error 111)`), or one of the
        // crate's fixed descriptions: never the URL.
        return error.to_string();
    }
    match (error.code(), error.detail()) {
        (Some(code), Some(detail)) => format!("Redis answered {code} {detail}"),
        (Some(code), None) => format!("Redis answered {code}"),
        _ => error.category().to_owned(),
    }
}

/// `url` as it may be shown: scheme, host, port and path, without user, password or query (a
/// socket URL's password is a query parameter).
fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            // Both fail only for URLs without a host (`unix:` sockets), which carry none.
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.set_fragment(None);
            format!("Redis at {parsed}")
        }
        Err(_) => "the Redis URL".to_owned(),
    }
}

impl Pacer for RedisPacer {
    fn acquire<'a>(
        &'a self,
        company: &'a str,
        route: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Decision, PacerError>> {
        Box::pin(async move {
            let (company_key, route_key) = self.keys(company, route);
            let mut connection = self.connection.clone();
            let (go, until, firm): (i64, i64, i64) = self
                .acquire
                .key(company_key)
                .key(route_key)
                .arg(now)
                .arg(PROBE_LEASE_MS)
                .arg(SOFT_WAIT_MS)
                .arg(IDLE_EXPIRY_MS)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| PacerError(redact(&e)))?;
            Ok(if go == 1 {
                Decision::Go
            } else {
                Decision::Wait {
                    until,
                    firm: firm == 1,
                }
            })
        })
    }

    fn observe<'a>(
        &'a self,
        company: &'a str,
        route: &'a str,
        seen: Observation,
    ) -> BoxFuture<'a, Result<(), PacerError>> {
        Box::pin(async move {
            let (company_key, route_key) = self.keys(company, route);
            let mut connection = self.connection.clone();
            let flag = |b: bool| i64::from(b);
            let _: i64 = self
                .observe
                .key(company_key)
                .key(route_key)
                .arg(seen.sent_at)
                .arg(seen.received_at)
                .arg(seen.limit.unwrap_or(-1))
                .arg(seen.remaining.unwrap_or(-1))
                .arg(match (seen.limit, seen.remaining, seen.reset) {
                    (Some(_), Some(_), Some(reset)) => reset,
                    _ => -1,
                })
                .arg(flag(seen.throttled))
                .arg(flag(seen.route_only))
                .arg(seen.retry_after_ms.unwrap_or(-1))
                .arg(flag(seen.failed))
                .arg(DEFAULT_RETRY_AFTER_MS)
                .arg(IDLE_EXPIRY_MS)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| PacerError(redact(&e)))?;
            Ok(())
        })
    }

    fn release_probe(&self, company: &str, lease_until: i64) {
        // Called from a drop, which cannot wait for Redis: the release goes on in a task of its
        // own (outside a runtime there is nothing to spawn on, and the lease runs out by itself).
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let company_key = self.company_key(company);
        let mut connection = self.connection.clone();
        let release = self.release.clone();
        runtime.spawn(async move {
            let released: Result<i64, _> = release
                .key(company_key)
                .arg(lease_until)
                .invoke_async(&mut connection)
                .await;
            if let Err(error) = released {
                tracing::warn!(error = %redact(&error), "an abandoned probe lease could not be released; it runs out by itself");
            }
        });
    }

    fn soft_poll(&self) -> Duration {
        Duration::from_millis(u64::try_from(SOFT_WAIT_MS).unwrap_or(10))
    }
}
