//! Scope guide logic: unions, separators, the guide URL and unknown ids.

use actionhub_catalog::{Action, Catalog, Connector, Separator, parse_guide_selection};

fn front() -> &'static Connector {
    Catalog::builtin()
        .connector("front")
        .expect("front is built in")
}

fn ids(actions: &[&Action]) -> Vec<String> {
    actions.iter().map(|a| a.id.clone()).collect()
}

#[test]
fn every_separator_joins_the_selected_scopes() {
    let front = front();
    let selection = front
        .select([
            "front_send_message",
            "front_list_conversations",
            "front_get_conversation",
        ])
        .unwrap();
    let names: Vec<&str> = front
        .scopes_for(&selection)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["conversations:read", "messages:send"]);
    let expected = [
        (Separator::Space, "conversations:read messages:send"),
        (Separator::Comma, "conversations:read,messages:send"),
        (Separator::Semicolon, "conversations:read;messages:send"),
        (Separator::Pipe, "conversations:read|messages:send"),
        (Separator::Newline, "conversations:read\nmessages:send"),
    ];
    assert_eq!(expected.len(), Separator::ALL.len());
    for (separator, text) in expected {
        assert_eq!(separator.join(names.iter().copied()), text, "{separator}");
    }
}

#[test]
fn selection_is_canonical_catalogue_order_without_repeats() {
    let front = front();
    let ids: Vec<&str> = front
        .select(["front_get_tag", "front_list_conversations", "front_get_tag"])
        .unwrap()
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["front_list_conversations", "front_get_tag"]);
}

#[test]
fn the_guide_url_round_trips() {
    let front = front();
    let selection = front
        .select([
            "front_create_draft",
            "front_list_tags",
            "front_delete_conversation",
        ])
        .unwrap();
    let url = front.guide_url(&selection);
    assert_eq!(
        url,
        "/connectors/front/guides/link-account/api-token?actions=front_delete_conversation,front_list_tags,front_create_draft"
    );
    assert_eq!(parse_guide_selection(&url), ids(&selection));
    let absolute = format!("https://hub.example{url}");
    assert_eq!(parse_guide_selection(&absolute), ids(&selection));
    assert_eq!(
        front.guide_url(&[]),
        "/connectors/front/guides/link-account/api-token"
    );
    assert!(parse_guide_selection(&front.guide_url(&[])).is_empty());
}

#[test]
fn every_action_round_trips_alone() {
    let front = front();
    for action in front.actions() {
        let url = front.guide_url(&[action]);
        assert_eq!(
            parse_guide_selection(&url),
            std::slice::from_ref(&action.id)
        );
    }
}

#[test]
fn scopes_enable_exactly_the_actions_they_fully_cover() {
    let front = front();
    let labels: Vec<&str> = front
        .actions_enabled_by(&["tags:read", "conversations:read"])
        .iter()
        .map(|a| a.label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "Get Conversation",
            "Get Tag",
            "List Child Tags",
            "List Company Tags",
            "List Contact Conversations",
            "List Conversations",
            "List Inbox Conversations",
            "List Link Conversations",
            "List Tagged Conversations",
            "List Tags",
            "List Team Tags",
            "List Teammate Conversations",
            "List Teammate Tags",
            "Search Conversations",
        ]
    );
    // An action that needs no scope (the token's identity) is enabled by no scope in particular.
    assert!(front.actions_enabled_by::<&str>(&[]).is_empty());
}

#[test]
fn the_core_actions_come_first_and_the_groups_follow_the_files() {
    let front = front();
    let core = front.core_actions();
    assert_eq!(core.len(), 52);
    assert!(front.actions()[..52].iter().all(|a| a.core));
    let groups = front.groups();
    assert_eq!(groups[0], "conversations");
    assert!(groups.contains(&"knowledge_bases"));
    let mut seen = groups.clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), groups.len(), "each group once");
    let grouped: usize = groups.iter().map(|g| front.group_actions(g).len()).sum();
    assert_eq!(grouped, front.actions().len());
    assert!(
        front
            .group_actions("knowledge_bases")
            .iter()
            .all(|a| a.group == "knowledge_bases" && !a.core)
    );
}

#[test]
fn an_unknown_id_suggests_the_nearest() {
    let front = front();
    let error = front.action("front_list_conversation").unwrap_err();
    assert_eq!(
        error.suggestions.first().map(String::as_str),
        Some("front_list_conversations")
    );
    let message = error.to_string();
    assert!(
        message.contains("unknown action `front_list_conversation`"),
        "{message}"
    );
    assert!(
        message.contains("did you mean front_list_conversations"),
        "{message}"
    );

    let error = front.action("front_list_convos").unwrap_err();
    assert_eq!(
        error.suggestions.first().map(String::as_str),
        Some("front_list_conversations")
    );

    let error = front
        .select(["front_get_tag", "front_gte_tag"])
        .unwrap_err();
    assert_eq!(error.id, "front_gte_tag");
    assert_eq!(
        error.suggestions.first().map(String::as_str),
        Some("front_get_tag")
    );

    assert!(front.action("zzz").unwrap_err().suggestions.is_empty());
    let error = Catalog::builtin().action("slack_post_message").unwrap_err();
    assert_eq!(error.id, "slack_post_message");
}

#[test]
fn a_huge_or_binary_unknown_id_is_cut_short_without_suggestions() {
    let huge = format!("front_list_tags{}", "x".repeat(2 * 1024 * 1024));
    for error in [
        front().action(&huge).unwrap_err(),
        Catalog::builtin().action(&huge).unwrap_err(),
    ] {
        assert!(error.suggestions.is_empty());
        assert!(error.id.starts_with("front_list_tags"), "{}", error.id);
        assert!(error.to_string().len() < 300, "{error}");
    }
    // Only plausible ids are compared; a close one still gets its suggestion.
    let error = front().action("front_list_tagz\u{0}").unwrap_err();
    assert!(!error.id.contains('\u{0}'), "{}", error.id);
    assert!(
        front()
            .action("front_list_täg")
            .unwrap_err()
            .suggestions
            .is_empty()
    );
}
