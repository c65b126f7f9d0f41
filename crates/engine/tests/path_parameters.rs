//! Path parameters stay inside their action: whatever a caller puts in them, the request sent
//! to Front (and shown by a dry run) has the action's route, with each parameter inside exactly
//! one path segment, and no accepted value names a literal segment of any route.

use actionhub_catalog::{Action, Catalog, Location, ParamStyle};
use actionhub_engine::request::{BuildError, UnsafePath, build};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use reqwest::Url;
use serde_json::{Value, json};

const BASE: &str = "https://api2.frontapp.com";

fn actions() -> &'static [Action] {
    Catalog::builtin().connector("front").unwrap().actions()
}

fn template_segments(action: &Action) -> Vec<&str> {
    action.path.trim_start_matches('/').split('/').collect()
}

fn parameter(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

/// Every literal segment of every route (`conversations`, `search`, `comments`, …).
fn literal_segments() -> Vec<&'static str> {
    let mut literals: Vec<&str> = actions()
        .iter()
        .flat_map(template_segments)
        .filter(|segment| parameter(segment).is_none())
        .collect();
    literals.sort_unstable();
    literals.dedup();
    literals
}

/// Marks in generated text standing for the parameter's own id prefix and alias name, so that
/// well-shaped values (with hostile text attached) reach every action, not only one resource.
const OWN_PREFIX: &str = "{prefix}";
const OWN_ALIAS: &str = "{alias}";

/// The action's example with its path parameters replaced by `values` (in template order).
fn with_path(action: &Action, values: &[String]) -> Value {
    let front = Catalog::builtin().connector("front").unwrap();
    let mut input = action.example.clone();
    for ((name, field), value) in action.fields(Location::Path).iter().zip(values) {
        let resource = field
            .id_of
            .as_ref()
            .and_then(|noun| front.resources.get(noun));
        let prefix = resource.map_or("cnv_", |r| r.prefix.as_str());
        let alias = resource
            .and_then(|r| r.aliases.first())
            .map_or("email", String::as_str);
        let value = value.replace(OWN_PREFIX, prefix).replace(OWN_ALIAS, alias);
        input["path"][name] = json!(value);
    }
    input
}

/// The path of the URL as a URL parser (and so the HTTP client) reads it, segments decoded.
fn sent_segments(url: &str) -> Result<Vec<String>, TestCaseError> {
    let parsed = Url::parse(url).map_err(|e| TestCaseError::fail(format!("{url}: {e}")))?;
    // What the client sends is the parsed URL: it must be the very string a dry run shows.
    prop_assert_eq!(parsed.as_str(), url);
    Ok(parsed
        .path_segments()
        .into_iter()
        .flatten()
        .map(|segment| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect())
}

/// Whether the request built for `input` has `action`'s route with each parameter, decoded,
/// alone in its segment. A refusal to build passes too: nothing is sent.
fn stays_in_route(action: &Action, input: &Value) -> Result<(), TestCaseError> {
    let Ok(request) = build(BASE, action, input) else {
        return Ok(());
    };
    let sent = sent_segments(&request.url)?;
    let template = template_segments(action);
    prop_assert_eq!(sent.len(), template.len(), "{}", request.url);
    for (segment, expected) in sent.iter().zip(&template) {
        match parameter(expected) {
            Some(name) => prop_assert_eq!(Some(segment.as_str()), input["path"][name].as_str()),
            None => prop_assert_eq!(segment, expected),
        }
    }
    Ok(())
}

/// Whether another action's route could also be read in `sent` (its literal segments equal and
/// its parameters holding values it accepts).
fn other_route_matches(action: &Action, other: &Action, sent: &[String]) -> bool {
    let template = template_segments(other);
    if other.path == action.path || template.len() != sent.len() {
        return false;
    }
    let mut values = Vec::new();
    for (segment, expected) in sent.iter().zip(&template) {
        match parameter(expected) {
            Some(_) => values.push(segment.clone()),
            None if segment == expected => {}
            None => return false,
        }
    }
    other
        .validate_input(ParamStyle::Nested, &with_path(other, &values))
        .is_ok()
}

/// Strings meant to break out: dot segments, escapes, separators, route names, controls,
/// unicode, and ids and aliases of the right shape with such text attached.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        ".",
        "..",
        "%2e",
        "%2E",
        "%",
        "%25",
        "/",
        "\\",
        "?",
        "#",
        ";",
        "\u{0}",
        "\u{7f}",
        "\n",
        "\u{85}",
        "\u{202e}",
        "é",
        "😀",
        "search",
        "comments",
        "conversations",
        "tags",
        "cnv_",
        "tag_",
        "acc_",
        "crd_",
        "alt:",
        "alt:email:",
        "alt:domain:",
        "alt:uid:",
        "alt:address:",
        "a",
        "Z",
        "0",
        "_",
        "-",
        ":",
        "@",
        " ",
        "+",
        OWN_PREFIX,
        "alt:{alias}:",
    ]);
    prop_oneof![
        any::<String>(),
        prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat()),
        "[0-9a-zA-Z_-]{0,70}".prop_map(|id| format!("{OWN_PREFIX}{id}")),
        ".{0,40}".prop_map(|value| format!("alt:{OWN_ALIAS}:{value}")),
        (
            prop::sample::select(vec!["a", ".", "%2e", "x/"]),
            0..40_000usize
        )
            .prop_map(|(piece, times)| piece.repeat(times)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_path_parameter_stays_in_its_segment(values in prop::collection::vec(hostile_text(), 2)) {
        let literals = literal_segments();
        for action in actions().iter().filter(|a| !a.fields(Location::Path).is_empty()) {
            let input = with_path(action, &values);
            // Built as validation would pass it, and built from raw input as if validation
            // were bypassed: the route holds either way.
            stays_in_route(action, &input)?;
            let Ok(valid) = action.validate_input(ParamStyle::Nested, &input) else {
                continue;
            };
            let request = build(BASE, action, &valid)
                .map_err(|e| TestCaseError::fail(format!("{}: accepted but not built: {e}", action.id)))?;
            stays_in_route(action, &valid)?;
            for (name, field) in action.fields(Location::Path) {
                let value = valid["path"][name].as_str().unwrap_or_default();
                prop_assert!(
                    field.free_text || !literals.contains(&value),
                    "{}: `{}` accepted as {}", action.id, value, name
                );
            }
            let sent = sent_segments(&request.url)?;
            for other in actions() {
                prop_assert!(
                    !other_route_matches(action, other, &sent),
                    "{} sends {} which is also {}", action.id, request.url, other.id
                );
            }
        }
    }
}

fn refused(id: &str, value: &str) -> String {
    let action = Catalog::builtin().action(id).unwrap();
    let values = vec![value.to_owned()];
    action
        .validate_input(ParamStyle::Nested, &with_path(action, &values))
        .expect_err("the value is refused")
        .to_string()
}

#[test]
fn dot_segments_route_names_and_junk_are_refused_before_a_request_is_built() {
    let cases = [
        (
            "front_list_account_contacts",
            "..",
            "/path/account_id: must not be `.` or `..`",
        ),
        (
            "front_delete_tag",
            "..",
            "/path/tag_id: must not be `.` or `..`",
        ),
        (
            "front_add_conversation_tag",
            "..",
            "/path/conversation_id: must not be `.` or `..`",
        ),
        (
            "front_delete_tag",
            ".",
            "/path/tag_id: must not be `.` or `..`",
        ),
        (
            "front_delete_tag",
            "%2e%2e",
            "/path/tag_id: must not be `.` or `..`",
        ),
        (
            "front_search_conversations",
            "%2E%2e",
            "/path/query: must not be `.` or `..`",
        ),
        (
            "front_list_conversation_comments",
            "search",
            "/path/conversation_id: must be a conversation id like `cnv_yo1kg5q`",
        ),
        ("front_delete_tag", "", "/path/tag_id: must not be empty"),
        (
            "front_get_tag",
            "tag_1\u{0}",
            "/path/tag_id: must not contain the NUL character",
        ),
        (
            "front_search_conversations",
            "is:open\u{0}",
            "/path/query: must not contain the NUL",
        ),
    ];
    for (id, value, expected) in cases {
        let message = refused(id, value);
        assert!(message.contains(expected), "{id} `{value}`: {message}");
    }
    let huge = "a".repeat(100 * 1024);
    for (id, limit) in [
        ("front_get_contact", 300),
        ("front_search_conversations", 1000),
    ] {
        let message = refused(id, &huge);
        assert!(
            message.contains(&format!("at most {limit} characters")),
            "{message}"
        );
        assert!(message.len() < 200, "{message}");
    }
}

#[test]
fn the_builder_itself_refuses_what_a_url_parser_would_collapse() {
    for (id, name) in [
        ("front_list_account_contacts", "account_id"),
        ("front_delete_tag", "tag_id"),
        ("front_add_conversation_tag", "conversation_id"),
    ] {
        let action = Catalog::builtin().action(id).unwrap();
        for value in ["", ".", ".."] {
            let input = json!({"path": {name: value}});
            assert_eq!(
                build(BASE, action, &input),
                Err(BuildError::Path(UnsafePath {
                    parameter: name.to_owned()
                })),
                "{id} `{value}`"
            );
        }
        assert!(
            build(BASE, action, &json!({})).is_err(),
            "{id} without its parameter"
        );
        // An escaped dot is sent escaped again, never as a dot segment.
        let request = build(BASE, action, &json!({"path": {name: "%2e%2e"}})).unwrap();
        assert!(request.url.contains("/%252e%252e"), "{}", request.url);
    }
}
