//! The janitor: once an hour (and when the hub starts), it deletes the runs and webhook events
//! older than the retention period and the connect sessions that expired more than [`SESSION_GRACE`] ago, so
//! that a hub's database does not grow without end. Several hubs on one database may each run
//! it: a row another hub has deleted is simply not there.

use std::time::Duration;

use actionhub_store::{Purged, Store, Timestamp};
use tokio::task::JoinHandle;

/// How long an expired connect session is kept (its link then says "expired" rather than
/// "unknown").
pub const SESSION_GRACE: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Time between two purges.
const EVERY: Duration = Duration::from_secs(60 * 60);

/// Starts the janitor. `run_retention`: how long runs are kept; `None` keeps them all.
pub fn spawn(store: Store, run_retention: Option<Duration>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticks.tick().await;
            purge(&store, run_retention).await;
        }
    })
}

async fn purge(store: &Store, run_retention: Option<Duration>) {
    let now = Timestamp::now().millis();
    let before = |age: Duration| Timestamp(now - i64::try_from(age.as_millis()).unwrap_or(now));
    match store
        .purge(run_retention.map(before), before(SESSION_GRACE))
        .await
    {
        Ok(purged) if purged != Purged::default() => tracing::info!(
            runs = purged.runs,
            sessions = purged.sessions,
            webhook_events = purged.events,
            "purged old runs, webhook events and expired connect sessions"
        ),
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(%error, "the janitor could not purge; it tries again in an hour");
        }
    }
}
