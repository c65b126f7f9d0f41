//! The MCP server proper: an `rmcp` [`ServerHandler`] answering `initialize`, `tools/list` and
//! `tools/call` for a [`Target`], and the stdio transport.
//!
//! Over HTTP the target was resolved by [`super::http`] and travels in the request's extensions;
//! over stdio it is fixed at start-up and its account re-read for every request.

use std::sync::Arc;

use actionhub_catalog::{Action, Connector, FieldSelection, Shaping, View, shape};
use actionhub_engine::FileAnswer;
use actionhub_store::{Decision, Policies, StoreError};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rmcp::model::{
    CallToolRequestMethod, CallToolRequestParams, CallToolResponse, CallToolResult,
    CompleteRequestMethod, ConstString, ContentBlock, CustomRequest, CustomResult, ErrorCode,
    ErrorData, GetPromptRequestMethod, Implementation, InitializeRequestParams, InitializeResult,
    InitializeResultMethod, JsonObject, ListPromptsRequestMethod, ListResourcesRequestMethod,
    ListToolsRequestMethod, ListToolsResult, PaginatedRequestParams, PingRequestMethod,
    ReadResourceRequestMethod, RequestMetaObject, ResourceContents, ServerCapabilities,
    ServerConfig, SetLevelRequestMethod,
};
use rmcp::service::{Peer, RequestContext, RoleServer};
use rmcp::{ServerHandler, ServiceExt};
use serde_json::{Value, json};

use super::tools::{self, Called, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT};
use super::{McpOptions, Target, approval};
use crate::AppState;
use crate::approvals;
use crate::error::ApiError;
use crate::execution::{ActionRequest, ActionResponse, RunSource, run_action};

/// The HTTP header, and the `_meta` key of a `tools/call`, that carry an idempotency key.
const IDEMPOTENCY_HEADER: &str = "idempotency-key";
const IDEMPOTENCY_META: &str = "idempotency_key";

/// MCP methods `rmcp` reads into typed requests. One of them arriving as a custom request, or
/// not read at all, means its `params` did not have the method's shape: invalid params
/// (-32602), where `rmcp` would answer "method not found" or a plain-text 415.
pub(super) const TYPED_METHODS: [&str; 10] = [
    InitializeResultMethod::VALUE,
    PingRequestMethod::VALUE,
    ListToolsRequestMethod::VALUE,
    CallToolRequestMethod::VALUE,
    ListResourcesRequestMethod::VALUE,
    ReadResourceRequestMethod::VALUE,
    ListPromptsRequestMethod::VALUE,
    GetPromptRequestMethod::VALUE,
    CompleteRequestMethod::VALUE,
    SetLevelRequestMethod::VALUE,
];

/// Serves MCP for one target: fixed (stdio), or taken from each request (HTTP).
#[derive(Debug, Clone)]
pub struct McpHandler {
    state: AppState,
    fixed: Option<Arc<Fixed>>,
}

/// The stdio target: the account is re-read for every request.
#[derive(Debug)]
struct Fixed {
    project_id: String,
    account_id: String,
    options: McpOptions,
}

impl McpHandler {
    /// A handler whose target comes with each HTTP request.
    pub(super) fn per_request(state: AppState) -> McpHandler {
        McpHandler { state, fixed: None }
    }

    async fn target(&self, context: &RequestContext<RoleServer>) -> Result<Arc<Target>, ErrorData> {
        match &self.fixed {
            Some(fixed) => {
                let account = self
                    .state
                    .store
                    .account(&fixed.project_id, &fixed.account_id)
                    .await
                    .map_err(|error| match error {
                        StoreError::NotFound => ErrorData::invalid_request(
                            format!("account {} no longer exists", fixed.account_id),
                            None,
                        ),
                        other => {
                            tracing::error!(error = %other, "store failure");
                            ErrorData::internal_error("internal error", None)
                        }
                    })?;
                Ok(Arc::new(Target {
                    project_id: fixed.project_id.clone(),
                    account: Arc::new(account),
                    options: fixed.options.clone(),
                    api_key_id: None,
                }))
            }
            None => context
                .extensions
                .get::<Parts>()
                .and_then(|parts| parts.extensions.get::<Arc<Target>>())
                .cloned()
                .ok_or_else(|| {
                    tracing::error!("MCP request without a resolved target");
                    ErrorData::internal_error("internal error", None)
                }),
        }
    }

    async fn call(
        &self,
        target: &Target,
        name: &str,
        arguments: Value,
        call: &CallContext<'_>,
    ) -> CallToolResult {
        match tools::resolve(target, name) {
            Err(message) => tool_error(message),
            Ok(Called::Action(action)) => self.run(target, action, arguments, call, "").await,
            Ok(Called::Search(connector)) => match self.policies(target).await {
                Ok(policies) => search(target, connector, &arguments, &policies),
                Err(error) => tool_error(format!("{}: {error}", tools::search_name(connector))),
            },
            Ok(Called::Execute(connector)) => {
                let (action, arguments) = match execute_arguments(target, connector, arguments) {
                    Ok(parsed) => parsed,
                    Err(message) => return tool_error(message),
                };
                self.run(target, action, arguments, call, "arguments").await
            }
            Ok(Called::GetApproval(connector)) => {
                approval::get(&self.state, target, connector, arguments).await
            }
        }
    }

    /// A `tools/call`: its idempotency key is `_meta.idempotency_key`, else the HTTP
    /// `Idempotency-Key` header.
    pub(super) async fn answer_call(
        &self,
        target: &Target,
        request: CallToolRequestParams,
        meta: &RequestMetaObject,
        headers: Option<&HeaderMap>,
        asker: Option<&Peer<RoleServer>>,
    ) -> CallToolResult {
        let from_meta = meta.get(IDEMPOTENCY_META).and_then(Value::as_str);
        let from_header = || {
            headers
                .and_then(|headers| headers.get(IDEMPOTENCY_HEADER))
                .and_then(|value| value.to_str().ok())
        };
        let call = CallContext {
            idempotency_key: from_meta.or_else(from_header),
            asker,
        };
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        self.call(target, &request.name, arguments, &call).await
    }

    /// The policies deciding the target account's calls.
    async fn policies(&self, target: &Target) -> Result<Arc<Policies>, ApiError> {
        Ok(self
            .state
            .store
            .policies(&target.project_id, Some(&target.account.id))
            .await?)
    }

    /// Runs an action through the engine, exactly as `/actions/rpc` does. `under` names where
    /// the action's input sits in the tool's arguments (for messages).
    async fn run(
        &self,
        target: &Target,
        action: &Action,
        mut input: Value,
        call: &CallContext<'_>,
        under: &str,
    ) -> CallToolResult {
        let presentation = match Presentation::take(&mut input) {
            Ok(presentation) => presentation,
            Err(message) => return tool_error(format!("{}: {message}", action.id)),
        };
        let request = ActionRequest {
            project_id: &target.project_id,
            account_id: &target.account.id,
            action_id: &action.id,
            style: target.options.style,
            input,
            idempotency_key: call.idempotency_key,
            dry_run: false,
            source: RunSource::Mcp,
            api_key_id: target.api_key_id.as_deref(),
        };
        match run_action(&self.state, request).await {
            Ok(ActionResponse::File(file)) => file_result(action, &file),
            Ok(ActionResponse::Held(held)) => {
                let asked = match call.asker {
                    Some(peer) => {
                        approval::ask(&self.state, peer, target, action, &held, &presentation).await
                    }
                    None => None,
                };
                match (asked, tools::connector(target)) {
                    (Some(answered), _) => answered,
                    (None, Some(connector)) => approval::pending_result(connector, action, &held),
                    (None, None) => tool_error(format!("{}: internal error", action.id)),
                }
            }
            Ok(response) => {
                data_result(target, action, &response, &presentation).unwrap_or_else(|error| {
                    tracing::error!(%error, "cannot serialise an action response");
                    tool_error(format!("{}: internal error", action.id))
                })
            }
            Err(error) => engine_error(target, &error, under),
        }
    }
}

/// What a tool call brings besides its name and arguments.
pub(super) struct CallContext<'a> {
    idempotency_key: Option<&'a str>,
    /// Who can be asked to approve a held call.
    asker: Option<&'a Peer<RoleServer>>,
}

/// How much of an answer a call wants: `_view` and `_fields`.
#[derive(Debug, Default)]
pub(super) struct Presentation {
    full: bool,
    fields: Option<FieldSelection>,
}

impl Presentation {
    /// Takes `_view` and `_fields` out of a tool's arguments (the rest is the action's input).
    pub(super) fn take(arguments: &mut Value) -> Result<Presentation, String> {
        let Value::Object(object) = arguments else {
            return Ok(Presentation::default());
        };
        let full = match object.remove(tools::VIEW_ARGUMENT) {
            None | Some(Value::Null) => false,
            Some(Value::String(view)) if view == "compact" => false,
            Some(Value::String(view)) if view == "full" => true,
            Some(_) => {
                return Err(format!(
                    "`{}` must be \"compact\" (the default) or \"full\"",
                    tools::VIEW_ARGUMENT
                ));
            }
        };
        let fields = match object.remove(tools::FIELDS_ARGUMENT) {
            None | Some(Value::Null) => None,
            Some(Value::String(list)) => Some(FieldSelection::parse_list(&list)),
            Some(Value::Array(items)) => {
                let paths = items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .ok_or("each entry must be a string (a dotted path)")
                    })
                    .collect::<Result<Vec<&str>, _>>()
                    .map_err(|reason| format!("`{}`: {reason}", tools::FIELDS_ARGUMENT))?;
                Some(FieldSelection::parse(paths))
            }
            Some(_) => {
                return Err(format!(
                    "`{}` must be an array of dotted paths, e.g. [\"id\", \"assignee.email\"]",
                    tools::FIELDS_ARGUMENT
                ));
            }
        }
        .transpose()
        .map_err(|reason| format!("`{}`: {reason}", tools::FIELDS_ARGUMENT))?;
        Ok(Presentation { full, fields })
    }
}

/// A JSON answer as a tool result: `{"data": …, "next": …}` as one text block, and nothing
/// else. The data goes to the agent once, in the form every client reads (hosts put text
/// content in the model's context; several never look at `structuredContent`), so the tools
/// declare no output schema and the result carries no structured copy (docs/mcp.md).
///
/// The full view is Front's bytes as they came, as `/actions/rpc` answers them. The compact
/// view (the default) keeps the action's resource view (`views` in connector.json), or the
/// call's `_fields`, and drops `_links`, nulls and empty values.
pub(super) fn data_result(
    target: &Target,
    action: &Action,
    response: &ActionResponse,
    presentation: &Presentation,
) -> Result<CallToolResult, serde_json::Error> {
    let ActionResponse::Data { data, next } = response else {
        return Ok(CallToolResult::success(vec![ContentBlock::text(
            response.json_text()?,
        )]));
    };
    if presentation.full && presentation.fields.is_none() {
        return Ok(CallToolResult::success(vec![ContentBlock::text(
            response.json_text()?,
        )]));
    }
    let view = if presentation.full {
        None
    } else {
        tools::connector(target)
            .and_then(|connector| connector.view_of(&action.id))
            .map(View::selection)
    };
    let shaping = Shaping {
        fields: presentation.fields.as_ref().or(view),
        compact: !presentation.full,
    };
    let mut text = b"{\"data\":".to_vec();
    text.extend(shape(data.as_bytes(), shaping)?);
    if next.is_some() || presentation.full {
        text.extend_from_slice(b",\"next\":");
        serde_json::to_writer(&mut text, next)?;
    }
    text.push(b'}');
    // UTF-8 throughout: the shaped data is written by serde from a checked answer.
    let text = String::from_utf8(text).map_err(serde::ser::Error::custom)?;
    Ok(CallToolResult::success(vec![ContentBlock::text(text)]))
}

impl ServerHandler for McpHandler {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("actionhub", env!("CARGO_PKG_VERSION")).with_title("actionhub"),
            )
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        let mut result = self.negotiate_initialize(&request)?;
        let target = self.target(&context).await?;
        result.instructions = Some(instructions(&target));
        Ok(result)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let target = self.target(&context).await?;
        let policies = self.policies(&target).await.map_err(|error| {
            tracing::error!(%error, "policies could not be read");
            ErrorData::internal_error("internal error", None)
        })?;
        let decide = |action: &Action| policies.decide(&approvals::action_facts(action)).decision;
        // Every tool in one page: StackOne's Node SDK never asks for a second one.
        Ok(ListToolsResult::with_all_items(tools::list(
            &target, &decide,
        )))
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let method = request.method;
        if TYPED_METHODS.contains(&method.as_str()) {
            return Err(ErrorData::invalid_params(
                format!(
                    "Invalid params: `params` of `{method}` do not have the shape MCP defines for it"
                ),
                None,
            ));
        }
        Err(ErrorData::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("Method not found: `{}`", actionhub_catalog::echo(&method)),
            None,
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let target = match self.target(&context).await {
            Ok(target) => target,
            Err(error) => return Ok(tool_error(error.message.into_owned()).into()),
        };
        let headers = context
            .extensions
            .get::<Parts>()
            .map(|parts| &parts.headers);
        // Only the stdio client can be asked to approve a held call: HTTP here is stateless,
        // so the hub cannot send it a request.
        let asker = self.fixed.is_some().then_some(&context.peer);
        Ok(self
            .answer_call(&target, request, &context.meta, headers, asker)
            .await
            .into())
    }
}

/// What an agent is told at `initialize`.
fn instructions(target: &Target) -> String {
    let account = &target.account;
    let restricted = match &account.allowed_actions {
        Some(allowed) => format!(" It is restricted to {} action(s).", allowed.len()),
        None => String::new(),
    };
    let usage = match target.options.mode {
        super::ToolMode::Individual => {
            let mut usage = "Each tool is one action, named by its id; call it with arguments that match its inputSchema.".to_owned();
            if let Some(connector) = tools::connector(target) {
                let allowed = connector
                    .actions()
                    .iter()
                    .filter(|action| target.allows(&action.id))
                    .count();
                let listed = connector
                    .actions()
                    .iter()
                    .filter(|action| target.lists(action))
                    .count();
                if listed < allowed {
                    usage.push_str(&format!(
                        " {listed} of the {allowed} actions this account may run are listed; the others can be called by id too, and toolset=all (or tool-mode=search_execute) offers them all."
                    ));
                }
            }
            usage
        }
        super::ToolMode::SearchExecute => format!(
            "Find actions with {provider}_search_actions, then run one with {provider}_execute_action.",
            provider = account.provider
        ),
    };
    let provider = tools::connector(target).map_or(account.provider.as_str(), |c| c.name.as_str());
    format!(
        "actionhub runs {provider} actions for the linked account {id} ({company}).{restricted} \
         {usage} Inputs use the {style} parameter style. readOnlyHint and destructiveHint tell \
         which actions only read and which delete; list results carry a `next` cursor to pass \
         back for the following page. Answers are compact (the usual fields, no links or empty \
         values): pass `_fields` (dotted paths) to choose, or `_view: \"full\"` for Front's \
         whole answer.",
        id = account.id,
        company = account.provider_account_name,
        style = target.options.style,
    )
}

/// A downloaded file as a tool result: a line naming it, then the file itself, as image content
/// when it is an image (which agents can look at), else as an embedded resource with a base64
/// blob. The structured copy describes the file without its bytes, as `{"data": …, "next"}`
/// (what `<connector>_execute_action`'s output schema promises).
fn file_result(action: &Action, file: &FileAnswer) -> CallToolResult {
    let summary = format!(
        "{}: the file {} ({}, {} bytes) follows",
        action.id,
        file.filename,
        file.content_type,
        file.size()
    );
    let blob = BASE64.encode(&file.bytes);
    let content = if file.content_type.starts_with("image/") {
        ContentBlock::image(blob, file.content_type.as_str())
    } else {
        // The name is a URI path segment: every reserved character escaped, spaces as `%20`.
        let segment = form_urlencoded::byte_serialize(file.filename.as_bytes()).collect::<String>();
        let uri = format!("actionhub://files/{}", segment.replace('+', "%20"));
        ContentBlock::resource(
            ResourceContents::blob(blob, uri).with_mime_type(file.content_type.as_str()),
        )
    };
    let mut result = CallToolResult::success(vec![ContentBlock::text(summary), content]);
    result.structured_content = Some(json!({
        "data": {
            "filename": file.filename,
            "content_type": file.content_type,
            "size": file.size(),
        },
        "next": null,
    }));
    result
}

/// A tool result with `isError: true` and one text block.
pub(super) fn tool_error(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

/// A failed run as a tool result: the engine's message (which names the action and, for bad
/// input, every field at fault with its JSON pointer in the caller's style) with Front's own
/// answer when Front refused, and what to do about it, as text (like every answer).
fn engine_error(target: &Target, error: &ApiError, under: &str) -> CallToolResult {
    let mut text = error.to_string();
    let provider_errors = error.provider_errors();
    if !provider_errors.is_empty() {
        text.push_str(&format!(
            "; Front's answer: {}",
            Value::Array(provider_errors.to_vec())
        ));
    }
    match error {
        ApiError::BadRequest(_) => {
            let within = if under.is_empty() {
                String::new()
            } else {
                format!(" (pointers are within `{under}`)")
            };
            text.push_str(&format!(
                "{within}. Fix the arguments to match the input schema ({} parameter style) and call again.",
                target.options.style
            ));
        }
        ApiError::RateLimited {
            retry_after_secs, ..
        } => text.push_str(&format!("; retry in {retry_after_secs} s")),
        _ => {}
    }
    tool_error(text)
}

/// `<connector>_search_actions`: the best matching allowed actions for a query.
/// A denied action is never offered.
fn search(
    target: &Target,
    connector: &Connector,
    arguments: &Value,
    policies: &Policies,
) -> CallToolResult {
    let (query, limit) = match search_arguments(arguments) {
        Ok(parsed) => parsed,
        Err(message) => return tool_error(format!("{}: {message}", tools::search_name(connector))),
    };
    let results: Vec<Value> = actionhub_catalog::search_actions(connector, &query)
        .into_iter()
        .filter(|hit| target.allows(&hit.action.id))
        .filter(|hit| {
            policies
                .decide(&approvals::action_facts(hit.action))
                .decision
                != Decision::Deny
        })
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|hit| {
            let action = hit.action;
            json!({
                "action_id": action.id,
                "label": action.label,
                "description": action.description,
                "score": hit.score,
                "hints": {
                    "read_only": action.hints.read_only,
                    "destructive": action.hints.destructive,
                    "idempotent": action.hints.idempotent,
                },
                "input_schema": action.input_schema(target.options.style),
            })
        })
        .collect();
    CallToolResult::structured(json!({ "query": query, "results": results }))
}

fn search_arguments(arguments: &Value) -> Result<(String, u64), String> {
    let empty = JsonObject::new();
    let object = arguments.as_object().unwrap_or(&empty);
    check_known(object, &["query", "limit"])?;
    let query = match object.get("query") {
        Some(Value::String(query)) if !query.trim().is_empty() => query.trim().to_owned(),
        Some(Value::String(_)) => return Err("`query` must not be empty".to_owned()),
        Some(_) => return Err("`query` must be a string".to_owned()),
        None => {
            return Err(
                "`query` is required: say what you want to do, e.g. \"list conversations\""
                    .to_owned(),
            );
        }
    };
    let limit = match object.get("limit") {
        None | Some(Value::Null) => DEFAULT_SEARCH_LIMIT,
        Some(value) => value
            .as_u64()
            .filter(|n| (1..=MAX_SEARCH_LIMIT).contains(n))
            .ok_or_else(|| format!("`limit` must be an integer from 1 to {MAX_SEARCH_LIMIT}"))?,
    };
    Ok((query, limit))
}

/// `<connector>_execute_action`'s arguments: the allowed action and its input.
fn execute_arguments(
    target: &Target,
    connector: &'static Connector,
    arguments: Value,
) -> Result<(&'static Action, Value), String> {
    let name = tools::execute_name(connector);
    let Value::Object(mut object) = arguments else {
        return Err(format!("{name}: the arguments must be an object"));
    };
    check_known(
        &object,
        &[
            "action_id",
            "arguments",
            tools::VIEW_ARGUMENT,
            tools::FIELDS_ARGUMENT,
        ],
    )
    .map_err(|m| format!("{name}: {m}"))?;
    let id = match object.remove("action_id") {
        Some(Value::String(id)) => id,
        Some(_) => return Err(format!("{name}: `action_id` must be a string")),
        None => {
            return Err(format!(
                "{name}: `action_id` is required (find one with {})",
                tools::search_name(connector)
            ));
        }
    };
    let action = tools::known_action(target, connector, id.trim(), "action")
        .map_err(|message| format!("{name}: {message}"))?;
    let mut input = match object.remove("arguments") {
        None | Some(Value::Null) => JsonObject::new(),
        Some(Value::Object(input)) => input,
        Some(_) => {
            return Err(format!(
                "{name}: `arguments` must be an object with the action's input in the {} parameter style",
                target.options.style
            ));
        }
    };
    // `_view` and `_fields` may sit beside `action_id` or inside `arguments`, as in the
    // action's own tool; the run takes them out of the input.
    for key in [tools::VIEW_ARGUMENT, tools::FIELDS_ARGUMENT] {
        if let Some(value) = object.remove(key) {
            input.insert(key.to_owned(), value);
        }
    }
    Ok((action, Value::Object(input)))
}

fn check_known(object: &JsonObject, known: &[&str]) -> Result<(), String> {
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(format!(
            "`{key}` is not a known argument (expected {})",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => Ok(()),
    }
}

/// Why `actionhub mcp` could not start.
#[derive(Debug, thiserror::Error)]
pub enum StdioError {
    #[error("account {0} not found in this project")]
    UnknownAccount(String),
    #[error(transparent)]
    Store(StoreError),
    #[error("MCP over stdio failed: {0}")]
    Transport(String),
}

/// Serves MCP over stdin/stdout for one linked account until stdin closes. The account is
/// checked first, so a wrong id fails at once rather than at the first request.
pub async fn serve_stdio(
    state: AppState,
    project_id: &str,
    account_id: &str,
    options: McpOptions,
) -> Result<(), StdioError> {
    state
        .store
        .account(project_id, account_id)
        .await
        .map_err(|error| match error {
            StoreError::NotFound => StdioError::UnknownAccount(account_id.to_owned()),
            other => StdioError::Store(other),
        })?;
    let run_log = state.run_log.clone();
    let handler = McpHandler {
        state,
        fixed: Some(Arc::new(Fixed {
            project_id: project_id.to_owned(),
            account_id: account_id.to_owned(),
            options,
        })),
    };
    let served = match handler.serve(rmcp::transport::stdio()).await {
        Ok(running) => running
            .waiting()
            .await
            .map(drop)
            .map_err(|error| StdioError::Transport(error.to_string())),
        Err(error) => Err(StdioError::Transport(error.to_string())),
    };
    // Runs go on in their own tasks (a cancelled call too) and are recorded in the background:
    // wait for them and write the last ones before the process ends.
    run_log.finish().await;
    served
}
