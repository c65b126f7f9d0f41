//! Running an action: the one path by which an action runs, whoever asks (`POST /actions/rpc`,
//! MCP, the command line's `run`).
//!
//! In order: the action is looked up and the input validated against its schema (every
//! violation reported); the account is read with its opened token in one query; the account
//! must allow the action (403) and be usable (412). Then the policies decide
//! ([`crate::approvals`]): a denied call is refused (403 naming the rule), a call to approve is
//! held (stored, not run, until a person decides); a dry run stops there and shows the Front
//! request with that decision. With an `Idempotency-Key`, a repeat gets the stored result (a different request
//! under the key gets 422, a claim whose holder stopped without a result gets 502: it may have
//! reached Front, so it is never sent again). Then the engine paces, sends, retries and maps
//! Front's answer. A 401 from Front puts the account in `error`. Every run, failed or not, is
//! recorded in the run log (off the request path) and counted in the metrics.
//!
//! Everything after the input checks runs in a task of its own, to its end, whether or not the
//! caller is still waiting: see [`run_action`].

use std::time::{Duration, Instant};

use actionhub_catalog::{Action, Catalog, ParamStyle, Returns};
use actionhub_engine::{
    Call, CallError, DEFAULT_DEADLINE, Data, DryRun, FileAnswer, JsonText, Stats,
};
use actionhub_store::{
    Approval, Decision, IdempotencyBegin, Run, RunAccount, Status, StoreError, Timestamp, Verdict,
};
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::approvals::{self, Caller, HeldCall};
use crate::error::ApiError;

/// How long an `Idempotency-Key` claim is held while its request runs: past every deadline and
/// timeout (a run goes on to its end even when its caller leaves), so only a killed hub leaves
/// one behind, and a repeat after that is told the outcome is unknown, never sent again.
const IDEMPOTENCY_LOCK_MS: i64 = 120_000;
/// How long a stored result is replayed.
const IDEMPOTENCY_TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// Longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
/// Longest action id kept in the run log when the action is unknown.
const MAX_LOGGED_ID_LEN: usize = 100;

/// Who asked for a run (recorded in the run log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunSource {
    Rpc,
    Mcp,
    Cli,
    /// A held call a person approved.
    Approval,
}

impl RunSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RunSource::Rpc => "rpc",
            RunSource::Mcp => "mcp",
            RunSource::Cli => "cli",
            RunSource::Approval => "approval",
        }
    }

    /// Where this kind of caller named the account, for messages about it.
    fn account_field(self) -> &'static str {
        match self {
            RunSource::Rpc | RunSource::Mcp => "x-account-id",
            RunSource::Cli => "--account",
            RunSource::Approval => "the approval's account",
        }
    }
}

/// One request to run an action for a linked account.
#[derive(Debug)]
pub struct ActionRequest<'a> {
    pub project_id: &'a str,
    pub account_id: &'a str,
    pub action_id: &'a str,
    /// How `input` is laid out.
    pub style: ParamStyle,
    /// `{path, query, body}` (nested) or flat, per `style`.
    pub input: Value,
    pub idempotency_key: Option<&'a str>,
    /// Validate and show the Front request without sending it.
    pub dry_run: bool,
    pub source: RunSource,
    /// The API key the caller authenticated with (kept as who asked, if the call is held).
    pub api_key_id: Option<&'a str>,
}

/// What a run answers: StackOne's RPC response `{"data": …, "next": …}`, a file an action
/// returning one downloaded (written as `{"data": {"filename", "content_type", "size",
/// "content_base64"}, "next": null}`), or for a dry run the Front request that would have been
/// sent (`{"method", "url", "headers", "body"}`).
#[derive(Debug)]
pub enum ActionResponse {
    Data {
        /// Front's answer (a list's items), as Front wrote it.
        data: JsonText,
        /// The cursor of the next page: pass it back as `query.next`.
        next: Option<String>,
    },
    File(FileAnswer),
    DryRun(ShownCall),
    /// A policy holds the call until a person approves it: nothing was sent.
    Held(HeldCall),
}

/// What a dry run shows: the Front request and what the policies decide for the call.
#[derive(Debug, serde::Serialize)]
pub struct ShownCall {
    #[serde(flatten)]
    pub request: DryRun,
    pub policy: Verdict,
}

impl ActionResponse {
    /// The next-page cursor, if there is one.
    pub fn next(&self) -> Option<&str> {
        match self {
            ActionResponse::Data { next, .. } => next.as_deref(),
            ActionResponse::File(_) | ActionResponse::DryRun(_) | ActionResponse::Held(_) => None,
        }
    }
}

/// A file's `data` as it is written in JSON, and read back from an idempotency record.
#[derive(serde::Serialize, serde::Deserialize)]
struct FileData {
    filename: String,
    content_type: String,
    size: usize,
    content_base64: String,
}

impl ActionResponse {
    /// The answer's JSON text as pieces, to be sent or joined in order. Front's bytes go in as
    /// they came, neither re-encoded nor checked again: every interface writes the answer
    /// through here.
    pub fn json_pieces(&self) -> Result<Vec<Bytes>, serde_json::Error> {
        Ok(match self {
            ActionResponse::Data { data, next } => vec![
                Bytes::from_static(b"{\"data\":"),
                data.clone().into_bytes(),
                Bytes::from(format!(",\"next\":{}}}", serde_json::to_string(next)?)),
            ],
            // The base64 text goes in as its own piece: a large file is not copied again.
            ActionResponse::File(file) => {
                let described = serde_json::to_string(&FileData {
                    filename: file.filename.clone(),
                    content_type: file.content_type.clone(),
                    size: file.size(),
                    content_base64: String::new(),
                })?;
                let open = described.strip_suffix("\"}").ok_or_else(|| {
                    serde::ser::Error::custom("a file's description does not end in its base64")
                })?;
                vec![
                    Bytes::from(format!("{{\"data\":{open}")),
                    Bytes::from(BASE64.encode(&file.bytes)),
                    Bytes::from_static(b"\"},\"next\":null}"),
                ]
            }
            ActionResponse::DryRun(shown) => vec![Bytes::from(serde_json::to_vec(shown)?)],
            ActionResponse::Held(held) => vec![Bytes::from(serde_json::to_vec(held)?)],
        })
    }

    /// The answer's JSON text in one string.
    pub fn json_text(&self) -> Result<String, serde_json::Error> {
        // UTF-8 throughout: `data` was checked when it was made, the rest is written by serde.
        String::from_utf8(self.json_pieces()?.concat()).map_err(serde::ser::Error::custom)
    }
}

/// What the run log and metrics learn about a run as it goes.
struct Note {
    outcome: &'static str,
    action: &'static str,
    stats: Stats,
    error: Option<String>,
}

/// The parts of a request that the run needs once its input is checked, owned, so that the
/// run can go on in a task of its own.
struct Owned {
    project_id: String,
    account_id: String,
    /// The action id as the run log keeps it (truncated when the action is unknown).
    logged_action: String,
    idempotency_key: Option<String>,
    dry_run: bool,
    source: RunSource,
    api_key_id: Option<String>,
    /// Whether the policies decide this run; not for a call a person already approved.
    policy: PolicyCheck,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PolicyCheck {
    Decide,
    Approved,
}

/// Runs one action. See the module documentation for the steps.
///
/// Past the checks of the input (which do not wait on anything), the run goes on in a task of
/// its own and always to its end, even when the caller stops waiting (a client that
/// disconnects drops this future): a claimed `Idempotency-Key` gets its result stored, a write
/// that may have reached Front is never left without one, the pacer's probe is answered, and
/// every call gets its run-log entry.
pub async fn run_action(
    state: &AppState,
    request: ActionRequest<'_>,
) -> Result<ActionResponse, ApiError> {
    execute(state, request, PolicyCheck::Decide).await
}

/// Runs the call of an approval a person approved, exactly its stored input, as the caller
/// that asked would have run it (without an idempotency key: the approval runs once).
pub(crate) async fn run_approved_call(
    state: &AppState,
    approval: &Approval,
) -> Result<ActionResponse, ApiError> {
    let request = ActionRequest {
        project_id: &approval.project_id,
        account_id: &approval.account_id,
        action_id: &approval.action_id,
        style: ParamStyle::Nested,
        input: approval.input.clone(),
        idempotency_key: None,
        dry_run: false,
        source: RunSource::Approval,
        api_key_id: None,
    };
    execute(state, request, PolicyCheck::Approved).await
}

async fn execute(
    state: &AppState,
    request: ActionRequest<'_>,
    policy: PolicyCheck,
) -> Result<ActionResponse, ApiError> {
    let started = Instant::now();
    let started_at = Timestamp::now();
    let mut note = Note {
        outcome: "invalid",
        action: "unknown",
        stats: Stats::default(),
        error: None,
    };
    let checked = check(&request, &mut note);
    let owned = Owned {
        project_id: request.project_id.to_owned(),
        account_id: request.account_id.to_owned(),
        logged_action: match &checked {
            Ok((action, _)) => action.id.clone(),
            Err(_) => request.action_id.chars().take(MAX_LOGGED_ID_LEN).collect(),
        },
        idempotency_key: request.idempotency_key.map(str::to_owned),
        dry_run: request.dry_run,
        source: request.source,
        api_key_id: request.api_key_id.map(str::to_owned),
        policy,
    };
    // The caller's input is not needed past its checks.
    drop(request);
    let state = state.clone();
    let in_flight = state.run_log.run_started();
    let task = tokio::spawn(async move {
        let result = match checked {
            Ok((action, input)) => run(&state, &owned, action, &input, &mut note).await,
            Err(error) => Err(error),
        };
        if let Err(error) = &result
            && note.error.is_none()
        {
            note.error = Some(error.to_string());
        }
        record(&state, owned, note, started, started_at).await;
        drop(in_flight);
        result
    });
    task.await.unwrap_or_else(|error| {
        tracing::error!(%error, "a run's task ended without a result");
        Err(ApiError::Internal)
    })
}

async fn record(
    state: &AppState,
    owned: Owned,
    note: Note,
    started: Instant,
    started_at: Timestamp,
) {
    state.metrics.run(note.action, note.outcome);
    for took in note.stats.upstream.iter().flatten() {
        state.metrics.upstream(*took);
    }
    if note.stats.waited > Duration::ZERO {
        state.metrics.pacer_wait(note.stats.waited);
    }
    let id = match actionhub_store::new_run_id(started_at) {
        Ok(id) => id,
        Err(error) => {
            tracing::error!(%error, "no run id; the run is not recorded");
            return;
        }
    };
    state
        .run_log
        .record(Run {
            id,
            project_id: owned.project_id,
            account_id: owned.account_id,
            action: owned.logged_action,
            source: owned.source.as_str().to_owned(),
            outcome: note.outcome.to_owned(),
            front_status: note.stats.front_status,
            duration_us: i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX),
            retries: note.stats.retries(),
            waited_ms: i64::try_from(note.stats.waited.as_millis()).unwrap_or(i64::MAX),
            error: note.error,
            started_at,
        })
        .await;
}

/// Looks the action up and validates the input: the action and the input in nested form.
fn check(
    request: &ActionRequest<'_>,
    note: &mut Note,
) -> Result<(&'static Action, Value), ApiError> {
    let action: &'static Action = Catalog::builtin()
        .action(request.action_id)
        .map_err(|error| ApiError::BadRequest(format!("`action`: {error}")))?;
    note.action = action.id.as_str();
    let input = action
        .validate_input(request.style, &request.input)
        .map_err(|invalid| {
            ApiError::BadRequest(format!(
                "invalid input for {} ({} parameter style): {}",
                action.id,
                request.style,
                invalid
                    .violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
    Ok((action, input))
}

async fn run(
    state: &AppState,
    owned: &Owned,
    action: &'static Action,
    input: &Value,
    note: &mut Note,
) -> Result<ActionResponse, ApiError> {
    let account = usable_account(state, owned, action, note).await?;
    let verdict = match owned.policy {
        PolicyCheck::Decide => {
            approvals::verdict(state, &owned.project_id, Some(&owned.account_id), action).await?
        }
        // A person approved this very call: no policy stands in its way any more.
        PolicyCheck::Approved => {
            actionhub_store::decide(None, None, &approvals::action_facts(action))
        }
    };
    if owned.dry_run {
        let request = state
            .front
            .dry_run(action, &owned.account_id, input)
            .map_err(|error| ApiError::BadRequest(error.to_string()))?;
        note.outcome = "dry_run";
        return Ok(ActionResponse::DryRun(ShownCall {
            request,
            policy: verdict,
        }));
    }
    match verdict.decision {
        Decision::Allow => {}
        Decision::Deny => {
            note.outcome = "denied";
            return Err(approvals::denied(action, &verdict));
        }
        Decision::Approve => {
            let caller = Caller {
                project_id: owned.project_id.clone(),
                source: owned.source,
                api_key_id: owned.api_key_id.clone(),
            };
            let approval =
                approvals::hold(state, &caller, &owned.account_id, action, input).await?;
            note.outcome = "held";
            return Ok(ActionResponse::Held(HeldCall::new(state, &approval)));
        }
    }
    let Some(token) = &account.credential else {
        tracing::error!(
            account_id = owned.account_id.as_str(),
            "an account has no stored token"
        );
        note.outcome = "failed";
        return Err(ApiError::Internal);
    };
    let key = owned.idempotency_key.as_deref();
    if let Some(key) = key
        && let Claim::Replay(response) = claim(state, owned, action, input, key).await?
    {
        note.outcome = "replayed";
        return *response;
    }
    let call = Call {
        action,
        input,
        token,
        account_id: &owned.account_id,
        company_id: &account.provider_account_id,
        idempotency_key: key.is_some(),
        deadline: Instant::now() + DEFAULT_DEADLINE,
    };
    let outcome = state.front.execute(&call, &mut note.stats).await;
    let (result, keep) = respond(state, owned, outcome, note).await;
    if let Some(key) = key {
        settle(state, &owned.project_id, key, &result, keep).await;
    }
    result
}

/// Reads the account and checks that it may run `action` now.
async fn usable_account(
    state: &AppState,
    owned: &Owned,
    action: &Action,
    note: &mut Note,
) -> Result<std::sync::Arc<RunAccount>, ApiError> {
    let connector_key = action.id.split('_').next().unwrap_or_default();
    let credential_field = Catalog::builtin()
        .connector(connector_key)
        .map_or("api_token", |connector| connector.credential.key.as_str());
    let account = state
        .store
        .account_for_run(&owned.project_id, &owned.account_id, credential_field)
        .await
        .map_err(|error| match error {
            StoreError::NotFound => ApiError::NotFound(format!(
                "account {} not found ({})",
                owned.account_id,
                owned.source.account_field()
            )),
            other => ApiError::from(other),
        })?;
    if account.provider != connector_key {
        return Err(ApiError::BadRequest(format!(
            "`action`: {} is not an action of account {}'s provider ({})",
            action.id, owned.account_id, account.provider
        )));
    }
    if let Some(allowed) = &account.allowed_actions
        && !allowed.contains(&action.id)
    {
        note.outcome = "forbidden";
        return Err(ApiError::Forbidden(format!(
            "action {} is not allowed for account {}; it may run: {}",
            action.id,
            owned.account_id,
            allowed.join(", ")
        )));
    }
    if account.status == Status::Error {
        note.outcome = "account_error";
        return Err(ApiError::PreconditionFailed(format!(
            "account {} is in error (Front refused its token): link it again with a valid token",
            owned.account_id,
        )));
    }
    Ok(account)
}

/// What an `Idempotency-Key` leads to (a mismatch or a running twin is an error).
enum Claim {
    /// This request holds the key: run it.
    Held,
    /// The stored result of an earlier run with the same request.
    Replay(Box<Result<ActionResponse, ApiError>>),
}

async fn claim(
    state: &AppState,
    owned: &Owned,
    action: &Action,
    input: &Value,
    key: &str,
) -> Result<Claim, ApiError> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(ApiError::BadRequest(
            "`Idempotency-Key` must be 1 to 255 characters".to_owned(),
        ));
    }
    let hash = request_hash(&owned.account_id, &action.id, input);
    let begun = state
        .store
        .idempotency_begin(
            &owned.project_id,
            key,
            &hash,
            IDEMPOTENCY_LOCK_MS,
            IDEMPOTENCY_TTL_MS,
        )
        .await?;
    match begun {
        IdempotencyBegin::Fresh => Ok(Claim::Held),
        IdempotencyBegin::Replay { status, response } => {
            Ok(Claim::Replay(Box::new(replay(
                action.returns,
                status,
                &response,
            ))))
        }
        IdempotencyBegin::Mismatch => Err(ApiError::Unprocessable(
            "`Idempotency-Key` was already used for a different request (another action, account or input); use a new key".to_owned(),
        )),
        IdempotencyBegin::InProgress => Err(ApiError::Conflict(
            "a request with this `Idempotency-Key` is still running; retry when it has finished".to_owned(),
        )),
        IdempotencyBegin::OutcomeUnknown => Err(ApiError::BadGateway(
            "an earlier request with this `Idempotency-Key` stopped before its result was stored and may have reached Front, so it is not sent again: check in Front whether it was done, then use a new key".to_owned(),
        )),
    }
}

/// SHA-256 of the account, the action and the input with object keys sorted, so the same
/// request written in another key order is the same request.
fn request_hash(account_id: &str, action_id: &str, input: &Value) -> Vec<u8> {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (key, value)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(value, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut canonical = String::new();
    write(input, &mut canonical);
    let mut hasher = Sha256::new();
    for part in [account_id, "\0", action_id, "\0", canonical.as_str()] {
        hasher.update(part.as_bytes());
    }
    hasher.finalize().to_vec()
}

/// A stored result, as it was first answered (a file as a file, for an action `returns` one).
fn replay(returns: Returns, status: u16, response: &str) -> Result<ActionResponse, ApiError> {
    #[derive(serde::Deserialize)]
    struct StoredData {
        data: Box<RawValue>,
        next: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct StoredFile {
        data: FileData,
    }
    #[derive(serde::Deserialize)]
    struct StoredError {
        message: String,
        #[serde(default)]
        provider_errors: Vec<Value>,
    }
    let corrupt = || {
        tracing::error!("a stored idempotent result is unreadable");
        ApiError::Internal
    };
    if (200..300).contains(&status) && returns == Returns::File {
        let stored: StoredFile = serde_json::from_str(response).map_err(|_| corrupt())?;
        let bytes = BASE64
            .decode(stored.data.content_base64)
            .map_err(|_| corrupt())?;
        return Ok(ActionResponse::File(FileAnswer {
            filename: stored.data.filename,
            content_type: stored.data.content_type,
            bytes: bytes.into(),
        }));
    }
    if (200..300).contains(&status) {
        let stored: StoredData = serde_json::from_str(response).map_err(|_| corrupt())?;
        let data = Box::<str>::from(stored.data).into_boxed_bytes();
        return Ok(ActionResponse::Data {
            data: JsonText::parse(data.into()).map_err(|_| corrupt())?,
            next: stored.next,
        });
    }
    let stored: StoredError = serde_json::from_str(response).map_err(|_| corrupt())?;
    Err(ApiError::Provider {
        status: StatusCode::from_u16(status).map_err(|_| corrupt())?,
        message: stored.message,
        provider_errors: stored.provider_errors,
    })
}

/// Stores the result under the key when Front processed the request (or may have), so that a
/// repeat never runs it twice; otherwise frees the key for a retry.
async fn settle(
    state: &AppState,
    project_id: &str,
    key: &str,
    result: &Result<ActionResponse, ApiError>,
    keep: bool,
) {
    let stored = match result {
        Ok(response) if keep => response.json_text().map(|text| (200, text)),
        Err(error) if keep => serde_json::to_string(&serde_json::json!({
            "message": error.to_string(),
            "provider_errors": error.provider_errors(),
        }))
        .map(|text| (error.status().as_u16(), text)),
        _ => {
            if let Err(error) = state.store.idempotency_release(project_id, key).await {
                tracing::error!(%error, "an idempotency key could not be released");
            }
            return;
        }
    };
    match stored {
        Ok((status, text)) => {
            if let Err(error) = state
                .store
                .idempotency_finish(project_id, key, status, &text)
                .await
            {
                tracing::error!(%error, "an idempotent result could not be stored");
            }
        }
        Err(error) => tracing::error!(%error, "an idempotent result could not be serialised"),
    }
}

/// Turns the engine's outcome into the answer, and says whether Front processed the request
/// (or may have), which makes the result worth keeping under an idempotency key.
async fn respond(
    state: &AppState,
    owned: &Owned,
    outcome: Result<actionhub_engine::Reply, CallError>,
    note: &mut Note,
) -> (Result<ActionResponse, ApiError>, bool) {
    let error = match outcome {
        Ok(reply) => {
            note.outcome = "ok";
            let response = match reply.data {
                Data::Json(data) => ActionResponse::Data {
                    data,
                    next: reply.next,
                },
                Data::File(file) => ActionResponse::File(file),
            };
            return (Ok(response), true);
        }
        Err(error) => error,
    };
    let text = error.to_string();
    note.error = Some(text.clone());
    match error {
        CallError::Cursor(_) | CallError::Path(_) | CallError::File(_) => {
            note.outcome = "invalid";
            (Err(ApiError::BadRequest(text)), false)
        }
        CallError::OverDeadline { retry_after_secs } => {
            note.outcome = "rate_limited";
            (
                Err(ApiError::RateLimited {
                    message: text,
                    retry_after_secs,
                }),
                false,
            )
        }
        CallError::Front { message, error } => {
            note.outcome = "front_error";
            let provider_errors = serde_json::to_value(&error).into_iter().collect();
            if error.status == 401 {
                account_refused(state, owned).await;
                return (
                    Err(ApiError::Provider {
                        status: StatusCode::PRECONDITION_FAILED,
                        message: format!(
                            "Front refused account {}'s token (HTTP 401: {message}); the account is now in error until it is linked again",
                            owned.account_id,
                        ),
                        provider_errors,
                    }),
                    true,
                );
            }
            let server_side = error.status >= 500;
            let status = if server_side {
                StatusCode::BAD_GATEWAY
            } else {
                StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_GATEWAY)
            };
            (
                Err(ApiError::Provider {
                    status,
                    message: format!("Front answered HTTP {}: {message}", error.status),
                    provider_errors,
                }),
                front_processed(error.status),
            )
        }
        CallError::Unreachable {
            reason,
            outcome_unknown,
        } => {
            note.outcome = "unreachable";
            let message = if outcome_unknown {
                format!(
                    "Front could not be reached: {reason}; the request may have been processed, so check before repeating it"
                )
            } else {
                format!("Front could not be reached: {reason}")
            };
            (Err(ApiError::BadGateway(message)), outcome_unknown)
        }
        // Front may have acted before redirecting, and did act when it accepted a write whose
        // answer is unreadable: the key stays used.
        CallError::BadAnswer { .. } | CallError::Redirected { .. } => {
            note.outcome = "front_error";
            (Err(ApiError::BadGateway(text)), true)
        }
        // Too large to read: Front's status still tells whether it acted.
        CallError::AnswerTooLarge { status, .. } => {
            note.outcome = "front_error";
            (Err(ApiError::BadGateway(text)), front_processed(status))
        }
        CallError::TooLarge => {
            note.outcome = "invalid";
            (Err(ApiError::BadRequest(text)), false)
        }
    }
}

/// Whether Front's error answer with `status` means the request was processed, which makes it
/// worth keeping under an idempotency key: a 429 (Front refuses before doing anything) and a
/// 5xx (Front did not do it, or documents the request as not processed, e.g. 503) leave the
/// key free for a repeat, which may then succeed.
fn front_processed(status: u16) -> bool {
    status != 429 && status < 500
}

/// Front said the account's token is no good: the account goes to `error` until relinked.
async fn account_refused(state: &AppState, owned: &Owned) {
    let marked = state
        .store
        .mark_account_error(
            &owned.project_id,
            &owned.account_id,
            "front_unauthorized",
            "Front refused the API token (HTTP 401): it was revoked or deleted; link the account again with a new token",
        )
        .await;
    match marked {
        Ok(()) => tracing::warn!(
            project_id = owned.project_id.as_str(),
            account_id = owned.account_id.as_str(),
            "Front refused an account's token; the account is now in error"
        ),
        Err(error) => tracing::error!(%error, "an account could not be marked as in error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_request_hash_ignores_key_order_only() {
        let a = request_hash("acc", "front_x", &json!({"body": {"a": 1, "b": [1, 2]}}));
        let b = request_hash("acc", "front_x", &json!({"body": {"b": [1, 2], "a": 1}}));
        let c = request_hash("acc", "front_x", &json!({"body": {"b": [2, 1], "a": 1}}));
        let d = request_hash("acc2", "front_x", &json!({"body": {"a": 1, "b": [1, 2]}}));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn only_answers_front_processed_are_kept_under_a_key() {
        for status in [200, 201, 400, 404, 409, 422] {
            assert!(front_processed(status), "{status}");
        }
        for status in [429, 500, 502, 503, 504] {
            assert!(!front_processed(status), "{status}");
        }
    }

    #[test]
    fn responses_are_written_as_stackone_rpc() {
        let response = ActionResponse::Data {
            data: JsonText::parse("[{\"id\":1}]".into()).unwrap(),
            next: None,
        };
        assert_eq!(
            response.json_text().unwrap(),
            r#"{"data":[{"id":1}],"next":null}"#
        );
    }

    #[test]
    fn a_file_is_written_as_base64_and_replayed_as_the_same_file() {
        let file = FileAnswer {
            filename: "a \"b\".bin".to_owned(),
            content_type: "application/octet-stream".to_owned(),
            bytes: Bytes::from_static(&[0, 159, 146, 150, 255]),
        };
        let text = ActionResponse::File(file.clone()).json_text().unwrap();
        assert_eq!(
            text,
            r#"{"data":{"filename":"a \"b\".bin","content_type":"application/octet-stream","size":5,"content_base64":"AJ+Slv8="},"next":null}"#
        );
        match replay(Returns::File, 200, &text) {
            Ok(ActionResponse::File(replayed)) => assert_eq!(replayed, file),
            other => panic!("{other:?}"),
        }
    }
}
