//! Front's OpenAPI spec as JSON Schema, to check answers against it: the catalogue's spec test,
//! the simulator's contract test and the hub's end-to-end tests use it.
//!
//! The spec is read from `FRONT_OPENAPI` when it is set (Front's full `core-api.json`), else from
//! the facts committed beside this crate (`data/front-core-api.facts.json`: the spec's structure
//! without its prose, made by `scripts/derive-front-facts.py`), so that a fresh clone tests itself.
//!
//! The spec is OpenAPI 3.0, whose schemas are close to, but not, JSON Schema: [`convert`]
//! turns them into JSON Schema 2020-12 (`nullable` becomes a union with `null`, `$ref`s point
//! into `$defs`, annotations are dropped). Two quirks of the spec would fail any faithful
//! response; each has a narrow, explained allowance below.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

/// Where the spec is read from: `FRONT_OPENAPI`, else the committed facts.
pub fn spec_path() -> PathBuf {
    std::env::var_os("FRONT_OPENAPI").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/front-core-api.facts.json"),
        PathBuf::from,
    )
}

pub fn load_spec() -> Value {
    let path = spec_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "Front's OpenAPI spec could not be read at {} ({error}); unset FRONT_OPENAPI to use \
             the committed facts, or point it at core-api.json",
            path.display()
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

/// Spec quirk 1 (reference/front-api.md §1.1 item 17): these schemas list in `required` a
/// field that their `properties` never declare, and that Front's responses do not carry.
/// Each pair is removed from `required` — only these two — and the test fails if the spec
/// stops having the quirk, so that the allowance is removed with it.
const UNDECLARED_REQUIRED: &[(&str, &str)] = &[
    ("TeammateResponse", "license_type"),
    ("ContactNoteResponses", "is_private"),
];

/// Spec quirk 2: `EventResponse.source.data` and `.target.data` are `oneOf` lists whose
/// alternatives overlap — `InboxResponse` and `MessageResponse` require nothing and accept
/// any other property, so every object matches them as well as its real type, and no
/// event could ever match exactly one alternative. These two (and only these) are checked as
/// `anyOf`: the data must still be a valid teammate, tag, comment, message, inbox, etc.
const OVERLAPPING_ONE_OF: &[&str] = &["source", "target"];

/// OpenAPI 3.0 schemas converted to JSON Schema, ready to build validators from.
pub struct SchemaBook {
    components: Map<String, Value>,
}

impl SchemaBook {
    pub fn new(spec: &Value) -> SchemaBook {
        let mut raw = spec["components"]["schemas"]
            .as_object()
            .expect("the spec has components.schemas")
            .clone();
        for (schema, field) in UNDECLARED_REQUIRED {
            let required = raw[*schema]["required"].as_array_mut().unwrap_or_else(|| {
                panic!("{schema} has no `required` any more: remove its allowance")
            });
            let before = required.len();
            required.retain(|name| name != field);
            assert_eq!(
                before - 1,
                required.len(),
                "{schema}.required no longer lists {field}: remove its allowance"
            );
            assert!(
                raw[*schema]["properties"].get(field).is_none(),
                "{schema} now declares {field}: remove its allowance"
            );
        }
        for part in OVERLAPPING_ONE_OF {
            let data = &mut raw["EventResponse"]["properties"][*part]["properties"]["data"];
            let alternatives = data
                .as_object_mut()
                .and_then(|d| d.remove("oneOf"))
                .unwrap_or_else(|| {
                    panic!("EventResponse.{part}.data has no oneOf any more: remove its allowance")
                });
            data["anyOf"] = alternatives;
        }
        let components = raw
            .iter()
            .map(|(name, schema)| (name.clone(), convert(schema)))
            .collect();
        SchemaBook { components }
    }

    /// A validator for one converted schema, with the components it refers to as `$defs`.
    pub fn validator(&self, schema: &Value) -> jsonschema::Validator {
        let root = convert(schema);
        let mut defs = Map::new();
        let mut pending = Vec::new();
        collect_refs(&root, &mut pending);
        while let Some(name) = pending.pop() {
            if defs.contains_key(&name) {
                continue;
            }
            let def = self
                .components
                .get(&name)
                .unwrap_or_else(|| panic!("the spec refers to a missing schema {name}"))
                .clone();
            check_required_declared(&name, &def);
            collect_refs(&def, &mut pending);
            defs.insert(name, def);
        }
        let mut root = match root {
            Value::Object(map) => map,
            other => panic!("a response schema is not an object: {other}"),
        };
        root.insert("$defs".into(), Value::Object(defs));
        jsonschema::draft202012::new(&Value::Object(root))
            .unwrap_or_else(|error| panic!("a converted schema does not compile: {error}"))
    }
}

/// Every other schema in use must declare what it requires, or the quirk list is incomplete.
fn check_required_declared(name: &str, schema: &Value) {
    let (Some(required), Some(properties)) = (
        schema["required"].as_array(),
        schema["properties"].as_object(),
    ) else {
        return;
    };
    for field in required.iter().filter_map(Value::as_str) {
        assert!(
            properties.contains_key(field),
            "{name} requires the undeclared field {field}: a new spec quirk to decide on"
        );
    }
}

fn collect_refs(schema: &Value, into: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => {
                        if let Some(name) = reference.strip_prefix("#/$defs/") {
                            into.push(name.to_owned());
                        }
                    }
                    _ => collect_refs(value, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, into)),
        _ => {}
    }
}

/// One OpenAPI 3.0 schema as JSON Schema 2020-12.
pub fn convert(schema: &Value) -> Value {
    let map = match schema {
        Value::Object(map) => map,
        // `allOf`, `anyOf`, `oneOf` and tuple `items` hold lists of schemas.
        Value::Array(items) => return items.iter().map(convert).collect(),
        literal => return literal.clone(),
    };
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            // Annotations and OpenAPI-only keywords; `nullable` is applied below.
            "nullable" | "example" | "deprecated" | "discriminator" | "xml" | "externalDocs"
            | "readOnly" | "writeOnly" => {}
            key if key.starts_with("x-") => {}
            "$ref" => {
                let reference = value.as_str().unwrap_or_default();
                let name = reference
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
                out.insert(key.clone(), json!(format!("#/$defs/{name}")));
            }
            "properties" => {
                let properties = value
                    .as_object()
                    .map(|p| p.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(properties));
            }
            // Literal values, not schemas.
            "enum" | "default" | "required" | "const" => {
                out.insert(key.clone(), value.clone());
            }
            _ => {
                out.insert(key.clone(), convert(value));
            }
        }
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        match out.get("type").and_then(Value::as_str).map(str::to_owned) {
            Some(ty) => {
                out.insert("type".into(), json!([ty, "null"]));
                if let Some(Value::Array(allowed)) = out.get_mut("enum") {
                    allowed.push(Value::Null);
                }
            }
            None => return json!({ "anyOf": [Value::Object(out), { "type": "null" }] }),
        }
    }
    Value::Object(out)
}

/// The documented success status of an operation and the schema of its body (`None`: no
/// body), following `$ref`s into `components.responses`.
pub fn success_response<'s>(
    spec: &'s Value,
    method: &str,
    template: &str,
) -> (u16, Option<&'s Value>) {
    let operation = &spec["paths"][template][method.to_lowercase()];
    let responses = operation["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {template} is not in the spec"));
    let codes: Vec<&String> = responses.keys().filter(|c| c.starts_with('2')).collect();
    assert_eq!(
        codes.len(),
        1,
        "{method} {template}: expected one documented success code"
    );
    let mut response = &responses[codes[0]];
    if let Some(reference) = response["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/responses/");
        response = &spec["components"]["responses"][name];
    }
    (
        codes[0]
            .parse()
            .unwrap_or_else(|_| panic!("status {}", codes[0])),
        response["content"]["application/json"].get("schema"),
    )
}

/// Checks what `/actions/rpc` answers as `data` for an operation against the spec's success
/// response: a list's item schema for lists, `null` for answers without a body.
pub struct AnswerShapes {
    spec: Value,
    book: SchemaBook,
}

impl Default for AnswerShapes {
    fn default() -> AnswerShapes {
        let spec = load_spec();
        let book = SchemaBook::new(&spec);
        AnswerShapes { spec, book }
    }
}

impl AnswerShapes {
    /// Panics, naming `what` and the first problems, when `data` is not what the spec says
    /// `method template` answers.
    pub fn check(&self, what: &str, method: &str, template: &str, data: &Value) {
        let (_, schema) = success_response(&self.spec, method, template);
        let Some(schema) = schema else {
            assert_eq!(data, &Value::Null, "{what}: no body, so data is null");
            return;
        };
        let resolved = match schema["$ref"].as_str() {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/schemas/");
                self.spec["components"]["schemas"][name].clone()
            }
            None => schema.clone(),
        };
        let expected = match resolved["properties"].get("_results") {
            Some(results) => results.clone(),
            None => schema.clone(),
        };
        let validator = self.book.validator(&expected);
        let problems: Vec<String> = validator
            .iter_errors(data)
            .take(5)
            .map(|e| format!("at {}: {e}", e.instance_path()))
            .collect();
        assert!(
            problems.is_empty(),
            "{what}: {}\n{data}",
            problems.join("\n")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conversion_turns_nullable_into_unions() {
        assert_eq!(
            convert(&json!({"type": "string", "nullable": true, "enum": ["a"], "example": "a"})),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        assert_eq!(
            convert(&json!({"$ref": "#/components/schemas/X", "nullable": true})),
            json!({"anyOf": [{"$ref": "#/$defs/X"}, {"type": "null"}]})
        );
        assert_eq!(
            convert(
                &json!({"type": "object", "properties": {"example": {"type": "integer", "example": 1}}})
            ),
            json!({"type": "object", "properties": {"example": {"type": "integer"}}})
        );
    }

    #[test]
    fn the_allowances_are_narrow_and_validation_still_bites() {
        let spec = load_spec();
        let book = SchemaBook::new(&spec);
        let teammate = book.validator(&json!({"$ref": "#/components/schemas/TeammateResponse"}));
        let valid = json!({
            "_links": {"self": "http://x/teammates/tea_1"}, "id": "tea_1", "email": "a@b.c",
            "username": "a", "first_name": "A", "last_name": "B", "is_admin": false,
            "is_available": true, "is_blocked": false, "type": "user", "custom_fields": {}
        });
        assert!(
            teammate.is_valid(&valid),
            "license_type is allowed to be missing"
        );
        let mut no_email = valid.clone();
        no_email.as_object_mut().map(|t| t.remove("email"));
        assert!(
            !teammate.is_valid(&no_email),
            "other required fields still are"
        );
        let mut bad_type = valid.clone();
        bad_type["type"] = json!("robot");
        assert!(!teammate.is_valid(&bad_type), "enums still hold");

        let event = book.validator(&json!({"$ref": "#/components/schemas/EventResponse"}));
        let tag = json!({
            "_links": {"self": "http://x/tags/tag_1"}, "id": "tag_1", "name": "VIP",
            "description": null, "highlight": null, "is_private": false,
            "is_visible_in_conversation_lists": true
        });
        assert!(event.is_valid(
            &json!({"id": "evt_1", "type": "tag", "target": {"_meta": {"type": "tag"}, "data": tag}})
        ));
        assert!(!event.is_valid(&json!({"id": "evt_1", "type": "tag", "target": {"_meta": {"type": "tag"}, "data": {"id": 7}}})));
        assert!(!event.is_valid(&json!({"id": "evt_1", "type": "nap"})));
    }
}
