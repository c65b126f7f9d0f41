//! `/mcp`: MCP's streamable HTTP transport, stateless like StackOne's (every POST stands alone,
//! no `Mcp-Session-Id`, no GET stream).
//!
//! `rmcp`'s `StreamableHttpService` runs the JSON-RPC exchange, except for the plain
//! `tools/call`, which is answered here through the same handler without `rmcp`'s per-request
//! service (`DirectCall`: the hot path, measured in BENCHMARKS.md). Around it, this module does
//! what the SDK has no hook for:
//!
//! - authentication (HTTP Basic with an API key) and the account: `x-account-id` header, else
//!   the `x-account-id` or `account_id` query parameter; it must belong to the key's project.
//!   The resolved [`Target`] is put in the request's extensions, where the handler finds it.
//! - `param-style`, `tool-mode` and `toolset` from the query string.
//! - JSON or SSE per `Accept`: `rmcp` fixes that per service and refuses a request that does not
//!   accept both, so there are two services (JSON, SSE) and the choice is made here: SSE when
//!   the client prefers `text/event-stream` (higher q, or listed first at equal q), else JSON.
//!   The request then goes on with the `Accept` `rmcp` requires.
//! - the body must be one JSON-RPC message, not a batch: `rmcp` answers malformed JSON, and
//!   JSON that is no JSON-RPC message, with a plain-text 415; JSON-RPC wants a parse error
//!   (-32700) or an invalid request (-32600).
//! - StackOne's answer to a GET (405 with a JSON-RPC error body), and JSON-RPC error bodies
//!   for the refusals above.
//! - `rmcp`'s remaining refusals are plain text (a wrong `Content-Type`, a refused `Origin`, a
//!   header mismatch): they are rewritten as JSON-RPC error bodies with the same status.
//!
//! `rmcp` checks the rest: `Content-Type`, `MCP-Protocol-Version`, and a browser's `Origin`
//! (loopback or the hub's public URL only; `Host` is not restricted, since the hub is deployed
//! under names of its own and every request carries an API key).

use std::borrow::Cow;
use std::sync::Arc;

use actionhub_catalog::{ParamStyle, write_json_string};
use actionhub_store::StoreError;
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{ACCEPT, ALLOW, CONTENT_TYPE, ORIGIN, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    CallToolRequestMethod, CallToolRequestParams, CallToolResponse, CallToolResult,
    ClientJsonRpcMessage, JsonRpcVersion2_0, ProtocolVersion, RequestId, RequestMetaObject,
    ServerJsonRpcMessage, ServerResult,
};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::{UtoipaMethodRouter, UtoipaMethodRouterExt as _};
use utoipa_axum::routes;

use super::handler::{McpHandler, TYPED_METHODS};
use super::{McpOptions, Target, ToolMode};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{QueryParams, Tenant, unreadable_body};

/// The header that names the linked account, and its query-parameter spellings.
const ACCOUNT_HEADER: &str = "x-account-id";
const ACCOUNT_QUERY: [&str; 2] = ["x-account-id", "account_id"];

/// JSON-RPC's "server error" code, which StackOne uses for transport-level refusals.
const SERVER_ERROR: i64 = -32000;
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
/// The longest plain-text refusal of `rmcp` quoted in a JSON-RPC error (its texts are fixed
/// sentences; anything longer is cut rather than echoed).
const MAX_REFUSAL_CHARS: usize = 200;
/// The longest string id of a refused request that its error answer repeats (else `null`).
const MAX_ID_BYTES: usize = 256;
/// The header naming the client's MCP revision.
const PROTOCOL_VERSION_HEADER: &str = "mcp-protocol-version";
/// Where `_meta` carries per-request protocol negotiation (a revision, client info, …).
const NEGOTIATION_META_PREFIX: &str = "io.modelcontextprotocol/";
/// Largest request body (as `rmcp`'s default): tool arguments are small.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The `/mcp` route: POST runs MCP, every other method gets StackOne's 405.
pub fn route(state: &AppState) -> UtoipaMethodRouter<AppState> {
    let services = Arc::new(Services::new(state));
    routes!(message).map(|route| route.fallback(only_post).layer(Extension(services)))
}

/// MCP over streamable HTTP
///
/// One JSON-RPC 2.0 message per POST (`initialize`, `tools/list`, `tools/call`, …), stateless:
/// every request is authenticated and resolved on its own. The tools are the account's core
/// actions and its `toolset` (`tool-mode=individual`; a restricted account's allowed actions)
/// or a search and an execute tool (`search_execute`). The answer is JSON or, when the client
/// prefers `text/event-stream`, one SSE event. Refusals are JSON-RPC error bodies
/// (`{"jsonrpc": "2.0", "id", "error": {"code", "message"}}`).
#[utoipa::path(
    post,
    path = "/mcp",
    operation_id = "mcp",
    tag = "MCP",
    security(("api_key" = [])),
    params(
        ("x-account-id" = Option<String>, Header, description = "The linked account whose actions are the tools (or the `x-account-id` / `account_id` query parameter)", example = "acc_4Zp0qL8sT2vX6nB1cR9e"),
        ("x-account-id" = Option<String>, Query, description = "The account, if not in the header"),
        ("account_id" = Option<String>, Query, description = "The account, if in neither"),
        ("param-style" = inline(Option<ParamStyleName>), Query, description = "Tool input style: `nested` (default), `flat_prefixed` or `flat_smart`"),
        ("tool-mode" = inline(Option<ToolModeName>), Query, description = "`individual` (default: one tool per listed action) or `search_execute`"),
        ("toolset" = Option<String>, Query, description = "In `individual` mode, the actions listed besides the core ones: `all`, or a comma-separated list of groups and action ids (an account restricted to chosen actions always lists exactly those)", example = "knowledge_bases,front_reply_to_conversation"),
    ),
    request_body(
        content = Object,
        description = "One JSON-RPC 2.0 message",
        example = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}),
    ),
    responses(
        (status = 200, description = "The JSON-RPC answer", content(
            (Object = "application/json"),
            (String = "text/event-stream"),
        )),
        (status = 202, description = "A notification or response, accepted"),
        (status = "default", description = "A JSON-RPC error body with the HTTP status of the refusal (400, 401, 404, 405, 406, 413, 415)", body = Object, content_type = "application/json"),
    ),
)]
async fn message(
    State(state): State<AppState>,
    Extension(services): Extension<Arc<Services>>,
    request: Request,
) -> Response {
    services.handle(state, request).await
}

/// `param-style`'s values in the document: exactly the names its parser accepts.
struct ParamStyleName;

impl PartialSchema for ParamStyleName {
    fn schema() -> RefOr<Schema> {
        one_of_names(ParamStyle::ALL.map(ParamStyle::as_str))
    }
}

impl ToSchema for ParamStyleName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ParamStyle")
    }
}

/// `tool-mode`'s values in the document: exactly the names its parser accepts.
struct ToolModeName;

impl PartialSchema for ToolModeName {
    fn schema() -> RefOr<Schema> {
        one_of_names(ToolMode::ALL.map(ToolMode::as_str))
    }
}

impl ToSchema for ToolModeName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ToolMode")
    }
}

fn one_of_names<const N: usize>(names: [&'static str; N]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .into()
}

type Service = StreamableHttpService<McpHandler, NeverSessionManager>;

/// One `rmcp` service per response format.
struct Services {
    json: Service,
    sse: Service,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Sse,
}

impl Services {
    fn new(state: &AppState) -> Services {
        let service = |json_response: bool| {
            let state = state.clone();
            let config = StreamableHttpServerConfig::default()
                .with_legacy_session_mode(false)
                .with_json_response(json_response)
                // Any Host: the hub runs behind whatever name it is deployed under, and every
                // request carries an API key, which a rebinding page cannot have.
                .disable_allowed_hosts()
                // Browsers send Origin: only the hub's own pages and local tools may call.
                .with_allowed_origins(allowed_origins(&state.public_url));
            StreamableHttpService::new(
                move || Ok(McpHandler::per_request(state.clone())),
                Arc::new(NeverSessionManager::default()),
                config,
            )
        };
        Services {
            json: service(true),
            sse: service(false),
        }
    }

    async fn handle(&self, state: AppState, request: Request) -> Response {
        let (mut parts, body) = request.into_parts();
        let Some(format) = negotiate(&parts.headers) else {
            return rpc_error(
                StatusCode::NOT_ACCEPTABLE,
                "Not Acceptable: the Accept header must allow application/json or text/event-stream",
            );
        };
        let target = match resolve(&state, &mut parts).await {
            Ok(target) => target,
            Err(error) => return api_error(&error),
        };
        let bytes = match read_body(body).await {
            Ok(bytes) => bytes,
            Err(refusal) => return refusal,
        };
        if let Some(call) = DirectCall::read(format, &parts.headers, &bytes) {
            return call.answer(state, &target, &parts.headers).await;
        }
        if let Some(refusal) = refused_message(&bytes) {
            return refusal;
        }
        parts.extensions.insert(Arc::new(target));
        parts.headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
        let service = match format {
            Format::Json => &self.json,
            Format::Sse => &self.sse,
        };
        let response = service
            .handle(Request::from_parts(parts, Body::from(bytes)))
            .await
            .map(Body::new);
        json_rpc_refusal(response).await
    }
}

/// A `tools/call` the hub answers itself. `rmcp`'s stateless service builds a peer, channels
/// and a task for every request and reads the message through an enum that buffers it: on the
/// hot path, a good part of what `tools/call` cost over `/actions/rpc` (BENCHMARKS.md,
/// ARCHITECTURE.md). The call runs through the same
/// [`McpHandler::answer_call`] either way; only the plain case is taken here (a JSON answer, no
/// browser `Origin`, a JSON `Content-Type`, no protocol revision that wants per-request
/// negotiation or standard headers), so every check `rmcp` makes on the others still applies.
struct DirectCall {
    id: RequestId,
    params: CallToolRequestParams,
    meta: RequestMetaObject,
}

/// A `tools/call` request, read with `rmcp`'s types for its parts but not through its message
/// enum, which buffers every message to try each kind in turn (about a tenth of a call's CPU).
#[derive(Deserialize)]
struct ToolCallMessage {
    #[serde(rename = "jsonrpc")]
    _version: JsonRpcVersion2_0,
    id: RequestId,
    #[serde(rename = "method")]
    _method: CallToolRequestMethod,
    params: CallToolRequestParams,
}

impl DirectCall {
    /// The call in `body`, when it is one answered here.
    fn read(format: Format, headers: &HeaderMap, body: &[u8]) -> Option<DirectCall> {
        if format != Format::Json
            || headers.contains_key(ORIGIN)
            || !has_json_content_type(headers)
            || !has_plain_protocol_version(headers)
        {
            return None;
        }
        let ToolCallMessage { id, mut params, .. } = serde_json::from_slice(body).ok()?;
        let meta = params.meta.take().unwrap_or_default();
        if meta
            .keys()
            .any(|key| key.starts_with(NEGOTIATION_META_PREFIX))
        {
            return None;
        }
        Some(DirectCall { id, params, meta })
    }

    async fn answer(self, state: AppState, target: &Target, headers: &HeaderMap) -> Response {
        let result = McpHandler::per_request(state)
            .answer_call(target, self.params, &self.meta, Some(headers), None)
            .await;
        if let Some(body) = text_answer(&self.id, &result) {
            return ([(CONTENT_TYPE, "application/json")], body).into_response();
        }
        let mut result = ServerResult::from(CallToolResponse::from(result));
        // Only revisions before 2026-07-28 come this way: their results keep the older shape,
        // as `rmcp`'s handler gives it to them.
        result.strip_result_type_for_legacy_peer();
        result.strip_non_object_output_for_legacy_peer();
        let message = ServerJsonRpcMessage::response(result, self.id);
        match serde_json::to_vec(&message) {
            Ok(body) => ([(CONTENT_TYPE, "application/json")], body).into_response(),
            Err(error) => {
                tracing::error!(%error, "cannot serialise a tools/call answer");
                rpc_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

/// The JSON-RPC answer to a call whose result is text blocks alone (every answer but files and
/// search results), in the shape `rmcp` gives older revisions (no `resultType`), with the text
/// written by [`write_json_string`]: the text holds Front's whole answer as a string, and
/// serde_json's escaping of it was most of what the full view cost over `/actions/rpc`.
/// `None` for any other result, which serde writes. A test holds both to the same answers.
fn text_answer(id: &RequestId, result: &CallToolResult) -> Option<Vec<u8>> {
    let complete = result
        .result_type
        .as_ref()
        .is_none_or(|result_type| result_type.is_complete());
    if !complete || result.structured_content.is_some() || result.meta.is_some() {
        return None;
    }
    let texts = result
        .content
        .iter()
        .map(|block| {
            block
                .as_text()
                .filter(|text| text.meta.is_none() && text.annotations.is_none())
                .map(|text| text.text.as_str())
        })
        .collect::<Option<Vec<&str>>>()?;
    let text_bytes: usize = texts.iter().map(|text| text.len()).sum();
    let mut body = Vec::with_capacity(text_bytes + text_bytes / 4 + 128);
    body.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    serde_json::to_writer(&mut body, id).ok()?;
    body.extend_from_slice(b",\"result\":{\"content\":[");
    for (index, text) in texts.iter().enumerate() {
        if index > 0 {
            body.push(b',');
        }
        body.extend_from_slice(b"{\"type\":\"text\",\"text\":");
        write_json_string(&mut body, text);
        body.push(b'}');
    }
    body.push(b']');
    if let Some(is_error) = result.is_error {
        body.extend_from_slice(if is_error {
            b",\"isError\":true"
        } else {
            b",\"isError\":false"
        });
    }
    body.extend_from_slice(b"}}");
    Some(body)
}

/// `Content-Type` is JSON (what `rmcp` requires of a POST).
fn has_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            let essence = value.split(';').next().unwrap_or_default();
            essence.trim().eq_ignore_ascii_case("application/json")
        })
}

/// No `MCP-Protocol-Version`, or a known revision older than the one that brought standard
/// headers (whose checks `rmcp` makes).
fn has_plain_protocol_version(headers: &HeaderMap) -> bool {
    match headers.get(PROTOCOL_VERSION_HEADER) {
        None => true,
        Some(value) => value.to_str().is_ok_and(|version| {
            version < ProtocolVersion::STANDARD_HEADERS.as_str()
                && ProtocolVersion::KNOWN_VERSIONS
                    .iter()
                    .any(|known| known.as_str() == version)
        }),
    }
}

/// `rmcp`'s own refusals come as plain text: the same status with a JSON-RPC error body that
/// carries `rmcp`'s sentence.
async fn json_rpc_refusal(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 4 * MAX_REFUSAL_CHARS)
        .await
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .map(|text| {
            text.trim()
                .chars()
                .take(MAX_REFUSAL_CHARS)
                .collect::<String>()
        })
        .filter(|text| !text.is_empty());
    let message = text.unwrap_or_else(|| ApiError::for_status(status).to_string());
    refusal(status, &message)
}

/// The request body, at most [`MAX_BODY_BYTES`].
async fn read_body(body: Body) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|error| match unreadable_body(&error) {
            stalled @ ApiError::Refused { .. } => refusal(stalled.status(), &stalled.to_string()),
            _ => rpc_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is too large or could not be read",
            ),
        })
}

/// The refusal of a `body` that is not one JSON-RPC message `rmcp` reads (`None` when it is
/// one). `rmcp` would answer malformed JSON and other JSON with a plain-text 415, where
/// JSON-RPC says "parse error" or "invalid request", so the refusal is made here, with the
/// request's id where it has one.
fn refused_message(body: &[u8]) -> Option<Response> {
    serde_json::from_slice::<ClientJsonRpcMessage>(body)
        .is_err()
        .then(|| message_refusal(body))
}

/// Why a body is no JSON-RPC message `rmcp` reads, as JSON-RPC's error.
fn message_refusal(bytes: &[u8]) -> Response {
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(error) => {
            return rpc_error_code(
                StatusCode::BAD_REQUEST,
                PARSE_ERROR,
                &format!("Parse error: {error}"),
            );
        }
    };
    if value.is_array() {
        return rpc_error_code(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            "JSON-RPC batches are not supported: send one message per request",
        );
    }
    // Kept for the answer: a request's id, if it is one JSON-RPC allows and short enough to
    // send back.
    let id = value
        .get("id")
        .filter(|id| id.is_number() || id.as_str().is_some_and(|id| id.len() <= MAX_ID_BYTES))
        .cloned()
        .unwrap_or(Value::Null);
    let method = value
        .get("method")
        .and_then(Value::as_str)
        .map(|method| actionhub_catalog::echo(method).into_owned());
    // JSON-RPC 2.0's envelope: its version, and an id (when there is one) that is a string, a
    // number or null. Anything else is an invalid request, whatever its method and params.
    let is_json_rpc = value.get("jsonrpc").and_then(Value::as_str) == Some("2.0")
        && value
            .get("id")
            .is_none_or(|id| id.is_string() || id.is_number() || id.is_null());
    match method {
        Some(method) if is_json_rpc && TYPED_METHODS.contains(&method.as_str()) => {
            rpc_error_with_id(
                StatusCode::BAD_REQUEST,
                INVALID_PARAMS,
                &format!(
                    "Invalid params: `params` of `{method}` do not have the shape MCP defines for it"
                ),
                id,
            )
        }
        Some(method) if is_json_rpc => rpc_error_with_id(
            StatusCode::NOT_FOUND,
            METHOD_NOT_FOUND,
            &format!("Method not found: `{method}`"),
            id,
        ),
        _ => rpc_error_with_id(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            "Invalid Request: send one JSON-RPC 2.0 message (`jsonrpc`: \"2.0\", a string `method`, an `id` for requests)",
            id,
        ),
    }
}

/// Loopback origins on any port, and the hub's own.
fn allowed_origins(public_url: &str) -> Vec<String> {
    let mut origins: Vec<String> = ["http", "https"]
        .iter()
        .flat_map(|scheme| {
            ["localhost", "127.0.0.1", "[::1]"]
                .iter()
                .map(move |host| format!("{scheme}://{host}:*"))
        })
        .collect();
    if let Some((scheme, rest)) = public_url.split_once("://") {
        let authority = rest.split('/').next().unwrap_or_default();
        let has_port = authority
            .rsplit_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
        let default_port = match scheme {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        };
        match (authority.is_empty(), has_port, default_port) {
            (true, _, _) => {}
            (false, true, _) => origins.push(format!("{scheme}://{authority}")),
            // rmcp reads a port-less entry as any port (deprecated): name the default one.
            (false, false, Some(port)) => origins.push(format!("{scheme}://{authority}:{port}")),
            (false, false, None) => {}
        }
    }
    origins
}

/// Who is calling, for which account, and in which shape.
async fn resolve(state: &AppState, parts: &mut Parts) -> Result<Target, ApiError> {
    let Tenant(principal) = Tenant::from_request_parts(parts, state).await?;
    let query = QueryParams::from_request_parts(parts, state).await?;
    let account_id = parts
        .headers
        .get(ACCOUNT_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let account_id = match account_id {
        Some(id) => id,
        None => {
            let mut found = None;
            for key in ACCOUNT_QUERY {
                if let Some(id) = query
                    .single(key)?
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                {
                    found = Some(id.to_owned());
                    break;
                }
            }
            found.ok_or_else(|| {
                ApiError::BadRequest(
                    "`x-account-id` is required: send the linked account's id in the x-account-id header (or the x-account-id or account_id query parameter)".to_owned(),
                )
            })?
        }
    };
    let mut options = McpOptions::default();
    if let Some(style) = query.single("param-style")? {
        options.style = style
            .parse()
            .map_err(|message| ApiError::BadRequest(format!("`param-style`: {message}")))?;
    }
    if let Some(mode) = query.single("tool-mode")? {
        options.mode = mode
            .parse()
            .map_err(|message| ApiError::BadRequest(format!("`tool-mode`: {message}")))?;
    }
    if let Some(toolset) = query.single("toolset")? {
        options.toolset = toolset
            .parse()
            .map_err(|message| ApiError::BadRequest(format!("`toolset`: {message}")))?;
    }
    let account = state
        .store
        .account_for_calls(&principal.project_id, &account_id)
        .await
        .map_err(|error| match error {
            StoreError::NotFound => ApiError::NotFound(format!(
                "`x-account-id`: this API key's project has no account {}",
                actionhub_catalog::echo(&account_id)
            )),
            other => ApiError::from(other),
        })?;
    Ok(Target {
        project_id: principal.project_id,
        account,
        options,
        api_key_id: Some(principal.key_id),
    })
}

/// The response format `Accept` asks for; `None` when it allows neither. No `Accept` at all
/// accepts anything (JSON).
fn negotiate(headers: &HeaderMap) -> Option<Format> {
    let values: Vec<&str> = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    if values.is_empty() {
        return Some(Format::Json);
    }
    // (quality, position, specificity) of the best range matching each format.
    let mut json: Option<(f32, usize, u8)> = None;
    let mut sse: Option<(f32, usize, u8)> = None;
    for (position, range) in values.iter().flat_map(|v| v.split(',')).enumerate() {
        let mut pieces = range.split(';');
        let media = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let quality = pieces
            .filter_map(|param| param.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, q)| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let consider = |slot: &mut Option<(f32, usize, u8)>, exact: &str, group: &str| {
            let specificity = if media == exact {
                3
            } else if media == group {
                2
            } else if media == "*/*" {
                1
            } else {
                return;
            };
            // The most specific matching range decides the quality (RFC 9110 §12.5.1).
            if slot.is_none_or(|(_, _, s)| specificity > s) {
                *slot = Some((quality, position, specificity));
            }
        };
        consider(&mut json, "application/json", "application/*");
        consider(&mut sse, "text/event-stream", "text/*");
    }
    let json = json.filter(|(q, _, _)| *q > 0.0);
    let sse = sse.filter(|(q, _, _)| *q > 0.0);
    match (json, sse) {
        (None, None) => None,
        (Some(_), None) => Some(Format::Json),
        (None, Some(_)) => Some(Format::Sse),
        (Some((jq, jp, _)), Some((sq, sp, _))) => {
            if sq > jq || (sq == jq && sp < jp) {
                Some(Format::Sse)
            } else {
                Some(Format::Json)
            }
        }
    }
}

/// A transport-level refusal with `status`, as a JSON-RPC error body (the hub-wide error layer
/// uses it for `/mcp`).
pub(crate) fn refusal(status: StatusCode, message: &str) -> Response {
    let code = if status == StatusCode::BAD_REQUEST || status == StatusCode::UNSUPPORTED_MEDIA_TYPE
    {
        INVALID_REQUEST
    } else {
        SERVER_ERROR
    };
    rpc_error_code(status, code, message)
}

/// A JSON-RPC error body with no id (the request was not read), as StackOne answers.
fn rpc_error(status: StatusCode, message: &str) -> Response {
    rpc_error_code(status, SERVER_ERROR, message)
}

fn rpc_error_code(status: StatusCode, code: i64, message: &str) -> Response {
    rpc_error_with_id(status, code, message, Value::Null)
}

/// A JSON-RPC error body answering the request with `id`.
fn rpc_error_with_id(status: StatusCode, code: i64, message: &str, id: Value) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "error": { "code": code, "message": message },
        "id": id,
    });
    (status, axum::Json(body)).into_response()
}

/// An [`ApiError`] met before MCP starts, as a JSON-RPC error with the error's HTTP status.
fn api_error(error: &ApiError) -> Response {
    let mut response = rpc_error(error.status(), &error.to_string());
    if matches!(error, ApiError::Unauthorized(_)) {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"actionhub\""),
        );
    }
    response
}

/// Every method but POST: StackOne's exact answer.
async fn only_post() -> Response {
    let mut response = rpc_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "Only POST is supported for stateless MCP.",
    );
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("POST"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(values: &[&str]) -> Option<Format> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(ACCEPT, HeaderValue::from_str(value).unwrap());
        }
        negotiate(&headers)
    }

    #[test]
    fn the_format_follows_the_clients_preference() {
        assert_eq!(accept(&[]), Some(Format::Json));
        assert_eq!(
            accept(&["application/json, text/event-stream"]),
            Some(Format::Json)
        );
        assert_eq!(
            accept(&["text/event-stream, application/json"]),
            Some(Format::Sse)
        );
        assert_eq!(accept(&["text/event-stream"]), Some(Format::Sse));
        assert_eq!(accept(&["text/*"]), Some(Format::Sse));
        assert_eq!(accept(&["*/*"]), Some(Format::Json));
        assert_eq!(
            accept(&["application/json;q=0.5, text/event-stream"]),
            Some(Format::Sse)
        );
        assert_eq!(
            accept(&["text/event-stream;q=0.1", "application/json"]),
            Some(Format::Json)
        );
        // The most specific range decides: JSON is refused even though */* would allow it.
        assert_eq!(accept(&["application/json;q=0, */*"]), Some(Format::Sse));
        assert_eq!(accept(&["text/html"]), None);
        assert_eq!(accept(&["application/json;q=0"]), None);
    }

    #[test]
    fn origins_are_loopback_and_the_hubs_own_with_explicit_ports() {
        let origins = allowed_origins("https://hub.example.com/base");
        assert!(origins.contains(&"https://hub.example.com:443".to_owned()));
        assert!(origins.contains(&"http://localhost:*".to_owned()));
        assert!(origins.contains(&"http://[::1]:*".to_owned()));
        let origins = allowed_origins("http://10.0.0.5:8080");
        assert!(origins.contains(&"http://10.0.0.5:8080".to_owned()));
        assert_eq!(allowed_origins("not a url").len(), 6);
    }
}
