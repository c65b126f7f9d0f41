//! In-process counters for `GET /metrics` (Prometheus text format): runs by action and
//! outcome, Front's latency per request, time spent queued for a company's budget, the
//! worker's events followed, stream lag per company and webhook attempts (as its
//! `Observer`), and, when budgets are shared through Redis, whether they are now and how
//! often the hub fell back.
//! Recording is a few atomic additions (and one short lock for the run counters).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use actionhub_engine::SharedPacing;

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0,
];
/// Upper bounds of the pacer wait buckets, in seconds.
const WAIT_BUCKETS: [f64; 10] = [0.001, 0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];

#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: Duration) {
        let seconds = value.as_secs_f64();
        if let Some(bucket) = self.bounds.iter().position(|bound| seconds <= *bound) {
            self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        }
        self.sum_micros.fetch_add(
            u64::try_from(value.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// The hub's metrics.
#[derive(Debug)]
pub struct Metrics {
    /// (action, outcome) → runs. Actions are catalogue ids (or `unknown`), so the label set is
    /// bounded.
    runs: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    upstream: Histogram,
    pacer_wait: Histogram,
    /// Events read from Front's streams: (new, seen again).
    events_followed: [AtomicU64; 2],
    /// Front company → how far behind its stream is, in seconds.
    stream_lag: Mutex<BTreeMap<String, f64>>,
    /// Webhook attempts by outcome (`delivered`, `retrying`, `failed`).
    deliveries: Mutex<BTreeMap<&'static str, u64>>,
    delivery_latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            runs: Mutex::new(BTreeMap::new()),
            upstream: Histogram::new(&LATENCY_BUCKETS),
            pacer_wait: Histogram::new(&WAIT_BUCKETS),
            events_followed: [AtomicU64::new(0), AtomicU64::new(0)],
            stream_lag: Mutex::new(BTreeMap::new()),
            deliveries: Mutex::new(BTreeMap::new()),
            delivery_latency: Histogram::new(&LATENCY_BUCKETS),
        }
    }
}

impl Metrics {
    /// Counts one run.
    pub fn run(&self, action: &'static str, outcome: &'static str) {
        let mut runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        *runs.entry((action, outcome)).or_default() += 1;
    }

    /// One request to Front took `took`.
    pub fn upstream(&self, took: Duration) {
        self.upstream.observe(took);
    }

    /// A call waited `waited` for its company's budget (only calls that waited are counted).
    pub fn pacer_wait(&self, waited: Duration) {
        self.pacer_wait.observe(waited);
    }

    /// The Prometheus text exposition; `shared_pacing` is the client's, when budgets are shared.
    pub fn render(&self, shared_pacing: Option<&SharedPacing>) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP actionhub_runs_total Executions of actions, by action and outcome.\n\
             # TYPE actionhub_runs_total counter\n",
        );
        for ((action, outcome), count) in self
            .runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "actionhub_runs_total{{action=\"{action}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        self.upstream.write(
            &mut out,
            "actionhub_upstream_request_duration_seconds",
            "Time of each request to Front, answer included.",
        );
        self.pacer_wait.write(
            &mut out,
            "actionhub_pacer_wait_seconds",
            "Time calls waited for their Front company's rate budget (calls that waited).",
        );
        self.render_webhooks(&mut out);
        if let Some(pacing) = shared_pacing {
            let _ = writeln!(
                out,
                "# HELP actionhub_pacer_shared 1 while rate budgets are kept in Redis, shared with other hubs; 0 while this hub paces alone because Redis fails.\n\
                 # TYPE actionhub_pacer_shared gauge\n\
                 actionhub_pacer_shared {}\n\
                 # HELP actionhub_pacer_fallbacks_total Times this hub fell back to in-process pacing because Redis failed.\n\
                 # TYPE actionhub_pacer_fallbacks_total counter\n\
                 actionhub_pacer_fallbacks_total {}",
                u8::from(pacing.is_shared()),
                pacing.fallbacks()
            );
        }
        out
    }
}

impl Metrics {
    fn render_webhooks(&self, out: &mut String) {
        let [new, seen] = &self.events_followed;
        let _ = writeln!(
            out,
            "# HELP actionhub_events_followed_total Events read from Front's event streams: new (stored and queued) or seen (already taken).\n\
             # TYPE actionhub_events_followed_total counter\n\
             actionhub_events_followed_total{{outcome=\"new\"}} {}\n\
             actionhub_events_followed_total{{outcome=\"seen\"}} {}\n\
             # HELP actionhub_event_stream_lag_seconds How far behind Front each followed company's stream is (0 once caught up).\n\
             # TYPE actionhub_event_stream_lag_seconds gauge",
            new.load(Ordering::Relaxed),
            seen.load(Ordering::Relaxed)
        );
        for (company, lag) in self
            .stream_lag
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "actionhub_event_stream_lag_seconds{{company=\"{company}\"}} {lag}"
            );
        }
        out.push_str(
            "# HELP actionhub_webhook_attempts_total Webhook delivery attempts, by what followed: delivered, retrying or failed.\n\
             # TYPE actionhub_webhook_attempts_total counter\n",
        );
        for (outcome, count) in self
            .deliveries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "actionhub_webhook_attempts_total{{outcome=\"{outcome}\"}} {count}"
            );
        }
        self.delivery_latency.write(
            out,
            "actionhub_webhook_attempt_duration_seconds",
            "Time of each webhook attempt, the receiver's answer included.",
        );
    }
}

impl actionhub_worker::Observer for Metrics {
    fn events_followed(&self, new: u64, seen: u64) {
        self.events_followed[0].fetch_add(new, Ordering::Relaxed);
        self.events_followed[1].fetch_add(seen, Ordering::Relaxed);
    }

    fn stream_lag(&self, company: &str, lag: Duration) {
        // Company ids are Front's (`cmp_…`), never secrets; their number is bounded by the
        // accounts linked.
        self.stream_lag
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(company.to_owned(), lag.as_secs_f64());
    }

    fn delivery_attempt(&self, outcome: &'static str, took: Duration) {
        *self
            .deliveries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(outcome)
            .or_default() += 1;
        self.delivery_latency.observe(took);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let metrics = Metrics::default();
        metrics.run("front_list_tags", "ok");
        metrics.run("front_list_tags", "ok");
        metrics.upstream(Duration::from_micros(700));
        metrics.pacer_wait(Duration::from_millis(1500));
        let text = metrics.render(None);
        assert!(text.contains("actionhub_runs_total{action=\"front_list_tags\",outcome=\"ok\"} 2"));
        assert!(
            text.contains("actionhub_upstream_request_duration_seconds_bucket{le=\"0.001\"} 1")
        );
        assert!(text.contains("actionhub_pacer_wait_seconds_bucket{le=\"1\"} 0"));
        assert!(text.contains("actionhub_pacer_wait_seconds_bucket{le=\"2\"} 1"));
        assert!(text.contains("actionhub_pacer_wait_seconds_count 1"));
        // Budgets kept in this process only: nothing to say about sharing them.
        assert!(!text.contains("actionhub_pacer_shared"));
    }

    #[test]
    fn renders_whether_budgets_are_shared() {
        let shared = std::sync::Arc::new(actionhub_engine::MemoryPacer::new());
        let pacer = actionhub_engine::FallbackPacer::new(shared);
        let text = Metrics::default().render(Some(&pacer.status()));
        assert!(text.contains("# TYPE actionhub_pacer_shared gauge\nactionhub_pacer_shared 1\n"));
        assert!(text.contains(
            "# TYPE actionhub_pacer_fallbacks_total counter\nactionhub_pacer_fallbacks_total 0\n"
        ));
    }
}
