//! Running one action against Front: the request (or the page a cursor names), pacing, the
//! authenticated send, retries, and the mapping of the answer.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actionhub_catalog::{Action, Catalog, Location, Method, NEXT_CURSOR_FIELD, Returns};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Value, json};

use crate::client::{FrontClient, MAX_ANSWER_SETTING, REQUEST_TIMEOUT, ReadError, bearer};
use crate::cursor::{self, CursorError, IssuedFor};
use crate::file::FileAnswer;
use crate::pace::{Observation, SEARCH_ROUTE, unix_millis, wait_for_slot};
use crate::request::{self, BadFile, BuildError, FrontRequest, UnsafePath};
use crate::response::{Envelope, JsonText};
use crate::retry::{self, Failure, MAX_ATTEMPTS};

/// Time a call may take, waiting for the budget included, unless the caller sets another.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);
/// Longest Front error message kept (for the caller and the run log).
const MAX_MESSAGE_LEN: usize = 300;
/// Front's answer headers worth showing a caller in `provider_errors`.
const SHOWN_HEADERS: [&str; 6] = [
    "content-type",
    "retry-after",
    "x-front-tier",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
];

/// One action to run for a linked account.
#[derive(Debug)]
pub struct Call<'a> {
    pub action: &'a Action,
    /// The input, validated and in nested form (`Action::validate_input`).
    pub input: &'a Value,
    pub token: &'a SecretString,
    /// The linked account the call runs for: the `next` cursor is bound to it.
    pub account_id: &'a str,
    /// The Front company behind the token: the budget the call is paced against.
    pub company_id: &'a str,
    /// The caller sent an `Idempotency-Key`, which makes POST and PATCH retryable.
    pub idempotency_key: bool,
    /// When the caller stops waiting: a budget that will not allow the call by then is a 429.
    pub deadline: Instant,
}

/// What happened on the way, for the run log and metrics (filled in on failure too).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Requests sent to Front (retries are `attempts - 1`).
    pub attempts: u32,
    /// Time spent queued for the company's budget.
    pub waited: Duration,
    /// Front's status of the last answer, if any came.
    pub front_status: Option<u16>,
    /// Each attempt's time on the wire, in order.
    pub upstream: [Option<Duration>; MAX_ATTEMPTS],
}

impl Stats {
    pub fn retries(&self) -> u32 {
        self.attempts.saturating_sub(1)
    }

    fn record(&mut self, took: Duration) {
        if let Some(slot) = self.upstream.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some(took);
        }
    }
}

/// Front's successful answer, mapped.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub data: Data,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
}

/// What a successful answer carries, per the action's `returns`.
#[derive(Debug)]
pub enum Data {
    /// The answer (a list's items), as Front wrote it.
    Json(JsonText),
    /// The file an action returning a file downloaded.
    File(FileAnswer),
}

impl Data {
    /// The answer's bytes as Front sent them: the JSON text, or the file.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Data::Json(text) => text.as_bytes(),
            Data::File(file) => &file.bytes,
        }
    }
}

/// Why a call failed. No variant carries the token; Front's error body is kept as Front sent
/// it, for `provider_errors`.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Cursor(#[from] CursorError),
    #[error(transparent)]
    Path(#[from] UnsafePath),
    #[error(transparent)]
    File(#[from] BadFile),
    #[error(
        "Front's rate limit for this account's company leaves no room before the call's deadline; retry in {retry_after_secs} s"
    )]
    OverDeadline { retry_after_secs: u64 },
    #[error("Front answered HTTP {}: {message}", error.status)]
    Front {
        message: String,
        error: ProviderError,
    },
    #[error("Front could not be reached: {reason}")]
    Unreachable {
        reason: &'static str,
        /// The request may have been processed (its answer was lost).
        outcome_unknown: bool,
    },
    /// A 2xx answer that is not JSON. `wrote`: the request was a write Front accepted.
    #[error("{}", bad_answer_message(*status, *wrote))]
    BadAnswer { status: u16, wrote: bool },
    /// An answer larger than the configured bound, left unread past it. `wrote`: the request
    /// was a write Front accepted; `file`: the answer was a file to download.
    #[error("{}", too_large_answer_message(*status, *limit_mb, *wrote, *file))]
    AnswerTooLarge {
        status: u16,
        limit_mb: u64,
        wrote: bool,
        file: bool,
    },
    /// Front answered with a redirect, which is never followed (it would carry the token
    /// wherever it points).
    #[error(
        "Front redirected the request (HTTP {status}) instead of answering it; redirects are not followed"
    )]
    Redirected { status: u16 },
    /// The request cannot be sent at all: its URL is longer than HTTP can carry.
    #[error(
        "the request is too large to send to Front: its URL would be longer than HTTP allows; shorten its path or query values"
    )]
    TooLarge,
}

fn bad_answer_message(status: u16, wrote: bool) -> String {
    if wrote {
        format!(
            "Front accepted the request (HTTP {status}) but its answer is not JSON; the write was made, do not repeat it"
        )
    } else {
        format!("Front's answer (HTTP {status}) is not JSON")
    }
}

fn too_large_answer_message(status: u16, limit_mb: u64, wrote: bool, file: bool) -> String {
    let exceeded = format!("larger than the {limit_mb} MiB limit ({MAX_ANSWER_SETTING})");
    if wrote {
        format!(
            "Front accepted the request (HTTP {status}) but its answer is {exceeded}; the write was made, do not repeat it"
        )
    } else if file {
        format!(
            "the file Front answered (HTTP {status}) is {exceeded}; raise the limit to download it"
        )
    } else {
        format!(
            "Front's answer (HTTP {status}) is {exceeded}; raise the limit or ask for smaller pages"
        )
    }
}

/// A write (anything but GET) that Front answered with a 2xx: it was made.
fn accepted_write(method: Method, status: u16) -> bool {
    method != Method::Get && (200..300).contains(&status)
}

/// Why no request could be formed for an input: a refused cursor, or a path parameter that
/// would not stay in its segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Cursor(#[from] CursorError),
    #[error(transparent)]
    Path(#[from] UnsafePath),
    #[error(transparent)]
    File(#[from] BadFile),
}

impl From<BuildError> for PrepareError {
    fn from(error: BuildError) -> Self {
        match error {
            BuildError::Path(error) => PrepareError::Path(error),
            BuildError::File(error) => PrepareError::File(error),
        }
    }
}

impl From<PrepareError> for CallError {
    fn from(error: PrepareError) -> Self {
        match error {
            PrepareError::Cursor(error) => CallError::Cursor(error),
            PrepareError::Path(error) => CallError::Path(error),
            PrepareError::File(error) => CallError::File(error),
        }
    }
}

/// StackOne's `ProviderError`: Front's status, the URL called (without its query), Front's
/// body (its `_error` object) and the relevant answer headers.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderError {
    pub status: u16,
    pub url: String,
    pub raw: Value,
    pub headers: serde_json::Map<String, Value>,
}

/// The request a dry run shows: the Front request, with the `Authorization` header redacted.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    pub method: Method,
    pub url: String,
    pub headers: serde_json::Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

fn envelope() -> &'static Envelope {
    static ENVELOPE: OnceLock<Envelope> = OnceLock::new();
    ENVELOPE.get_or_init(|| {
        Catalog::builtin()
            .connector("front")
            .map_or_else(Envelope::front, |front| Envelope::new(&front.list_envelope))
    })
}

/// The media types asked of Front: JSON, or for an action returning a file, any.
fn accepted_media(action: &Action) -> &'static str {
    match action.returns {
        Returns::Json => "application/json",
        Returns::File => "*/*",
    }
}

/// The resource type a request counts against for Front's per-route limits (its first path
/// segment); search is in the conversations class, and has its own share of the budget too.
fn route_of(action: &Action) -> &str {
    if action.path.starts_with("/conversations/search/") {
        return SEARCH_ROUTE;
    }
    action
        .path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
}

impl FrontClient {
    /// The Front request `action` makes for account `account_id` with a validated nested
    /// `input`: its own request, or the page named by `query.next` (checked: issued for this
    /// action, account and path values, Front's host or the configured one, and this action's
    /// path; the input's `limit`, if any, replaces the cursor's).
    pub fn prepare(
        &self,
        action: &Action,
        account_id: &str,
        input: &Value,
    ) -> Result<FrontRequest, PrepareError> {
        let query = input.get(Location::Query.as_str());
        let cursor = query
            .and_then(|query| query.get(NEXT_CURSOR_FIELD))
            .and_then(Value::as_str);
        match cursor {
            Some(cursor) => {
                let issued_for = IssuedFor::new(action, account_id, input);
                let limit = query
                    .and_then(|query| query.get(cursor::PAGE_SIZE_FIELD))
                    .and_then(Value::as_u64);
                Ok(FrontRequest {
                    method: Method::Get,
                    url: self
                        .allowed
                        .open(cursor, &issued_for, action, limit)?
                        .into(),
                    body: None,
                })
            }
            None => Ok(request::build(self.base_url(), action, input)?),
        }
    }

    /// What a dry run shows: the request, headers included, with the token redacted.
    pub fn dry_run(
        &self,
        action: &Action,
        account_id: &str,
        input: &Value,
    ) -> Result<DryRun, PrepareError> {
        let request = self.prepare(action, account_id, input)?;
        let mut headers = serde_json::Map::new();
        headers.insert("accept".into(), json!(accepted_media(action)));
        headers.insert("authorization".into(), json!("Bearer [redacted]"));
        if let Some(body) = &request.body {
            headers.insert("content-type".into(), json!(body.content_type()));
        }
        Ok(DryRun {
            method: request.method,
            url: request.url,
            headers,
            body: request.body.as_ref().map(request::Body::shown),
        })
    }

    /// Runs `call`: waits for the company's budget, sends, retries what may be retried, and
    /// maps the answer. `stats` is filled in as it goes, failures included.
    pub async fn execute(&self, call: &Call<'_>, stats: &mut Stats) -> Result<Reply, CallError> {
        let request = self.prepare(call.action, call.account_id, call.input)?;
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        // Encoded once: every attempt sends the same bytes.
        let body = request.body.as_ref().map(request::Body::encode);
        let route = route_of(call.action);
        let authorization = bearer(call.token);
        loop {
            let slot = wait_for_slot(
                &*self.pacer,
                &self.budget_changed,
                call.company_id,
                route,
                call.deadline,
            )
            .await
            .map_err(|over| CallError::OverDeadline {
                retry_after_secs: over.retry_after_secs,
            })?;
            stats.waited += slot.waited();
            let left = call.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(CallError::OverDeadline {
                    retry_after_secs: 1,
                });
            }
            let mut builder = self
                .http
                .request(method.clone(), &request.url)
                .header(ACCEPT, accepted_media(call.action))
                .header(AUTHORIZATION, authorization.clone())
                .timeout(left.min(REQUEST_TIMEOUT));
            if let Some((content_type, bytes)) = &body {
                builder = builder
                    .header(CONTENT_TYPE, content_type.as_str())
                    .body(bytes.clone());
            }
            stats.attempts += 1;
            let sent_at = unix_millis();
            let started = Instant::now();
            let attempt = self.attempt(builder, sent_at).await;
            stats.record(started.elapsed());
            let (mut observation, outcome) = attempt;
            observation.window = slot.window();
            match self
                .pacer
                .observe(call.company_id, route, observation)
                .await
            {
                Ok(()) => slot.observed(),
                // Dropping the slot tries once more to give a probe lease back.
                Err(error) => tracing::warn!(%error, "the rate budget could not be updated"),
            }
            self.budget_changed.notify(call.company_id);
            let failure = match outcome {
                Attempt::Answer {
                    status,
                    headers,
                    body,
                } => {
                    stats.front_status = Some(status);
                    match status {
                        200..=299 if call.action.returns == Returns::File => {
                            return Ok(Reply {
                                status,
                                data: Data::File(FileAnswer::from_answer(
                                    &request.url,
                                    &headers,
                                    body,
                                )),
                                next: None,
                            });
                        }
                        200..=299 => {
                            let mapped =
                                envelope().map(&body).map_err(|_| CallError::BadAnswer {
                                    status,
                                    wrote: accepted_write(request.method, status),
                                })?;
                            return Ok(Reply {
                                status,
                                data: Data::Json(mapped.data),
                                next: mapped.next_url.as_deref().map(|url| {
                                    cursor::encode(
                                        url,
                                        &IssuedFor::new(call.action, call.account_id, call.input),
                                    )
                                }),
                            });
                        }
                        300..=399 => return Err(CallError::Redirected { status }),
                        // Refused unprocessed; the pacer now holds callers until Front allows.
                        429 if stats.attempts < MAX_ATTEMPTS as u32 => continue,
                        500..=599 => (
                            Failure::ServerError,
                            front_error(status, &request.url, &headers, &body),
                        ),
                        _ => return Err(front_error(status, &request.url, &headers, &body)),
                    }
                }
                Attempt::Oversized { status, limit_mb } => {
                    stats.front_status = Some(status);
                    return Err(CallError::AnswerTooLarge {
                        status,
                        limit_mb,
                        wrote: accepted_write(request.method, status),
                        file: call.action.returns == Returns::File,
                    });
                }
                Attempt::Unsendable => return Err(CallError::TooLarge),
                Attempt::NotSent => (
                    Failure::NotSent,
                    CallError::Unreachable {
                        reason: "the connection failed",
                        outcome_unknown: false,
                    },
                ),
                Attempt::Lost { timed_out } => (
                    Failure::AnswerLost,
                    CallError::Unreachable {
                        reason: if timed_out {
                            "the request timed out"
                        } else {
                            "the connection was closed before the answer arrived"
                        },
                        outcome_unknown: request.method != Method::Get,
                    },
                ),
            };
            let (failure, error) = failure;
            if stats.attempts >= MAX_ATTEMPTS as u32
                || !retry::may_retry(request.method, failure, call.idempotency_key)
            {
                return Err(error);
            }
            let pause = retry::backoff(stats.attempts);
            if Instant::now() + pause >= call.deadline {
                return Err(error);
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// Sends one request and reads its whole answer.
    async fn attempt(
        &self,
        builder: reqwest::RequestBuilder,
        sent_at: i64,
    ) -> (Observation, Attempt) {
        let failed = |attempt| {
            (
                Observation {
                    sent_at,
                    received_at: unix_millis(),
                    failed: true,
                    ..Observation::default()
                },
                attempt,
            )
        };
        let response = match builder.send().await {
            Ok(response) => response,
            Err(error) if error.is_connect() => return failed(Attempt::NotSent),
            // reqwest refuses to send a URL that HTTP cannot carry (over 64 KiB): no retry helps.
            Err(error) if error.is_builder() => return failed(Attempt::Unsendable),
            Err(error) => {
                return failed(Attempt::Lost {
                    timed_out: error.is_timeout(),
                });
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match self.read_answer(response).await {
            Ok(body) => body,
            Err(ReadError::TooLarge { limit_mb }) => {
                // Front answered (its headers count for the budget); the rest is left unread.
                let observation = observe(status, &headers, sent_at, unix_millis());
                return (observation, Attempt::Oversized { status, limit_mb });
            }
            Err(ReadError::Cut(error)) => {
                return failed(Attempt::Lost {
                    timed_out: error.is_timeout(),
                });
            }
        };
        let observation = observe(status, &headers, sent_at, unix_millis());
        (
            observation,
            Attempt::Answer {
                status,
                headers,
                body,
            },
        )
    }
}

/// One attempt's result.
enum Attempt {
    Answer {
        status: u16,
        headers: HeaderMap,
        body: bytes::Bytes,
    },
    /// An answer larger than the configured bound, not read past it.
    Oversized { status: u16, limit_mb: u64 },
    /// The connection could not be made.
    NotSent,
    /// The request could not be written (its URL is too long for HTTP).
    Unsendable,
    /// Sent, but the answer did not arrive whole.
    Lost { timed_out: bool },
}

/// What an answer's headers say about the budget.
fn observe(status: u16, headers: &HeaderMap, sent_at: i64, received_at: i64) -> Observation {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let throttled = status == 429;
    let remaining = number("x-ratelimit-remaining").map(|v| v as i64);
    Observation {
        sent_at,
        received_at,
        limit: number("x-ratelimit-limit").map(|v| v as i64),
        remaining,
        reset: number("x-ratelimit-reset").map(|v| v.ceil() as i64),
        throttled,
        retry_after_ms: number("retry-after").map(|secs| (secs * 1000.0).ceil() as i64),
        tier: throttled && headers.contains_key("x-front-tier"),
        // A burst tier, or a share (search) while the company's budget still has room.
        route_only: throttled
            && (headers.contains_key("x-front-tier") || remaining.is_some_and(|r| r > 0)),
        failed: false,
        status,
        // Set by the caller, which holds the slot.
        window: 0,
    }
}

/// Front's error answer as a [`CallError::Front`].
fn front_error(status: u16, url: &str, headers: &HeaderMap, body: &[u8]) -> CallError {
    let raw: Value = serde_json::from_slice(body).unwrap_or_else(
        |_| json!({ "_error": { "status": status, "message": "(Front's answer was not JSON)" } }),
    );
    let detail = |field: &str| {
        raw.get("_error")
            .and_then(|error| error.get(field))
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
    };
    let message = detail("message")
        .or_else(|| detail("title"))
        .unwrap_or_else(|| {
            reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("error")
        })
        .to_owned();
    let message = crate::shortened(message, MAX_MESSAGE_LEN);
    // Payload, URI or headers too large: the request itself is at fault, not Front's health.
    let message = if matches!(status, 413 | 414 | 431) {
        format!(
            "Front refused the request as too large ({message}); shorten its path, query or body"
        )
    } else {
        message
    };
    let shown = SHOWN_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some(((*name).to_owned(), json!(value)))
        })
        .collect();
    CallError::Front {
        message,
        error: ProviderError {
            status,
            url: url.split('?').next().unwrap_or(url).to_owned(),
            raw,
            headers: shown,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_resource_types_with_search_marked() {
        let catalog = Catalog::builtin();
        let route = |id| route_of(catalog.action(id).unwrap());
        assert_eq!(route("front_list_conversations"), "conversations");
        assert_eq!(route("front_get_conversation"), "conversations");
        assert_eq!(route("front_search_conversations"), SEARCH_ROUTE);
        assert_eq!(route("front_list_tags"), "tags");
    }

    #[test]
    fn headers_tell_the_budget_and_which_limit_a_429_hit() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-limit", "20".parse().unwrap());
        headers.insert("x-ratelimit-remaining", "3".parse().unwrap());
        headers.insert("x-ratelimit-reset", "1700000002".parse().unwrap());
        let seen = observe(200, &headers, 1, 2);
        assert_eq!(
            (seen.limit, seen.remaining, seen.reset),
            (Some(20), Some(3), Some(1_700_000_002))
        );
        headers.insert("retry-after", "2".parse().unwrap());
        let seen = observe(429, &headers, 1, 2);
        assert!(seen.throttled && seen.route_only);
        assert_eq!(seen.retry_after_ms, Some(2000));
        headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
        assert!(!observe(429, &headers, 1, 2).route_only);
        headers.insert("x-front-tier", "tier-2".parse().unwrap());
        assert!(observe(429, &headers, 1, 2).route_only);
    }
}
