//! The run log writer: executions are recorded off the request path, in batches, by one
//! background task, and [`RunLog::flush`] (called at shutdown) waits until every run recorded
//! before it is in the database.
//!
//! Runs are gathered for up to [`GATHER`] before a write, so a busy hub writes a few
//! transactions a second rather than one per call (each is a disk sync on SQLite). A process
//! killed outright loses at most that much of the log; a graceful stop loses nothing.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actionhub_store::{Run, Store};
use tokio::sync::{mpsc, oneshot};

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
type Writer = (mpsc::Receiver<Message>, Store);

/// A handle on the writer. Cheap to clone.
#[derive(Clone)]
pub struct RunLog {
    sender: mpsc::Sender<Message>,
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
        RunLog {
            sender,
            pending: Arc::new(Mutex::new(Some((receiver, store)))),
        }
    }

    fn start(&self) {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((receiver, store)) = pending {
            tokio::spawn(write_runs(receiver, store));
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
            let _ = written.await;
        }
    }
}

async fn write_runs(mut receiver: mpsc::Receiver<Message>, store: Store) {
    let mut messages = Vec::with_capacity(BATCH);
    let mut runs = Vec::with_capacity(BATCH);
    let mut flushes = Vec::new();
    while receiver.recv_many(&mut messages, BATCH).await > 0 {
        let flushing = messages.iter().any(|m| matches!(m, Message::Flush(_)));
        if !flushing && messages.len() < BATCH {
            // Gather more, unless a flush is asked for meanwhile.
            let deadline = tokio::time::Instant::now() + GATHER;
            while messages.len() < BATCH {
                match tokio::time::timeout_at(deadline, receiver.recv()).await {
                    Ok(Some(message)) => {
                        let flush = matches!(message, Message::Flush(_));
                        messages.push(message);
                        if flush {
                            break;
                        }
                    }
                    Ok(None) | Err(_) => break,
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
