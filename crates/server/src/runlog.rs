//! The run log writer: executions are recorded off the request path, in batches, by one
//! background task, and [`RunLog::flush`] (called at shutdown) waits until every run recorded
//! before it is in the database.
//!
//! Runs are gathered for up to [`GATHER`] before a write, so a busy hub writes a few
//! transactions a second rather than one per call (each is a disk sync on SQLite). While it
//! gathers, the writer sleeps instead of receiving: recording a run then costs a queue push, not
//! a wake-up of the writer (on a multi-threaded runtime, a cross-thread wake-up per call). A
//! process killed outright loses at most that much of the log; a graceful stop loses nothing.

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

/// A handle on the writer. Cheap to clone.
#[derive(Clone)]
pub struct RunLog {
    sender: mpsc::Sender<Message>,
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
