//! Pacing per Front company: Front's rate limit is the company's (every token and account of
//! it shares one budget), so requests are admitted against a budget learnt from Front's own
//! headers, and callers queue for the next window instead of meeting a 429.
//!
//! [`Pacer`] is where the budget lives: [`MemoryPacer`] in this process (the default), or
//! [`RedisPacer`] (`ACTIONHUB_REDIS_URL`), shared by every hub replica using that Redis. Both run
//! the rules of [`budget`]. [`wait_for_slot`] is the queue: it asks the pacer, sleeps until the
//! time it names (or until an answer in this process changes the picture), and gives up at the
//! call's deadline with the time after which asking again makes sense.

mod budget;
mod memory;
mod redis;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

pub use budget::{Decision, Observation};
pub use memory::MemoryPacer;
pub use redis::RedisPacer;

/// A boxed future, so that pacers can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a pacer could not answer (Redis unreachable). The engine then sends unpaced rather than
/// failing the call, and Front's own 429s still slow it down.
#[derive(Debug, thiserror::Error)]
#[error("the shared rate budget (Redis) is unavailable: {0}")]
pub struct PacerError(String);

/// Where the budget of each Front company is kept.
pub trait Pacer: Send + Sync + std::fmt::Debug {
    /// Asks for one request slot of `company` at `now` (Unix ms), on `route` (one of Front's
    /// resource types, which have their own burst limits).
    fn acquire<'a>(
        &'a self,
        company: &'a str,
        route: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Decision, PacerError>>;

    /// Learns from one of Front's answers to a request on `route`.
    fn observe<'a>(
        &'a self,
        company: &'a str,
        route: &'a str,
        seen: Observation,
    ) -> BoxFuture<'a, Result<(), PacerError>>;

    /// How often a wait for information (not for a known time) is re-checked, when nothing in
    /// this process signals a change: other replicas' answers are only seen by asking again.
    fn soft_poll(&self) -> Duration;
}

/// The current time in Unix milliseconds: the clock budgets are kept in, shared with Front's
/// `x-ratelimit-reset` and with other replicas.
pub fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The budget could not be had before the call's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverDeadline {
    /// How long until asking again can succeed, rounded up to whole seconds (at least 1).
    pub retry_after_secs: u64,
}

/// Waits for one slot of `company`'s budget. Returns how long it waited.
pub async fn wait_for_slot(
    pacer: &dyn Pacer,
    changed: &Notify,
    company: &str,
    route: &str,
    deadline: Instant,
) -> Result<Duration, OverDeadline> {
    let started = Instant::now();
    loop {
        // Registered before asking, so an answer arriving in between still wakes this caller.
        let notified = changed.notified();
        let now = unix_millis();
        let decision = match pacer.acquire(company, route, now).await {
            Ok(decision) => decision,
            Err(error) => {
                tracing::warn!(%error, "sending without pacing");
                Decision::Go
            }
        };
        let Decision::Wait { until, firm } = decision else {
            return Ok(started.elapsed());
        };
        let wait = Duration::from_millis(u64::try_from(until - now).unwrap_or(0).max(1));
        let left = deadline.saturating_duration_since(Instant::now());
        if firm && wait > left {
            return Err(OverDeadline {
                retry_after_secs: ceil_secs(wait),
            });
        }
        if left.is_zero() {
            return Err(OverDeadline {
                retry_after_secs: ceil_secs(wait),
            });
        }
        let nap = if firm {
            wait
        } else {
            wait.min(pacer.soft_poll())
        }
        .min(left);
        tokio::select! {
            () = tokio::time::sleep(nap) => {}
            () = notified => {}
        }
    }
}

fn ceil_secs(duration: Duration) -> u64 {
    (duration.as_secs() + u64::from(duration.subsec_nanos() > 0)).max(1)
}
