//! The dashboard's Accounts page with a catalogue of a few hundred actions.

use actionhub_catalog::{Catalog, Connector};
use actionhub_pages::{AccountRow, AccountsPage, SignedIn, accounts_page};

fn front() -> &'static Connector {
    Catalog::builtin().connector("front").unwrap()
}

fn account<'a>(id: &'a str, allowed: &'a [String]) -> AccountRow<'a> {
    AccountRow {
        id,
        owner_id: "owner",
        owner_name: "Owner",
        company_name: Some("Acme"),
        status: "active",
        status_reason: None,
        linked_at: "2026-01-01T00:00:00Z",
        allowed_actions: allowed,
    }
}

#[test]
fn long_allowed_lists_fold_and_the_connect_form_groups_the_actions() {
    let front = front();
    let few: Vec<String> = vec!["front_list_tags".to_owned()];
    let many: Vec<String> = front.actions()[..60].iter().map(|a| a.id.clone()).collect();
    let accounts = [
        account("acc_all", &[]),
        account("acc_few", &few),
        account("acc_many", &many),
    ];
    let html = accounts_page(&AccountsPage {
        connector: front,
        signed_in: SignedIn {
            project: "default",
            csrf_token: "csrf",
            pending_approvals: 0,
        },
        accounts: &accounts,
        new_link: None,
        form_error: None,
    })
    .into_string();
    assert!(html.contains("<td>All</td>"), "unrestricted");
    assert!(
        html.contains("<td>front_list_tags</td>"),
        "a short list inline"
    );
    assert!(
        html.contains("<details><summary>60 actions</summary>front_list_conversations, "),
        "a long list folded"
    );

    // Every action once, unticked; the core ones first, the others in closed groups without
    // the guide's script-only buttons.
    assert_eq!(
        html.matches("<input type=\"checkbox\" name=\"action\"")
            .count(),
        front.actions().len()
    );
    assert!(!html.contains(" checked"));
    assert!(html.contains("data-guide-group=\"knowledge_bases\""));
    assert!(!html.contains("data-guide-select-group"));
    let first_group = html.find("<details class=\"action-group\"").unwrap();
    for action in front.core_actions() {
        let at = html.find(&format!("value=\"{}\"", action.id)).unwrap();
        assert!(
            at < first_group,
            "{} is listed before the groups",
            action.id
        );
    }
}
