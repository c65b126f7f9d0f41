//! The expiry sweep: pending approvals past their expiry are marked `expired` (the store
//! records `approval.decided` for each), so that lists and webhooks say so even when nobody
//! tries to decide them. A late decision is refused by the store's compare-and-set anyway;
//! every hub sweeps, and the update is idempotent.

use std::sync::Arc;

use actionhub_store::Timestamp;
use tokio::sync::watch;

use crate::{Context, pause};

pub(crate) async fn run(context: Arc<Context>, mut stop: watch::Receiver<bool>) {
    loop {
        match context.store.expire_approvals(Timestamp::now()).await {
            Ok(expired) if !expired.is_empty() => {
                tracing::info!(count = expired.len(), "approvals expired");
                // Their `approval.decided` events wait for delivery.
                context.queued.notify_one();
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "approvals could not be expired"),
        }
        if pause(context.config.approval_sweep, &mut stop).await {
            return;
        }
    }
}
