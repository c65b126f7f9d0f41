//! `GET`/`PUT /policy` (the project's), `GET`/`PUT`/`DELETE /accounts/{id}/policy` (an
//! account's own, which overrides the project's) and `POST /policy/explain` (what would be
//! decided for an action). See [`crate::approvals`] for how a decision is made.

use actionhub_catalog::Catalog;
use actionhub_store::{Policy, Verdict};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::approvals;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, PathId, Tenant};

/// A policy: rules `{match, decision}`. `match` is an action id (`front_delete_contact`), a
/// resource group (`group:knowledge_bases`), a hint (`hint:destructive`, `hint:sends`,
/// `hint:read_only`, `hint:write`) or `*`; `decision` is `allow`, `approve` or `deny`. The
/// most specific matching rule decides (action > group > hint > `*`), the strictest among
/// equals.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rules": [
    {"match": "hint:destructive", "decision": "approve"},
    {"match": "hint:sends", "decision": "approve"},
    {"match": "front_delete_contact", "decision": "deny"}
]}))]
pub struct PolicyBody {
    /// In the order written (the order does not change the decision).
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<actionhub_store::PolicyRule>,
}

impl PolicyBody {
    fn new(policy: Policy) -> PolicyBody {
        PolicyBody {
            rules: policy.rules,
        }
    }
}

/// `POST /policy/explain`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "front_delete_contact", "account_id": "acc_4Zp0qL8sT2vX6nB1cR9e"}))]
pub struct ExplainBody {
    #[schema(example = "front_delete_contact")]
    pub action: String,
    /// The account whose calls to decide (its own policy first); the project's alone without.
    #[schema(example = "acc_4Zp0qL8sT2vX6nB1cR9e")]
    pub account_id: Option<String>,
}

/// What the policies decide for a call, and the rule that decided.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "action": "front_delete_contact",
    "decision": "approve",
    "rule": {"level": "project", "match": "hint:destructive"},
    "explanation": "the project policy rule hint:destructive=approve"
}))]
pub struct Explanation {
    pub action: String,
    /// `allow`, `approve` (held until a person approves) or `deny`.
    pub decision: String,
    /// `{level: account | project | default, match}` (no `match` for the default).
    #[schema(value_type = Object)]
    pub rule: Value,
    /// The rule in words.
    pub explanation: String,
}

impl Explanation {
    pub fn new(action: &str, verdict: &Verdict) -> Result<Explanation, ApiError> {
        Ok(Explanation {
            action: action.to_owned(),
            decision: verdict.decision.as_str().to_owned(),
            rule: serde_json::to_value(&verdict.rule).map_err(|error| {
                tracing::error!(%error, "a rule could not be written");
                ApiError::Internal
            })?,
            explanation: verdict.to_string(),
        })
    }
}

/// Get the project's policy
///
/// The project's rules (none: every call is allowed, unless an account's own policy says
/// otherwise).
#[utoipa::path(
    get,
    path = "/policy",
    operation_id = "get_policy",
    tag = "Approvals",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The project's policy", body = PolicyBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn show_project(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
) -> Result<Json<PolicyBody>, ApiError> {
    let policy = state
        .store
        .project_policy(&principal.project_id)
        .await?
        .unwrap_or_default();
    Ok(Json(PolicyBody::new(policy)))
}

/// Set the project's policy
///
/// Replaces the project's rules. An empty list allows every call.
#[utoipa::path(
    put,
    path = "/policy",
    operation_id = "put_policy",
    tag = "Approvals",
    security(("api_key" = [])),
    request_body = PolicyBody,
    responses(
        (status = 200, description = "The policy as saved", body = PolicyBody),
        (status = 400, description = "A rule is invalid: the message names it", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn put_project(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    ApiJson(body): ApiJson<PolicyBody>,
) -> Result<Json<PolicyBody>, ApiError> {
    let policy = Policy { rules: body.rules };
    approvals::check_policy(&policy).map_err(ApiError::BadRequest)?;
    state
        .store
        .put_project_policy(&principal.project_id, &policy)
        .await?;
    Ok(Json(PolicyBody::new(policy)))
}

/// Get an account's own policy
///
/// The account's own rules, which decide before the project's; 404 when it has none (the
/// project's apply).
#[utoipa::path(
    get,
    path = "/accounts/{id}/policy",
    operation_id = "get_account_policy",
    tag = "Approvals",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The account's id", example = "acc_4Zp0qL8sT2vX6nB1cR9e")),
    responses(
        (status = 200, description = "The account's own policy", body = PolicyBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such account, or it has no policy of its own", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn show_account(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<PolicyBody>, ApiError> {
    Ok(Json(PolicyBody::new(
        own_policy(&state, &principal.project_id, &id).await?,
    )))
}

/// An account's own policy, 404 when the account or its policy does not exist.
async fn own_policy(state: &AppState, project_id: &str, id: &str) -> Result<Policy, ApiError> {
    state
        .store
        .account_policy(project_id, id)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("account {id}")))?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "account {id} has no policy of its own: the project's applies (GET /policy)"
            ))
        })
}

/// Set an account's own policy
///
/// Replaces the account's own rules. They decide before the project's: as soon as one of them
/// matches an action, the project's rules are not looked at for it.
#[utoipa::path(
    put,
    path = "/accounts/{id}/policy",
    operation_id = "put_account_policy",
    tag = "Approvals",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The account's id", example = "acc_4Zp0qL8sT2vX6nB1cR9e")),
    request_body = PolicyBody,
    responses(
        (status = 200, description = "The policy as saved", body = PolicyBody),
        (status = 400, description = "A rule is invalid: the message names it", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such account in this project", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn put_account(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
    ApiJson(body): ApiJson<PolicyBody>,
) -> Result<Json<PolicyBody>, ApiError> {
    let policy = Policy { rules: body.rules };
    approvals::check_policy(&policy).map_err(ApiError::BadRequest)?;
    state
        .store
        .put_account_policy(&principal.project_id, &id, &policy)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("account {id}")))?;
    Ok(Json(PolicyBody::new(policy)))
}

/// Remove an account's own policy
///
/// The project's policy applies to the account again. Answers the rules removed.
#[utoipa::path(
    delete,
    path = "/accounts/{id}/policy",
    operation_id = "delete_account_policy",
    tag = "Approvals",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The account's id", example = "acc_4Zp0qL8sT2vX6nB1cR9e")),
    responses(
        (status = 200, description = "The policy removed", body = PolicyBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such account, or it has no policy of its own", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn remove_account(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<PolicyBody>, ApiError> {
    let removed = own_policy(&state, &principal.project_id, &id).await?;
    state
        .store
        .delete_account_policy(&principal.project_id, &id)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("account {id}")))?;
    Ok(Json(PolicyBody::new(removed)))
}

/// Explain a decision
///
/// What the policies decide for an action (through an account, or the project's alone), and
/// the rule that decided: nothing is run.
#[utoipa::path(
    post,
    path = "/policy/explain",
    operation_id = "explain_policy",
    tag = "Approvals",
    security(("api_key" = [])),
    request_body = ExplainBody,
    responses(
        (status = 200, description = "The decision and its rule", body = Explanation),
        (status = 400, description = "No such action", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such account in this project", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn explain(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    ApiJson(body): ApiJson<ExplainBody>,
) -> Result<Json<Explanation>, ApiError> {
    let action = Catalog::builtin()
        .action(&body.action)
        .map_err(|error| ApiError::BadRequest(format!("`action`: {error}")))?;
    if let Some(account_id) = &body.account_id {
        state
            .store
            .account(&principal.project_id, account_id)
            .await
            .map_err(|error| ApiError::from_store(error, &format!("account {account_id}")))?;
    }
    let verdict = approvals::verdict(
        &state,
        &principal.project_id,
        body.account_id.as_deref(),
        action,
    )
    .await?;
    Ok(Json(Explanation::new(&action.id, &verdict)?))
}
