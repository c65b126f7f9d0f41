//! Forgetting what is no longer needed, so that a long-running hub's database stays bounded:
//! runs older than the retention period and connect sessions long past their expiry.
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
}

impl Store {
    /// Deletes the runs that started before `runs_before` (none when it is `None`) and the
    /// connect sessions that expired before `sessions_expired_before`. Safe to run from several
    /// hubs at once: a row another hub deleted is simply not there.
    pub async fn purge(
        &self,
        runs_before: Option<Timestamp>,
        sessions_expired_before: Timestamp,
    ) -> Result<Purged, StoreError> {
        let runs = match runs_before {
            Some(before) => {
                self.delete_in_batches(
                    "DELETE FROM runs WHERE id IN \
                     (SELECT id FROM runs WHERE started_at < $1 LIMIT $2)",
                    before,
                )
                .await?
            }
            None => 0,
        };
        let sessions = self
            .delete_in_batches(
                "DELETE FROM connect_sessions WHERE id IN \
                 (SELECT id FROM connect_sessions WHERE expires_at < $1 LIMIT $2)",
                sessions_expired_before,
            )
            .await?;
        Ok(Purged { runs, sessions })
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
