//! `GET /approvals`, `GET /approvals/{id}`, `POST /approvals/{id}/approve` and
//! `POST /approvals/{id}/reject`: the calls a policy held for a person's decision
//! ([`crate::approvals`]).

use actionhub_store::{
    Approval, ApprovalFilter, ApprovalStatus, ApprovalVerdict, MAX_APPROVALS_LISTED, Timestamp,
};
use axum::Json;
use axum::extract::State;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::approvals;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{PathId, QueryParams, Tenant, parse_json};

const DEFAULT_LIMIT: u32 = 25;

/// A held call: what it will run, who asked, where it is in its life and, once it ran, its
/// answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "apr_01JD3Q6M9X7T2B5N8C4V1Z0K6R",
    "account_id": "acc_4Zp0qL8sT2vX6nB1cR9e",
    "action": "front_delete_contact",
    "input": {"path": {"contact_id": "crd_2b5c7e"}},
    "requested_by": "API key key_7Hq2 (support-agent)",
    "status": "succeeded",
    "expires_at": "2026-01-01T10:15:00.000Z",
    "decided_by": "API key key_9Xz1 (ops)",
    "decided_at": "2026-01-01T10:03:00.000Z",
    "result": {"status": 200, "body": {"data": null, "next": null}},
    "created_at": "2026-01-01T10:00:00.000Z",
    "updated_at": "2026-01-01T10:03:01.000Z",
    "approve_url": "https://hub.example.com/dashboard/approvals/apr_01JD3Q6M9X7T2B5N8C4V1Z0K6R"
}))]
pub struct ApprovalView {
    pub id: String,
    pub account_id: String,
    /// The action held.
    pub action: String,
    /// The exact input that runs once approved (nested style: `path`, `query`, `body`).
    #[schema(value_type = Object)]
    pub input: Value,
    /// Who asked: an API key (id and name), or `mcp`/`cli`.
    pub requested_by: String,
    pub status: ApprovalStatus,
    /// A pending approval not decided by then expires and never runs.
    pub expires_at: Timestamp,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    /// Why it was rejected, when the person said.
    pub reason: Option<String>,
    /// The call's answer once it ran (`succeeded` or `failed`).
    pub result: Option<CallResult>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The dashboard page where a person decides.
    pub approve_url: String,
}

/// What a held call answered once it ran: the status and body it would have answered directly.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallResult {
    pub status: u16,
    /// `/actions/rpc`'s answer (`{data, next}`) or StackOne's error body.
    #[schema(value_type = Object)]
    pub body: Value,
}

impl ApprovalView {
    pub fn new(state: &AppState, approval: Approval) -> ApprovalView {
        let approve_url = approvals::approve_url(state, &approval.id);
        ApprovalView {
            result: approval.result.map(|result| CallResult {
                status: result.status,
                // Stored as the JSON text the call answered; a note replaces an oversized one.
                body: serde_json::from_str(&result.body).unwrap_or(Value::String(result.body)),
            }),
            id: approval.id,
            account_id: approval.account_id,
            action: approval.action_id,
            input: approval.input,
            requested_by: approval.requested_by,
            status: approval.status,
            expires_at: approval.expires_at,
            decided_by: approval.decided_by,
            decided_at: approval.decided_at,
            reason: approval.reason,
            created_at: approval.created_at,
            updated_at: approval.updated_at,
            approve_url,
        }
    }
}

/// A page of approvals, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalPage {
    pub data: Vec<ApprovalView>,
    /// Pass it back as `next` for the following page; null on the last one.
    pub next: Option<String>,
}

/// `POST /approvals/{id}/reject`'s optional body.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "wrong customer"}))]
pub struct RejectBody {
    /// Why, shown to whoever asked.
    #[schema(example = "wrong customer")]
    pub reason: Option<String>,
}

/// List approvals
///
/// The project's held calls, newest first; `status=pending` for those waiting for a decision.
#[utoipa::path(
    get,
    path = "/approvals",
    operation_id = "list_approvals",
    tag = "Approvals",
    security(("api_key" = [])),
    params(
        ("status" = Option<String>, Query, description = "Only approvals in this status: pending, approved, running, succeeded, failed, rejected or expired", example = "pending"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "At most this many (default 25)", example = 25),
        ("next" = Option<String>, Query, description = "The `next` of the previous page", example = "apr_01JD3Q6M9X7T2B5N8C4V1Z0K6R"),
    ),
    responses(
        (status = 200, description = "The approvals", body = ApprovalPage),
        (status = 400, description = "A query parameter is invalid", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    query: QueryParams,
) -> Result<Json<ApprovalPage>, ApiError> {
    let status = query
        .single("status")?
        .map(|text| {
            ApprovalStatus::parse(text).ok_or_else(|| {
                ApiError::BadRequest(
                    "`status`: expected pending, approved, running, succeeded, failed, rejected or expired"
                        .to_owned(),
                )
            })
        })
        .transpose()?;
    let filter = ApprovalFilter {
        status,
        before: query.single("next")?.map(str::to_owned),
        limit: query.number("limit", DEFAULT_LIMIT, 1, MAX_APPROVALS_LISTED)?,
    };
    let approvals = state
        .store
        .list_approvals(&principal.project_id, &filter)
        .await?;
    let full = approvals.len() == filter.limit as usize;
    let next = full
        .then(|| approvals.last().map(|approval| approval.id.clone()))
        .flatten();
    Ok(Json(ApprovalPage {
        data: approvals
            .into_iter()
            .map(|approval| ApprovalView::new(&state, approval))
            .collect(),
        next,
    }))
}

/// Get an approval
///
/// One held call, with its answer once it ran.
#[utoipa::path(
    get,
    path = "/approvals/{id}",
    operation_id = "get_approval",
    tag = "Approvals",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The approval's id", example = "apr_01JD3Q6M9X7T2B5N8C4V1Z0K6R")),
    responses(
        (status = 200, description = "The approval", body = ApprovalView),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such approval in this project", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn show(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<ApprovalView>, ApiError> {
    let approval = approvals::approval(&state, &principal.project_id, &id).await?;
    Ok(Json(ApprovalView::new(&state, approval)))
}

/// Approve a held call
///
/// Runs the held call once, exactly as it was asked, in the background (`GET /approvals/{id}`
/// shows its answer when it has run). Of several people approving at once, one wins; the
/// others get 409.
#[utoipa::path(
    post,
    path = "/approvals/{id}/approve",
    operation_id = "approve_approval",
    tag = "Approvals",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The approval's id", example = "apr_01JD3Q6M9X7T2B5N8C4V1Z0K6R")),
    responses(
        (status = 200, description = "The approval, approved; its call is running", body = ApprovalView),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such approval in this project", body = ErrorBody),
        (status = 409, description = "Already approved, rejected or expired", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn approve(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<ApprovalView>, ApiError> {
    let decided_by = approvals::api_key_label(&state, &principal.key_id).await;
    let approval = approvals::decide(
        &state,
        &principal.project_id,
        &id,
        ApprovalVerdict::Approve,
        &decided_by,
    )
    .await?;
    Ok(Json(ApprovalView::new(&state, approval)))
}

/// Reject a held call
///
/// The call never runs. The body is optional: `{"reason": "…"}`.
#[utoipa::path(
    post,
    path = "/approvals/{id}/reject",
    operation_id = "reject_approval",
    tag = "Approvals",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The approval's id", example = "apr_01JD3Q6M9X7T2B5N8C4V1Z0K6R")),
    request_body(content = Option<RejectBody>, description = "Why (optional)", example = json!({"reason": "wrong customer"})),
    responses(
        (status = 200, description = "The approval, rejected", body = ApprovalView),
        (status = 400, description = "The body is invalid", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such approval in this project", body = ErrorBody),
        (status = 409, description = "Already approved, rejected or expired", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn reject(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
    body: Bytes,
) -> Result<Json<ApprovalView>, ApiError> {
    let body: RejectBody = if body.iter().all(u8::is_ascii_whitespace) {
        RejectBody::default()
    } else {
        parse_json(&body)?
    };
    let decided_by = approvals::api_key_label(&state, &principal.key_id).await;
    let approval = approvals::decide(
        &state,
        &principal.project_id,
        &id,
        ApprovalVerdict::Reject {
            reason: body.reason,
        },
        &decided_by,
    )
    .await?;
    Ok(Json(ApprovalView::new(&state, approval)))
}
