//! The page an end user opens from a connect link: how to create a Front API token with the
//! scopes this link needs, the token field, and the outcome of linking.
//!
//! The form posts back to `/link` (so it works without scripts); `link.js` sends the same
//! data to `POST /hub/accounts` instead and shows the outcome without leaving the page.

use actionhub_catalog::{Action, Connector};
use maud::{Markup, html};

use crate::guide::guide_sections;
use crate::layout::page;

/// What the page shows for one connect session.
#[derive(Debug)]
pub struct LinkPage<'a> {
    pub connector: &'a Connector,
    /// The connect session token, posted back with the form.
    pub session_token: &'a str,
    /// Who the account is linked for (the developer's customer).
    pub owner_name: &'a str,
    /// The actions the account will be allowed; empty means every action.
    pub actions: &'a [&'a Action],
    /// Set when the session re-links an existing account.
    pub editing_account: Option<&'a str>,
    /// Where to send the user once linked, if the developer asked for it.
    pub redirect_url: Option<&'a str>,
    /// The result of a form post, when the page is rendered after one.
    pub outcome: Option<LinkOutcome<'a>>,
}

/// The result of submitting a token.
#[derive(Debug)]
pub enum LinkOutcome<'a> {
    Linked {
        account_id: &'a str,
        company_name: &'a str,
        redirect_url: Option<&'a str>,
    },
    /// Refused, with a plain-words reason shown beside the field.
    Refused { reason: &'a str },
}

/// Why a connect link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkUnavailable {
    Unknown,
    Expired,
    AlreadyUsed,
}

/// The link page for a usable session.
pub fn link_page(view: &LinkPage<'_>) -> Markup {
    let connector = view.connector;
    let all: Vec<&Action> = connector.actions().iter().collect();
    let actions = if view.actions.is_empty() {
        &all[..]
    } else {
        view.actions
    };
    let scopes: Vec<&str> = connector
        .scopes_for(actions)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let credential = &connector.credential;
    let refused = match &view.outcome {
        Some(LinkOutcome::Refused { reason }) => Some(*reason),
        _ => None,
    };
    let linked = match &view.outcome {
        Some(LinkOutcome::Linked {
            account_id,
            company_name,
            redirect_url,
        }) => Some((*account_id, *company_name, *redirect_url)),
        _ => None,
    };
    let content = html! {
        div class="guide-head" {
            img src="/assets/front.svg" alt="" width="40" height="40";
            h1 { "Connect " (connector.name) }
        }
        p class="lead" {
            @if let Some(account) = view.editing_account {
                "Update the " (connector.name) " token of account " code { (account) } " for " strong { (view.owner_name) } "."
            } @else {
                "Link a " (connector.name) " account for " strong { (view.owner_name) } " with an API token."
            }
        }
        @if let Some((account_id, company_name, redirect_url)) = linked {
            section class="panel success" aria-labelledby="linked-title" data-link-linked
                data-account-id=(account_id) data-provider=(connector.key) {
                h2 id="linked-title" { "Account linked" }
                p { "Your " (connector.name) " company " strong { (company_name) } " is now linked. You can close this page." }
                @if let Some(url) = redirect_url {
                    p { a class="button primary" href=(url) { "Continue" } }
                }
            }
        } @else {
            (link_form(view, credential.label.as_str(), &credential.placeholder, refused))
            (guide_sections(connector, &scopes))
        }
    };
    page(
        &format!("Connect {}", connector.name),
        &["/assets/link.js"],
        content,
    )
}

fn link_form(view: &LinkPage<'_>, label: &str, placeholder: &str, refused: Option<&str>) -> Markup {
    html! {
        form class="panel link-form" method="post" action="/link" novalidate data-link-form
            data-provider=(view.connector.key) data-redirect-url=[view.redirect_url] {
            input type="hidden" name="token" value=(view.session_token);
            label for="api-token" class="field-label" { (label) }
            p id="api-token-help" class="muted" {
                "Paste the token you create with the steps below. It is checked with "
                (view.connector.name) " before anything is saved."
            }
            div class="row" {
                input id="api-token" name="api_token" type="password" required autocomplete="off"
                    spellcheck="false" placeholder=(placeholder)
                    aria-describedby="api-token-help api-token-error"
                    aria-invalid=[refused.map(|_| "true")];
                button type="button" aria-controls="api-token" aria-pressed="false" data-link-toggle hidden { "Show" }
            }
            p id="api-token-error" class="field-error" role="alert" data-link-error hidden[refused.is_none()] {
                @if let Some(reason) = refused { (reason) }
            }
            button type="submit" class="primary" data-link-submit { "Connect" }
            p class="status" role="status" aria-live="polite" data-link-status {}
        }
        dialog class="panel" aria-labelledby="dialog-title" data-link-dialog {
            h2 id="dialog-title" { "Account linked" }
            p {
                "Your " (view.connector.name) " company " strong data-link-company {} " is now linked. "
                "You can close this page."
            }
            div class="row" {
                @if let Some(url) = view.redirect_url {
                    a class="button primary" href=(url) { "Continue" }
                }
                button type="button" data-link-close { "Close" }
            }
        }
    }
}

/// The page for a connect link that cannot be used.
pub fn link_unavailable_page(reason: LinkUnavailable) -> Markup {
    let (title, text) = match reason {
        LinkUnavailable::Unknown => (
            "This link is not valid",
            "The connect link is incomplete or unknown. Ask whoever sent it for a new one.",
        ),
        LinkUnavailable::Expired => (
            "This link has expired",
            "Connect links are valid for a limited time. Ask whoever sent it for a new one.",
        ),
        LinkUnavailable::AlreadyUsed => (
            "This link was already used",
            "An account was already linked with this connect link, and a link works only once. \
             Ask whoever sent it for a new one if you need to link again.",
        ),
    };
    message_page(title, text)
}

/// A page that only says something: a title and one paragraph.
pub fn message_page(title: &str, text: &str) -> Markup {
    page(
        title,
        &[],
        html! {
            h1 { (title) }
            p class="lead" { (text) }
        },
    )
}
