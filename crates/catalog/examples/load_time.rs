//! Times loading (parsing, checking and compiling the schemas of) the built-in catalogue, beside
//! the same catalogue cut down to its core actions (the seed's 52): the figure
//! `scripts/bench-catalogue.sh` reports for start-up. Prints one line per catalogue:
//! `<name> <actions> <median µs> <min µs>`.

use std::time::Instant;

use actionhub_catalog::{BUILTIN, Catalog, ConnectorSource, SourceFile};
use serde_json::Value;

const ROUNDS: usize = 30;

fn time(name: &str, sources: &[ConnectorSource<'_>]) {
    let mut micros: Vec<u128> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            let catalog = Catalog::load(sources).expect("the built-in catalogue loads");
            let elapsed = started.elapsed().as_micros();
            std::hint::black_box(catalog);
            elapsed
        })
        .collect();
    micros.sort_unstable();
    let actions = Catalog::load(sources).unwrap().connectors()[0]
        .actions()
        .len();
    println!("{name} {actions} {} {}", micros[ROUNDS / 2], micros[0]);
}

/// `connector.json` as it would be for the core actions alone: views name only core actions,
/// and synonyms only words that core ids and labels use (the loader checks both).
fn core_connector(text: &str, core: &[Value]) -> String {
    let mut connector: Value = serde_json::from_str(text).expect("JSON");
    let ids: Vec<&str> = core.iter().filter_map(|a| a["id"].as_str()).collect();
    if let Some(views) = connector["views"].as_object_mut() {
        for view in views.values_mut() {
            if let Some(actions) = view["actions"].as_array_mut() {
                actions.retain(|id| ids.contains(&id.as_str().unwrap_or_default()));
            }
        }
        views.retain(|_, view| view["actions"].as_array().is_some_and(|a| !a.is_empty()));
    }
    // Words compared as the loader roughly stems them: lowercase, a plural `s` dropped.
    let stem = |word: &str| word.to_lowercase().trim_end_matches('s').to_owned();
    let words: Vec<String> = core
        .iter()
        .flat_map(|a| {
            format!("{} {}", a["id"], a["label"])
                .split(|c: char| !c.is_alphanumeric())
                .map(stem)
                .collect::<Vec<_>>()
        })
        .collect();
    if let Some(synonyms) = connector["search"]["synonyms"].as_object_mut() {
        synonyms.retain(|meaning, _| meaning.split(' ').all(|w| words.contains(&stem(w))));
    }
    serde_json::to_string(&connector).expect("JSON")
}

fn main() {
    time("full", BUILTIN);
    let front = &BUILTIN[0];
    let mut core = Vec::new();
    let core_texts: Vec<(String, &str)> = front
        .actions
        .iter()
        .map(|file| {
            let actions: Vec<Value> = serde_json::from_str(file.text).expect("JSON");
            let kept: Vec<Value> = actions.into_iter().filter(|a| a["core"] == true).collect();
            core.extend(kept.iter().cloned());
            (serde_json::to_string(&kept).expect("JSON"), file.path)
        })
        .filter(|(text, _)| text != "[]")
        .collect();
    let connector_text = core_connector(front.connector.text, &core);
    let core_files: Vec<SourceFile<'_>> = core_texts
        .iter()
        .map(|(text, path)| SourceFile { path, text })
        .collect();
    time(
        "core",
        &[ConnectorSource {
            connector: SourceFile {
                path: front.connector.path,
                text: &connector_text,
            },
            actions: &core_files,
        }],
    );
}
