//! The tools, derived from the catalogue: one per action (name = action id, the catalogue's
//! description, `inputSchema` in the requested parameter style, annotations from its hints), or
//! the two `search_execute` tools. Tool definitions are built once per connector and style and
//! then only filtered by what the account allows.

use std::sync::{Arc, OnceLock};

use actionhub_catalog::{Action, Catalog, Connector, DRAFT_2020_12, ParamStyle, Returns};
use actionhub_store::Decision;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use super::{Target, ToolMode};

/// Results `<connector>_search_actions` returns when the caller gives no `limit`.
pub const DEFAULT_SEARCH_LIMIT: u64 = 5;
/// The largest `limit` accepted by `<connector>_search_actions`.
pub const MAX_SEARCH_LIMIT: u64 = 50;

/// What a tool name stands for.
#[derive(Debug, Clone, Copy)]
pub enum Called<'a> {
    /// One action, called directly (`individual` mode).
    Action(&'a Action),
    /// `<connector>_search_actions` (`search_execute` mode).
    Search(&'a Connector),
    /// `<connector>_execute_action` (`search_execute` mode).
    Execute(&'a Connector),
    /// `<connector>_get_approval` (either mode): a held call's approval, and its result.
    GetApproval(&'a Connector),
}

/// The tools of one connector in one style, built once.
struct StyleTools {
    actions: Vec<Tool>,
    search: Tool,
    execute: Tool,
}

struct ConnectorTools {
    key: &'static str,
    /// Indexed like [`ParamStyle::ALL`].
    styles: Vec<StyleTools>,
    approval: Tool,
}

fn built() -> &'static [ConnectorTools] {
    static TOOLS: OnceLock<Vec<ConnectorTools>> = OnceLock::new();
    TOOLS.get_or_init(|| {
        Catalog::builtin()
            .connectors()
            .iter()
            .map(|connector| ConnectorTools {
                key: connector.key.as_str(),
                styles: ParamStyle::ALL
                    .into_iter()
                    .map(|style| StyleTools {
                        actions: connector
                            .actions()
                            .iter()
                            .map(|action| action_tool(action, style))
                            .collect(),
                        search: search_tool(connector, style),
                        execute: execute_tool(connector, style),
                    })
                    .collect(),
                approval: approval_tool(connector),
            })
            .collect()
    })
}

fn connector_tools(connector: &str) -> Option<&'static ConnectorTools> {
    built().iter().find(|tools| tools.key == connector)
}

fn style_tools(connector: &str, style: ParamStyle) -> Option<&'static StyleTools> {
    let index = ParamStyle::ALL.iter().position(|s| *s == style)?;
    connector_tools(connector).and_then(|tools| tools.styles.get(index))
}

/// The connector of the account's provider.
pub fn connector(target: &Target) -> Option<&'static Connector> {
    Catalog::builtin().connector(&target.account.provider)
}

/// Every tool the target lists, in catalogue order, given what the policies decide for each
/// action: a denied action is never listed, and `<connector>_get_approval` is listed when some
/// action the account may run needs approval.
pub fn list(target: &Target, decide: &dyn Fn(&Action) -> Decision) -> Vec<Tool> {
    let (Some(connector), Some(tools), Some(shared)) = (
        connector(target),
        style_tools(&target.account.provider, target.options.style),
        connector_tools(&target.account.provider),
    ) else {
        return Vec::new();
    };
    let mut listed: Vec<Tool> = match target.options.mode {
        // The tools were built from the connector's actions, in the same order.
        ToolMode::Individual => connector
            .actions()
            .iter()
            .zip(&tools.actions)
            .filter(|(action, _)| target.lists(action) && decide(action) != Decision::Deny)
            .map(|(_, tool)| tool.clone())
            .collect(),
        ToolMode::SearchExecute => vec![tools.search.clone(), tools.execute.clone()],
    };
    let needs_approval = connector
        .actions()
        .iter()
        .any(|action| target.allows(&action.id) && decide(action) == Decision::Approve);
    if needs_approval {
        listed.push(shared.approval.clone());
    }
    listed
}

/// The name of `<connector>_search_actions`.
pub fn search_name(connector: &Connector) -> String {
    format!("{}_search_actions", connector.key)
}

/// The name of `<connector>_execute_action`.
pub fn execute_name(connector: &Connector) -> String {
    format!("{}_execute_action", connector.key)
}

/// The name of `<connector>_get_approval`.
pub fn approval_name(connector: &Connector) -> String {
    format!("{}_get_approval", connector.key)
}

/// Resolves a tool name for the target, or explains (for the agent) why it cannot be called.
pub fn resolve(target: &Target, name: &str) -> Result<Called<'static>, String> {
    let Some(connector) = connector(target) else {
        return Err(format!(
            "this account's provider `{}` has no tools",
            target.account.provider
        ));
    };
    // Reachable in both modes, listed or not: a pending answer names it.
    if name == approval_name(connector) {
        return Ok(Called::GetApproval(connector));
    }
    match target.options.mode {
        ToolMode::SearchExecute => {
            if name == search_name(connector) {
                Ok(Called::Search(connector))
            } else if name == execute_name(connector) {
                Ok(Called::Execute(connector))
            } else {
                Err(format!(
                    "unknown tool `{name}`: this server offers {search} and {execute}; find the action with {search}, then run it with {execute} and `action_id: \"{name}\"`",
                    search = search_name(connector),
                    execute = execute_name(connector),
                ))
            }
        }
        ToolMode::Individual => known_action(target, connector, name, "tool").map(Called::Action),
    }
}

/// The action `id`, or a message naming the nearest ids the account may use. An action the
/// account does not allow is returned too: the engine refuses it, says which actions the account
/// may run, and records the attempt in the run log like any refused call. `what` names the thing
/// looked up ("tool", "action").
pub fn known_action<'a>(
    target: &Target,
    connector: &'a Connector,
    id: &str,
    what: &str,
) -> Result<&'a Action, String> {
    match connector.action(id) {
        Ok(action) => Ok(action),
        Err(unknown) => {
            let near: Vec<String> = unknown
                .suggestions
                .into_iter()
                .filter(|id| target.allows(id))
                .collect();
            let mut message = format!("unknown {what} `{}`", actionhub_catalog::echo(id));
            if near.is_empty() {
                let allowed = allowed_ids(target, connector);
                if allowed.len() <= 10 {
                    message.push_str(&format!("; this account may use: {}", allowed.join(", ")));
                } else if target.options.mode == ToolMode::SearchExecute {
                    message.push_str(&format!("; find one with {}", search_name(connector)));
                } else {
                    message.push_str(
                        "; see tools/list for the listed names (toolset=all lists every one)",
                    );
                }
            } else {
                message.push_str(&format!("; did you mean {}?", near.join(", ")));
            }
            Err(message)
        }
    }
}

fn allowed_ids(target: &Target, connector: &Connector) -> Vec<String> {
    connector
        .actions()
        .iter()
        .filter(|action| target.allows(&action.id))
        .map(|action| action.id.clone())
        .collect()
}

fn object(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

/// The tool arguments that choose how much of an answer comes back, beside the action's input.
pub const VIEW_ARGUMENT: &str = "_view";
pub const FIELDS_ARGUMENT: &str = "_fields";

/// The schemas of [`VIEW_ARGUMENT`] and [`FIELDS_ARGUMENT`].
fn presentation_properties() -> [(&'static str, Value); 2] {
    [
        (
            VIEW_ARGUMENT,
            json!({
                "type": "string",
                "enum": ["compact", "full"],
                "default": "compact",
                "description": "compact: the fields usually needed, without links or empty values; full: Front's whole answer"
            }),
        ),
        (
            FIELDS_ARGUMENT,
            json!({
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": actionhub_catalog::MAX_FIELD_PATH_CHARS},
                "minItems": 1,
                "maxItems": actionhub_catalog::MAX_FIELD_PATHS,
                "description": "Only these dotted paths of each item, e.g. [\"id\", \"assignee.email\", \"tags.name\"]"
            }),
        ),
    ]
}

/// Adds the presentation arguments to a tool's input schema.
fn with_presentation(schema: &mut JsonObject) {
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for (name, property) in presentation_properties() {
            properties.insert(name.to_owned(), property);
        }
    }
}

fn action_tool(action: &'static Action, style: ParamStyle) -> Tool {
    let hints = action.hints;
    let mut schema = object(action.input_schema(style).clone());
    let editable = Arc::make_mut(&mut schema);
    // The catalogue's schema repeats the action's description at its top; the tool already
    // carries it, and every repeated word costs an agent context.
    if editable.get("description").and_then(Value::as_str) == Some(action.description.as_str()) {
        editable.remove("description");
    }
    // A file comes back as content (an image or an embedded resource), not as a JSON answer
    // to narrow.
    if action.returns == Returns::Json {
        with_presentation(editable);
    }
    // No output schema: the answer is JSON text only (see `handler::data_result`).
    Tool::new(action.id.as_str(), action.description.as_str(), schema)
        .with_title(action.label.as_str())
        .with_annotations(
            ToolAnnotations::with_title(action.label.as_str())
                .read_only(hints.read_only)
                .destructive(hints.destructive)
                .idempotent(hints.idempotent)
                .open_world(true),
        )
}

fn approval_tool(connector: &Connector) -> Tool {
    let description = format!(
        "Check a {name} call that is waiting for a person's approval (a tool answered that it \
         is pending, with its approval_id). Answers its status; once it has run, the call's \
         own answer; if it was rejected or expired, that it did not run.",
        name = connector.name,
    );
    let mut schema = object(json!({
        "$schema": DRAFT_2020_12,
        "type": "object",
        "properties": {
            "approval_id": {
                "type": "string",
                "minLength": 1,
                "description": "The approval's id (apr_…), from the pending answer"
            }
        },
        "required": ["approval_id"],
        "additionalProperties": false
    }));
    with_presentation(Arc::make_mut(&mut schema));
    Tool::new(approval_name(connector), description, schema)
        .with_title(format!("Check a {} approval", connector.name))
        .with_annotations(
            ToolAnnotations::with_title(format!("Check a {} approval", connector.name))
                .read_only(true)
                .destructive(false)
                .idempotent(true)
                .open_world(false),
        )
}

fn search_tool(connector: &Connector, style: ParamStyle) -> Tool {
    let description = format!(
        "Find the {name} actions this account may run for a task, described in plain words. \
         Returns up to `limit` actions, best first, each with its action_id, label, \
         description, relevance score, risk hints and input_schema (in the {style} parameter \
         style). Then run one with {execute}.",
        name = connector.name,
        execute = execute_name(connector),
    );
    let schema = json!({
        "$schema": DRAFT_2020_12,
        "type": "object",
        "properties": {
            "query": {
                "type": "string",
                "minLength": 1,
                "description": "What you want to do, e.g. \"reply to a customer conversation\" or \"list tags\""
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_SEARCH_LIMIT,
                "default": DEFAULT_SEARCH_LIMIT,
                "description": "How many actions to return"
            }
        },
        "required": ["query"],
        "additionalProperties": false
    });
    Tool::new(search_name(connector), description, object(schema))
        .with_title(format!("Search {} actions", connector.name))
        .with_annotations(
            ToolAnnotations::with_title(format!("Search {} actions", connector.name))
                .read_only(true)
                .destructive(false)
                .idempotent(true)
                .open_world(false),
        )
}

fn execute_tool(connector: &Connector, style: ParamStyle) -> Tool {
    let description = format!(
        "Run one {name} action by its action_id (find it with {search}) with its arguments in \
         the {style} parameter style, as the action's input_schema describes. Answers \
         {{\"data\": …, \"next\": …}} like the action's own tool, compact unless `_view` is \
         \"full\". Some actions change or delete data: check the risk hints {search} returns.",
        name = connector.name,
        search = search_name(connector),
    );
    let mut schema = json!({
        "$schema": DRAFT_2020_12,
        "type": "object",
        "properties": {
            "action_id": {
                "type": "string",
                "minLength": 1,
                "description": format!("The action to run, e.g. {}_list_conversations", connector.key)
            },
            "arguments": {
                "type": "object",
                "default": {},
                "description": format!("The action's input in the {style} parameter style")
            }
        },
        "required": ["action_id"],
        "additionalProperties": false
    });
    if let Value::Object(schema) = &mut schema {
        with_presentation(schema);
    }
    Tool::new(execute_name(connector), description, object(schema))
        .with_title(format!("Run a {} action", connector.name))
        .with_annotations(
            ToolAnnotations::with_title(format!("Run a {} action", connector.name))
                .read_only(false)
                .destructive(true)
                .idempotent(false)
                .open_world(true),
        )
}
