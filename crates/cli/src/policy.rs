//! `actionhub policy show|set|clear|explain` and `actionhub approvals list|show|approve|reject`:
//! which calls run, which are denied and which wait for a person, and the calls waiting.

use std::time::Duration;

use actionhub_catalog::{Catalog, echo};
use actionhub_server::AppState;
use actionhub_server::approvals;
use actionhub_store::{
    Approval, ApprovalFilter, ApprovalStatus, ApprovalVerdict, MAX_APPROVALS_LISTED, Policy,
    PolicyRule, Project, Store,
};
use clap::{Args, Subcommand};
use serde_json::Value;

use crate::config::{self, DatabaseArgs};
use crate::error::CliError;
use crate::keys::{DEFAULT_PROJECT, non_empty};
use crate::output::{emit, table};

/// How long `approvals approve` waits for the approved call to finish: past the engine's
/// deadline and any wait for Front's rate budget.
const RUN_WAIT: Duration = Duration::from_secs(300);

/// Policies: which calls run, which are denied, which wait for a person's approval.
///
/// A policy is a list of rules SELECTOR=DECISION. SELECTOR is an action id
/// (front_delete_contact), a resource group (group:knowledge_bases), a hint (hint:destructive,
/// hint:sends, hint:read_only, hint:write) or *; DECISION is allow, approve or deny. An
/// account's own policy decides before the project's; within one, the most specific matching
/// rule wins (action > group > hint > *), the strictest among equals (deny > approve > allow).
/// No matching rule allows the call.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
    /// The project (tenant) whose policy it is.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT, global = true)]
    project: String,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Print the project's rules (or an account's own), one SELECTOR=DECISION a line.
    Show {
        /// The account's own policy instead of the project's.
        #[arg(long, value_name = "ID")]
        account: Option<String>,
    },
    /// Replace the project's rules (or an account's own) with these.
    ///
    /// Example: actionhub policy set hint:destructive=approve hint:sends=approve
    /// front_delete_contact=deny
    Set {
        /// Set this account's own policy instead of the project's.
        #[arg(long, value_name = "ID")]
        account: Option<String>,
        /// The rules, SELECTOR=DECISION.
        #[arg(value_name = "RULE", required = true)]
        rules: Vec<String>,
    },
    /// Remove the project's policy (every call allowed) or an account's own (the project's
    /// applies again).
    Clear {
        #[arg(long, value_name = "ID")]
        account: Option<String>,
    },
    /// Print what the policies decide for an action, and the rule that decides.
    Explain {
        /// The action id, e.g. front_delete_contact.
        action: String,
        /// Decide for calls through this account (its own policy first).
        #[arg(long, value_name = "ID")]
        account: Option<String>,
    },
}

/// Calls held for approval: list them, show one, approve (runs it) or reject it.
#[derive(Debug, Args)]
pub struct ApprovalsArgs {
    #[command(subcommand)]
    command: ApprovalsCommand,
    /// The project (tenant) the approvals belong to.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT, global = true)]
    project: String,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
enum ApprovalsCommand {
    /// List approvals, newest first: id, action, account, status, who asked, expiry.
    List {
        /// Only this status: pending, approved, running, succeeded, failed, rejected, expired.
        #[arg(long, value_name = "STATUS", value_parser = parse_status)]
        status: Option<ApprovalStatus>,
        /// How many to show (1–100).
        #[arg(long, value_name = "N", default_value_t = 25,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_APPROVALS_LISTED)))]
        limit: u32,
    },
    /// Print one approval as JSON: the exact input, who asked and decided, and the answer once
    /// it ran.
    Show { id: String },
    /// Approve a pending call and run it, here, once (against ACTIONHUB_FRONT_BASE_URL); prints
    /// the approval with the call's answer. Fails if the call failed.
    Approve { id: String },
    /// Reject a pending call: it never runs.
    Reject {
        id: String,
        /// Why, shown to whoever asked.
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
}

fn parse_status(text: &str) -> Result<ApprovalStatus, String> {
    ApprovalStatus::parse(text).ok_or_else(|| {
        "expected pending, approved, running, succeeded, failed, rejected or expired".to_owned()
    })
}

pub fn policy(args: &PolicyArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    config::runtime()?.block_on(async {
        let store = config::open_store(&args.database).await?;
        let project = store
            .project(&non_empty("--project", &args.project)?)
            .await?;
        let outcome = policy_command(&store, &project, &args.command).await;
        store.close().await;
        outcome
    })
}

async fn policy_command(
    store: &Store,
    project: &Project,
    command: &PolicyCommand,
) -> Result<(), CliError> {
    let account_what = |id: &str| format!("account {}", echo(id));
    match command {
        PolicyCommand::Show { account } => {
            let policy = match account {
                Some(id) => store
                    .account_policy(&project.id, id)
                    .await
                    .map_err(|error| CliError::not_found(error, &account_what(id)))?,
                None => store.project_policy(&project.id).await?,
            };
            match policy {
                Some(policy) if !policy.rules.is_empty() => emit(&rules_text(&policy))?,
                _ => eprintln!(
                    "{}",
                    match account {
                        Some(id) => format!(
                            "account {} has no policy of its own: the project's applies",
                            echo(id)
                        ),
                        None => "no project policy: every call is allowed".to_owned(),
                    }
                ),
            }
        }
        PolicyCommand::Set { account, rules } => {
            let rules = rules
                .iter()
                .map(|rule| rule.parse::<PolicyRule>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| CliError::Config(error.to_string()))?;
            let policy = Policy { rules };
            approvals::check_policy(&policy).map_err(CliError::Config)?;
            match account {
                Some(id) => store
                    .put_account_policy(&project.id, id, &policy)
                    .await
                    .map_err(|error| CliError::not_found(error, &account_what(id)))?,
                None => store.put_project_policy(&project.id, &policy).await?,
            }
            emit(&rules_text(&policy))?;
        }
        PolicyCommand::Clear { account } => {
            let removed = match account {
                Some(id) => store
                    .delete_account_policy(&project.id, id)
                    .await
                    .map_err(|error| CliError::not_found(error, &account_what(id)))?,
                None => store.delete_project_policy(&project.id).await?,
            };
            let whose = account.as_deref().map_or_else(
                || "the project's".to_owned(),
                |id| format!("account {}'s own", echo(id)),
            );
            if removed {
                eprintln!("removed {whose} policy");
            } else {
                eprintln!("{whose} policy was already empty");
            }
        }
        PolicyCommand::Explain { action, account } => {
            let action = Catalog::builtin().action(action)?;
            if let Some(id) = account {
                store
                    .account(&project.id, id)
                    .await
                    .map_err(|error| CliError::not_found(error, &account_what(id)))?;
            }
            let verdict = store
                .policies(&project.id, account.as_deref())
                .await?
                .decide(&approvals::action_facts(action));
            emit(&format!("{}\t{verdict}", verdict.decision))?;
        }
    }
    Ok(())
}

/// One rule a line, as `policy set` takes them.
fn rules_text(policy: &Policy) -> String {
    policy
        .rules
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn approvals(args: &ApprovalsArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    config::runtime()?.block_on(async {
        let store = config::open_store(&args.database).await?;
        let project = store
            .project(&non_empty("--project", &args.project)?)
            .await?;
        let outcome = approvals_command(&store, &project, &args.command).await;
        store.close().await;
        outcome
    })
}

async fn approvals_command(
    store: &Store,
    project: &Project,
    command: &ApprovalsCommand,
) -> Result<(), CliError> {
    let what = |id: &str| format!("approval {}", echo(id));
    let failed = |id: &str, error: actionhub_server::ApiError| CliError::Run {
        action: what(id),
        error,
    };
    match command {
        ApprovalsCommand::List { status, limit } => {
            let filter = ApprovalFilter {
                status: *status,
                before: None,
                limit: *limit,
            };
            let rows: Vec<Vec<String>> = store
                .list_approvals(&project.id, &filter)
                .await?
                .iter()
                .map(|approval| {
                    vec![
                        approval.id.clone(),
                        approval.action_id.clone(),
                        approval.account_id.clone(),
                        approval.status.to_string(),
                        approval.expires_at.to_string(),
                        approval.requested_by.clone(),
                    ]
                })
                .collect();
            emit(&table(
                &[
                    "ID",
                    "ACTION",
                    "ACCOUNT",
                    "STATUS",
                    "EXPIRES",
                    "REQUESTED BY",
                ],
                &rows,
            ))?;
        }
        ApprovalsCommand::Show { id } => {
            let approval = store
                .approval(&project.id, id)
                .await
                .map_err(|error| CliError::not_found(error, &what(id)))?;
            emit(&approval_json(&approval)?)?;
        }
        ApprovalsCommand::Approve { id } => {
            let front = config::front_client(config::max_answer_mb()?).await?;
            let state = AppState::new(store.clone(), front, &config::configured_public_url());
            approvals::decide(
                &state,
                &project.id,
                id,
                ApprovalVerdict::Approve,
                &decider(),
            )
            .await
            .map_err(|error| failed(id, error))?;
            eprintln!("approved {id}; running the call");
            // The call runs in this process: wait for it before leaving.
            let approval = approvals::wait_for_outcome(&state, &project.id, id, RUN_WAIT)
                .await
                .map_err(|error| failed(id, error))?;
            state.run_log.flush().await;
            emit(&approval_json(&approval)?)?;
            match approval.status {
                ApprovalStatus::Succeeded => {}
                ApprovalStatus::Failed => {
                    return Err(CliError::Config(format!(
                        "{}: the approved call ran and failed (HTTP {})",
                        approval.action_id,
                        approval.result.as_ref().map_or(0, |result| result.status)
                    )));
                }
                other => {
                    return Err(CliError::Config(format!(
                        "{}: the approved call is still {other}; see `actionhub approvals show {id}`",
                        approval.action_id
                    )));
                }
            }
        }
        ApprovalsCommand::Reject { id, reason } => {
            let verdict = ApprovalVerdict::Reject {
                reason: reason.clone(),
            };
            let decided = store
                .decide_approval(&project.id, id, &verdict, &decider())
                .await
                .map_err(|error| CliError::not_found(error, &what(id)))?;
            eprintln!(
                "rejected {}: {} will not run",
                decided.id, decided.action_id
            );
        }
    }
    Ok(())
}

/// Who decides from the command line: `cli`, with the user's login when known.
fn decider() -> String {
    match std::env::var("USER") {
        Ok(user) if !user.is_empty() => format!("cli ({user})"),
        _ => "cli".to_owned(),
    }
}

/// An approval as pretty JSON, the call's answer as JSON rather than text.
fn approval_json(approval: &Approval) -> Result<String, CliError> {
    let unprintable =
        |error: serde_json::Error| CliError::Config(format!("cannot print the approval: {error}"));
    let mut value = serde_json::to_value(approval).map_err(unprintable)?;
    if let Some(body) = value.pointer_mut("/result/body")
        && let Some(parsed) = body
            .as_str()
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
    {
        *body = parsed;
    }
    serde_json::to_string_pretty(&value).map_err(unprintable)
}
