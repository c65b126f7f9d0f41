//! The scope guide page as rendered on the server, before any script runs.

use actionhub_catalog::{Action, Catalog, Connector};
use actionhub_pages::{ASSETS, CONTENT_SECURITY_POLICY, GuideSelection, asset, scope_guide};

fn front() -> &'static Connector {
    Catalog::builtin().connector("front").unwrap()
}

fn render(selection: GuideSelection<'_>) -> String {
    scope_guide(front(), selection, "https://hub.example").into_string()
}

/// The text of the element carrying `marker`, e.g. the scopes output.
fn element_text<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} is on the page"));
    let open_end = start + html[start..].find('>').unwrap() + 1;
    let close = open_end + html[open_end..].find('<').unwrap();
    &html[open_end..close]
}

fn checked_ids(html: &str) -> Vec<&str> {
    html.split("<input type=\"checkbox\" name=\"action\" value=\"")
        .skip(1)
        .filter(|rest| rest.split('>').next().unwrap().contains("checked"))
        .map(|rest| rest.split('"').next().unwrap())
        .collect()
}

/// The `<details>` of each resource group: its group name, whether it starts open, and the
/// action ids inside it.
fn groups(html: &str) -> Vec<(&str, bool, Vec<&str>)> {
    html.split("<details class=\"action-group\" data-guide-group=\"")
        .skip(1)
        .map(|rest| {
            let body = &rest[..rest.find("</details>").unwrap()];
            let name = body.split('"').next().unwrap();
            let open = body.split('>').next().unwrap().contains("open");
            let ids = body
                .split("value=\"")
                .skip(1)
                .map(|rest| rest.split('"').next().unwrap())
                .collect();
            (name, open, ids)
        })
        .collect()
}

#[test]
fn without_a_selection_the_guide_covers_the_core_actions() {
    let html = render(GuideSelection::Core);
    let core: Vec<&str> = front()
        .core_actions()
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(core.len(), 52);
    assert_eq!(checked_ids(&html), core);
    assert_eq!(
        element_text(&html, "data-guide-scopes-output")
            .split(' ')
            .count(),
        24
    );
    assert!(
        html.contains(
            "value=\"https://hub.example/connectors/front/guides/link-account/api-token\""
        )
    );
    assert!(html.contains("placeholder=\"Search actions...\""));
    for text in [
        "Select all",
        "Clear",
        "Dynamic Guide URL",
        "Copy URL",
        "Scopes Selected",
        "Separator",
        "Copy scopes",
    ] {
        assert!(html.contains(text), "{text}");
    }
    for separator in ["Space", "Comma", "Semicolon", "Pipe", "Newline"] {
        assert!(
            html.contains(&format!(">{separator}</option>")),
            "{separator}"
        );
    }
    for heading in [
        "Create an API Token",
        "Configure Resource Permissions",
        "Linking the Account from the Hub",
    ] {
        assert!(html.contains(heading), "{heading}");
    }
}

#[test]
fn a_selection_shows_exactly_its_scopes_and_url() {
    let front = front();
    let chosen: Vec<&Action> = front
        .select(["front_send_message", "front_list_tags"])
        .unwrap();
    let html = render(GuideSelection::Only(&chosen));
    assert_eq!(
        checked_ids(&html),
        ["front_send_message", "front_list_tags"]
    );
    assert_eq!(
        element_text(&html, "data-guide-scopes-output"),
        "messages:send tags:read"
    );
    assert!(html.contains(
        "value=\"https://hub.example/connectors/front/guides/link-account/api-token?actions=front_send_message,front_list_tags\""
    ));
    // The permissions step lists only those scopes; the others are rendered hidden.
    let visible: Vec<&str> = html
        .split("<li data-guide-scope=\"")
        .skip(1)
        .filter(|rest| !rest.split('>').next().unwrap().contains("hidden"))
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(visible, ["messages:send", "tags:read"]);
    // tags:read also enables the other tag reads, as the seed's badge shows.
    // Beyond the seed's: the other tag lists, and Reply To Conversation (messages:send only).
    assert_eq!(
        element_text(&html, "data-guide-badge-labels"),
        "Get Tag, List Child Tags, List Company Tags, List Tags, List Team Tags, \
         List Teammate Tags, Reply To Conversation, Send Message"
    );
}

#[test]
fn the_other_actions_are_listed_once_each_unticked_in_closed_groups() {
    let front = front();
    let html = render(GuideSelection::Core);
    let boxes = html
        .matches("<input type=\"checkbox\" name=\"action\"")
        .count();
    assert_eq!(boxes, front.actions().len(), "every action once");
    let groups = groups(&html);
    assert!(groups.len() > 10, "{}", groups.len());
    let mut grouped = 0;
    for (name, open, ids) in &groups {
        assert!(!open, "{name} starts closed: nothing in it is selected");
        assert!(!ids.is_empty(), "{name}");
        for id in ids {
            let action = front.action(id).unwrap();
            assert_eq!(action.group, *name, "{id}");
            assert!(
                !action.core,
                "{id}: core actions are listed first, not in a group"
            );
        }
        grouped += ids.len();
        assert!(
            html.contains(&format!("data-guide-select-group=\"{name}\"")),
            "{name} has a Select group button"
        );
    }
    assert_eq!(grouped + 52, front.actions().len());
    let knowledge_bases = groups
        .iter()
        .find(|(name, _, _)| *name == "knowledge_bases");
    assert!(knowledge_bases.is_some_and(|(_, _, ids)| ids.contains(&"front_list_knowledge_bases")));
    assert!(html.contains("Knowledge bases"), "a readable group title");
    assert!(
        html.contains("0 of 27 selected"),
        "a group says how much of it is selected"
    );
}

#[test]
fn a_selection_beyond_the_core_opens_its_groups_and_shows_the_new_scopes() {
    let front = front();
    let chosen: Vec<&Action> = front
        .select([
            "front_get_shift",
            "front_list_knowledge_bases",
            "front_list_tags",
        ])
        .unwrap();
    let html = render(GuideSelection::Only(&chosen));
    // Catalogue order: the core action first.
    assert_eq!(
        checked_ids(&html),
        [
            "front_list_tags",
            "front_list_knowledge_bases",
            "front_get_shift"
        ]
    );
    let scopes = element_text(&html, "data-guide-scopes-output");
    for scope in ["tags:read", "knowledge_bases:read", "shifts:read"] {
        assert!(scopes.split(' ').any(|s| s == scope), "{scope} in {scopes}");
    }
    assert!(html.contains(
        "api-token?actions=front_list_tags,front_list_knowledge_bases,front_get_shift\""
    ));
    let open: Vec<&str> = groups(&html)
        .into_iter()
        .filter(|(_, open, _)| *open)
        .map(|(name, _, _)| name)
        .collect();
    assert_eq!(open, ["knowledge_bases", "shifts"]);
    assert!(html.contains("1 of 27 selected"));
}

#[test]
fn an_empty_selection_is_kept_distinct_from_no_selection() {
    let html = render(GuideSelection::Only(&[]));
    assert!(checked_ids(&html).is_empty());
    assert_eq!(element_text(&html, "data-guide-scopes-output"), "");
    assert!(html.contains("api-token?actions=\""));
    assert!(html.contains("Select at least one action above"));
}

#[test]
fn text_is_escaped() {
    let html = render(GuideSelection::Core);
    assert!(!html.contains("<script>"), "no inline script");
    assert!(
        !html.contains("style="),
        "no inline style: the CSP forbids it"
    );
    assert!(html.contains("<strong>Settings</strong>"));
}

#[test]
fn every_referenced_asset_is_embedded_and_nothing_is_external() {
    let html = render(GuideSelection::Core);
    for reference in html.split("src=\"").chain(html.split("href=\"")).skip(1) {
        let target = reference.split('"').next().unwrap();
        if target.starts_with("/assets/") {
            assert!(asset(target).is_some(), "{target} is embedded");
        }
    }
    for asset in ASSETS {
        // The SVG namespace is a name, not something loaded.
        let body = asset
            .body
            .replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        for external in ["http://", "https://", "url(", "@import"] {
            assert!(
                !body.contains(external),
                "{} refers to {external}",
                asset.path
            );
        }
    }
    assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self'"));
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
}
