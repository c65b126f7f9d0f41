//! The run log (one row per execution of an action, without bodies or secrets) and the
//! `Idempotency-Key` records that make retried writes safe.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

use crate::db::{Db, from_row, on_pool};
use crate::keys::SealedRow;
use crate::model::{Timestamp, base62_fixed, random_base62};
use crate::vault::Binding;
use crate::{Store, StoreError};

/// Rows per INSERT statement when a batch of runs is written (12 parameters each).
const RUNS_PER_STATEMENT: usize = 16;
/// The columns a run is written to, in the order its values are bound.
const RUN_COLUMNS: usize = 12;

/// Longest id (action, account, project) kept in the run log, in characters.
const MAX_LOGGED_ID_CHARS: usize = 100;
/// Longest error kept in the run log, in characters.
const MAX_LOGGED_ERROR_CHARS: usize = 1_000;

/// `text` as the run log keeps it: NUL (which Postgres cannot store in text) replaced and the
/// length capped, so a hostile value cannot make the database refuse its run. Borrowed when
/// nothing needs to change, which is nearly always.
fn clean(text: &str, max_chars: usize) -> Cow<'_, str> {
    if text.len() <= max_chars && !text.contains('\0') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .take(max_chars)
            .map(|c| {
                if c == '\0' {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// Whether the database refused this row's values (a constraint, or on Postgres a value it
/// cannot store), rather than failed as a whole (unreachable, busy, out of space).
fn refused_row(error: &sqlx::Error, sqlite: bool) -> bool {
    let sqlx::Error::Database(error) = error else {
        return false;
    };
    !matches!(error.kind(), sqlx::error::ErrorKind::Other)
        // Postgres's class 22, "data exception": e.g. text it cannot encode.
        || (!sqlite && error.code().is_some_and(|code| code.starts_with("22")))
}

/// One execution of an action, as the run log keeps it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Run {
    pub id: String,
    pub project_id: String,
    pub account_id: String,
    pub action: String,
    /// Where the call came from: `rpc`, `mcp` or `cli`.
    pub source: String,
    /// `ok`, `dry_run`, `invalid`, `forbidden`, `account_error`, `rate_limited`,
    /// `front_error`, `unreachable` or `failed`.
    pub outcome: String,
    /// Front's status of the last answer, if one came.
    pub front_status: Option<u16>,
    pub duration_us: i64,
    pub retries: u32,
    /// Time spent queued for the Front company's budget.
    pub waited_ms: i64,
    /// What went wrong, in words (never a body or a secret).
    pub error: Option<String>,
    pub started_at: Timestamp,
}

/// A fresh run id: `run_`, the start time in milliseconds (8 base62 digits, so ids sort by
/// time), then 12 random base62 characters. Time first makes every insert land at the end of
/// the runs table's indexes: with random ids, a busy hub spent a tenth of its CPU on SQLite
/// B-tree pages (BENCHMARKS.md, "Running actions").
pub fn new_run_id(started_at: Timestamp) -> Result<String, StoreError> {
    Ok(format!(
        "run_{}{}",
        base62_fixed(started_at.millis().max(0).unsigned_abs(), 8),
        random_base62(12)?
    ))
}

/// Which runs `GET /runs` and `actionhub runs` list: newest first.
#[derive(Debug, Clone)]
pub struct RunFilter {
    pub account_id: Option<String>,
    pub limit: u32,
}

#[derive(Debug)]
struct RunRow {
    id: String,
    project_id: String,
    account_id: String,
    action: String,
    source: String,
    outcome: String,
    front_status: Option<i64>,
    duration_us: i64,
    retries: i64,
    waited_ms: i64,
    error: Option<String>,
    started_at: i64,
}
from_row!(RunRow {
    id,
    project_id,
    account_id,
    action,
    source,
    outcome,
    front_status,
    duration_us,
    retries,
    waited_ms,
    error,
    started_at
});

impl From<RunRow> for Run {
    fn from(row: RunRow) -> Run {
        Run {
            id: row.id,
            project_id: row.project_id,
            account_id: row.account_id,
            action: row.action,
            source: row.source,
            outcome: row.outcome,
            front_status: row.front_status.and_then(|s| u16::try_from(s).ok()),
            duration_us: row.duration_us,
            retries: u32::try_from(row.retries).unwrap_or(0),
            waited_ms: row.waited_ms,
            error: row.error,
            started_at: Timestamp(row.started_at),
        }
    }
}

/// What an `Idempotency-Key` leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// The key is new: run the request, then [`Store::idempotency_finish`] or
    /// [`Store::idempotency_release`].
    Fresh,
    /// The same request ran before: answer with its stored result.
    Replay { status: u16, response: String },
    /// The key was used for a different request.
    Mismatch,
    /// The same request is running right now.
    InProgress,
    /// An earlier holder of the key stopped without storing a result (the hub was killed), or
    /// its answer is no longer kept: the request may have reached Front, so it must not be
    /// sent again under this key.
    OutcomeUnknown,
}

#[derive(Debug)]
struct IdempotencyRow {
    request_hash: Vec<u8>,
    status: Option<i64>,
    response_key_version: Option<i64>,
    response_sealed: Option<Vec<u8>>,
    locked_until: i64,
}
from_row!(IdempotencyRow {
    request_hash,
    status,
    response_key_version,
    response_sealed,
    locked_until
});

/// Where a stored answer is sealed: the project and the key, so that a sealed answer copied to
/// another key or project fails to open.
pub(crate) fn idempotency_binding<'a>(project_id: &'a str, key: &'a str) -> Binding<'a> {
    Binding {
        scope: project_id,
        record: key,
        field: "idempotency_response",
    }
}

impl Store {
    /// Writes a batch of runs in one transaction. A row the database refuses (a duplicate id, a
    /// value it cannot store) would fail the whole batch, so then the batch is written row by
    /// row and only the refused rows are dropped (logged). Returns how many were refused; an
    /// error means the database could not be written at all.
    pub async fn insert_runs(&self, runs: &[Run]) -> Result<usize, StoreError> {
        if runs.is_empty() {
            return Ok(0);
        }
        // SQLite looks a numbered parameter up by name in a list, which makes binding a long
        // statement's `$n`s quadratic; its anonymous `?`s are bound by position. Postgres only
        // takes `$n`.
        let sqlite = matches!(self.db(), Db::Sqlite(_));
        let insert_sql = |rows: usize| {
            let mut sql = String::from(
                "INSERT INTO runs (id, project_id, account_id, action, source, outcome, \
                 front_status, duration_us, retries, waited_ms, error, started_at) VALUES ",
            );
            for row in 0..rows {
                sql.push_str(if row == 0 { "(" } else { ", (" });
                for column in 0..RUN_COLUMNS {
                    if column > 0 {
                        sql.push_str(", ");
                    }
                    if sqlite {
                        sql.push('?');
                    } else {
                        let _ = write!(sql, "${}", row * RUN_COLUMNS + column + 1);
                    }
                }
                sql.push(')');
            }
            sql
        };
        // Binds each run's values in column order, cleaned of what a database may refuse.
        macro_rules! bind_runs {
            ($sql:expr, $runs:expr) => {{
                let mut query = sqlx::query($sql);
                for run in $runs {
                    query = query
                        .bind(clean(&run.id, MAX_LOGGED_ID_CHARS))
                        .bind(clean(&run.project_id, MAX_LOGGED_ID_CHARS))
                        .bind(clean(&run.account_id, MAX_LOGGED_ID_CHARS))
                        .bind(clean(&run.action, MAX_LOGGED_ID_CHARS))
                        .bind(clean(&run.source, MAX_LOGGED_ID_CHARS))
                        .bind(clean(&run.outcome, MAX_LOGGED_ID_CHARS))
                        .bind(run.front_status.map(i64::from))
                        .bind(run.duration_us)
                        .bind(i64::from(run.retries))
                        .bind(run.waited_ms)
                        .bind(
                            run.error
                                .as_deref()
                                .map(|error| clean(error, MAX_LOGGED_ERROR_CHARS)),
                        )
                        .bind(run.started_at.millis());
                }
                query
            }};
        }
        on_pool!(self.db(), pool => {
            let whole = async {
                let mut tx = pool.begin().await?;
                for chunk in runs.chunks(RUNS_PER_STATEMENT) {
                    let sql = insert_sql(chunk.len());
                    bind_runs!(&sql, chunk).execute(&mut *tx).await?;
                }
                tx.commit().await
            }
            .await;
            match whole {
                Ok(()) => return Ok(0),
                Err(error) if !refused_row(&error, sqlite) => return Err(error.into()),
                Err(_) => {}
            }
            let one_row = insert_sql(1);
            let mut refused = 0;
            for run in runs {
                match bind_runs!(&one_row, std::slice::from_ref(run)).execute(pool).await {
                    Ok(_) => {}
                    Err(error) if refused_row(&error, sqlite) => {
                        refused += 1;
                        tracing::warn!(
                            run_id = %clean(&run.id, MAX_LOGGED_ID_CHARS),
                            %error,
                            "the database refused a run; it is left out of the run log"
                        );
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            Ok(refused)
        })
    }

    /// A project's most recent runs, newest first.
    pub async fn list_runs(
        &self,
        project_id: &str,
        filter: &RunFilter,
    ) -> Result<Vec<Run>, StoreError> {
        const COLUMNS: &str = "id, project_id, account_id, action, source, outcome, front_status, \
             duration_us, retries, waited_ms, error, started_at";
        let limit = i64::from(filter.limit);
        let rows: Vec<RunRow> = match &filter.account_id {
            Some(account) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM runs WHERE project_id = $1 AND account_id = $2 \
                     ORDER BY started_at DESC, id DESC LIMIT $3"
                );
                on_pool!(self.db(), pool => sqlx::query_as(&sql)
                    .bind(project_id)
                    .bind(account)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?)
            }
            None => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM runs WHERE project_id = $1 \
                     ORDER BY started_at DESC, id DESC LIMIT $2"
                );
                on_pool!(self.db(), pool => sqlx::query_as(&sql)
                    .bind(project_id)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?)
            }
        };
        Ok(rows.into_iter().map(Run::from).collect())
    }

    /// Claims `key` for a request whose hash is `request_hash`, or says what the key already
    /// holds. A claim is held for `lock_ms` (the longest a request can take; a claim still
    /// without a result after that is [`IdempotencyBegin::OutcomeUnknown`], never taken over),
    /// and a result, sealed by the vault, is kept for `ttl_ms`.
    pub async fn idempotency_begin(
        &self,
        project_id: &str,
        key: &str,
        request_hash: &[u8],
        lock_ms: i64,
        ttl_ms: i64,
    ) -> Result<IdempotencyBegin, StoreError> {
        let now = Timestamp::now().millis();
        on_pool!(self.db(), pool => {
            sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?;
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys \
                   (project_id, idem_key, request_hash, locked_until, expires_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id, idem_key) DO NOTHING",
            )
            .bind(project_id)
            .bind(key)
            .bind(request_hash)
            .bind(now + lock_ms)
            .bind(now + ttl_ms)
            .execute(pool)
            .await?
            .rows_affected();
            if inserted == 1 {
                return Ok(IdempotencyBegin::Fresh);
            }
            let row: Option<IdempotencyRow> = sqlx::query_as(
                "SELECT request_hash, status, response_key_version, response_sealed, locked_until \
                 FROM idempotency_keys WHERE project_id = $1 AND idem_key = $2",
            )
            .bind(project_id)
            .bind(key)
            .fetch_optional(pool)
            .await?;
            // Expired and deleted by another request between the two statements: rare enough
            // to answer "in progress", which the caller retries.
            let Some(row) = row else {
                return Ok(IdempotencyBegin::InProgress);
            };
            if row.request_hash != request_hash {
                return Ok(IdempotencyBegin::Mismatch);
            }
            match (row.status, row.response_key_version, row.response_sealed) {
                (Some(status), Some(key_version), Some(sealed)) => {
                    let sealed = SealedRow { key_version, sealed }.to_sealed()?;
                    let opened = self
                        .inner
                        .keyring
                        .open(idempotency_binding(project_id, key), &sealed)?;
                    let response = String::from_utf8(opened).map_err(|_| {
                        StoreError::Corrupt("a stored idempotent answer is not UTF-8".to_owned())
                    })?;
                    Ok(IdempotencyBegin::Replay {
                        status: u16::try_from(status).unwrap_or(500),
                        response,
                    })
                }
                // A result whose answer is gone (stored before answers were sealed).
                (Some(_), _, _) => Ok(IdempotencyBegin::OutcomeUnknown),
                (None, _, _) if row.locked_until > now => Ok(IdempotencyBegin::InProgress),
                // The holder stopped without a result, perhaps after sending: never again.
                (None, _, _) => Ok(IdempotencyBegin::OutcomeUnknown),
            }
        })
    }

    /// Stores the result of a claimed key, sealed by the vault, replayed to every later request
    /// with it.
    pub async fn idempotency_finish(
        &self,
        project_id: &str,
        key: &str,
        status: u16,
        response: &str,
    ) -> Result<(), StoreError> {
        let sealed = self
            .inner
            .keyring
            .seal(idempotency_binding(project_id, key), response.as_bytes())?;
        on_pool!(self.db(), pool => sqlx::query(
            "UPDATE idempotency_keys \
             SET status = $1, response_key_version = $2, response_sealed = $3 \
             WHERE project_id = $4 AND idem_key = $5",
        )
        .bind(i64::from(status))
        .bind(i64::from(sealed.key_version))
        .bind(sealed.bytes)
        .bind(project_id)
        .bind(key)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Gives a claimed key up without a result (nothing reached Front), so it can be used
    /// again.
    pub async fn idempotency_release(&self, project_id: &str, key: &str) -> Result<(), StoreError> {
        on_pool!(self.db(), pool => sqlx::query(
            "DELETE FROM idempotency_keys WHERE project_id = $1 AND idem_key = $2 AND status IS NULL",
        )
        .bind(project_id)
        .bind(key)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }
}
