//! Ranking a connector's actions for a natural-language query ("send a reply to a
//! customer"): the hub's `POST /actions/search`, `GET /actions?search=` and MCP's search tool
//! all use it.
//!
//! A BM25-style scorer over three fields with weights (id and label count more than the
//! description). Words are folded to light stems (plural and verb endings, a final `e`), and the
//! query is first rewritten with the connector's curated synonyms (`search.synonyms` in
//! `connector.json`: what people say, mapped to the catalogue's own words), so that "label the
//! ticket" finds "Add Conversation Tag". A word that no action uses may still match the start of
//! one that does, at half weight. Scores are in `(0, 1]`, the best possible match scoring 1.
//!
//! The documents are tokenised once, when the connector is loaded ([`SearchIndex`]).

use std::collections::{HashMap, HashSet};

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
    "be", "that", "this", "it", "its", "their", "front", "using", "via", "not", "we", "us", "you",
    "your", "did", "does", "has", "have", "was", "were", "will", "would", "should", "could",
    "just", "so", "as", "at", "about", "there", "them", "they", "one",
];

/// Field weights: id, label, description.
const WEIGHTS: [f64; 3] = [3.0, 3.0, 1.0];
/// The index of the description among the fields.
const DESCRIPTION: usize = 2;
/// BM25's term-frequency saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.5;
/// How much a match on the start of a word counts, against a whole-word match.
const PREFIX_WEIGHT: f64 = 0.5;
/// The words of a query that are read: a request says what it wants in far fewer, and this
/// bounds the work a hostile query can cause.
const MAX_QUERY_WORDS: usize = 64;
/// The bonus of a word whose number agrees with the label's: "teammates" is rather "List
/// Teammates" than "Get Teammate", and "a teammate" the other way round.
const NUMBER_AGREEMENT: f64 = 0.1;

/// A connector's actions tokenised for search, with its synonyms; built by the loader.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchIndex {
    /// Per action, in catalogue order.
    documents: Vec<Document>,
    /// Average field lengths, for BM25's length normalisation.
    average: [f64; 3],
    /// How many actions use each stem, in any field.
    document_frequency: HashMap<String, usize>,
    /// What people say (stems), each with the catalogue words it means; longest phrase first.
    synonyms: Vec<(Vec<String>, Vec<Vec<String>>)>,
}

/// One action's words.
#[derive(Debug, Clone)]
struct Document {
    /// The stems of its id, label and description. A name (id, label) says what an action does
    /// once: its stems are kept once each, so that "List Contact List Contacts" is no more about
    /// contacts, nor longer, than "List Contacts" is.
    fields: [Vec<String>; 3],
    /// The stems of its label, each with the numbers (false: singular, true: plural) the label
    /// uses it in.
    label_numbers: HashSet<(String, bool)>,
}

/// Whether a lower-case word looks like a plural (`tags`, `statuses`; not `status`).
fn is_plural(word: &str) -> bool {
    word.len() > 3 && word.ends_with('s') && !["ss", "us", "is"].iter().any(|e| word.ends_with(e))
}

/// Folds a lower-case word to a comparable stem: `messages`, `message` → `messag`;
/// `categories` → `category`; `tagged`, `tags` → `tag`; `assigned` → `assign`.
fn stem(word: &str) -> String {
    let mut word = word.to_owned();
    let long_enough = |stripped: &str| stripped.chars().count() >= 3;
    if let Some(stripped) = word
        .strip_suffix("ies")
        .or_else(|| word.strip_suffix("ied"))
        && long_enough(stripped)
    {
        return format!("{stripped}y");
    }
    for suffix in ["sses", "xes", "ches", "shes", "uses"] {
        if word.ends_with(suffix) {
            word.truncate(word.len() - 2);
            return word;
        }
    }
    if is_plural(&word) {
        word.pop();
    }
    for suffix in ["ing", "ed"] {
        if let Some(stripped) = word.strip_suffix(suffix)
            && long_enough(stripped)
        {
            word.truncate(stripped.len());
            // `tagged` → `tagg` → `tag`, as `tag` is written.
            let bytes = word.as_bytes();
            if let [.., a, b] = bytes
                && a == b
                && !matches!(a, b'l' | b's')
            {
                word.pop();
            }
            break;
        }
    }
    if let Some(stripped) = word.strip_suffix('e')
        && long_enough(stripped)
    {
        word.pop();
    }
    word
}

/// Lower-case words of `text`, split at anything but letters and digits; single letters (the
/// `s` of `customer's`) dropped.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().nth(1).is_some())
        .map(str::to_lowercase)
}

/// `terms` without repeats, in first-seen order.
fn distinct(terms: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    terms
        .into_iter()
        .filter(|term| seen.insert(term.clone()))
        .collect()
}

/// The stems of the meaningful words of `text`.
fn terms(text: &str) -> Vec<String> {
    words(text)
        .filter(|word| !STOP_WORDS.contains(&word.as_str()))
        .map(|word| stem(&word))
        .collect()
}

/// One thing a query asks for: any of its stems matches it.
struct Wanted {
    alternatives: Vec<String>,
    /// 1 for a word of the query; shared among the words of a synonym's meaning.
    weight: f64,
    /// Whether the query said it in the plural.
    plural: bool,
}

/// A synonym list that cannot be used; `field` is relative to `search.synonyms`.
pub(crate) struct SynonymProblem {
    pub field: String,
    pub reason: String,
}

impl SearchIndex {
    /// Tokenises the connector's actions and checks its synonyms: every meaning is made of
    /// words that some action's id or label uses, and every phrase is plain lower-case words.
    pub(crate) fn build(connector: &Connector) -> Result<SearchIndex, SynonymProblem> {
        let documents: Vec<Document> = connector
            .actions
            .iter()
            .map(|action| Document {
                fields: [
                    distinct(terms(&action.id.replace('_', " "))),
                    distinct(terms(&action.label)),
                    terms(&action.description),
                ],
                label_numbers: words(&action.label)
                    .map(|word| (stem(&word), is_plural(&word)))
                    .collect(),
            })
            .collect();
        let count = documents.len().max(1) as f64;
        let average = std::array::from_fn(|field| {
            documents
                .iter()
                .map(|d| d.fields[field].len() as f64)
                .sum::<f64>()
                / count
        });
        let mut document_frequency: HashMap<String, usize> = HashMap::new();
        for document in &documents {
            let distinct: HashSet<&String> = document.fields.iter().flatten().collect();
            for term in distinct {
                *document_frequency.entry(term.clone()).or_default() += 1;
            }
        }
        let names: HashSet<&String> = documents
            .iter()
            .flat_map(|d| d.fields[..DESCRIPTION].iter().flatten())
            .collect();

        let mut meanings_of: HashMap<Vec<String>, Vec<Vec<String>>> = HashMap::new();
        let mut phrases_in_order: Vec<Vec<String>> = Vec::new();
        for (meaning, phrases) in &connector.search.synonyms {
            let problem = |field: String, reason: String| SynonymProblem { field, reason };
            if !is_plain_words(meaning) {
                return Err(problem(
                    meaning.clone(),
                    "a meaning must be lower-case words separated by single spaces".into(),
                ));
            }
            let meaning_terms = terms(meaning);
            if let Some(unknown) = meaning_terms.iter().find(|term| !names.contains(term)) {
                return Err(problem(
                    meaning.clone(),
                    format!("`{unknown}` (as stemmed) is in no action's id or label"),
                ));
            }
            if meaning_terms.is_empty() {
                return Err(problem(meaning.clone(), "has only stop words".into()));
            }
            if phrases.is_empty() {
                return Err(problem(
                    meaning.clone(),
                    "must list at least one phrase".into(),
                ));
            }
            let mut seen = HashSet::new();
            for (i, phrase) in phrases.iter().enumerate() {
                let at = format!("{meaning}[{i}]");
                if !is_plain_words(phrase) {
                    return Err(problem(
                        at,
                        "a phrase must be lower-case words separated by single spaces".into(),
                    ));
                }
                let phrase_stems: Vec<String> = words(phrase).map(|word| stem(&word)).collect();
                if phrase_stems.is_empty() {
                    return Err(problem(at, "has no word of two letters or more".into()));
                }
                if phrase_stems == meaning_terms || !seen.insert(phrase_stems.clone()) {
                    return Err(problem(
                        at,
                        format!("`{phrase}` repeats the meaning or an earlier phrase (as stemmed)"),
                    ));
                }
                let meanings = meanings_of.entry(phrase_stems.clone()).or_default();
                if meanings.is_empty() {
                    phrases_in_order.push(phrase_stems);
                }
                meanings.push(meaning_terms.clone());
            }
        }
        // Longest phrase first, so that "out of office" wins over "office".
        phrases_in_order.sort_by_key(|phrase| std::cmp::Reverse(phrase.len()));
        let synonyms = phrases_in_order
            .into_iter()
            .map(|phrase| {
                let meanings = meanings_of.remove(&phrase).unwrap_or_default();
                (phrase, meanings)
            })
            .collect();
        Ok(SearchIndex {
            documents,
            average,
            document_frequency,
            synonyms,
        })
    }

    /// What the query asks for: one [`Wanted`] per word, or per synonym phrase's meaning word.
    /// A synonym phrase is replaced by what it means; a synonym of one word stays an
    /// alternative of its meaning's first word, since the catalogue may use it elsewhere
    /// ("note" means a comment, but contacts have notes too). A meaning of several words
    /// ("time off" for "vacation") counts as much as one word of the query, shared among them.
    fn wanted(&self, query: &str) -> Vec<Wanted> {
        let raw: Vec<String> = words(query).take(MAX_QUERY_WORDS).collect();
        let stems: Vec<String> = raw.iter().map(|word| stem(word)).collect();
        let mut wanted: Vec<Wanted> = Vec::new();
        let mut at = 0;
        while at < stems.len() {
            let rest = &stems[at..];
            let is_stop_word = STOP_WORDS.contains(&raw[at].as_str());
            // A stop word is never a synonym on its own ("can" is not "canned").
            let found = self.synonyms.iter().find(|(phrase, _)| {
                rest.starts_with(phrase) && !(is_stop_word && phrase.len() == 1)
            });
            match found {
                Some((phrase, meanings)) => {
                    let plural = is_plural(&raw[at + phrase.len() - 1]);
                    let longest = meanings.iter().map(Vec::len).max().unwrap_or(1);
                    for position in 0..longest {
                        let mut alternatives: Vec<String> = meanings
                            .iter()
                            .filter_map(|meaning| meaning.get(position).cloned())
                            .collect();
                        if position == 0 && phrase.len() == 1 {
                            alternatives.push(phrase[0].clone());
                        }
                        wanted.push(Wanted {
                            alternatives,
                            weight: 1.0 / longest as f64,
                            // The head noun is last; the words before it modify it, in the
                            // singular ("contact lists").
                            plural: plural && position + 1 == longest,
                        });
                    }
                    at += phrase.len();
                }
                None => {
                    if !is_stop_word {
                        wanted.push(Wanted {
                            alternatives: vec![stems[at].clone()],
                            weight: 1.0,
                            plural: is_plural(&raw[at]),
                        });
                    }
                    at += 1;
                }
            }
        }
        // A thing asked for twice counts once.
        let mut seen = HashSet::new();
        wanted.retain(|w| seen.insert(w.alternatives.clone()));
        wanted
    }

    /// BM25's inverse document frequency of a stem.
    fn idf(&self, term: &str) -> f64 {
        let count = self.documents.len() as f64;
        let containing = self.document_frequency.get(term).copied().unwrap_or(0) as f64;
        ((count - containing + 0.5) / (containing + 0.5) + 1.0).ln()
    }

    /// How well one field matches one stem, before weights and idf.
    fn field_score(&self, field: usize, terms: &[String], term: &str) -> f64 {
        let exact = terms.iter().filter(|t| *t == term).count() as f64;
        // A word no action uses may be the start of one ("attach" → "attachment").
        let known = self.document_frequency.contains_key(term);
        let prefix = if known || term.chars().count() < 4 {
            0.0
        } else {
            terms.iter().filter(|t| t.starts_with(term)).count() as f64
        };
        let frequency = exact + prefix * PREFIX_WEIGHT;
        if frequency == 0.0 {
            return 0.0;
        }
        let length = terms.len() as f64 / self.average[field].max(1.0);
        frequency * (K1 + 1.0) / (frequency + K1 * (1.0 - B + B * length))
    }
}

fn is_plain_words(text: &str) -> bool {
    !text.is_empty()
        && text.split(' ').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// The actions of `connector` that match `query`, best first (ties in catalogue order).
pub fn search_actions<'c>(connector: &'c Connector, query: &str) -> Vec<SearchHit<'c>> {
    let index = &connector.search_index;
    let wanted = index.wanted(query);
    if wanted.is_empty() {
        return Vec::new();
    }
    // How telling a match of each wanted thing is, whichever of its words matched: that of its
    // most common word, so that "ticket" (a synonym of conversation, but also in the two rare
    // ticket-status actions) does not outweigh the conversation it usually means.
    let idf: Vec<f64> = wanted
        .iter()
        .map(|w| {
            w.alternatives
                .iter()
                .map(|term| index.idf(term))
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    // The best a document could score: each wanted thing at full strength in every field.
    let best: f64 = wanted
        .iter()
        .zip(&idf)
        .map(|(w, idf)| w.weight * idf)
        .sum::<f64>()
        * WEIGHTS.iter().sum::<f64>()
        * (K1 + 1.0)
        * (1.0 + NUMBER_AGREEMENT);
    let mut hits: Vec<SearchHit<'c>> = connector
        .actions
        .iter()
        .zip(&index.documents)
        .filter_map(|(action, document)| {
            let score: f64 = wanted
                .iter()
                .zip(&idf)
                .map(|(w, idf)| {
                    let best_alternative = w
                        .alternatives
                        .iter()
                        .map(|term| {
                            let strength = (0..3)
                                .map(|f| {
                                    WEIGHTS[f] * index.field_score(f, &document.fields[f], term)
                                })
                                .sum::<f64>();
                            let agrees = document.label_numbers.contains(&(term.clone(), w.plural));
                            strength * if agrees { 1.0 + NUMBER_AGREEMENT } else { 1.0 }
                        })
                        .fold(0.0, f64::max);
                    w.weight * idf * best_alternative
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
    use serde_json::json;

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
        assert!(top("label the ticket").contains(&"front_add_conversation_tag".to_owned()));
        assert!(top("search conversations").contains(&"front_search_conversations".to_owned()));
        assert_eq!(top("teammates")[0], "front_list_teammates");
        assert_eq!(top("which shared mailboxes exist")[0], "front_list_inboxes");
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

    /// Loads the built-in connectors with Front's `search.synonyms` replaced.
    fn load_with_synonyms(synonyms: serde_json::Value) -> Result<Catalog, String> {
        let builtin = &crate::BUILTIN[0];
        let mut connector: serde_json::Value =
            serde_json::from_str(builtin.connector.text).unwrap();
        connector["search"]["synonyms"] = synonyms;
        let text = connector.to_string();
        let source = crate::ConnectorSource {
            connector: crate::SourceFile {
                path: builtin.connector.path,
                text: &text,
            },
            actions: builtin.actions,
        };
        Catalog::load(&[source]).map_err(|error| error.to_string())
    }

    #[test]
    fn broken_synonyms_are_refused_with_the_field() {
        for (synonyms, field, reason) in [
            (
                json!({"inbx": ["mailbox"]}),
                "search.synonyms.inbx",
                "no action's id or label",
            ),
            (
                json!({"inbox": []}),
                "search.synonyms.inbox",
                "at least one phrase",
            ),
            (
                json!({"inbox": ["Mailbox"]}),
                "search.synonyms.inbox[0]",
                "lower-case",
            ),
            (
                json!({"inbox": ["mailbox", "mailboxes"]}),
                "search.synonyms.inbox[1]",
                "repeats",
            ),
            (
                json!({"inbox": ["inboxes"]}),
                "search.synonyms.inbox[0]",
                "repeats",
            ),
            (
                json!({"Inbox": ["mailbox"]}),
                "search.synonyms.Inbox",
                "lower-case",
            ),
            (
                json!({"inbox": ["x"]}),
                "search.synonyms.inbox[0]",
                "two letters",
            ),
            (json!({"inbox": 3}), "search.synonyms.inbox", "invalid type"),
        ] {
            let error = load_with_synonyms(synonyms).expect_err(field);
            assert!(error.contains(&format!("field `{field}`")), "{error}");
            assert!(error.contains(reason), "{error}");
        }
        let with_unknown_key = {
            let builtin = &crate::BUILTIN[0];
            let mut connector: serde_json::Value =
                serde_json::from_str(builtin.connector.text).unwrap();
            connector["search"]["synonym"] = json!({});
            connector.to_string()
        };
        let source = crate::ConnectorSource {
            connector: crate::SourceFile {
                path: "connector.json",
                text: &with_unknown_key,
            },
            actions: crate::BUILTIN[0].actions,
        };
        let error = Catalog::load(&[source]).unwrap_err().to_string();
        assert!(error.contains("unknown field `synonym`"), "{error}");
    }

    #[test]
    fn a_synonym_phrase_may_span_stop_words_but_a_stop_word_alone_is_no_synonym() {
        // "out of office" holds "of"; "can" must not be taken for "canned".
        assert!(
            top("who is out of office")
                .iter()
                .any(|id| id.contains("time_off"))
        );
        assert!(!top("what inboxes can this agent see")[0].contains("template"));
    }

    #[test]
    fn hostile_queries_are_answered_within_bounds() {
        let front = Catalog::builtin().connector("front").unwrap();
        let many_words = "list tags ".repeat(100_000);
        for query in [
            "a".repeat(200_000).as_str(),
            many_words.as_str(),
            "ééés ßßed 日本語 ✓✓ing ﬁﬁed İİs",
            "tags\u{0}\u{202e}",
        ] {
            let hits = search_actions(front, query);
            assert!(hits.iter().all(|h| h.score > 0.0 && h.score <= 1.0));
        }
        assert_eq!(
            search_actions(front, &many_words)[0].action.id,
            "front_list_tags"
        );
    }

    #[test]
    fn stems_fold_plurals_and_verb_endings() {
        for (word, expected) in [
            ("messages", "messag"),
            ("message", "messag"),
            ("categories", "category"),
            ("tagged", "tag"),
            ("tags", "tag"),
            ("statuses", "status"),
            ("status", "status"),
            ("inboxes", "inbox"),
            ("assigned", "assign"),
            ("following", "follow"),
            ("replied", "reply"),
        ] {
            assert_eq!(stem(word), expected, "{word}");
        }
    }
}
