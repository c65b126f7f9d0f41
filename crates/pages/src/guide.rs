//! The scope guide page ("Connect Front with API Token"): pick actions, see and copy the scopes
//! they need, copy a URL that reopens the same selection, and follow the token steps.
//!
//! The server renders the whole state for the selection in the URL, so the page is complete
//! without JavaScript; `guide.js` keeps it in step as the reader changes the selection.

use actionhub_catalog::{Action, Connector, GuideStep, Separator};
use maud::{Markup, html};
use serde_json::json;

use crate::checklist::{GroupButtons, action_checklist};
use crate::layout::page;
use crate::rich_text::rich;

/// Which actions the guide is adjusted to.
#[derive(Debug, Clone, Copy)]
pub enum GuideSelection<'a> {
    /// No selection was given: the guide covers the connector's core actions (its default
    /// face); the others are listed unticked, by resource group.
    Core,
    /// Exactly these actions (possibly none).
    Only(&'a [&'a Action]),
}

/// Renders the guide. `public_base` is the hub's external URL (no trailing slash), used to
/// show an absolute Dynamic Guide URL.
pub fn scope_guide(
    connector: &Connector,
    selection: GuideSelection<'_>,
    public_base: &str,
) -> Markup {
    let core = connector.core_actions();
    let selected: &[&Action] = match selection {
        GuideSelection::Core => &core,
        GuideSelection::Only(actions) => actions,
    };
    let is_selected = |action: &Action| selected.iter().any(|s| s.id == action.id);
    let scopes = connector.scopes_for(selected);
    let scope_names: Vec<&str> = scopes.iter().map(|s| s.name.as_str()).collect();
    let guide_path = connector.guide_path();
    let url = match selection {
        GuideSelection::Core => format!("{public_base}{guide_path}"),
        // An explicit empty list keeps "nothing selected" distinct from "no selection given".
        GuideSelection::Only([]) => format!("{public_base}{guide_path}?actions="),
        GuideSelection::Only(actions) => format!("{public_base}{}", connector.guide_url(actions)),
    };
    let actions_json = json!(
        connector
            .actions()
            .iter()
            .map(|a| json!({"id": a.id, "label": a.label, "scopes": a.scopes}))
            .collect::<Vec<_>>()
    )
    .to_string();
    let scope_order_json = json!(
        connector
            .scopes
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
    )
    .to_string();
    let guide = &connector.guide;

    let content = html! {
        div class="guide-head" {
            img src="/assets/front.svg" alt="" width="40" height="40";
            h1 { (guide.title) }
        }
        p class="lead" { (guide.summary) }
        p class="notice" role="note" { (guide.warning) }

        section class="panel selector" aria-labelledby="selector-title"
            data-guide data-guide-path=(guide_path)
            data-actions-json=(actions_json) data-scope-order-json=(scope_order_json) {
            h2 id="selector-title" { "Select Actions to adjust the guide" }
            p class="muted" {
                "Some actions may require additional configuration in the provider to be accessible. "
                "Choose the actions you need and the guide will be updated."
            }
            form method="get" action=(guide_path) {
                div class="toolbar" {
                    label for="action-search" class="visually-hidden" { "Search actions" }
                    input id="action-search" type="search" placeholder="Search actions..."
                        autocomplete="off" data-guide-search;
                    button type="button" data-guide-select-all { "Select all" }
                    button type="button" data-guide-clear { "Clear" }
                }
                fieldset class="action-list" {
                    legend class="list-header" {
                        span { "Action" }
                        span { "Scope(s)" }
                    }
                    (action_checklist(connector, is_selected, GroupButtons::Shown))
                    p class="muted empty" data-guide-no-results hidden { "No actions match your search." }
                }
                noscript {
                    button type="submit" { "Show the guide for this selection" }
                }
            }
            div class="outputs" {
                label for="guide-url" class="field-label" { "Dynamic Guide URL" }
                div class="row" {
                    input id="guide-url" type="text" readonly value=(url) data-guide-url;
                    button type="button" data-guide-copy-url { "Copy URL" }
                }
                span class="field-label" id="scopes-label" { "Scopes Selected" }
                div class="row" {
                    pre role="textbox" aria-readonly="true" aria-labelledby="scopes-label" tabindex="0"
                        data-guide-scopes-output { (Separator::Space.join(scope_names.iter().copied())) }
                    div class="column" {
                        label for="scope-separator" { "Separator" }
                        select id="scope-separator" data-guide-separator {
                            @for separator in Separator::ALL {
                                option value=(separator.name()) { (separator.label()) }
                            }
                        }
                        button type="button" data-guide-copy-scopes { "Copy scopes" }
                    }
                }
                p class="status" role="status" aria-live="polite" data-guide-status {}
            }
        }

        (guide_sections(connector, &scope_names))
    };
    page(&guide.title, &["/assets/guide.js"], content)
}

/// The guide's sections (creating a token, linking it), adjusted to the selected scopes.
pub(crate) fn guide_sections(connector: &Connector, selected_scopes: &[&str]) -> Markup {
    let enabled: Vec<&str> = connector
        .actions_enabled_by(selected_scopes)
        .iter()
        .map(|a| a.label.as_str())
        .collect();
    html! {
        @for section in &connector.guide.sections {
            section class="guide-section" {
                h2 { (section.title) }
                p { (rich(&section.intro)) }
                ol class="steps" {
                    @for step in &section.steps {
                        li { (guide_step(connector, step, selected_scopes, &enabled)) }
                    }
                }
                @if let Some(outro) = &section.outro {
                    p { (rich(outro)) }
                }
            }
        }
    }
}

/// One step; the permissions step also lists the selected scopes and the actions they enable.
fn guide_step(
    connector: &Connector,
    step: &GuideStep,
    selected_scopes: &[&str],
    enabled: &[&str],
) -> Markup {
    html! {
        h3 { (step.title) }
        @if step.shows_selected_scopes {
            p class="badge" data-guide-badge hidden[enabled.is_empty()] {
                "Enables actions: " span data-guide-badge-labels { (enabled.join(", ")) }
            }
        }
        p { (rich(&step.text)) }
        @if !step.bullets.is_empty() {
            ul { @for bullet in &step.bullets { li { (rich(bullet)) } } }
        }
        @if step.shows_selected_scopes {
            p class="muted" data-guide-no-scopes hidden[!selected_scopes.is_empty()] {
                "Select at least one action above to see the scopes to enable."
            }
            p hidden[selected_scopes.is_empty()] {
                button type="button" class="scope-copy" data-copy=(Separator::Space.join(selected_scopes.iter().copied()))
                    data-guide-copy-all { "Copy all scopes" }
            }
            ul class="scope-list" {
                @for scope in &connector.scopes {
                    li data-guide-scope=(scope.name) hidden[!selected_scopes.contains(&scope.name.as_str())] {
                        button type="button" class="scope-copy" data-copy=(scope.name)
                            aria-label={ "Copy " (scope.name) } title=(scope.description) {
                            code { (scope.name) }
                        }
                        span class="muted" { (scope.description) }
                    }
                }
            }
        }
    }
}
