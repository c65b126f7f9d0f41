//! Webhooks: endpoints and their sealed signing secrets, the events the hub saw, one delivery per
//! event and endpoint with every attempt, and the position (with its lease) of each followed
//! Front company's event stream.
//!
//! An event is stored with its deliveries in the transaction that makes it known: a page of
//! Front's events with the cursor that moves past it, an account event with the account change.
//! So a hub killed at any point either moved on with every delivery queued or did not move on.
//! Events are keyed by id (Front's `evt_…`), so an event read twice is queued once.
//!
//! Claims make hubs share the work: a stream's lease (`lease_holder` until `lease_until`) lets
//! one hub follow a company at a time, and a delivery is claimed by one hub at a time
//! (`FOR UPDATE SKIP LOCKED` on Postgres, one conditional UPDATE on SQLite, whose writer lock
//! serialises them) until it records the attempt or the claim lapses.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;

use crate::accounts::{parse_json, parse_json_opt, to_json, to_json_opt};
use crate::db::{Db, from_row, on_pool};
use crate::model::{Account, Timestamp, base62_fixed, random_base62};
use crate::vault::Binding;
use crate::{Store, StoreError};

/// The prefix of the hub's own event types about a linked account.
pub const ACCOUNT_EVENT_PREFIX: &str = "account.";
/// The prefix of Front's event types as the hub names them (`front.tag`).
pub const FRONT_EVENT_PREFIX: &str = "front.";
/// Most events a replay queues again.
const MAX_REPLAY: i64 = 10_000;
/// Deliveries listed by [`Store::list_deliveries`] at most.
pub const MAX_DELIVERIES_LISTED: u32 = 100;

/// Whether `pattern` (an event type, `prefix.*` or `*`) selects `event_type`.
pub fn event_type_matches(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some("") => true,
        Some(prefix) => prefix.ends_with('.') && event_type.starts_with(prefix),
        None => pattern == event_type,
    }
}

/// A new endpoint, checked by the caller.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    pub event_types: Vec<String>,
    /// `None`: every account of the project.
    pub account_ids: Option<Vec<String>>,
    pub description: Option<String>,
}

/// A change to an endpoint. `None` leaves a field alone; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub account_ids: Option<Option<Vec<String>>>,
    pub description: Option<Option<String>>,
    /// `Some(true)` enables a disabled endpoint again (and forgets its failures).
    pub enabled: Option<bool>,
}

/// A webhook endpoint (never its secrets).
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub id: String,
    pub project_id: String,
    pub url: String,
    #[serde(rename = "events")]
    pub event_types: Vec<String>,
    pub account_ids: Option<Vec<String>>,
    pub description: Option<String>,
    /// Since when every attempt has failed.
    pub failing_since: Option<Timestamp>,
    /// When the hub stopped sending to it (failing for too long).
    pub disabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug)]
struct EndpointRow {
    id: String,
    project_id: String,
    url: String,
    event_types: String,
    account_ids: Option<String>,
    description: Option<String>,
    failing_since: Option<i64>,
    disabled_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}
from_row!(EndpointRow {
    id,
    project_id,
    url,
    event_types,
    account_ids,
    description,
    failing_since,
    disabled_at,
    created_at,
    updated_at
});

const ENDPOINT_COLUMNS: &str = "id, project_id, url, event_types, account_ids, description, \
     failing_since, disabled_at, created_at, updated_at";

impl TryFrom<EndpointRow> for Endpoint {
    type Error = StoreError;

    fn try_from(row: EndpointRow) -> Result<Endpoint, StoreError> {
        Ok(Endpoint {
            event_types: parse_json(&row.event_types, "event_types")?,
            account_ids: parse_json_opt(row.account_ids.as_deref(), "account_ids")?,
            id: row.id,
            project_id: row.project_id,
            url: row.url,
            description: row.description,
            failing_since: row.failing_since.map(Timestamp),
            disabled_at: row.disabled_at.map(Timestamp),
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }
}

/// An event read from Front's stream: its id, Front's type, `emitted_at` and the event exactly
/// as Front wrote it.
#[derive(Debug, Clone)]
pub struct FrontEvent {
    pub id: String,
    pub front_type: String,
    pub emitted_at: f64,
    pub payload: String,
}

/// Where a hub is in a company's event stream: the `emitted_at` of the last event taken, and
/// the ids taken at exactly that time (several events can share it).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamPosition {
    pub cursor_at: f64,
    pub boundary_ids: Vec<String>,
}

impl StreamPosition {
    /// Whether `event` was already taken (before the cursor, or at it and among its ids).
    pub fn has_taken(&self, event: &FrontEvent) -> bool {
        event.emitted_at < self.cursor_at
            || (event.emitted_at == self.cursor_at && self.boundary_ids.contains(&event.id))
    }

    /// Moves past `event` (events are taken oldest first).
    pub fn take(&mut self, event: &FrontEvent) {
        if event.emitted_at > self.cursor_at {
            self.cursor_at = event.emitted_at;
            self.boundary_ids.clear();
        }
        self.boundary_ids.push(event.id.clone());
    }
}

#[derive(Debug)]
struct StreamRow {
    cursor_at: f64,
    boundary_ids: String,
}
from_row!(StreamRow {
    cursor_at,
    boundary_ids
});

/// A delivery claimed by this hub, with what sending it needs.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// The message id: `webhook-id` on every attempt.
    pub id: String,
    pub endpoint_id: String,
    pub project_id: String,
    pub account_id: String,
    pub event_id: String,
    /// Attempts made before this one.
    pub attempts: u32,
    pub url: String,
    pub event_type: String,
    pub occurred_at: Timestamp,
    /// Front's event as Front wrote it, or the account event's `data`.
    pub payload: String,
    /// The claim: this hub's id and until when it holds the delivery.
    claimed_by: String,
    claimed_until: i64,
}

#[derive(Debug)]
struct DueRow {
    id: String,
    endpoint_id: String,
    project_id: String,
    account_id: String,
    event_id: String,
    attempts: i64,
    url: String,
    event_type: String,
    occurred_at: i64,
    payload: String,
    claimed_by: Option<String>,
    claimed_until: i64,
}
from_row!(DueRow {
    id,
    endpoint_id,
    project_id,
    account_id,
    event_id,
    attempts,
    url,
    event_type,
    occurred_at,
    payload,
    claimed_by,
    claimed_until
});

/// What one attempt gave. Never a secret; `excerpt` is short and cleaned by the caller.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptRecord {
    pub attempted_at: Timestamp,
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    /// `status`, `timeout`, `connect`, `refused_address`, … (`None` on success).
    pub error_kind: Option<String>,
    pub excerpt: Option<String>,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(Timestamp),
    /// Out of retries, or the receiver asked to stop.
    Failed,
}

/// A delivery as `GET /webhooks/{id}/deliveries` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub account_id: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub attempts: Vec<AttemptRecord>,
}

#[derive(Debug)]
struct DeliveryRow {
    id: String,
    event_id: String,
    event_type: String,
    account_id: String,
    status: String,
    next_attempt_at: i64,
    created_at: i64,
}
from_row!(DeliveryRow {
    id,
    event_id,
    event_type,
    account_id,
    status,
    next_attempt_at,
    created_at
});

#[derive(Debug)]
struct AttemptRow {
    delivery_id: String,
    attempted_at: i64,
    status_code: Option<i64>,
    latency_ms: i64,
    error_kind: Option<String>,
    excerpt: Option<String>,
}
from_row!(AttemptRow {
    delivery_id,
    attempted_at,
    status_code,
    latency_ms,
    error_kind,
    excerpt
});

/// An endpoint that may receive an event, with an account of its project the event concerns.
#[derive(Debug)]
pub(crate) struct TargetRow {
    endpoint_id: String,
    project_id: String,
    event_types: String,
    account_ids: Option<String>,
    account_id: String,
}
from_row!(TargetRow {
    endpoint_id,
    project_id,
    event_types,
    account_ids,
    account_id
});

/// The endpoints of a Front company's accounts (`$1`), with each such account, and the
/// endpoints of a project (`$2`) with one of its accounts (`$3`, which may be gone already:
/// `account.deleted`); disabled endpoints left out.
pub(crate) const TARGETS: &str = "SELECT e.id AS endpoint_id, e.project_id, e.event_types, \
       e.account_ids, a.id AS account_id \
     FROM webhook_endpoints e JOIN accounts a ON a.project_id = e.project_id \
     WHERE e.disabled_at IS NULL AND a.provider = 'front' AND a.provider_account_id = $1 \
     UNION ALL \
     SELECT e.id AS endpoint_id, e.project_id, e.event_types, e.account_ids, \
       CAST($3 AS TEXT) AS account_id \
     FROM webhook_endpoints e \
     WHERE e.disabled_at IS NULL AND e.project_id = $2 AND $3 IS NOT NULL \
     ORDER BY 1, 5";

/// The (endpoint, project, account) pairs that get `event_type`: per endpoint the first of its
/// accounts it listens to, if its patterns select the type.
pub(crate) fn choose_targets(
    rows: Vec<TargetRow>,
    event_type: &str,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut chosen: BTreeMap<String, (String, String)> = BTreeMap::new();
    for row in rows {
        if chosen.contains_key(&row.endpoint_id) {
            continue;
        }
        let patterns: Vec<String> = parse_json(&row.event_types, "event_types")?;
        if !patterns.iter().any(|p| event_type_matches(p, event_type)) {
            continue;
        }
        let accounts: Option<Vec<String>> =
            parse_json_opt(row.account_ids.as_deref(), "account_ids")?;
        if accounts.is_some_and(|ids| !ids.contains(&row.account_id)) {
            continue;
        }
        chosen.insert(row.endpoint_id, (row.project_id, row.account_id));
    }
    Ok(chosen
        .into_iter()
        .map(|(endpoint, (project, account))| (endpoint, project, account))
        .collect())
}

/// A fresh id: `prefix`, the time (so ids sort by creation), 12 random characters. Messages
/// are `msg_`, secrets `whs_` (newest sorts last), attempts `wha_`.
pub(crate) fn new_time_id(prefix: &str, now: i64) -> Result<String, StoreError> {
    Ok(format!(
        "{prefix}{}{}",
        base62_fixed(now.max(0).unsigned_abs(), 8),
        random_base62(12)?
    ))
}

/// An event about to be stored: the row of `hub_events`.
pub(crate) struct EventRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) company_id: Option<&'a str>,
    pub(crate) project_id: Option<&'a str>,
    pub(crate) account_id: Option<&'a str>,
    pub(crate) event_type: &'a str,
    pub(crate) occurred_at: i64,
    pub(crate) payload: &'a str,
}

/// Inside transaction `$tx`: stores `$event` (an [`EventRow`]) unless its id is known, and
/// queues a delivery for every endpoint it goes to. Evaluates to the deliveries queued.
macro_rules! store_event {
    ($tx:ident, $event:expr, $now:expr) => {{
        let event: &$crate::webhooks::EventRow<'_> = $event;
        let inserted = sqlx::query(
            "INSERT INTO hub_events (id, company_id, project_id, account_id, event_type, \
               occurred_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(event.id)
        .bind(event.company_id)
        .bind(event.project_id)
        .bind(event.account_id)
        .bind(event.event_type)
        .bind(event.occurred_at)
        .bind(event.payload)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        let mut queued = 0u64;
        if inserted == 1 {
            let rows: Vec<$crate::webhooks::TargetRow> = sqlx::query_as($crate::webhooks::TARGETS)
                .bind(event.company_id)
                .bind(event.project_id)
                .bind(event.account_id)
                .fetch_all(&mut *$tx)
                .await?;
            for (endpoint_id, project_id, account_id) in
                $crate::webhooks::choose_targets(rows, event.event_type)?
            {
                queued += sqlx::query(
                    "INSERT INTO webhook_deliveries (id, endpoint_id, project_id, event_id, \
                       account_id, status, attempts, next_attempt_at, claimed_by, claimed_until, \
                       created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, NULL, 0, $6, $6) \
                     ON CONFLICT (endpoint_id, event_id) DO NOTHING",
                )
                .bind($crate::webhooks::new_time_id("msg_", $now)?)
                .bind(endpoint_id)
                .bind(project_id)
                .bind(event.id)
                .bind(account_id)
                .bind($now)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
            }
        }
        queued
    }};
}
pub(crate) use store_event;

/// What an account event's `data` says: the account without credentials.
pub(crate) fn account_event_data(account: &Account) -> String {
    to_json(&json!({
        "account_id": account.id,
        "account": {
            "id": account.id,
            "provider": account.provider,
            "origin_owner_id": account.origin_owner_id,
            "origin_owner_name": account.origin_owner_name,
            "origin_username": account.origin_username,
            "label": account.label,
            "status": account.status,
            "status_reasons": account.status_reasons,
            "provider_account_id": account.provider_account_id,
            "provider_account_name": account.provider_account_name,
            "created_at": account.created_at,
            "updated_at": account.updated_at,
        }
    }))
}

/// Inside transaction `$tx`: records the hub event `account.$kind` about `$account` (as read
/// in the transaction).
macro_rules! record_account_event {
    ($tx:ident, $account:expr, $kind:expr, $now:expr) => {{
        let account: &$crate::model::Account = $account;
        let event_id = format!("ahe_{}", $crate::model::random_base62(24)?);
        let event_type = format!("{}{}", $crate::webhooks::ACCOUNT_EVENT_PREFIX, $kind);
        let payload = $crate::webhooks::account_event_data(account);
        let event =
            $crate::webhooks::account_event_row(&event_id, account, &event_type, &payload, $now);
        $crate::webhooks::store_event!($tx, &event, $now);
    }};
}
pub(crate) use record_account_event;

pub(crate) fn account_event_row<'a>(
    event_id: &'a str,
    account: &'a Account,
    event_type: &'a str,
    payload: &'a str,
    now: i64,
) -> EventRow<'a> {
    EventRow {
        id: event_id,
        company_id: None,
        project_id: Some(&account.project_id),
        account_id: Some(&account.id),
        event_type,
        occurred_at: now,
        payload,
    }
}

pub(crate) fn secret_binding<'a>(
    project_id: &'a str,
    endpoint_id: &'a str,
    secret_id: &'a str,
) -> Binding<'a> {
    Binding {
        scope: project_id,
        record: endpoint_id,
        field: secret_id,
    }
}

#[derive(Debug)]
struct SecretRow {
    secret_id: String,
    key_version: i64,
    sealed: Vec<u8>,
}
from_row!(SecretRow {
    secret_id,
    key_version,
    sealed
});

#[derive(Debug)]
struct CompanyRow {
    company_id: String,
    event_types: String,
}
from_row!(CompanyRow {
    company_id,
    event_types
});

#[derive(Debug)]
struct AccountRef {
    project_id: String,
    id: String,
}
from_row!(AccountRef { project_id, id });

#[derive(Debug)]
struct ReplayRow {
    id: String,
    event_type: String,
    account_id: String,
}
from_row!(ReplayRow {
    id,
    event_type,
    account_id
});

fn seconds_now(now: i64) -> f64 {
    now as f64 / 1000.0
}

impl Store {
    /// Creates an endpoint with its first signing secret. The Front companies of the project's
    /// accounts are followed from now on (a company already followed keeps its position).
    pub async fn create_endpoint(
        &self,
        project_id: &str,
        new: &NewEndpoint,
        secret: &SecretString,
    ) -> Result<Endpoint, StoreError> {
        let now = Timestamp::now().millis();
        let id = format!("whe_{}", random_base62(20)?);
        let secret_id = new_time_id("whs_", now)?;
        let sealed = self.inner.keyring.seal(
            secret_binding(project_id, &id, &secret_id),
            secret.expose_secret().as_bytes(),
        )?;
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO webhook_endpoints (id, project_id, url, event_types, account_ids, \
                   description, failing_since, disabled_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, $7)",
            )
            .bind(&id)
            .bind(project_id)
            .bind(&new.url)
            .bind(to_json(&new.event_types))
            .bind(to_json_opt(new.account_ids.as_ref()))
            .bind(&new.description)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO webhook_secrets (endpoint_id, secret_id, project_id, key_version, \
                   sealed, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
            )
            .bind(&id)
            .bind(&secret_id)
            .bind(project_id)
            .bind(i64::from(sealed.key_version))
            .bind(&sealed.bytes)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO event_streams (company_id, cursor_at, boundary_ids, lease_holder, \
                   lease_until, updated_at) \
                 SELECT DISTINCT provider_account_id, $1, '[]', NULL, 0, $2 FROM accounts \
                 WHERE project_id = $3 AND provider = 'front' \
                 ON CONFLICT (company_id) DO NOTHING",
            )
            .bind(seconds_now(now))
            .bind(now)
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.endpoint(project_id, &id).await
    }

    /// One endpoint of a project.
    pub async fn endpoint(&self, project_id: &str, id: &str) -> Result<Endpoint, StoreError> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND project_id = $2"
        );
        let row: Option<EndpointRow> = on_pool!(self.db(), pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(project_id)
            .fetch_optional(pool)
            .await?);
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// A project's endpoints, oldest first.
    pub async fn list_endpoints(&self, project_id: &str) -> Result<Vec<Endpoint>, StoreError> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE project_id = $1 \
             ORDER BY created_at, id"
        );
        let rows: Vec<EndpointRow> = on_pool!(self.db(), pool => sqlx::query_as(&sql)
            .bind(project_id)
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(Endpoint::try_from).collect()
    }

    /// Changes an endpoint.
    pub async fn update_endpoint(
        &self,
        project_id: &str,
        id: &str,
        patch: &EndpointPatch,
    ) -> Result<Endpoint, StoreError> {
        let current = self.endpoint(project_id, id).await?;
        let now = Timestamp::now().millis();
        let url = patch.url.clone().unwrap_or(current.url);
        let event_types = patch.event_types.clone().unwrap_or(current.event_types);
        let account_ids = patch.account_ids.clone().unwrap_or(current.account_ids);
        let description = patch.description.clone().unwrap_or(current.description);
        let (failing_since, disabled_at) = match patch.enabled {
            Some(true) => (None, None),
            Some(false) => (
                current.failing_since.map(Timestamp::millis),
                Some(current.disabled_at.map_or(now, Timestamp::millis)),
            ),
            None => (
                current.failing_since.map(Timestamp::millis),
                current.disabled_at.map(Timestamp::millis),
            ),
        };
        let updated = on_pool!(self.db(), pool => sqlx::query(
            "UPDATE webhook_endpoints SET url = $1, event_types = $2, account_ids = $3, \
               description = $4, failing_since = $5, disabled_at = $6, updated_at = $7 \
             WHERE id = $8 AND project_id = $9",
        )
        .bind(url)
        .bind(to_json(&event_types))
        .bind(to_json_opt(account_ids.as_ref()))
        .bind(description)
        .bind(failing_since)
        .bind(disabled_at)
        .bind(now)
        .bind(id)
        .bind(project_id)
        .execute(pool)
        .await?
        .rows_affected());
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        self.endpoint(project_id, id).await
    }

    /// Deletes an endpoint with its secrets, deliveries and attempts.
    pub async fn delete_endpoint(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Endpoint, StoreError> {
        let sql = format!(
            "DELETE FROM webhook_endpoints WHERE id = $1 AND project_id = $2 \
             RETURNING {ENDPOINT_COLUMNS}"
        );
        let row: Option<EndpointRow> = on_pool!(self.db(), pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(project_id)
            .fetch_optional(pool)
            .await?);
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// Makes `secret` the endpoint's signing secret; the secrets it had keep signing alongside
    /// it for `grace`.
    pub async fn rotate_endpoint_secret(
        &self,
        project_id: &str,
        id: &str,
        secret: &SecretString,
        grace: Duration,
    ) -> Result<Endpoint, StoreError> {
        let now = Timestamp::now().millis();
        let secret_id = new_time_id("whs_", now)?;
        let sealed = self.inner.keyring.seal(
            secret_binding(project_id, id, &secret_id),
            secret.expose_secret().as_bytes(),
        )?;
        let until = now.saturating_add(i64::try_from(grace.as_millis()).unwrap_or(i64::MAX));
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            let touched = sqlx::query(
                "UPDATE webhook_endpoints SET updated_at = $1 WHERE id = $2 AND project_id = $3",
            )
            .bind(now)
            .bind(id)
            .bind(project_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if touched == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "UPDATE webhook_secrets SET expires_at = $1 \
                 WHERE endpoint_id = $2 AND (expires_at IS NULL OR expires_at > $1)",
            )
            .bind(until)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM webhook_secrets WHERE endpoint_id = $1 AND expires_at <= $2")
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO webhook_secrets (endpoint_id, secret_id, project_id, key_version, \
                   sealed, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
            )
            .bind(id)
            .bind(&secret_id)
            .bind(project_id)
            .bind(i64::from(sealed.key_version))
            .bind(&sealed.bytes)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.endpoint(project_id, id).await
    }

    /// The secrets that sign an endpoint's messages now, newest first.
    pub async fn signing_secrets(
        &self,
        project_id: &str,
        endpoint_id: &str,
    ) -> Result<Vec<SecretString>, StoreError> {
        let now = Timestamp::now().millis();
        let rows: Vec<SecretRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT secret_id, key_version, sealed FROM webhook_secrets \
             WHERE endpoint_id = $1 AND project_id = $2 AND (expires_at IS NULL OR expires_at > $3) \
             ORDER BY secret_id DESC",
        )
        .bind(endpoint_id)
        .bind(project_id)
        .bind(now)
        .fetch_all(pool)
        .await?);
        rows.iter()
            .map(|row| {
                let sealed = crate::keys::SealedRow {
                    key_version: row.key_version,
                    sealed: row.sealed.clone(),
                }
                .to_sealed()?;
                let plaintext = self.inner.keyring.open(
                    secret_binding(project_id, endpoint_id, &row.secret_id),
                    &sealed,
                )?;
                String::from_utf8(plaintext)
                    .map(SecretString::from)
                    .map_err(|_| StoreError::Corrupt("a signing secret is not UTF-8".to_owned()))
            })
            .collect()
    }

    /// The Front companies whose events some enabled endpoint may want (an endpoint of a
    /// project with an account of the company, listening to a `front.` type or `*`).
    pub async fn followed_companies(&self) -> Result<BTreeSet<String>, StoreError> {
        let rows: Vec<CompanyRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT DISTINCT a.provider_account_id AS company_id, e.event_types \
             FROM webhook_endpoints e JOIN accounts a ON a.project_id = e.project_id \
             WHERE e.disabled_at IS NULL AND a.provider = 'front'",
        )
        .fetch_all(pool)
        .await?);
        let mut companies = BTreeSet::new();
        for row in rows {
            let patterns: Vec<String> = parse_json(&row.event_types, "event_types")?;
            if patterns
                .iter()
                .any(|p| p == "*" || p.starts_with(FRONT_EVENT_PREFIX))
            {
                companies.insert(row.company_id);
            }
        }
        Ok(companies)
    }

    /// The accounts (project id, account id) whose tokens can read a company's events, active
    /// ones oldest first.
    pub async fn company_accounts(
        &self,
        company_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<AccountRef> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT project_id, id FROM accounts \
             WHERE provider = 'front' AND provider_account_id = $1 AND status = 'active' \
             ORDER BY created_at, id",
        )
        .bind(company_id)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|row| (row.project_id, row.id))
            .collect())
    }

    /// Takes (or renews) the lease on a company's stream for `holder`, unless another hub holds
    /// it; a company never followed before starts from now. Returns the position to go on from,
    /// or `None` while another hub follows the company.
    pub async fn take_stream(
        &self,
        company_id: &str,
        holder: &str,
        lease: Duration,
    ) -> Result<Option<StreamPosition>, StoreError> {
        let now = Timestamp::now().millis();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let row: Option<StreamRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "INSERT INTO event_streams (company_id, cursor_at, boundary_ids, lease_holder, \
               lease_until, updated_at) VALUES ($1, $2, '[]', $3, $4, $5) \
             ON CONFLICT (company_id) DO UPDATE SET \
               lease_holder = excluded.lease_holder, lease_until = excluded.lease_until \
             WHERE event_streams.lease_holder = excluded.lease_holder \
               OR event_streams.lease_holder IS NULL OR event_streams.lease_until < $5 \
             RETURNING cursor_at, boundary_ids",
        )
        .bind(company_id)
        .bind(seconds_now(now))
        .bind(holder)
        .bind(until)
        .bind(now)
        .fetch_optional(pool)
        .await?);
        row.map(|row| {
            Ok(StreamPosition {
                cursor_at: row.cursor_at,
                boundary_ids: parse_json(&row.boundary_ids, "boundary_ids")?,
            })
        })
        .transpose()
    }

    /// Gives a company's stream up (this hub stops), so another can take it at once.
    pub async fn release_stream(&self, company_id: &str, holder: &str) -> Result<(), StoreError> {
        on_pool!(self.db(), pool => sqlx::query(
            "UPDATE event_streams SET lease_holder = NULL, lease_until = 0 \
             WHERE company_id = $1 AND lease_holder = $2",
        )
        .bind(company_id)
        .bind(holder)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Stores a page of a company's events with their deliveries and moves the stream to
    /// `position`, all in one transaction, if `holder` still holds the lease
    /// ([`StoreError::LeaseLost`] otherwise: nothing is written). Events already stored are
    /// skipped. Returns the deliveries queued.
    pub async fn advance_stream(
        &self,
        company_id: &str,
        holder: &str,
        events: &[FrontEvent],
        position: &StreamPosition,
    ) -> Result<u64, StoreError> {
        let now = Timestamp::now().millis();
        let typed: Vec<String> = events
            .iter()
            .map(|event| format!("{FRONT_EVENT_PREFIX}{}", event.front_type))
            .collect();
        let queued = on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            // The cursor first: it checks the lease and takes SQLite's write lock at once.
            let held = sqlx::query(
                "UPDATE event_streams SET cursor_at = $1, boundary_ids = $2, updated_at = $3 \
                 WHERE company_id = $4 AND lease_holder = $5 AND lease_until >= $3",
            )
            .bind(position.cursor_at)
            .bind(to_json(&position.boundary_ids))
            .bind(now)
            .bind(company_id)
            .bind(holder)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if held == 0 {
                return Err(StoreError::LeaseLost);
            }
            let mut queued = 0;
            for (event, event_type) in events.iter().zip(&typed) {
                let row = EventRow {
                    id: &event.id,
                    company_id: Some(company_id),
                    project_id: None,
                    account_id: None,
                    event_type,
                    occurred_at: (event.emitted_at * 1000.0) as i64,
                    payload: &event.payload,
                };
                queued += store_event!(tx, &row, now);
            }
            tx.commit().await?;
            queued
        });
        Ok(queued)
    }

    /// Claims up to `limit` deliveries that are due for `holder`, until `claim_for` from now.
    pub async fn claim_deliveries(
        &self,
        holder: &str,
        limit: u32,
        claim_for: Duration,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let now = Timestamp::now().millis();
        // The claim's own end time tells its rows from any earlier claim of this holder.
        let until = now
            .saturating_add(i64::try_from(claim_for.as_millis()).unwrap_or(i64::MAX))
            .saturating_add(i64::from(random_claim_jitter()?));
        let claim = match self.db() {
            // Rows another hub is claiming are skipped rather than waited for.
            Db::Postgres(_) => {
                "UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2 \
                 WHERE id IN (SELECT id FROM webhook_deliveries \
                   WHERE status = 'pending' AND next_attempt_at <= $3 AND claimed_until < $3 \
                   ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)"
            }
            // One statement under SQLite's single writer lock: nobody claims in between.
            Db::Sqlite(_) => {
                "UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2 \
                 WHERE id IN (SELECT id FROM webhook_deliveries \
                   WHERE status = 'pending' AND next_attempt_at <= $3 AND claimed_until < $3 \
                   ORDER BY next_attempt_at LIMIT $4) \
                 AND status = 'pending' AND claimed_until < $3"
            }
        };
        let claimed = on_pool!(self.db(), pool => sqlx::query(claim)
            .bind(holder)
            .bind(until)
            .bind(now)
            .bind(i64::from(limit))
            .execute(pool)
            .await?
            .rows_affected());
        if claimed == 0 {
            return Ok(Vec::new());
        }
        let rows: Vec<DueRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT d.id, d.endpoint_id, d.project_id, d.account_id, d.event_id, d.attempts, \
               e.url, v.event_type, v.occurred_at, v.payload, d.claimed_by, d.claimed_until \
             FROM webhook_deliveries d \
               JOIN webhook_endpoints e ON e.id = d.endpoint_id \
               JOIN hub_events v ON v.id = d.event_id \
             WHERE d.claimed_by = $1 AND d.claimed_until = $2 AND d.status = 'pending' \
             ORDER BY d.next_attempt_at, d.id",
        )
        .bind(holder)
        .bind(until)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|row| DueDelivery {
                id: row.id,
                endpoint_id: row.endpoint_id,
                project_id: row.project_id,
                account_id: row.account_id,
                event_id: row.event_id,
                attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
                url: row.url,
                event_type: row.event_type,
                occurred_at: Timestamp(row.occurred_at),
                payload: row.payload,
                claimed_by: row.claimed_by.unwrap_or_default(),
                claimed_until: row.claimed_until,
            })
            .collect())
    }

    /// Records an attempt at a claimed delivery and what follows from it, in one transaction:
    /// the delivery is delivered, due again, or failed; the endpoint's failure streak ends or
    /// goes on, and an endpoint failing for longer than `disable_after` is disabled (its pending
    /// deliveries fail). Returns whether the endpoint was disabled now.
    pub async fn record_attempt(
        &self,
        delivery: &DueDelivery,
        attempt: &AttemptRecord,
        outcome: AttemptOutcome,
        disable_after: Duration,
    ) -> Result<bool, StoreError> {
        let now = Timestamp::now().millis();
        let (status, next_at) = match outcome {
            AttemptOutcome::Delivered => ("delivered", now),
            AttemptOutcome::RetryAt(at) => ("pending", at.millis()),
            AttemptOutcome::Failed => ("failed", now),
        };
        let streak_start =
            now.saturating_sub(i64::try_from(disable_after.as_millis()).unwrap_or(i64::MAX));
        let attempt_id = new_time_id("wha_", now)?;
        let disabled = on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            // Only while the claim is ours: a lapsed claim another hub took is its to settle.
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, \
                   next_attempt_at = $2, claimed_by = NULL, claimed_until = 0, updated_at = $3 \
                 WHERE id = $4 AND claimed_by = $5 AND claimed_until = $6",
            )
            .bind(status)
            .bind(next_at)
            .bind(now)
            .bind(&delivery.id)
            .bind(&delivery.claimed_by)
            .bind(delivery.claimed_until)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, \
                   latency_ms, error_kind, excerpt) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&attempt_id)
            .bind(&delivery.id)
            .bind(attempt.attempted_at.millis())
            .bind(attempt.status_code.map(i64::from))
            .bind(attempt.latency_ms)
            .bind(&attempt.error_kind)
            .bind(&attempt.excerpt)
            .execute(&mut *tx)
            .await?;
            let mut disabled = 0;
            if outcome == AttemptOutcome::Delivered {
                sqlx::query(
                    "UPDATE webhook_endpoints SET failing_since = NULL \
                     WHERE id = $1 AND failing_since IS NOT NULL",
                )
                .bind(&delivery.endpoint_id)
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query(
                    "UPDATE webhook_endpoints SET failing_since = $1 \
                     WHERE id = $2 AND failing_since IS NULL",
                )
                .bind(attempt.attempted_at.millis())
                .bind(&delivery.endpoint_id)
                .execute(&mut *tx)
                .await?;
                disabled = sqlx::query(
                    "UPDATE webhook_endpoints SET disabled_at = $1, updated_at = $1 \
                     WHERE id = $2 AND disabled_at IS NULL AND failing_since <= $3",
                )
                .bind(now)
                .bind(&delivery.endpoint_id)
                .bind(streak_start)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if disabled == 1 {
                    sqlx::query(
                        "UPDATE webhook_deliveries SET status = 'failed', updated_at = $1 \
                         WHERE endpoint_id = $2 AND status = 'pending'",
                    )
                    .bind(now)
                    .bind(&delivery.endpoint_id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            disabled == 1
        });
        Ok(disabled)
    }

    /// An endpoint's deliveries, newest first, each with its attempts (oldest first).
    pub async fn list_deliveries(
        &self,
        project_id: &str,
        endpoint_id: &str,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.endpoint(project_id, endpoint_id).await?;
        let limit = i64::from(limit.min(MAX_DELIVERIES_LISTED));
        let rows: Vec<DeliveryRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT d.id, d.event_id, v.event_type, d.account_id, d.status, d.next_attempt_at, \
               d.created_at \
             FROM webhook_deliveries d JOIN hub_events v ON v.id = d.event_id \
             WHERE d.endpoint_id = $1 AND d.project_id = $2 \
             ORDER BY d.created_at DESC, d.id DESC LIMIT $3",
        )
        .bind(endpoint_id)
        .bind(project_id)
        .bind(limit)
        .fetch_all(pool)
        .await?);
        let attempts: Vec<AttemptRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT t.delivery_id, t.attempted_at, t.status_code, t.latency_ms, t.error_kind, \
               t.excerpt \
             FROM webhook_attempts t JOIN webhook_deliveries d ON d.id = t.delivery_id \
             WHERE d.endpoint_id = $1 AND d.project_id = $2 AND d.id IN \
               (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 \
                ORDER BY created_at DESC, id DESC LIMIT $3) \
             ORDER BY t.attempted_at, t.id",
        )
        .bind(endpoint_id)
        .bind(project_id)
        .bind(limit)
        .fetch_all(pool)
        .await?);
        let mut by_delivery: BTreeMap<String, Vec<AttemptRecord>> = BTreeMap::new();
        for row in attempts {
            by_delivery
                .entry(row.delivery_id)
                .or_default()
                .push(AttemptRecord {
                    attempted_at: Timestamp(row.attempted_at),
                    status_code: row.status_code.and_then(|code| u16::try_from(code).ok()),
                    latency_ms: row.latency_ms,
                    error_kind: row.error_kind,
                    excerpt: row.excerpt,
                });
        }
        Ok(rows
            .into_iter()
            .map(|row| Delivery {
                attempts: by_delivery.remove(&row.id).unwrap_or_default(),
                next_attempt_at: (row.status == "pending")
                    .then_some(Timestamp(row.next_attempt_at)),
                id: row.id,
                event_id: row.event_id,
                event_type: row.event_type,
                account_id: row.account_id,
                status: row.status,
                created_at: Timestamp(row.created_at),
            })
            .collect())
    }

    /// Makes a delivery due now (again), whatever became of it.
    pub async fn retry_delivery(
        &self,
        project_id: &str,
        endpoint_id: &str,
        delivery_id: &str,
    ) -> Result<(), StoreError> {
        let now = Timestamp::now().millis();
        let updated = on_pool!(self.db(), pool => sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, updated_at = $1 \
             WHERE id = $2 AND endpoint_id = $3 AND project_id = $4",
        )
        .bind(now)
        .bind(delivery_id)
        .bind(endpoint_id)
        .bind(project_id)
        .execute(pool)
        .await?
        .rows_affected());
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Queues again (or for the first time) every stored event since `since` that the endpoint
    /// listens to, at most 10,000; a message keeps its id. Returns how many were queued.
    pub async fn replay(
        &self,
        project_id: &str,
        endpoint_id: &str,
        since: Timestamp,
    ) -> Result<u64, StoreError> {
        let endpoint = self.endpoint(project_id, endpoint_id).await?;
        let now = Timestamp::now().millis();
        let rows: Vec<ReplayRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT v.id, v.event_type, a.id AS account_id FROM hub_events v \
               JOIN accounts a ON a.provider = 'front' AND a.provider_account_id = v.company_id \
             WHERE a.project_id = $1 AND v.occurred_at >= $2 \
             UNION ALL \
             SELECT v.id, v.event_type, v.account_id FROM hub_events v \
             WHERE v.project_id = $1 AND v.occurred_at >= $2 AND v.account_id IS NOT NULL \
             ORDER BY 1, 3 LIMIT $3",
        )
        .bind(project_id)
        .bind(since.millis())
        .bind(MAX_REPLAY)
        .fetch_all(pool)
        .await?);
        let mut queued = 0;
        let mut seen = BTreeSet::new();
        for row in rows {
            let listens = endpoint
                .event_types
                .iter()
                .any(|p| event_type_matches(p, &row.event_type))
                && endpoint
                    .account_ids
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&row.account_id));
            if !listens || !seen.insert(row.id.clone()) {
                continue;
            }
            queued += on_pool!(self.db(), pool => sqlx::query(
                "INSERT INTO webhook_deliveries (id, endpoint_id, project_id, event_id, \
                   account_id, status, attempts, next_attempt_at, claimed_by, claimed_until, \
                   created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, NULL, 0, $6, $6) \
                 ON CONFLICT (endpoint_id, event_id) DO UPDATE SET status = 'pending', \
                   next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at",
            )
            .bind(new_time_id("msg_", now)?)
            .bind(endpoint_id)
            .bind(project_id)
            .bind(&row.id)
            .bind(&row.account_id)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected());
        }
        Ok(queued)
    }
}

/// Up to 255 ms added to a claim's end, so two hubs claiming in the same millisecond cannot
/// share a claim time.
fn random_claim_jitter() -> Result<u8, StoreError> {
    let mut byte = [0u8; 1];
    getrandom::fill(&mut byte).map_err(|_| StoreError::Entropy)?;
    Ok(byte[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_select_types_and_wildcards() {
        assert!(event_type_matches("*", "front.tag"));
        assert!(event_type_matches("front.*", "front.tag"));
        assert!(!event_type_matches("front.*", "account.created"));
        assert!(event_type_matches("account.created", "account.created"));
        assert!(!event_type_matches("front.ta*", "front.tag"));
        assert!(!event_type_matches("front.tag", "front.tagged"));
    }

    #[test]
    fn a_position_takes_events_sharing_a_time_once() {
        let event = |id: &str, at: f64| FrontEvent {
            id: id.to_owned(),
            front_type: "tag".to_owned(),
            emitted_at: at,
            payload: "{}".to_owned(),
        };
        let mut position = StreamPosition {
            cursor_at: 10.0,
            boundary_ids: Vec::new(),
        };
        let (a, b, c) = (
            event("evt_a", 11.5),
            event("evt_b", 11.5),
            event("evt_c", 12.0),
        );
        assert!(!position.has_taken(&a));
        position.take(&a);
        assert!(position.has_taken(&a) && !position.has_taken(&b));
        position.take(&b);
        assert_eq!(position.boundary_ids, ["evt_a", "evt_b"]);
        position.take(&c);
        assert!(position.has_taken(&b));
        assert_eq!(position.boundary_ids, ["evt_c"]);
        assert!(position.has_taken(&event("evt_old", 9.0)));
    }
}
