//! The pacing state of one Front company, as a pure state machine over Unix milliseconds. The
//! in-process pacer runs it under a mutex; the Redis pacer runs the same rules in a Lua script
//! (`pace.lua`), and the tests run both through the same scenarios.
//!
//! What Front tells us and how it is used:
//! - `x-ratelimit-limit` (L), `-remaining` (R) and `-reset` (X, Unix seconds, rounded up) on
//!   every response. The company's window ends at or before `X`. A response with `R == L - 1`
//!   was the first of its window, so the window started between that request's send and
//!   receive times; with `X` this bounds the window's length, and when exactly one whole
//!   number of seconds fits (Front's windows are whole minutes) the length is learnt and later
//!   windows are timed to the millisecond instead of to the rounded-up second.
//! - `retry-after` on a 429: nothing more may be sent before it has passed.
//!
//! Locally, every granted request takes one of the window's L slots; a response lowers the
//! count to R when Front saw more use than we did (other clients of the company). Before the
//! first answer nothing is known, so one probe goes alone; a Front that sends no rate-limit
//! headers leaves the company unmetered.

/// How long a probe (the first request to an unknown company) holds the others back before a
/// hub that lost it lets another go.
pub const PROBE_LEASE_MS: i64 = 5_000;
/// Wait after a 429 that carried no `retry-after`.
pub const DEFAULT_RETRY_AFTER_MS: i64 = 1_000;
/// Re-check interval while waiting for information rather than for a known time.
pub const SOFT_WAIT_MS: i64 = 10;

/// `limit` before anything is known.
const UNKNOWN: i64 = 0;
/// `limit` of a company whose answers carry no rate-limit headers.
const UNMETERED: i64 = -1;

/// The outcome of asking for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send now.
    Go,
    /// Ask again at `until` (Unix ms). `firm` waits end at a known time (the window's end, a
    /// `retry-after`); others wait for an answer that tells more, and are re-checked sooner.
    Wait { until: i64, firm: bool },
}

/// What one answer from Front said about the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Observation {
    /// When the request was sent and its answer received (Unix ms).
    pub sent_at: i64,
    pub received_at: i64,
    /// `x-ratelimit-limit`, `-remaining`, `-reset` (Unix seconds).
    pub limit: Option<i64>,
    pub remaining: Option<i64>,
    pub reset: Option<i64>,
    /// A 429: the company's budget (or one route's) is spent for `retry_after_ms`.
    pub throttled: bool,
    pub retry_after_ms: Option<i64>,
    /// The 429 concerned one route only (`x-front-tier`, or search's share while the company
    /// budget had room): blocks that route, not the company.
    pub route_only: bool,
    /// No answer at all (connection failed): only releases a probe.
    pub failed: bool,
}

/// The state kept per company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Budget {
    pub limit: i64,
    pub remaining: i64,
    /// Estimated end of the current window (Unix ms); 0 until an answer tells it.
    pub window_end: i64,
    /// When this hub (or replica) opened the current window locally.
    pub window_started: i64,
    /// Front's `reset` of the current window, which identifies it.
    pub reset_id: i64,
    /// Learnt window length in ms; 0 when unknown.
    pub window_ms: i64,
    pub blocked_until: i64,
    pub probe_until: i64,
}

impl Budget {
    /// Asks for one slot at `now`.
    pub fn acquire(&mut self, now: i64) -> Decision {
        if self.blocked_until > now {
            return Decision::Wait {
                until: self.blocked_until,
                firm: true,
            };
        }
        if self.limit == UNKNOWN {
            if self.probe_until > now {
                return Decision::Wait {
                    until: self.probe_until,
                    firm: false,
                };
            }
            self.probe_until = now + PROBE_LEASE_MS;
            return Decision::Go;
        }
        if self.limit == UNMETERED {
            return Decision::Go;
        }
        if self.window_end > 0 && now >= self.window_end {
            // A new window: Front starts it with the first request that arrives.
            self.remaining = self.limit;
            self.window_end = 0;
            self.window_started = now;
        }
        if self.remaining > 0 {
            self.remaining -= 1;
            return Decision::Go;
        }
        if self.window_end > 0 {
            Decision::Wait {
                until: self.window_end,
                firm: true,
            }
        } else {
            Decision::Wait {
                until: now + SOFT_WAIT_MS,
                firm: false,
            }
        }
    }

    /// Gives up the probe lease that ended at `lease_until`, if it is still the one held: its
    /// request was abandoned before an answer came, so nothing will be observed to end it, and
    /// the company's next call would otherwise wait out the whole lease.
    pub fn release_probe(&mut self, lease_until: i64) {
        if self.probe_until == lease_until {
            self.probe_until = 0;
        }
    }

    /// Learns from one answer.
    pub fn observe(&mut self, seen: &Observation) {
        if seen.failed {
            self.probe_until = 0;
            return;
        }
        if seen.throttled {
            self.probe_until = 0;
            if seen.route_only {
                return;
            }
            let until = seen.received_at + seen.retry_after_ms.unwrap_or(DEFAULT_RETRY_AFTER_MS);
            // The learnt window length led here, or the budget changed: time windows by
            // Front's `reset` again until a new length is learnt.
            self.window_ms = 0;
            self.blocked_until = self.blocked_until.max(until);
            if self.limit > 0 {
                self.remaining = 0;
                self.window_end = self.window_end.max(until);
            }
            return;
        }
        let (Some(limit), Some(remaining), Some(reset)) = (seen.limit, seen.remaining, seen.reset)
        else {
            if self.limit == UNKNOWN {
                self.limit = UNMETERED;
            }
            self.probe_until = 0;
            return;
        };
        let limit = limit.max(1);
        let first_answer = self.limit <= 0;
        self.limit = limit;
        self.probe_until = 0;
        if first_answer {
            self.remaining = remaining;
            self.reset_id = reset;
            self.window_started = seen.sent_at;
            self.window_end = self.estimate_end(seen, limit, remaining, reset);
            return;
        }
        if reset > self.reset_id {
            // Front's first answer from a new window.
            self.reset_id = reset;
            if seen.sent_at < self.window_started {
                // Front's window turned before ours did: trust its count.
                self.window_started = seen.sent_at;
                self.remaining = remaining;
            } else {
                self.remaining = self.remaining.min(remaining);
            }
            self.window_end = self.estimate_end(seen, limit, remaining, reset);
        } else if reset == self.reset_id && seen.sent_at >= self.window_started {
            self.remaining = self.remaining.min(remaining);
            if remaining == limit - 1 {
                self.window_end = self.estimate_end(seen, limit, remaining, reset);
            } else if self.window_end == 0 {
                self.window_end = reset * 1000;
            }
        }
        // Older answers describe a window already over.
    }

    /// The window's end: at or before `reset`, and, when this answer was the window's first
    /// and the window's length is known, that length after the answer was received.
    fn estimate_end(&mut self, seen: &Observation, limit: i64, remaining: i64, reset: i64) -> i64 {
        let latest = reset * 1000;
        if remaining != limit - 1 {
            return latest;
        }
        // The window started in [sent_at, received_at] and ends in (latest - 1000, latest],
        // so its length is in (latest - 1000 - received_at, latest - sent_at].
        let longest = latest - seen.sent_at;
        let shortest = latest - 1000 - seen.received_at;
        let whole = longest.div_euclid(1000) * 1000;
        if whole > shortest && whole > 0 {
            self.window_ms = whole;
        }
        if self.window_ms > 0 {
            latest.min(seen.received_at + self.window_ms)
        } else {
            latest
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(
        sent_at: i64,
        received_at: i64,
        limit: i64,
        remaining: i64,
        reset: i64,
    ) -> Observation {
        Observation {
            sent_at,
            received_at,
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(reset),
            ..Observation::default()
        }
    }

    #[test]
    fn a_probe_goes_alone_then_the_budget_is_known() {
        let mut budget = Budget::default();
        assert_eq!(budget.acquire(1_000_000), Decision::Go);
        assert!(matches!(
            budget.acquire(1_000_001),
            Decision::Wait { firm: false, .. }
        ));
        // First of a 2-second window that started at 1_000_000.4 s: reset rounds up to 1_002_001.
        budget.observe(&answer(1_000_000, 1_000_003, 20, 19, 1_002));
        assert_eq!(budget.window_ms, 2_000);
        // At or before `reset`, and at most the learnt length after the answer.
        assert_eq!(budget.window_end, 1_002_000);
        for _ in 0..19 {
            assert_eq!(budget.acquire(1_000_010), Decision::Go);
        }
        assert_eq!(
            budget.acquire(1_000_010),
            Decision::Wait {
                until: budget.window_end,
                firm: true
            }
        );
        // The window turns: 20 more.
        let end = budget.window_end;
        for _ in 0..20 {
            assert_eq!(budget.acquire(end), Decision::Go);
        }
        assert!(matches!(
            budget.acquire(end),
            Decision::Wait { firm: false, .. }
        ));
        // A late answer from the previous window changes nothing.
        budget.observe(&answer(1_000_010, end + 1, 20, 0, 1_002));
        assert_eq!(budget.remaining, 0);
        budget.observe(&answer(end, end + 2, 20, 19, 1_004));
        assert_eq!(budget.window_end, 1_004_000);
    }

    #[test]
    fn an_abandoned_probe_gives_its_lease_back_and_only_its_own() {
        let mut budget = Budget::default();
        assert_eq!(budget.acquire(1_000), Decision::Go);
        // Another lease than the one held: nothing changes.
        budget.release_probe(1_000 + PROBE_LEASE_MS - 1);
        assert!(matches!(budget.acquire(1_001), Decision::Wait { .. }));
        budget.release_probe(1_000 + PROBE_LEASE_MS);
        assert_eq!(
            budget.acquire(1_002),
            Decision::Go,
            "the next call probes at once"
        );
    }

    #[test]
    fn other_clients_use_is_counted_and_429_blocks() {
        let mut budget = Budget::default();
        assert_eq!(budget.acquire(0), Decision::Go);
        budget.observe(&answer(0, 5, 100, 50, 60));
        assert_eq!(budget.remaining, 50);
        assert_eq!(budget.window_end, 60_000);
        assert_eq!(budget.acquire(10), Decision::Go);
        budget.observe(&answer(10, 12, 100, 3, 60));
        assert_eq!(budget.remaining, 3);
        budget.observe(&Observation {
            sent_at: 20,
            received_at: 25,
            throttled: true,
            retry_after_ms: Some(7_000),
            ..Observation::default()
        });
        assert_eq!(
            budget.acquire(30),
            Decision::Wait {
                until: 7_025,
                firm: true
            }
        );
    }

    #[test]
    fn route_limits_do_not_block_the_company_and_silence_means_unmetered() {
        let mut budget = Budget::default();
        assert_eq!(budget.acquire(0), Decision::Go);
        budget.observe(&Observation {
            sent_at: 0,
            received_at: 1,
            ..Observation::default()
        });
        for _ in 0..1000 {
            assert_eq!(budget.acquire(2), Decision::Go);
        }
        budget.observe(&Observation {
            throttled: true,
            route_only: true,
            ..Observation::default()
        });
        assert_eq!(budget.acquire(3), Decision::Go);
    }
}
