//! `GET /events` as a follower uses it: the `q` filters, order, page size and `next`, events
//! that share an `emitted_at`, the company's own activity, and concurrent writes.

use std::collections::HashSet;
use std::time::Duration;

use frontsim::SimConfig;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{GENERATED_DATA_ENDS_AT as DATA_ENDS_AT, Sim, encode, start, start_unlimited};

/// A hundred actions a second: a page of events within a fraction of a second.
const BUSY: u32 = 6_000;

/// Every event of a walk from `first` along `next`, in order.
async fn all_events(sim: &Sim, first: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(url) = next {
        let page = sim.get(&url).await;
        assert_eq!(page.status, 200, "{url}: {}", page.body);
        events.extend(
            page.body["_results"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        next = page.next();
    }
    events
}

fn ids(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["id"].as_str()).collect()
}

fn emitted_at(event: &Value) -> f64 {
    event["emitted_at"]
        .as_f64()
        .expect("emitted_at is a number")
}

/// Sends an archived, twice-tagged message: one write whose four events share a time.
async fn send_tagged_message(sim: &Sim) -> Vec<String> {
    let channels = sim.get("/channels").await;
    let channel = channels.body["_results"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["type"] == "gmail"))
        .and_then(|c| c["id"].as_str())
        .expect("an email channel")
        .to_owned();
    let tags = sim.get("/tags?limit=2").await.ids();
    let sent = sim
        .call(
            Method::POST,
            &format!("/channels/{channel}/messages"),
            Some(json!({"to": ["boundary@example.com"], "body": "<p>Hi</p>",
                        "options": {"tag_ids": tags, "archive": true}})),
        )
        .await;
    assert_eq!(sent.status, 202, "{}", sent.body);
    tags
}

#[tokio::test]
async fn filters_order_limit_and_next_behave_as_at_front() {
    let sim = start_unlimited().await;

    // Default and largest page: 15, newest first.
    let first = sim.get("/events").await;
    assert_eq!(first.ids().len(), 15);
    let times: Vec<f64> = first.body["_results"]
        .as_array()
        .unwrap()
        .iter()
        .map(emitted_at)
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(sim.get("/events?limit=4").await.ids().len(), 4);
    sim.get("/events?limit=16").await.expect_error(400);
    sim.get("/events?limit=0").await.expect_error(400);

    // A window in time, in both orders, across pages: every event once, all inside it.
    let (after, before) = (DATA_ENDS_AT - 86_400.0 * 3.0, DATA_ENDS_AT - 86_400.0 * 2.0);
    let window = format!("q[after]={after}&q[before]={before}");
    let ascending = all_events(
        &sim,
        &format!("/events?{window}&sort_by=created_at&sort_order=asc"),
    )
    .await;
    let descending = all_events(&sim, &format!("/events?{window}&limit=7")).await;
    assert!(ascending.len() > 15, "the window spans pages");
    assert!(
        ascending
            .iter()
            .all(|e| (after..before).contains(&emitted_at(e)) && emitted_at(e) != after)
    );
    let mut reversed = ids(&descending);
    reversed.reverse();
    assert_eq!(ids(&ascending), reversed, "asc is desc reversed");
    let unique: HashSet<&str> = ids(&ascending).into_iter().collect();
    assert_eq!(unique.len(), ascending.len(), "every event once");
    // Ordered by time, then id.
    assert!(ascending.windows(2).all(|w| {
        (emitted_at(&w[0]), w[0]["id"].as_str()) < (emitted_at(&w[1]), w[1]["id"].as_str())
    }));

    // `next` keeps the filters, the order and the page size.
    let page = sim
        .get(&format!(
            "/events?{window}&q[types][]=inbound&q[types][]=tag&sort_order=asc&limit=3"
        ))
        .await;
    let next = page.next().expect("more than one page");
    for kept in [
        "q%5Btypes%5D%5B%5D=inbound",
        "q%5Btypes%5D%5B%5D=tag",
        "sort_order=asc",
        "limit=3",
        "q%5Bafter%5D=",
    ] {
        assert!(next.contains(kept), "{next} lacks {kept}");
    }
    assert!(next.starts_with(sim.running.base_url()), "absolute: {next}");
    let typed = all_events(
        &sim,
        &format!("/events?{window}&q[types][]=inbound&q[types][]=tag&sort_order=asc&limit=3"),
    )
    .await;
    assert!(!typed.is_empty());
    assert!(
        typed
            .iter()
            .all(|e| e["type"] == "inbound" || e["type"] == "tag")
    );
    let expected: Vec<&str> = ascending
        .iter()
        .filter(|e| e["type"] == "inbound" || e["type"] == "tag")
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert_eq!(ids(&typed), expected);

    // Inboxes: each event belongs to the inbox its conversation was in at the time.
    let inboxes = sim.get("/inboxes").await.ids();
    let mut per_inbox = 0;
    for inbox in &inboxes {
        per_inbox += all_events(&sim, &format!("/events?{window}&q[inboxes][]={inbox}"))
            .await
            .len();
    }
    assert_eq!(per_inbox, ascending.len(), "the inboxes split the stream");
}

#[tokio::test]
async fn events_sharing_a_time_are_ordered_by_id_and_after_is_strict() {
    let sim = start_unlimited().await;
    send_tagged_message(&sim).await;
    let newest = sim.get("/events?limit=15").await;
    let newest = newest.body["_results"].as_array().unwrap().clone();
    let time = emitted_at(&newest[0]);
    let shared: Vec<&Value> = newest.iter().filter(|e| emitted_at(e) == time).collect();
    let kinds: HashSet<&str> = shared.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(shared.len(), 4, "outbound, two tags and archive: {kinds:?}");
    assert_eq!(kinds, HashSet::from(["outbound", "tag", "archive"]));

    // Strictly after and strictly before: the boundary time itself is excluded.
    assert!(
        sim.get(&format!("/events?q[after]={time}"))
            .await
            .ids()
            .is_empty()
    );
    let older = sim.get(&format!("/events?q[before]={time}&limit=15")).await;
    assert!(
        older.body["_results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| emitted_at(e) < time)
    );
    let just_before = time - 0.001;
    let boundary = all_events(
        &sim,
        &format!("/events?q[after]={just_before}&sort_order=asc"),
    )
    .await;
    assert_eq!(boundary.len(), 4);

    // Ties are ordered by id, the same way on every request and page by page.
    let mut by_id: Vec<&str> = ids(&boundary);
    by_id.sort_unstable();
    assert_eq!(ids(&boundary), by_id);
    let one_by_one = all_events(
        &sim,
        &format!("/events?q[after]={just_before}&sort_order=asc&limit=1"),
    )
    .await;
    assert_eq!(ids(&one_by_one), by_id);
    let descending = all_events(&sim, &format!("/events?q[after]={just_before}&limit=1")).await;
    by_id.reverse();
    assert_eq!(ids(&descending), by_id);
}

#[tokio::test]
async fn a_bad_time_gets_front_400() {
    let sim = start_unlimited().await;
    for bad in [
        "abc", "1%00", "%00", "1e999", "-1e999", "NaN", "inf", "", "12%2C5", "1.5.5",
    ] {
        for name in ["after", "before"] {
            let answer = sim.get(&format!("/events?q[{name}]={bad}")).await;
            let error = answer.expect_error(400);
            assert!(
                error["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(&format!("query.q.{name}")),
                "{bad}: {error}"
            );
        }
    }
    // A huge but finite time is a time: nothing is that recent.
    assert!(sim.get("/events?q[after]=1e300").await.ids().is_empty());
    assert_eq!(sim.get("/events?q[after]=-1e300").await.ids().len(), 15);
    assert_eq!(
        sim.get(&format!("/events?q[after]={}", encode("1767225599.5")))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_company_lives_on_its_own_with_activity() {
    let sim = start(SimConfig {
        activity_per_minute: BUSY,
        ..SimConfig::unlimited()
    })
    .await;
    let until = sim.wait_for_activity().await;
    let events = all_events(
        &sim,
        &format!("/events?q[after]={DATA_ENDS_AT}&q[before]={until}&sort_order=asc"),
    )
    .await;
    assert!(events.len() >= 15, "only {} events", events.len());
    let unique: HashSet<&str> = ids(&events).into_iter().collect();
    assert_eq!(unique.len(), events.len());
    for event in &events {
        let source = event["source"]["_meta"]["type"].as_str();
        match event["type"].as_str() {
            Some("inbound") => assert_eq!(source, Some("inboxes"), "{event}"),
            Some("assign" | "tag") => assert_eq!(source, Some("teammate"), "{event}"),
            other => panic!("unexpected type {other:?}: {event}"),
        }
    }
    // A customer's message is in its conversation, readable like any other.
    let inbound = events
        .iter()
        .find(|e| e["type"] == "inbound")
        .expect("a customer wrote in");
    let message = inbound["target"]["data"]["id"].as_str().unwrap();
    let read = sim.get(&format!("/messages/{message}")).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["is_inbound"], true);
    let conversation = inbound["conversation"]["id"].as_str().unwrap();
    let messages = sim
        .get(&format!("/conversations/{conversation}/messages"))
        .await;
    assert!(messages.ids().contains(&message.to_owned()));
    // Stopping the simulator stops its activity (the task is awaited, not left running).
    tokio::time::timeout(Duration::from_secs(10), sim.running.shutdown())
        .await
        .expect("the simulator stops promptly");
}

/// A follower that re-reads the millisecond of the newest event it has seen (events can share
/// it) and de-duplicates by id sees every event exactly once, while writes run concurrently:
/// writes are stamped in the order they are stored, so none lands behind the follower.
#[tokio::test]
async fn a_follower_misses_nothing_while_writes_run_concurrently() {
    let sim = std::sync::Arc::new(start_unlimited().await);
    let tags = sim.get("/tags?limit=3").await.ids();
    // Conversations without any of the tags, so that each write changes every tag.
    let page = sim.get("/conversations?limit=100").await;
    let conversations: Vec<String> = page.body["_results"]
        .as_array()
        .expect("a page of conversations")
        .iter()
        .filter(|c| {
            c["tags"]
                .as_array()
                .is_some_and(|has| has.iter().all(|t| !tags.iter().any(|tag| t["id"] == *tag)))
        })
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .take(8)
        .collect();
    assert_eq!(conversations.len(), 8);
    let writers: Vec<_> = conversations
        .into_iter()
        .map(|conversation| {
            let sim = std::sync::Arc::clone(&sim);
            let tags = tags.clone();
            tokio::spawn(async move {
                for round in 0..6 {
                    let method = if round % 2 == 0 {
                        Method::POST
                    } else {
                        Method::DELETE
                    };
                    let answer = sim
                        .call(
                            method,
                            &format!("/conversations/{conversation}/tags"),
                            Some(json!({"tag_ids": tags})),
                        )
                        .await;
                    assert_eq!(answer.status, 204, "{}", answer.body);
                }
            })
        })
        .collect();

    let mut follower = Follower {
        seen: HashSet::new(),
        newest: DATA_ENDS_AT,
    };
    while !writers.iter().all(tokio::task::JoinHandle::is_finished) {
        follower.poll(&sim).await;
    }
    for writer in writers {
        writer.await.expect("the writer finished");
    }
    follower.poll(&sim).await;
    let seen = follower.seen;
    let everything = all_events(
        &sim,
        &format!("/events?q[after]={DATA_ENDS_AT}&sort_order=asc"),
    )
    .await;
    assert_eq!(everything.len(), 8 * 6 * 3, "one event per tag and write");
    let all: HashSet<String> = ids(&everything).into_iter().map(str::to_owned).collect();
    assert_eq!(seen, all);
}

/// What a careful follower keeps: the ids it has seen and the newest time among them.
struct Follower {
    seen: HashSet<String>,
    newest: f64,
}

impl Follower {
    async fn poll(&mut self, sim: &Sim) {
        let polled_from = self.newest;
        let url = format!("/events?q[after]={}&sort_order=asc", polled_from - 0.001);
        for event in all_events(sim, &url).await {
            let id = event["id"].as_str().expect("an id").to_owned();
            if self.seen.insert(id) {
                assert!(
                    emitted_at(&event) >= polled_from,
                    "an event appeared behind the follower: {event}"
                );
            }
            self.newest = self.newest.max(emitted_at(&event));
        }
    }
}
