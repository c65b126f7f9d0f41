//! The catalogue's default face must match the seed page exactly: its core actions are the
//! seed's 52 (ids, labels, scopes, order) and come first, and the 25 scopes its "Configure
//! Resource Permissions" step lists keep the seed's order among all of Front's scopes.

use actionhub_catalog::{Action, Catalog, Connector};
use serde_json::Value;

fn front() -> &'static Connector {
    Catalog::builtin()
        .connector("front")
        .expect("front is built in")
}

fn seed_actions() -> Vec<Value> {
    serde_json::from_str(include_str!("data/seed-actions.json")).expect("seed fixture is JSON")
}

fn core_actions() -> Vec<&'static Action> {
    front().actions().iter().filter(|a| a.core).collect()
}

#[test]
fn ids_labels_and_scopes_equal_the_seed_in_order() {
    let seed = seed_actions();
    let actions = core_actions();
    assert_eq!(actions.len(), 52);
    assert!(
        front().actions()[..52].iter().all(|a| a.core),
        "the core actions come first"
    );
    assert_eq!(seed.len(), 52);
    for (action, expected) in actions.iter().zip(&seed) {
        assert_eq!(action.id, expected["id"], "id");
        assert_eq!(action.label, expected["label"], "label of {}", action.id);
        let scopes: Vec<&str> = expected["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(action.scopes, scopes, "scopes of {}", action.id);
    }
}

#[test]
fn scope_definitions_are_the_seed_scopes_in_the_seed_order() {
    let seed: Vec<&str> = include_str!("data/seed-scopes.txt").lines().collect();
    let names: Vec<&str> = front()
        .scopes
        .iter()
        .map(|s| s.name.as_str())
        .filter(|name| seed.contains(name))
        .collect();
    assert_eq!(names, seed);
    assert_eq!(names.len(), 25);
    assert!(
        names.contains(&"messages:write"),
        "messages:write is listed though no action needs it"
    );
    for scope in &front().scopes {
        assert!(
            !scope.description.contains('\n'),
            "one line: {}",
            scope.name
        );
    }
}

#[test]
fn every_action_selected_needs_the_24_distinct_scopes() {
    let front = front();
    let all = core_actions();
    let scopes: Vec<&str> = front
        .scopes_for(&all)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(scopes.len(), 24);
    let seed: Vec<&str> = include_str!("data/seed-scopes.txt")
        .lines()
        .filter(|s| *s != "messages:write")
        .collect();
    assert_eq!(scopes, seed, "the union keeps the seed's order");
}

#[test]
fn all_scopes_enable_every_action_listed_by_label_as_the_seed_badge_does() {
    let front = front();
    let seed_scopes: Vec<&str> = include_str!("data/seed-scopes.txt").lines().collect();
    let labels: Vec<&str> = front
        .actions_enabled_by(&seed_scopes)
        .iter()
        .filter(|a| a.core)
        .map(|a| a.label.as_str())
        .collect();
    let mut expected: Vec<String> = seed_actions()
        .iter()
        .map(|a| a["label"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(labels, expected);
}

#[test]
fn the_guide_concerns_every_scope_in_its_permissions_step() {
    let steps: Vec<_> = front()
        .guide
        .sections
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| s.shows_selected_scopes)
        .collect();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].title, "Configure Resource Permissions");
}

#[test]
fn delete_conversation_is_the_permanent_destructive_delete() {
    let action = front().action("front_delete_conversation").unwrap();
    assert_eq!(action.method.as_str(), "DELETE");
    assert_eq!(action.path, "/conversations/{conversation_id}");
    assert_eq!(action.scopes, ["conversations:delete"]);
    assert!(action.hints.destructive && !action.hints.read_only);
    let description = action.description.to_lowercase();
    assert!(description.contains("permanently"), "{description}");
    assert!(description.contains("trash"), "{description}");
}
