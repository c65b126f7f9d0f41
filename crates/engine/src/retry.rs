//! When a failed attempt is tried again, and after how long.
//!
//! Reads and Front's idempotent writes (GET, PUT, DELETE) are retried on 5xx answers, timeouts
//! and dropped connections. POST and PATCH create or change something each time they are
//! processed, so they are retried only when the caller sent an `Idempotency-Key`, and then
//! only when Front certainly did not process them: a 5xx answer, or a connection that failed
//! before the request went out. A POST whose answer was lost is never sent again, key or not:
//! Front has no idempotency keys of its own, so a second send could create a second object.
//! A 429 is retried for every method (Front refused it unprocessed) once the budget allows.
//! Nothing else is retried: a redirect (never followed) or a 4xx, including Front refusing the
//! request as too large (413, 414, 431), would only be answered the same again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actionhub_catalog::Method;

/// Attempts per call, the first included.
pub const MAX_ATTEMPTS: usize = 6;
/// The first backoff; each later one doubles, up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How an attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Front answered 5xx.
    ServerError,
    /// No connection could be made: the request never left.
    NotSent,
    /// The request was sent and its answer did not arrive whole (timeout, dropped connection).
    AnswerLost,
}

/// Whether a failed attempt of `method` may be made again.
pub fn may_retry(method: Method, failure: Failure, idempotency_key: bool) -> bool {
    match method {
        Method::Get | Method::Put | Method::Delete => true,
        Method::Post | Method::Patch => {
            idempotency_key && matches!(failure, Failure::ServerError | Failure::NotSent)
        }
    }
}

/// The pause before retry number `retry` (1-based): exponential, capped, with "equal jitter"
/// (half fixed, half random) so that callers who failed together do not retry together.
pub fn backoff(retry: u32) -> Duration {
    let exponential = BASE_BACKOFF
        .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    let half = exponential / 2;
    let jitter = u32::try_from(random() % 1_000).unwrap_or(0);
    half + half * jitter / 1_000
}

/// A small, fast, non-cryptographic generator (SplitMix64) for jitter only.
fn random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut seed = STATE.load(Ordering::Relaxed);
    if seed == 0 {
        seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64 | 1);
    }
    let next = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    STATE.store(next, Ordering::Relaxed);
    let mut z = next;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_without_a_key_are_never_retried() {
        for failure in [Failure::ServerError, Failure::NotSent, Failure::AnswerLost] {
            assert!(may_retry(Method::Get, failure, false));
            assert!(may_retry(Method::Delete, failure, false));
            assert!(!may_retry(Method::Post, failure, false));
            assert!(!may_retry(Method::Patch, failure, false));
        }
        assert!(may_retry(Method::Post, Failure::ServerError, true));
        assert!(!may_retry(Method::Post, Failure::AnswerLost, true));
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        for retry in 1..20 {
            let pause = backoff(retry);
            let ceiling = BASE_BACKOFF
                .saturating_mul(1 << (retry - 1).min(16))
                .min(MAX_BACKOFF);
            assert!(
                pause >= ceiling / 2 && pause <= ceiling,
                "{retry}: {pause:?}"
            );
        }
    }
}
