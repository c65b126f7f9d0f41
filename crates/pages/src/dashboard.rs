//! The developer's dashboard: sign in with an API key, see the project's linked accounts,
//! remove one, and make a connect link to send to an end user.
//!
//! Every form posts back to this origin with the session's CSRF token; the server checks it.

use actionhub_catalog::Connector;
use maud::{Markup, html};

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

/// The Accounts page.
#[derive(Debug)]
pub struct AccountsPage<'a> {
    pub connector: &'a Connector,
    pub project: &'a str,
    pub accounts: &'a [AccountRow<'a>],
    pub csrf_token: &'a str,
    /// A connect link just made, shown once above the form.
    pub new_link: Option<&'a str>,
    /// Why the last form was refused, in plain words.
    pub form_error: Option<&'a str>,
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
            div class="row spread" {
                h1 { "Accounts" }
                form method="post" action="/dashboard/sign-out" {
                    input type="hidden" name="csrf" value=(view.csrf_token);
                    button type="submit" { "Sign out" }
                }
            }
            p class="lead" { "Linked " (connector.name) " accounts of project " strong { (view.project) } "." }
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
                                    td {
                                        @if account.allowed_actions.is_empty() { "All" }
                                        @else { (account.allowed_actions.join(", ")) }
                                    }
                                    td {
                                        form method="post" action={ "/dashboard/accounts/" (account.id) "/remove" } {
                                            input type="hidden" name="csrf" value=(view.csrf_token);
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
                    input type="hidden" name="csrf" value=(view.csrf_token);
                    label for="owner-id" class="field-label" { "Owner id" }
                    input id="owner-id" name="owner_id" type="text" required aria-describedby="form-error";
                    label for="owner-name" class="field-label" { "Owner name" }
                    input id="owner-name" name="owner_name" type="text" required;
                    fieldset class="action-list" {
                        legend class="list-header" { span { "Actions to allow (none ticked: all)" } }
                        ul {
                            @for action in connector.actions() {
                                li {
                                    label {
                                        input type="checkbox" name="action" value=(action.id);
                                        span class="action-label" { (action.label) }
                                        span class="action-scopes" { (action.scopes.join(", ")) }
                                    }
                                }
                            }
                        }
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
