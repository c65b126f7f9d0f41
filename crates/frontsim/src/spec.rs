//! Front's response schemas at run time, for the operations served generically.
//!
//! The simulator embeds the structure-only facts of Front's OpenAPI spec that the tests check
//! answers against (`crates/testkit/data/front-core-api.facts.json`: ours, without Front's
//! prose). From them it knows, per operation, the documented success status and the shape of
//! the answer, and it builds new objects of a schema: every required field filled with a
//! plausible value of its type, then the request's matching fields laid over them.

use std::sync::OnceLock;

use hyper::StatusCode;
use serde_json::{Map, Value};

const FACTS: &str = include_str!("../../testkit/data/front-core-api.facts.json");

/// The embedded facts, parsed once; `None` only if the embedded file were not JSON.
pub fn facts() -> Option<&'static Value> {
    static PARSED: OnceLock<Option<Value>> = OnceLock::new();
    PARSED
        .get_or_init(|| serde_json::from_str(FACTS).ok())
        .as_ref()
}

/// What a successful answer of one operation looks like.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Body,
}

#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// No body (204, and a few 200/201 that Front documents without one).
    Empty,
    /// One object of this schema.
    Object(&'static Value),
    /// Front's list envelope; `paged` when it has `_pagination`.
    List { paged: bool },
}

/// The documented success answer of `method path`, or `None` when the spec lacks it.
pub fn answer(method: &str, path: &str) -> Option<Answer> {
    let operation = facts()?
        .get("paths")?
        .get(path)?
        .get(method.to_lowercase())?;
    let (code, mut response) = operation
        .get("responses")?
        .as_object()?
        .iter()
        .find(|(code, _)| code.starts_with('2'))?;
    if let Some(reference) = response.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/components/responses/");
        response = facts()?.get("components")?.get("responses")?.get(name)?;
    }
    let status = StatusCode::from_bytes(code.as_bytes()).ok()?;
    let body = match response
        .get("content")
        .and_then(|c| c.get("application/json"))
        .and_then(|c| c.get("schema"))
    {
        None => Body::Empty,
        Some(schema) => {
            let properties = resolve(schema).get("properties");
            if properties.is_some_and(|p| p.get("_results").is_some()) {
                Body::List {
                    paged: properties.is_some_and(|p| p.get("_pagination").is_some()),
                }
            } else {
                Body::Object(schema)
            }
        }
    };
    Some(Answer { status, body })
}

/// A component schema by name (`MessageTemplateResponse`).
pub fn component(name: &str) -> Option<&'static Value> {
    facts()?.get("components")?.get("schemas")?.get(name)
}

/// Follows `$ref`s to the schema they name (an unknown reference reads as an empty schema).
pub fn resolve(schema: &'static Value) -> &'static Value {
    static EMPTY: Value = Value::Null;
    let mut current = schema;
    // References chain at most a few deep; the bound only guards against a cycle.
    for _ in 0..8 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/schemas/");
                current = component(name).unwrap_or(&EMPTY);
            }
            None => return current,
        }
    }
    current
}

/// The component name a schema refers to, e.g. `TagResponse` for a `$ref` to it.
pub fn schema_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .map(|r| r.trim_start_matches("#/components/schemas/"))
}

/// The declared properties of an object schema, through `$ref` and `allOf`.
pub fn properties(schema: &'static Value) -> Vec<(&'static str, &'static Value)> {
    let schema = resolve(schema);
    let mut out: Vec<(&'static str, &'static Value)> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(properties(part));
    }
    out
}

fn required(schema: &'static Value) -> Vec<&'static str> {
    let schema = resolve(schema);
    let mut out: Vec<&'static str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(required(part));
    }
    out
}

/// What a filled object is about, for values that read naturally.
pub struct Seed<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub now: f64,
}

/// An object of `schema` with its required fields filled; with `all`, every declared field.
pub fn fill_object(schema: &'static Value, seed: &Seed<'_>, all: bool) -> Map<String, Value> {
    let wanted = if all {
        properties(schema)
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    } else {
        required(schema)
    };
    let declared = properties(schema);
    let mut object = Map::new();
    for name in wanted {
        // A required field the schema does not declare has no type to fill (a spec quirk).
        if let Some((_, property)) = declared.iter().find(|(n, _)| *n == name) {
            object.insert(name.to_owned(), fill_value(property, name, seed));
        }
    }
    object
}

fn fill_value(schema: &'static Value, name: &str, seed: &Seed<'_>) -> Value {
    let resolved = resolve(schema);
    if let Some(default) = resolved.get("default") {
        return default.clone();
    }
    if let Some(choices) = resolved.get("enum").and_then(Value::as_array) {
        // English where the choice is a locale; else the first documented value.
        let english = Value::String("en".into());
        if choices.contains(&english) {
            return english;
        }
        return choices
            .iter()
            .find(|c| !c.is_null())
            .cloned()
            .unwrap_or(Value::Null);
    }
    if schema.get("nullable") == Some(&Value::Bool(true))
        || resolved.get("nullable") == Some(&Value::Bool(true))
    {
        return Value::Null;
    }
    for part in ["allOf", "oneOf", "anyOf"] {
        if let Some(first) = resolved
            .get(part)
            .and_then(Value::as_array)
            .and_then(|p| p.first())
        {
            return fill_value(first, name, seed);
        }
    }
    match resolved.get("type").and_then(Value::as_str) {
        Some("string") => Value::String(text_for(name, seed)),
        Some("number") if name.ends_with("_at") => seed.now.into(),
        Some("number") | Some("integer") => {
            resolved.get("minimum").cloned().unwrap_or_else(|| 0.into())
        }
        Some("boolean") => false.into(),
        Some("array") => Value::Array(Vec::new()),
        _ => Value::Object(fill_object(schema, seed, false)),
    }
}

/// A plausible string for a field, by its name.
fn text_for(name: &str, seed: &Seed<'_>) -> String {
    match name {
        "id" | "uid" => seed.id.to_owned(),
        "name" => seed.label.to_owned(),
        "slug" => seed
            .label
            .to_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-"),
        "locale" => "en".into(),
        "status" => "published".into(),
        "timezone" => "Etc/UTC".into(),
        "type" => "custom".into(),
        _ => String::new(),
    }
}

/// Whether `value` fits `schema`'s type (and enum), deeply enough to keep answers valid.
pub fn accepts(schema: &'static Value, value: &Value) -> bool {
    let resolved = resolve(schema);
    if value.is_null() {
        return schema.get("nullable") == Some(&Value::Bool(true))
            || resolved.get("nullable") == Some(&Value::Bool(true));
    }
    if let Some(choices) = resolved.get("enum").and_then(Value::as_array)
        && !choices.contains(value)
    {
        return false;
    }
    match resolved.get("type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("number") => value.is_number(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value
            .as_array()
            .is_some_and(|items| match resolved.get("items") {
                Some(item) => items.iter().all(|v| accepts(item, v)),
                None => true,
            }),
        Some("object") => value.as_object().is_some_and(|fields| {
            let declared = properties(schema);
            fields.iter().all(|(k, v)| {
                declared
                    .iter()
                    .find(|(n, _)| *n == k)
                    .is_none_or(|(_, p)| accepts(p, v))
            }) && required(schema).iter().all(|r| fields.contains_key(*r))
        }),
        _ => true,
    }
}

/// A new object of `kind` with the required fields of every schema it is shown as.
pub fn blank(kind: &crate::kinds::Kind, seed: &Seed<'_>) -> Map<String, Value> {
    let mut object = Map::new();
    for schema in kind.schemas.iter().filter_map(|name| component(name)) {
        for (name, value) in fill_object(schema, seed, false) {
            object.entry(name).or_insert(value);
        }
    }
    object.remove("_links");
    object
}

/// The declared properties of every schema `kind` is shown as.
pub fn kind_properties(kind: &crate::kinds::Kind) -> Vec<(&'static str, &'static Value)> {
    kind.schemas
        .iter()
        .filter_map(|name| component(name))
        .flat_map(properties)
        .collect()
}
