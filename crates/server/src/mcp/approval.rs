//! Calls a policy holds for approval, over MCP.
//!
//! A held call is asked about at once when the client can be asked: over stdio, to a client
//! that declared the elicitation capability, the hub sends an elicitation (a form: `approve`
//! yes/no and an optional `reason`, the message naming the action, what it will do and its
//! arguments), decides with the answer (`decided_by` = `mcp:<client name>`) and answers the
//! call's result or the rejection. Streamable HTTP here is stateless (no session, no stream a
//! request could travel back on), so there, and with any client that cannot be asked, the tool
//! answers that the call is pending, with the approval's id, expiry and page, and
//! `<connector>_get_approval` tells how it went.

use std::time::Duration;

use actionhub_catalog::{Action, Connector};
use actionhub_engine::JsonText;
use actionhub_store::{Approval, ApprovalStatus, ApprovalVerdict, Timestamp};
use bytes::Bytes;
use rmcp::model::{
    CallToolResult, ContentBlock, ElicitRequestParams, ElicitationAction, ElicitationSchema,
};
use rmcp::service::{ElicitationMode, Peer, RoleServer};
use serde_json::Value;
use serde_json::value::RawValue;

use super::Target;
use super::handler::{Presentation, data_result, tool_error};
use super::tools;
use crate::AppState;
use crate::approvals::{self, HeldCall};
use crate::execution::ActionResponse;

/// How long a call approved through an elicitation is waited for before the answer says it is
/// still running (then `<connector>_get_approval` gives its result).
const RUN_WAIT: Duration = Duration::from_secs(60);
/// The form's fields.
const APPROVE_FIELD: &str = "approve";
const REASON_FIELD: &str = "reason";

/// The answer of a held call when nobody could be asked: not an error (nothing went wrong),
/// the approval to wait for.
pub(super) fn pending_result(
    connector: &Connector,
    action: &Action,
    held: &HeldCall,
) -> CallToolResult {
    let ticket = &held.approval;
    CallToolResult::success(vec![ContentBlock::text(format!(
        "{action} was not run: a policy requires a person's approval first. Approval {id} is \
         {status} until {expires}; a person approves or rejects it at {url}. Call {check} with \
         {{\"approval_id\": \"{id}\"}} to see how it went: once approved and run, it answers \
         the call's result.",
        action = action.id,
        id = ticket.id,
        status = ticket.status.as_str(),
        expires = ticket.expires_at,
        url = ticket.approve_url,
        check = tools::approval_name(connector),
    ))])
}

/// Asks the person at the client whether to run a held call, when the client can be asked
/// (`peer` is the stdio client; HTTP has none). `None`: nobody could be asked or nobody
/// answered, and the call stays pending.
pub(super) async fn ask(
    state: &AppState,
    peer: &Peer<RoleServer>,
    target: &Target,
    action: &Action,
    held: &HeldCall,
    presentation: &Presentation,
) -> Option<CallToolResult> {
    if !peer
        .supported_elicitation_modes()
        .contains(&ElicitationMode::Form)
    {
        return None;
    }
    let approval = approvals::approval(state, &target.project_id, &held.approval.id)
        .await
        .ok()?;
    let schema = ElicitationSchema::builder()
        .required_bool(APPROVE_FIELD)
        .optional_string(REASON_FIELD)
        .description("Approve to run the call now; say why if you reject it")
        .build()
        .ok()?;
    let remaining = approval.expires_at.millis() - Timestamp::now().millis();
    let wait = Duration::from_millis(u64::try_from(remaining).ok()?);
    let answer = peer
        .create_elicitation_with_timeout(
            ElicitRequestParams::FormElicitationParams {
                meta: None,
                message: question(target, action, &approval),
                requested_schema: schema,
            },
            Some(wait),
        )
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            tracing::warn!(%error, approval = %approval.id, "an approval elicitation failed");
            return None;
        }
    };
    let content = answer.content.unwrap_or(Value::Null);
    let verdict = match answer.action {
        ElicitationAction::Accept if content[APPROVE_FIELD] == Value::Bool(true) => {
            ApprovalVerdict::Approve
        }
        ElicitationAction::Accept | ElicitationAction::Decline => ApprovalVerdict::Reject {
            reason: content[REASON_FIELD]
                .as_str()
                .map(str::trim)
                .filter(|reason| !reason.is_empty())
                .map(str::to_owned),
        },
        // Dismissed: no decision, the call stays pending for someone else to decide.
        _ => return None,
    };
    let client = peer
        .peer_info()
        .map_or_else(|| "client".to_owned(), |info| info.client_info.name.clone());
    let decided_by = format!("mcp:{client}");
    if let Err(error) = approvals::decide(
        state,
        &target.project_id,
        &approval.id,
        verdict,
        &decided_by,
    )
    .await
    {
        // Someone else decided first, or it expired meanwhile: say how it stands.
        tracing::info!(%error, approval = %approval.id, "an elicited decision lost");
    }
    let settled = approvals::wait_for_outcome(state, &target.project_id, &approval.id, RUN_WAIT)
        .await
        .ok()?;
    Some(outcome(target, action, &settled, presentation))
}

/// The elicitation's message: the action, what it will do (the Front request with its path
/// filled in) and the exact arguments.
fn question(target: &Target, action: &Action, approval: &Approval) -> String {
    let mut path = action.path.clone();
    if let Some(Value::Object(parameters)) = approval.input.get("path") {
        for (name, value) in parameters {
            let shown = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            path = path.replace(&format!("{{{name}}}"), &shown);
        }
    }
    let mut risks = Vec::new();
    if action.hints.destructive {
        risks.push("it deletes or overwrites data");
    }
    if action.hints.sends {
        risks.push("it sends a message to people outside the company");
    }
    let risks = if risks.is_empty() {
        String::new()
    } else {
        format!(" Note: {}.", risks.join("; "))
    };
    let arguments =
        serde_json::to_string_pretty(&approval.input).unwrap_or_else(|_| "{}".to_owned());
    format!(
        "Approve {label} ({id}) for {company} ({account})? It will send {method} {path} to \
         Front.{risks} Arguments:\n{arguments}\nApproval {approval_id} expires at {expires}.",
        label = action.label,
        id = action.id,
        company = target.account.provider_account_name,
        account = target.account.id,
        method = action.method,
        approval_id = approval.id,
        expires = approval.expires_at,
    )
}

/// `<connector>_get_approval`: an approval of the account, as it stands.
pub(super) async fn get(
    state: &AppState,
    target: &Target,
    connector: &Connector,
    mut arguments: Value,
) -> CallToolResult {
    let name = tools::approval_name(connector);
    let presentation = match Presentation::take(&mut arguments) {
        Ok(presentation) => presentation,
        Err(message) => return tool_error(format!("{name}: {message}")),
    };
    let id = match arguments.get("approval_id") {
        Some(Value::String(id)) if !id.trim().is_empty() => id.trim(),
        _ => {
            return tool_error(format!(
                "{name}: `approval_id` is required: the apr_… id a pending answer gave"
            ));
        }
    };
    let unknown = || {
        tool_error(format!(
            "{name}: this account has no approval `{}`",
            actionhub_catalog::echo(id)
        ))
    };
    let approval = match approvals::approval(state, &target.project_id, id).await {
        Ok(approval) if approval.account_id == target.account.id => approval,
        Ok(_) => return unknown(),
        Err(error) if error.status().as_u16() == 404 => return unknown(),
        Err(error) => return tool_error(format!("{name}: {error}")),
    };
    let Ok(action) = connector.action(&approval.action_id) else {
        return unknown();
    };
    outcome(target, action, &approval, &presentation)
}

/// An approval as a tool result: the call's own answer once it ran, an error saying it did not
/// run (rejected, expired, failed), or where it stands.
fn outcome(
    target: &Target,
    action: &Action,
    approval: &Approval,
    presentation: &Presentation,
) -> CallToolResult {
    let decided_by = approval.decided_by.as_deref().unwrap_or("a person");
    match approval.status {
        ApprovalStatus::Succeeded => match approval
            .result
            .as_ref()
            .and_then(|result| stored_answer(&result.body))
        {
            Some(response) => data_result(target, action, &response, presentation)
                .unwrap_or_else(|_| tool_error(format!("{}: internal error", action.id))),
            None => tool_error(format!("{}: internal error", action.id)),
        },
        ApprovalStatus::Failed => tool_error(format!(
            "{} was approved by {decided_by} but failed: {}",
            action.id,
            approval
                .result
                .as_ref()
                .map_or("no answer was stored", |result| result.body.as_str())
        )),
        ApprovalStatus::Rejected => tool_error(format!(
            "{} was not run: {decided_by} rejected it{}",
            action.id,
            approval
                .reason
                .as_deref()
                .map(|reason| format!(" ({reason})"))
                .unwrap_or_default()
        )),
        ApprovalStatus::Expired => tool_error(format!(
            "{} was not run: its approval {} expired at {} without a decision",
            action.id, approval.id, approval.expires_at
        )),
        ApprovalStatus::Pending | ApprovalStatus::Approved | ApprovalStatus::Running => {
            CallToolResult::success(vec![ContentBlock::text(format!(
                "{} is {} (approval {}, expires at {}); call again to see how it went",
                action.id,
                match approval.status {
                    ApprovalStatus::Pending => "waiting for a person's approval",
                    _ => "approved and running",
                },
                approval.id,
                approval.expires_at,
            ))])
        }
    }
}

/// The stored answer of a call that ran (`{"data": …, "next": …}`), to be shaped like a direct
/// call's.
fn stored_answer(body: &str) -> Option<ActionResponse> {
    #[derive(serde::Deserialize)]
    struct Stored<'a> {
        #[serde(borrow)]
        data: &'a RawValue,
        #[serde(default)]
        next: Option<String>,
    }
    let stored: Stored<'_> = serde_json::from_str(body).ok()?;
    let data = JsonText::parse(Bytes::copy_from_slice(stored.data.get().as_bytes())).ok()?;
    Some(ActionResponse::Data {
        data,
        next: stored.next,
    })
}
