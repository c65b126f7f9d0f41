//! Pacing per Front company: Front's rate limit is the company's (every token and account of
//! it shares one budget, and one burst limit per resource type), so requests are admitted
//! against limits learnt from Front's own headers, and callers are given a time to send
//! instead of meeting a 429.
//!
//! [`Pacer`] is where the limits live: [`MemoryPacer`] in this process (the default), or
//! [`RedisPacer`] (`ACTIONHUB_REDIS_URL`), shared by every hub replica using that Redis. Both run
//! the rules of [`budget`]. [`wait_for_slot`] is the queue: the pacer reserves the caller's
//! time (first come, first served across the company), the caller sleeps until then, and a
//! time past the call's deadline is refused at once with the time after which asking again
//! makes sense. Only while a company's limits are unknown (its probe is out) do callers ask
//! again, woken per company by the probe's answer. The [`Slot`] it grants gives a company's
//! probe lease back if dropped before the answer is observed (a cancelled call), so no path
//! leaves the company's other calls waiting out the lease.

mod budget;
mod fallback;
mod memory;
mod redis;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

pub use budget::{Decision, Observation, PROBE_LEASE_MS, route_class};
pub use fallback::{FallbackPacer, SharedPacing};
pub use memory::MemoryPacer;
pub use redis::RedisPacer;

/// The route of conversation search: in the conversations class for burst limits, and in
/// search's own share of the window budget.
pub const SEARCH_ROUTE: &str = "conversations/search";

/// A boxed future, so that pacers can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a pacer could not answer (Redis unreachable). Behind a [`FallbackPacer`] (how the hub
/// uses Redis) this never reaches the engine: the in-process pacer answers instead. A bare pacer's
/// error makes the engine send unpaced rather than fail the call; Front's own 429s still slow it.
#[derive(Debug, thiserror::Error)]
#[error("the shared rate budget (Redis) is unavailable: {0}")]
pub struct PacerError(String);

/// Where the limits of each Front company are kept.
pub trait Pacer: Send + Sync + std::fmt::Debug {
    /// Reserves one request slot of `company` on `route` (its resource type, the first path
    /// segment, or [`SEARCH_ROUTE`]), asked at `now` by a caller that gives up at `deadline`
    /// (both Unix ms). A slot past the deadline is refused, not reserved.
    fn acquire<'a>(
        &'a self,
        company: &'a str,
        route: &'a str,
        now: i64,
        deadline: i64,
    ) -> BoxFuture<'a, Result<Decision, PacerError>>;

    /// Learns from one of Front's answers to a request on `route`.
    fn observe<'a>(
        &'a self,
        company: &'a str,
        route: &'a str,
        seen: Observation,
    ) -> BoxFuture<'a, Result<(), PacerError>>;

    /// Gives up the probe lease ending at `lease_until` that `acquire` took, if it is still the
    /// one held: its request was abandoned (cancelled, or failed before an answer) and nothing
    /// will be observed to end it. Called from a drop, so it must not block: a pacer that needs
    /// I/O starts it and returns.
    fn release_probe(&self, company: &str, lease_until: i64);

    /// How often a wait for a company's probe answer is re-checked when nothing in this
    /// process signals it: other replicas' answers are only seen by asking again.
    fn soft_poll(&self) -> Duration;

    /// The window budget learnt for `company`, if Front has told its limit (the window is
    /// taken to be Front's minute until one is seen opening); read without I/O, for
    /// callers that hold themselves to a share of it (the event follower). A pacer that cannot
    /// tell without I/O says `None` (the Redis pacer: the hub reads it through its fallback,
    /// which learns every answer too).
    fn learnt_budget(&self, company: &str) -> Option<LearntBudget> {
        let _ = company;
        None
    }
}

/// A company's budget as Front's `x-ratelimit-*` headers taught it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LearntBudget {
    /// Requests per window.
    pub limit: u32,
    pub window: Duration,
    /// Requests booked in the window now running (0 once it has ended): how busy the
    /// company's callers keep it.
    pub booked: u32,
}

/// Wake-ups per company: an answer wakes only the callers of its company waiting for its
/// limits to be learnt.
#[derive(Debug, Default)]
pub struct Wakeups {
    companies: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Wakeups {
    fn of(&self, company: &str) -> Arc<Notify> {
        let mut companies = self
            .companies
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = companies.get(company) {
            return notify.clone();
        }
        companies.entry(company.to_owned()).or_default().clone()
    }

    /// Wakes `company`'s callers waiting for its probe's answer.
    pub fn notify(&self, company: &str) {
        let notify = self
            .companies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(company)
            .cloned();
        if let Some(notify) = notify {
            notify.notify_waiters();
        }
    }
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

/// A slot of a company's budget, granted by [`wait_for_slot`]. The slot may be the company's
/// probe, which holds every other call of the company back until its answer is observed: call
/// [`Slot::observed`] once the pacer has learnt from the answer. A slot dropped before that (the
/// call was cancelled, or ended before sending) gives the probe lease back, so the company's
/// next call does not wait out the lease.
#[must_use = "dropping a slot gives its probe lease back"]
pub struct Slot<'a> {
    pacer: &'a dyn Pacer,
    company: &'a str,
    /// The probe lease this slot may hold (the end `acquire` would have given it), until the
    /// answer is observed.
    lease_until: Option<i64>,
    window: i64,
    waited: Duration,
}

impl Slot<'_> {
    /// How long the call queued for this slot.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// The window the slot was counted in, for [`Observation::window`].
    pub fn window(&self) -> i64 {
        self.window
    }

    /// The pacer has learnt from the answer, which ends a probe lease by itself.
    pub fn observed(mut self) {
        self.lease_until = None;
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(lease_until) = self.lease_until.take() {
            self.pacer.release_probe(self.company, lease_until);
        }
    }
}

/// Waits for one slot of `company`'s budget on `route`.
pub async fn wait_for_slot<'a>(
    pacer: &'a dyn Pacer,
    wakeups: &Wakeups,
    company: &'a str,
    route: &str,
    deadline: Instant,
) -> Result<Slot<'a>, OverDeadline> {
    let started = Instant::now();
    let changed = wakeups.of(company);
    loop {
        // Registered before asking, so a probe answer arriving in between still wakes us.
        let notified = changed.notified();
        let now = unix_millis();
        let deadline_ms = now
            + i64::try_from(
                deadline
                    .saturating_duration_since(Instant::now())
                    .as_millis(),
            )
            .unwrap_or(i64::MAX / 2);
        // Armed before asking: a future dropped while the pacer answers (Redis) may already
        // hold the probe, whose lease ends exactly here. Releasing a lease not held does nothing.
        let mut slot = Slot {
            pacer,
            company,
            lease_until: Some(now + PROBE_LEASE_MS),
            window: 0,
            waited: Duration::ZERO,
        };
        let decision = match pacer.acquire(company, route, now, deadline_ms).await {
            Ok(decision) => decision,
            Err(error) => {
                tracing::warn!(%error, "sending without pacing");
                Decision::Go { at: now, window: 0 }
            }
        };
        match decision {
            Decision::Go { at, window } => {
                slot.window = window;
                if at > now {
                    // A reserved time: later callers were given later ones, so nobody
                    // needs waking early.
                    tokio::time::sleep(millis(at - now)).await;
                }
                slot.waited = started.elapsed();
                return Ok(slot);
            }
            Decision::Refused { until } => {
                slot.lease_until = None;
                return Err(OverDeadline {
                    retry_after_secs: ceil_secs(millis(until - now)),
                });
            }
            Decision::Wait { until } => {
                // The company's probe is out: its answer will tell more.
                slot.lease_until = None;
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(OverDeadline {
                        retry_after_secs: ceil_secs(millis(until - now)),
                    });
                }
                let nap = millis(until - now).min(pacer.soft_poll()).min(left);
                tokio::select! {
                    () = tokio::time::sleep(nap) => {}
                    () = notified => {}
                }
            }
        }
    }
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0).max(1))
}

fn ceil_secs(duration: Duration) -> u64 {
    (duration.as_secs() + u64::from(duration.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::Poll;

    use super::*;

    const COMPANY: &str = "cmp_1";
    const ROUTE: &str = "tags";

    /// A pacer whose answer is lost on the way back: the acquire happens, its future never
    /// completes (a Redis reply still in flight when the caller gives up).
    #[derive(Debug, Default)]
    struct AnswerLost(MemoryPacer);

    impl Pacer for AnswerLost {
        fn acquire<'a>(
            &'a self,
            company: &'a str,
            route: &'a str,
            now: i64,
            deadline: i64,
        ) -> BoxFuture<'a, Result<Decision, PacerError>> {
            let taken = self.0.acquire(company, route, now, deadline);
            Box::pin(async move {
                let _ = taken.await;
                std::future::pending().await
            })
        }

        fn observe<'a>(
            &'a self,
            company: &'a str,
            route: &'a str,
            seen: Observation,
        ) -> BoxFuture<'a, Result<(), PacerError>> {
            self.0.observe(company, route, seen)
        }

        fn release_probe(&self, company: &str, lease_until: i64) {
            self.0.release_probe(company, lease_until);
        }

        fn soft_poll(&self) -> Duration {
            self.0.soft_poll()
        }
    }

    /// Whether the company's next call would be let through now, read from the pacer's state.
    async fn next_call_goes(pacer: &dyn Pacer) -> bool {
        let decision = pacer.acquire(COMPANY, ROUTE, unix_millis(), i64::MAX).await;
        matches!(decision, Ok(Decision::Go { .. }))
    }

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    #[tokio::test]
    async fn a_probe_dropped_before_its_answer_lets_the_next_call_go() {
        let pacer = MemoryPacer::new();
        let changed = Wakeups::default();
        let probe = wait_for_slot(&pacer, &changed, COMPANY, ROUTE, deadline())
            .await
            .unwrap();
        // While the probe is out, the company's other calls wait for its answer.
        let held = pacer
            .acquire(COMPANY, ROUTE, unix_millis(), i64::MAX)
            .await
            .unwrap();
        assert!(matches!(held, Decision::Wait { .. }));
        drop(probe);
        assert!(next_call_goes(&pacer).await);
    }

    #[tokio::test]
    async fn an_observed_probe_is_not_released_twice() {
        let pacer = MemoryPacer::new();
        let changed = Wakeups::default();
        let probe = wait_for_slot(&pacer, &changed, COMPANY, ROUTE, deadline())
            .await
            .unwrap();
        // No rate-limit headers: the company is unmetered from now on.
        pacer
            .observe(
                COMPANY,
                ROUTE,
                Observation {
                    status: 200,
                    ..Observation::default()
                },
            )
            .await
            .unwrap();
        probe.observed();
        assert!(next_call_goes(&pacer).await);
    }

    #[tokio::test]
    async fn a_wait_dropped_while_the_pacer_answers_gives_the_probe_back() {
        let pacer = AnswerLost::default();
        let changed = Wakeups::default();
        let mut waiting = Box::pin(wait_for_slot(&pacer, &changed, COMPANY, ROUTE, deadline()));
        let pending = std::future::poll_fn(|context| {
            Poll::Ready(waiting.as_mut().poll(context).is_pending())
        })
        .await;
        assert!(pending);
        // The probe was taken on the pacer's side, and its answer never arrived.
        assert!(!next_call_goes(&pacer.0).await);
        drop(waiting);
        assert!(next_call_goes(&pacer.0).await);
    }

    /// The same through Redis (on 127.0.0.1:6379, or `ACTIONHUB_TEST_REDIS_URL`), whose release
    /// runs in a task of its own.
    #[tokio::test]
    async fn a_probe_dropped_before_its_answer_is_released_in_redis() {
        let url = std::env::var("ACTIONHUB_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let prefix = format!("actionhub-test-{}-{}", std::process::id(), unix_millis());
        let pacer = RedisPacer::connect(&url, &prefix)
            .await
            .unwrap_or_else(|error| {
                panic!("Redis at {url} is needed (start it with `redis-server`): {error}")
            });
        let changed = Wakeups::default();
        let probe = wait_for_slot(&pacer, &changed, COMPANY, ROUTE, deadline())
            .await
            .unwrap();
        let held = pacer
            .acquire(COMPANY, ROUTE, unix_millis(), i64::MAX)
            .await
            .unwrap();
        assert!(matches!(held, Decision::Wait { .. }));
        drop(probe);
        // The release is a spawned task: wait for it to land (bounded; no timing asserted).
        let mut released = false;
        for _ in 0..200 {
            if next_call_goes(&pacer).await {
                released = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut cleanup = ::redis::Client::open(url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let _: i64 = ::redis::cmd("DEL")
            .arg(format!("{prefix}:company:{COMPANY}"))
            .arg(format!("{prefix}:route:{COMPANY}:{ROUTE}"))
            .query_async(&mut cleanup)
            .await
            .unwrap();
        assert!(
            released,
            "the probe lease is still held after the slot was dropped"
        );
    }

    /// One script of asks and answers, at fixed times, recording every decision.
    async fn scenario(pacer: &dyn Pacer) -> Vec<Decision> {
        const T: i64 = 1_700_000_000_300;
        let mut seen = Vec::new();
        let mut ask = async |route: &str, now: i64, deadline: i64| {
            let decision = pacer.acquire(COMPANY, route, now, deadline).await.unwrap();
            seen.push(decision);
            decision
        };
        ask("tags", T, T + 30_000).await;
        ask("contacts", T + 1, T + 30_000).await;
        let answer = Observation {
            sent_at: T,
            received_at: T + 4,
            status: 200,
            limit: Some(20),
            remaining: Some(19),
            reset: Some(T / 1000 + 3),
            ..Observation::default()
        };
        pacer.observe(COMPANY, "tags", answer).await.unwrap();
        let mut windows = Vec::new();
        for i in 0..30_i64 {
            let route = ["tags", SEARCH_ROUTE, "contacts"][(i % 3) as usize];
            if let Decision::Go { at, window } = ask(route, T + 5 + i, T + 2_000).await {
                windows.push((route, at, window));
            }
        }
        let (route, at, window) = windows[4];
        let refused = |tier: bool, status: u16| Observation {
            sent_at: at,
            received_at: at + 3,
            window,
            status,
            throttled: status == 429,
            route_only: status == 429,
            tier,
            retry_after_ms: Some(700),
            limit: Some(20),
            remaining: Some(9),
            reset: Some(T / 1000 + 3),
            ..Observation::default()
        };
        pacer
            .observe(COMPANY, route, refused(true, 429))
            .await
            .unwrap();
        pacer
            .observe(COMPANY, SEARCH_ROUTE, refused(false, 429))
            .await
            .unwrap();
        pacer
            .observe(COMPANY, "contacts", refused(false, 503))
            .await
            .unwrap();
        for i in 0..6_i64 {
            let route = ["tags", SEARCH_ROUTE, "contacts"][(i % 3) as usize];
            ask(route, at + 10 + i, T + 8_000).await;
        }
        seen
    }

    /// The Lua scripts and `budget.rs` are the same rules: one scenario, the same decisions.
    #[tokio::test]
    async fn redis_and_memory_pacers_decide_alike() {
        let url = std::env::var("ACTIONHUB_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let prefix = format!(
            "actionhub-test-parity-{}-{}",
            std::process::id(),
            unix_millis()
        );
        let redis = RedisPacer::connect(&url, &prefix)
            .await
            .unwrap_or_else(|error| panic!("Redis at {url} is needed: {error}"));
        let in_redis = scenario(&redis).await;
        let in_memory = scenario(&MemoryPacer::new()).await;
        let mut cleanup = ::redis::Client::open(url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        for class in ["tags", "contacts", "conversations"] {
            let _: i64 = ::redis::cmd("DEL")
                .arg(format!("{prefix}:company:{COMPANY}"))
                .arg(format!("{prefix}:route:{COMPANY}:{class}"))
                .query_async(&mut cleanup)
                .await
                .unwrap();
        }
        assert!(
            in_memory
                .iter()
                .any(|d| matches!(d, Decision::Refused { .. }))
        );
        assert_eq!(in_redis, in_memory);
    }
}
