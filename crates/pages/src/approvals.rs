//! The dashboard's approvals and policy pages: the calls a policy held for a person to approve
//! or reject, one approval with exactly what it will do, and the rules that decide.
//!
//! Inputs and results are data from callers and from Front: they are shown as pretty-printed
//! text (escaped like everything maud writes), never as HTML, and cut past
//! [`JSON_SHOWN_CHARS`] so that one huge call cannot make a page nobody can read.

use actionhub_catalog::Action;
use maud::{Markup, html};
use serde_json::Value;

use crate::dashboard::{DashboardSection, SignedIn, dashboard_header};
use crate::layout::page;

/// The most characters of an input or a result a page shows; the rest is left out, saying so.
pub const JSON_SHOWN_CHARS: usize = 16_000;

/// A point in time as the pages show it: absolute and relative to when the page was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    /// RFC 3339, UTC.
    pub at: String,
    /// Seconds from now until then: negative for the past.
    pub seconds_from_now: i64,
}

impl Moment {
    /// "in 14 minutes", "3 hours ago", "now".
    pub fn relative(&self) -> String {
        let seconds = self.seconds_from_now;
        let magnitude = seconds.unsigned_abs();
        let (count, unit) = match magnitude {
            0..60 => (magnitude, "second"),
            60..3_600 => (magnitude / 60, "minute"),
            3_600..86_400 => (magnitude / 3_600, "hour"),
            _ => (magnitude / 86_400, "day"),
        };
        if count == 0 {
            return "now".to_owned();
        }
        let plural = if count == 1 { "" } else { "s" };
        if seconds > 0 {
            format!("in {count} {unit}{plural}")
        } else {
            format!("{count} {unit}{plural} ago")
        }
    }

    fn render(&self) -> Markup {
        html! {
            time datetime=(self.at) { (self.relative()) } " " span class="muted" { "(" (self.at) ")" }
        }
    }
}

/// One approval in the list.
#[derive(Debug)]
pub struct ApprovalRow<'a> {
    pub id: &'a str,
    pub action_id: &'a str,
    /// The action's label, when the catalogue still has the action.
    pub action_label: Option<&'a str>,
    pub account_id: &'a str,
    pub requested_by: &'a str,
    /// `pending`, `approved`, `running`, `succeeded`, `failed`, `rejected` or `expired` (a
    /// pending approval past its expiry is shown `expired`).
    pub status: &'a str,
    pub expires: Moment,
    pub created: Moment,
}

/// The Approvals page: what waits for a decision, then what was decided lately.
#[derive(Debug)]
pub struct ApprovalsPage<'a> {
    pub signed_in: SignedIn<'a>,
    pub pending: &'a [ApprovalRow<'a>],
    pub decided: &'a [ApprovalRow<'a>],
}

/// Who decided an approval, and when.
#[derive(Debug)]
pub struct ApprovalDecision<'a> {
    pub decided_by: &'a str,
    pub decided_at: Moment,
    /// Why it was rejected, if the person said.
    pub reason: Option<&'a str>,
}

/// What the approved call answered.
#[derive(Debug)]
pub struct ApprovalOutcome<'a> {
    pub status: u16,
    /// The answer's body as the call gave it (JSON is pretty-printed on the page).
    pub body: &'a str,
}

/// One approval's page: the call held, what it will do, and its decision and result.
#[derive(Debug)]
pub struct ApprovalPage<'a> {
    pub signed_in: SignedIn<'a>,
    pub id: &'a str,
    pub action_id: &'a str,
    /// The catalogue's action (label, description, method, hints), if it still has it.
    pub action: Option<&'a Action>,
    /// The Front request line the call makes: method and path with its parameters filled in.
    pub front_request: Option<&'a str>,
    pub account_id: &'a str,
    /// The exact input the call runs with.
    pub input: &'a Value,
    pub requested_by: &'a str,
    /// As [`ApprovalRow::status`]: the forms are offered only while it is `pending`.
    pub status: &'a str,
    pub expires: Moment,
    pub created: Moment,
    pub decision: Option<ApprovalDecision<'a>>,
    pub outcome: Option<ApprovalOutcome<'a>>,
    /// Why the last decision was refused (already decided, expired), in plain words.
    pub notice: Option<&'a str>,
}

/// One rule as the Policy page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    pub selector: String,
    pub decision: String,
}

/// An account that has a policy of its own.
#[derive(Debug)]
pub struct AccountPolicy<'a> {
    pub account_id: &'a str,
    pub owner_name: &'a str,
    pub rules: &'a [RuleRow],
}

/// The Policy page: the project's rules and each account's own.
#[derive(Debug)]
pub struct PolicyPage<'a> {
    pub signed_in: SignedIn<'a>,
    /// `None` when the project has no policy (every call is allowed unless an account's says
    /// otherwise).
    pub project_rules: Option<&'a [RuleRow]>,
    pub accounts: &'a [AccountPolicy<'a>],
    /// The text of a refused edit of the project's rules, shown again with its errors.
    pub refused_edit: Option<RefusedEdit<'a>>,
}

/// A project policy edit the hub refused: the text as sent and what is wrong, line by line.
#[derive(Debug)]
pub struct RefusedEdit<'a> {
    pub text: &'a str,
    pub errors: &'a [String],
}

/// The Approvals page of the signed-in project.
pub fn approvals_page(view: &ApprovalsPage<'_>) -> Markup {
    page(
        "Approvals",
        &[],
        html! {
            (dashboard_header(DashboardSection::Approvals, "Approvals", view.signed_in))
            p class="lead" {
                "Calls of project " strong { (view.signed_in.project) }
                " that a policy holds until someone approves them ("
                a href="/dashboard/policy" { "policy" } ")."
            }
            section aria-labelledby="pending-title" {
                h2 id="pending-title" { "Waiting for a decision" }
                @if view.pending.is_empty() {
                    p class="panel" { "Nothing is waiting for a decision." }
                } @else {
                    (approvals_table("Approvals waiting for a decision", view.pending))
                }
            }
            @if !view.decided.is_empty() {
                section aria-labelledby="decided-title" {
                    h2 id="decided-title" { "Recently decided" }
                    (approvals_table("Approvals recently decided", view.decided))
                }
            }
        },
    )
}

fn approvals_table(caption: &str, rows: &[ApprovalRow<'_>]) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                caption class="visually-hidden" { (caption) }
                thead {
                    tr {
                        th scope="col" { "Action" }
                        th scope="col" { "Account" }
                        th scope="col" { "Asked by" }
                        th scope="col" { "Expires" }
                        th scope="col" { "Status" }
                    }
                }
                tbody {
                    @for row in rows {
                        tr data-approval=(row.id) {
                            td {
                                a href={ "/dashboard/approvals/" (row.id) } { (row.action_label.unwrap_or(row.action_id)) }
                                br; code class="muted" { (row.action_id) }
                            }
                            td { code { (row.account_id) } }
                            td { (row.requested_by) br; span class="muted" { "asked " (row.created.relative()) } }
                            td { (row.expires.render()) }
                            td { span class={ "status status-" (row.status) } { (row.status) } }
                        }
                    }
                }
            }
        }
    }
}

/// The page of one approval.
pub fn approval_page(view: &ApprovalPage<'_>) -> Markup {
    let label = view.action.map_or(view.action_id, |action| &action.label);
    page(
        &format!("Approval: {label}"),
        &["/assets/dashboard.js"],
        html! {
            (dashboard_header(DashboardSection::Approvals, &format!("Approval: {label}"), view.signed_in))
            p { a href="/dashboard/approvals" { "All approvals" } }
            @if let Some(notice) = view.notice {
                p class="notice" role="alert" { (notice) }
            }
            section class="panel" aria-labelledby="call-title" {
                h2 id="call-title" { "The call" }
                dl class="facts" {
                    dt { "Action" }
                    dd { (label) " " code { (view.action_id) } }
                    @if let Some(request) = view.front_request {
                        dt { "What it will do" }
                        dd { code data-front-request { (request) } }
                    }
                    @if let Some(action) = view.action {
                        dt { "Hints" }
                        dd { (hints(action)) }
                        dt { "Description" }
                        dd { (with_code_spans(&action.description)) }
                    }
                    dt { "Account" }
                    dd { code { (view.account_id) } }
                    dt { "Asked by" }
                    dd { (view.requested_by) ", " (view.created.render()) }
                    @if matches!(view.status, "pending" | "expired") {
                        dt { "Expires" }
                        dd { (view.expires.render()) }
                    }
                    dt { "Status" }
                    dd { span class={ "status status-" (view.status) } data-approval-status=(view.status) { (view.status) } }
                }
                h3 id="input-title" { "Input" }
                (json_block("input-title", &pretty_value(view.input), "input"))
            }
            @if view.status == "pending" {
                (decision_forms(view))
            }
            @if let Some(decision) = &view.decision {
                section class="panel" aria-labelledby="decision-title" {
                    h2 id="decision-title" { "Decision" }
                    p {
                        @match view.status {
                            "rejected" => "Rejected",
                            "expired" => "Expired",
                            _ => "Approved",
                        }
                        " by " strong { (decision.decided_by) } ", " (decision.decided_at.render()) "."
                        @if let Some(reason) = decision.reason { br; "Reason: " (reason) }
                    }
                    @if matches!(view.status, "approved" | "running") {
                        p data-approval-running { "The call is running. " a href={ "/dashboard/approvals/" (view.id) } { "Reload" } " to see its result." }
                    }
                }
            }
            @if let Some(outcome) = &view.outcome {
                section class="panel" aria-labelledby="result-title" {
                    h2 id="result-title" { "Result" }
                    p { "The call answered " strong data-approval-result-status { "HTTP " (outcome.status) } "." }
                    (json_block("result-title", &pretty_text(outcome.body), "result"))
                }
            }
        },
    )
}

/// Catalogue text with its `code` spans (between backticks) set as code; the rest as text.
fn with_code_spans(text: &str) -> Markup {
    html! {
        @for (n, part) in text.split('`').enumerate() {
            @if n % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

/// The action's hints in words.
fn hints(action: &Action) -> Markup {
    let mut said: Vec<&str> = Vec::new();
    if action.hints.destructive {
        said.push("destructive: deletes or irreversibly changes data");
    }
    if action.hints.sends {
        said.push("sends to customers");
    }
    if action.hints.read_only {
        said.push("read-only");
    }
    html! {
        @if said.is_empty() { "writes data" } @else { (said.join("; ")) }
    }
}

fn decision_forms(view: &ApprovalPage<'_>) -> Markup {
    let base = format!("/dashboard/approvals/{}", view.id);
    let csrf = view.signed_in.csrf_token;
    html! {
        section class="panel" aria-labelledby="decide-title" {
            h2 id="decide-title" { "Decide" }
            p { "Approving runs the call once, exactly as shown, through account " code { (view.account_id) } "." }
            div class="row" {
                form method="post" action={ (base) "/approve" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" class="primary" { "Approve" }
                }
            }
            form method="post" action={ (base) "/reject" } {
                input type="hidden" name="csrf" value=(csrf);
                label for="reject-reason" class="field-label" { "Reason for rejecting (optional)" }
                input id="reject-reason" name="reason" type="text" maxlength="500";
                p { button type="submit" { "Reject" } }
            }
        }
    }
}

/// A block of JSON (or other text) labelled by the heading `labelled_by`; `kind` names it for
/// tests and scripts (`data-json="input"`).
fn json_block(labelled_by: &str, text: &str, kind: &str) -> Markup {
    let (shown, left_out) = cut(text, JSON_SHOWN_CHARS);
    html! {
        pre class="json" aria-labelledby=(labelled_by) data-json=(kind) { (shown) }
        @if left_out > 0 {
            p class="muted" data-truncated { "… " (left_out) " more characters not shown." }
        }
    }
}

fn pretty_value(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// JSON text pretty-printed; any other text as it is.
fn pretty_text(text: &str) -> String {
    serde_json::from_str::<Value>(text).map_or_else(|_| text.to_owned(), |v| pretty_value(&v))
}

/// The first `max` characters of `text` and how many were left out.
fn cut(text: &str, max: usize) -> (&str, usize) {
    match text.char_indices().nth(max) {
        Some((at, _)) => (&text[..at], text[at..].chars().count()),
        None => (text, 0),
    }
}

/// The Policy page of the signed-in project.
pub fn policy_page(view: &PolicyPage<'_>) -> Markup {
    page(
        "Policy",
        &[],
        html! {
            (dashboard_header(DashboardSection::Policy, "Policy", view.signed_in))
            p class="lead" {
                "Which calls of project " strong { (view.signed_in.project) }
                " run at once (allow), wait for a person's approval (approve), or are refused (deny)."
            }
            p class="panel" data-precedence {
                "An account's own policy is read first, then the project's; within a policy the most specific matching rule decides "
                "(an action id, then " code { "group:" } ", then " code { "hint:" } ", then " code { "*" } "), "
                "the strictest among equals (deny, then approve, then allow). No matching rule anywhere: allow."
            }
            section aria-labelledby="project-policy-title" {
                h2 id="project-policy-title" { "Project policy" }
                @match view.project_rules {
                    Some(rules) if !rules.is_empty() => (rules_table("Project policy rules", rules)),
                    _ => p { "The project has no rules: every call is allowed unless an account's policy says otherwise." },
                }
            }
            section aria-labelledby="account-policies-title" {
                h2 id="account-policies-title" { "Accounts with their own policy" }
                @if view.accounts.is_empty() {
                    p { "No account has a policy of its own." }
                }
                @for account in view.accounts {
                    h3 { (account.owner_name) " " code class="muted" { (account.account_id) } }
                    @if account.rules.is_empty() {
                        p { "No rules: every call through this account is allowed." }
                    } @else {
                        (rules_table(&format!("Rules of account {}", account.account_id), account.rules))
                    }
                }
            }
            (policy_form(view))
        },
    )
}

/// The project policy as text, one `SELECTOR=DECISION` per line, to edit.
fn policy_form(view: &PolicyPage<'_>) -> Markup {
    let written: String = view
        .project_rules
        .unwrap_or_default()
        .iter()
        .map(|rule| format!("{}={}\n", rule.selector, rule.decision))
        .collect();
    let (text, errors) = match &view.refused_edit {
        Some(edit) => (edit.text, edit.errors),
        None => (written.as_str(), &[][..]),
    };
    html! {
        section class="panel" aria-labelledby="edit-policy-title" {
            h2 id="edit-policy-title" { "Edit the project policy" }
            form method="post" action="/dashboard/policy" {
                input type="hidden" name="csrf" value=(view.signed_in.csrf_token);
                label for="policy-rules" class="field-label" {
                    "Rules, one " code { "SELECTOR=DECISION" } " per line (e.g. " code { "hint:destructive=approve" } "); none: every call is allowed"
                }
                textarea id="policy-rules" name="rules" rows="6" spellcheck="false"
                    aria-describedby="policy-errors" aria-invalid=[(!errors.is_empty()).then_some("true")] { (text) }
                div id="policy-errors" class="field-error" role="alert" hidden[errors.is_empty()] {
                    @if !errors.is_empty() {
                        ul { @for error in errors { li { (error) } } }
                    }
                }
                p { button type="submit" class="primary" { "Save project policy" } }
            }
            p class="muted" {
                "Accounts' own policies are changed with " code { "actionhub policy set --account ID" } " or "
                code { "PUT /accounts/{id}/policy" } " (" a href="/docs/api" { "API reference" } ")."
            }
        }
    }
}

fn rules_table(caption: &str, rules: &[RuleRow]) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                caption class="visually-hidden" { (caption) }
                thead { tr { th scope="col" { "Selector" } th scope="col" { "Decision" } } }
                tbody {
                    @for rule in rules {
                        tr { td { code { (rule.selector) } } td { span class={ "decision decision-" (rule.decision) } { (rule.decision) } } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment(seconds_from_now: i64) -> Moment {
        Moment {
            at: String::new(),
            seconds_from_now,
        }
    }

    #[test]
    fn moments_read_as_plain_words() {
        assert_eq!(moment(0).relative(), "now");
        assert_eq!(moment(1).relative(), "in 1 second");
        assert_eq!(moment(14 * 60 + 5).relative(), "in 14 minutes");
        assert_eq!(moment(-3 * 3_600).relative(), "3 hours ago");
        assert_eq!(moment(-86_400).relative(), "1 day ago");
    }

    #[test]
    fn backticks_make_code_spans_and_markup_stays_text() {
        assert_eq!(
            with_code_spans("a `crd_` id or `alt:<source>`").into_string(),
            "a <code>crd_</code> id or <code>alt:&lt;source&gt;</code>"
        );
    }

    #[test]
    fn cuts_on_characters_and_counts_what_it_left_out() {
        assert_eq!(cut("héllo", 2), ("hé", 3));
        assert_eq!(cut("hé", 2), ("hé", 0));
    }
}
