//! Front's rate limits, per company (the simulator has one company, whatever the token).
//!
//! * A budget of `rpm` requests per window (`window_secs`, 60 in Front); the window starts
//!   with the first request after the previous one ended. Every response carries
//!   `x-ratelimit-limit`, `-remaining` and `-reset` (Unix seconds when the budget returns).
//! * Search may use at most 40% of that budget.
//! * A burst limit of `burst` requests per second per resource type (the first path segment),
//!   answered with `x-front-tier` — Front's "limits do not affect each other", so a burst 429
//!   can come with `remaining > 0`.
//!
//! A refused request does not consume any budget. Unknown paths count against the budget but
//! not against a burst limit (they have no resource type).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::SimConfig;
use crate::error::{ApiError, Throttle};

/// Search conversations is "subject to proportional rate limiting at 40%".
const SEARCH_SHARE_PERCENT: u32 = 40;
const BURST_WINDOW: Duration = Duration::from_secs(1);
/// The tier Front names in its burst 429s ("Rate limit exceeded for tier-2 route").
const BURST_TIER: &str = "tier-2";

/// The values of the `x-ratelimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateHeaders {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds (rounded up) when the window ends and the budget is back.
    pub reset_at: u64,
}

/// What the limiter knows about the request being admitted.
#[derive(Debug, Clone, Copy)]
pub struct RequestKind {
    /// The resource type for the burst limit; `None` for paths that are no operation.
    pub resource: Option<&'static str>,
    pub is_search: bool,
}

#[derive(Debug, Default)]
struct Counters {
    window_started: Option<Instant>,
    used: u32,
    search_used: u32,
    /// Per resource type: when its one-second window started and how many it has seen.
    bursts: HashMap<&'static str, (Instant, u32)>,
}

#[derive(Debug)]
pub struct RateLimiter {
    budget: u32,
    search_budget: u32,
    window: Duration,
    burst: u32,
    counters: Mutex<Counters>,
}

impl RateLimiter {
    pub fn new(config: &SimConfig) -> RateLimiter {
        RateLimiter {
            budget: config.rpm,
            search_budget: u32::try_from(
                u64::from(config.rpm) * u64::from(SEARCH_SHARE_PERCENT) / 100,
            )
            .unwrap_or(u32::MAX)
            .max(1),
            window: Duration::from_secs(config.window_secs.max(1)),
            burst: config.burst,
            counters: Mutex::new(Counters::default()),
        }
    }

    /// The headers as they stand, without counting a request (for refused tokens).
    pub fn snapshot(&self) -> Option<RateHeaders> {
        if self.budget == 0 {
            return None;
        }
        let now = Instant::now();
        let counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let (used, ends_in) = match counters.window_started {
            Some(started) if now < started + self.window => {
                (counters.used, started + self.window - now)
            }
            _ => (0, self.window),
        };
        Some(self.headers(used, ends_in))
    }

    /// Counts one request, or refuses it with the limit it would exceed. The headers are
    /// `None` when the budget is off.
    pub fn admit(&self, kind: RequestKind) -> (Option<RateHeaders>, Result<(), ApiError>) {
        let now = Instant::now();
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let mut ends_in = self.window;
        if self.budget > 0 {
            match counters.window_started {
                Some(started) if now < started + self.window => {
                    ends_in = started + self.window - now;
                }
                _ => {
                    counters.window_started = Some(now);
                    counters.used = 0;
                    counters.search_used = 0;
                }
            }
            let retry_after_secs = ceil_secs(ends_in).max(1);
            if counters.used >= self.budget {
                let error = ApiError::too_many_requests(
                    format!(
                        "Rate limit exceeded: {} requests per {} seconds. Please retry in {} milliseconds.",
                        self.budget,
                        self.window.as_secs(),
                        ends_in.as_millis()
                    ),
                    Throttle {
                        retry_after_secs,
                        tier: None,
                    },
                );
                return (Some(self.headers(counters.used, ends_in)), Err(error));
            }
            if kind.is_search && counters.search_used >= self.search_budget {
                let error = ApiError::too_many_requests(
                    format!(
                        "Rate limit exceeded for search: it may use {} of the {} requests per {} seconds ({SEARCH_SHARE_PERCENT}%). Please retry in {} milliseconds.",
                        self.search_budget,
                        self.budget,
                        self.window.as_secs(),
                        ends_in.as_millis()
                    ),
                    Throttle {
                        retry_after_secs,
                        tier: None,
                    },
                );
                return (Some(self.headers(counters.used, ends_in)), Err(error));
            }
        }
        if let (true, Some(resource)) = (self.burst > 0, kind.resource) {
            let (started, count) = counters.bursts.entry(resource).or_insert((now, 0));
            if now >= *started + BURST_WINDOW {
                *started = now;
                *count = 0;
            }
            if *count >= self.burst {
                let wait = *started + BURST_WINDOW - now;
                let error = ApiError::too_many_requests(
                    format!(
                        "Rate limit exceeded for {BURST_TIER} route ({} requests per second on {resource}). Please retry in {} milliseconds.",
                        self.burst,
                        wait.as_millis()
                    ),
                    Throttle {
                        retry_after_secs: ceil_secs(wait).max(1),
                        tier: Some(BURST_TIER),
                    },
                );
                let headers = (self.budget > 0).then(|| self.headers(counters.used, ends_in));
                return (headers, Err(error));
            }
            *count += 1;
        }
        if self.budget == 0 {
            return (None, Ok(()));
        }
        counters.used += 1;
        if kind.is_search {
            counters.search_used += 1;
        }
        (Some(self.headers(counters.used, ends_in)), Ok(()))
    }

    fn headers(&self, used: u32, ends_in: Duration) -> RateHeaders {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        RateHeaders {
            limit: self.budget,
            remaining: self.budget.saturating_sub(used),
            reset_at: ceil_secs(now + ends_in),
        }
    }
}

fn ceil_secs(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rpm: u32, burst: u32) -> RateLimiter {
        RateLimiter::new(&SimConfig {
            rpm,
            burst,
            window_secs: 60,
            ..SimConfig::default()
        })
    }

    const PLAIN: RequestKind = RequestKind {
        resource: Some("contacts"),
        is_search: false,
    };
    const SEARCH: RequestKind = RequestKind {
        resource: Some("conversations"),
        is_search: true,
    };

    #[test]
    fn the_budget_counts_down_then_refuses() {
        let limiter = limiter(3, 0);
        for remaining in [2, 1, 0] {
            let (headers, result) = limiter.admit(PLAIN);
            assert!(result.is_ok());
            assert_eq!(headers.unwrap().remaining, remaining);
        }
        let (headers, result) = limiter.admit(PLAIN);
        let error = result.unwrap_err();
        assert_eq!(error.status.as_u16(), 429);
        let throttle = error.throttle.unwrap();
        assert!((59..=60).contains(&throttle.retry_after_secs));
        assert_eq!(throttle.tier, None);
        assert_eq!(headers.unwrap().remaining, 0);
        assert_eq!(limiter.snapshot().unwrap().remaining, 0);
    }

    #[test]
    fn search_gets_forty_percent() {
        let limiter = limiter(10, 0);
        for _ in 0..4 {
            assert!(limiter.admit(SEARCH).1.is_ok());
        }
        let (headers, result) = limiter.admit(SEARCH);
        assert!(result.is_err());
        assert_eq!(headers.unwrap().remaining, 6);
        assert!(limiter.admit(PLAIN).1.is_ok());
    }

    #[test]
    fn bursts_are_per_resource_type_and_name_their_tier() {
        let limiter = limiter(0, 2);
        assert!(limiter.admit(PLAIN).1.is_ok());
        assert!(limiter.admit(PLAIN).1.is_ok());
        let (headers, result) = limiter.admit(PLAIN);
        assert_eq!(headers, None);
        assert_eq!(result.unwrap_err().throttle.unwrap().tier, Some("tier-2"));
        assert!(limiter.admit(SEARCH).1.is_ok());
        assert!(
            limiter
                .admit(RequestKind {
                    resource: None,
                    is_search: false
                })
                .1
                .is_ok()
        );
    }

    #[test]
    fn zero_turns_everything_off() {
        let limiter = limiter(0, 0);
        for _ in 0..1000 {
            let (headers, result) = limiter.admit(SEARCH);
            assert!(headers.is_none() && result.is_ok());
        }
        assert_eq!(limiter.snapshot(), None);
    }
}
