//! How well action search understands what people ask for: every request of
//! `data/search-eval.json` (paraphrases, support jargon, questions and agent-style orders, none
//! copied from a label) goes through the real ranking over the built-in catalogue. The test
//! prints the top-1 and top-3 rates and every miss, and fails when fewer than 90% of the
//! requests find an expected action among the first three results.
//!
//! `scripts/bench-search.sh` runs it with `--nocapture`, together with `search_latency`.

use std::time::Instant;

use actionhub_catalog::{Catalog, Connector, search_actions};
use serde::Deserialize;

/// Top-3 rate below which the test fails.
const TOP3_BAR: f64 = 0.90;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Evaluation {
    #[allow(dead_code)] // documents the file for its readers
    about: String,
    /// The rates of the ranking before synonyms, kept for comparison.
    baseline: Rates,
    requests: Vec<Request>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rates {
    ranking: String,
    top1: f64,
    top3: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    query: String,
    /// Every action that answers the request; finding any of them counts.
    expected: Vec<String>,
}

fn front() -> &'static Connector {
    Catalog::builtin()
        .connector("front")
        .expect("front is built in")
}

fn evaluation() -> Evaluation {
    serde_json::from_str(include_str!("data/search-eval.json")).expect("search-eval.json parses")
}

#[test]
fn search_finds_what_people_ask_for() {
    let evaluation = evaluation();
    let front = front();
    for request in &evaluation.requests {
        for id in &request.expected {
            assert!(
                front.action(id).is_ok(),
                "`{}` expects `{id}`, which is not an action",
                request.query
            );
        }
    }
    let total = evaluation.requests.len();
    assert!(total >= 100, "the evaluation needs at least 100 requests");
    let (mut top1, mut top3) = (0usize, 0usize);
    let mut misses = Vec::new();
    for request in &evaluation.requests {
        let ranked: Vec<&str> = search_actions(front, &request.query)
            .iter()
            .take(3)
            .map(|hit| hit.action.id.as_str())
            .collect();
        let position = ranked
            .iter()
            .position(|id| request.expected.iter().any(|expected| expected == id));
        if position == Some(0) {
            top1 += 1;
        }
        match position {
            Some(_) => top3 += 1,
            None => misses.push(format!(
                "  {:?}: expected {}, got {}",
                request.query,
                request.expected.join(" or "),
                if ranked.is_empty() {
                    "nothing".to_owned()
                } else {
                    ranked.join(", ")
                }
            )),
        }
    }
    let rate = |hits: usize| hits as f64 / total as f64;
    let baseline = &evaluation.baseline;
    println!(
        "action search over {} actions, {total} requests",
        front.actions().len()
    );
    println!(
        "  baseline ({}): top-1 {:.1}%, top-3 {:.1}%",
        baseline.ranking,
        baseline.top1 * 100.0,
        baseline.top3 * 100.0
    );
    println!(
        "  now: top-1 {:.1}% ({top1}/{total}), top-3 {:.1}% ({top3}/{total})",
        rate(top1) * 100.0,
        rate(top3) * 100.0
    );
    println!("misses (not in the top 3): {}", misses.len());
    for miss in &misses {
        println!("{miss}");
    }
    assert!(
        rate(top3) >= TOP3_BAR,
        "top-3 rate {:.1}% is under {:.0}%; misses:\n{}",
        rate(top3) * 100.0,
        TOP3_BAR * 100.0,
        misses.join("\n")
    );
}

/// Prints the time one search takes over the whole catalogue (never asserted: timings depend
/// on the machine and its load).
#[test]
fn search_latency() {
    let evaluation = evaluation();
    let front = front();
    // The first call loads the catalogue and its index; time the searches alone.
    search_actions(front, "warm up");
    const ROUNDS: usize = 20;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        for request in &evaluation.requests {
            std::hint::black_box(search_actions(front, &request.query));
        }
    }
    let searches = ROUNDS * evaluation.requests.len();
    let per_search = started.elapsed() / u32::try_from(searches).unwrap_or(u32::MAX);
    println!(
        "search latency: {:.1} µs per query ({searches} searches over {} actions, {} build)",
        per_search.as_secs_f64() * 1e6,
        front.actions().len(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "optimised"
        }
    );
}
