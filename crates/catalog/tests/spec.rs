//! Every action must match Front's own OpenAPI contract (`core-api.json`): operation, scopes,
//! path parameters, and the type of every query and body field it declares.
//!
//! The spec is read from `FRONT_OPENAPI`, else from the facts committed in the test kit (see
//! `actionhub_testkit::front_spec`).

use std::sync::OnceLock;

use actionhub_catalog::{Action, Catalog, Field, FieldType, Location};
use serde_json::Value;

/// Body fields Front takes only as `multipart/form-data` uploads: declared as files
/// (`"type": "file"`, or a list of them), which the engine sends in a form.
const MULTIPART_ONLY: [&str; 2] = ["attachments", "avatar"];

/// A file field: one of [`MULTIPART_ONLY`], a file where the spec has a binary string and a
/// list of files where it has a list of them.
fn assert_file_matches(at: &str, name: &str, ours: &Field, theirs: &'static Value) {
    assert!(
        MULTIPART_ONLY.contains(&name),
        "{at}: only {MULTIPART_ONLY:?} are files"
    );
    let binary = |schema: &'static Value| {
        let schema = resolve(schema);
        schema["type"] == "string" && schema["format"] == "binary"
    };
    let theirs = resolve(theirs);
    let matches = match ours.ty {
        FieldType::File => binary(theirs),
        _ => theirs["type"] == "array" && theirs.get("items").is_some_and(binary),
    };
    assert!(
        matches,
        "{at}: the spec's field is not a binary string or a list of them"
    );
}

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(actionhub_testkit::front_spec::load_spec)
}

/// Follows `$ref` chains within the spec.
fn resolve(mut value: &'static Value) -> &'static Value {
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let pointer = reference.strip_prefix('#').expect("only local references");
        value = spec()
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    value
}

/// A schema's properties and required names, with `allOf` parts merged.
fn object_parts(
    schema: &'static Value,
) -> (Vec<(&'static str, &'static Value)>, Vec<&'static str>) {
    let schema = resolve(schema);
    let mut properties = Vec::new();
    let mut required = Vec::new();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (p, r) = object_parts(part);
        properties.extend(p);
        required.extend(r);
    }
    if let Some(own) = schema.get("properties").and_then(Value::as_object) {
        properties.extend(own.iter().map(|(k, v)| (k.as_str(), v)));
    }
    if let Some(own) = schema.get("required").and_then(Value::as_array) {
        required.extend(own.iter().filter_map(Value::as_str));
    }
    (properties, required)
}

fn operation(action: &Action) -> &'static Value {
    let method = action.method.as_str().to_lowercase();
    spec()["paths"]
        .get(&action.path)
        .and_then(|item| item.get(&method))
        .unwrap_or_else(|| {
            panic!(
                "{}: {} {} is not in core-api.json",
                action.id, action.method, action.path
            )
        })
}

fn parameters(action: &Action, location: &str) -> Vec<&'static Value> {
    let op = operation(action);
    let path_level = spec()["paths"][&action.path].get("parameters");
    [op.get("parameters"), path_level]
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .map(resolve)
        .filter(|p| p["in"] == location)
        .collect()
}

fn actions() -> &'static [Action] {
    Catalog::builtin().connector("front").unwrap().actions()
}

/// Compares one declared field with the spec's schema for it, recursively.
fn assert_field_matches(at: &str, ours: &Field, theirs: &'static Value) {
    let theirs = resolve(theirs);
    let (spec_properties, _) = object_parts(theirs);
    let spec_type = theirs.get("type").and_then(Value::as_str).unwrap_or(
        // A union of object shapes (`anyOf`/`oneOf`, e.g. analytics filters) is declared
        // as an object whose keys the description explains.
        if spec_properties.is_empty()
            && theirs.get("anyOf").is_none()
            && theirs.get("oneOf").is_none()
        {
            "(none)"
        } else {
            "object"
        },
    );
    assert_eq!(
        ours.ty.as_str(),
        spec_type,
        "{at}: type differs from the spec"
    );
    if let (Some(ours), Some(theirs)) =
        (&ours.allowed, theirs.get("enum").and_then(Value::as_array))
    {
        for value in ours {
            assert!(
                theirs.contains(value),
                "{at}: enum value {value} is not in the spec"
            );
        }
    }
    if let (Some(ours), Some(theirs)) =
        (&ours.maximum, theirs.get("maximum").and_then(Value::as_f64))
    {
        assert!(
            ours.as_f64().unwrap() <= theirs,
            "{at}: maximum above the spec's"
        );
    }
    if let Some(items) = &ours.items {
        let spec_items = theirs
            .get("items")
            .unwrap_or_else(|| panic!("{at}: the spec has no items"));
        assert_field_matches(&format!("{at}[]"), items, spec_items);
    }
    if let Some(properties) = &ours.properties {
        for (name, field) in properties {
            let (_, spec_schema) = spec_properties
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{at}.{name}: not in the spec"));
            assert_field_matches(&format!("{at}.{name}"), field, spec_schema);
        }
    }
}

#[test]
fn every_operation_exists_with_the_same_scopes() {
    for action in actions() {
        // An operation without `x-required-scopes` (`GET /me`) is open to any token.
        let scopes: Vec<&str> = operation(action)["x-required-scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            action.scopes, scopes,
            "{}: scopes differ from x-required-scopes",
            action.id
        );
    }
}

/// Every operation of the spec is an action, or is listed in the connector's `excluded` with a
/// reason; nothing is declared twice.
#[test]
fn every_operation_of_the_spec_is_an_action_or_excluded() {
    let front = Catalog::builtin().connector("front").unwrap();
    let mut missing = Vec::new();
    for (path, item) in spec()["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let method = method.to_uppercase();
            let declared = actions()
                .iter()
                .filter(|a| a.method.as_str() == method && &a.path == path)
                .count();
            let excluded = front
                .excluded
                .iter()
                .any(|e| e.method.as_str() == method && &e.path == path);
            assert!(
                declared + usize::from(excluded) <= 1,
                "{method} {path} twice"
            );
            if declared + usize::from(excluded) == 0 {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "not catalogued: {missing:?}");
    for exclusion in &front.excluded {
        assert!(
            operation_exists(exclusion.method.as_str(), &exclusion.path),
            "excluded {} {} is not in the spec",
            exclusion.method,
            exclusion.path
        );
        assert!(!exclusion.reason.trim().is_empty());
    }
}

fn operation_exists(method: &str, path: &str) -> bool {
    spec()["paths"]
        .get(path)
        .and_then(|item| item.get(method.to_lowercase()))
        .is_some()
}

#[test]
fn path_parameters_equal_the_spec() {
    for action in actions() {
        let mut spec_names: Vec<&str> = parameters(action, "path")
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let mut ours: Vec<&str> = action.inputs.path.keys().map(String::as_str).collect();
        spec_names.sort_unstable();
        ours.sort_unstable();
        assert_eq!(ours, spec_names, "{}: path parameters", action.id);
        for parameter in parameters(action, "path") {
            assert_eq!(parameter["schema"]["type"], "string", "{}", action.id);
        }
    }
}

#[test]
fn query_fields_exist_in_the_spec_with_the_same_type() {
    for action in actions() {
        let spec_params = parameters(action, "query");
        for (name, field) in &action.inputs.query {
            let at = format!("{}: query.{name}", action.id);
            let parameter = spec_params
                .iter()
                .find(|p| p["name"] == name.as_str())
                .unwrap_or_else(|| panic!("{at}: not a query parameter in the spec"));
            if field.style.is_some() {
                // Front's `q` is declared `type: string`, but its description (and Front's
                // "query object q" guide) defines it as an object sent as `q[key]=value`; the
                // catalogue declares that object so agents see its keys.
                assert_eq!(name, "q", "{at}: only q is a query object");
                assert_eq!(field.ty, FieldType::Object, "{at}");
                assert_eq!(parameter["schema"]["type"], "string", "{at}");
                continue;
            }
            assert_field_matches(&at, field, &parameter["schema"]);
        }
        for parameter in &spec_params {
            let name = parameter["name"].as_str().unwrap();
            assert!(
                action.inputs.query.contains_key(name),
                "{}: the spec's query parameter {name} is not declared",
                action.id
            );
            if parameter["required"] == true {
                assert!(
                    action.inputs.query[name].required,
                    "{}: query.{name} must be required",
                    action.id
                );
            }
        }
    }
}

#[test]
fn body_fields_exist_in_the_spec_with_the_same_type_and_required_ones_are_required() {
    for action in actions() {
        let body = operation(action)
            .get("requestBody")
            .map(resolve)
            .and_then(|b| b.pointer("/content/application~1json/schema"));
        let Some(body) = body else {
            assert!(
                action.inputs.body.is_empty(),
                "{}: the spec takes no body",
                action.id
            );
            continue;
        };
        let (spec_properties, spec_required) = object_parts(body);
        for (name, field) in &action.inputs.body {
            let at = format!("{}: body.{name}", action.id);
            let (_, schema) = spec_properties
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{at}: not in the spec's request body"));
            if field.takes_files() {
                assert_file_matches(&at, name, field, schema);
            } else {
                assert_field_matches(&at, field, schema);
            }
        }
        for (name, _) in &spec_properties {
            assert!(
                action.inputs.body.contains_key(*name),
                "{}: the spec's body field {name} is not declared",
                action.id
            );
        }
        for name in spec_required {
            let field = action.fields(Location::Body).get(name);
            assert!(
                field.is_some_and(|f| f.required),
                "{}: body.{name} must be required",
                action.id
            );
        }
    }
}

#[test]
fn limits_never_exceed_100() {
    for action in actions() {
        if let Some(limit) = action.inputs.query.get("limit") {
            let maximum = limit.maximum.as_ref().and_then(|m| m.as_u64());
            assert!(
                maximum.is_some_and(|m| m <= 100),
                "{}: limit needs a maximum ≤ 100",
                action.id
            );
        }
    }
    let events = Catalog::builtin().action("front_list_events").unwrap();
    assert_eq!(
        events.inputs.query["limit"]
            .maximum
            .as_ref()
            .and_then(|m| m.as_u64()),
        Some(15)
    );
}

/// The event types the hub offers as webhooks (`front.<type>`) are exactly the values of
/// `EventResponse.type`, in the spec's order.
#[test]
fn event_types_are_the_specs() {
    let front = Catalog::builtin().connector("front").expect("front");
    let events = front
        .events
        .as_ref()
        .expect("the Front connector declares its events");
    let spec_types: Vec<&str> = spec()
        .pointer("/components/schemas/EventResponse/properties/type/enum")
        .and_then(Value::as_array)
        .expect("EventResponse.type has an enum")
        .iter()
        .map(|value| value.as_str().expect("event types are strings"))
        .collect();
    assert_eq!(spec_types.len(), 37);
    assert_eq!(events.types(), spec_types.as_slice());
}
