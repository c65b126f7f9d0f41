//! Following Front's event streams: one task per followed company, holding the company's lease,
//! reading `front_list_events` oldest first after the stored cursor, one page per step, and
//! storing each page's new events (with their deliveries) in the transaction that moves the
//! cursor on. Its calls go through the engine (paced with the company's other calls) and are
//! kept to a share of the company's learnt budget.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actionhub_catalog::{Action, Catalog, ParamStyle};
use actionhub_engine::{Call, CallError, Reply, Stats};
use actionhub_store::{FrontEvent, StoreError, StreamPosition};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::{Context, OwnedTask, pause};

/// Front's largest (and default) page of events: a full page means more may be waiting.
const PAGE_SIZE: usize = 15;
/// The follower waits at most this long between two calls to keep to its share of a budget.
const MAX_SHARE_INTERVAL: Duration = Duration::from_secs(60);
/// How long one call to Front may wait for the company's budget and answer.
const CALL_DEADLINE: Duration = Duration::from_secs(30);

/// Keeps one following task per company that some endpoint listens to, refreshed every poll.
pub(crate) async fn supervise(context: Arc<Context>, mut stop: watch::Receiver<bool>) {
    let mut running: HashMap<String, OwnedTask> = HashMap::new();
    loop {
        match context.store.followed_companies().await {
            Ok(companies) => {
                running
                    .retain(|company, task| companies.contains(company) && !task.0.is_finished());
                for company in companies {
                    running.entry(company.clone()).or_insert_with(|| {
                        OwnedTask(tokio::spawn(follow_company(
                            context.clone(),
                            company,
                            stop.clone(),
                        )))
                    });
                }
            }
            Err(error) => tracing::warn!(%error, "cannot list the companies to follow"),
        }
        if pause(context.config.poll_interval, &mut stop).await {
            break;
        }
    }
    // Each task gives its stream up when it sees the stop.
    for (_, mut task) in running.drain() {
        let _ = (&mut task.0).await;
    }
}

/// What one step of following found.
enum Step {
    /// More events are waiting: the page named by this cursor.
    Backlog(String),
    /// Up to date, or another hub follows the company: look again after a poll interval.
    Idle,
}

async fn follow_company(context: Arc<Context>, company: String, mut stop: watch::Receiver<bool>) {
    let mut next: Option<String> = None;
    let mut last_call: Option<Instant> = None;
    loop {
        let started = Instant::now();
        let step = step(&context, &company, next.take()).await;
        if step.is_ok() {
            last_call = Some(started);
        }
        let backlog = matches!(step, Ok(Step::Backlog(_)));
        let wait = match step {
            Ok(Step::Backlog(cursor)) => {
                next = Some(cursor);
                Duration::ZERO
            }
            Ok(Step::Idle) => context.config.poll_interval,
            Err(error) => {
                tracing::warn!(company_id = %company, %error, "cannot follow the company's events");
                context.config.poll_interval
            }
        };
        // Held to its share of the company's budget, whatever the poll interval says.
        let share = share_interval(&context, &company, backlog);
        let wait = wait.max(last_call.map_or(Duration::ZERO, |at| {
            (at + share).saturating_duration_since(Instant::now())
        }));
        if pause(wait, &mut stop).await {
            if let Err(error) = context
                .store
                .release_stream(&company, &context.holder)
                .await
            {
                tracing::warn!(company_id = %company, %error, "cannot give the event stream up");
            }
            return;
        }
    }
}

/// The least time between two of the follower's calls for a company that keeps it to its
/// share of the company's learnt budget, so that actions keep the rest. While events wait and
/// the company's callers leave most of the window free, twice the share (never more than
/// half): a busy company's actions never lose more than the share. Nothing while the budget
/// is unknown (the engine paces every call anyway).
fn share_interval(context: &Context, company: &str, backlog: bool) -> Duration {
    let Some(budget) = context.front.learnt_budget(company) else {
        return Duration::ZERO;
    };
    let spare = budget.booked.saturating_mul(2) < budget.limit;
    let share = if backlog && spare {
        (context.config.budget_share * 2.0).min(0.5)
    } else {
        context.config.budget_share
    };
    let calls_per_window = (f64::from(budget.limit) * share).max(f64::MIN_POSITIVE);
    Duration::try_from_secs_f64(budget.window.as_secs_f64() / calls_per_window)
        .unwrap_or(Duration::MAX)
        .min(MAX_SHARE_INTERVAL)
}

/// Why a step failed (logged; the next step tries again).
#[derive(Debug, thiserror::Error)]
enum FollowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("the catalogue has no Front event stream")]
    NoStream,
    #[error("Front's events page is not a list of events: {0}")]
    BadPage(#[source] serde_json::Error),
    #[error("the events page request is invalid: {0}")]
    Input(String),
    #[error("the Front company has no active account whose token can read its events")]
    NoAccount,
}

/// The parts of an event the follower reads; the event itself is kept as Front wrote it.
#[derive(Deserialize)]
struct EventHead {
    id: String,
    #[serde(rename = "type")]
    front_type: String,
    emitted_at: f64,
}

/// Takes (or renews) the company's lease and reads one page of its events: the page `next`
/// names, or the first after the stored position.
async fn step(context: &Context, company: &str, next: Option<String>) -> Result<Step, FollowError> {
    let Some(mut position) = context
        .store
        .take_stream(company, &context.holder, context.config.lease)
        .await?
    else {
        return Ok(Step::Idle);
    };
    let front = Catalog::builtin()
        .connector("front")
        .ok_or(FollowError::NoStream)?;
    let stream = front.events.as_ref().ok_or(FollowError::NoStream)?;
    let action = front
        .action(&stream.action)
        .map_err(|_| FollowError::NoStream)?;
    let input = action
        .validate_input(ParamStyle::Nested, &page_input(&position, next.as_deref()))
        .map_err(|invalid| FollowError::Input(invalid.to_string()))?;
    let reply = read_page(context, company, action, &front.credential.key, &input).await?;
    let items: Vec<&RawValue> =
        serde_json::from_slice(reply.data.as_bytes()).map_err(FollowError::BadPage)?;
    let full = items.len() >= PAGE_SIZE;
    let read = items.len() as u64;
    let mut fresh = Vec::new();
    for item in items {
        let head: EventHead = serde_json::from_str(item.get()).map_err(FollowError::BadPage)?;
        let event = FrontEvent {
            id: head.id,
            front_type: head.front_type,
            emitted_at: head.emitted_at,
            payload: item.get().to_owned(),
        };
        if !position.has_taken(&event) {
            position.take(&event);
            fresh.push(event);
        }
    }
    if !fresh.is_empty() {
        let queued = context
            .store
            .advance_stream(company, &context.holder, &fresh, &position)
            .await?;
        tracing::debug!(company_id = %company, events = fresh.len(), queued, "events taken");
        if queued > 0 {
            context.queued.notify_waiters();
        }
    }
    let new = fresh.len() as u64;
    context.observer.events_followed(new, read - new);
    match reply.next {
        Some(cursor) if full => {
            let newest = Duration::try_from_secs_f64(position.cursor_at).unwrap_or_default();
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            context
                .observer
                .stream_lag(company, now.saturating_sub(newest));
            Ok(Step::Backlog(cursor))
        }
        _ => {
            context.observer.stream_lag(company, Duration::ZERO);
            Ok(Step::Idle)
        }
    }
}

/// Reads one page of the company's events with the first of its accounts whose token Front
/// accepts for them: a token without the events scope (403) is passed over, a revoked one
/// (401) puts its account in error (sending `account.error`) and is passed over too.
async fn read_page(
    context: &Context,
    company: &str,
    action: &Action,
    credential_key: &str,
    input: &Value,
) -> Result<Reply, FollowError> {
    let mut refused = None;
    for (project_id, account_id) in context.store.company_accounts(company).await? {
        let account = context
            .store
            .account_for_run(&project_id, &account_id, credential_key)
            .await?;
        let Some(token) = account.credential.as_ref() else {
            continue;
        };
        let call = Call {
            action,
            input,
            token,
            account_id: &account_id,
            company_id: company,
            idempotency_key: false,
            deadline: Instant::now() + CALL_DEADLINE,
        };
        match context.front.execute(&call, &mut Stats::default()).await {
            Ok(reply) => return Ok(reply),
            Err(CallError::Front { message, error }) if matches!(error.status, 401 | 403) => {
                if error.status == 401 {
                    context
                        .store
                        .mark_account_error(
                            &project_id,
                            &account_id,
                            "front_unauthorized",
                            "Front refused the API token (HTTP 401): it was revoked or deleted; link the account again with a new token",
                        )
                        .await?;
                }
                refused = Some(CallError::Front { message, error });
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(refused.map_or(FollowError::NoAccount, FollowError::from))
}

/// The input of one page: the page a cursor names, or the first page after the position
/// (a millisecond before it, Front's precision for `q.after`, so that events sharing the
/// cursor's time are seen again and told apart by id).
fn page_input(position: &StreamPosition, next: Option<&str>) -> Value {
    match next {
        Some(cursor) => json!({"query": {"next": cursor, "limit": PAGE_SIZE}}),
        None => {
            let after = ((position.cursor_at * 1000.0).floor() - 1.0) / 1000.0;
            json!({"query": {
                "q": {"after": after},
                "sort_by": "created_at",
                "sort_order": "asc",
                "limit": PAGE_SIZE,
            }})
        }
    }
}
