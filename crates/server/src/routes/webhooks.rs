//! `POST/GET /webhooks`, `GET/PATCH/DELETE /webhooks/{id}`, `POST /webhooks/{id}/rotate-secret`,
//! `GET /webhooks/{id}/deliveries`, `POST /webhooks/{id}/deliveries/{delivery_id}/retry` and
//! `POST /webhooks/{id}/replay`: a project's webhook endpoints and their delivery log. Sending
//! is the worker's (`actionhub-worker`); these routes only change what it reads.

use actionhub_catalog::{Catalog, echo};
use actionhub_store::{
    ACCOUNT_EVENT_PREFIX, Endpoint, EndpointPatch, FRONT_EVENT_PREFIX, MAX_DELIVERIES_LISTED,
    NewEndpoint, StoreError, Timestamp,
};
use actionhub_worker::security;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, PathId, PathIds, QueryParams, Tenant};

/// Most event types (and wildcards) one endpoint may list.
const MAX_EVENT_TYPES: usize = 100;
/// Most accounts one endpoint may be limited to.
const MAX_ACCOUNT_IDS: usize = 100;
/// Longest description, in characters.
const MAX_DESCRIPTION_CHARS: usize = 500;
/// The hub's own events about a linked account.
const ACCOUNT_EVENTS: [&str; 4] = ["created", "updated", "deleted", "error"];
const DEFAULT_DELIVERIES_LISTED: u32 = 50;

/// Every event type an endpoint can name: `front.<type>` for each of Front's, and the hub's
/// `account.*` events.
fn event_types() -> Vec<String> {
    let front = Catalog::builtin()
        .connector("front")
        .and_then(|front| front.events.as_ref())
        .map(|events| events.types())
        .unwrap_or_default();
    front
        .iter()
        .map(|t| format!("{FRONT_EVENT_PREFIX}{t}"))
        .chain(
            ACCOUNT_EVENTS
                .iter()
                .map(|t| format!("{ACCOUNT_EVENT_PREFIX}{t}")),
        )
        .collect()
}

/// Checks `events`: each an event type, `front.*`, `account.*` or `*`; no repeats kept.
fn check_event_types(field: &str, given: &[String]) -> Result<Vec<String>, ApiError> {
    if given.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "`{field}` must name at least one event type (`*` for every event)"
        )));
    }
    if given.len() > MAX_EVENT_TYPES {
        return Err(ApiError::BadRequest(format!(
            "`{field}` may list at most {MAX_EVENT_TYPES} event types"
        )));
    }
    let known = event_types();
    let wildcards = [
        "*".to_owned(),
        format!("{FRONT_EVENT_PREFIX}*"),
        format!("{ACCOUNT_EVENT_PREFIX}*"),
    ];
    let mut checked: Vec<String> = Vec::new();
    for (index, pattern) in given.iter().enumerate() {
        if !known.contains(pattern) && !wildcards.contains(pattern) {
            let nearest = known
                .iter()
                .chain(&wildcards)
                .map(|t| (strsim::levenshtein(t, pattern), t))
                .min()
                .filter(|(distance, _)| *distance <= 3)
                .map(|(_, t)| format!("; did you mean `{t}`?"))
                .unwrap_or_else(|| {
                    "; see docs/webhooks.md for the types (front.<Front event type>, account.created|updated|deleted|error, front.*, account.*, *)".to_owned()
                });
            return Err(ApiError::BadRequest(format!(
                "`{field}[{index}]` is not an event type (`{}`){nearest}",
                echo(pattern)
            )));
        }
        if !checked.contains(pattern) {
            checked.push(pattern.clone());
        }
    }
    Ok(checked)
}

/// Checks the endpoint URL's form and, unless private addresses are allowed, where it resolves.
async fn check_url(state: &AppState, url: &str) -> Result<String, ApiError> {
    security::check_resolved(url.trim(), state.webhooks.address_policy)
        .await
        .map(|url| url.to_string())
        .map_err(|refused| ApiError::BadRequest(format!("`url` {refused}")))
}

/// Checks `account_ids`: accounts of this project, at most [`MAX_ACCOUNT_IDS`].
async fn check_account_ids(
    state: &AppState,
    project_id: &str,
    ids: &[String],
) -> Result<Vec<String>, ApiError> {
    if ids.is_empty() {
        return Err(ApiError::BadRequest(
            "`account_ids` must name at least one account (leave it out for every account)"
                .to_owned(),
        ));
    }
    if ids.len() > MAX_ACCOUNT_IDS {
        return Err(ApiError::BadRequest(format!(
            "`account_ids` may list at most {MAX_ACCOUNT_IDS} accounts"
        )));
    }
    let mut checked: Vec<String> = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        match state.store.account(project_id, id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(ApiError::BadRequest(format!(
                    "`account_ids[{index}]`: no account `{}` in this project",
                    echo(id)
                )));
            }
            Err(other) => return Err(other.into()),
        }
        if !checked.contains(id) {
            checked.push(id.clone());
        }
    }
    Ok(checked)
}

fn check_description(description: Option<String>) -> Result<Option<String>, ApiError> {
    match description {
        Some(text) if text.chars().count() > MAX_DESCRIPTION_CHARS => Err(ApiError::BadRequest(
            format!("`description` must be at most {MAX_DESCRIPTION_CHARS} characters"),
        )),
        other => Ok(other),
    }
}

/// An endpoint as the API shows it: never its secrets; `status` says whether it is sent to.
fn view(endpoint: &Endpoint) -> Value {
    let mut value = json!(endpoint);
    if let Some(object) = value.as_object_mut() {
        object.remove("project_id");
        let status = if endpoint.disabled_at.is_some() {
            "disabled"
        } else {
            "enabled"
        };
        object.insert("status".into(), json!(status));
    }
    value
}

/// The one answer that shows a signing secret: creation and rotation.
fn view_with_secret(endpoint: &Endpoint, secret: &SecretString) -> Value {
    let mut value = view(endpoint);
    if let Some(object) = value.as_object_mut() {
        object.insert("secret".into(), json!(secret.expose_secret()));
    }
    value
}

fn new_secret() -> Result<SecretString, ApiError> {
    security::new_secret().map_err(|error| {
        tracing::error!(%error, "the random number generator failed");
        ApiError::Internal
    })
}

/// `POST /webhooks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
    url: String,
    /// Event types and wildcards; every event (`*`) when left out.
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default)]
    account_ids: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    ApiJson(body): ApiJson<CreateEndpoint>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new = NewEndpoint {
        url: check_url(&state, &body.url).await?,
        event_types: check_event_types("events", &body.events.unwrap_or_else(|| vec!["*".into()]))?,
        account_ids: match body.account_ids {
            Some(ids) => Some(check_account_ids(&state, &principal.project_id, &ids).await?),
            None => None,
        },
        description: check_description(body.description)?,
    };
    let secret = new_secret()?;
    let endpoint = state
        .store
        .create_endpoint(&principal.project_id, &new, &secret)
        .await?;
    tracing::info!(project_id = %principal.project_id, endpoint_id = %endpoint.id, "webhook endpoint created");
    Ok((
        StatusCode::CREATED,
        Json(view_with_secret(&endpoint, &secret)),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
) -> Result<Json<Value>, ApiError> {
    let endpoints = state.store.list_endpoints(&principal.project_id).await?;
    Ok(Json(
        json!({ "data": endpoints.iter().map(view).collect::<Vec<_>>() }),
    ))
}

async fn project_endpoint(
    state: &AppState,
    project_id: &str,
    id: &str,
) -> Result<Endpoint, ApiError> {
    state
        .store
        .endpoint(project_id, id)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("webhook endpoint {id}")))
}

pub async fn show(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(view(
        &project_endpoint(&state, &principal.project_id, &id).await?,
    )))
}

/// `PATCH /webhooks/{id}`: every field optional; `null` clears `account_ids` (every account)
/// or `description`; `enabled: true` turns a disabled endpoint back on.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpoint {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    account_ids: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default)]
    enabled: Option<bool>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

pub async fn update(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
    ApiJson(body): ApiJson<UpdateEndpoint>,
) -> Result<Json<Value>, ApiError> {
    project_endpoint(&state, &principal.project_id, &id).await?;
    let patch = EndpointPatch {
        url: match body.url {
            Some(url) => Some(check_url(&state, &url).await?),
            None => None,
        },
        event_types: body
            .events
            .map(|events| check_event_types("events", &events))
            .transpose()?,
        account_ids: match body.account_ids {
            Some(Some(ids)) => Some(Some(
                check_account_ids(&state, &principal.project_id, &ids).await?,
            )),
            other => other,
        },
        description: body.description.map(check_description).transpose()?,
        enabled: body.enabled,
    };
    let endpoint = state
        .store
        .update_endpoint(&principal.project_id, &id, &patch)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("webhook endpoint {id}")))?;
    Ok(Json(view(&endpoint)))
}

pub async fn remove(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let endpoint = state
        .store
        .delete_endpoint(&principal.project_id, &id)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("webhook endpoint {id}")))?;
    tracing::info!(project_id = %principal.project_id, endpoint_id = %id, "webhook endpoint deleted");
    Ok(Json(view(&endpoint)))
}

/// `POST /webhooks/{id}/rotate-secret`: a new secret, shown once; the previous ones keep
/// signing alongside it for the grace period (`webhook-signature` then has several entries).
pub async fn rotate_secret(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let secret = new_secret()?;
    let endpoint = state
        .store
        .rotate_endpoint_secret(
            &principal.project_id,
            &id,
            &secret,
            state.webhooks.rotation_grace,
        )
        .await
        .map_err(|error| ApiError::from_store(error, &format!("webhook endpoint {id}")))?;
    Ok(Json(view_with_secret(&endpoint, &secret)))
}

/// `GET /webhooks/{id}/deliveries?limit=N`: newest first, each with its attempts.
pub async fn deliveries(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let limit = query.number("limit", DEFAULT_DELIVERIES_LISTED, 1, MAX_DELIVERIES_LISTED)?;
    let deliveries = state
        .store
        .list_deliveries(&principal.project_id, &id, limit)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("webhook endpoint {id}")))?;
    Ok(Json(json!({ "data": deliveries })))
}

/// `POST /webhooks/{id}/deliveries/{delivery_id}/retry`: sent again as soon as a worker is free,
/// with the same `webhook-id`.
pub async fn retry(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathIds(id, delivery_id): PathIds,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    state
        .store
        .retry_delivery(&principal.project_id, &id, &delivery_id)
        .await
        .map_err(|error| {
            ApiError::from_store(
                error,
                &format!("delivery {delivery_id} of webhook endpoint {id}"),
            )
        })?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": delivery_id, "status": "pending" })),
    ))
}

/// `POST /webhooks/{id}/replay`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// Unix seconds: every stored event from then on is sent again.
    since: i64,
}

pub async fn replay(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
    ApiJson(body): ApiJson<Replay>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let now = Timestamp::now();
    if body.since < 0 || body.since.saturating_mul(1000) > now.millis() {
        return Err(ApiError::BadRequest(
            "`since` must be a time in the past, in Unix seconds".to_owned(),
        ));
    }
    // Queued in a task of its own: a caller that goes away does not leave it half done.
    let store = state.store.clone();
    let project_id = principal.project_id.clone();
    let endpoint_id = id.clone();
    let queued = tokio::spawn(async move {
        store
            .replay(&project_id, &endpoint_id, Timestamp(body.since * 1000))
            .await
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "the replay task failed");
        ApiError::Internal
    })?
    .map_err(|error| ApiError::from_store(error, &format!("webhook endpoint {id}")))?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": queued }))))
}
