//! Loading connector definitions and checking them, so that a broken definition stops the
//! program at start-up with the file, the action and the field at fault.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use indexmap::IndexMap;

use crate::definition::{Action, Connector, EventStream, Field, FieldType, Method};
use crate::path_value::{self, PathRule};
use crate::schema::{self, ParamStyle};
use crate::search::SearchIndex;

/// One definition file: its path (for messages) and its text.
#[derive(Debug, Clone, Copy)]
pub struct SourceFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

/// A connector's files: `connector.json` and its `actions/*.json`.
#[derive(Debug, Clone, Copy)]
pub struct ConnectorSource<'a> {
    pub connector: SourceFile<'a>,
    pub actions: &'a [SourceFile<'a>],
}

/// A definition that cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DefinitionError {
    pub file: String,
    /// The action at fault, when the problem is inside one.
    pub action: Option<String>,
    /// Dotted path of the field at fault, e.g. `inputs.query.limit.maximum`.
    pub field: String,
    pub reason: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if let Some(action) = &self.action {
            write!(f, "action `{action}`: ")?;
        }
        write!(f, "field `{}`: {}", self.field, self.reason)
    }
}

/// Reads and checks one connector.
pub(crate) fn load_connector(source: &ConnectorSource<'_>) -> Result<Connector, DefinitionError> {
    let file = source.connector.path;
    let fail = |field: &str, reason: String| DefinitionError {
        file: file.to_owned(),
        action: None,
        field: field.to_owned(),
        reason,
    };
    let value = parse_json(&source.connector)?;
    let mut connector: Connector = deserialize(value, file, None)?;
    if connector.key.is_empty() || connector.key.contains('_') {
        return Err(fail(
            "key",
            "must be non-empty and contain no `_` (clients split action ids at the first `_`)"
                .into(),
        ));
    }
    let mut scope_names = HashSet::new();
    for (i, scope) in connector.scopes.iter().enumerate() {
        if !scope_names.insert(scope.name.as_str()) {
            return Err(fail(
                &format!("scopes[{i}].name"),
                format!("duplicate scope `{}`", scope.name),
            ));
        }
        if scope.description.trim().is_empty() {
            return Err(fail(
                &format!("scopes[{i}].description"),
                "must not be empty".into(),
            ));
        }
    }
    for (noun, resource) in &connector.resources {
        path_value::check_resource(noun, resource)
            .map_err(|(field, reason)| fail(&field, reason))?;
    }

    let mut actions: Vec<Action> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for action_file in source.actions {
        let Value::Array(items) = parse_json(action_file)? else {
            return Err(DefinitionError {
                file: action_file.path.to_owned(),
                action: None,
                field: "(file)".into(),
                reason: "must be a JSON array of actions".into(),
            });
        };
        for (index, item) in items.into_iter().enumerate() {
            let name = item
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{index}"), str::to_owned);
            let fail = |field: &str, reason: String| DefinitionError {
                file: action_file.path.to_owned(),
                action: Some(name.clone()),
                field: field.to_owned(),
                reason,
            };
            let mut action: Action = deserialize(item, action_file.path, Some(&name))?;
            action.group = group_of(action_file.path);
            if let Some(first) = seen.insert(action.id.clone(), action_file.path.to_owned()) {
                return Err(fail(
                    "id",
                    format!("duplicate action id, first declared in {first}"),
                ));
            }
            check_action(&connector, &action).map_err(|(field, reason)| fail(&field, reason))?;
            let path_rules =
                path_rules(&connector, &action).map_err(|(field, reason)| fail(&field, reason))?;
            action.compiled =
                schema::compile(&action, path_rules).map_err(|reason| fail("inputs", reason))?;
            if let Err(invalid) = action.validate_input(ParamStyle::Nested, &action.example) {
                return Err(fail("example", invalid.to_string()));
            }
            actions.push(action);
        }
    }
    // The default face first, in declaration order, then the rest in declaration order.
    actions.sort_by_key(|action| !action.core);
    connector.actions = actions;
    crate::views::check_views(&mut connector).map_err(|(field, reason)| fail(&field, reason))?;
    connector.search_index = SearchIndex::build(&connector).map_err(|problem| {
        fail(
            &format!("search.synonyms.{}", problem.field),
            problem.reason,
        )
    })?;
    if let Some(events) = &connector.events {
        let types = event_types(&connector, events).map_err(|reason| fail("events", reason))?;
        if let Some(events) = &mut connector.events {
            events.types = types;
        }
    }
    Ok(connector)
}

/// The group of the actions declared in `path`: the file's name without its extension.
fn group_of(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".json").unwrap_or(name).to_owned()
}

fn parse_json(source: &SourceFile<'_>) -> Result<Value, DefinitionError> {
    serde_json::from_str(source.text).map_err(|error| DefinitionError {
        file: source.path.to_owned(),
        action: None,
        field: "(file)".into(),
        reason: format!("not valid JSON: {error}"),
    })
}

fn deserialize<T: DeserializeOwned>(
    value: Value,
    file: &str,
    action: Option<&str>,
) -> Result<T, DefinitionError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let reason = error.into_inner().to_string();
        // serde names a missing field in its message only; put it in the path too.
        let missing = reason
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name.to_owned(),
            (".", None) => "(top level)".to_owned(),
            (_, Some(name)) => format!("{path}.{name}"),
            (_, None) => path,
        };
        DefinitionError {
            file: file.to_owned(),
            action: action.map(str::to_owned),
            field,
            reason,
        }
    })
}

type Problem = (String, String);

/// What `scripts/draft-front-actions.py` writes where only a person can say what to write; a
/// catalogue holding it is a draft that was not curated.
const DRAFT_MARK: &str = "TODO:";
const DRAFT_LEFT: &str = "still holds the drafting script's `TODO:`; write the text";

/// Where an action's texts (label, description, every field's description, nested ones too)
/// still hold the draft mark.
fn uncurated_text(action: &Action) -> Option<String> {
    fn in_field(at: String, field: &Field) -> Option<String> {
        if field
            .description
            .as_deref()
            .is_some_and(|d| d.contains(DRAFT_MARK))
        {
            return Some(format!("{at}.description"));
        }
        let nested = field.properties.iter().flatten();
        nested
            .map(|(name, sub)| (format!("{at}.properties.{name}"), sub))
            .chain(
                field
                    .items
                    .as_deref()
                    .map(|items| (format!("{at}.items"), items)),
            )
            .find_map(|(at, sub)| in_field(at, sub))
    }
    if action.label.contains(DRAFT_MARK) {
        return Some("label".into());
    }
    if action.description.contains(DRAFT_MARK) {
        return Some("description".into());
    }
    [
        ("path", &action.inputs.path),
        ("query", &action.inputs.query),
        ("body", &action.inputs.body),
    ]
    .into_iter()
    .flat_map(|(location, fields)| fields.iter().map(move |(name, f)| (location, name, f)))
    .find_map(|(location, name, field)| in_field(format!("inputs.{location}.{name}"), field))
}

/// What each path parameter accepts: every one names the resource whose id it holds, or is
/// declared free text with a length limit, so that no value can name another route.
fn path_rules(
    connector: &Connector,
    action: &Action,
) -> Result<IndexMap<String, PathRule>, Problem> {
    action
        .inputs
        .path
        .iter()
        .map(|(name, field)| {
            let at = |key: &str| format!("inputs.path.{name}.{key}");
            let rule = match (&field.id_of, field.free_text, field.max_length) {
                (Some(noun), false, None) => {
                    let resource = connector.resources.get(noun).ok_or_else(|| {
                        (
                            at("id_of"),
                            format!("`{noun}` is not one of the connector's resources"),
                        )
                    })?;
                    PathRule::Id {
                        noun: noun.clone(),
                        resource: resource.clone(),
                    }
                }
                (Some(_), false, Some(_)) => {
                    return Err((
                        at("max_length"),
                        "an id's length follows from its resource".into(),
                    ));
                }
                (None, true, Some(max_length)) => PathRule::FreeText {
                    max_chars: usize::try_from(max_length).unwrap_or(usize::MAX),
                },
                (None, true, None) => {
                    return Err((at("max_length"), "free text needs a max_length".into()));
                }
                _ => {
                    return Err((
                        at("id_of"),
                        "a path parameter declares either the resource it names (`id_of`) or `free_text`".into(),
                    ));
                }
            };
            Ok((name.clone(), rule))
        })
        .collect()
}

fn check_action(connector: &Connector, action: &Action) -> Result<(), Problem> {
    let problem = |field: &str, reason: &str| Err((field.to_owned(), reason.to_owned()));
    let prefix = format!("{}_", connector.key);
    if !action.id.starts_with(&prefix) || action.id.len() == prefix.len() {
        return problem("id", &format!("must start with `{prefix}`"));
    }
    if !action
        .id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return problem("id", "may contain only lowercase letters, digits and `_`");
    }
    if action.label.trim().is_empty() {
        return problem("label", "must not be empty");
    }
    if action.description.trim().is_empty() {
        return problem("description", "must not be empty");
    }
    if let Some(at) = uncurated_text(action) {
        return problem(&at, DRAFT_LEFT);
    }
    // Any token may call an operation that needs no scope (Front's `GET /me`); only reads may
    // be that open.
    if action.scopes.is_empty() && !action.hints.read_only {
        return problem("scopes", "a write must name at least one scope");
    }
    for (i, scope) in action.scopes.iter().enumerate() {
        if !connector.scopes.iter().any(|s| &s.name == scope) {
            return problem(
                &format!("scopes[{i}]"),
                &format!("`{scope}` is not one of the connector's scope definitions"),
            );
        }
    }
    if action.method == Method::Get && !action.hints.read_only {
        return problem(
            "hints.read_only",
            "a GET operation must be marked read_only",
        );
    }
    if action.hints.read_only && (action.hints.destructive || action.method != Method::Get) {
        return problem(
            "hints.read_only",
            "only a GET operation, never destructive, can be read_only",
        );
    }
    if !action.path.starts_with('/') {
        return problem("path", "must start with `/`");
    }
    let template_params =
        path_parameters(&action.path).map_err(|reason| ("path".to_owned(), reason))?;
    for name in &template_params {
        let Some(field) = action.inputs.path.get(name) else {
            return problem(
                "inputs.path",
                &format!(
                    "path parameter `{{{name}}}` of `{}` is not declared",
                    action.path
                ),
            );
        };
        if !field.required || field.ty != FieldType::String {
            return problem(
                &format!("inputs.path.{name}"),
                "a path parameter must be a required string",
            );
        }
    }
    for name in action.inputs.path.keys() {
        if !template_params.contains(name) {
            return problem(
                &format!("inputs.path.{name}"),
                &format!("is not a parameter of the path `{}`", action.path),
            );
        }
    }
    if !action.example.is_object() {
        return problem("example", "must be an object in nested style");
    }
    if !matches!(action.method, Method::Post | Method::Put | Method::Patch)
        && let Some((name, _)) = action.inputs.body.iter().find(|(_, f)| f.takes_files())
    {
        return problem(
            &format!("inputs.body.{name}"),
            "only a POST, PUT or PATCH operation takes files",
        );
    }
    for (location, fields) in [
        ("path", &action.inputs.path),
        ("query", &action.inputs.query),
        ("body", &action.inputs.body),
    ] {
        for (name, field) in fields {
            let at = format!("inputs.{location}.{name}");
            if field
                .description
                .as_deref()
                .is_none_or(|d| d.trim().is_empty())
            {
                return problem(
                    &format!("{at}.description"),
                    "every input needs a description",
                );
            }
            if location != "path" && (field.id_of.is_some() || field.free_text) {
                return problem(
                    &format!("{at}.id_of"),
                    "only a path parameter has `id_of` or `free_text`",
                );
            }
            if field.style.is_some() && (location != "query" || field.ty != FieldType::Object) {
                return problem(
                    &format!("{at}.style"),
                    "only a query object can have a style",
                );
            }
            check_field(&at, field)?;
        }
    }
    Ok(())
}

fn check_field(at: &str, field: &Field) -> Result<(), Problem> {
    let problem = |key: &str, reason: &str| Err((format!("{at}.{key}"), reason.to_owned()));
    let depth = at.matches('.').count();
    let nested = depth > 2;
    if field.ty == FieldType::File {
        // A body field or the items of one: each becomes one part of a multipart body.
        let placed = at.starts_with("inputs.body.")
            && (depth == 2 || (depth == 3 && at.ends_with(".items")));
        if !placed {
            return Err((
                at.to_owned(),
                "a file is a body field, or the items of one, only".to_owned(),
            ));
        }
        if field.nullable
            || field.format.is_some()
            || field.allowed.is_some()
            || field.default.is_some()
            || field.example.is_some()
        {
            return Err((
                at.to_owned(),
                "a file takes no nullable, format, enum, default or example".to_owned(),
            ));
        }
    }
    if nested && (field.id_of.is_some() || field.free_text) {
        return problem("id_of", "only a path parameter has `id_of` or `free_text`");
    }
    let numeric = matches!(field.ty, FieldType::Integer | FieldType::Number);
    if (field.minimum.is_some() || field.maximum.is_some()) && !numeric {
        return problem("maximum", "limits apply to integer and number fields only");
    }
    if let (Some(min), Some(max)) = (&field.minimum, &field.maximum)
        && min.as_f64() > max.as_f64()
    {
        return problem("minimum", "is greater than the maximum");
    }
    if field.max_length.is_some() && field.ty != FieldType::String {
        return problem("max_length", "applies to string fields only");
    }
    if field.max_items.is_some() && field.ty != FieldType::Array {
        return problem("max_items", "applies to array fields only");
    }
    match (field.ty, &field.items) {
        (FieldType::Array, None) => {
            return problem("items", "an array field must declare its items");
        }
        (FieldType::Array, Some(items)) => check_field(&format!("{at}.items"), items)?,
        (_, Some(_)) => return problem("items", "only an array field has items"),
        _ => {}
    }
    if let Some(properties) = &field.properties {
        if field.ty != FieldType::Object {
            return problem("properties", "only an object field has properties");
        }
        for (name, property) in properties {
            check_field(&format!("{at}.properties.{name}"), property)?;
        }
    }
    if let Some(allowed) = &field.allowed
        && (allowed.is_empty() || allowed.iter().any(|v| !field.ty.accepts(v)))
    {
        return problem(
            "enum",
            &format!("must list values of type {}", field.ty.as_str()),
        );
    }
    if let Some(default) = &field.default {
        let in_enum = field
            .allowed
            .as_ref()
            .is_none_or(|allowed| allowed.contains(default));
        if !field.ty.accepts(default) || !in_enum {
            return problem("default", "does not match the field's type or enum");
        }
    }
    Ok(())
}

/// The `{name}` parameters of a path template, in order.
fn path_parameters(path: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in `{path}`"))?;
        let name = &rest[open + 1..open + close];
        if name.is_empty() {
            return Err(format!("empty parameter in `{path}`"));
        }
        names.push(name.to_owned());
        rest = &rest[open + close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("unopened `}}` in `{path}`"));
    }
    Ok(names)
}

/// The event types `events.types_from` points at: the `enum` of an array of strings among the
/// inputs of `events.action`.
fn event_types(connector: &Connector, events: &EventStream) -> Result<Vec<String>, String> {
    let action = connector
        .actions
        .iter()
        .find(|action| action.id == events.action)
        .ok_or_else(|| format!("`action`: no action `{}`", events.action))?;
    let mut names = events.types_from.split('.');
    let fields = match names.next() {
        Some("path") => &action.inputs.path,
        Some("query") => &action.inputs.query,
        Some("body") => &action.inputs.body,
        _ => return Err("`types_from` must start with path, query or body".into()),
    };
    let missing = || format!("`types_from`: {} has no such field", events.action);
    let mut field = fields
        .get(names.next().ok_or_else(missing)?)
        .ok_or_else(missing)?;
    for name in names {
        field = field
            .properties
            .as_ref()
            .and_then(|properties| properties.get(name))
            .ok_or_else(missing)?;
    }
    let types: Vec<String> = field
        .items
        .as_ref()
        .and_then(|items| items.allowed.as_ref())
        .map(|values| {
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if types.is_empty() {
        return Err("`types_from` must name an array of strings with an `enum`".into());
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::path_parameters;

    #[test]
    fn path_parameters_are_read_in_order() {
        assert_eq!(
            path_parameters("/a/{x}/b/{y}").unwrap(),
            vec!["x".to_owned(), "y".to_owned()]
        );
        assert!(path_parameters("/a/{x").is_err());
        assert!(path_parameters("/a/x}").is_err());
        assert!(path_parameters("/a/{}").is_err());
    }
}
