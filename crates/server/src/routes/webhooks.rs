//! `POST/GET /webhooks`, `GET/PATCH/DELETE /webhooks/{id}`, `POST /webhooks/{id}/rotate-secret`,
//! `GET /webhooks/{id}/deliveries`, `POST /webhooks/{id}/deliveries/{delivery_id}/retry` and
//! `POST /webhooks/{id}/replay`: a project's webhook endpoints and their delivery log. Sending
//! is the worker's (`actionhub-worker`); these routes only change what it reads.

use actionhub_store::{Endpoint, MAX_DELIVERIES_LISTED, Timestamp};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, PathId, PathIds, QueryParams, Tenant};
use crate::webhooks::{self, EndpointChange, EndpointRequest};

const DEFAULT_DELIVERIES_LISTED: u32 = 50;

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
    let request = EndpointRequest {
        url: body.url,
        events: body.events,
        account_ids: body.account_ids,
        description: body.description,
    };
    let (endpoint, secret) = webhooks::create_endpoint(
        &state.store,
        state.webhooks.address_policy,
        &principal.project_id,
        request,
    )
    .await?;
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

pub async fn show(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let endpoint = state
        .store
        .endpoint(&principal.project_id, &id)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("webhook endpoint {id}")))?;
    Ok(Json(view(&endpoint)))
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
    let change = EndpointChange {
        url: body.url,
        events: body.events,
        account_ids: body.account_ids,
        description: body.description,
        enabled: body.enabled,
    };
    let endpoint = webhooks::update_endpoint(
        &state.store,
        state.webhooks.address_policy,
        &principal.project_id,
        &id,
        change,
    )
    .await
    .map_err(|error| ApiError::from_endpoint(error, &format!("webhook endpoint {id}")))?;
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
    let secret = webhooks::new_secret()?;
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
    /// Every stored event from then on is sent again: RFC 3339 in UTC, or Unix seconds.
    since: Since,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Since {
    UnixSeconds(i64),
    Rfc3339(String),
}

pub async fn replay(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
    ApiJson(body): ApiJson<Replay>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let since = match &body.since {
        Since::UnixSeconds(seconds) => seconds.checked_mul(1000).map(Timestamp),
        Since::Rfc3339(text) => Timestamp::parse_rfc3339(text),
    }
    .filter(|since| since.millis() >= 0 && *since <= Timestamp::now())
    .ok_or_else(|| {
        ApiError::BadRequest(
            "`since` must be a time in the past: RFC 3339 in UTC (2026-01-01T10:00:00Z) or Unix seconds"
                .to_owned(),
        )
    })?;
    // Queued in a task of its own: a caller that goes away does not leave it half done.
    let store = state.store.clone();
    let project_id = principal.project_id.clone();
    let endpoint_id = id.clone();
    let queued = tokio::spawn(async move { store.replay(&project_id, &endpoint_id, since).await })
        .await
        .map_err(|error| {
            tracing::error!(%error, "the replay task failed");
            ApiError::Internal
        })?
        .map_err(|error| ApiError::from_store(error, &format!("webhook endpoint {id}")))?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": queued }))))
}
