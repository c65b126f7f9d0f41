//! The API reference page (`/docs/api`): an OpenAPI 3.1 document made readable, with no script.
//! JSON blocks scroll, so they take keyboard focus (`tabindex="0"`) to be scrolled without a
//! pointer.
//!
//! It reads the document as JSON (the very bytes `/openapi.json` serves), so it knows nothing
//! of how the document is built. Operations are grouped by their first tag, in the document's
//! tag order; schemas are shown as JSON, each operation listing and linking the named schemas
//! it uses.

use std::collections::BTreeSet;

use maud::{Markup, html};
use serde_json::Value;

use crate::layout::page;

/// The methods an OpenAPI path item may hold, in the order they are shown.
const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

/// Where OpenAPI references point to a named schema.
const SCHEMA_REF: &str = "#/components/schemas/";

/// One operation of the document.
struct Operation<'a> {
    method: &'static str,
    path: &'a str,
    operation: &'a Value,
}

impl Operation<'_> {
    fn anchor(&self) -> String {
        let id = self.operation["operationId"].as_str().unwrap_or_default();
        format!("op-{}", slug(id))
    }

    fn summary(&self) -> &str {
        self.operation["summary"].as_str().unwrap_or_default()
    }
}

/// The reference page of `document` (an OpenAPI 3.x document as JSON).
pub fn api_reference(document: &Value) -> Markup {
    let info = &document["info"];
    let title = info["title"].as_str().unwrap_or("API");
    let operations = operations(document);
    let groups = groups(document, &operations);
    let security_schemes = document["components"]["securitySchemes"].as_object();
    page(
        "API reference",
        &[],
        html! {
            h1 { (title) " API reference" }
            p class="lead" {
                "Generated from this hub's "
                a href="/openapi.json" { "OpenAPI document" }
                " (OpenAPI " (document["openapi"].as_str().unwrap_or("3")) ")."
            }
            @if let Some(description) = info["description"].as_str() {
                (paragraphs(description))
            }
            @if let Some(schemes) = security_schemes {
                h2 { "Authentication" }
                dl {
                    @for (name, scheme) in schemes {
                        dt { code { (name) } }
                        dd { (inline(&scheme_text(scheme))) }
                    }
                }
            }
            nav aria-labelledby="contents" {
                h2 id="contents" { "Contents" }
                @for (tag, members) in &groups {
                    h3 { a href={ "#tag-" (slug(&tag.name)) } { (tag.name) } }
                    ul {
                        @for operation in members {
                            li {
                                a href={ "#" (operation.anchor()) } {
                                    code { (operation.method.to_uppercase()) " " (operation.path) }
                                }
                                " " (operation.summary())
                            }
                        }
                    }
                }
            }
            @for (tag, members) in &groups {
                section aria-labelledby={ "tag-" (slug(&tag.name)) } {
                    h2 id={ "tag-" (slug(&tag.name)) } { (tag.name) }
                    @if let Some(description) = tag.description {
                        (paragraphs(description))
                    }
                    @for operation in members {
                        (operation_section(operation))
                    }
                }
            }
            @if let Some(schemas) = document["components"]["schemas"].as_object() {
                section aria-labelledby="schemas" {
                    h2 id="schemas" { "Schemas" }
                    @for (name, schema) in schemas {
                        h3 id={ "schema-" (slug(name)) } { code { (name) } }
                        @if let Some(description) = schema["description"].as_str() {
                            (paragraphs(description))
                        }
                        pre class="reference-json" tabindex="0" { code { (pretty(schema)) } }
                    }
                }
            }
        },
    )
}

/// A tag of the document: its name and description.
struct Tag<'a> {
    name: String,
    description: Option<&'a str>,
}

/// Every operation, in the document's path order.
fn operations(document: &Value) -> Vec<Operation<'_>> {
    let Some(paths) = document["paths"].as_object() else {
        return Vec::new();
    };
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(move |method| {
                item.get(*method).map(|operation| Operation {
                    method,
                    path,
                    operation,
                })
            })
        })
        .collect()
}

/// The operations by first tag: the document's tags in order, then tags it does not list, then
/// the untagged operations under "Other".
fn groups<'a, 'd>(
    document: &'d Value,
    operations: &'a [Operation<'d>],
) -> Vec<(Tag<'d>, Vec<&'a Operation<'d>>)> {
    let first_tag = |operation: &Operation<'_>| {
        operation.operation["tags"][0]
            .as_str()
            .unwrap_or("Other")
            .to_owned()
    };
    let mut tags: Vec<Tag<'d>> = document["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tag| {
            Some(Tag {
                name: tag["name"].as_str()?.to_owned(),
                description: tag["description"].as_str(),
            })
        })
        .collect();
    for operation in operations {
        let name = first_tag(operation);
        if !tags.iter().any(|tag| tag.name == name) {
            tags.push(Tag {
                name,
                description: None,
            });
        }
    }
    tags.into_iter()
        .map(|tag| {
            let members: Vec<&Operation<'_>> = operations
                .iter()
                .filter(|operation| first_tag(operation) == tag.name)
                .collect();
            (tag, members)
        })
        .filter(|(_, members)| !members.is_empty())
        .collect()
}

fn operation_section(operation: &Operation<'_>) -> Markup {
    let op = operation.operation;
    let parameters = op["parameters"].as_array();
    let mut schemas = BTreeSet::new();
    referenced_schemas(op, &mut schemas);
    html! {
        article class="panel reference-operation" aria-labelledby=(operation.anchor()) {
            h3 id=(operation.anchor()) {
                span class="badge" { (operation.method.to_uppercase()) }
                " " code { (operation.path) }
            }
            p { strong { (operation.summary()) } }
            @if let Some(description) = op["description"].as_str() {
                (paragraphs(description))
            }
            p class="muted" {
                "Operation id " code { (op["operationId"].as_str().unwrap_or_default()) }
                " · Authentication: " (security_text(op))
            }
            @if let Some(parameters) = parameters.filter(|p| !p.is_empty()) {
                h4 { "Parameters" }
                div class="table-wrap" {
                    table {
                        thead { tr { th scope="col" { "Name" } th scope="col" { "In" } th scope="col" { "Type" } th scope="col" { "Description" } } }
                        tbody {
                            @for parameter in parameters {
                                tr {
                                    td {
                                        code { (parameter["name"].as_str().unwrap_or_default()) }
                                        @if parameter["required"].as_bool() == Some(true) { " (required)" }
                                    }
                                    td { (parameter["in"].as_str().unwrap_or_default()) }
                                    td { code { (type_text(&parameter["schema"])) } }
                                    td {
                                        (inline(parameter["description"].as_str().unwrap_or_default()))
                                        @if let Some(example) = parameter.get("example") {
                                            " Example: " code { (compact(example)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(body) = op.get("requestBody") {
                h4 { "Request body" @if body["required"].as_bool() == Some(true) { " (required)" } }
                @if let Some(description) = body["description"].as_str() {
                    (paragraphs(description))
                }
                (contents(&body["content"]))
            }
            h4 { "Responses" }
            @if let Some(responses) = op["responses"].as_object() {
                dl class="reference-responses" {
                    @for (status, response) in responses {
                        dt { code { (status) } " " (inline(response["description"].as_str().unwrap_or_default())) }
                        dd { (contents(&response["content"])) }
                    }
                }
            }
            @if !schemas.is_empty() {
                p class="muted" {
                    "Schemas: "
                    @for (index, name) in schemas.iter().enumerate() {
                        @if index > 0 { ", " }
                        a href={ "#schema-" (slug(name)) } { code { (name) } }
                    }
                }
            }
        }
    }
}

/// A body's media types, each with its schema and example.
fn contents(content: &Value) -> Markup {
    let Some(media) = content.as_object() else {
        return html! {};
    };
    html! {
        @for (media_type, entry) in media {
            p { "Content type " code { (media_type) } }
            @if let Some(schema) = entry.get("schema") {
                details {
                    summary { "Schema " code { (type_text(schema)) } }
                    pre class="reference-json" tabindex="0" { code { (pretty(schema)) } }
                }
            }
            @if let Some(example) = entry.get("example").or_else(|| entry["schema"].get("example")) {
                p { "Example:" }
                pre class="reference-json" tabindex="0" { code { (pretty(example)) } }
            }
        }
    }
}

/// How an operation authenticates, from its `security` requirements.
fn security_text(operation: &Value) -> String {
    let names: Vec<&str> = operation["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys().map(String::as_str))
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(" or ")
    }
}

fn scheme_text(scheme: &Value) -> String {
    let kind = match (scheme["type"].as_str(), scheme["scheme"].as_str()) {
        (Some("http"), Some(http)) => format!("HTTP {http}"),
        (Some("apiKey"), _) => format!(
            "the {} {}",
            scheme["name"].as_str().unwrap_or_default(),
            scheme["in"].as_str().unwrap_or_default()
        ),
        (Some(other), _) => other.to_owned(),
        (None, _) => String::new(),
    };
    match scheme["description"].as_str() {
        Some(description) => format!("{kind}: {description}"),
        None => kind,
    }
}

/// A schema's type in a few characters: a named schema, a type, or an array of one.
fn type_text(schema: &Value) -> String {
    if let Some(name) = schema["$ref"].as_str() {
        return name.trim_start_matches(SCHEMA_REF).to_owned();
    }
    match &schema["type"] {
        Value::String(kind) if kind == "array" => {
            format!("array of {}", type_text(&schema["items"]))
        }
        Value::String(kind) => kind.clone(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ if schema.get("allOf").is_some() || schema.get("oneOf").is_some() => "object".to_owned(),
        _ => "any".to_owned(),
    }
}

/// The named schemas a part of the document refers to.
fn referenced_schemas(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(SCHEMA_REF))
            {
                found.insert(name.to_owned());
            }
            map.values().for_each(|v| referenced_schemas(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| referenced_schemas(v, found)),
        _ => {}
    }
}

/// Text with blank-line-separated paragraphs.
fn paragraphs(text: &str) -> Markup {
    html! {
        @for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            p { (inline(paragraph)) }
        }
    }
}

/// Text whose spans in backticks are code, as the document's descriptions write them.
fn inline(text: &str) -> Markup {
    html! {
        @for (index, piece) in text.split('`').enumerate() {
            @if index % 2 == 1 { code { (piece) } } @else { (piece) }
        }
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// An anchor-safe form of a name: letters, digits and `-`.
fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
