//! The in-process pacer: every company's [`Budget`] and route classes' [`Bucket`]s in one map
//! behind a mutex (held for a few hundred nanoseconds per request, never across an await).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::budget::{Bucket, Budget, Decision, Observation, route_class};
use super::{BoxFuture, LearntBudget, Pacer, PacerError, unix_millis};

#[derive(Debug, Default)]
struct Company {
    budget: Budget,
    /// Per route class (a resource type).
    buckets: HashMap<String, Bucket>,
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

impl Company {
    /// The budget and the bucket of `route`'s class, and whether the route is search.
    fn parts(&mut self, route: &str) -> (&mut Budget, &mut Bucket, bool) {
        let (class, search) = route_class(route);
        let bucket = self.buckets.entry(class.to_owned()).or_default();
        (&mut self.budget, bucket, search)
    }
}

impl Pacer for MemoryPacer {
    fn acquire<'a>(
        &'a self,
        company: &'a str,
        route: &'a str,
        now: i64,
        deadline: i64,
    ) -> BoxFuture<'a, Result<Decision, PacerError>> {
        let decision = self.with_company(company, |state| {
            let (budget, bucket, search) = state.parts(route);
            budget.acquire(bucket, search, now, deadline)
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
            let (budget, bucket, search) = state.parts(route);
            budget.observe(bucket, search, &seen);
        });
        Box::pin(std::future::ready(Ok(())))
    }

    fn learnt_budget(&self, company: &str) -> Option<LearntBudget> {
        let companies = self
            .companies
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let budget = &companies.get(company)?.budget;
        Some(LearntBudget {
            limit: u32::try_from(budget.limit)
                .ok()
                .filter(|limit| *limit > 0)?,
            window: Duration::from_millis(u64::try_from(budget.window_len()).ok()?),
            booked: if unix_millis() < budget.win_end {
                u32::try_from(budget.used).unwrap_or(0)
            } else {
                0
            },
        })
    }

    fn release_probe(&self, company: &str, lease_until: i64) {
        self.with_company(company, |state| state.budget.release_probe(lease_until));
    }

    fn soft_poll(&self) -> Duration {
        // Every probe answer here comes with a wake-up; the poll only bounds a missed one.
        Duration::from_millis(250)
    }
}
