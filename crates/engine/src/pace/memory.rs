//! The in-process pacer: every company's [`Budget`] in one map behind a mutex (held for a few
//! hundred nanoseconds per request, never across an await).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::budget::{Budget, Decision, Observation};
use super::{BoxFuture, Pacer, PacerError};

#[derive(Debug, Default)]
struct Company {
    budget: Budget,
    /// Routes blocked by a route-only 429, until a Unix-ms time.
    blocked_routes: HashMap<String, i64>,
}

/// The budget of each Front company, kept in this process (one hub, or replicas that accept
/// each using the whole budget unpaced against the others).
#[derive(Debug, Default)]
pub struct MemoryPacer {
    companies: Mutex<HashMap<String, Company>>,
}

impl MemoryPacer {
    pub fn new() -> MemoryPacer {
        MemoryPacer::default()
    }

    fn with_company<T>(&self, company: &str, f: impl FnOnce(&mut Company) -> T) -> T {
        let mut companies = self
            .companies
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(state) = companies.get_mut(company) {
            return f(state);
        }
        f(companies.entry(company.to_owned()).or_default())
    }
}

impl Pacer for MemoryPacer {
    fn acquire<'a>(
        &'a self,
        company: &'a str,
        route: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Decision, PacerError>> {
        let decision = self.with_company(company, |state| {
            if let Some(&until) = state.blocked_routes.get(route) {
                if until > now {
                    return Decision::Wait { until, firm: true };
                }
                state.blocked_routes.remove(route);
            }
            state.budget.acquire(now)
        });
        Box::pin(std::future::ready(Ok(decision)))
    }

    fn observe<'a>(
        &'a self,
        company: &'a str,
        route: &'a str,
        seen: Observation,
    ) -> BoxFuture<'a, Result<(), PacerError>> {
        self.with_company(company, |state| {
            if seen.throttled && seen.route_only {
                let until = seen.received_at
                    + seen
                        .retry_after_ms
                        .unwrap_or(super::budget::DEFAULT_RETRY_AFTER_MS);
                let blocked = state.blocked_routes.entry(route.to_owned()).or_default();
                *blocked = (*blocked).max(until);
            }
            state.budget.observe(&seen);
        });
        Box::pin(std::future::ready(Ok(())))
    }

    fn release_probe(&self, company: &str, lease_until: i64) {
        self.with_company(company, |state| state.budget.release_probe(lease_until));
    }

    fn soft_poll(&self) -> Duration {
        // Every change here comes with a wake-up; the poll only bounds a missed one.
        Duration::from_millis(250)
    }
}
