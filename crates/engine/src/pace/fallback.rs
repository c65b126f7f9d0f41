//! Pacing that survives its shared store: [`FallbackPacer`] asks the shared pacer (Redis) while
//! it answers, and the in-process [`MemoryPacer`] while it does not, so a Redis outage neither
//! stalls calls past their deadline nor lets them go unpaced into Front's 429s.
//!
//! The in-process pacer learns from every answer Front gives, also while the shared one is in
//! use, so when it takes over its budget is the last one Front announced. Each shared operation
//! is bounded ([`SHARED_ANSWER_BOUND`]); after a failure the shared pacer is asked again at most
//! once per [`RECHECK_EVERY`], by one call (the others stay in process meanwhile), and its first
//! answer brings shared pacing back. Both switches are logged once, and [`SharedPacing`] tells
//! `/metrics` which pacer is in force and how often the hub fell back.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::budget::{Decision, Observation};
use super::{BoxFuture, LearntBudget, MemoryPacer, Pacer, PacerError};

/// The longest a call waits for the shared pacer before pacing in process instead: far above
/// a healthy Redis's answer (well under a millisecond for the scripts), far below a call's
/// deadline.
pub const SHARED_ANSWER_BOUND: Duration = Duration::from_millis(500);
/// How often, at most, the shared pacer is asked again after it failed.
pub const RECHECK_EVERY: Duration = Duration::from_secs(1);

/// Which pacer is in force, for `/metrics`. Shared by the [`FallbackPacer`] and its readers.
#[derive(Debug)]
pub struct SharedPacing {
    /// The shared pacer answered the last time it was asked.
    shared: AtomicBool,
    /// Switches from shared to in-process pacing since start.
    fallbacks: AtomicU64,
}

impl SharedPacing {
    /// Whether budgets are kept in the shared store now (else in this process).
    pub fn is_shared(&self) -> bool {
        self.shared.load(Ordering::Relaxed)
    }

    /// How many times the hub fell back to in-process pacing since it started.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }
}

/// A shared pacer with an in-process one to fall back on (see the module documentation).
#[derive(Debug)]
pub struct FallbackPacer {
    shared: Arc<dyn Pacer>,
    local: MemoryPacer,
    status: Arc<SharedPacing>,
    /// While the shared pacer is out: when it may next be asked. Claimed (moved on) by the one
    /// call that asks it.
    next_recheck: Mutex<Instant>,
    answer_bound: Duration,
    recheck_every: Duration,
}

impl FallbackPacer {
    /// Paces through `shared`, falling back to this process's budgets when it fails or takes
    /// longer than [`SHARED_ANSWER_BOUND`], and asking it again every [`RECHECK_EVERY`].
    pub fn new(shared: Arc<dyn Pacer>) -> FallbackPacer {
        FallbackPacer::with_bounds(shared, SHARED_ANSWER_BOUND, RECHECK_EVERY)
    }

    /// The same with other bounds (tests use short ones).
    pub fn with_bounds(
        shared: Arc<dyn Pacer>,
        answer_bound: Duration,
        recheck_every: Duration,
    ) -> FallbackPacer {
        FallbackPacer {
            shared,
            local: MemoryPacer::new(),
            status: Arc::new(SharedPacing {
                shared: AtomicBool::new(true),
                fallbacks: AtomicU64::new(0),
            }),
            next_recheck: Mutex::new(Instant::now()),
            answer_bound,
            recheck_every,
        }
    }

    /// Which pacer is in force, readable after the pacer is handed to a client.
    pub fn status(&self) -> Arc<SharedPacing> {
        Arc::clone(&self.status)
    }

    /// Whether this call should ask the shared pacer: always while it works; while it is out,
    /// only the first call after each recheck interval.
    fn ask_shared(&self) -> bool {
        if self.status.is_shared() {
            return true;
        }
        let mut next = self
            .next_recheck
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if now < *next {
            return false;
        }
        *next = now + self.recheck_every;
        true
    }

    /// Runs one shared operation within `bound` (at most the answer bound); a failure switches
    /// to in-process pacing. A shorter bound is the caller's deadline: running out of it says
    /// nothing about Redis, so this call alone goes on without the shared answer.
    async fn bounded<T>(
        &self,
        operation: BoxFuture<'_, Result<T, PacerError>>,
        bound: Duration,
    ) -> Option<T> {
        let bound = bound.min(self.answer_bound);
        let failure = match tokio::time::timeout(bound, operation).await {
            Ok(Ok(answer)) => {
                if !self.status.shared.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "the shared rate budget (Redis) answers again: pacing through it again"
                    );
                }
                return Some(answer);
            }
            Ok(Err(error)) => error.to_string(),
            Err(_) if bound < self.answer_bound => return None,
            Err(_) => format!(
                "the shared rate budget (Redis) did not answer within {} ms",
                self.answer_bound.as_millis()
            ),
        };
        *self
            .next_recheck
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now() + self.recheck_every;
        if self.status.shared.swap(false, Ordering::Relaxed) {
            self.status.fallbacks.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                error = %failure,
                recheck_ms = self.recheck_every.as_millis(),
                "pacing in this process with the last budgets Front announced until the shared rate budget answers again"
            );
        }
        None
    }
}

impl Pacer for FallbackPacer {
    fn acquire<'a>(
        &'a self,
        company: &'a str,
        route: &'a str,
        now: i64,
        deadline: i64,
    ) -> BoxFuture<'a, Result<Decision, PacerError>> {
        Box::pin(async move {
            if self.ask_shared()
                && let Some(decision) = self
                    .bounded(
                        self.shared.acquire(company, route, now, deadline),
                        Duration::from_millis(u64::try_from(deadline - now).unwrap_or(0)),
                    )
                    .await
            {
                return Ok(decision);
            }
            // The caller's `now`, even if the shared pacer took a while: a probe lease is
            // given back by the end computed from it.
            self.local.acquire(company, route, now, deadline).await
        })
    }

    fn observe<'a>(
        &'a self,
        company: &'a str,
        route: &'a str,
        seen: Observation,
    ) -> BoxFuture<'a, Result<(), PacerError>> {
        Box::pin(async move {
            // Learnt here in every case, so that a fallback starts from the last known budget.
            self.local.observe(company, route, seen).await?;
            if self.status.is_shared() {
                // A failure switches to the in-process budget, which has just learnt this.
                self.bounded(self.shared.observe(company, route, seen), self.answer_bound)
                    .await;
            }
            Ok(())
        })
    }

    fn release_probe(&self, company: &str, lease_until: i64) {
        // Either pacer may have granted the lease; releasing one not held does nothing.
        self.local.release_probe(company, lease_until);
        if self.status.is_shared() {
            self.shared.release_probe(company, lease_until);
        }
    }

    fn soft_poll(&self) -> Duration {
        if self.status.is_shared() {
            self.shared.soft_poll()
        } else {
            self.local.soft_poll()
        }
    }

    fn learnt_budget(&self, company: &str) -> Option<LearntBudget> {
        // The local pacer observes every answer, shared or not.
        self.local.learnt_budget(company)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::pace::unix_millis;

    const COMPANY: &str = "cmp_1";
    const ROUTE: &str = "tags";

    /// How the stand-in for Redis behaves.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Behaviour {
        Answers,
        Fails,
        Hangs,
    }

    /// A shared pacer that answers (with budgets kept in a [`MemoryPacer`] of its own), fails
    /// or never answers, as the test says; it counts how often it is asked.
    #[derive(Debug)]
    struct Shared {
        budgets: MemoryPacer,
        behaviour: Mutex<Behaviour>,
        asked: AtomicUsize,
    }

    impl Shared {
        fn new(behaviour: Behaviour) -> Arc<Shared> {
            Arc::new(Shared {
                budgets: MemoryPacer::new(),
                behaviour: Mutex::new(behaviour),
                asked: AtomicUsize::new(0),
            })
        }

        fn set(&self, behaviour: Behaviour) {
            *self.behaviour.lock().unwrap() = behaviour;
        }

        fn asked(&self) -> usize {
            self.asked.load(Ordering::SeqCst)
        }

        fn answer<'a, T: Send + 'a>(
            &'a self,
            answer: BoxFuture<'a, Result<T, PacerError>>,
        ) -> BoxFuture<'a, Result<T, PacerError>> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            let behaviour = *self.behaviour.lock().unwrap();
            Box::pin(async move {
                match behaviour {
                    Behaviour::Answers => answer.await,
                    Behaviour::Fails => Err(PacerError("connection refused".to_owned())),
                    Behaviour::Hangs => std::future::pending().await,
                }
            })
        }
    }

    impl Pacer for Shared {
        fn acquire<'a>(
            &'a self,
            company: &'a str,
            route: &'a str,
            now: i64,
            deadline: i64,
        ) -> BoxFuture<'a, Result<Decision, PacerError>> {
            self.answer(self.budgets.acquire(company, route, now, deadline))
        }

        fn observe<'a>(
            &'a self,
            company: &'a str,
            route: &'a str,
            seen: Observation,
        ) -> BoxFuture<'a, Result<(), PacerError>> {
            self.answer(self.budgets.observe(company, route, seen))
        }

        fn release_probe(&self, company: &str, lease_until: i64) {
            self.budgets.release_probe(company, lease_until);
        }

        fn soft_poll(&self) -> Duration {
            Duration::from_millis(10)
        }
    }

    /// A pacer over `shared` with a short answer bound, asking again after `recheck_every`.
    fn fallback(shared: &Arc<Shared>, recheck_every: Duration) -> FallbackPacer {
        FallbackPacer::with_bounds(shared.clone(), Duration::from_millis(20), recheck_every)
    }

    /// Never reached in a passing test: guards against a pacer that waits forever.
    async fn within_a_while<T>(operation: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(10), operation)
            .await
            .expect("the fallback pacer did not answer")
    }

    /// A deadline no test reaches.
    fn far() -> i64 {
        unix_millis() + 600_000
    }

    /// An answer spending the company's whole budget, whose window ends in a minute.
    fn budget_spent() -> Observation {
        let now = unix_millis();
        Observation {
            sent_at: now - 5,
            received_at: now,
            limit: Some(2),
            remaining: Some(0),
            reset: Some(now / 1000 + 60),
            ..Observation::default()
        }
    }

    #[tokio::test]
    async fn a_failing_shared_pacer_is_replaced_by_the_local_one() {
        let shared = Shared::new(Behaviour::Fails);
        let pacer = fallback(&shared, RECHECK_EVERY);
        let decision = pacer
            .acquire(COMPANY, ROUTE, unix_millis(), far())
            .await
            .unwrap();
        // The local pacer knows nothing yet: this call is its probe.
        assert!(matches!(decision, Decision::Go { .. }), "{decision:?}");
        let status = pacer.status();
        assert!(!status.is_shared());
        assert_eq!(status.fallbacks(), 1);
    }

    #[tokio::test]
    async fn a_hanging_shared_pacer_is_given_up_after_the_bound() {
        let shared = Shared::new(Behaviour::Hangs);
        let pacer = fallback(&shared, RECHECK_EVERY);
        let decision = within_a_while(pacer.acquire(COMPANY, ROUTE, unix_millis(), far())).await;
        assert!(matches!(decision.unwrap(), Decision::Go { .. }));
        assert!(!pacer.status().is_shared());
        // An observation while it is out goes to the local pacer only, without waiting.
        within_a_while(pacer.observe(COMPANY, ROUTE, budget_spent()))
            .await
            .unwrap();
        assert_eq!(shared.asked(), 1);
    }

    #[tokio::test]
    async fn the_local_pacer_takes_over_with_the_budget_learnt_meanwhile() {
        let shared = Shared::new(Behaviour::Answers);
        let pacer = fallback(&shared, RECHECK_EVERY);
        let now = unix_millis();
        assert!(matches!(
            pacer.acquire(COMPANY, ROUTE, now, far()).await.unwrap(),
            Decision::Go { .. }
        ));
        pacer.observe(COMPANY, ROUTE, budget_spent()).await.unwrap();
        assert!(pacer.status().is_shared());
        shared.set(Behaviour::Fails);
        // Front said the budget is spent until the window ends: the local pacer gives the call
        // a time in the next window.
        let asked = unix_millis();
        let decision = pacer.acquire(COMPANY, ROUTE, asked, far()).await.unwrap();
        assert!(
            matches!(decision, Decision::Go { at, .. } if at > asked + 30_000),
            "{decision:?}"
        );
        assert!(!pacer.status().is_shared());
    }

    #[tokio::test]
    async fn while_out_the_shared_pacer_is_asked_once_per_interval() {
        let shared = Shared::new(Behaviour::Fails);
        let pacer = fallback(&shared, Duration::from_secs(3600));
        pacer
            .acquire(COMPANY, ROUTE, unix_millis(), far())
            .await
            .unwrap();
        shared.set(Behaviour::Answers);
        for _ in 0..5 {
            pacer
                .acquire(COMPANY, ROUTE, unix_millis(), far())
                .await
                .unwrap();
            pacer
                .observe(COMPANY, ROUTE, Observation::default())
                .await
                .unwrap();
        }
        assert_eq!(shared.asked(), 1);
        assert!(!pacer.status().is_shared());
    }

    #[tokio::test]
    async fn shared_pacing_resumes_when_the_shared_pacer_answers_again() {
        let shared = Shared::new(Behaviour::Hangs);
        let pacer = fallback(&shared, Duration::ZERO);
        within_a_while(pacer.acquire(COMPANY, ROUTE, unix_millis(), far()))
            .await
            .unwrap();
        assert!(!pacer.status().is_shared());
        shared.set(Behaviour::Answers);
        pacer
            .acquire(COMPANY, ROUTE, unix_millis(), far())
            .await
            .unwrap();
        let status = pacer.status();
        assert!(status.is_shared());
        assert_eq!((status.fallbacks(), shared.asked()), (1, 2));
        // Observations reach both again.
        pacer.observe(COMPANY, ROUTE, budget_spent()).await.unwrap();
        assert_eq!(shared.asked(), 3);
        // And a second outage is counted as such.
        shared.set(Behaviour::Fails);
        pacer
            .acquire(COMPANY, ROUTE, unix_millis(), far())
            .await
            .unwrap();
        assert_eq!(status.fallbacks(), 2);
    }

    #[tokio::test]
    async fn a_probe_granted_by_either_pacer_is_given_back() {
        let shared = Shared::new(Behaviour::Answers);
        let pacer = fallback(&shared, RECHECK_EVERY);
        let now = unix_millis();
        // The shared pacer grants the probe; the call is abandoned before its answer.
        assert!(matches!(
            pacer.acquire(COMPANY, ROUTE, now, far()).await.unwrap(),
            Decision::Go { .. }
        ));
        pacer.release_probe(COMPANY, now + crate::pace::PROBE_LEASE_MS);
        let later = unix_millis();
        assert!(matches!(
            shared
                .budgets
                .acquire(COMPANY, ROUTE, later, far())
                .await
                .unwrap(),
            Decision::Go { .. }
        ));
        // The local pacer grants one while the shared one is out.
        shared.set(Behaviour::Fails);
        let now = unix_millis();
        assert!(matches!(
            pacer.acquire(COMPANY, ROUTE, now, far()).await.unwrap(),
            Decision::Go { .. }
        ));
        pacer.release_probe(COMPANY, now + crate::pace::PROBE_LEASE_MS);
        assert!(matches!(
            pacer
                .acquire(COMPANY, ROUTE, unix_millis(), far())
                .await
                .unwrap(),
            Decision::Go { .. }
        ));
    }
}
