//! `GET /runs` (the run log of the caller's project, newest first) and `GET /metrics`.

use actionhub_store::RunFilter;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{QueryParams, Tenant};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 1000;

/// `GET /runs?account_id=…&limit=N` → `{"data": [run, …]}`.
pub async fn list(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let filter = RunFilter {
        account_id: query.single("account_id")?.map(str::to_owned),
        limit: query.number("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)?,
    };
    // Runs still queued for writing are written first, so a caller sees its own last call.
    state.run_log.flush().await;
    let runs = state
        .store
        .list_runs(&principal.project_id, &filter)
        .await?;
    Ok(Json(json!({ "data": runs })))
}

/// `GET /metrics` in Prometheus' text format (no tenant data: action ids and counts only).
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(state.front.shared_pacing()),
    )
}
