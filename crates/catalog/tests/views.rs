//! The compact views of `connector.json`: each names exactly the actions whose Front answer
//! (in the spec) is its resource, and a broken view fails to load, naming the field.

use std::collections::BTreeSet;

use actionhub_catalog::{BUILTIN, Catalog, ConnectorSource, DefinitionError, SourceFile};
use serde_json::{Value, json};

/// The spec's success responses that carry each viewed resource (one, or a list of it).
const SPEC_RESPONSES: [(&str, &[&str]); 7] = [
    (
        "conversation",
        &[
            "conversation",
            "listOfConversations",
            "listOfConversationSearchResults",
        ],
    ),
    ("message", &["message", "listOfMessages"]),
    ("comment", &["comment", "listOfComments"]),
    ("tag", &["tag", "listOfTags"]),
    ("teammate", &["teammate", "listOfTeammates"]),
    ("contact", &["contact", "listOfContacts"]),
    ("inbox", &["inbox", "listOfInboxes"]),
];

/// The name of an operation's success response in the spec's `components.responses`.
fn response_name(spec: &Value, method: &str, path: &str) -> Option<String> {
    let responses = spec["paths"][path][method.to_lowercase()]["responses"].as_object()?;
    responses
        .iter()
        .filter(|(code, _)| code.starts_with('2'))
        .find_map(|(_, response)| response["$ref"].as_str())
        .map(|reference| {
            reference
                .trim_start_matches("#/components/responses/")
                .to_owned()
        })
}

#[test]
fn each_view_names_exactly_the_actions_answering_its_resource() {
    let spec = actionhub_testkit::front_spec::load_spec();
    let front = Catalog::builtin().connector("front").unwrap();
    let nouns: Vec<&str> = front.views.keys().map(String::as_str).collect();
    assert_eq!(nouns, SPEC_RESPONSES.map(|(noun, _)| noun));
    for (noun, responses) in SPEC_RESPONSES {
        let answering: BTreeSet<&str> = front
            .actions()
            .iter()
            .filter(|action| {
                response_name(&spec, action.method.as_str(), &action.path)
                    .is_some_and(|name| responses.contains(&name.as_str()))
            })
            .map(|action| action.id.as_str())
            .collect();
        let viewed: BTreeSet<&str> = front.views[noun]
            .actions
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(viewed, answering, "the view of `{noun}`");
        for id in &viewed {
            assert_eq!(
                front.view_of(id).map(|view| &view.fields),
                Some(&front.views[noun].fields)
            );
        }
    }
    assert!(front.view_of("front_list_shifts").is_none());
}

/// Loads the built-in Front connector with `edit` applied to its `views`.
fn load_with_views(edit: impl FnOnce(&mut Value)) -> DefinitionError {
    let builtin = &BUILTIN[0];
    let mut connector: Value = serde_json::from_str(builtin.connector.text).unwrap();
    edit(&mut connector["views"]);
    let text = connector.to_string();
    let source = ConnectorSource {
        connector: SourceFile {
            path: builtin.connector.path,
            text: &text,
        },
        actions: builtin.actions,
    };
    Catalog::load(&[source]).expect_err("the broken view must not load")
}

/// A change to the views, the field it breaks and what the refusal says.
type BrokenView = (fn(&mut Value), &'static str, &'static str);

#[test]
fn a_broken_view_is_named() {
    let cases: [BrokenView; 6] = [
        (
            |views| views["ticket"] = json!({"fields": ["id"], "actions": ["front_list_tags"]}),
            "views.ticket",
            "not one of the connector's resources",
        ),
        (
            |views| views["tag"]["actions"] = json!(["front_list_tagz"]),
            "views.tag.actions[0]",
            "unknown action `front_list_tagz`",
        ),
        (
            |views| views["inbox"]["actions"] = json!(["front_list_tags"]),
            "views.inbox.actions[0]",
            "already in the view of `tag`",
        ),
        (
            |views| views["tag"]["actions"] = json!(["front_download_attachment"]),
            "views.tag.actions[0]",
            "answers a file",
        ),
        (
            |views| views["tag"]["fields"] = json!(["id", "parent..name"]),
            "views.tag.fields",
            "empty segment",
        ),
        (
            |views| views["tag"]["fileds"] = json!(["id"]),
            "views.tag",
            "unknown field `fileds`",
        ),
    ];
    for (edit, field, reason) in cases {
        let error = load_with_views(edit);
        let message = error.to_string();
        assert!(error.field.starts_with(field), "{message}");
        assert!(message.contains(reason), "{message}");
        assert!(message.contains("connector.json"), "{message}");
    }
}
