//! Forgetting what is no longer needed, so that a long-running hub's database stays bounded:
//! runs older than the retention period, webhook events as old (with their settled deliveries
//! and attempts; an event with a delivery still pending stays), approvals settled as long ago
//! (pending, approved and running ones stay), and connect sessions long past their expiry.
//! (Idempotency records need nothing here: `idempotency_begin` drops the expired ones.)

use crate::db::on_pool;
use crate::model::Timestamp;
use crate::{Store, StoreError};

/// Rows deleted per statement, so that no single delete holds the database for long.
const ROWS_PER_DELETE: i64 = 5_000;

/// What [`Store::purge`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub runs: u64,
    pub sessions: u64,
    /// Webhook events (their settled deliveries and attempts went with them).
    pub events: u64,
    /// Approvals that succeeded, failed, were rejected or expired.
    pub approvals: u64,
}

impl Store {
    /// Deletes the runs that started before `runs_before` (none when it is `None`), the webhook
    /// events that happened before it (unless a delivery of theirs is pending) with their
    /// deliveries, the approvals settled before it, and the connect sessions that expired before
    /// `sessions_expired_before`. Safe to run from several hubs at once: a row another hub
    /// deleted is simply not there.
    pub async fn purge(
        &self,
        runs_before: Option<Timestamp>,
        sessions_expired_before: Timestamp,
    ) -> Result<Purged, StoreError> {
        let (runs, events, approvals) = match runs_before {
            Some(before) => {
                let runs = self
                    .delete_in_batches(
                        "DELETE FROM runs WHERE id IN \
                         (SELECT id FROM runs WHERE started_at < $1 LIMIT $2)",
                        before,
                    )
                    .await?;
                // Settled deliveries of old events first (their attempts go by cascade), then
                // the events no delivery waits for.
                self.delete_in_batches(
                    "DELETE FROM webhook_deliveries WHERE id IN \
                     (SELECT d.id FROM webhook_deliveries d JOIN hub_events v ON v.id = d.event_id \
                      WHERE v.occurred_at < $1 AND d.status <> 'pending' LIMIT $2)",
                    before,
                )
                .await?;
                let events = self
                    .delete_in_batches(
                        "DELETE FROM hub_events WHERE id IN \
                         (SELECT v.id FROM hub_events v WHERE v.occurred_at < $1 AND NOT EXISTS \
                           (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = v.id) LIMIT $2)",
                        before,
                    )
                    .await?;
                let approvals = self
                    .delete_in_batches(
                        "DELETE FROM approvals WHERE id IN \
                         (SELECT id FROM approvals WHERE updated_at < $1 \
                          AND status IN ('succeeded', 'failed', 'rejected', 'expired') LIMIT $2)",
                        before,
                    )
                    .await?;
                (runs, events, approvals)
            }
            None => (0, 0, 0),
        };
        let sessions = self
            .delete_in_batches(
                "DELETE FROM connect_sessions WHERE id IN \
                 (SELECT id FROM connect_sessions WHERE expires_at < $1 LIMIT $2)",
                sessions_expired_before,
            )
            .await?;
        Ok(Purged {
            runs,
            sessions,
            events,
            approvals,
        })
    }

    /// Runs `sql` (binding a time and [`ROWS_PER_DELETE`]) until it deletes fewer rows than
    /// that; returns how many it deleted in all.
    async fn delete_in_batches(&self, sql: &str, before: Timestamp) -> Result<u64, StoreError> {
        let mut deleted = 0;
        loop {
            let done = on_pool!(self.db(), pool => sqlx::query(sql)
                .bind(before.millis())
                .bind(ROWS_PER_DELETE)
                .execute(pool)
                .await?
                .rows_affected());
            deleted += done;
            if done < ROWS_PER_DELETE as u64 {
                return Ok(deleted);
            }
        }
    }
}
