use std::collections::HashSet;

use serde_json::Value;

use crate::common::{Sim, encode, start_unlimited};

/// Every conversation a search finds, following its pages.
async fn search(sim: &Sim, query: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut next = Some(format!("/conversations/search/{}?limit=100", encode(query)));
    while let Some(url) = next {
        let page = sim.get(&url).await;
        assert_eq!(page.status, 200, "{query}: {}", page.body);
        found.extend(
            page.body["_results"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        next = page.next();
    }
    found
}

fn ids(conversations: &[Value]) -> HashSet<String> {
    conversations
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn status_filters_select_by_status() {
    let sim = start_unlimited().await;
    let open = search(&sim, "is:open").await;
    assert!(!open.is_empty());
    assert!(
        open.iter()
            .all(|c| c["status"] == "assigned" || c["status"] == "unassigned")
    );
    let archived = search(&sim, "is:archived").await;
    assert!(!archived.is_empty() && archived.iter().all(|c| c["status"] == "archived"));
    let trashed = search(&sim, "is:trashed").await;
    assert!(!trashed.is_empty() && trashed.iter().all(|c| c["status"] == "deleted"));
    let order = search(&sim, "order").await;
    assert!(
        order.iter().all(|c| c["status"] != "deleted"),
        "trash only with is:trashed"
    );
    let listed = sim.all_ids("/conversations?limit=100").await;
    assert_eq!(listed.len(), open.len() + archived.len());
    sim.get("/conversations/search/").await.expect_error(404);
    let unassigned = search(&sim, "is:open is:unassigned").await;
    assert!(
        unassigned
            .iter()
            .all(|c| c["status"] == "unassigned" && c["assignee"].is_null())
    );
    let assigned = search(&sim, "is:assigned").await;
    assert!(assigned.iter().all(|c| c["assignee"].is_object()));
    let unreplied = search(&sim, "is:unreplied").await;
    assert!(!unreplied.is_empty() && unreplied.iter().all(|c| c["waiting_since"].is_number()));
    assert!(search(&sim, "is:snoozed").await.is_empty());
    let refused = sim
        .get(&format!("/conversations/search/{}", encode("is:sleeping")))
        .await;
    assert!(
        refused.expect_error(400)["details"][0]
            .as_str()
            .unwrap()
            .starts_with("path.query")
    );
}

#[tokio::test]
async fn resource_filters_select_by_tag_inbox_assignee_and_party() {
    let sim = start_unlimited().await;
    let tag = sim.first_id("/tags?limit=1").await;
    let tagged = search(&sim, &format!("tag:{tag}")).await;
    assert!(!tagged.is_empty());
    assert!(tagged.iter().all(|c| {
        c["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == tag.as_str())
    }));

    let inbox = sim.first_id("/inboxes").await;
    let in_inbox = ids(&search(&sim, &format!("inbox:{inbox}")).await);
    let listed: HashSet<String> = sim
        .all_ids(&format!("/inboxes/{inbox}/conversations?limit=100"))
        .await
        .into_iter()
        .collect();
    assert_eq!(in_inbox, listed);

    let teammate = sim.first_id("/teammates").await;
    let theirs = search(&sim, &format!("assignee:{teammate}")).await;
    assert!(
        !theirs.is_empty()
            && theirs
                .iter()
                .all(|c| c["assignee"]["id"] == teammate.as_str())
    );

    let conversation = sim.get("/conversations?limit=1").await.body["_results"][0].clone();
    let customer = conversation["recipient"]["handle"].as_str().unwrap();
    let from_customer = ids(&search(&sim, &format!("from:{customer} is:trashed")).await)
        .union(&ids(&search(&sim, &format!("from:{customer}")).await))
        .cloned()
        .collect::<HashSet<_>>();
    assert!(from_customer.contains(conversation["id"].as_str().unwrap()));
    let to_customer = search(&sim, &format!("to:{customer}")).await;
    assert!(to_customer.iter().all(|c| {
        c["recipient"]["handle"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case(customer)
    }));
}

#[tokio::test]
async fn free_text_and_phrases_match_subjects_and_messages() {
    let sim = start_unlimited().await;
    let conversations = sim.get("/conversations?limit=50").await;
    let subject = conversations.body["_results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["subject"].as_str())
        .find(|s| s.contains('#'))
        .expect("a subject with an order number")
        .to_owned();
    let number: String = subject
        .split('#')
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let found = search(&sim, &number).await;
    assert!(!found.is_empty());
    assert!(found.iter().any(|c| c["subject"] == subject.as_str()));
    let phrase = search(&sim, &format!("\"{}\"", subject.to_uppercase())).await;
    assert!(
        phrase.iter().any(|c| c["subject"] == subject.as_str()),
        "phrases ignore case"
    );
    assert!(search(&sim, "xylophone-zebra-quartz").await.is_empty());
    let page = sim
        .get(&format!(
            "/conversations/search/{}?limit=1",
            encode(&number)
        ))
        .await;
    assert_eq!(page.body["_total"].as_u64().unwrap() as usize, found.len());
}
