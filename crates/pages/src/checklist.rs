//! The actions as a list of checkboxes (named `action`, so a form without scripts posts the
//! choice), shared by the scope guide and the dashboard's connect-link form.
//!
//! A connector has a few hundred actions: the core ones (its default face) are listed first
//! and open; every other action is one click away in a collapsed `<details>` per resource
//! group, opened from the start when one of its actions is checked.

use actionhub_catalog::{Action, Connector};
use maud::{Markup, html};

/// Whether the list offers a "Select group" button per group (it needs the guide's script).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupButtons {
    Shown,
    Omitted,
}

/// The checklist; `checked` says which boxes start ticked.
pub(crate) fn action_checklist(
    connector: &Connector,
    checked: impl Fn(&Action) -> bool,
    buttons: GroupButtons,
) -> Markup {
    let groups: Vec<(&str, Vec<&Action>)> = connector
        .groups()
        .into_iter()
        .map(|group| {
            let others: Vec<&Action> = connector
                .group_actions(group)
                .into_iter()
                .filter(|action| !action.core)
                .collect();
            (group, others)
        })
        .filter(|(_, others)| !others.is_empty())
        .collect();
    html! {
        ul {
            @for action in connector.core_actions() {
                (action_item(action, checked(action)))
            }
        }
        @if !groups.is_empty() {
            p class="list-subheader" { "More actions, by resource" }
        }
        @for (group, actions) in &groups {
            @let ticked = actions.iter().filter(|action| checked(action)).count();
            @let title = group_title(group);
            details class="action-group" data-guide-group=(group) open[ticked > 0] {
                summary {
                    span class="group-title" { (title) }
                    " "
                    span class="muted group-count" data-guide-group-count {
                        (ticked) " of " (actions.len()) " selected"
                    }
                }
                @if buttons == GroupButtons::Shown {
                    p class="group-tools" {
                        // The visible text starts the accessible name, which says which group.
                        button type="button" data-guide-select-group=(group)
                            aria-label={ "Select group: " (title) } { "Select group" }
                    }
                }
                ul {
                    @for action in actions {
                        (action_item(action, checked(action)))
                    }
                }
            }
        }
    }
}

fn action_item(action: &Action, checked: bool) -> Markup {
    html! {
        li data-guide-action=(action.id) {
            label {
                input type="checkbox" name="action" value=(action.id) checked[checked];
                span class="action-label" { (action.label) }
                span class="action-scopes" { (action.scopes.join(", ")) }
            }
        }
    }
}

/// A group's name as people read it: `knowledge_bases` → `Knowledge bases`.
fn group_title(group: &str) -> String {
    let words = group.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_titles_read_as_words() {
        assert_eq!(group_title("knowledge_bases"), "Knowledge bases");
        assert_eq!(group_title("tags"), "Tags");
        assert_eq!(group_title(""), "");
    }
}
