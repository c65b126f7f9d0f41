//! actionhub's background work: following Front's event streams and delivering signed webhooks.
//!
//! [`Worker::spawn`] starts three loops beside the server (`serve` and `demo` start it):
//!
//! - **Following** (`follow`): for each Front company some webhook endpoint listens to, one
//!   hub at a time (a lease in the database) reads Front's `GET /events` through the engine
//!   (`front_list_events`, paced with the company's other calls), oldest first from a durable
//!   cursor, and stores each page's new events with their deliveries in the transaction that
//!   moves the cursor on. Idle, a company is polled every `poll_interval`; while pages come
//!   back full, at once; always within `budget_share` of the company's learnt budget.
//! - **Delivering** (`deliver`): due deliveries are claimed (one hub per delivery), signed
//!   ([`security`]) and POSTed; every attempt is recorded, failures are retried on the
//!   [`RetrySchedule`], and an endpoint failing for `disable_after` is disabled.
//!
//! - **Expiring** (`expire`): every `approval_sweep`, pending approvals past their expiry
//!   are marked `expired`.
//!
//! Delivery is at least once: a message keeps its id (`webhook-id`) on every attempt, replay
//! and retry, so receivers de-duplicate with it.
//!
//! It must never send a webhook to an address the [`security::AddressPolicy`] refuses, follow a
//! redirect, log or store a secret (signing secrets, tokens) or a receiver's answer beyond a
//! short cleaned excerpt, call Front other than through the engine, or answer HTTP requests
//! (the server exposes the routes).

mod deliver;
mod expire;
mod follow;
pub mod security;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use actionhub_engine::FrontClient;
use actionhub_store::Store;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use security::AddressPolicy;

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("cannot build the webhook HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("the operating system's random number generator failed")]
    Entropy,
}

/// The delays between a failed attempt and the next one; past the last, a message fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<Duration>);

impl Default for RetrySchedule {
    /// Svix's schedule: after the first attempt, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h
    /// (about 27.5 hours in all).
    fn default() -> RetrySchedule {
        const MINUTE: u64 = 60;
        const HOUR: u64 = 60 * MINUTE;
        RetrySchedule(
            [
                5,
                5 * MINUTE,
                30 * MINUTE,
                2 * HOUR,
                5 * HOUR,
                10 * HOUR,
                10 * HOUR,
            ]
            .into_iter()
            .map(Duration::from_secs)
            .collect(),
        )
    }
}

impl FromStr for RetrySchedule {
    type Err = String;

    /// Comma-separated durations with a unit: `ms`, `s`, `m` or `h` (`5s,5m,30m,2h`); empty
    /// means no retries.
    fn from_str(text: &str) -> Result<RetrySchedule, String> {
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                let split = item
                    .find(|c: char| !c.is_ascii_digit())
                    .ok_or_else(|| format!("`{item}` has no unit (ms, s, m or h)"))?;
                let (number, unit) = item.split_at(split);
                let number: u64 = number
                    .parse()
                    .map_err(|_| format!("`{item}` does not start with a number"))?;
                let millis = match unit {
                    "ms" => 1,
                    "s" => 1_000,
                    "m" => 60_000,
                    "h" => 3_600_000,
                    _ => return Err(format!("`{item}`: the unit must be ms, s, m or h")),
                };
                Ok(Duration::from_millis(number.saturating_mul(millis)))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(RetrySchedule)
    }
}

/// How the worker behaves (`serve` flags and environment).
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How often an idle company's events are read (`--events-poll-secs`).
    pub poll_interval: Duration,
    /// How long a hub's hold on a company's stream lasts unless renewed; another hub takes over
    /// a stream whose lease has run out.
    pub lease: Duration,
    pub retry_schedule: RetrySchedule,
    /// An endpoint whose every attempt has failed for this long is disabled.
    pub disable_after: Duration,
    /// How long a receiver has to answer one attempt.
    pub delivery_timeout: Duration,
    /// How often due deliveries are looked for when nothing in this process signalled one.
    pub delivery_poll: Duration,
    /// Attempts in flight at once.
    pub concurrency: u32,
    /// The share of a company's learnt rate budget the follower may use (twice that while
    /// events wait and the budget is less than half booked, at most half), so that actions
    /// keep the rest.
    pub budget_share: f64,
    pub address_policy: AddressPolicy,
    /// How often pending approvals past their expiry are marked `expired`
    /// (`--approval-sweep-secs`).
    pub approval_sweep: Duration,
}

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        WorkerConfig {
            poll_interval: Duration::from_secs(15),
            lease: Duration::from_secs(60),
            retry_schedule: RetrySchedule::default(),
            disable_after: Duration::from_secs(5 * 24 * 60 * 60),
            delivery_timeout: Duration::from_secs(15),
            delivery_poll: Duration::from_secs(1),
            concurrency: 16,
            budget_share: 0.1,
            address_policy: AddressPolicy::PublicOnly,
            approval_sweep: Duration::from_secs(5),
        }
    }
}

/// What the worker reports as it goes; the server's `/metrics` implements it.
pub trait Observer: Send + Sync + std::fmt::Debug {
    /// Events read from a company's stream: `new` ones stored, `seen` ones skipped (read again
    /// at a page boundary, or stored by another hub).
    fn events_followed(&self, new: u64, seen: u64);
    /// How far behind Front a company's stream is: zero once caught up, else the age of the
    /// newest event taken.
    fn stream_lag(&self, company: &str, lag: Duration);
    /// One attempt: its outcome (`delivered`, `retrying` or `failed`) and how long it took.
    fn delivery_attempt(&self, outcome: &'static str, took: Duration);
}

/// What the loops share.
#[derive(Debug)]
struct Context {
    store: Store,
    front: FrontClient,
    config: WorkerConfig,
    /// This hub's name in leases and claims.
    holder: String,
    http: reqwest::Client,
    /// Signalled when this hub queued deliveries, so they go out without waiting for a poll.
    queued: Notify,
    observer: Arc<dyn Observer>,
}

/// The running background work. [`Worker::shutdown`] stops it cleanly (leases given up,
/// attempts in flight recorded); dropping it aborts it, as a killed process would.
#[derive(Debug)]
pub struct Worker {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Worker {
    /// Starts following, delivering and expiring in the current runtime, reporting to `observer`.
    pub fn spawn(
        store: Store,
        front: FrontClient,
        config: WorkerConfig,
        observer: Arc<dyn Observer>,
    ) -> Result<Worker, WorkerError> {
        let http = deliver::client(&config).map_err(WorkerError::Client)?;
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(|_| WorkerError::Entropy)?;
        let holder = format!(
            "hub_{}",
            id.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let context = Arc::new(Context {
            store,
            front,
            config,
            holder,
            http,
            queued: Notify::new(),
            observer,
        });
        let (stop, stopped) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(follow::supervise(context.clone(), stopped.clone())),
            tokio::spawn(deliver::run(context.clone(), stopped.clone())),
            tokio::spawn(expire::run(context, stopped)),
        ];
        Ok(Worker { stop, tasks })
    }

    /// Stops the loops: streams are given up for other hubs to take at once, and attempts in
    /// flight finish and are recorded.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A spawned task that is aborted when its handle is dropped, so aborting a loop aborts what it
/// started.
#[derive(Debug)]
struct OwnedTask(JoinHandle<()>);

impl Drop for OwnedTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Waits `duration`, or less if `stop` turns true; returns whether to stop.
async fn pause(duration: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        () = tokio::time::sleep(duration) => false,
        _ = stop.changed() => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_schedules_parse_with_units() {
        let parsed: RetrySchedule = "5s, 5m,30m,2h,5h,10h,10h".parse().unwrap();
        assert_eq!(parsed, RetrySchedule::default());
        assert_eq!(
            "10ms".parse::<RetrySchedule>().unwrap().0,
            [Duration::from_millis(10)]
        );
        assert!("".parse::<RetrySchedule>().unwrap().0.is_empty());
        assert!("5".parse::<RetrySchedule>().is_err());
        assert!("5d".parse::<RetrySchedule>().is_err());
    }
}
