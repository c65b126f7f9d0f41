//! The Redis pacer: each company's budget, and each of its route classes' burst limit, is a
//! Redis hash changed only by Lua scripts
//! (`acquire.lua`, `observe.lua`, `release.lua`: the rules of `budget.rs`), which Redis runs
//! atomically, so every hub replica using the same Redis shares one queue per company: a call
//! costs one acquire and one observe, whatever the number waiting. Every key a script writes
//! expires after a day unused.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use super::budget::{
    BURST_PERIOD_MS, DEFAULT_BURST, DEFAULT_RETRY_AFTER_MS, DEFAULT_WINDOW_MS, Decision, MARGIN_MS,
    MAX_RTT_MS, Observation, PROBE_LEASE_MS, SEARCH_SHARE_PERCENT, route_class,
};
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
/// How often a caller waiting for its company's probe answer (maybe on another replica) asks
/// again.
const PROBE_POLL: Duration = Duration::from_millis(25);

/// Budgets shared through Redis by every hub replica configured with the same URL and prefix.
#[derive(Clone)]
pub struct RedisPacer {
    connection: ConnectionManager,
    prefix: String,
    acquire: Script,
    observe: Script,
    release: Script,
    /// Scripts run, for tests and metrics: a call costs a constant number of them.
    operations: Arc<AtomicU64>,
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
            acquire: Script::new(concat!(
                include_str!("company.lua"),
                include_str!("acquire.lua")
            )),
            observe: Script::new(concat!(
                include_str!("company.lua"),
                include_str!("observe.lua")
            )),
            release: Script::new(include_str!("release.lua")),
            operations: Arc::default(),
        })
    }

    fn company_key(&self, company: &str) -> String {
        format!("{}:company:{company}", self.prefix)
    }

    fn keys(&self, company: &str, class: &str) -> (String, String) {
        (
            self.company_key(company),
            format!("{}:route:{company}:{class}", self.prefix),
        )
    }

    /// Scripts this pacer has run in Redis (acquires, observes, releases), since it connected.
    pub fn operations(&self) -> u64 {
        self.operations.load(Ordering::Relaxed)
    }

    fn count_operation(&self) {
        self.operations.fetch_add(1, Ordering::Relaxed);
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
        deadline: i64,
    ) -> BoxFuture<'a, Result<Decision, PacerError>> {
        Box::pin(async move {
            let (class, search) = route_class(route);
            let (company_key, class_key) = self.keys(company, class);
            let mut connection = self.connection.clone();
            let (kind, time, window): (i64, i64, i64) = self
                .acquire
                .key(company_key)
                .key(class_key)
                .arg(now)
                .arg(deadline)
                .arg(i64::from(search))
                .arg(PROBE_LEASE_MS)
                .arg(DEFAULT_WINDOW_MS)
                .arg(DEFAULT_BURST)
                .arg(BURST_PERIOD_MS)
                .arg(SEARCH_SHARE_PERCENT)
                .arg(MARGIN_MS)
                .arg(IDLE_EXPIRY_MS)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| PacerError(redact(&e)))?;
            self.count_operation();
            Ok(match kind {
                1 => Decision::Go { at: time, window },
                2 => Decision::Refused { until: time },
                _ => Decision::Wait { until: time },
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
            let (class, search) = route_class(route);
            let (company_key, class_key) = self.keys(company, class);
            let mut connection = self.connection.clone();
            let flag = |b: bool| i64::from(b);
            let _: i64 = self
                .observe
                .key(company_key)
                .key(class_key)
                .arg(seen.sent_at)
                .arg(seen.received_at)
                .arg(seen.window)
                .arg(seen.status)
                .arg(seen.limit.unwrap_or(-1))
                .arg(seen.remaining.unwrap_or(-1))
                .arg(match (seen.limit, seen.remaining, seen.reset) {
                    (Some(_), Some(_), Some(reset)) => reset,
                    _ => -1,
                })
                .arg(flag(seen.throttled))
                .arg(flag(seen.route_only))
                .arg(flag(seen.tier))
                .arg(seen.retry_after_ms.unwrap_or(-1))
                .arg(flag(seen.failed))
                .arg(flag(search))
                .arg(DEFAULT_RETRY_AFTER_MS)
                .arg(DEFAULT_BURST)
                .arg(BURST_PERIOD_MS)
                .arg(SEARCH_SHARE_PERCENT)
                .arg(MAX_RTT_MS)
                .arg(IDLE_EXPIRY_MS)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| PacerError(redact(&e)))?;
            self.count_operation();
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
        let operations = self.operations.clone();
        runtime.spawn(async move {
            let released: Result<i64, _> = release
                .key(company_key)
                .arg(lease_until)
                .arg(IDLE_EXPIRY_MS)
                .invoke_async(&mut connection)
                .await;
            operations.fetch_add(1, Ordering::Relaxed);
            if let Err(error) = released {
                tracing::warn!(error = %redact(&error), "an abandoned probe lease could not be released; it runs out by itself");
            }
        });
    }

    fn soft_poll(&self) -> Duration {
        // Only while a company's probe is out: other replicas' answers are seen by asking.
        PROBE_POLL
    }
}
