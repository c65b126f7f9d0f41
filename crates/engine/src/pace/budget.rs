//! The pacing rules of one Front company, as a pure state machine over Unix milliseconds. The
//! in-process pacer runs them under a mutex; the Redis pacer runs the same rules in Lua
//! (`acquire.lua`, `observe.lua`), and the tests run both through the same scenarios.
//!
//! Front limits a company two ways, and both are paced ahead of time:
//! - **The window budget**: `x-ratelimit-limit` (L) requests per window (a minute at Front),
//!   the window starting with the first request after the previous one ended; search may use
//!   40% of it. Every answer carries `x-ratelimit-limit`, `-remaining` (R) and `-reset` (X,
//!   Unix seconds, rounded up).
//! - **Burst limits**: about 5 requests per second per resource type (the route class: the
//!   first path segment; search counts as conversations), refused with `x-front-tier`.
//!
//! Each call *reserves* a time: the first moment at which its window still has room (and
//! search its share) and its route class has sent fewer than its burst in the second before.
//! Reservations are made in arrival order, so later callers get later times by construction,
//! and a caller sleeps until its time without asking again. A time past the caller's deadline
//! is refused without being reserved.
//!
//! Windows after the current one are provisional: opened by their first reservation, they end
//! at most the window's length plus a round trip later (Front starts a window when a request
//! arrives, which is after it was sent). Nothing is reserved in the last two round trips of a
//! window, since the estimate of its end may be one round trip late. Answers refine the
//! current window: Front's count (other clients use the budget too), Front's `reset` (a
//! shorter window is followed at once), and, from the first answer of a window (R = L - 1),
//! the window's length to the second.
//!
//! Before the first answer nothing is known, so one probe goes alone. A successful answer
//! without rate-limit headers leaves the company unmetered (burst limits then apply once one
//! is met); an error without them (a proxy's 502 page) teaches nothing and the next call
//! probes again. Attempts Front did not count (a route's 429, a 503) give their slot back.

/// How long a probe (the first request to an unknown company) holds the others back before a
/// hub that lost it lets another go.
pub const PROBE_LEASE_MS: i64 = 5_000;
/// Wait after a 429 that carried no `retry-after`.
pub const DEFAULT_RETRY_AFTER_MS: i64 = 1_000;
/// A window of unknown length is taken to be Front's (a minute).
pub const DEFAULT_WINDOW_MS: i64 = 60_000;
/// Requests per second per route class until Front says otherwise: Front's documented
/// general burst limit.
pub const DEFAULT_BURST: i64 = 5;
/// The period burst limits count over.
pub const BURST_PERIOD_MS: i64 = 1_000;
/// Search may use this share of the window budget.
pub const SEARCH_SHARE_PERCENT: i64 = 40;
/// Slack for timer and scheduling jitter between a reserved time and the request's arrival.
pub const MARGIN_MS: i64 = 20;
/// Round trips longer than this (a slow answer) are not allowed to widen the margins further.
pub const MAX_RTT_MS: i64 = 2_000;

/// `limit` before anything is known.
const UNKNOWN: i64 = 0;
/// `limit` of a company whose answers carry no rate-limit headers.
const UNMETERED: i64 = -1;

/// The outcome of asking for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A slot is reserved at `at` (Unix ms; now or later): send then, without asking again.
    /// `window` names the window it was counted in, to give it back if Front does not count
    /// the attempt.
    Go { at: i64, window: i64 },
    /// The company's limits are being learnt (a probe is out): ask again at `until`, or
    /// sooner when the probe's answer arrives.
    Wait { until: i64 },
    /// The first free slot, at `until`, is past the caller's deadline; nothing was reserved.
    Refused { until: i64 },
}

/// What one answer from Front said about the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Observation {
    /// When the request was sent and its answer received (Unix ms).
    pub sent_at: i64,
    pub received_at: i64,
    /// The window the request's slot was reserved in ([`Decision::Go`]'s `window`).
    pub window: i64,
    /// Front's HTTP status; 0 when no answer came.
    pub status: u16,
    /// `x-ratelimit-limit`, `-remaining`, `-reset` (Unix seconds).
    pub limit: Option<i64>,
    pub remaining: Option<i64>,
    pub reset: Option<i64>,
    /// A 429: the company's budget (or one route's) is spent for `retry_after_ms`.
    pub throttled: bool,
    pub retry_after_ms: Option<i64>,
    /// The 429 concerned one route only (`x-front-tier`, or search's share while the company
    /// budget had room): Front did not count it against the company.
    pub route_only: bool,
    /// The 429 named a burst tier (`x-front-tier`).
    pub tier: bool,
    /// No answer at all (connection failed): only releases a probe.
    pub failed: bool,
}

impl Observation {
    /// Front refused the attempt without counting it: a route's own limit, or a 503.
    fn uncounted(&self) -> bool {
        (self.throttled && self.route_only) || self.status == 503
    }
}

/// The state kept per company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Budget {
    /// L; 0 until known, -1 when Front sends no rate-limit headers.
    pub limit: i64,
    /// Learnt window length in ms; 0 when unknown.
    pub window_ms: i64,
    /// A recent long round trip (decaying maximum), which widens the margins.
    pub rtt_ms: i64,
    /// The window the latest reservation lies in: its start (its id), estimated end (an upper
    /// bound of Front's), and how much of it is reserved, in all and by search.
    pub win_start: i64,
    pub win_end: i64,
    pub used: i64,
    pub search_used: i64,
    /// Nothing is sent before this (a company 429's `retry-after`).
    pub blocked_until: i64,
    pub probe_until: i64,
}

/// The state kept per company and route class: its burst limit and latest reservations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bucket {
    /// Requests per second; 0 until a burst 429 teaches it (then [`DEFAULT_BURST`] at most).
    pub burst: i64,
    /// Nothing of the class is sent before this (a burst 429's `retry-after`).
    pub blocked_until: i64,
    /// The latest reserved times, oldest first, at most `burst` of them.
    pub recent: Vec<i64>,
}

/// Which limits a route counts against: its class's burst limit and, for search, the share.
pub fn route_class(route: &str) -> (&str, bool) {
    let class = route.split('/').next().unwrap_or(route);
    (class, route != class && route.ends_with("/search"))
}

impl Budget {
    /// The window learnt, or Front's minute until an answer that opens one has taught it.
    pub fn window_len(&self) -> i64 {
        if self.window_ms > 0 {
            self.window_ms
        } else {
            DEFAULT_WINDOW_MS
        }
    }

    fn search_share(&self) -> i64 {
        (self.limit * SEARCH_SHARE_PERCENT / 100).max(1)
    }

    /// The burst limit `bucket` is paced at: Front's documented default while the company is
    /// metered, and only once learnt for an unmetered one (a Front without limits).
    fn burst_of(&self, bucket: &Bucket) -> i64 {
        if bucket.burst > 0 {
            bucket.burst
        } else if self.limit > 0 {
            DEFAULT_BURST
        } else {
            0
        }
    }

    /// Asks for one slot at `now` for a caller that gives up at `deadline`.
    pub fn acquire(
        &mut self,
        bucket: &mut Bucket,
        search: bool,
        now: i64,
        deadline: i64,
    ) -> Decision {
        if self.limit == UNKNOWN {
            if self.blocked_until > deadline {
                return Decision::Refused {
                    until: self.blocked_until,
                };
            }
            // The probe's lease is only how long a lost answer holds the others back: its
            // answer usually comes much sooner, so a caller waits for it whatever its deadline.
            let until = self.probe_until.max(self.blocked_until);
            if until > now {
                return Decision::Wait { until };
            }
            self.probe_until = now + PROBE_LEASE_MS;
            // Counted in its class's burst whatever the limit turns out to be.
            bucket.reserve(now, self.burst_of(bucket).max(DEFAULT_BURST));
            return Decision::Go { at: now, window: 0 };
        }
        let rtt = self.rtt_ms;
        let burst = self.burst_of(bucket);
        let mut at = now.max(self.blocked_until).max(bucket.blocked_until);
        if burst > 0 && bucket.recent.len() >= burst as usize {
            let oldest = bucket.recent[bucket.recent.len() - burst as usize];
            // Arrivals jitter by up to a round trip around the sending times.
            at = at.max(oldest + BURST_PERIOD_MS + rtt + MARGIN_MS);
        }
        let mut window = *self;
        if window.limit > 0 {
            let share = window.search_share();
            // The latest reservation's window may lie ahead: nothing goes before it opens.
            at = at.max(window.win_start);
            loop {
                if at >= window.win_end {
                    // A new window, opened by this reservation: Front starts it when the
                    // request arrives, at most a round trip after `at`.
                    window.win_start = at;
                    window.win_end = at + window.window_len() + rtt + MARGIN_MS;
                    window.used = 0;
                    window.search_used = 0;
                }
                let room = window.used < window.limit
                    && (!search || window.search_used < share)
                    && at < window.win_end - 2 * rtt - MARGIN_MS;
                if room {
                    break;
                }
                at = at.max(window.win_end + MARGIN_MS);
            }
        }
        if at > deadline {
            return Decision::Refused { until: at };
        }
        if window.limit > 0 {
            window.used += 1;
            window.search_used += i64::from(search);
        }
        *self = window;
        bucket.reserve(at, burst);
        Decision::Go {
            at,
            window: self.win_start,
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

    /// Learns from one answer to a request of `bucket`'s class (`search`: on search).
    pub fn observe(&mut self, bucket: &mut Bucket, search: bool, seen: &Observation) {
        self.probe_until = 0;
        if seen.failed {
            return;
        }
        let rtt = (seen.received_at - seen.sent_at).clamp(0, MAX_RTT_MS);
        self.rtt_ms = rtt.max(self.rtt_ms - self.rtt_ms / 8);
        if seen.uncounted() && seen.window == self.win_start && self.used > 0 {
            self.used -= 1;
            if search && self.search_used > 0 {
                self.search_used -= 1;
            }
        }
        if seen.throttled {
            let until = seen.received_at + seen.retry_after_ms.unwrap_or(DEFAULT_RETRY_AFTER_MS);
            if seen.route_only && search && !seen.tier {
                // Search's share is spent: later searches go to the next window.
                if seen.window == self.win_start {
                    self.search_used = self.search_share();
                }
            } else if seen.route_only {
                bucket.refused(seen, until, self.burst_of(bucket));
            } else {
                self.blocked_until = self.blocked_until.max(until);
                if self.limit > 0 && self.win_start <= seen.sent_at {
                    // Front's window ends when its retry-after does, and it is full.
                    self.win_end = until;
                    self.used = self.limit;
                }
            }
            return;
        }
        let (Some(limit), Some(remaining), Some(reset)) = (seen.limit, seen.remaining, seen.reset)
        else {
            // A successful answer without limits: Front (or what stands in for it) has none.
            // An error page without them (a proxy's) teaches nothing.
            if self.limit == UNKNOWN && (200..300).contains(&seen.status) {
                self.limit = UNMETERED;
            }
            return;
        };
        let limit = limit.max(1);
        let first_of_window = remaining == limit - 1;
        let latest = reset * 1000;
        let mut end = latest;
        if first_of_window {
            // The window started in [sent_at, received_at] and ends in (latest - 1000,
            // latest]: when exactly one whole number of seconds fits, that is its length.
            let longest = latest - seen.sent_at;
            let shortest = latest - 1000 - seen.received_at;
            let whole = longest.div_euclid(1000) * 1000;
            if whole > shortest && whole > 0 {
                self.window_ms = whole;
            }
            if self.window_ms > 0 {
                end = end.min(seen.received_at + self.window_ms);
            }
        }
        if self.limit <= 0 {
            // The first answer with limits: the window it fell in is the current one.
            self.limit = limit;
            self.win_start = seen.sent_at;
            self.win_end = end;
            self.used = limit - remaining;
            self.search_used = i64::from(search);
            return;
        }
        self.limit = limit;
        let in_current = seen.sent_at >= self.win_start && seen.sent_at < self.win_end;
        if in_current {
            self.used = self.used.max(limit - remaining);
            self.win_end = self.win_end.min(end);
        } else if seen.sent_at >= self.win_end {
            // A window this pacer booked nothing in (the shared pacer did, before a fallback to
            // this one; or a call went late): Front's word on it is the latest there is.
            self.win_start = seen.sent_at;
            self.win_end = end;
            self.used = limit - remaining;
            self.search_used = i64::from(search);
        }
        // Older answers describe a window already over; the reservations ahead stand.
    }
}

impl Bucket {
    fn reserve(&mut self, at: i64, burst: i64) {
        if burst <= 0 {
            return;
        }
        self.recent.push(at);
        let keep = usize::try_from(burst).unwrap_or(1);
        if self.recent.len() > keep {
            let excess = self.recent.len() - keep;
            self.recent.drain(..excess);
        }
    }

    /// A burst 429: nothing more of the class before `until`, and a burst limit at most what
    /// this class had sent in the second before the refused request.
    fn refused(&mut self, seen: &Observation, until: i64, paced_at: i64) {
        self.blocked_until = self.blocked_until.max(until);
        let sent_before = self
            .recent
            .iter()
            .filter(|&&at| at < seen.sent_at && at > seen.sent_at - BURST_PERIOD_MS)
            .count();
        let sent_before = i64::try_from(sent_before).unwrap_or(i64::MAX);
        self.burst = if paced_at > 0 {
            paced_at.min(sent_before.max(1))
        } else {
            DEFAULT_BURST
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAR: i64 = i64::MAX;

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
            status: 200,
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(reset),
            ..Observation::default()
        }
    }

    fn go_at(decision: Decision) -> i64 {
        match decision {
            Decision::Go { at, .. } => at,
            other => panic!("expected a reservation, got {other:?}"),
        }
    }

    /// A company that answered its probe: 20 per 2-second window, learnt from the probe.
    fn learnt(bucket: &mut Bucket) -> Budget {
        let mut budget = Budget::default();
        assert_eq!(
            go_at(budget.acquire(bucket, false, 1_000_000, FAR)),
            1_000_000
        );
        assert!(matches!(
            budget.acquire(bucket, false, 1_000_001, FAR),
            Decision::Wait { .. }
        ));
        budget.observe(bucket, false, &answer(1_000_000, 1_000_003, 20, 19, 1_002));
        budget
    }

    #[test]
    fn a_probe_goes_alone_then_reservations_fill_windows_in_order() {
        let mut bucket = Bucket::default();
        let mut budget = learnt(&mut bucket);
        assert_eq!(budget.window_ms, 2_000);
        assert_eq!(budget.win_end, 1_002_000);
        let times: Vec<i64> = (0..40)
            .map(|_| go_at(budget.acquire(&mut bucket, false, 1_000_010, FAR)))
            .collect();
        assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
        // 19 more in the first window, at most 5 a second per class.
        let first: Vec<_> = times.iter().filter(|&&t| t < 1_002_000).collect();
        assert!(first.len() <= 19);
        for (i, t) in times.iter().enumerate().skip(5) {
            assert!(*t - times[i - 5] > BURST_PERIOD_MS, "{times:?}");
        }
        // The second window opens after the first ends.
        let later: Vec<_> = times.iter().filter(|&&t| t >= 1_002_000).collect();
        assert!(*later[0] > 1_002_000);
    }

    #[test]
    fn a_slot_past_the_deadline_is_refused_and_not_reserved() {
        let mut bucket = Bucket::default();
        let mut budget = learnt(&mut bucket);
        for _ in 0..5 {
            go_at(budget.acquire(&mut bucket, false, 1_000_010, FAR));
        }
        let before = (budget, bucket.clone());
        let refused = budget.acquire(&mut bucket, false, 1_000_010, 1_000_500);
        let Decision::Refused { until } = refused else {
            panic!("{refused:?}")
        };
        assert!(until > 1_001_000);
        assert_eq!((budget, bucket.clone()), before);
        assert_eq!(
            go_at(budget.acquire(&mut bucket, false, 1_000_010, FAR)),
            until
        );
    }

    #[test]
    fn search_has_its_share_and_uncounted_attempts_give_slots_back() {
        let mut bucket = Bucket::default();
        let mut budget = learnt(&mut bucket);
        let window = budget.win_start;
        for _ in 0..8 {
            assert!(go_at(budget.acquire(&mut bucket, true, 1_000_010, FAR)) < budget.win_end);
        }
        // 8 of 20 is search's share: the 9th goes to the next window.
        let ninth = go_at(budget.acquire(&mut bucket, true, 1_000_010, FAR));
        assert!(ninth >= 1_002_000);
        assert_eq!(budget.used, 1);
        // A burst 429 on this window's request: its slot is given back.
        let used = budget.used;
        budget.observe(
            &mut bucket,
            true,
            &Observation {
                window: budget.win_start,
                status: 429,
                throttled: true,
                route_only: true,
                tier: true,
                retry_after_ms: Some(500),
                sent_at: ninth,
                received_at: ninth + 2,
                ..Observation::default()
            },
        );
        assert_eq!(budget.used, used - 1);
        assert_ne!(window, budget.win_start);
        assert!(bucket.blocked_until >= ninth + 502);
    }

    #[test]
    fn a_proxy_error_without_headers_teaches_nothing_but_success_without_them_is_unmetered() {
        let mut bucket = Bucket::default();
        let mut budget = Budget::default();
        go_at(budget.acquire(&mut bucket, false, 0, FAR));
        budget.observe(
            &mut bucket,
            false,
            &Observation {
                status: 502,
                received_at: 5,
                ..Observation::default()
            },
        );
        // Still unknown: the next call probes alone.
        go_at(budget.acquire(&mut bucket, false, 6, FAR));
        assert!(matches!(
            budget.acquire(&mut bucket, false, 7, FAR),
            Decision::Wait { .. }
        ));
        budget.observe(
            &mut bucket,
            false,
            &Observation {
                status: 200,
                ..Observation::default()
            },
        );
        for _ in 0..100 {
            assert_eq!(go_at(budget.acquire(&mut bucket, false, 8, FAR)), 8);
        }
    }

    #[test]
    fn a_shorter_window_is_followed_at_once_and_other_clients_use_counts() {
        let mut bucket = Bucket::default();
        let mut budget = Budget::default();
        go_at(budget.acquire(&mut bucket, false, 0, FAR));
        // Mid-window: 100 per window, reset in 60 s.
        budget.observe(&mut bucket, false, &answer(0, 5, 100, 50, 60));
        assert_eq!((budget.used, budget.win_end), (50, 60_000));
        go_at(budget.acquire(&mut bucket, false, 10, FAR));
        // Front now says the window ends at 5 s, and others used more.
        budget.observe(&mut bucket, false, &answer(10, 12, 100, 3, 5));
        assert_eq!((budget.used, budget.win_end), (97, 5_000));
        budget.observe(
            &mut bucket,
            false,
            &Observation {
                sent_at: 20,
                received_at: 25,
                status: 429,
                throttled: true,
                retry_after_ms: Some(7_000),
                window: budget.win_start,
                ..Observation::default()
            },
        );
        assert!(go_at(budget.acquire(&mut bucket, false, 30, FAR)) >= 7_025);
    }

    #[test]
    fn routes_name_their_class_and_search() {
        assert_eq!(route_class("conversations/search"), ("conversations", true));
        assert_eq!(route_class("conversations"), ("conversations", false));
        assert_eq!(route_class("tags"), ("tags", false));
    }
}
