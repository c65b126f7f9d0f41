//! `vault rotate`: re-encrypting every sealed value (credentials, hub secrets, stored idempotent
//! answers, webhook signing secrets, approvals' inputs and results) under the newest master key
//! while hubs keep serving.
//!
//! Rows are rotated one at a time, each in its own statement (hence its own transaction), with
//! a compare-and-swap on the old ciphertext: if a hub relinks the account meanwhile, the swap
//! misses and the newer value (sealed by that hub) is left alone. Nothing is ever held locked
//! for longer than one row update.

use crate::accounts::credential_binding;
use crate::approvals::{INPUT_FIELD, RESULT_FIELD, approval_binding};
use crate::db::{from_row, on_pool};
use crate::keys::hub_secret_binding;
use crate::model::RotationReport;
use crate::runs::idempotency_binding;
use crate::vault::{Binding, Sealed};
use crate::webhooks::secret_binding;
use crate::{Store, StoreError};

/// Rows read per batch.
const BATCH: i64 = 200;

/// A sealed value of a table keyed by two text columns, read under common names (`first`,
/// `second`) so that one rotation loop serves every such table.
#[derive(Debug)]
struct SealedRow {
    first: String,
    second: String,
    project_id: String,
    key_version: i64,
    sealed: Vec<u8>,
}
from_row!(SealedRow {
    first,
    second,
    project_id,
    key_version,
    sealed
});

/// A table of sealed values keyed by two text columns: how to read a batch after a key (its
/// newest version `$1`, keyset `$2`, `$3`, limit `$4`), how to swap one value (new version `$1`
/// and value `$2` where the key is `$3`, `$4` and the old value `$5`), and what the value is
/// bound to.
struct SealedTable {
    select: &'static str,
    swap: &'static str,
    binding: for<'r> fn(&'r SealedRow) -> Binding<'r>,
}

const CREDENTIALS: SealedTable = SealedTable {
    select: "SELECT account_id AS first, field AS second, project_id, key_version, sealed \
             FROM credentials \
             WHERE key_version <> $1 AND (account_id > $2 OR (account_id = $2 AND field > $3)) \
             ORDER BY account_id, field LIMIT $4",
    swap: "UPDATE credentials SET key_version = $1, sealed = $2 \
           WHERE account_id = $3 AND field = $4 AND sealed = $5",
    binding: |row| credential_binding(&row.project_id, &row.first, &row.second),
};

const IDEMPOTENCY_ANSWERS: SealedTable = SealedTable {
    select: "SELECT project_id AS first, idem_key AS second, project_id, \
             response_key_version AS key_version, response_sealed AS sealed \
             FROM idempotency_keys WHERE response_key_version <> $1 \
             AND (project_id > $2 OR (project_id = $2 AND idem_key > $3)) \
             ORDER BY project_id, idem_key LIMIT $4",
    swap: "UPDATE idempotency_keys SET response_key_version = $1, response_sealed = $2 \
           WHERE project_id = $3 AND idem_key = $4 AND response_sealed = $5",
    binding: |row| idempotency_binding(&row.first, &row.second),
};

const WEBHOOK_SECRETS: SealedTable = SealedTable {
    select: "SELECT endpoint_id AS first, secret_id AS second, project_id, key_version, sealed \
             FROM webhook_secrets \
             WHERE key_version <> $1 AND (endpoint_id > $2 OR (endpoint_id = $2 AND secret_id > $3)) \
             ORDER BY endpoint_id, secret_id LIMIT $4",
    swap: "UPDATE webhook_secrets SET key_version = $1, sealed = $2 \
           WHERE endpoint_id = $3 AND secret_id = $4 AND sealed = $5",
    binding: |row| secret_binding(&row.project_id, &row.first, &row.second),
};

const APPROVAL_INPUTS: SealedTable = SealedTable {
    select: "SELECT id AS first, project_id AS second, project_id, \
             input_key_version AS key_version, input_sealed AS sealed \
             FROM approvals WHERE input_key_version <> $1 \
             AND (id > $2 OR (id = $2 AND project_id > $3)) \
             ORDER BY id, project_id LIMIT $4",
    swap: "UPDATE approvals SET input_key_version = $1, input_sealed = $2 \
           WHERE id = $3 AND project_id = $4 AND input_sealed = $5",
    binding: |row| approval_binding(&row.project_id, &row.first, INPUT_FIELD),
};

const APPROVAL_RESULTS: SealedTable = SealedTable {
    select: "SELECT id AS first, project_id AS second, project_id, \
             result_key_version AS key_version, result_sealed AS sealed \
             FROM approvals WHERE result_key_version <> $1 \
             AND (id > $2 OR (id = $2 AND project_id > $3)) \
             ORDER BY id, project_id LIMIT $4",
    swap: "UPDATE approvals SET result_key_version = $1, result_sealed = $2 \
           WHERE id = $3 AND project_id = $4 AND result_sealed = $5",
    binding: |row| approval_binding(&row.project_id, &row.first, RESULT_FIELD),
};

#[derive(Debug)]
struct HubSecretRow {
    name: String,
    key_version: i64,
    sealed: Vec<u8>,
}
from_row!(HubSecretRow {
    name,
    key_version,
    sealed
});

#[derive(Debug)]
struct CountRow {
    n: i64,
}
from_row!(CountRow { n });

impl RotationReport {
    /// Counts one compare-and-swap: it rotated its row, or another writer changed it first.
    fn count_swap(&mut self, rows_affected: u64) {
        if rows_affected == 1 {
            self.rotated += 1;
        } else {
            self.skipped += 1;
        }
    }
}

fn version_of(key_version: i64) -> Result<u32, StoreError> {
    u32::try_from(key_version).map_err(|_| StoreError::Corrupt("key_version out of range".into()))
}

impl Store {
    /// Re-encrypts every credential, hub secret, stored idempotent answer, webhook signing
    /// secret and approval input and result not yet under the newest key. Safe to run
    /// while hubs serve and safe to run again.
    pub async fn rotate_vault(&self) -> Result<RotationReport, StoreError> {
        // Cached tokens stay valid (rotation re-encrypts, the plaintext is unchanged), but
        // nothing opened under a retiring key is kept past this point.
        self.inner.run_accounts.clear();
        let newest = self.inner.keyring.newest_version();
        let mut report = RotationReport {
            newest_version: newest,
            ..RotationReport::default()
        };
        self.rotate_table(&CREDENTIALS, newest, &mut report).await?;
        self.rotate_hub_secrets(newest, &mut report).await?;
        self.rotate_table(&IDEMPOTENCY_ANSWERS, newest, &mut report)
            .await?;
        self.rotate_table(&WEBHOOK_SECRETS, newest, &mut report)
            .await?;
        self.rotate_table(&APPROVAL_INPUTS, newest, &mut report)
            .await?;
        self.rotate_table(&APPROVAL_RESULTS, newest, &mut report)
            .await?;
        let remaining: CountRow = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM credentials WHERE key_version <> $1) \
                  + (SELECT COUNT(*) FROM hub_secrets WHERE key_version <> $1) \
                  + (SELECT COUNT(*) FROM idempotency_keys WHERE response_key_version <> $1) \
                  + (SELECT COUNT(*) FROM webhook_secrets WHERE key_version <> $1) \
                  + (SELECT COUNT(*) FROM approvals WHERE input_key_version <> $1) \
                  + (SELECT COUNT(*) FROM approvals WHERE result_key_version <> $1) \
                  AS n",
        )
        .bind(i64::from(newest))
        .fetch_one(pool)
        .await?);
        report.remaining = u64::try_from(remaining.n).unwrap_or(0);
        Ok(report)
    }

    /// Opens a value sealed under an older key and seals it again under the newest.
    fn reseal(
        &self,
        binding: Binding<'_>,
        key_version: i64,
        sealed: &[u8],
    ) -> Result<Sealed, StoreError> {
        let keyring = &self.inner.keyring;
        let mut plaintext = keyring.open(
            binding,
            &Sealed {
                key_version: version_of(key_version)?,
                bytes: sealed.to_vec(),
            },
        )?;
        let resealed = keyring.seal(binding, &plaintext);
        plaintext.fill(0);
        Ok(resealed?)
    }

    async fn rotate_table(
        &self,
        table: &SealedTable,
        newest: u32,
        report: &mut RotationReport,
    ) -> Result<(), StoreError> {
        // Keyset pagination over the primary key, so rows skipped by a lost swap are not
        // revisited and the scan always ends.
        let (mut after_first, mut after_second) = (String::new(), String::new());
        loop {
            let rows: Vec<SealedRow> = on_pool!(self.db(), pool => sqlx::query_as(table.select)
                .bind(i64::from(newest))
                .bind(&after_first)
                .bind(&after_second)
                .bind(BATCH)
                .fetch_all(pool)
                .await?);
            let Some(last) = rows.last() else {
                return Ok(());
            };
            (after_first, after_second) = (last.first.clone(), last.second.clone());
            for row in &rows {
                let fresh = self.reseal((table.binding)(row), row.key_version, &row.sealed)?;
                let swapped = on_pool!(self.db(), pool => sqlx::query(table.swap)
                    .bind(i64::from(fresh.key_version))
                    .bind(fresh.bytes)
                    .bind(&row.first)
                    .bind(&row.second)
                    .bind(&row.sealed)
                    .execute(pool)
                    .await?
                    .rows_affected());
                report.count_swap(swapped);
            }
        }
    }

    async fn rotate_hub_secrets(
        &self,
        newest: u32,
        report: &mut RotationReport,
    ) -> Result<(), StoreError> {
        let rows: Vec<HubSecretRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT name, key_version, sealed FROM hub_secrets WHERE key_version <> $1",
        )
        .bind(i64::from(newest))
        .fetch_all(pool)
        .await?);
        for row in &rows {
            let fresh = self.reseal(hub_secret_binding(&row.name), row.key_version, &row.sealed)?;
            let swapped = on_pool!(self.db(), pool => sqlx::query(
                "UPDATE hub_secrets SET key_version = $1, sealed = $2 WHERE name = $3 AND sealed = $4",
            )
            .bind(i64::from(fresh.key_version))
            .bind(fresh.bytes)
            .bind(&row.name)
            .bind(&row.sealed)
            .execute(pool)
            .await?
            .rows_affected());
            report.count_swap(swapped);
        }
        Ok(())
    }
}
