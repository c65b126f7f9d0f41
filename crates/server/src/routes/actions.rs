//! `POST /actions/rpc` (run an action, StackOne's RPC), `GET /actions` (StackOne's "actions
//! meta" catalogue) and `POST /actions/search` (ranked text search).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actionhub_catalog::{
    Action, Catalog, Connector, FieldSelection, Hints, Method, ParamStyle, Shaping, search_actions,
    shape,
};
use actionhub_engine::JsonText;
use actionhub_store::ApprovalStatus;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use crate::AppState;
use crate::approvals::{self, HeldCall};
use crate::error::{ApiError, ErrorBody};
use crate::execution::{ActionRequest, ActionResponse, RunSource, run_action};
use crate::extract::{ApiJson, QueryParams, Tenant};

const ACCOUNT_HEADER: &str = "x-account-id";
const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Longest `Prefer: wait` for a held call's decision, in seconds.
const MAX_WAIT_SECS: u64 = 60;
const DEFAULT_PAGE_SIZE: u32 = 25;
const MAX_PAGE_SIZE: u32 = 100;
const DEFAULT_TOP_K: u32 = 5;

/// StackOne's RPC body. Other top-level keys go into `body`, as StackOne's Node SDK does with
/// a tool's unknown arguments.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(
    example = json!({
        "action": "front_list_conversations",
        "path": {},
        "query": {"limit": 25},
        "headers": {"x-account-id": "acc_4Zp0qL8sT2vX6nB1cR9e"},
        "body": {}
    })
)]
pub struct RpcBody {
    /// The action's id (`GET /actions` lists them).
    #[schema(example = "front_list_conversations")]
    action: String,
    /// Path parameters, e.g. `{"conversation_id": "cnv_123"}`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    path: Option<Value>,
    /// Query parameters; `next` continues a paginated answer.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    query: Option<Value>,
    /// `x-account-id` and `Idempotency-Key` may be given here instead of as headers.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    headers: Option<Map<String, Value>>,
    /// The request body of a write.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    body: Option<Value>,
    /// Keep only these dotted paths of each item (or of the object): a comma-separated list
    /// or an array, as the `fields` query parameter (both given: both kept).
    #[serde(default)]
    #[schema(value_type = Option<Object>, example = "id,subject,assignee.email,tags.name")]
    fields: Option<Value>,
    /// Other top-level keys: merged into `body` (as StackOne's Node SDK sends a tool's
    /// arguments); `defender_enabled` and `defender_config` are accepted and ignored.
    #[serde(flatten)]
    #[schema(ignore)]
    extra: Map<String, Value>,
}

/// StackOne's prompt-injection "defender" settings: accepted for compatibility, not applied.
const IGNORED_FIELDS: [&str; 2] = ["defender_enabled", "defender_config"];

/// Run an action
///
/// StackOne's RPC: runs one Front action for a linked account (`x-account-id`) and answers
/// Front's result as `data` (a list's items, an object, or null) with `next`, the cursor of the
/// next page. The input is checked against the action's schema first (every violation at
/// once). `?dry_run=true` answers the Front request that would be sent, without sending it.
/// An `Idempotency-Key` makes a retried write safe: the first answer is replayed for 24 h.
///
/// A call the policies hold for approval answers 202 with the approval (nothing is sent to
/// Front until a person approves it); with `Prefer: wait=N` the request waits up to N seconds
/// for the decision and, if the call was approved and ran meanwhile, answers as the call did.
/// A call a policy denies answers 403 naming the rule.
#[utoipa::path(
    post,
    path = "/actions/rpc",
    operation_id = "stackone_rpc_action",
    tag = "Actions",
    security(("api_key" = [])),
    params(
        ("x-account-id" = Option<String>, Header, description = "The linked account to run the action for (or `headers.x-account-id` in the body)", example = "acc_4Zp0qL8sT2vX6nB1cR9e"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried write safe: the same key and request replay the first answer"),
        ("dry_run" = Option<bool>, Query, description = "Answer the Front request that would be sent, without sending it, and what the policies decide (`policy`)"),
        ("fields" = Option<String>, Query, description = "Keep only these dotted paths of each item of a list (or of the object), comma-separated; arrays along a path are mapped (`tags.name`); unknown paths are absent. At most 50 paths of 200 characters", example = "id,subject,assignee.email,tags.name"),
        ("Prefer" = Option<String>, Header, description = "`wait=N` (1 to 60): for a call held for approval, wait up to N seconds for the decision and the call's answer", example = "wait=30"),
    ),
    request_body = RpcBody,
    responses(
        (status = 200, description = "Front's answer", body = inline(RpcResult)),
        (status = 202, description = "A policy holds the call until a person approves it: nothing was sent", body = HeldCall),
        (status = 400, description = "Invalid input: the message names every field at fault", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "The account may not run this action (`allowed_actions`), a policy denies it (the message names the rule), a person rejected it (`Prefer: wait`), or Front refused the token's scope", body = ErrorBody),
        (status = 404, description = "No such account or action, or Front found nothing at this id", body = ErrorBody),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = ErrorBody),
        (status = 412, description = "The account is in `error` (Front rejected its token): relink it", body = ErrorBody),
        (status = 422, description = "This `Idempotency-Key` was used for another request", body = ErrorBody),
        (status = 429, description = "Front's rate budget leaves no room before the call's deadline (`Retry-After`)", body = ErrorBody),
        (status = 502, description = "Front could not be reached or failed", body = ErrorBody),
        (status = "default", description = "Any other error; `provider_errors` carries Front's answer", body = ErrorBody),
    ),
)]
pub async fn rpc(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    headers: HeaderMap,
    query: QueryParams,
    ApiJson(rpc): ApiJson<RpcBody>,
) -> Result<Response, ApiError> {
    let wait = preferred_wait(&headers)?;
    let body_headers = rpc.headers.unwrap_or_default();
    let account_id = header_value(&headers, &body_headers, ACCOUNT_HEADER)?
        .ok_or_else(|| ApiError::BadRequest("Missing x-account-id header in request".to_owned()))?;
    let idempotency_key = header_value(&headers, &body_headers, IDEMPOTENCY_HEADER)?;
    let dry_run = match query.single("dry_run")? {
        None | Some("false") => false,
        Some("true" | "") => true,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`dry_run`: expected true or false".to_owned(),
            ));
        }
    };
    let fields = requested_fields(query.single("fields")?, rpc.fields.as_ref())?;
    let mut extra = rpc.extra;
    extra.retain(|key, _| !IGNORED_FIELDS.contains(&key.as_str()));
    let input = rpc_input(rpc.path, rpc.query, rpc.body, extra)?;
    let request = ActionRequest {
        project_id: &principal.project_id,
        account_id: &account_id,
        action_id: &rpc.action,
        style: ParamStyle::Nested,
        input,
        idempotency_key: idempotency_key.as_deref(),
        dry_run,
        source: RunSource::Rpc,
        api_key_id: Some(&principal.key_id),
    };
    let response = run_action(&state, request).await?;
    let response = match fields {
        // Without `fields`, Front's bytes go out untouched.
        None => response,
        Some(fields) => select_fields(response, &fields)?,
    };
    match (response, wait) {
        (ActionResponse::Held(held), Some(wait)) => {
            held_answer(&state, &principal.project_id, &held.approval.id, wait).await
        }
        (response, _) => Ok(response.into_response()),
    }
}

/// `Prefer: wait=N` (RFC 7240), other preferences ignored.
fn preferred_wait(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let refused = || {
        ApiError::BadRequest(format!(
            "`Prefer`: wait must be a whole number of seconds from 1 to {MAX_WAIT_SECS} (e.g. `Prefer: wait=30`)"
        ))
    };
    let mut wait = None;
    for value in headers.get_all(header::HeaderName::from_static("prefer")) {
        let value = value.to_str().map_err(|_| refused())?;
        for preference in value.split([',', ';']) {
            let Some((name, seconds)) = preference.trim().split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("wait") {
                let seconds: u64 = seconds
                    .trim()
                    .trim_matches('"')
                    .parse()
                    .map_err(|_| refused())?;
                if !(1..=MAX_WAIT_SECS).contains(&seconds) {
                    return Err(refused());
                }
                wait = Some(seconds);
            }
        }
    }
    Ok(wait)
}

/// A held call's answer after waiting up to `wait` seconds for its decision: the call's own
/// answer if it was approved and ran, 403 if it was rejected, otherwise the 202.
async fn held_answer(
    state: &AppState,
    project_id: &str,
    approval_id: &str,
    wait: u64,
) -> Result<Response, ApiError> {
    let approval =
        approvals::wait_for_outcome(state, project_id, approval_id, Duration::from_secs(wait))
            .await?;
    let mut response = match (approval.status, &approval.result) {
        (ApprovalStatus::Succeeded | ApprovalStatus::Failed, Some(result)) => {
            let mut response = Response::new(Body::from(result.body.clone()));
            *response.status_mut() =
                StatusCode::from_u16(result.status).unwrap_or(StatusCode::BAD_GATEWAY);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        (ApprovalStatus::Rejected, _) => ApiError::Forbidden(format!(
            "{} was rejected by {}{}",
            approval.action_id,
            approval.decided_by.as_deref().unwrap_or("a person"),
            approval
                .reason
                .as_deref()
                .map(|reason| format!(": {reason}"))
                .unwrap_or_default()
        ))
        .into_response(),
        _ => ActionResponse::Held(HeldCall::new(state, &approval)).into_response(),
    };
    if let Ok(applied) = HeaderValue::try_from(format!("wait={wait}")) {
        response.headers_mut().insert(
            header::HeaderName::from_static("preference-applied"),
            applied,
        );
    }
    Ok(response)
}

/// The selection of `fields` (query parameter, body field, or both), checked before anything
/// runs.
fn requested_fields(
    query: Option<&str>,
    body: Option<&Value>,
) -> Result<Option<FieldSelection>, ApiError> {
    let mut paths: Vec<&str> = query
        .map(|list| list.split(',').collect())
        .unwrap_or_default();
    match body {
        None | Some(Value::Null) => {}
        Some(Value::String(list)) => paths.extend(list.split(',')),
        Some(Value::Array(items)) => {
            for item in items {
                paths.push(item.as_str().ok_or_else(|| {
                    ApiError::BadRequest(
                        "`fields`: each entry must be a string (a dotted path)".to_owned(),
                    )
                })?);
            }
        }
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`fields`: must be a comma-separated string or an array of dotted paths".to_owned(),
            ));
        }
    }
    if query.is_none() && body.is_none_or(Value::is_null) {
        return Ok(None);
    }
    FieldSelection::parse(paths)
        .map(Some)
        .map_err(|reason| ApiError::BadRequest(format!("`fields`: {reason}")))
}

/// A JSON answer with only the selected fields; files and dry runs are answered whole.
fn select_fields(
    response: ActionResponse,
    fields: &FieldSelection,
) -> Result<ActionResponse, ApiError> {
    let ActionResponse::Data { data, next } = response else {
        return Ok(response);
    };
    let shaping = Shaping {
        fields: Some(fields),
        compact: false,
    };
    let selected = shape(data.as_bytes(), shaping)
        .and_then(|bytes| JsonText::parse(Bytes::from(bytes)))
        .map_err(|error| {
            tracing::error!(%error, "an answer could not be narrowed to its fields");
            ApiError::Internal
        })?;
    Ok(ActionResponse::Data {
        data: selected,
        next,
    })
}

/// The answer written around Front's bytes rather than re-encoding them: the page Front sent
/// goes out as it came, in one vectored write.
impl IntoResponse for ActionResponse {
    fn into_response(self) -> Response {
        let pieces = match self.json_pieces() {
            Ok(pieces) => pieces,
            Err(error) => {
                tracing::error!(%error, "an answer could not be written");
                return ApiError::Internal.into_response();
            }
        };
        let mut response = Response::new(Body::new(Pieces(pieces.into())));
        if matches!(self, ActionResponse::Held(_)) {
            *response.status_mut() = StatusCode::ACCEPTED;
        }
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// The answer's schema: written from [`ActionResponse::json_pieces`] (Front's bytes as they
/// came), not serialized from a type, so it is described here.
struct RpcResult;

impl utoipa::PartialSchema for RpcResult {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("StackOne's RPC answer"))
            .property(
                "data",
                ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
                    .description(Some(
                        "Front's answer: a list's items (an array), an object, or null (204). An action that returns a file (`returns: file`) answers `{filename, content_type, size, content_base64}`. A dry run answers the Front request: `method`, `url`, `headers`, `body`.",
                    )),
            )
            .required("data")
            .property(
                "next",
                ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                        Type::String,
                        Type::Null,
                    ]))
                    .description(Some(
                        "The cursor of the next page (send it back as `query.next`); null on the last page",
                    )),
            )
            .required("next")
            .examples([serde_json::json!({
                "data": [{"id": "cnv_55c8c149", "subject": "Order #1234", "status": "open"}],
                "next": "eyJ2IjoxLCJuIjoiaHR0cHM6Ly9hcGkyLmZyb250YXBwLmNvbS9jb252ZXJzYXRpb25zP3BhZ2VfdG9rZW49YWJjIn0"
            })])
            .into()
    }
}

impl ToSchema for RpcResult {}

/// A body sent as these pieces, in order, with its exact length announced.
struct Pieces(VecDeque<Bytes>);

impl http_body::Body for Pieces {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(
            self.get_mut()
                .0
                .pop_front()
                .map(|piece| Ok(Frame::data(piece))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.iter().map(|piece| piece.len() as u64).sum())
    }
}

/// A header from the HTTP request or, as StackOne's SDKs also send it, from the RPC body's
/// `headers` (any case). Both given and different is an error; `Authorization` in the body is
/// ignored (never forwarded anywhere).
fn header_value(
    http: &HeaderMap,
    body: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, ApiError> {
    let from_http = match http.get(name) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::BadRequest(format!("the {name} header is not valid text")))?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    let from_body = body
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| {
            value
                .as_str()
                .map(|text| text.trim().to_owned())
                .ok_or_else(|| ApiError::BadRequest(format!("`headers.{name}`: must be a string")))
        })
        .transpose()?;
    match (from_http, from_body) {
        (Some(a), Some(b)) if a != b => Err(ApiError::BadRequest(format!(
            "the {name} header and `headers.{name}` differ"
        ))),
        (a, b) => Ok(a.or(b).filter(|value| !value.is_empty())),
    }
}

/// The nested input of an RPC body: `{path, query, body}`, extra top-level keys merged into
/// `body`.
fn rpc_input(
    path: Option<Value>,
    query: Option<Value>,
    body: Option<Value>,
    extra: Map<String, Value>,
) -> Result<Value, ApiError> {
    let body = if extra.is_empty() {
        body
    } else {
        let mut merged = match body {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map,
            Some(_) => {
                return Err(ApiError::BadRequest(
                    "`body`: must be an object when other top-level fields are given".to_owned(),
                ));
            }
        };
        for (key, value) in extra {
            merged.entry(key).or_insert(value);
        }
        Some(Value::Object(merged))
    };
    let mut input = Map::new();
    for (location, value) in [("path", path), ("query", query), ("body", body)] {
        if let Some(value) = value {
            input.insert(location.to_owned(), value);
        }
    }
    Ok(Value::Object(input))
}

/// One item of `GET /actions`: a connector, the account it is for (with `filter[account_ids]`)
/// and the actions that account may run (`None`: all).
type MetaScope = (&'static Connector, Option<String>, Option<Vec<String>>);

/// StackOne's `ActionsMetaPaginated`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionsMetaPage {
    data: Vec<ConnectorMeta>,
    /// The cursor of the next page (send it back as `next`); null on the last page.
    next: Option<String>,
}

/// List actions (the catalogue)
///
/// StackOne's "actions meta": one item per connector (or per account with
/// `filter[account_ids]`, its actions narrowed to those the account may run), each with its
/// actions, scopes and, with `include=action_details`, each action's Front operation, risk
/// hints and input schema.
#[utoipa::path(
    get,
    path = "/actions",
    operation_id = "stackone_list_actions_meta",
    tag = "Actions",
    security(("api_key" = [])),
    params(
        ("filter[connectors]" = Option<String>, Query, description = "Only these connectors (comma-separated)", example = "front"),
        ("filter[account_ids]" = Option<String>, Query, description = "One item per account (comma-separated), with the actions it may run"),
        ("filter[action_key]" = Option<String>, Query, description = "Only this action", example = "front_list_conversations"),
        ("include" = Option<String>, Query, description = "`action_details`: each action's Front operation, hints and input schema"),
        ("exclude" = Option<String>, Query, description = "`actions`: leave the action lists out"),
        ("search" = Option<String>, Query, description = "Only actions matching this text, best first", example = "tag a conversation"),
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Items per page (default 25)"),
        ("next" = Option<String>, Query, description = "The cursor of the page to answer"),
    ),
    responses(
        (status = 200, description = "The catalogue", body = ActionsMetaPage),
        (status = 400, description = "A query parameter is invalid", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "An account of `filter[account_ids]` does not exist", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn meta(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    query: QueryParams,
) -> Result<Json<ActionsMetaPage>, ApiError> {
    let connectors = query.list("filter[connectors]");
    let account_ids = query.list("filter[account_ids]");
    let action_key = query.single("filter[action_key]")?;
    let includes = query.list("include");
    let details = includes.iter().any(|i| i == "action_details");
    let without_actions = query.list("exclude").iter().any(|e| e == "actions");
    let search = query
        .single("search")?
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let page_size = query.number("page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)? as usize;
    let offset = match query.single("next")? {
        Some(cursor) => decode_offset(cursor)?,
        None => 0,
    };
    // A crafted cursor may hold any number: the end of its page must still be one.
    let end = offset
        .checked_add(page_size)
        .ok_or_else(|| ApiError::BadRequest(NOT_OUR_CURSOR.to_owned()))?;
    let wanted =
        |connector: &Connector| connectors.is_empty() || connectors.contains(&connector.key);
    let mut scopes: Vec<MetaScope> = Vec::new();
    if account_ids.is_empty() {
        for connector in Catalog::builtin().connectors().iter().filter(|c| wanted(c)) {
            scopes.push((connector, None, None));
        }
    } else {
        for id in &account_ids {
            let account = state
                .store
                .account(&principal.project_id, id)
                .await
                .map_err(|error| ApiError::from_store(error, &format!("account {id}")))?;
            if let Some(connector) = Catalog::builtin().connector(&account.provider)
                && wanted(connector)
            {
                scopes.push((connector, Some(account.id), account.allowed_actions));
            }
        }
    }
    let items: Vec<ConnectorMeta> = scopes
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|(connector, account_id, allowed)| {
            let actions: Vec<&Action> = ranked(connector, search)
                .into_iter()
                .filter(|action| action_key.is_none_or(|key| action.id == key))
                .filter(|action| allowed.as_ref().is_none_or(|ids| ids.contains(&action.id)))
                .collect();
            connector_meta(
                connector,
                account_id.as_deref(),
                &actions,
                details,
                without_actions,
            )
        })
        .collect();
    let next = (end < scopes.len()).then(|| encode_offset(end));
    Ok(Json(ActionsMetaPage { data: items, next }))
}

/// A connector's actions, all in catalogue order, or those matching `search`, best first.
fn ranked<'c>(connector: &'c Connector, search: Option<&str>) -> Vec<&'c Action> {
    match search {
        None => connector.actions().iter().collect(),
        Some(query) => search_actions(connector, query)
            .into_iter()
            .map(|hit| hit.action)
            .collect(),
    }
}

/// StackOne's `ActionsMeta`: a connector (and, with `filter[account_ids]`, an account).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorMeta {
    #[schema(example = "front")]
    key: String,
    #[schema(example = "Front")]
    name: String,
    description: String,
    /// Always null: the icon is served at `/assets/{key}.svg`.
    #[schema(value_type = Option<String>)]
    icon: Option<()>,
    version: &'static str,
    #[schema(example = "ga")]
    release_stage: &'static str,
    #[schema(value_type = Vec<String>, example = json!(["ticketing"]))]
    categories: [&'static str; 1],
    authentication: Vec<AuthenticationMeta>,
    scope_definitions: Vec<ScopeDefinitionMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integration_id: Option<String>,
    /// Left out with `exclude=actions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    actions: Option<Vec<ActionMeta>>,
}

/// StackOne's `AuthenticationMetaItem`: how an account of the connector is linked.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthenticationMeta {
    #[schema(example = "custom")]
    key: &'static str,
    #[schema(example = "API token")]
    label: String,
    #[serde(rename = "type")]
    #[schema(example = "custom")]
    auth_type: &'static str,
    required_scopes: Vec<String>,
}

/// StackOne's `ScopeDefinitionMetaItem`: one of Front's token scopes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeDefinitionMeta {
    #[schema(example = "conversations:read")]
    name: String,
    description: String,
    /// Scopes this one includes: none among Front's.
    includes: Vec<String>,
}

/// StackOne's `ActionMetaItem`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionMeta {
    #[schema(example = "front_list_conversations")]
    id: String,
    #[schema(example = "List Conversations")]
    label: String,
    description: String,
    /// The Front token scopes the action needs.
    #[schema(example = json!(["conversations:read"]))]
    required_scopes: Vec<String>,
    /// The Front resource the action is about.
    #[schema(example = json!(["conversations"]))]
    tags: Vec<String>,
    #[schema(example = "native")]
    schema_type: &'static str,
    /// Always empty: every action uses the connector's authentication.
    authentication: Vec<AuthenticationMeta>,
    /// With `include=action_details`.
    #[serde(skip_serializing_if = "Option::is_none")]
    action_details: Option<ActionDetails>,
}

/// The Front operation behind an action, its risk hints and its input.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDetails {
    #[schema(value_type = String, example = "GET")]
    method: Method,
    #[schema(example = "/conversations/{conversation_id}")]
    path: String,
    /// `read_only`, `destructive`, `idempotent` (as MCP's tool annotations).
    #[schema(value_type = Object, example = json!({"read_only": true, "destructive": false, "idempotent": true}))]
    hints: Hints,
    /// Whether the action answers pages (`next`).
    paginated: bool,
    /// The JSON Schema of the RPC input in the nested style (`path`, `query`, `body`).
    #[schema(value_type = Object)]
    input_schema: Value,
}

/// StackOne's `ActionsMeta` for a connector (and an account).
fn connector_meta(
    connector: &Connector,
    account_id: Option<&str>,
    actions: &[&Action],
    details: bool,
    without_actions: bool,
) -> ConnectorMeta {
    ConnectorMeta {
        key: connector.key.clone(),
        name: connector.name.clone(),
        description: connector.description.clone(),
        icon: None,
        version: env!("CARGO_PKG_VERSION"),
        release_stage: "ga",
        categories: ["ticketing"],
        authentication: vec![AuthenticationMeta {
            key: "custom",
            label: connector.credential.label.clone(),
            auth_type: "custom",
            required_scopes: Vec::new(),
        }],
        scope_definitions: connector
            .scopes
            .iter()
            .map(|scope| ScopeDefinitionMeta {
                name: scope.name.clone(),
                description: scope.description.clone(),
                includes: Vec::new(),
            })
            .collect(),
        account_id: account_id.map(str::to_owned),
        integration_id: account_id.map(|_| connector.key.clone()),
        actions: (!without_actions).then(|| {
            actions
                .iter()
                .map(|action| action_meta(action, details))
                .collect()
        }),
    }
}

/// StackOne's `ActionMetaItem`, with `action_details` (the Front operation, hints and the input
/// schema) when asked for.
fn action_meta(action: &Action, details: bool) -> ActionMeta {
    let resource = action
        .path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    ActionMeta {
        id: action.id.clone(),
        label: action.label.clone(),
        description: action.description.clone(),
        required_scopes: action.scopes.clone(),
        tags: vec![resource.to_owned()],
        schema_type: "native",
        authentication: Vec::new(),
        action_details: details.then(|| ActionDetails {
            method: action.method,
            path: action.path.clone(),
            hints: action.hints,
            paginated: action.is_paginated(),
            input_schema: action.input_schema(ParamStyle::Nested).clone(),
        }),
    }
}

/// The refusal of a `next` this endpoint did not hand out.
const NOT_OUR_CURSOR: &str = "`next`: not a cursor from this endpoint";

fn encode_offset(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

fn decode_offset(cursor: &str) -> Result<usize, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("o:")?.parse().ok())
        .ok_or_else(|| ApiError::BadRequest(NOT_OUR_CURSOR.to_owned()))
}

/// `POST /actions/search` as StackOne's SDKs send it.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"query": "add a tag to a conversation", "top_k": 3, "connector": "front"}))]
pub struct SearchBody {
    /// What the caller wants to do, in words.
    query: String,
    /// At most this many results (default 5, at most 100).
    #[serde(default)]
    top_k: Option<u32>,
    /// Only this connector's actions.
    #[serde(default)]
    connector: Option<String>,
    /// Repeated in `project_filter`; the API key's project is searched.
    #[serde(default)]
    project_id: Option<String>,
    /// Only results scoring at least this, in `(0, 1]`.
    #[serde(default)]
    min_similarity: Option<f64>,
}

/// What StackOne's SDKs read from `POST /actions/search`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Best first.
    results: Vec<SearchHit>,
    total_count: usize,
    query: String,
    connector_filter: Option<String>,
    project_filter: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    #[schema(example = "front_add_conversation_tag")]
    id: String,
    #[schema(example = "front_add_conversation_tag")]
    action_name: String,
    #[schema(example = "front")]
    connector_key: String,
    #[schema(example = "Add Conversation Tag")]
    label: String,
    description: String,
    /// In `(0, 1]`, to three decimals.
    #[schema(example = 0.912)]
    similarity_score: f64,
}

/// Search actions
///
/// The actions best matching a natural-language query, ranked (BM25-style over ids, labels and
/// descriptions), scores in `(0, 1]`.
#[utoipa::path(
    post,
    path = "/actions/search",
    operation_id = "stackone_search_actions",
    tag = "Actions",
    security(("api_key" = [])),
    request_body = SearchBody,
    responses(
        (status = 200, description = "The best matching actions", body = SearchResults),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn search(
    Tenant(_principal): Tenant,
    ApiJson(body): ApiJson<SearchBody>,
) -> Result<Json<SearchResults>, ApiError> {
    let top_k = body.top_k.unwrap_or(DEFAULT_TOP_K).clamp(1, 100) as usize;
    let floor = body.min_similarity.unwrap_or(0.0);
    let results: Vec<SearchHit> = Catalog::builtin()
        .connectors()
        .iter()
        .filter(|c| body.connector.as_deref().is_none_or(|key| key == c.key))
        .flat_map(|connector| {
            search_actions(connector, &body.query)
                .into_iter()
                .map(move |hit| (connector, hit))
        })
        .filter(|(_, hit)| hit.score >= floor)
        .take(top_k)
        .map(|(connector, hit)| SearchHit {
            id: hit.action.id.clone(),
            action_name: hit.action.id.clone(),
            connector_key: connector.key.clone(),
            label: hit.action.label.clone(),
            description: hit.action.description.clone(),
            similarity_score: (hit.score * 1000.0).round() / 1000.0,
        })
        .collect();
    Ok(Json(SearchResults {
        total_count: results.len(),
        results,
        query: body.query,
        connector_filter: body.connector,
        project_filter: body.project_id,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn prefer_wait_is_read_among_other_preferences_and_bounded() {
        let wait_of = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append("prefer", HeaderValue::from_str(value).unwrap());
            }
            preferred_wait(&headers)
        };
        assert_eq!(wait_of(&[]).unwrap(), None);
        assert_eq!(wait_of(&["respond-async"]).unwrap(), None);
        assert_eq!(wait_of(&["wait=10"]).unwrap(), Some(10));
        assert_eq!(wait_of(&["respond-async, Wait=60"]).unwrap(), Some(60));
        assert_eq!(
            wait_of(&["handling=lenient", "wait=\"5\""]).unwrap(),
            Some(5)
        );
        for refused in ["wait=0", "wait=61", "wait=-1", "wait=soon", "wait="] {
            let error = wait_of(&[refused]).unwrap_err();
            assert!(error.to_string().contains("`Prefer`"), "{refused}: {error}");
        }
    }

    #[test]
    fn extra_top_level_keys_go_into_the_body() {
        let mut extra = Map::new();
        extra.insert("tag_ids".into(), json!(["tag_1"]));
        let input = rpc_input(Some(json!({"id": "x"})), None, Some(json!({})), extra).unwrap();
        assert_eq!(
            input,
            json!({"path": {"id": "x"}, "body": {"tag_ids": ["tag_1"]}})
        );
    }

    #[test]
    fn offsets_round_trip() {
        assert_eq!(decode_offset(&encode_offset(25)).unwrap(), 25);
        assert!(decode_offset("nonsense").is_err());
    }
}
