//! The dashboard's approvals and policy pages with sample data: hostile values stay text, long
//! inputs and results are cut, the forms carry the CSRF token, and a decided approval shows
//! its decision and result instead of the buttons.

use actionhub_catalog::{Action, Catalog};
use actionhub_pages::{
    AccountPolicy, ApprovalDecision, ApprovalOutcome, ApprovalPage, ApprovalRow, ApprovalsPage,
    JSON_SHOWN_CHARS, Moment, PolicyPage, RefusedEdit, RuleRow, SignedIn, approval_page,
    approvals_page, policy_page,
};
use serde_json::{Value, json};

const HOSTILE: &str = "<script>alert(1)</script>";

fn signed_in(pending_approvals: usize) -> SignedIn<'static> {
    SignedIn {
        project: "default",
        csrf_token: "csrf-token-1",
        pending_approvals,
    }
}

fn moment(seconds_from_now: i64) -> Moment {
    Moment {
        at: "2026-12-01T10:15:00.000Z".to_owned(),
        seconds_from_now,
    }
}

fn delete_contact() -> &'static Action {
    Catalog::builtin().action("front_delete_contact").unwrap()
}

fn pending_approval<'a>(input: &'a Value) -> ApprovalPage<'a> {
    ApprovalPage {
        signed_in: signed_in(1),
        id: "apr_1",
        action_id: "front_delete_contact",
        action: Some(delete_contact()),
        front_request: Some("DELETE /contacts/crd_123"),
        account_id: "acc_1",
        input,
        requested_by: HOSTILE,
        status: "pending",
        expires: moment(14 * 60),
        created: moment(-60),
        decision: None,
        outcome: None,
        notice: None,
    }
}

#[test]
fn a_pending_approval_shows_the_call_as_text_and_the_decision_forms() {
    let input = json!({"path": {"contact_id": "crd_123"}, "body": {"note": HOSTILE}});
    let html = approval_page(&pending_approval(&input)).into_string();
    assert!(!html.contains("<script>alert"), "hostile input is escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("DELETE /contacts/crd_123"));
    assert!(html.contains("destructive"));
    assert!(html.contains("Deletes a contact."));
    assert!(html.contains("in 14 minutes"));
    assert!(html.contains("datetime=\"2026-12-01T10:15:00.000Z\""));
    // Pretty-printed (one key per line), quotes escaped as all text is.
    assert!(
        html.contains("\n    &quot;contact_id&quot;: &quot;crd_123&quot;\n"),
        "{html}"
    );
    for form in [
        "/dashboard/approvals/apr_1/approve",
        "/dashboard/approvals/apr_1/reject",
    ] {
        let at = html.find(form).unwrap_or_else(|| panic!("no form {form}"));
        assert!(
            html[at..].contains("name=\"csrf\" value=\"csrf-token-1\""),
            "{form} carries the CSRF token"
        );
    }
    assert!(html.contains("name=\"reason\""));
    assert!(html.contains("1 pending"), "the navigation counts it");
}

#[test]
fn a_long_input_is_cut_and_says_how_much_was_left_out() {
    let long = "x".repeat(JSON_SHOWN_CHARS * 2);
    let input = json!({"body": {"text": long}});
    let html = approval_page(&pending_approval(&input)).into_string();
    assert!(!html.contains(&long));
    assert!(html.contains("more characters not shown"));
    assert!(html.len() < JSON_SHOWN_CHARS * 2, "{} bytes", html.len());
}

#[test]
fn an_expired_approval_offers_no_buttons() {
    let input = json!({});
    let view = ApprovalPage {
        status: "expired",
        expires: moment(-5),
        ..pending_approval(&input)
    };
    let html = approval_page(&view).into_string();
    assert!(html.contains("data-approval-status=\"expired\""));
    assert!(!html.contains("/approve\""));
}

#[test]
fn a_finished_approval_shows_who_decided_and_the_result_pretty_printed() {
    let input = json!({});
    let body = format!("{{\"id\":\"crd_123\",\"name\":\"{HOSTILE}\"}}");
    let view = ApprovalPage {
        status: "succeeded",
        decision: Some(ApprovalDecision {
            decided_by: "key ops (ak_1)",
            decided_at: moment(-30),
            reason: None,
        }),
        outcome: Some(ApprovalOutcome {
            status: 200,
            body: &body,
        }),
        ..pending_approval(&input)
    };
    let html = approval_page(&view).into_string();
    assert!(!html.contains("/approve\""), "no buttons once decided");
    assert!(html.contains("Approved by <strong>key ops (ak_1)</strong>"));
    assert!(html.contains("HTTP 200"));
    assert!(
        html.contains("\n  &quot;id&quot;: &quot;crd_123&quot;,\n"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"));

    let rejected = ApprovalPage {
        status: "rejected",
        decision: Some(ApprovalDecision {
            decided_by: "key ops (ak_1)",
            decided_at: moment(-30),
            reason: Some(HOSTILE),
        }),
        notice: Some("approval apr_1 is already rejected"),
        ..pending_approval(&input)
    };
    let html = approval_page(&rejected).into_string();
    assert!(html.contains("Rejected by"));
    assert!(html.contains("Reason: &lt;script&gt;"));
    assert!(html.contains("role=\"alert\">approval apr_1 is already rejected"));
}

#[test]
fn the_list_puts_pending_first_and_links_each_approval() {
    let row = |id: &'static str, status: &'static str| ApprovalRow {
        id,
        action_id: "front_delete_contact",
        action_label: Some("Delete Contact"),
        account_id: "acc_1",
        requested_by: HOSTILE,
        status,
        expires: moment(600),
        created: moment(-60),
    };
    let pending = [row("apr_pending", "pending")];
    let decided = [row("apr_done", "succeeded")];
    let html = approvals_page(&ApprovalsPage {
        signed_in: signed_in(1),
        pending: &pending,
        decided: &decided,
    })
    .into_string();
    let first = html.find("/dashboard/approvals/apr_pending").unwrap();
    let second = html.find("/dashboard/approvals/apr_done").unwrap();
    assert!(first < second);
    assert!(html.contains("in 10 minutes"));
    assert!(!html.contains("<script>alert"));

    let empty = approvals_page(&ApprovalsPage {
        signed_in: signed_in(0),
        pending: &[],
        decided: &[],
    })
    .into_string();
    assert!(empty.contains("Nothing is waiting for a decision."));
    assert!(
        !empty.contains("pending</span>"),
        "no count when none waits"
    );
}

#[test]
fn the_policy_page_lists_the_rules_and_the_precedence() {
    let project = [RuleRow {
        selector: "hint:destructive".into(),
        decision: "approve".into(),
    }];
    let account = [RuleRow {
        selector: "front_delete_contact".into(),
        decision: "deny".into(),
    }];
    let accounts = [AccountPolicy {
        account_id: "acc_1",
        owner_name: HOSTILE,
        rules: &account,
    }];
    let html = policy_page(&PolicyPage {
        signed_in: signed_in(0),
        project_rules: Some(&project),
        accounts: &accounts,
        refused_edit: None,
    })
    .into_string();
    assert!(html.contains("<code>hint:destructive</code>"));
    assert!(html.contains("decision-approve"));
    assert!(html.contains("<code>front_delete_contact</code>"));
    assert!(html.contains("most specific matching rule decides"));
    assert!(!html.contains("<script>alert"));
    assert!(
        html.contains(">hint:destructive=approve\n</textarea>"),
        "the form holds the project's rules as text: {html}"
    );
    assert!(html.contains("name=\"csrf\" value=\"csrf-token-1\""));

    let errors = ["line 2: `<b>` is not a selector".to_owned()];
    let none = policy_page(&PolicyPage {
        signed_in: signed_in(0),
        project_rules: None,
        accounts: &[],
        refused_edit: Some(RefusedEdit {
            text: "*=allow\n<b>=deny",
            errors: &errors,
        }),
    })
    .into_string();
    assert!(none.contains("The project has no rules"));
    assert!(none.contains("No account has a policy of its own."));
    assert!(
        none.contains(">*=allow\n&lt;b&gt;=deny</textarea>"),
        "{none}"
    );
    assert!(none.contains("<li>line 2: `&lt;b&gt;` is not a selector</li>"));
    assert!(none.contains("aria-invalid=\"true\""));
}
