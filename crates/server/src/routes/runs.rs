//! `GET /runs` (the run log of the caller's project, newest first) and `GET /metrics`.

use actionhub_store::{Run, RunFilter};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{QueryParams, Tenant};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 1000;

#[derive(Debug, Serialize, ToSchema)]
pub struct RunPage {
    /// Newest first.
    data: Vec<Run>,
}

/// The run log
///
/// The project's action runs, newest first: action, account, outcome, Front's status, time
/// taken, retries and time spent waiting for Front's rate budget. Never a body or a secret.
#[utoipa::path(
    get,
    path = "/runs",
    operation_id = "list_runs",
    tag = "Runs",
    security(("api_key" = [])),
    params(
        ("account_id" = Option<String>, Query, description = "Only this account's runs"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "At most this many runs (default 50)"),
    ),
    responses(
        (status = 200, description = "The runs", body = RunPage),
        (status = 400, description = "A query parameter is invalid", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    query: QueryParams,
) -> Result<Json<RunPage>, ApiError> {
    let filter = RunFilter {
        account_id: query.single("account_id")?.map(str::to_owned),
        limit: query.number("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)?,
    };
    // Runs still queued for writing are written first, so a caller sees its own last call.
    state.run_log.flush().await;
    let data = state
        .store
        .list_runs(&principal.project_id, &filter)
        .await?;
    Ok(Json(RunPage { data }))
}

/// Prometheus metrics
///
/// Counters and histograms in Prometheus' text format: calls per action and outcome, Front's
/// answers, pacing. No tenant data: action ids and counts only.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "Operations",
    responses(
        (status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"),
        (status = "default", description = "Any error", body = ErrorBody),
    ),
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(state.front.shared_pacing()),
    )
}
