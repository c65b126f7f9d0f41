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

fn main() {
    time("full", BUILTIN);
    let front = &BUILTIN[0];
    let core_texts: Vec<(String, &str)> = front
        .actions
        .iter()
        .map(|file| {
            let actions: Vec<Value> = serde_json::from_str(file.text).expect("JSON");
            let core: Vec<Value> = actions.into_iter().filter(|a| a["core"] == true).collect();
            (serde_json::to_string(&core).expect("JSON"), file.path)
        })
        .filter(|(text, _)| text != "[]")
        .collect();
    let core_files: Vec<SourceFile<'_>> = core_texts
        .iter()
        .map(|(text, path)| SourceFile { path, text })
        .collect();
    time(
        "core",
        &[ConnectorSource {
            connector: front.connector,
            actions: &core_files,
        }],
    );
}
