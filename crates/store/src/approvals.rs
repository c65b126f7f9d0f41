//! Approvals: calls a policy holds until a person approves or rejects them, and what became of
//! them.
//!
//! An approval moves `pending → approved → running → succeeded | failed`, or `pending →
//! rejected | expired`. Every move is one compare-and-set UPDATE on the status it leaves, so of
//! two hubs deciding at once exactly one wins, a rejected or expired approval never runs, and an
//! approved one starts running once. A hub that dies while running leaves `running`: it is
//! never re-run (the write may have reached Front).
//!
//! The exact input and the result's body are sealed by the vault, bound to the project, the
//! approval and the field. `approval.requested` and `approval.decided` hub events are stored in
//! the transaction that makes the change, as account events are; their payload never holds the
//! input or the result.

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::accounts::to_json;
use crate::db::{from_row, on_pool};
use crate::keys::SealedRow;
use crate::model::Timestamp;
use crate::vault::Binding;
use crate::webhooks::{EventRow, new_time_id, store_event};
use crate::{Store, StoreError};

/// The prefix of the hub's own event types about an approval.
pub const APPROVAL_EVENT_PREFIX: &str = "approval.";
/// The largest result body kept: a larger one is replaced by a note saying so (the call's
/// status is kept), so that one huge answer cannot bloat the database.
pub const MAX_RESULT_BODY_BYTES: usize = 1024 * 1024;
/// Approvals listed at most at once.
pub const MAX_APPROVALS_LISTED: u32 = 100;
/// Longest `requested_by`, `decided_by` and `reason` kept, in characters.
const MAX_NOTE_CHARS: usize = 500;

/// Where an approval is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Running,
    Succeeded,
    Failed,
    Rejected,
    Expired,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Running => "running",
            ApprovalStatus::Succeeded => "succeeded",
            ApprovalStatus::Failed => "failed",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<ApprovalStatus> {
        [
            ApprovalStatus::Pending,
            ApprovalStatus::Approved,
            ApprovalStatus::Running,
            ApprovalStatus::Succeeded,
            ApprovalStatus::Failed,
            ApprovalStatus::Rejected,
            ApprovalStatus::Expired,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

impl std::fmt::Display for ApprovalStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call to hold, validated by the caller.
#[derive(Debug, Clone)]
pub struct NewApproval {
    pub account_id: String,
    pub action_id: String,
    /// The exact input (nested style, after validation).
    pub input: Value,
    /// Who asked: the API key (id and name) or the origin (`mcp`, `cli`).
    pub requested_by: String,
    pub expires_at: Timestamp,
}

/// What the held call answered once it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalResult {
    /// The HTTP status the call answered with.
    pub status: u16,
    /// The answer's body as the call gave it (or a note, past [`MAX_RESULT_BODY_BYTES`]).
    pub body: String,
}

/// An approval, input and result opened.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub id: String,
    pub project_id: String,
    pub account_id: String,
    pub action_id: String,
    pub input: Value,
    /// Hex SHA-256 of the call (see [`approval_input_hash`]).
    pub input_hash: String,
    pub requested_by: String,
    pub status: ApprovalStatus,
    pub expires_at: Timestamp,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    /// Why it was rejected, if the person said.
    pub reason: Option<String>,
    /// Once it ran (`succeeded` or `failed`).
    pub result: Option<ApprovalResult>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What [`Store::request_approval`] did.
#[derive(Debug, Clone)]
pub struct ApprovalRequest {
    pub approval: Approval,
    /// False when the same call was already pending and its approval is returned.
    pub created: bool,
}

/// A person's decision on a pending approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalVerdict {
    Approve,
    Reject { reason: Option<String> },
}

/// Which approvals [`Store::list_approvals`] returns: newest first, `limit` at most (capped at
/// [`MAX_APPROVALS_LISTED`]), older than the approval `before` when it is set (the next page).
#[derive(Debug, Clone)]
pub struct ApprovalFilter {
    pub status: Option<ApprovalStatus>,
    pub before: Option<String>,
    pub limit: u32,
}

impl Default for ApprovalFilter {
    fn default() -> Self {
        ApprovalFilter {
            status: None,
            before: None,
            limit: 25,
        }
    }
}

/// The hash that identifies a call: hex SHA-256 of the canonical JSON (keys sorted at every
/// level, no spaces) of `{"account_id", "action", "input"}`. The same call gives the same hash
/// whatever order its input's keys came in.
pub fn approval_input_hash(action_id: &str, account_id: &str, input: &Value) -> String {
    let mut canonical = String::new();
    write_canonical(
        &json!({"account_id": account_id, "action": action_id, "input": input}),
        &mut canonical,
    );
    let digest = Sha256::digest(canonical.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `value` as JSON with object keys sorted (the workspace's `serde_json` keeps insertion
/// order, so sorting is done here).
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (n, key) in keys.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&to_json(key));
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&to_json(scalar)),
    }
}

pub(crate) const INPUT_FIELD: &str = "approval_input";
pub(crate) const RESULT_FIELD: &str = "approval_result";

/// Where an approval's input or result is sealed: its project, the approval and the field, so
/// that a sealed value copied to another approval or field fails to open.
pub(crate) fn approval_binding<'a>(
    project_id: &'a str,
    approval_id: &'a str,
    field: &'static str,
) -> Binding<'a> {
    Binding {
        scope: project_id,
        record: approval_id,
        field,
    }
}

/// `text` cut to [`MAX_NOTE_CHARS`] with NUL (which Postgres cannot store) replaced.
fn note(text: &str) -> String {
    text.chars()
        .take(MAX_NOTE_CHARS)
        .map(|c| {
            if c == '\0' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

#[derive(Debug)]
struct ApprovalRow {
    id: String,
    project_id: String,
    account_id: String,
    action_id: String,
    input_key_version: i64,
    input_sealed: Vec<u8>,
    input_hash: String,
    requested_by: String,
    status: String,
    expires_at: i64,
    decided_by: Option<String>,
    decided_at: Option<i64>,
    reason: Option<String>,
    result_status: Option<i64>,
    result_key_version: Option<i64>,
    result_sealed: Option<Vec<u8>>,
    created_at: i64,
    updated_at: i64,
}
from_row!(ApprovalRow {
    id,
    project_id,
    account_id,
    action_id,
    input_key_version,
    input_sealed,
    input_hash,
    requested_by,
    status,
    expires_at,
    decided_by,
    decided_at,
    reason,
    result_status,
    result_key_version,
    result_sealed,
    created_at,
    updated_at
});

const APPROVAL_COLUMNS: &str = "id, project_id, account_id, action_id, input_key_version, \
     input_sealed, input_hash, requested_by, status, expires_at, decided_by, decided_at, reason, \
     result_status, result_key_version, result_sealed, created_at, updated_at";

impl ApprovalRow {
    fn status(&self) -> Result<ApprovalStatus, StoreError> {
        ApprovalStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Corrupt(format!("approval status `{}`", self.status)))
    }

    /// What the `approval.*` events say: the approval without its input or result.
    fn event_data(&self) -> String {
        to_json(&json!({
            "account_id": self.account_id,
            "approval": {
                "id": self.id,
                "action": self.action_id,
                "status": self.status,
                "requested_by": self.requested_by,
                "expires_at": Timestamp(self.expires_at),
                "decided_by": self.decided_by,
                "decided_at": self.decided_at.map(Timestamp),
                "reason": self.reason,
                "created_at": Timestamp(self.created_at),
            }
        }))
    }
}

/// Inside transaction `$tx`: records the hub event `approval.$kind` about `$row` (an
/// [`ApprovalRow`] as it is after the change).
macro_rules! record_approval_event {
    ($tx:ident, $row:expr, $kind:expr, $now:expr) => {{
        let row: &ApprovalRow = $row;
        let event_id = format!("ahe_{}", crate::model::random_base62(24)?);
        let event_type = format!("{APPROVAL_EVENT_PREFIX}{}", $kind);
        let payload = row.event_data();
        let event = EventRow {
            id: &event_id,
            company_id: None,
            project_id: Some(&row.project_id),
            account_id: Some(&row.account_id),
            event_type: &event_type,
            occurred_at: $now,
            payload: &payload,
        };
        store_event!($tx, &event, $now);
    }};
}

impl Store {
    fn open_approval(&self, row: ApprovalRow) -> Result<Approval, StoreError> {
        let status = row.status()?;
        let keyring = &self.inner.keyring;
        let sealed_input = SealedRow {
            key_version: row.input_key_version,
            sealed: row.input_sealed,
        }
        .to_sealed()?;
        let input = keyring.open(
            approval_binding(&row.project_id, &row.id, INPUT_FIELD),
            &sealed_input,
        )?;
        let input = serde_json::from_slice(&input)
            .map_err(|_| StoreError::Corrupt("an approval's input is not JSON".to_owned()))?;
        let result = match (row.result_status, row.result_key_version, row.result_sealed) {
            (Some(status), Some(key_version), Some(sealed)) => {
                let sealed = SealedRow {
                    key_version,
                    sealed,
                }
                .to_sealed()?;
                let body = keyring.open(
                    approval_binding(&row.project_id, &row.id, RESULT_FIELD),
                    &sealed,
                )?;
                Some(ApprovalResult {
                    status: u16::try_from(status).unwrap_or(500),
                    body: String::from_utf8(body).map_err(|_| {
                        StoreError::Corrupt("an approval's result is not UTF-8".to_owned())
                    })?,
                })
            }
            _ => None,
        };
        Ok(Approval {
            id: row.id,
            project_id: row.project_id,
            account_id: row.account_id,
            action_id: row.action_id,
            input,
            input_hash: row.input_hash,
            requested_by: row.requested_by,
            status,
            expires_at: Timestamp(row.expires_at),
            decided_by: row.decided_by,
            decided_at: row.decided_at.map(Timestamp),
            reason: row.reason,
            result,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }

    async fn approval_row(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Option<ApprovalRow>, StoreError> {
        let sql =
            format!("SELECT {APPROVAL_COLUMNS} FROM approvals WHERE id = $1 AND project_id = $2");
        Ok(on_pool!(self.db(), pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(project_id)
            .fetch_optional(pool)
            .await?))
    }

    /// Holds a call for approval: stores a pending approval with the input sealed and records
    /// `approval.requested`, or, if the same call (same account and [`approval_input_hash`]) is
    /// already pending and unexpired, returns that approval unchanged. A pending approval of
    /// the same call that has expired is marked `expired` first (with its `approval.decided`).
    pub async fn request_approval(
        &self,
        project_id: &str,
        new: &NewApproval,
    ) -> Result<ApprovalRequest, StoreError> {
        let now = Timestamp::now().millis();
        let id = new_time_id("apr_", now)?;
        let input_hash = approval_input_hash(&new.action_id, &new.account_id, &new.input);
        let sealed = self.inner.keyring.seal(
            approval_binding(project_id, &id, INPUT_FIELD),
            to_json(&new.input).as_bytes(),
        )?;
        let expire_sql = format!(
            "UPDATE approvals SET status = 'expired', updated_at = $1 \
             WHERE project_id = $2 AND account_id = $3 AND input_hash = $4 \
               AND status = 'pending' AND expires_at <= $1 \
             RETURNING {APPROVAL_COLUMNS}"
        );
        let pending_sql = format!(
            "SELECT {APPROVAL_COLUMNS} FROM approvals \
             WHERE project_id = $1 AND account_id = $2 AND input_hash = $3 AND status = 'pending'"
        );
        // The pending approval that kept the insert out can be decided before it is read; the
        // request is then tried again (a few times: each miss needs a decision in between).
        let mut attempts = 0;
        let (row, created) = loop {
            attempts += 1;
            let settled = on_pool!(self.db(), pool => {
                let mut tx = pool.begin().await?;
                // The unique index allows one pending approval per call: a stale one gives way.
                let stale: Vec<ApprovalRow> = sqlx::query_as(&expire_sql)
                    .bind(now)
                    .bind(project_id)
                    .bind(&new.account_id)
                    .bind(&input_hash)
                    .fetch_all(&mut *tx)
                    .await?;
                for row in &stale {
                    record_approval_event!(tx, row, "decided", now);
                }
                // Another hub inserting the same call at once makes this wait for its commit, then
                // do nothing; the pending approval read next is then that hub's.
                let inserted = sqlx::query(
                    "INSERT INTO approvals (id, project_id, account_id, action_id, \
                       input_key_version, input_sealed, input_hash, requested_by, status, \
                       expires_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $10) \
                     ON CONFLICT (project_id, account_id, input_hash) WHERE status = 'pending' \
                     DO NOTHING",
                )
                .bind(&id)
                .bind(project_id)
                .bind(&new.account_id)
                .bind(&new.action_id)
                .bind(i64::from(sealed.key_version))
                .bind(&sealed.bytes)
                .bind(&input_hash)
                .bind(note(&new.requested_by))
                .bind(new.expires_at.millis())
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let row: Option<ApprovalRow> = sqlx::query_as(&pending_sql)
                    .bind(project_id)
                    .bind(&new.account_id)
                    .bind(&input_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                match row {
                    Some(row) => {
                        if inserted == 1 {
                            record_approval_event!(tx, &row, "requested", now);
                        }
                        tx.commit().await?;
                        Some((row, inserted == 1))
                    }
                    // Dropping the transaction rolls the stale expiries back with it.
                    None => None,
                }
            });
            match settled {
                Some(settled) => break settled,
                None if attempts < 3 => continue,
                None => return Err(StoreError::Database(sqlx::Error::RowNotFound)),
            }
        };
        Ok(ApprovalRequest {
            approval: self.open_approval(row)?,
            created,
        })
    }

    /// One approval of a project, input and result opened.
    pub async fn approval(&self, project_id: &str, id: &str) -> Result<Approval, StoreError> {
        let row = self.approval_row(project_id, id).await?;
        self.open_approval(row.ok_or(StoreError::NotFound)?)
    }

    /// A project's approvals, newest first (see [`ApprovalFilter`]).
    pub async fn list_approvals(
        &self,
        project_id: &str,
        filter: &ApprovalFilter,
    ) -> Result<Vec<Approval>, StoreError> {
        let sql = format!(
            "SELECT {APPROVAL_COLUMNS} FROM approvals \
             WHERE project_id = $1 AND ($2 IS NULL OR status = $2) \
               AND ($3 IS NULL OR (created_at, id) < \
                 (SELECT created_at, id FROM approvals WHERE id = $3 AND project_id = $1)) \
             ORDER BY created_at DESC, id DESC LIMIT $4"
        );
        let rows: Vec<ApprovalRow> = on_pool!(self.db(), pool => sqlx::query_as(&sql)
            .bind(project_id)
            .bind(filter.status.map(ApprovalStatus::as_str))
            .bind(filter.before.as_deref())
            .bind(i64::from(filter.limit.min(MAX_APPROVALS_LISTED)))
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|row| self.open_approval(row))
            .collect()
    }

    /// Approves or rejects a pending, unexpired approval: one compare-and-set, so of several
    /// deciders (on any number of hubs) exactly one wins, and records `approval.decided` with
    /// it. The loser gets [`StoreError::ApprovalDecided`] (naming the status it found) or
    /// [`StoreError::ApprovalExpired`]. Returns the approval as decided.
    pub async fn decide_approval(
        &self,
        project_id: &str,
        id: &str,
        verdict: &ApprovalVerdict,
        decided_by: &str,
    ) -> Result<Approval, StoreError> {
        let now = Timestamp::now().millis();
        let (status, reason) = match verdict {
            ApprovalVerdict::Approve => (ApprovalStatus::Approved, None),
            ApprovalVerdict::Reject { reason } => {
                (ApprovalStatus::Rejected, reason.as_deref().map(note))
            }
        };
        let sql = format!(
            "UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3, reason = $4, \
               updated_at = $3 \
             WHERE id = $5 AND project_id = $6 AND status = 'pending' AND expires_at > $3 \
             RETURNING {APPROVAL_COLUMNS}"
        );
        let decided = on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            let row: Option<ApprovalRow> = sqlx::query_as(&sql)
                .bind(status.as_str())
                .bind(note(decided_by))
                .bind(now)
                .bind(reason)
                .bind(id)
                .bind(project_id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = &row {
                record_approval_event!(tx, row, "decided", now);
                tx.commit().await?;
            }
            row
        });
        match decided {
            Some(row) => self.open_approval(row),
            None => Err(self
                .why_not(project_id, id, ApprovalStatus::Pending, now)
                .await),
        }
    }

    /// Moves an approved approval to `running` (compare-and-set: the call runs once). Anything
    /// else is [`StoreError::ApprovalState`] or [`StoreError::NotFound`].
    pub async fn start_approved_run(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Approval, StoreError> {
        let now = Timestamp::now().millis();
        let sql = format!(
            "UPDATE approvals SET status = 'running', updated_at = $1 \
             WHERE id = $2 AND project_id = $3 AND status = 'approved' \
             RETURNING {APPROVAL_COLUMNS}"
        );
        let row: Option<ApprovalRow> = on_pool!(self.db(), pool => sqlx::query_as(&sql)
            .bind(now)
            .bind(id)
            .bind(project_id)
            .fetch_optional(pool)
            .await?);
        match row {
            Some(row) => self.open_approval(row),
            None => Err(self
                .why_not(project_id, id, ApprovalStatus::Approved, now)
                .await),
        }
    }

    /// Stores the result of a running approval (sealed; a body past [`MAX_RESULT_BODY_BYTES`]
    /// is replaced by a note) and moves it to `succeeded` or `failed` (compare-and-set on
    /// `running`).
    pub async fn finish_approved_run(
        &self,
        project_id: &str,
        id: &str,
        succeeded: bool,
        result: &ApprovalResult,
    ) -> Result<Approval, StoreError> {
        let now = Timestamp::now().millis();
        let note_body;
        let body = if result.body.len() > MAX_RESULT_BODY_BYTES {
            note_body = to_json(&json!({
                "message": format!(
                    "the answer ({} bytes) was larger than the hub keeps \
                     ({MAX_RESULT_BODY_BYTES} bytes)",
                    result.body.len()
                )
            }));
            &note_body
        } else {
            &result.body
        };
        let sealed = self.inner.keyring.seal(
            approval_binding(project_id, id, RESULT_FIELD),
            body.as_bytes(),
        )?;
        let status = if succeeded {
            ApprovalStatus::Succeeded
        } else {
            ApprovalStatus::Failed
        };
        let sql = format!(
            "UPDATE approvals SET status = $1, result_status = $2, result_key_version = $3, \
               result_sealed = $4, updated_at = $5 \
             WHERE id = $6 AND project_id = $7 AND status = 'running' \
             RETURNING {APPROVAL_COLUMNS}"
        );
        let row: Option<ApprovalRow> = on_pool!(self.db(), pool => sqlx::query_as(&sql)
            .bind(status.as_str())
            .bind(i64::from(result.status))
            .bind(i64::from(sealed.key_version))
            .bind(&sealed.bytes)
            .bind(now)
            .bind(id)
            .bind(project_id)
            .fetch_optional(pool)
            .await?);
        match row {
            Some(row) => self.open_approval(row),
            None => Err(self
                .why_not(project_id, id, ApprovalStatus::Running, now)
                .await),
        }
    }

    /// Marks every pending approval past its expiry `expired`, recording `approval.decided` for
    /// each in the same transaction. Returns (project id, approval id) of each one expired.
    pub async fn expire_approvals(
        &self,
        now: Timestamp,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let sql = format!(
            "UPDATE approvals SET status = 'expired', updated_at = $1 \
             WHERE status = 'pending' AND expires_at <= $1 \
             RETURNING {APPROVAL_COLUMNS}"
        );
        let now = now.millis();
        let expired = on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            let rows: Vec<ApprovalRow> = sqlx::query_as(&sql)
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
            for row in &rows {
                record_approval_event!(tx, row, "decided", now);
            }
            tx.commit().await?;
            rows
        });
        Ok(expired
            .into_iter()
            .map(|row| (row.project_id, row.id))
            .collect())
    }

    /// Why a compare-and-set from `expected` missed: the approval is gone, expired, or in
    /// another state (a database failure while finding out is returned as such).
    async fn why_not(
        &self,
        project_id: &str,
        id: &str,
        expected: ApprovalStatus,
        now: i64,
    ) -> StoreError {
        let row = match self.approval_row(project_id, id).await {
            Ok(Some(row)) => row,
            Ok(None) => return StoreError::NotFound,
            Err(error) => return error,
        };
        let status = match row.status() {
            Ok(status) => status,
            Err(error) => return error,
        };
        match (expected, status) {
            (ApprovalStatus::Pending, ApprovalStatus::Expired) => StoreError::ApprovalExpired,
            (ApprovalStatus::Pending, ApprovalStatus::Pending) if row.expires_at <= now => {
                StoreError::ApprovalExpired
            }
            (ApprovalStatus::Pending, status) => StoreError::ApprovalDecided(status),
            (expected, status) => StoreError::ApprovalState { status, expected },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    /// The keys of a JSON object in their order.
    fn keys(value: &Value) -> Vec<&str> {
        value
            .as_object()
            .map(Map::keys)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn the_hash_ignores_key_order_but_not_values() {
        let a = json!({"conversation_id": "cnv_1", "body": {"text": "hi", "tags": ["x", "y"]}});
        let b: Value = serde_json::from_str(
            r#"{"body": {"tags": ["x", "y"], "text": "hi"}, "conversation_id": "cnv_1"}"#,
        )
        .unwrap();
        assert_ne!(keys(&a), keys(&b), "the inputs differ in key order");
        let hash = approval_input_hash("front_reply", "acc_1", &a);
        assert_eq!(hash, approval_input_hash("front_reply", "acc_1", &b));
        assert_eq!(hash.len(), 64);
        for (action, account, input) in [
            ("front_reply", "acc_2", a.clone()),
            ("front_other", "acc_1", a.clone()),
            (
                "front_reply",
                "acc_1",
                json!({"conversation_id": "cnv_1", "body": {"text": "hi", "tags": ["y", "x"]}}),
            ),
        ] {
            assert_ne!(hash, approval_input_hash(action, account, &input));
        }
    }

    #[test]
    fn statuses_read_what_they_print() {
        for status in [
            ApprovalStatus::Pending,
            ApprovalStatus::Approved,
            ApprovalStatus::Running,
            ApprovalStatus::Succeeded,
            ApprovalStatus::Failed,
            ApprovalStatus::Rejected,
            ApprovalStatus::Expired,
        ] {
            assert_eq!(ApprovalStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                json!(status.as_str())
            );
        }
        assert_eq!(ApprovalStatus::parse("done"), None);
    }
}
