//! The run log writer: executions are recorded off the request path, in batches, by one
//! background task, and [`RunLog::flush`] (called at shutdown) waits until every run recorded
//! before it is in the database.
//!
//! Runs are gathered for up to [`GATHER`] before a write, so a busy hub writes a few
//! transactions a second rather than one per call (each is a disk sync on SQLite). While it
//! gathers, the writer sleeps instead of receiving: recording a run then costs a queue push, not
//! a wake-up of the writer (on a multi-threaded runtime, a cross-thread wake-up per call). A
//! process killed outright loses at most that much of the log; a graceful stop loses nothing:
//! [`RunLog::finish`] also waits for runs still going on (their callers may have gone).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actionhub_store::{Run, Store};
use tokio::sync::{Notify, mpsc, oneshot};

/// Runs written per transaction at most.
const BATCH: usize = 256;
/// How long runs are gathered before they are written.
const GATHER: Duration = Duration::from_millis(200);
/// Runs waiting to be written before recording waits for the writer (backpressure instead of
/// unbounded memory).
const QUEUE: usize = 8192;

enum Message {
    Run(Box<Run>),
    Flush(oneshot::Sender<()>),
}

/// What the writer task is started with.
type Writer = (mpsc::Receiver<Message>, Store, Arc<Notify>);

/// Runs started and not yet recorded.
#[derive(Default)]
struct InFlight {
    runs: AtomicUsize,
    /// Signalled when the last run in flight is recorded.
    idle: Notify,
}

/// A run in flight: held until the run is recorded, so that a stopping hub waits for it.
pub struct RunInFlight(Arc<InFlight>);

impl Drop for RunInFlight {
    fn drop(&mut self) {
        if self.0.runs.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// A handle on the writer. Cheap to clone.
#[derive(Clone)]
pub struct RunLog {
    sender: mpsc::Sender<Message>,
    in_flight: Arc<InFlight>,
    /// Cuts the writer's gathering short when a flush is asked for.
    flush_asked: Arc<Notify>,
    /// The writer's inbox until the writer starts (on first use, inside the runtime).
    pending: Arc<Mutex<Option<Writer>>>,
}

impl std::fmt::Debug for RunLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunLog").finish_non_exhaustive()
    }
}

impl RunLog {
    pub fn new(store: Store) -> RunLog {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let flush_asked = Arc::new(Notify::new());
        RunLog {
            sender,
            in_flight: Arc::default(),
            flush_asked: flush_asked.clone(),
            pending: Arc::new(Mutex::new(Some((receiver, store, flush_asked)))),
        }
    }

    fn start(&self) {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((receiver, store, flush_asked)) = pending {
            tokio::spawn(write_runs(receiver, store, flush_asked));
        }
    }

    /// Queues one run for writing.
    pub async fn record(&self, run: Run) {
        self.start();
        if self.sender.send(Message::Run(Box::new(run))).await.is_err() {
            tracing::error!("the run log writer has stopped; a run was not recorded");
        }
    }

    /// Marks a run as started; [`RunLog::finish`] waits until the guard is dropped (once the run
    /// is recorded).
    pub fn run_started(&self) -> RunInFlight {
        self.in_flight.runs.fetch_add(1, Ordering::AcqRel);
        RunInFlight(self.in_flight.clone())
    }

    /// For a stopping hub: waits for the runs in flight to be recorded, then until everything
    /// recorded is written.
    pub async fn finish(&self) {
        loop {
            // Created before the check, so that the last run ending in between still wakes it.
            let idle = self.in_flight.idle.notified();
            if self.in_flight.runs.load(Ordering::Acquire) == 0 {
                break;
            }
            idle.await;
        }
        self.flush().await;
    }

    /// Waits until every run recorded so far is written.
    pub async fn flush(&self) {
        self.start();
        let (done, written) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            self.flush_asked.notify_one();
            let _ = written.await;
        }
    }
}

async fn write_runs(mut receiver: mpsc::Receiver<Message>, store: Store, flush_asked: Arc<Notify>) {
    let mut messages = Vec::with_capacity(BATCH);
    let mut runs = Vec::with_capacity(BATCH);
    let mut flushes = Vec::new();
    while receiver.recv_many(&mut messages, BATCH).await > 0 {
        let flushing = messages.iter().any(|m| matches!(m, Message::Flush(_)));
        if !flushing && messages.len() < BATCH {
            tokio::select! {
                () = tokio::time::sleep(GATHER) => {}
                () = flush_asked.notified() => {}
            }
            while messages.len() < BATCH {
                match receiver.try_recv() {
                    Ok(message) => messages.push(message),
                    Err(_) => break,
                }
            }
        }
        for message in messages.drain(..) {
            match message {
                Message::Run(run) => runs.push(*run),
                Message::Flush(done) => flushes.push(done),
            }
        }
        if let Err(error) = store.insert_runs(&runs).await {
            tracing::error!(%error, runs = runs.len(), "the run log could not be written");
        }
        runs.clear();
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use actionhub_store::{Keyring, RunFilter, Timestamp, new_run_id};
    use actionhub_testkit::{KEY_V1, TestDatabase};

    use super::*;

    #[tokio::test]
    async fn finishing_waits_for_the_runs_in_flight_and_writes_them() {
        let db = TestDatabase::sqlite();
        let store = Store::open(db.url(), Keyring::parse(KEY_V1).unwrap())
            .await
            .unwrap();
        let project = store.project("default").await.unwrap();
        let run_log = RunLog::new(store.clone());
        let in_flight = run_log.run_started();
        let finishing = tokio::spawn({
            let run_log = run_log.clone();
            async move { run_log.finish().await }
        });
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(!finishing.is_finished(), "finished with a run in flight");
        let started_at = Timestamp::now();
        run_log
            .record(Run {
                id: new_run_id(started_at).unwrap(),
                project_id: project.id.clone(),
                account_id: "acc_1".to_owned(),
                action: "front_create_tag".to_owned(),
                source: "rpc".to_owned(),
                outcome: "ok".to_owned(),
                front_status: Some(201),
                duration_us: 1,
                retries: 0,
                waited_ms: 0,
                error: None,
                started_at,
            })
            .await;
        drop(in_flight);
        finishing.await.unwrap();
        let filter = RunFilter {
            account_id: None,
            limit: 10,
        };
        assert_eq!(
            store.list_runs(&project.id, &filter).await.unwrap().len(),
            1
        );
    }
}
