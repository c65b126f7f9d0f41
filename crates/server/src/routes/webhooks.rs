//! `POST/GET /webhooks`, `GET/PATCH/DELETE /webhooks/{id}`, `POST /webhooks/{id}/rotate-secret`,
//! `GET /webhooks/{id}/deliveries`, `POST /webhooks/{id}/deliveries/{delivery_id}/retry` and
//! `POST /webhooks/{id}/replay`: a project's webhook endpoints and their delivery log. Sending
//! is the worker's (`actionhub-worker`); these routes only change what it reads.

use actionhub_store::{Delivery, Endpoint, MAX_DELIVERIES_LISTED, Timestamp};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, PathId, PathIds, QueryParams, Tenant};
use crate::webhooks::{self, EndpointChange, EndpointRequest};

const DEFAULT_DELIVERIES_LISTED: u32 = 50;

/// An endpoint as the API shows it: never its secrets; `status` says whether it is sent to.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpoint {
    #[schema(example = "whe_2Yq9mK4tB8rN1cX7")]
    pub id: String,
    #[schema(example = "https://example.com/hooks")]
    pub url: String,
    /// Event types and wildcards (`front.*`, `account.*`, `*`).
    #[schema(example = json!(["front.tag", "account.*"]))]
    pub events: Vec<String>,
    /// Only these accounts' events; null: every account of the project.
    pub account_ids: Option<Vec<String>>,
    pub description: Option<String>,
    /// `enabled`, or `disabled` after failing for too long (`PATCH` with `enabled: true`).
    pub status: EndpointStatus,
    /// Since when every attempt has failed.
    pub failing_since: Option<Timestamp>,
    /// When the hub stopped sending to it.
    pub disabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The signing secret (`whsec_…`): only in the answers of creation and rotation. Kept as a
    /// `SecretString` until it is written, so that `Debug` (a log line) never shows it.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_secret"
    )]
    #[schema(value_type = Option<String>, example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: Option<SecretString>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EndpointStatus {
    Enabled,
    Disabled,
}

impl WebhookEndpoint {
    fn new(endpoint: Endpoint, secret: Option<SecretString>) -> WebhookEndpoint {
        let status = if endpoint.disabled_at.is_some() {
            EndpointStatus::Disabled
        } else {
            EndpointStatus::Enabled
        };
        WebhookEndpoint {
            id: endpoint.id,
            url: endpoint.url,
            events: endpoint.event_types,
            account_ids: endpoint.account_ids,
            description: endpoint.description,
            status,
            failing_since: endpoint.failing_since,
            disabled_at: endpoint.disabled_at,
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
            secret,
        }
    }
}

/// Writes the secret of the one answer that shows it (creation and rotation).
fn serialize_secret<S: serde::Serializer>(
    secret: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    secret
        .as_ref()
        .map(ExposeSecret::expose_secret)
        .serialize(serializer)
}

/// A store error about endpoint `id`, as the API answers it (another project's is a 404 too).
fn endpoint_error(id: &str) -> impl FnOnce(actionhub_store::StoreError) -> ApiError + '_ {
    move |error| ApiError::from_store(error, &format!("webhook endpoint {id}"))
}

/// A list of endpoints or deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataList<T> {
    pub data: Vec<T>,
}

/// `POST /webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://example.com/hooks", "events": ["front.tag", "account.*"]}))]
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

/// Creates an endpoint; the answer shows its signing secret, once.
#[utoipa::path(
    post,
    path = "/webhooks",
    operation_id = "create_webhook_endpoint",
    tag = "Webhooks",
    security(("api_key" = [])),
    request_body = CreateEndpoint,
    responses(
        (status = 201, description = "The endpoint, with its signing secret (shown only now)", body = WebhookEndpoint),
        (status = 400, description = "A field is invalid (the message names it)", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    ApiJson(body): ApiJson<CreateEndpoint>,
) -> Result<(StatusCode, Json<WebhookEndpoint>), ApiError> {
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
        Json(WebhookEndpoint::new(endpoint, Some(secret))),
    ))
}

/// Lists the project's endpoints.
#[utoipa::path(
    get,
    path = "/webhooks",
    operation_id = "list_webhook_endpoints",
    tag = "Webhooks",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The project's endpoints", body = DataList<WebhookEndpoint>),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
) -> Result<Json<DataList<WebhookEndpoint>>, ApiError> {
    let endpoints = state.store.list_endpoints(&principal.project_id).await?;
    Ok(Json(DataList {
        data: endpoints
            .into_iter()
            .map(|endpoint| WebhookEndpoint::new(endpoint, None))
            .collect(),
    }))
}

/// Shows one endpoint.
#[utoipa::path(
    get,
    path = "/webhooks/{id}",
    operation_id = "get_webhook_endpoint",
    tag = "Webhooks",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id", example = "whe_2Yq9mK4tB8rN1cX7")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpoint),
        (status = 404, description = "No such endpoint in this project", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn show(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let endpoint = state
        .store
        .endpoint(&principal.project_id, &id)
        .await
        .map_err(endpoint_error(&id))?;
    Ok(Json(WebhookEndpoint::new(endpoint, None)))
}

/// `PATCH /webhooks/{id}`: every field optional; `null` clears `account_ids` (every account)
/// or `description`; `enabled: true` turns a disabled endpoint back on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"events": ["front.*"], "enabled": true}))]
pub struct UpdateEndpoint {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    account_ids: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    description: Option<Option<String>>,
    #[serde(default)]
    enabled: Option<bool>,
}

/// Changes an endpoint.
#[utoipa::path(
    patch,
    path = "/webhooks/{id}",
    operation_id = "update_webhook_endpoint",
    tag = "Webhooks",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id", example = "whe_2Yq9mK4tB8rN1cX7")),
    request_body = UpdateEndpoint,
    responses(
        (status = 200, description = "The endpoint as changed", body = WebhookEndpoint),
        (status = 400, description = "A field is invalid (the message names it)", body = ErrorBody),
        (status = 404, description = "No such endpoint in this project", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
    ApiJson(body): ApiJson<UpdateEndpoint>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
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
    Ok(Json(WebhookEndpoint::new(endpoint, None)))
}

/// Removes an endpoint; nothing more is sent to it.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    operation_id = "delete_webhook_endpoint",
    tag = "Webhooks",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id", example = "whe_2Yq9mK4tB8rN1cX7")),
    responses(
        (status = 200, description = "The endpoint that was removed", body = WebhookEndpoint),
        (status = 404, description = "No such endpoint in this project", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn remove(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let endpoint = state
        .store
        .delete_endpoint(&principal.project_id, &id)
        .await
        .map_err(endpoint_error(&id))?;
    tracing::info!(project_id = %principal.project_id, endpoint_id = %id, "webhook endpoint deleted");
    Ok(Json(WebhookEndpoint::new(endpoint, None)))
}

/// `POST /webhooks/{id}/rotate-secret`: a new secret, shown once; the previous ones keep
/// signing alongside it for the grace period (`webhook-signature` then has several entries).
#[utoipa::path(
    post,
    path = "/webhooks/{id}/rotate-secret",
    operation_id = "rotate_webhook_secret",
    tag = "Webhooks",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id", example = "whe_2Yq9mK4tB8rN1cX7")),
    responses(
        (status = 200, description = "The endpoint with its new signing secret (shown only now)", body = WebhookEndpoint),
        (status = 404, description = "No such endpoint in this project", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<WebhookEndpoint>, ApiError> {
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
        .map_err(endpoint_error(&id))?;
    Ok(Json(WebhookEndpoint::new(endpoint, Some(secret))))
}

/// `GET /webhooks/{id}/deliveries?limit=N`: newest first, each with its attempts.
#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries",
    operation_id = "list_webhook_deliveries",
    tag = "Webhooks",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id", example = "whe_2Yq9mK4tB8rN1cX7"), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Deliveries listed (default 50)")),
    responses(
        (status = 200, description = "Deliveries, newest first, each with its attempts", body = DataList<Delivery>),
        (status = 400, description = "A field is invalid (the message names it)", body = ErrorBody),
        (status = 404, description = "No such endpoint in this project", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn deliveries(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
    query: QueryParams,
) -> Result<Json<DataList<Delivery>>, ApiError> {
    let limit = query.number("limit", DEFAULT_DELIVERIES_LISTED, 1, MAX_DELIVERIES_LISTED)?;
    let deliveries = state
        .store
        .list_deliveries(&principal.project_id, &id, limit)
        .await
        .map_err(endpoint_error(&id))?;
    Ok(Json(DataList { data: deliveries }))
}

/// The answer of a retry: the delivery, pending again.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetryQueued {
    pub id: String,
    #[schema(example = "pending")]
    pub status: &'static str,
}

/// `POST /webhooks/{id}/deliveries/{delivery_id}/retry`: sent again as soon as a worker is free,
/// with the same `webhook-id`.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/deliveries/{delivery_id}/retry",
    operation_id = "retry_webhook_delivery",
    tag = "Webhooks",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id", example = "whe_2Yq9mK4tB8rN1cX7"), ("delivery_id" = String, Path, description = "The delivery's id", example = "msg_2Yq9mK4tB8rN1cX7")),
    responses(
        (status = 202, description = "Queued: sent again as soon as a worker is free, with the same `webhook-id`", body = RetryQueued),
        (status = 404, description = "No such endpoint in this project", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn retry(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathIds(id, delivery_id): PathIds,
) -> Result<(StatusCode, Json<RetryQueued>), ApiError> {
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
        Json(RetryQueued {
            id: delivery_id,
            status: "pending",
        }),
    ))
}

/// `POST /webhooks/{id}/replay`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"since": "2026-01-01T10:00:00Z"}))]
pub struct Replay {
    /// Every stored event from then on is sent again: RFC 3339 in UTC, or Unix seconds.
    since: Since,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
enum Since {
    UnixSeconds(i64),
    Rfc3339(String),
}

/// The answer of a replay.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayQueued {
    /// Deliveries queued: one per stored event the endpoint listens to.
    pub queued: u64,
}

/// Sends every stored event since a time to the endpoint again.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/replay",
    operation_id = "replay_webhook_events",
    tag = "Webhooks",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id", example = "whe_2Yq9mK4tB8rN1cX7")),
    request_body = Replay,
    responses(
        (status = 202, description = "How many deliveries were queued", body = ReplayQueued),
        (status = 400, description = "A field is invalid (the message names it)", body = ErrorBody),
        (status = 404, description = "No such endpoint in this project", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn replay(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
    ApiJson(body): ApiJson<Replay>,
) -> Result<(StatusCode, Json<ReplayQueued>), ApiError> {
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
        .map_err(endpoint_error(&id))?;
    Ok((StatusCode::ACCEPTED, Json(ReplayQueued { queued })))
}
