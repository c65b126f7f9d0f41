//! Generated input schemas: valid JSON Schema in all three styles, examples pass, and bad
//! inputs fail with the pointer of the field at fault and a plain-English reason.

use actionhub_catalog::{Action, Catalog, DRAFT_2020_12, Location, ParamStyle};
use serde_json::{Map, Value, json};

fn actions() -> &'static [Action] {
    Catalog::builtin().connector("front").unwrap().actions()
}

fn action(id: &str) -> &'static Action {
    Catalog::builtin().action(id).unwrap()
}

/// Rewrites a nested input in a flat style, using the names the flat schema declares.
fn flatten(action: &Action, style: ParamStyle, nested: &Value) -> Value {
    let declared = action.input_schema(style)["properties"]
        .as_object()
        .unwrap();
    let mut flat = Map::new();
    for location in Location::ALL {
        for (name, value) in nested
            .get(location.as_str())
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let prefixed = format!("{}_{name}", location.as_str());
            let key = if style == ParamStyle::FlatSmart && declared.contains_key(name) {
                name.clone()
            } else {
                prefixed
            };
            assert!(
                declared.contains_key(&key),
                "{}: {key} is declared in {style}",
                action.id
            );
            flat.insert(key, value.clone());
        }
    }
    Value::Object(flat)
}

#[test]
fn every_schema_is_valid_draft_2020_12() {
    for action in actions() {
        for style in ParamStyle::ALL {
            let schema = action.input_schema(style);
            assert_eq!(schema["$schema"], DRAFT_2020_12);
            if let Err(error) = jsonschema::meta::validate(schema) {
                panic!("{} ({style}): not a valid schema: {error}", action.id);
            }
            assert!(
                jsonschema::draft202012::new(schema).is_ok(),
                "{} ({style})",
                action.id
            );
        }
    }
}

#[test]
fn every_example_passes_in_every_style() {
    for action in actions() {
        let nested = action
            .validate_input(ParamStyle::Nested, &action.example)
            .unwrap_or_else(|e| panic!("{}: {e}", action.id));
        for style in [ParamStyle::FlatPrefixed, ParamStyle::FlatSmart] {
            let flat = flatten(action, style, &action.example);
            let again = action
                .validate_input(style, &flat)
                .unwrap_or_else(|e| panic!("{} ({style}): {e}", action.id));
            assert_eq!(
                again, nested,
                "{} ({style}) maps back to the nested input",
                action.id
            );
            // An independent validator agrees with ours on the flat schema.
            assert!(
                jsonschema::is_valid(action.input_schema(style), &flat),
                "{} ({style})",
                action.id
            );
        }
    }
}

#[test]
fn flat_smart_prefixes_only_shared_names() {
    let schema = action("front_list_conversations").input_schema(ParamStyle::FlatSmart);
    assert!(schema["properties"].get("limit").is_some());
    let prefixed = action("front_list_conversations").input_schema(ParamStyle::FlatPrefixed);
    assert!(prefixed["properties"].get("query_limit").is_some());
    assert!(prefixed["properties"].get("limit").is_none());
    // Front's search puts a field named `query` in the path; no other location shares it.
    let search = action("front_search_conversations").input_schema(ParamStyle::FlatSmart);
    assert!(search["properties"].get("query").is_some());
    assert_eq!(search["required"], json!(["query"]));
}

#[test]
fn paginated_actions_accept_the_next_cursor() {
    for action in actions() {
        let has_next = action.input_schema(ParamStyle::Nested)["properties"]["query"]["properties"]
            .get("next")
            .is_some();
        assert_eq!(has_next, action.is_paginated(), "{}", action.id);
    }
    let input = json!({"query": {"next": "opaque-cursor", "limit": 10}});
    assert!(
        action("front_list_conversations")
            .validate_input(ParamStyle::Nested, &input)
            .is_ok()
    );
}

#[test]
fn empty_and_null_locations_are_ignored() {
    let input = json!({"path": {"conversation_id": "cnv_1"}, "query": {}, "body": null});
    let nested = action("front_get_conversation")
        .validate_input(ParamStyle::Nested, &input)
        .unwrap();
    assert_eq!(nested, json!({"path": {"conversation_id": "cnv_1"}}));
}

#[test]
fn nullable_fields_accept_null() {
    let input = json!({"path": {"conversation_id": "cnv_1"}, "body": {"assignee_id": null}});
    let unassign = action("front_update_conversation_assignee");
    assert!(unassign.validate_input(ParamStyle::Nested, &input).is_ok());
}

#[test]
fn bad_inputs_fail_with_the_pointer_of_the_field() {
    let cases: &[(&str, ParamStyle, Value, &str, &str)] = &[
        (
            "front_list_conversations",
            ParamStyle::Nested,
            json!({"query": {"limit": "ten"}}),
            "/query/limit",
            "must be an integer, got a string",
        ),
        (
            "front_list_conversations",
            ParamStyle::Nested,
            json!({"query": {"limit": 101}}),
            "/query/limit",
            "must be at most 100, got 101",
        ),
        (
            "front_list_conversations",
            ParamStyle::Nested,
            json!({"query": {"limit": 0}}),
            "/query/limit",
            "must be at least 1",
        ),
        (
            "front_list_conversations",
            ParamStyle::Nested,
            json!({"query": {"sort_order": "up"}}),
            "/query/sort_order",
            "must be one of \"asc\", \"desc\"",
        ),
        (
            "front_list_conversations",
            ParamStyle::Nested,
            json!({"query": {"limt": 5}}),
            "/query/limt",
            "is not a known field; expected one of: q, limit",
        ),
        (
            "front_list_conversations",
            ParamStyle::Nested,
            json!({"query": {"q": {"statuses": ["open"]}}}),
            "/query/q/statuses/0",
            "must be one of",
        ),
        (
            "front_list_conversations",
            ParamStyle::Nested,
            json!({"headers": {"x": "y"}}),
            "/headers",
            "is not a known field",
        ),
        (
            "front_list_conversations",
            ParamStyle::Nested,
            json!([1]),
            "",
            "must be a JSON object, got an array",
        ),
        (
            "front_list_events",
            ParamStyle::Nested,
            json!({"query": {"limit": 16}}),
            "/query/limit",
            "must be at most 15",
        ),
        (
            "front_get_conversation",
            ParamStyle::Nested,
            json!({}),
            "/path/conversation_id",
            "is required",
        ),
        (
            "front_get_conversation",
            ParamStyle::Nested,
            json!({"path": {"conversation_id": 7}}),
            "/path/conversation_id",
            "must be a string, got an integer",
        ),
        (
            "front_add_conversation_tag",
            ParamStyle::Nested,
            json!({"path": {"conversation_id": "cnv_1"}, "body": {"tag_ids": "tag_1"}}),
            "/body/tag_ids",
            "must be an array, got a string",
        ),
        (
            "front_create_tag",
            ParamStyle::Nested,
            json!({"body": {"name": "x".repeat(65)}}),
            "/body/name",
            "must be at most 64 characters long",
        ),
        (
            "front_create_contact",
            ParamStyle::Nested,
            json!({"body": {"handles": [{"handle": "+1555", "source": "fax"}]}}),
            "/body/handles/0/source",
            "must be one of",
        ),
        (
            "front_create_contact",
            ParamStyle::Nested,
            json!({"body": {"handles": [{"source": "email"}]}}),
            "/body/handles/0/handle",
            "is required",
        ),
        (
            "front_add_conversation_followers",
            ParamStyle::Nested,
            json!({"path": {"conversation_id": "c"}, "body": {"teammate_ids": vec!["t"; 51]}}),
            "/body/teammate_ids",
            "must have at most 50 items",
        ),
        (
            "front_list_conversations",
            ParamStyle::FlatPrefixed,
            json!({"query_limit": 500}),
            "/query_limit",
            "must be at most 100",
        ),
        (
            "front_list_conversations",
            ParamStyle::FlatPrefixed,
            json!({"limit": 5}),
            "/limit",
            "is not a known field",
        ),
        (
            "front_get_conversation",
            ParamStyle::FlatPrefixed,
            json!({}),
            "/path_conversation_id",
            "is required",
        ),
        (
            "front_list_conversations",
            ParamStyle::FlatSmart,
            json!({"limit": true}),
            "/limit",
            "must be an integer, got a boolean",
        ),
        (
            "front_update_tag",
            ParamStyle::FlatSmart,
            json!({"tag_id": "tag_1", "highlight": "teal"}),
            "/highlight",
            "must be one of",
        ),
    ];
    for (id, style, input, pointer, reason) in cases {
        let error = action(id)
            .validate_input(*style, input)
            .expect_err(&format!("{id} ({style}) must refuse {input}"));
        let found = error.violations.iter().find(|v| v.pointer == *pointer);
        let violation = found.unwrap_or_else(|| {
            panic!("{id} ({style}) {input}: no violation at {pointer}: {error}")
        });
        assert!(
            violation.reason.contains(reason),
            "{id}: `{}` lacks `{reason}`",
            violation.reason
        );
    }
}

#[test]
fn every_violation_is_reported_at_once() {
    let input = json!({"query": {"limit": 0, "sort_order": "sideways", "extra": 1}});
    let error = action("front_list_conversations")
        .validate_input(ParamStyle::Nested, &input)
        .unwrap_err();
    let mut pointers: Vec<&str> = error
        .violations
        .iter()
        .map(|v| v.pointer.as_str())
        .collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        ["/query/extra", "/query/limit", "/query/sort_order"]
    );
    let message = error.to_string();
    assert!(message.starts_with("invalid input: "), "{message}");
}

/// The reasons given for `input` (in `style`), as `pointer: reason` lines.
fn refusals(id: &str, style: ParamStyle, input: Value) -> Vec<String> {
    action(id)
        .validate_input(style, &input)
        .expect_err("the input is refused")
        .violations
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn path_parameters_are_ids_of_their_resource_never_routes() {
    let expected = "/path/tag_id: must be a tag id like `tag_2oxhvy`";
    assert_eq!(
        refusals(
            "front_delete_tag",
            ParamStyle::Nested,
            json!({"path": {"tag_id": ".."}})
        ),
        ["/path/tag_id: must not be `.` or `..`, even percent-encoded"]
    );
    assert_eq!(
        refusals(
            "front_delete_tag",
            ParamStyle::Nested,
            json!({"path": {"tag_id": "search"}})
        ),
        [expected]
    );
    assert_eq!(
        refusals(
            "front_list_conversation_comments",
            ParamStyle::FlatPrefixed,
            json!({"path_conversation_id": "search"})
        ),
        ["/path_conversation_id: must be a conversation id like `cnv_yo1kg5q`"]
    );
    assert_eq!(
        refusals(
            "front_list_account_contacts",
            ParamStyle::FlatSmart,
            json!({"account_id": "%2e%2E"})
        ),
        ["/account_id: must not be `.` or `..`, even percent-encoded"]
    );
    let huge = format!("tag_{}", "a".repeat(100 * 1024));
    let refused = refusals(
        "front_get_tag",
        ParamStyle::Nested,
        json!({"path": {"tag_id": huge}}),
    );
    assert_eq!(
        refused,
        ["/path/tag_id: must be at most 64 characters long"]
    );
    assert_eq!(
        refusals(
            "front_get_tag",
            ParamStyle::Nested,
            json!({"path": {"tag_id": ""}})
        ),
        ["/path/tag_id: must not be empty"]
    );
    for accepted in [
        json!({"path": {"contact_id": "alt:phone:+12345678900"}}),
        json!({"path": {"contact_id": "crd_3cgz4ge"}}),
    ] {
        action("front_get_contact")
            .validate_input(ParamStyle::Nested, &accepted)
            .unwrap();
    }
    assert_eq!(
        refusals(
            "front_get_contact",
            ParamStyle::Nested,
            json!({"path": {"contact_id": "alt:domain:example.com"}})
        ),
        [
            "/path/contact_id: must be a contact id like `crd_3cgz4ge` or an alias `alt:<name>:<value>` with <name> one of email, phone, twitter, facebook, intercom, front_chat, custom"
        ]
    );
}

#[test]
fn nul_is_refused_anywhere_in_an_input() {
    let refused = refusals(
        "front_update_conversation",
        ParamStyle::Nested,
        json!({
            "path": {"conversation_id": "cnv_1\u{0}"},
            "body": {"custom_fields": {"a\u{0}": "x", "b": ["ok", "c\u{0}"]}, "description": "s\u{0}"},
        }),
    );
    assert!(
        refused.contains(
            &"/path/conversation_id: must not contain the NUL character (U+0000)".to_owned()
        ),
        "{refused:?}"
    );
    assert!(
        refused
            .contains(&"/body/description: must not contain the NUL character (U+0000)".to_owned()),
        "{refused:?}"
    );
    let refused = refusals(
        "front_search_conversations",
        ParamStyle::FlatSmart,
        json!({"query": "is:open\u{0}"}),
    );
    assert_eq!(
        refused,
        ["/query: must not contain the NUL character (U+0000)"]
    );
}

#[test]
fn refusals_never_repeat_a_huge_value_or_name() {
    let huge = "z".repeat(1024 * 1024);
    for input in [
        json!({"query": {"sort_order": huge}}),
        json!({"query": {huge.clone(): 1}}),
    ] {
        let message = action("front_list_tags")
            .validate_input(ParamStyle::Nested, &input)
            .unwrap_err()
            .to_string();
        assert!(message.len() < 500, "{}", &message[..500]);
    }
}
