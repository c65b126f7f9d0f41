//! Input schemas in StackOne's three parameter styles, and validation of inputs against them.
//!
//! Every style describes the same inputs. Validation always happens on the nested form
//! (`{path:{…}, query:{…}, body:{…}}`); flat inputs are first mapped to it, and the JSON
//! pointers of any violation are mapped back so that they name the field the caller sent.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use indexmap::IndexMap;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::{Map, Value, json};

use crate::definition::{Action, Field, FieldType};
use crate::echo::echo;
use crate::path_value::PathRule;

/// The JSON Schema dialect of every generated schema.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// The query field through which a caller passes back the cursor of a previous page
/// (StackOne's convention). It is added to every action whose provider operation pages.
pub const NEXT_CURSOR_FIELD: &str = "next";

/// The provider's page token parameter; an action that has it is paginated.
const PAGE_TOKEN_FIELD: &str = "page_token";

/// How an action's inputs are laid out, as StackOne's `param-style` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamStyle {
    /// `{path:{id}, query:{limit}, body:{…}}`
    Nested,
    /// `{path_id, query_limit, body_…}`
    FlatPrefixed,
    /// Flat, with the location prefix only where two locations share a name.
    FlatSmart,
}

impl ParamStyle {
    pub const ALL: [ParamStyle; 3] = [
        ParamStyle::Nested,
        ParamStyle::FlatPrefixed,
        ParamStyle::FlatSmart,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ParamStyle::Nested => "nested",
            ParamStyle::FlatPrefixed => "flat_prefixed",
            ParamStyle::FlatSmart => "flat_smart",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ParamStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ParamStyle {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ParamStyle::ALL
            .into_iter()
            .find(|style| style.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown parameter style `{s}`; expected nested, flat_prefixed or flat_smart"
                )
            })
    }
}

/// Where an input goes in the provider request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    Path,
    Query,
    Body,
}

impl Location {
    pub const ALL: [Location; 3] = [Location::Path, Location::Query, Location::Body];

    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Body => "body",
        }
    }
}

/// One reason an input was refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// JSON pointer to the offending value, in the caller's parameter style.
    pub pointer: String,
    /// Plain-English reason.
    pub reason: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "(input)"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {}", self.reason)
    }
}

/// Every violation found in one input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct InvalidInput {
    pub violations: Vec<Violation>,
}

/// What the loader derives from an action's declared inputs.
#[derive(Clone, Default)]
pub(crate) struct Compiled {
    schemas: [Value; 3],
    validator: Option<Arc<jsonschema::Validator>>,
    /// Flat name → (location, field) for each flat style.
    flat_names: [HashMap<String, (Location, String)>; 2],
    /// What each path parameter accepts, resolved from the connector's resources.
    path_rules: IndexMap<String, PathRule>,
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled").finish_non_exhaustive()
    }
}

impl Action {
    /// The declared fields of one location.
    pub fn fields(&self, location: Location) -> &IndexMap<String, Field> {
        match location {
            Location::Path => &self.inputs.path,
            Location::Query => &self.inputs.query,
            Location::Body => &self.inputs.body,
        }
    }

    /// Whether the provider answers this action with pages (it takes a page token).
    pub fn is_paginated(&self) -> bool {
        self.inputs.query.contains_key(PAGE_TOKEN_FIELD)
    }

    /// The input JSON Schema (draft 2020-12) in the given style.
    pub fn input_schema(&self, style: ParamStyle) -> &Value {
        &self.compiled.schemas[style.index()]
    }

    /// Checks an input given in `style` and returns it in nested form, with absent, `null`
    /// and empty locations removed. Every violation is reported, with pointers in `style`.
    pub fn validate_input(&self, style: ParamStyle, input: &Value) -> Result<Value, InvalidInput> {
        let nested = self.to_nested(style, input)?;
        let validator = self
            .compiled
            .validator
            .as_ref()
            .expect("the loader compiles every action");
        // Validate with every declared location present so that a missing required field is
        // reported by its own name rather than as a missing location object.
        let mut complete = nested.clone();
        if let Value::Object(map) = &mut complete {
            for location in Location::ALL {
                if !self.fields(location).is_empty() {
                    map.entry(location.as_str())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
            }
        }
        let mut violations: Vec<Violation> = validator
            .iter_errors(&complete)
            .flat_map(|error| describe(self.input_schema(ParamStyle::Nested), &error))
            .collect();
        // What JSON Schema cannot say: no NUL anywhere, and path parameters that stay one
        // segment of the action's own route. One reason per value is enough.
        let mut nul = Vec::new();
        find_nul(&complete, &mut String::new(), &mut nul);
        for violation in nul {
            if !violations.iter().any(|v| v.pointer == violation.pointer) {
                violations.push(violation);
            }
        }
        // A file's base64 must decode (its length is bounded by the schema).
        if let Some(body) = location_object(&complete, Location::Body) {
            for (name, field) in self.fields(Location::Body) {
                let files: Vec<(String, &Value)> = match (field.ty, body.get(name)) {
                    (FieldType::File, Some(file)) => vec![(String::new(), file)],
                    (FieldType::Array, Some(Value::Array(items))) if field.takes_files() => items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| (format!("/{i}"), item))
                        .collect(),
                    _ => Vec::new(),
                };
                for (index, file) in files {
                    let pointer = format!("/body/{}{index}", escape_pointer(name));
                    if violations.iter().any(|v| v.pointer.starts_with(&pointer)) {
                        continue;
                    }
                    if let Err(reason) = crate::FileInput::from_value(file) {
                        violations.push(Violation { pointer, reason });
                    }
                }
            }
        }
        if let Some(path) = location_object(&complete, Location::Path) {
            for (name, rule) in &self.compiled.path_rules {
                let pointer = format!("/path/{}", escape_pointer(name));
                let Some(Value::String(value)) = path.get(name) else {
                    continue;
                };
                if violations.iter().any(|v| v.pointer == pointer) {
                    continue;
                }
                if let Err(reason) = rule.check(value) {
                    violations.push(Violation { pointer, reason });
                }
            }
        }
        if violations.is_empty() {
            Ok(nested)
        } else {
            for violation in &mut violations {
                violation.pointer = self.restyle_pointer(style, &violation.pointer);
            }
            Err(InvalidInput { violations })
        }
    }

    fn to_nested(&self, style: ParamStyle, input: &Value) -> Result<Value, InvalidInput> {
        let Value::Object(given) = input else {
            return Err(InvalidInput {
                violations: vec![Violation {
                    pointer: String::new(),
                    reason: format!("must be a JSON object, got {}", json_type(input)),
                }],
            });
        };
        let mut nested = Map::new();
        match style {
            ParamStyle::Nested => {
                for (key, value) in given {
                    let empty_location = Location::ALL.iter().any(|l| l.as_str() == key)
                        && (value.is_null() || value.as_object().is_some_and(Map::is_empty));
                    if !empty_location {
                        nested.insert(key.clone(), value.clone());
                    }
                }
            }
            ParamStyle::FlatPrefixed | ParamStyle::FlatSmart => {
                let names = &self.compiled.flat_names[style.index() - 1];
                for (key, value) in given {
                    match names.get(key) {
                        Some((location, field)) => {
                            nested
                                .entry(location.as_str())
                                .or_insert_with(|| Value::Object(Map::new()))
                                .as_object_mut()
                                .expect("locations are objects")
                                .insert(field.clone(), value.clone());
                        }
                        // Left at the top level, where the schema refuses it by name.
                        None => {
                            nested.insert(key.clone(), value.clone());
                        }
                    }
                }
            }
        }
        Ok(Value::Object(nested))
    }

    /// Maps a pointer into the nested form to the same place in `style`.
    fn restyle_pointer(&self, style: ParamStyle, nested_pointer: &str) -> String {
        if style == ParamStyle::Nested {
            return nested_pointer.to_owned();
        }
        let mut parts = nested_pointer.splitn(4, '/').skip(1);
        let (Some(location), Some(field)) = (parts.next(), parts.next()) else {
            return nested_pointer.to_owned();
        };
        let rest = parts.next().map(|r| format!("/{r}")).unwrap_or_default();
        let field = unescape_pointer(field);
        let names = &self.compiled.flat_names[style.index() - 1];
        names
            .iter()
            .find(|(_, (l, f))| l.as_str() == location && *f == field)
            .map(|(flat, _)| format!("/{}{rest}", escape_pointer(flat)))
            .unwrap_or_else(|| nested_pointer.to_owned())
    }
}

/// Derives the schemas and validator of an action. Fails with a reason if the generated
/// schema does not compile (which would be a bug in a definition, reported by the loader).
pub(crate) fn compile(
    action: &Action,
    path_rules: IndexMap<String, PathRule>,
) -> Result<Compiled, String> {
    let locations: Vec<(Location, IndexMap<String, Value>, Vec<String>)> = Location::ALL
        .into_iter()
        .map(|location| {
            let mut properties: IndexMap<String, Value> = action
                .fields(location)
                .iter()
                .map(|(name, field)| (name.clone(), field_schema(field)))
                .collect();
            if location == Location::Query && action.is_paginated() {
                properties.insert(
                    NEXT_CURSOR_FIELD.to_owned(),
                    json!({
                        "type": "string",
                        "description": "Cursor returned as `next` by the previous call; pass it back to get the following page."
                    }),
                );
            }
            let required = action
                .fields(location)
                .iter()
                .filter(|(_, field)| field.required)
                .map(|(name, _)| name.clone())
                .collect();
            (location, properties, required)
        })
        .filter(|(_, properties, _)| !properties.is_empty())
        .collect();

    let nested_properties: Map<String, Value> = locations
        .iter()
        .map(|(location, properties, required)| {
            (
                location.as_str().to_owned(),
                object_schema(properties, required),
            )
        })
        .collect();
    let nested_required: Vec<&str> = locations
        .iter()
        .filter(|(_, _, required)| !required.is_empty())
        .map(|(location, _, _)| location.as_str())
        .collect();
    let nested = root_schema(&action.description, nested_properties, nested_required);

    let mut shared_name_count: HashMap<&str, usize> = HashMap::new();
    for (_, properties, _) in &locations {
        for name in properties.keys() {
            *shared_name_count.entry(name).or_default() += 1;
        }
    }
    let flat = |prefix_always: bool| {
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut names = HashMap::new();
        for (location, fields, location_required) in &locations {
            for (name, schema) in fields {
                let flat_name = if prefix_always || shared_name_count[name.as_str()] > 1 {
                    format!("{}_{name}", location.as_str())
                } else {
                    name.clone()
                };
                if location_required.contains(name) {
                    required.push(flat_name.clone());
                }
                properties.insert(flat_name.clone(), schema.clone());
                names.insert(flat_name, (*location, name.clone()));
            }
        }
        (
            root_schema(&action.description, properties, required),
            names,
        )
    };
    let (flat_prefixed, prefixed_names) = flat(true);
    let (flat_smart, smart_names) = flat(false);

    let validator = jsonschema::draft202012::new(&nested)
        .map_err(|error| format!("generated schema does not compile: {error}"))?;
    Ok(Compiled {
        schemas: [nested, flat_prefixed, flat_smart],
        validator: Some(Arc::new(validator)),
        flat_names: [prefixed_names, smart_names],
        path_rules,
    })
}

fn root_schema(
    description: &str,
    properties: Map<String, Value>,
    required: Vec<impl Into<String>>,
) -> Value {
    let required: Vec<String> = required.into_iter().map(Into::into).collect();
    let mut schema = json!({
        "$schema": DRAFT_2020_12,
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

fn object_schema(properties: &IndexMap<String, Value>, required: &[String]) -> Value {
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

/// The JSON Schema of one declared field.
fn field_schema(field: &Field) -> Value {
    if field.ty == FieldType::File {
        return crate::file_input::schema(field.description.as_deref());
    }
    let mut schema = Map::new();
    let ty = field.ty.as_str();
    schema.insert(
        "type".into(),
        if field.nullable {
            json!([ty, "null"])
        } else {
            json!(ty)
        },
    );
    if let Some(description) = &field.description {
        schema.insert("description".into(), json!(description));
    }
    if let Some(format) = &field.format {
        schema.insert("format".into(), json!(format));
    }
    if let Some(allowed) = &field.allowed {
        let mut allowed = allowed.clone();
        if field.nullable {
            allowed.push(Value::Null);
        }
        schema.insert("enum".into(), Value::Array(allowed));
    }
    if let Some(default) = &field.default {
        schema.insert("default".into(), default.clone());
    }
    if let Some(minimum) = &field.minimum {
        schema.insert("minimum".into(), Value::Number(minimum.clone()));
    }
    if let Some(maximum) = &field.maximum {
        schema.insert("maximum".into(), Value::Number(maximum.clone()));
    }
    if let Some(max_length) = field.max_length {
        schema.insert("maxLength".into(), json!(max_length));
    }
    if let Some(max_items) = field.max_items {
        schema.insert("maxItems".into(), json!(max_items));
    }
    if let Some(items) = &field.items {
        schema.insert("items".into(), field_schema(items));
    }
    if field.ty == FieldType::Object
        && let Some(properties) = &field.properties
    {
        let required: Vec<&String> = properties
            .iter()
            .filter(|(_, f)| f.required)
            .map(|(name, _)| name)
            .collect();
        let properties: Map<String, Value> = properties
            .iter()
            .map(|(name, f)| (name.clone(), field_schema(f)))
            .collect();
        schema.insert("properties".into(), Value::Object(properties));
        schema.insert("additionalProperties".into(), json!(false));
        if !required.is_empty() {
            schema.insert("required".into(), json!(required));
        }
    }
    if let Some(example) = &field.example {
        schema.insert("examples".into(), json!([example]));
    }
    Value::Object(schema)
}

/// Turns one validator error into plain-English violations that point at the field at fault.
fn describe(schema: &Value, error: &jsonschema::ValidationError<'_>) -> Vec<Violation> {
    let at = error.instance_path().as_str().to_owned();
    let got = error.instance();
    let one = |pointer: String, reason: String| vec![Violation { pointer, reason }];
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            one(
                format!("{at}/{}", escape_pointer(name)),
                "is required".into(),
            )
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known = known_properties(schema, error.schema_path().as_str());
            unexpected
                .iter()
                .map(|name| Violation {
                    pointer: format!("{at}/{}", escape_pointer(&echo(name))),
                    reason: if known.is_empty() {
                        "is not accepted here: this takes no fields".into()
                    } else {
                        format!(
                            "is not a known field; expected one of: {}",
                            known.join(", ")
                        )
                    },
                })
                .collect()
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(ty) => ty.to_string(),
                TypeKind::Multiple(types) => types
                    .iter()
                    .map(|ty| ty.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            one(
                at,
                format!(
                    "must be {} {expected}, got {}",
                    article(&expected),
                    json_type(got)
                ),
            )
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|values| values.iter().map(ToString::to_string).collect())
                .unwrap_or_default();
            one(
                at,
                format!(
                    "must be one of {}, got {}",
                    options.join(", "),
                    echo(&got.to_string())
                ),
            )
        }
        ValidationErrorKind::Maximum { limit } => {
            one(at, format!("must be at most {limit}, got {got}"))
        }
        ValidationErrorKind::Minimum { limit } => {
            one(at, format!("must be at least {limit}, got {got}"))
        }
        ValidationErrorKind::MaxLength { limit } => {
            one(at, format!("must be at most {limit} characters long"))
        }
        ValidationErrorKind::MaxItems { limit } => {
            one(at, format!("must have at most {limit} items"))
        }
        // Other keywords' own messages may quote the value; never repeat much of it.
        _ => one(at, echo(&error.to_string()).into_owned()),
    }
}

/// The property names declared beside the `additionalProperties` keyword that failed.
fn known_properties(schema: &Value, keyword_path: &str) -> Vec<String> {
    let parent = keyword_path
        .strip_suffix("/additionalProperties")
        .unwrap_or(keyword_path);
    schema
        .pointer(parent)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn location_object(input: &Value, location: Location) -> Option<&Map<String, Value>> {
    input.get(location.as_str()).and_then(Value::as_object)
}

/// Reports every string, and every field name, holding U+0000: PostgreSQL cannot store it and
/// Front has no use for it. `at` is the JSON pointer of `value`.
fn find_nul(value: &Value, at: &mut String, found: &mut Vec<Violation>) {
    match value {
        Value::String(text) if text.contains('\0') => found.push(Violation {
            pointer: at.clone(),
            reason: "must not contain the NUL character (U+0000)".into(),
        }),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{index}"));
                find_nul(item, at, found);
                at.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (name, field) in fields {
                let len = at.len();
                at.push('/');
                at.push_str(&escape_pointer(&echo(name)));
                if name.contains('\0') {
                    found.push(Violation {
                        pointer: at.clone(),
                        reason: "is a field name with the NUL character (U+0000)".into(),
                    });
                } else {
                    find_nul(field, at, found);
                }
                at.truncate(len);
            }
        }
        _ => {}
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape_pointer(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}
