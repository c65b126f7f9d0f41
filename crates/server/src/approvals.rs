//! Policies and human approval: the service every interface (RPC, MCP, the command line, the
//! dashboard) goes through.
//!
//! [`verdict`] says whether a call is allowed, denied or must be approved. A call to approve is
//! held by [`hold`] (stored with its exact input, sealed) and runs only once a person approves
//! it with [`decide`]: the store's compare-and-set lets exactly one decider win, even across
//! hubs, and the winner runs the stored input once, in a task of its own (no client that goes
//! away cancels it), through the same engine path as any call. A hub that dies mid-run leaves
//! the approval `running`; it is never run again automatically (the write may have reached
//! Front). [`wait_for_outcome`] waits for a decision and its run to finish.

use std::time::Duration;

use actionhub_catalog::{Action, Catalog};
use actionhub_store::{
    ActionFacts, Approval, ApprovalResult, ApprovalStatus, ApprovalVerdict, NewApproval, Policy,
    Selector, Timestamp, Verdict,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::execution::{self, ActionResponse, RunSource};

/// How often [`wait_for_outcome`] looks at the store: another hub may be the one running it.
const POLL_INTERVAL: Duration = Duration::from_millis(150);

/// How approvals behave (`actionhub serve` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalSettings {
    /// How long a held call waits for a decision before it expires.
    pub expiry: Duration,
}

impl Default for ApprovalSettings {
    fn default() -> ApprovalSettings {
        ApprovalSettings {
            expiry: Duration::from_secs(15 * 60),
        }
    }
}

/// Who asked for a call, for the approval's `requested_by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub project_id: String,
    pub source: RunSource,
    /// The API key the caller authenticated with (none for the command line).
    pub api_key_id: Option<String>,
}

impl Caller {
    /// `API key key_… (name)`, `mcp (API key key_… (name))` or `cli`: the key's name is read
    /// so that a person deciding knows who asked.
    async fn requested_by(&self, state: &AppState) -> String {
        let Some(id) = &self.api_key_id else {
            return self.source.as_str().to_owned();
        };
        let key = api_key_label(state, id).await;
        match self.source {
            RunSource::Rpc | RunSource::Approval => key,
            RunSource::Mcp | RunSource::Cli => format!("{} ({key})", self.source.as_str()),
        }
    }
}

/// An API key as people read it in `requested_by` and `decided_by`: `API key key_… (name)`.
pub async fn api_key_label(state: &AppState, key_id: &str) -> String {
    match state.store.api_key(key_id).await {
        Ok(key) => format!("API key {} ({})", key.id, key.name),
        Err(_) => format!("API key {key_id}"),
    }
}

/// What the policy knows of an action.
pub fn action_facts(action: &Action) -> ActionFacts<'_> {
    ActionFacts {
        id: &action.id,
        group: &action.group,
        destructive: action.hints.destructive,
        sends: action.hints.sends,
        read_only: action.hints.read_only,
    }
}

/// The decision for running `action` through `account_id` (or the project's alone, `None`):
/// the account's policy first, then the project's; no rule allows.
pub async fn verdict(
    state: &AppState,
    project_id: &str,
    account_id: Option<&str>,
    action: &Action,
) -> Result<Verdict, ApiError> {
    let policies = state.store.policies(project_id, account_id).await?;
    Ok(policies.decide(&action_facts(action)))
}

/// Checks that every rule names an action or a group the catalogue has (a misspelt name would
/// silently match nothing); the message names the rule at fault.
pub fn check_policy(policy: &Policy) -> Result<(), String> {
    let catalog = Catalog::builtin();
    for (index, rule) in policy.rules.iter().enumerate() {
        let known = match &rule.selector {
            Selector::Action(id) => catalog.action(id).is_ok(),
            Selector::Group(group) => catalog
                .connectors()
                .iter()
                .flat_map(|connector| connector.actions())
                .any(|action| &action.group == group),
            Selector::Hint(_) | Selector::Any => true,
        };
        if !known {
            return Err(format!(
                "`rules[{index}].match`: {} names no action or group of the catalogue",
                rule.selector
            ));
        }
    }
    policy.check().map_err(|error| format!("`rules`: {error}"))
}

/// The 403 of a call a policy denies, naming the rule.
pub fn denied(action: &Action, verdict: &Verdict) -> ApiError {
    ApiError::Forbidden(format!("{} is denied by {verdict}", action.id))
}

/// Holds a call for approval: `input` is the exact, validated input (nested style). The same
/// call already pending gives back its approval.
pub async fn hold(
    state: &AppState,
    caller: &Caller,
    account_id: &str,
    action: &Action,
    input: &serde_json::Value,
) -> Result<Approval, ApiError> {
    let expiry = i64::try_from(state.approvals.expiry.as_secs().max(1)).unwrap_or(i64::MAX);
    let new = NewApproval {
        account_id: account_id.to_owned(),
        action_id: action.id.clone(),
        input: input.clone(),
        requested_by: caller.requested_by(state).await,
        expires_at: Timestamp::now().plus_seconds(expiry),
    };
    Ok(state
        .store
        .request_approval(&caller.project_id, &new)
        .await?
        .approval)
}

/// One approval of the project, 404 naming it when there is none.
pub async fn approval(
    state: &AppState,
    project_id: &str,
    approval_id: &str,
) -> Result<Approval, ApiError> {
    state
        .store
        .approval(project_id, approval_id)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("approval {approval_id}")))
}

/// Approves or rejects a pending approval (compare-and-set: one decider wins, the others get
/// 409). An approved call then runs once, in a task of its own. Returns the approval as
/// decided.
pub async fn decide(
    state: &AppState,
    project_id: &str,
    approval_id: &str,
    verdict: ApprovalVerdict,
    decided_by: &str,
) -> Result<Approval, ApiError> {
    let decided = state
        .store
        .decide_approval(project_id, approval_id, &verdict, decided_by)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("approval {approval_id}")))?;
    if verdict == ApprovalVerdict::Approve {
        let state = state.clone();
        let project_id = project_id.to_owned();
        let approval_id = approval_id.to_owned();
        tokio::spawn(async move { run_approved(&state, &project_id, &approval_id).await });
    }
    Ok(decided)
}

/// Runs an approved call once: `approved → running` (compare-and-set, so a second runner
/// stops here), the stored input through the engine, then the result stored.
async fn run_approved(state: &AppState, project_id: &str, approval_id: &str) {
    let approval = match state
        .store
        .start_approved_run(project_id, approval_id)
        .await
    {
        Ok(approval) => approval,
        Err(error) => {
            tracing::warn!(%error, approval_id, "an approved call was not started");
            return;
        }
    };
    let outcome = execution::run_approved_call(state, &approval).await;
    let (succeeded, result) = stored_result(&outcome);
    if let Err(error) = state
        .store
        .finish_approved_run(project_id, approval_id, succeeded, &result)
        .await
    {
        tracing::error!(%error, approval_id, "an approved call's result could not be stored");
    }
}

/// The answer as the caller would have had it: its status and JSON body.
fn stored_result(outcome: &Result<ActionResponse, ApiError>) -> (bool, ApprovalResult) {
    let written = match outcome {
        Ok(response) => response.json_text().map(|body| (true, 200, body)),
        Err(error) => serde_json::to_string(&ErrorBody {
            status_code: error.status().as_u16(),
            message: error.to_string(),
            timestamp: Timestamp::now(),
            provider_errors: (!error.provider_errors().is_empty())
                .then(|| error.provider_errors().to_vec()),
            retry_after: None,
        })
        .map(|body| (false, error.status().as_u16(), body)),
    };
    match written {
        Ok((succeeded, status, body)) => (succeeded, ApprovalResult { status, body }),
        Err(error) => {
            tracing::error!(%error, "an approved call's answer could not be written");
            (
                false,
                ApprovalResult {
                    status: 500,
                    body: r#"{"statusCode":500,"message":"internal error"}"#.to_owned(),
                },
            )
        }
    }
}

/// Whether nothing more will happen to the approval.
pub fn is_settled(status: ApprovalStatus) -> bool {
    matches!(
        status,
        ApprovalStatus::Succeeded
            | ApprovalStatus::Failed
            | ApprovalStatus::Rejected
            | ApprovalStatus::Expired
    )
}

/// The approval once it is settled (ran, rejected or expired), or as it is after `max`.
/// Looks at the store, since the decision and the run may happen on another hub.
pub async fn wait_for_outcome(
    state: &AppState,
    project_id: &str,
    approval_id: &str,
    max: Duration,
) -> Result<Approval, ApiError> {
    let until = tokio::time::Instant::now() + max;
    loop {
        let current = approval(state, project_id, approval_id).await?;
        let now = tokio::time::Instant::now();
        if is_settled(current.status) || now >= until {
            return Ok(current);
        }
        tokio::time::sleep(POLL_INTERVAL.min(until - now)).await;
    }
}

/// Where a person decides: the dashboard's page of the approval.
pub fn approve_url(state: &AppState, approval_id: &str) -> String {
    format!("{}/dashboard/approvals/{approval_id}", state.public_url)
}

/// What a held call answers: `{"approval": {...}}` (202).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"approval": {
    "id": "apr_01JD3Q6M9X7T2B5N8C4V1Z0K6R",
    "status": "pending",
    "expires_at": "2026-01-01T10:15:00.000Z",
    "approve_url": "https://hub.example.com/dashboard/approvals/apr_01JD3Q6M9X7T2B5N8C4V1Z0K6R"
}}))]
pub struct HeldCall {
    pub approval: ApprovalTicket,
}

/// A held call's approval, as the caller is told of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApprovalTicket {
    pub id: String,
    pub status: ApprovalStatus,
    pub expires_at: Timestamp,
    /// The dashboard page where a person approves or rejects the call.
    pub approve_url: String,
}

impl HeldCall {
    pub fn new(state: &AppState, approval: &Approval) -> HeldCall {
        HeldCall {
            approval: ApprovalTicket {
                id: approval.id.clone(),
                status: approval.status,
                expires_at: approval.expires_at,
                approve_url: approve_url(state, &approval.id),
            },
        }
    }
}
