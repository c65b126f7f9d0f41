//! Ranking a connector's actions for a natural-language query ("send a reply to a
//! customer"): the hub's `POST /actions/search` and MCP's search tool both use it.
//!
//! A small BM25-style scorer over three fields with weights (id and label count more than the
//! description), with light normalisation (lower case, plural and verb endings folded, a few
//! synonyms of Front's vocabulary) and prefix matches at half weight. Scores are in `(0, 1]`,
//! the best possible match scoring 1.

use crate::definition::{Action, Connector};

/// One ranked action.
#[derive(Debug, Clone, Copy)]
pub struct SearchHit<'c> {
    pub action: &'c Action,
    /// In `(0, 1]`; higher is better.
    pub score: f64,
}

/// Words that say nothing about which action is meant.
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "to", "of", "for", "in", "on", "by", "with", "and", "or", "my", "our", "all",
    "some", "any", "from", "into", "me", "i", "want", "please", "how", "do", "can", "is", "are",
    "be", "that", "this", "it", "its", "their", "front", "using", "via",
];

/// Words people use for what Front's actions call otherwise.
const SYNONYMS: &[(&str, &str)] = &[
    ("email", "message"),
    ("mail", "message"),
    ("ticket", "conversation"),
    ("thread", "conversation"),
    ("customer", "contact"),
    ("person", "contact"),
    ("people", "contact"),
    ("user", "teammate"),
    ("agent", "teammate"),
    ("colleague", "teammate"),
    ("label", "tag"),
    ("note", "comment"),
    ("respond", "reply"),
    ("answer", "reply"),
    ("find", "search"),
    ("show", "get"),
    ("fetch", "get"),
    ("read", "get"),
    ("remove", "delete"),
    ("edit", "update"),
    ("change", "update"),
    ("modify", "update"),
    ("new", "create"),
    ("add", "create"),
    ("company", "account"),
    ("organisation", "account"),
    ("organization", "account"),
    ("assign", "assignee"),
];

/// Field weights: id, label, description.
const WEIGHTS: [f64; 3] = [3.0, 3.0, 1.0];
/// BM25's term-frequency saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.5;

/// Folds a word to a comparable stem.
fn stem(word: &str) -> String {
    let word = word.to_lowercase();
    let word = SYNONYMS
        .iter()
        .find(|(from, _)| *from == word)
        .map_or(word.as_str(), |(_, to)| *to)
        .to_owned();
    for suffix in ["ies", "es", "s", "ing", "ed"] {
        if let Some(stripped) = word.strip_suffix(suffix)
            && stripped.len() >= 3
        {
            return if suffix == "ies" {
                format!("{stripped}y")
            } else {
                stripped.to_owned()
            };
        }
    }
    word
}

fn terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .filter(|word| !STOP_WORDS.contains(&word.to_lowercase().as_str()))
        .map(stem)
        .collect()
}

/// The actions of `connector` that match `query`, best first (ties in catalogue order).
pub fn search_actions<'c>(connector: &'c Connector, query: &str) -> Vec<SearchHit<'c>> {
    let query_terms = {
        let mut terms = terms(query);
        terms.dedup();
        terms
    };
    if query_terms.is_empty() {
        return Vec::new();
    }
    let documents: Vec<[Vec<String>; 3]> = connector
        .actions()
        .iter()
        .map(|action| {
            [
                terms(&action.id.replace('_', " ")),
                terms(&action.label),
                terms(&action.description),
            ]
        })
        .collect();
    let count = documents.len().max(1) as f64;
    let average: [f64; 3] = std::array::from_fn(|field| {
        documents.iter().map(|d| d[field].len() as f64).sum::<f64>() / count
    });
    // Inverse document frequency of each query term, over all fields.
    let idf: Vec<f64> = query_terms
        .iter()
        .map(|term| {
            let containing = documents
                .iter()
                .filter(|d| d.iter().any(|field| field.iter().any(|t| t == term)))
                .count() as f64;
            ((count - containing + 0.5) / (containing + 0.5) + 1.0).ln()
        })
        .collect();
    let field_score = |field: &[String], avg: f64, term: &str| -> f64 {
        let exact = field.iter().filter(|t| *t == term).count() as f64;
        let prefix = field
            .iter()
            .filter(|t| *t != term && term.len() >= 3 && t.starts_with(term))
            .count() as f64;
        let frequency = exact + prefix * 0.5;
        if frequency == 0.0 {
            return 0.0;
        }
        let length = field.len() as f64 / avg.max(1.0);
        frequency * (K1 + 1.0) / (frequency + K1 * (1.0 - B + B * length))
    };
    // The best a document could score: every term at full strength in every field.
    let best: f64 = idf.iter().sum::<f64>() * WEIGHTS.iter().sum::<f64>() * (K1 + 1.0);
    let mut hits: Vec<SearchHit<'c>> = connector
        .actions()
        .iter()
        .zip(&documents)
        .filter_map(|(action, fields)| {
            let score: f64 = query_terms
                .iter()
                .zip(&idf)
                .map(|(term, idf)| {
                    (0..3)
                        .map(|f| WEIGHTS[f] * field_score(&fields[f], average[f], term))
                        .sum::<f64>()
                        * idf
                })
                .sum();
            (score > 0.0).then(|| SearchHit {
                action,
                score: (score / best).min(1.0),
            })
        })
        .collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    fn top(query: &str) -> Vec<String> {
        let front = Catalog::builtin().connector("front").unwrap();
        search_actions(front, query)
            .into_iter()
            .take(3)
            .map(|hit| hit.action.id.clone())
            .collect()
    }

    #[test]
    fn natural_queries_find_the_action() {
        assert_eq!(top("list conversations")[0], "front_list_conversations");
        assert!(top("add a tag to a ticket").contains(&"front_add_conversation_tag".to_owned()));
        assert!(top("search conversations").contains(&"front_search_conversations".to_owned()));
        assert_eq!(top("teammates")[0], "front_list_teammates");
        assert!(top("").is_empty());
        assert!(top("zzzz qqqq").is_empty());
    }

    #[test]
    fn scores_are_ranked_and_bounded() {
        let front = Catalog::builtin().connector("front").unwrap();
        let hits = search_actions(front, "get contact");
        assert!(!hits.is_empty());
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(hits.iter().all(|h| h.score > 0.0 && h.score <= 1.0));
    }
}
