//! `GET /conversations/search/{query}`: Front's search syntax over the simulated conversations.
//!
//! Free words must all appear in the subject or a message (case-insensitive); `"quoted
//! phrases"` must appear as written; filters are `is:` (open, archived, assigned, unassigned,
//! snoozed, trashed, unreplied), `tag:`, `inbox:`, `to:`, `from:`, `cc:`, `bcc:`, `assignee:`,
//! `before:` and `after:` (Unix seconds, last activity). Several filters all apply. Results
//! are ordered by last activity, newest first, and carry `_total`; trashed and spam
//! conversations only show up with `is:trashed`.

use super::{Outcome, ok};
use crate::error::ApiError;
use crate::paging::{PageRequest, paginate};
use crate::render::paged_list;
use crate::request::{Call, DEFAULT_LIMIT};
use crate::world::{Conversation, ConversationState, World};

/// Longer queries are refused: every word is matched against every conversation.
const MAX_QUERY_CHARS: usize = 1_000;

const STATUSES: &[&str] = &[
    "open",
    "archived",
    "assigned",
    "unassigned",
    "snoozed",
    "trashed",
    "unreplied",
];

#[derive(Debug, PartialEq)]
enum Filter {
    Is(String),
    Tag(String),
    Inbox(String),
    /// A message party with this role (`to`, `from`, `cc`, `bcc`) and handle.
    Party(&'static str, String),
    Assignee(String),
    Before(f64),
    After(f64),
}

#[derive(Debug, Default, PartialEq)]
struct SearchQuery {
    /// Lower-cased free words and phrases.
    texts: Vec<String>,
    filters: Vec<Filter>,
}

/// Splits on spaces outside quotes; quoted text is one term.
fn terms(query: &str) -> Vec<(String, bool)> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    for c in query.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    terms.push((std::mem::take(&mut current), was_quoted));
                }
                was_quoted = false;
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        terms.push((current, was_quoted));
    }
    terms
}

fn parse(query: &str) -> Result<SearchQuery, ApiError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::invalid_field(
            "path.query",
            format!("is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    let mut parsed = SearchQuery::default();
    for (term, quoted) in terms(query) {
        let filter = if quoted { None } else { term.split_once(':') };
        let Some((name, value)) = filter.filter(|(_, v)| !v.is_empty()) else {
            parsed.texts.push(term.to_lowercase());
            continue;
        };
        let number = |value: &str| {
            value
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "path.query",
                        format!("`{name}:` takes a Unix timestamp in seconds, got `{value}`"),
                    )
                })
        };
        parsed.filters.push(match name {
            "is" if STATUSES.contains(&value) => Filter::Is(value.to_owned()),
            "is" => {
                return Err(ApiError::invalid_field(
                    "path.query",
                    format!(
                        "`is:{value}` is not a status; expected one of: {}",
                        STATUSES.join(", ")
                    ),
                ));
            }
            "tag" => Filter::Tag(value.to_owned()),
            "inbox" => Filter::Inbox(value.to_owned()),
            "to" => Filter::Party("to", value.to_lowercase()),
            "from" => Filter::Party("from", value.to_lowercase()),
            "cc" => Filter::Party("cc", value.to_lowercase()),
            "bcc" => Filter::Party("bcc", value.to_lowercase()),
            "assignee" => Filter::Assignee(value.to_owned()),
            "before" => Filter::Before(number(value)?),
            "after" => Filter::After(number(value)?),
            // Not a filter Front knows: plain text, as Front treats it.
            _ => {
                parsed.texts.push(term.to_lowercase());
                continue;
            }
        });
    }
    parsed.texts.sort_unstable();
    parsed.texts.dedup();
    Ok(parsed)
}

fn matches(world: &World, query: &SearchQuery, conversation: &Conversation) -> bool {
    let wants_trash = query.filters.contains(&Filter::Is("trashed".into()));
    if !wants_trash
        && matches!(
            conversation.state,
            ConversationState::Trashed | ConversationState::Spam
        )
    {
        return false;
    }
    let messages = || {
        conversation
            .message_ids
            .iter()
            .filter_map(|id| world.messages.get(id))
    };
    let filters_hold = query.filters.iter().all(|filter| match filter {
        Filter::Is(status) => match status.as_str() {
            "open" => conversation.state == ConversationState::Open,
            "archived" => conversation.state == ConversationState::Archived,
            "trashed" => conversation.state == ConversationState::Trashed,
            "assigned" => conversation.assignee_id.is_some(),
            "unassigned" => conversation.assignee_id.is_none(),
            "unreplied" => world.is_unreplied(conversation),
            // Nothing is snoozed in the simulator.
            _ => false,
        },
        Filter::Tag(tag) => conversation.tag_ids.iter().any(|t| t == tag),
        Filter::Inbox(inbox) => &conversation.inbox_id == inbox,
        Filter::Party(role, handle) => messages().any(|m| {
            m.recipients
                .iter()
                .any(|r| r.role == *role && r.handle.to_lowercase() == *handle)
        }),
        Filter::Assignee(reference) => world
            .teammate(reference)
            .is_some_and(|t| conversation.assignee_id.as_deref() == Some(t.id.as_str())),
        Filter::Before(at) => conversation.updated_at < *at,
        Filter::After(at) => conversation.updated_at > *at,
    });
    if !filters_hold {
        return false;
    }
    if query.texts.is_empty() {
        return true;
    }
    let mut haystack = conversation.subject.to_lowercase();
    for message in messages() {
        haystack.push('\n');
        haystack.push_str(&message.subject.to_lowercase());
        haystack.push('\n');
        haystack.push_str(&message.text.to_lowercase());
    }
    query
        .texts
        .iter()
        .all(|text| haystack.contains(text.as_str()))
}

pub fn search(world: &World, call: &Call<'_>) -> Outcome {
    let query = parse(call.param("query"))?;
    let request: PageRequest = call.page_request(DEFAULT_LIMIT, true)?;
    let found: Vec<&Conversation> = world
        .conversations
        .values()
        .filter(|c| matches(world, &query, c))
        .collect();
    // "There is no way to change the sort order": last activity, newest first.
    let request = PageRequest {
        descending: true,
        ..request
    };
    let page = paginate(found, |c| (c.updated_at, c.id.as_str()), &request);
    let view = call.view(world);
    ok(paged_list(
        call.self_url(),
        page.next.map(|cursor| call.next_url(&cursor)),
        page.items.iter().map(|c| view.conversation(c)).collect(),
        Some(page.total),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_split_into_texts_and_filters() {
        let parsed = parse(r#"refund "order 12" is:open tag:tag_1 to:A@B.c re: after:10"#).unwrap();
        assert_eq!(parsed.texts, ["order 12", "re:", "refund"]);
        assert_eq!(
            parsed.filters,
            [
                Filter::Is("open".into()),
                Filter::Tag("tag_1".into()),
                Filter::Party("to", "a@b.c".into()),
                Filter::After(10.0),
            ]
        );
        assert!(parse("is:sleeping").is_err());
        assert!(parse("before:yesterday").is_err());
        assert_eq!(parse("").unwrap(), SearchQuery::default());
        assert_eq!(parse("a a A").unwrap().texts, ["a"]);
        assert!(parse(&"word ".repeat(300)).is_err());
    }
}
