//! The developer's dashboard: sign in with an API key, see the project's linked accounts,
//! remove one, make a connect link to send to an end user, and see the project's webhook
//! endpoints with their recent deliveries, sending one again. The approvals and policy pages
//! are in [`crate::approvals`].
//!
//! Every form posts back to this origin with the session's CSRF token; the server checks it.

use actionhub_catalog::Connector;
use maud::{Markup, html};

use crate::checklist::{GroupButtons, action_checklist};
use crate::layout::page;

/// One linked account as the Accounts page lists it.
#[derive(Debug)]
pub struct AccountRow<'a> {
    pub id: &'a str,
    pub owner_id: &'a str,
    pub owner_name: &'a str,
    pub company_name: Option<&'a str>,
    /// `active` or `error`.
    pub status: &'a str,
    pub status_reason: Option<&'a str>,
    /// When it was linked, as displayed (RFC 3339).
    pub linked_at: &'a str,
    /// The allowed actions; empty means every action.
    pub allowed_actions: &'a [String],
}

/// What every dashboard page shows of the signed-in session: the project, the CSRF token its
/// forms carry, and the number of approvals waiting (in the navigation).
#[derive(Debug, Clone, Copy)]
pub struct SignedIn<'a> {
    pub project: &'a str,
    pub csrf_token: &'a str,
    pub pending_approvals: usize,
}

/// The Accounts page.
#[derive(Debug)]
pub struct AccountsPage<'a> {
    pub connector: &'a Connector,
    pub signed_in: SignedIn<'a>,
    pub accounts: &'a [AccountRow<'a>],
    /// A connect link just made, shown once above the form.
    pub new_link: Option<&'a str>,
    /// Why the last form was refused, in plain words.
    pub form_error: Option<&'a str>,
}

/// One webhook endpoint as the Webhooks page lists it, with its recent deliveries.
#[derive(Debug)]
pub struct EndpointRow<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub events: &'a [String],
    pub description: Option<&'a str>,
    /// When the hub stopped sending to it, as displayed; `None` while it is enabled.
    pub disabled_at: Option<String>,
    /// Since when every attempt has failed, as displayed.
    pub failing_since: Option<String>,
    pub deliveries: Vec<DeliveryRow<'a>>,
}

/// One message to an endpoint, newest first on the Webhooks page.
#[derive(Debug)]
pub struct DeliveryRow<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    /// `pending`, `delivered` or `failed`.
    pub status: &'a str,
    /// When the event was queued, as displayed.
    pub created_at: String,
    /// When a pending delivery is tried next, as displayed.
    pub next_attempt_at: Option<String>,
    pub attempts: usize,
    /// What the last attempt gave (`HTTP 500`, `timeout`, …), if there was one.
    pub last_outcome: Option<String>,
}

/// The Webhooks page.
#[derive(Debug)]
pub struct WebhooksPage<'a> {
    pub signed_in: SignedIn<'a>,
    pub endpoints: &'a [EndpointRow<'a>],
}

/// The dashboard's pages, for its navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DashboardSection {
    Accounts,
    Approvals,
    Policy,
    Webhooks,
}

impl DashboardSection {
    const ALL: [DashboardSection; 4] = [
        DashboardSection::Accounts,
        DashboardSection::Approvals,
        DashboardSection::Policy,
        DashboardSection::Webhooks,
    ];

    pub(crate) fn title(self) -> &'static str {
        match self {
            DashboardSection::Accounts => "Accounts",
            DashboardSection::Approvals => "Approvals",
            DashboardSection::Policy => "Policy",
            DashboardSection::Webhooks => "Webhooks",
        }
    }

    fn path(self) -> &'static str {
        match self {
            DashboardSection::Accounts => "/dashboard",
            DashboardSection::Approvals => "/dashboard/approvals",
            DashboardSection::Policy => "/dashboard/policy",
            DashboardSection::Webhooks => "/dashboard/webhooks",
        }
    }
}

/// The navigation between the dashboard's pages (with the number of approvals waiting), the
/// page's heading and the sign-out button.
pub(crate) fn dashboard_header(
    current: DashboardSection,
    heading: &str,
    signed_in: SignedIn<'_>,
) -> Markup {
    html! {
        nav class="row" aria-label="Dashboard" {
            @for section in DashboardSection::ALL {
                a href=(section.path()) aria-current=[(section == current).then_some("page")] {
                    (section.title())
                    @if section == DashboardSection::Approvals && signed_in.pending_approvals > 0 {
                        " " span class="count" data-pending-approvals=(signed_in.pending_approvals) {
                            (signed_in.pending_approvals) " pending"
                        }
                    }
                }
            }
        }
        div class="row spread" {
            h1 { (heading) }
            form method="post" action="/dashboard/sign-out" {
                input type="hidden" name="csrf" value=(signed_in.csrf_token);
                button type="submit" { "Sign out" }
            }
        }
    }
}

/// The sign-in page. `error` explains a refused key.
pub fn sign_in_page(csrf_token: &str, error: Option<&str>) -> Markup {
    page(
        "Sign in",
        &[],
        html! {
            h1 { "Sign in" }
            p class="lead" { "Sign in with one of your project's API keys (made with " code { "actionhub keys create" } ")." }
            form class="panel" method="post" action="/dashboard/sign-in" {
                input type="hidden" name="csrf" value=(csrf_token);
                label for="api-key" class="field-label" { "API key" }
                input id="api-key" name="api_key" type="password" required autocomplete="current-password"
                    aria-describedby="api-key-error" aria-invalid=[error.map(|_| "true")];
                p id="api-key-error" class="field-error" role="alert" hidden[error.is_none()] {
                    @if let Some(error) = error { (error) }
                }
                p { button type="submit" class="primary" { "Sign in" } }
            }
        },
    )
}

/// The Accounts page of the signed-in project.
pub fn accounts_page(view: &AccountsPage<'_>) -> Markup {
    let connector = view.connector;
    page(
        "Accounts",
        &["/assets/dashboard.js"],
        html! {
            (dashboard_header(DashboardSection::Accounts, "Accounts", view.signed_in))
            p class="lead" { "Linked " (connector.name) " accounts of project " strong { (view.signed_in.project) } "." }
            @if view.accounts.is_empty() {
                p class="panel" { "No account is linked yet. Make a connect link below and send it to your customer." }
            } @else {
                div class="table-wrap" {
                    table {
                        caption class="visually-hidden" { "Linked accounts" }
                        thead {
                            tr {
                                th scope="col" { "Owner" }
                                th scope="col" { (connector.name) " company" }
                                th scope="col" { "Status" }
                                th scope="col" { "Linked at" }
                                th scope="col" { "Allowed actions" }
                                th scope="col" { span class="visually-hidden" { "Remove" } }
                            }
                        }
                        tbody {
                            @for account in view.accounts {
                                tr data-account=(account.id) {
                                    td { (account.owner_name) br; span class="muted" { (account.owner_id) } br; code class="muted" { (account.id) } }
                                    td { (account.company_name.unwrap_or("—")) }
                                    td {
                                        span class={ "status status-" (account.status) } { (account.status) }
                                        @if let Some(reason) = account.status_reason { br; span class="muted" { (reason) } }
                                    }
                                    td { (account.linked_at) }
                                    td { (allowed_actions(account.allowed_actions)) }
                                    td {
                                        form method="post" action={ "/dashboard/accounts/" (account.id) "/remove" } {
                                            input type="hidden" name="csrf" value=(view.signed_in.csrf_token);
                                            button type="submit" aria-label={ "Remove account of " (account.owner_name) } { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section class="panel" aria-labelledby="new-link-title" {
                h2 id="new-link-title" { "New connect link" }
                @if let Some(link) = view.new_link {
                    label for="new-link" class="field-label" { "Send this link to your customer (it works once)" }
                    div class="row" {
                        input id="new-link" type="text" readonly value=(link);
                        button type="button" data-copy-target="new-link" { "Copy link" }
                    }
                    p class="status" role="status" aria-live="polite" data-copy-status {}
                }
                form method="post" action="/dashboard/connect-links" {
                    input type="hidden" name="csrf" value=(view.signed_in.csrf_token);
                    label for="owner-id" class="field-label" { "Owner id" }
                    input id="owner-id" name="owner_id" type="text" required aria-describedby="form-error";
                    label for="owner-name" class="field-label" { "Owner name" }
                    input id="owner-name" name="owner_name" type="text" required;
                    fieldset class="action-list" {
                        legend class="list-header" { span { "Actions to allow (none ticked: all)" } }
                        (action_checklist(connector, |_| false, GroupButtons::Omitted))
                    }
                    p id="form-error" class="field-error" role="alert" hidden[view.form_error.is_none()] {
                        @if let Some(error) = view.form_error { (error) }
                    }
                    p { button type="submit" class="primary" { "Make link" } }
                }
            }
        },
    )
}

/// The most allowed actions the accounts table names inline; a longer list (an account may be
/// allowed a few hundred) folds into a `<details>` so that the row stays readable.
const ALLOWED_ACTIONS_INLINE: usize = 5;

fn allowed_actions(allowed: &[String]) -> Markup {
    html! {
        @if allowed.is_empty() {
            "All"
        } @else if allowed.len() <= ALLOWED_ACTIONS_INLINE {
            (allowed.join(", "))
        } @else {
            details {
                summary { (allowed.len()) " actions" }
                (allowed.join(", "))
            }
        }
    }
}

/// The Webhooks page of the signed-in project: each endpoint, whether the hub sends to it (and
/// why not), and its recent deliveries, each with a button that sends it again.
pub fn webhooks_page(view: &WebhooksPage<'_>) -> Markup {
    page(
        "Webhooks",
        &[],
        html! {
            (dashboard_header(DashboardSection::Webhooks, "Webhooks", view.signed_in))
            p class="lead" { "Webhook endpoints of project " strong { (view.signed_in.project) } "." }
            @if view.endpoints.is_empty() {
                p class="panel" {
                    "No endpoint yet. Create one with " code { "POST /webhooks" } " or "
                    code { "actionhub webhooks create" } "."
                }
            }
            @for endpoint in view.endpoints {
                section class="panel" aria-labelledby={ "endpoint-" (endpoint.id) } data-endpoint=(endpoint.id) {
                    h2 id={ "endpoint-" (endpoint.id) } { code { (endpoint.url) } }
                    p {
                        @if let Some(disabled_at) = &endpoint.disabled_at {
                            span class="status status-disabled" { "disabled" }
                            " since " (disabled_at)
                            @if let Some(failing_since) = &endpoint.failing_since {
                                ": every attempt failed from " (failing_since) " on"
                            }
                            ". Turn it back on with " code { "PATCH /webhooks/" (endpoint.id) } " "
                            code { "{\"enabled\": true}" } "."
                        } @else {
                            span class="status status-enabled" { "enabled" }
                            @if let Some(failing_since) = &endpoint.failing_since {
                                " (every attempt has failed since " (failing_since) ")"
                            }
                        }
                    }
                    p class="muted" {
                        code { (endpoint.id) } " · events: " (endpoint.events.join(", "))
                        @if let Some(description) = endpoint.description { br; (description) }
                    }
                    @if endpoint.deliveries.is_empty() {
                        p { "Nothing sent yet." }
                    } @else {
                        div class="table-wrap" {
                            table {
                                caption class="visually-hidden" { "Recent deliveries to " (endpoint.url) }
                                thead {
                                    tr {
                                        th scope="col" { "Event" }
                                        th scope="col" { "Queued at" }
                                        th scope="col" { "Status" }
                                        th scope="col" { "Attempts" }
                                        th scope="col" { span class="visually-hidden" { "Send again" } }
                                    }
                                }
                                tbody {
                                    @for delivery in &endpoint.deliveries {
                                        tr data-delivery=(delivery.id) {
                                            td { (delivery.event_type) br; code class="muted" { (delivery.id) } }
                                            td { (delivery.created_at) }
                                            td {
                                                span class={ "status status-" (delivery.status) } { (delivery.status) }
                                                @if let Some(next) = &delivery.next_attempt_at { br; span class="muted" { "next: " (next) } }
                                            }
                                            td {
                                                (delivery.attempts)
                                                @if let Some(outcome) = &delivery.last_outcome { br; span class="muted" { "last: " (outcome) } }
                                            }
                                            td {
                                                form method="post" action={ "/dashboard/webhooks/" (endpoint.id) "/deliveries/" (delivery.id) "/retry" } {
                                                    input type="hidden" name="csrf" value=(view.signed_in.csrf_token);
                                                    button type="submit" aria-label={ "Retry " (delivery.event_type) " " (delivery.id) } { "Retry" }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
