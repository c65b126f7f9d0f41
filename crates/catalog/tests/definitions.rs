//! A broken definition must fail to load with the file, the action and the field in the message.

use actionhub_catalog::{BUILTIN, Catalog, ConnectorSource, DefinitionError, SourceFile};
use serde_json::{Value, json};

const TAGS_FILE: &str = "connectors/front/actions/tags.json";

/// A change that breaks one action.
type Edit = fn(&mut Value);

/// Loads the built-in Front connector with `edit` applied to the action `id` of the tags file.
fn load_with(id: &str, edit: impl FnOnce(&mut Value)) -> DefinitionError {
    let builtin = &BUILTIN[0];
    let mut tags: Value = serde_json::from_str(
        builtin
            .actions
            .iter()
            .find(|f| f.path == TAGS_FILE)
            .unwrap()
            .text,
    )
    .unwrap();
    let action = tags
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["id"] == id)
        .expect("the action is in the tags file");
    edit(action);
    load_tags_text(&tags.to_string())
}

fn load_tags_text(text: &str) -> DefinitionError {
    let builtin = &BUILTIN[0];
    let actions: Vec<SourceFile<'_>> = builtin
        .actions
        .iter()
        .map(|f| {
            if f.path == TAGS_FILE {
                SourceFile {
                    path: TAGS_FILE,
                    text,
                }
            } else {
                *f
            }
        })
        .collect();
    let source = ConnectorSource {
        connector: builtin.connector,
        actions: &actions,
    };
    Catalog::load(&[source]).expect_err("the broken definition must not load")
}

fn assert_names(error: &DefinitionError, action: Option<&str>, field: &str) {
    let message = error.to_string();
    assert_eq!(error.file, TAGS_FILE, "{message}");
    assert_eq!(error.action.as_deref(), action, "{message}");
    assert_eq!(error.field, field, "{message}");
    assert!(message.contains(TAGS_FILE), "{message}");
    assert!(message.contains(field), "{message}");
    if let Some(action) = action {
        assert!(message.contains(action), "{message}");
    }
}

#[test]
fn the_builtin_definitions_load() {
    let catalog = Catalog::load(BUILTIN).expect("built-in definitions load");
    assert_eq!(catalog.connectors().len(), 1);
}

#[test]
fn an_unknown_field_is_named() {
    let error = load_with("front_get_tag", |a| a["lable"] = json!("Get Tag"));
    assert_names(&error, Some("front_get_tag"), "lable");
    assert!(error.reason.contains("unknown field"), "{error}");

    let error = load_with("front_update_tag", |a| {
        a["inputs"]["body"]["name"]["maxlength"] = json!(3);
    });
    assert_names(
        &error,
        Some("front_update_tag"),
        "inputs.body.name.maxlength",
    );
}

#[test]
fn a_missing_label_is_named() {
    let error = load_with("front_get_tag", |a| {
        a.as_object_mut().unwrap().remove("label");
    });
    assert_names(&error, Some("front_get_tag"), "label");
    let error = load_with("front_get_tag", |a| a["label"] = json!("  "));
    assert_names(&error, Some("front_get_tag"), "label");
}

#[test]
fn an_undeclared_path_parameter_is_named() {
    let error = load_with("front_get_tag", |a| {
        a["path"] = json!("/tags/{tag_id}/x/{child_id}")
    });
    assert_names(&error, Some("front_get_tag"), "inputs.path");
    assert!(error.reason.contains("{child_id}"), "{error}");

    let error = load_with("front_get_tag", |a| a["path"] = json!("/tags"));
    assert_names(&error, Some("front_get_tag"), "inputs.path.tag_id");
}

#[test]
fn a_duplicate_id_is_named() {
    let error = load_with("front_get_tag", |a| a["id"] = json!("front_list_tags"));
    assert_names(&error, Some("front_list_tags"), "id");
    assert!(error.reason.contains("duplicate"), "{error}");
}

#[test]
fn other_broken_fields_are_named() {
    let cases: [(&str, Edit, &str); 7] = [
        (
            "front_get_tag",
            |a| a["scopes"] = json!(["tags:reed"]),
            "scopes[0]",
        ),
        ("front_get_tag", |a| a["method"] = json!("FETCH"), "method"),
        (
            "front_get_tag",
            |a| a["hints"]["read_only"] = json!(false),
            "hints.read_only",
        ),
        (
            "front_get_tag",
            |a| a["example"] = json!({"path": {}}),
            "example",
        ),
        (
            "front_get_tag",
            |a| a["inputs"]["path"]["tag_id"]["type"] = json!("text"),
            "inputs.path.tag_id.type",
        ),
        (
            "front_list_tags",
            |a| a["inputs"]["query"]["limit"]["max_items"] = json!(3),
            "inputs.query.limit.max_items",
        ),
        (
            "front_create_tag",
            |a| a["inputs"]["body"]["highlight"]["enum"] = json!([1, 2]),
            "inputs.body.highlight.enum",
        ),
    ];
    for (id, edit, field) in cases {
        let error = load_with(id, edit);
        assert_names(&error, Some(id), field);
    }
}

#[test]
fn a_file_that_is_not_json_is_named() {
    let error = load_tags_text("[{\"id\": ");
    assert_names(&error, None, "(file)");
    let error = load_tags_text("{}");
    assert_names(&error, None, "(file)");
}

#[test]
fn a_path_parameter_declares_the_ids_it_accepts() {
    let cases: [(&str, Edit, &str); 5] = [
        (
            "front_get_tag",
            |a| {
                let tag_id = a["inputs"]["path"]["tag_id"].as_object_mut().unwrap();
                tag_id.remove("id_of");
            },
            "inputs.path.tag_id.id_of",
        ),
        (
            "front_get_tag",
            |a| a["inputs"]["path"]["tag_id"]["id_of"] = json!("label"),
            "inputs.path.tag_id.id_of",
        ),
        (
            "front_get_tag",
            |a| a["inputs"]["path"]["tag_id"]["free_text"] = json!(true),
            "inputs.path.tag_id.id_of",
        ),
        (
            "front_create_tag",
            |a| a["inputs"]["body"]["name"]["id_of"] = json!("tag"),
            "inputs.body.name.id_of",
        ),
        (
            "front_get_tag",
            |a| a["example"]["path"]["tag_id"] = json!("search"),
            "example",
        ),
    ];
    for (id, edit, field) in cases {
        let error = load_with(id, edit);
        assert_names(&error, Some(id), field);
    }
}

#[test]
fn a_text_left_as_the_drafting_script_wrote_it_is_named() {
    let error = load_with("front_create_tag", |a| {
        a["inputs"]["body"]["name"]["description"] = json!("TODO: describe.");
    });
    assert_names(
        &error,
        Some("front_create_tag"),
        "inputs.body.name.description",
    );
    let error = load_with("front_create_child_tag", |a| {
        a["description"] = json!("Creates a tag. TODO: say what comes back.");
    });
    assert_names(&error, Some("front_create_child_tag"), "description");
}

#[test]
fn a_file_is_a_body_field_of_a_write_only() {
    let file = json!({"type": "file", "description": "A file."});
    let files = json!({"type": "array", "description": "Files.", "items": file});
    // In the query, or deeper than the items of a body field.
    let error = load_with("front_list_tags", |a| {
        a["inputs"]["query"]["attachment"] = file.clone();
    });
    assert_names(&error, Some("front_list_tags"), "inputs.query.attachment");
    let error = load_with("front_create_tag", |a| {
        a["inputs"]["body"]["nested"] = json!({
            "type": "object", "description": "x", "properties": {"file": file.clone()}
        });
    });
    assert_names(
        &error,
        Some("front_create_tag"),
        "inputs.body.nested.properties.file",
    );
    // On an operation that does not write.
    let error = load_with("front_delete_tag", |a| {
        a["inputs"]["body"] = json!({"attachments": files.clone()});
    });
    assert_names(&error, Some("front_delete_tag"), "inputs.body.attachments");
    assert!(error.reason.contains("POST, PUT or PATCH"), "{error}");
    // With a default (what could it be?).
    let error = load_with("front_create_tag", |a| {
        a["inputs"]["body"]["logo"] = json!({"type": "file", "description": "x", "default": {}});
    });
    assert_names(&error, Some("front_create_tag"), "inputs.body.logo");
}
