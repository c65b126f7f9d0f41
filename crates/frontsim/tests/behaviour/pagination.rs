use std::collections::HashSet;

use crate::common::{Sim, encode, start_unlimited};

/// Follows `next` from both URLs (which differ in page size or order) and checks that each
/// walk returns every item exactly once, that both find the same items, and how many.
async fn assert_complete(
    sim: &Sim,
    first: &str,
    other: &str,
    expected: Option<usize>,
) -> Vec<String> {
    let walk = sim.all_ids(first).await;
    let unique: HashSet<&String> = walk.iter().collect();
    assert_eq!(unique.len(), walk.len(), "{first}: an item came twice");
    let other_walk = sim.all_ids(other).await;
    let other_unique: HashSet<&String> = other_walk.iter().collect();
    assert_eq!(
        other_unique.len(),
        other_walk.len(),
        "{other}: an item came twice"
    );
    assert_eq!(unique, other_unique, "{first} and {other} disagree");
    if let Some(expected) = expected {
        assert_eq!(walk.len(), expected, "{first}");
    }
    assert!(!walk.is_empty(), "{first} is empty");
    walk
}

const ALL_STATUSES: &str =
    "q[statuses][]=assigned&q[statuses][]=unassigned&q[statuses][]=archived&q[statuses][]=trashed";

#[tokio::test]
async fn company_wide_lists_return_every_item_exactly_once() {
    let sim = start_unlimited().await;
    assert_complete(
        &sim,
        &format!("/conversations?limit=100&{ALL_STATUSES}"),
        &format!("/conversations?limit=37&sort_order=asc&{ALL_STATUSES}"),
        Some(2000),
    )
    .await;
    let visible = assert_complete(
        &sim,
        "/conversations",
        "/conversations?limit=100&sort_by=date&sort_order=asc",
        None,
    )
    .await;
    assert!(
        visible.len() < 2000,
        "trashed conversations are not listed by default"
    );
    assert_complete(
        &sim,
        "/contacts?limit=100",
        "/contacts?limit=33&sort_by=updated_at&sort_order=asc",
        Some(500),
    )
    .await;
    assert_complete(
        &sim,
        "/accounts",
        "/accounts?limit=7&sort_by=updated_at",
        Some(50),
    )
    .await;
    assert_complete(
        &sim,
        "/tags?limit=9",
        "/tags?limit=100&sort_by=id&sort_order=desc",
        Some(50),
    )
    .await;
}

#[tokio::test]
async fn the_next_url_is_absolute_keeps_the_filters_and_hides_its_position() {
    let sim = start_unlimited().await;
    let first = sim
        .get("/conversations?limit=3&q[statuses][]=archived")
        .await;
    let next = first.next().expect("more pages");
    assert!(next.starts_with(sim.running.base_url()), "{next}");
    assert!(
        next.contains("limit=3") && next.contains("page_token="),
        "{next}"
    );
    assert!(next.contains("statuses"), "{next}");
    let second = sim.get(&next).await;
    assert!(
        second.body["_results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "archived")
    );
    assert!(first.ids().iter().all(|id| !second.ids().contains(id)));
    assert_eq!(
        first.body["_links"]["self"],
        format!("{}/conversations", sim.running.base_url())
    );
}

#[tokio::test]
async fn events_pages_cover_the_whole_stream() {
    let sim = start_unlimited().await;
    assert_complete(
        &sim,
        "/events",
        "/events?sort_order=asc&sort_by=created_at",
        None,
    )
    .await;
    let comments = assert_complete(
        &sim,
        "/events?q[types][]=comment&q[types][]=assign",
        "/events?q[types][]=assign&q[types][]=comment&limit=7&sort_order=asc",
        None,
    )
    .await;
    for id in comments.iter().take(5) {
        let event = sim.get(&format!("/events/{id}")).await;
        assert!(["comment", "assign"].contains(&event.body["type"].as_str().unwrap()));
    }
}

#[tokio::test]
async fn sub_resource_lists_return_every_item_exactly_once() {
    let sim = start_unlimited().await;
    // A conversation with several messages, hence several events.
    let mut busy = None;
    for id in sim.get("/conversations?limit=50").await.ids() {
        let messages = sim.get(&format!("/conversations/{id}/messages")).await;
        if messages.ids().len() >= 3 {
            busy = Some((id, messages.ids().len()));
            break;
        }
    }
    let (conversation, message_count) = busy.expect("a conversation with 3 messages");
    assert_complete(
        &sim,
        &format!("/conversations/{conversation}/messages?limit=1"),
        &format!(
            "/conversations/{conversation}/messages?limit=2&sort_by=created_at&sort_order=asc"
        ),
        Some(message_count),
    )
    .await;
    let event_count = sim
        .all_ids(&format!("/conversations/{conversation}/events"))
        .await
        .len();
    assert_complete(
        &sim,
        &format!("/conversations/{conversation}/events?limit=2"),
        &format!("/conversations/{conversation}/events?limit=3"),
        Some(event_count),
    )
    .await;

    let inbox = sim.first_id("/inboxes").await;
    assert_complete(
        &sim,
        &format!("/inboxes/{inbox}/conversations?limit=100"),
        &format!("/inboxes/{inbox}/conversations?limit=41"),
        None,
    )
    .await;
    let tag = sim.first_id("/tags?limit=1").await;
    assert_complete(
        &sim,
        &format!("/tags/{tag}/conversations?limit=5&{ALL_STATUSES}"),
        &format!("/tags/{tag}/conversations?limit=100&{ALL_STATUSES}"),
        None,
    )
    .await;

    let conversation = sim.get(&format!("/conversations/{conversation}")).await;
    let contact_url = conversation.body["recipient"]["_links"]["related"]["contact"]
        .as_str()
        .unwrap();
    let contact = contact_url.rsplit('/').next().unwrap();
    assert_complete(
        &sim,
        &format!("/contacts/{contact}/conversations?limit=1&{ALL_STATUSES}"),
        &format!("/contacts/{contact}/conversations?{ALL_STATUSES}"),
        None,
    )
    .await;

    let mut account_with_contacts = None;
    for account in sim.get("/accounts?limit=50").await.ids() {
        if sim
            .get(&format!("/accounts/{account}/contacts?limit=3"))
            .await
            .next()
            .is_some()
        {
            account_with_contacts = Some(account);
            break;
        }
    }
    let account = account_with_contacts.expect("an account with more than 3 contacts");
    assert_complete(
        &sim,
        &format!("/accounts/{account}/contacts?limit=3"),
        &format!("/accounts/{account}/contacts?limit=2&sort_by=updated_at&sort_order=asc"),
        None,
    )
    .await;
}

#[tokio::test]
async fn search_pages_add_up_to_its_total() {
    let sim = start_unlimited().await;
    let query = encode("is:open");
    let first = sim
        .get(&format!("/conversations/search/{query}?limit=100"))
        .await;
    let total = first.body["_total"].as_u64().expect("_total") as usize;
    assert!(total > 100, "the search spans several pages");
    assert_complete(
        &sim,
        &format!("/conversations/search/{query}?limit=100"),
        &format!("/conversations/search/{query}?limit=29"),
        Some(total),
    )
    .await;
}
