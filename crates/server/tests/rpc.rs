//! Running actions end to end: `POST /actions/rpc` on an in-process hub (random port, temporary
//! SQLite) against the Front simulator — every action with its answer checked against Front's
//! spec, pacing, retries under faults, the cursor guard, dry runs, idempotency, permissions,
//! account errors and the run log.

mod common;

use std::time::{Duration, Instant};

use actionhub_catalog::Catalog;
use actionhub_engine::cursor::{self, IssuedFor};
use actionhub_store::{LinkTarget, NewAccount, Store};
use actionhub_testkit::front_spec::AnswerShapes;
use actionhub_testkit::{TestDatabase, contains_secret};
use base64::Engine as _;
use common::{Served, link_front_account, serve_hub};
use frontsim::SimConfig;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

struct Hub {
    url: String,
    key: String,
    account: String,
    token: String,
    store: Store,
    http: reqwest::Client,
    sim: frontsim::RunningSim,
    db: TestDatabase,
}

impl Hub {
    async fn start(config: SimConfig) -> Hub {
        let sim = frontsim::bind(config, "127.0.0.1:0")
            .await
            .expect("simulator");
        let Served {
            url,
            store,
            front,
            db,
        } = serve_hub(sim.base_url()).await;
        let project = store.project("default").await.unwrap();
        let (_, key) = store.create_api_key(&project, "test").await.unwrap();
        let token = sim.demo_token().unwrap().to_owned();
        let linked = link_front_account(&store, &front, &project.id, &token, None).await;
        Hub {
            url,
            key: key.expose_secret().to_owned(),
            account: linked.id,
            token,
            store,
            http: reqwest::Client::new(),
            sim,
            db,
        }
    }

    async fn post(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.url))
            .basic_auth(&self.key, Some(""))
            .json(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(&self.token),
            "a response contains the token: {text}"
        );
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .basic_auth(&self.key, Some(""))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(&self.token),
            "a response contains the token: {text}"
        );
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Runs `action` for the linked account.
    async fn rpc(&self, action: &str, input: Value) -> (StatusCode, Value) {
        self.rpc_as(&self.account, action, input, &[]).await
    }

    async fn rpc_as(
        &self,
        account: &str,
        action: &str,
        input: Value,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut body = input;
        body["action"] = json!(action);
        let mut all = vec![("x-account-id", account)];
        all.extend_from_slice(headers);
        self.post("/actions/rpc", &body, &all).await
    }

    /// Runs `action`, which must succeed, and returns `data`.
    async fn ok(&self, action: &str, input: Value) -> Value {
        let (status, body) = self.rpc(action, input).await;
        assert!(status.is_success(), "{action}: {status} {body}");
        body["data"].clone()
    }

    /// The simulator's own answer to a GET, read with the demo token, retried past faults.
    async fn front_get(&self, path: &str) -> Value {
        for _ in 0..50 {
            let response = self
                .http
                .get(format!("{}{path}", self.sim.base_url()))
                .bearer_auth(&self.token)
                .send()
                .await;
            if let Ok(response) = response
                && response.status().is_success()
                && let Ok(body) = response.json().await
            {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the simulator kept failing GET {path}");
    }
}

/// Checks `data` against the spec's response schema for `action`.
struct Shapes(AnswerShapes);

impl Shapes {
    fn new() -> Shapes {
        Shapes(AnswerShapes::default())
    }

    fn check(&self, action_id: &str, data: &Value) {
        let action = Catalog::builtin().action(action_id).unwrap();
        self.0
            .check(action_id, action.method.as_str(), &action.path, data);
    }
}

fn ids(data: &Value) -> Vec<String> {
    data.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Every catalogued action, run through `/actions/rpc` with its own example input, succeeds
/// and answers what Front's spec documents. The examples name the connector's example ids,
/// which the simulator's world holds. Destructive actions each run on a hub and simulator of
/// their own, so that none takes away what another example needs; the rest share one, reads
/// first.
#[tokio::test]
async fn every_example_runs_through_rpc_with_the_shape_front_documents() {
    let front = Catalog::builtin().connector("front").unwrap();
    let shapes = Shapes::new();
    let (destructive, mut shared): (Vec<_>, Vec<_>) =
        front.actions().iter().partition(|a| a.hints.destructive);
    shared.sort_by_key(|action| !action.hints.read_only);
    let check = async |hub: &Hub, action: &actionhub_catalog::Action| {
        let data = hub.ok(&action.id, action.example.clone()).await;
        if action.returns == actionhub_catalog::Returns::File {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data["content_base64"].as_str().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{}: content_base64: {e}: {data}", action.id));
            assert_eq!(data["size"], json!(bytes.len()), "{}", action.id);
            assert!(data["content_type"].is_string(), "{}: {data}", action.id);
        } else {
            shapes.check(&action.id, &data);
        }
    };
    let hub = Hub::start(SimConfig::unlimited()).await;
    for action in shared {
        check(&hub, action).await;
    }
    for action in destructive {
        check(&Hub::start(SimConfig::unlimited()).await, action).await;
    }
}

#[tokio::test]
async fn every_action_runs_through_rpc_with_the_shape_front_documents() {
    let hub = Hub::start(SimConfig::unlimited()).await;
    let shapes = Shapes::new();
    let mut ran = std::collections::BTreeSet::new();
    let mut run = async |action: &str, input: Value| -> Value {
        let data = hub.ok(action, input).await;
        shapes.check(action, &data);
        ran.insert(action.to_owned());
        data
    };

    let teammates = ids(&run("front_list_teammates", json!({})).await);
    let (t1, t2) = (teammates[0].clone(), teammates[1].clone());
    run("front_get_teammate", json!({"path": {"teammate_id": t1}})).await;
    run(
        "front_update_teammate",
        json!({"path": {"teammate_id": t1}, "body": {"is_available": false}}),
    )
    .await;

    let inbox = ids(&run("front_list_inboxes", json!({})).await)[0].clone();
    run("front_get_inbox", json!({"path": {"inbox_id": inbox}})).await;
    run(
        "front_list_inbox_channels",
        json!({"path": {"inbox_id": inbox}}),
    )
    .await;
    run(
        "front_list_inbox_conversations",
        json!({"path": {"inbox_id": inbox}, "query": {"limit": 5}}),
    )
    .await;
    run(
        "front_create_inbox",
        json!({"body": {"name": "Escalations", "teammate_ids": [t1]}}),
    )
    .await;

    let channels = run("front_list_channels", json!({})).await;
    let channel = channels
        .as_array()
        .and_then(|all| all.iter().find(|c| c["type"] == "gmail"))
        .and_then(|c| c["id"].as_str())
        .unwrap()
        .to_owned();
    run(
        "front_get_channel",
        json!({"path": {"channel_id": channel}}),
    )
    .await;
    run(
        "front_update_channel",
        json!({"path": {"channel_id": channel}, "body": {"name": "Support"}}),
    )
    .await;

    let tags = run("front_list_tags", json!({"query": {"limit": 100}})).await;
    let parent = tags
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|t| t["_links"]["related"]["children"].is_string())
        })
        .and_then(|t| t["id"].as_str())
        .unwrap()
        .to_owned();
    run("front_get_tag", json!({"path": {"tag_id": parent}})).await;
    let new_tag = run("front_create_tag", json!({"body": {"name": "RPC test"}})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run(
        "front_update_tag",
        json!({"path": {"tag_id": new_tag}, "body": {"description": "x"}}),
    )
    .await;
    run(
        "front_create_child_tag",
        json!({"path": {"tag_id": parent}, "body": {"name": "RPC child"}}),
    )
    .await;
    run("front_list_child_tags", json!({"path": {"tag_id": parent}})).await;
    run(
        "front_list_tagged_conversations",
        json!({"path": {"tag_id": parent}, "query": {"limit": 5}}),
    )
    .await;

    let conversations = run(
        "front_list_conversations",
        json!({"query": {"limit": 10, "q": {"statuses": ["assigned", "unassigned"]}}}),
    )
    .await;
    let conversation = ids(&conversations)[0].clone();
    let conv = json!({"conversation_id": conversation});
    run("front_get_conversation", json!({"path": conv})).await;
    run(
        "front_update_conversation",
        json!({"path": conv, "body": {"assignee_id": t1}}),
    )
    .await;
    run(
        "front_update_conversation_assignee",
        json!({"path": conv, "body": {"assignee_id": t2}}),
    )
    .await;
    let message =
        ids(&run("front_list_conversation_messages", json!({"path": conv})).await)[0].clone();
    run(
        "front_add_conversation_comment",
        json!({"path": conv, "body": {"body": "Checked"}}),
    )
    .await;
    run("front_list_conversation_comments", json!({"path": conv})).await;
    run(
        "front_add_conversation_tag",
        json!({"path": conv, "body": {"tag_ids": [new_tag]}}),
    )
    .await;
    run(
        "front_remove_conversation_tag",
        json!({"path": conv, "body": {"tag_ids": [new_tag]}}),
    )
    .await;
    run(
        "front_add_conversation_followers",
        json!({"path": conv, "body": {"teammate_ids": [t1]}}),
    )
    .await;
    run("front_list_conversation_followers", json!({"path": conv})).await;
    run(
        "front_search_conversations",
        json!({"path": {"query": "is:open order"}, "query": {"limit": 20}}),
    )
    .await;
    run(
        "front_get_message",
        json!({"path": {"message_id": message}}),
    )
    .await;
    run(
        "front_send_message",
        json!({"path": {"channel_id": channel}, "body": {"to": ["new@example.com"], "body": "<p>Hi</p>", "author_id": t1}}),
    )
    .await;
    run(
        "front_create_draft",
        json!({"path": {"channel_id": channel}, "body": {"body": "Draft", "to": ["d@example.com"], "mode": "shared"}}),
    )
    .await;
    run("front_list_conversation_events", json!({"path": conv})).await;
    let event = ids(&run("front_list_events", json!({})).await)[0].clone();
    run("front_get_event", json!({"path": {"event_id": event}})).await;

    let contact = ids(&run("front_list_contacts", json!({"query": {"limit": 5}})).await)[0].clone();
    run(
        "front_get_contact",
        json!({"path": {"contact_id": contact}}),
    )
    .await;
    let new_contact = run(
        "front_create_contact",
        json!({"body": {"name": "RPC Tester", "handles": [{"handle": "rpc.tester@example.com", "source": "email"}]}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An alias in the path: `:` and `@` travel as they are, the rest encoded once.
    run(
        "front_get_contact",
        json!({"path": {"contact_id": "alt:email:rpc.tester@example.com"}}),
    )
    .await;
    run(
        "front_update_contact",
        json!({"path": {"contact_id": new_contact}, "body": {"description": "x"}}),
    )
    .await;
    run(
        "front_list_contact_conversations",
        json!({"path": {"contact_id": contact}}),
    )
    .await;
    run(
        "front_add_contact_handle",
        json!({"path": {"contact_id": new_contact}, "body": {"handle": "+14155559999", "source": "phone"}}),
    )
    .await;
    run(
        "front_add_contact_note",
        json!({"path": {"contact_id": new_contact}, "body": {"author_id": t1, "body": "Note"}}),
    )
    .await;
    run(
        "front_delete_contact",
        json!({"path": {"contact_id": new_contact}}),
    )
    .await;

    let account = ids(&run("front_list_accounts", json!({"query": {"limit": 5}})).await)[0].clone();
    run(
        "front_get_account",
        json!({"path": {"account_id": account}}),
    )
    .await;
    run(
        "front_list_account_contacts",
        json!({"path": {"account_id": account}}),
    )
    .await;
    let new_account = run("front_create_account", json!({"body": {"name": "RPC Co"}})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run(
        "front_update_account",
        json!({"path": {"account_id": new_account}, "body": {"description": "x"}}),
    )
    .await;
    run(
        "front_delete_account",
        json!({"path": {"account_id": new_account}}),
    )
    .await;
    run("front_delete_tag", json!({"path": {"tag_id": new_tag}})).await;
    run(
        "front_update_conversation",
        json!({"path": conv, "body": {"status": "deleted"}}),
    )
    .await;
    run("front_delete_conversation", json!({"path": conv})).await;

    // The core actions (the seed's 52), which the simulator serves.
    let core: std::collections::BTreeSet<String> = Catalog::builtin()
        .connector("front")
        .unwrap()
        .core_actions()
        .iter()
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(core.len(), 52);
    let missing: Vec<_> = core.difference(&ran).collect();
    assert!(missing.is_empty(), "never ran: {missing:?}");
}

#[tokio::test]
async fn pages_follow_the_cursor_and_foreign_cursors_are_refused() {
    let hub = Hub::start(SimConfig::unlimited()).await;
    let (status, first) = hub
        .rpc("front_list_conversations", json!({"query": {"limit": 30}}))
        .await;
    assert_eq!(status, 200, "{first}");
    let next = first["next"].as_str().expect("a next cursor").to_owned();
    let (status, second) = hub
        .rpc("front_list_conversations", json!({"query": {"next": next}}))
        .await;
    assert_eq!(status, 200, "{second}");
    let (a, b) = (ids(&first["data"]), ids(&second["data"]));
    assert_eq!((a.len(), b.len()), (30, 30));
    assert!(a.iter().all(|id| !b.contains(id)), "pages overlap");

    let list = Catalog::builtin()
        .action("front_list_conversations")
        .unwrap();
    let crafted = |url: &str| cursor::encode(url, &IssuedFor::new(list, &hub.account, &json!({})));
    for (url, said) in [
        (
            "https://evil.example.com/conversations?page_token=x",
            "points outside Front",
        ),
        (
            "http://169.254.169.254/latest/meta-data",
            "points outside Front",
        ),
        (
            &format!("{}/teammates", hub.sim.base_url()),
            "another action",
        ),
        // The hub's base is the simulator: Front's own hosts are not followed from here.
        (
            "https://x.frontapp.com/conversations?page_token=x",
            "points outside Front",
        ),
        // The query a cursor carries is checked as a caller's would be.
        (
            &format!("{}/conversations?limit=100000", hub.sim.base_url()),
            "/query/limit",
        ),
        (
            &format!("{}/conversations?page_token=x&debug=1", hub.sim.base_url()),
            "does not take",
        ),
    ] {
        let (status, body) = hub
            .rpc(
                "front_list_conversations",
                json!({"query": {"next": crafted(url)}}),
            )
            .await;
        assert_eq!(status, 400, "{url}: {body}");
        assert!(body["message"].as_str().unwrap().contains(said), "{body}");
    }

    // A cursor is followed only with the action, account and path values it was issued for.
    let own_page = format!("{}/conversations?page_token=x", hub.sim.base_url());
    let issued_elsewhere = [
        (
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&own_page),
            "earlier hub version",
        ),
        (
            cursor::encode(&own_page, &IssuedFor::new(list, "acc_other", &json!({}))),
            "was issued for another account",
        ),
        (next.clone(), "was issued for another action"),
    ];
    for (index, (cursor, said)) in issued_elsewhere.into_iter().enumerate() {
        let action = if index == 2 {
            "front_list_tags"
        } else {
            "front_list_conversations"
        };
        let (status, body) = hub.rpc(action, json!({"query": {"next": cursor}})).await;
        assert_eq!(status, 400, "{said}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("`query.next`") && message.contains(said),
            "{message}"
        );
    }
    // The messages of one conversation: its cursor is refused for another conversation,
    // rather than answered with the first one's messages.
    let conversations = ids(&first["data"]);
    let mut paged = None;
    for conversation in &conversations {
        let (status, page) = hub
            .rpc(
                "front_list_conversation_messages",
                json!({"path": {"conversation_id": conversation}, "query": {"limit": 1}}),
            )
            .await;
        assert_eq!(status, 200, "{page}");
        if let Some(next) = page["next"].as_str() {
            paged = Some((conversation.clone(), next.to_owned()));
            break;
        }
    }
    let (conversation, next) = paged.expect("a conversation with two messages");
    let other = conversations.iter().find(|c| **c != conversation).unwrap();
    let (status, body) = hub
        .rpc(
            "front_list_conversation_messages",
            json!({"path": {"conversation_id": other}, "query": {"next": next}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("was issued for other `path` values"),
        "{body}"
    );
    let (status, body) = hub
        .rpc(
            "front_list_conversation_messages",
            json!({"path": {"conversation_id": conversation}, "query": {"next": next}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // A `limit` next to a cursor replaces the cursor's page size.
    let (status, shown) = hub
        .post(
            "/actions/rpc?dry_run=true",
            &json!({"action": "front_list_conversation_messages",
                    "path": {"conversation_id": conversation},
                    "query": {"next": next, "limit": 7}}),
            &[("x-account-id", &hub.account)],
        )
        .await;
    assert_eq!(status, 200, "{shown}");
    let url = shown["url"].as_str().unwrap();
    assert!(
        url.ends_with("&limit=7") && !url.contains("limit=1"),
        "{url}"
    );
}

#[tokio::test]
async fn invalid_input_reports_every_violation_with_its_pointer() {
    let hub = Hub::start(SimConfig::unlimited()).await;
    let (status, body) = hub
        .rpc(
            "front_list_conversations",
            json!({"query": {"limit": 101, "colour": "red"}}),
        )
        .await;
    assert_eq!(status, 400);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("/query/limit: must be at most 100"),
        "{message}"
    );
    assert!(message.contains("/query/colour"), "{message}");
    let (status, body) = hub.rpc("front_list_tag", json!({})).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("did you mean front_list_tags")
    );
    let (status, body) = hub
        .post("/actions/rpc", &json!({"action": "front_list_tags"}), &[])
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Missing x-account-id header in request");
    // The SDKs' habit: x-account-id inside the body's headers.
    let (status, body) = hub
        .post(
            "/actions/rpc",
            &json!({"action": "front_list_tags", "headers": {"x-account-id": hub.account, "Authorization": "Basic x"}, "body": {}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_dry_run_shows_the_request_and_sends_nothing() {
    let hub = Hub::start(SimConfig::unlimited()).await;
    let before = hub.front_get("/tags?limit=100").await["_results"]
        .as_array()
        .unwrap()
        .len();
    let body = json!({"action": "front_create_tag", "body": {"name": "Dry"}});
    let (status, shown) = hub
        .post(
            "/actions/rpc?dry_run=true",
            &body,
            &[("x-account-id", &hub.account)],
        )
        .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["method"], "POST");
    assert_eq!(shown["url"], format!("{}/tags", hub.sim.base_url()));
    assert_eq!(shown["headers"]["authorization"], "Bearer [redacted]");
    assert_eq!(shown["body"], json!({"name": "Dry"}));
    let after = hub.front_get("/tags?limit=100").await["_results"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "a dry run created a tag");
}

#[tokio::test]
async fn idempotency_keys_replay_and_refuse_a_different_request() {
    let hub = Hub::start(SimConfig::unlimited()).await;
    let key = [("idempotency-key", "create-tag-1")];
    let input = json!({"body": {"name": "Once"}});
    let (s1, first) = hub
        .rpc_as(&hub.account, "front_create_tag", input.clone(), &key)
        .await;
    let (s2, again) = hub
        .rpc_as(&hub.account, "front_create_tag", input, &key)
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::OK, StatusCode::OK),
        "{first} {again}"
    );
    assert_eq!(first, again);
    let named = |tags: &Value| {
        tags["_results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["name"] == "Once")
            .count()
    };
    assert_eq!(named(&hub.front_get("/tags?limit=100").await), 1);
    let (status, body) = hub
        .rpc_as(
            &hub.account,
            "front_create_tag",
            json!({"body": {"name": "Other"}}),
            &key,
        )
        .await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test]
async fn permissions_and_account_state_are_enforced() {
    let hub = Hub::start(SimConfig::unlimited()).await;
    let (status, body) = hub
        .post(
            "/accounts",
            &json!({"provider": "front", "credentials": {"api_token": hub.token}, "origin_owner_id": "c-2",
                    "origin_owner_name": "Two", "allowed_actions": ["front_list_tags"]}),
            &[],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let restricted = body["id"].as_str().unwrap().to_owned();
    let (status, _) = hub
        .rpc_as(&restricted, "front_list_tags", json!({}), &[])
        .await;
    assert_eq!(status, 200);
    let (status, body) = hub
        .rpc_as(&restricted, "front_list_teammates", json!({}), &[])
        .await;
    assert_eq!(status, 403);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("front_list_teammates")
    );

    // A token Front no longer accepts (revoked after linking).
    let project = hub.store.project("default").await.unwrap();
    let (revoked, _) = hub
        .store
        .save_account(
            &project.id,
            NewAccount {
                provider: "front".into(),
                origin_owner_id: "c-3".into(),
                origin_owner_name: "Three".into(),
                origin_username: None,
                label: None,
                metadata: None,
                allowed_actions: None,
                provider_account_id: "cmp_revoked".into(),
                provider_account_name: "Revoked".into(),
                credentials: vec![("api_token".into(), SecretString::from("revoked-token"))],
                target: LinkTarget::Owner,
                session_id: None,
            },
        )
        .await
        .unwrap();
    let (status, body) = hub
        .rpc_as(&revoked.id, "front_list_tags", json!({}), &[])
        .await;
    assert_eq!(status, 412, "{body}");
    assert_eq!(body["provider_errors"][0]["status"], 401, "{body}");
    let account = hub.store.account(&project.id, &revoked.id).await.unwrap();
    assert_eq!(account.status.as_str(), "error");
    let (status, body) = hub
        .rpc_as(&revoked.id, "front_list_tags", json!({}), &[])
        .await;
    assert_eq!(status, 412, "{body}");
    assert!(
        body["provider_errors"].is_null(),
        "nothing was sent: {body}"
    );
}

#[tokio::test]
async fn front_errors_carry_provider_errors_and_runs_are_logged_without_secrets() {
    let hub = Hub::start(SimConfig::unlimited()).await;
    let (status, body) = hub
        .rpc(
            "front_get_conversation",
            json!({"path": {"conversation_id": "cnv_missing"}}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["provider_errors"][0]["status"], 404);
    assert!(
        body["provider_errors"][0]["raw"]["_error"].is_object(),
        "{body}"
    );
    hub.ok("front_list_tags", json!({})).await;

    let (status, runs) = hub
        .get(&format!("/runs?account_id={}&limit=10", hub.account))
        .await;
    assert_eq!(status, 200);
    let runs = runs["data"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["action"], "front_list_tags");
    assert_eq!(runs[0]["outcome"], "ok");
    assert_eq!(runs[0]["source"], "rpc");
    assert_eq!(runs[1]["outcome"], "front_error");
    assert_eq!(runs[1]["front_status"], 404);

    let metrics = hub
        .http
        .get(format!("{}/metrics", hub.url))
        .send()
        .await
        .unwrap();
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("actionhub_runs_total{action=\"front_list_tags\",outcome=\"ok\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("actionhub_upstream_request_duration_seconds_count 2"),
        "{text}"
    );

    assert!(
        !contains_secret(&hub.db.raw_contents(), &hub.token),
        "the token is in the database in clear"
    );
}

#[tokio::test]
async fn under_faults_gets_succeed_and_posts_are_never_sent_twice() {
    let hub = Hub::start(SimConfig {
        fail_rate: 0.2,
        ..SimConfig::unlimited()
    })
    .await;
    for _ in 0..40 {
        let (status, body) = hub.rpc("front_list_teammates", json!({})).await;
        assert_eq!(status, 200, "a GET failed despite retries: {body}");
    }
    let (runs_ok, mut retried) = (40, 0);
    let (_, runs) = hub.get(&format!("/runs?limit={runs_ok}")).await;
    for run in runs["data"].as_array().unwrap() {
        retried += run["retries"].as_u64().unwrap();
    }
    assert!(retried > 0, "a 20% failure rate caused no retry");

    // Without a key: a 503 is answered as is, and nothing is sent twice.
    let mut created = 0;
    for i in 0..20 {
        let (status, _) = hub
            .rpc(
                "front_create_tag",
                json!({"body": {"name": format!("plain-{i}")}}),
            )
            .await;
        if status == 200 {
            created += 1;
        } else {
            assert_eq!(status, 502);
        }
    }
    let tags = hub.front_get("/tags?limit=100").await;
    let names: Vec<&str> = tags["_results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let plain = names.iter().filter(|n| n.starts_with("plain-")).count();
    assert_eq!(
        plain, created,
        "a POST without a key was sent more than once"
    );
    assert!(created < 20, "no POST met a fault");

    // With a key: retried until it goes through, exactly once.
    for i in 0..20 {
        let key = format!("keyed-{i}");
        let (status, body) = hub
            .rpc_as(
                &hub.account,
                "front_create_tag",
                json!({"body": {"name": key}}),
                &[("idempotency-key", key.as_str())],
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let tags = hub.front_get("/tags?limit=100").await;
    for i in 0..20 {
        let name = format!("keyed-{i}");
        let count = tags["_results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["name"] == name.as_str())
            .count();
        assert_eq!(count, 1, "{name} exists {count} times");
    }
}

#[tokio::test]
async fn pacing_keeps_200_calls_within_the_budget_without_a_429() {
    // Lists of six resources in turn: the hub paces each resource at Front's burst limit
    // (5 a second) whatever the simulator does, and this test is about the window budget.
    const SPREAD: [&str; 6] = [
        "front_list_teammates",
        "front_list_tags",
        "front_list_contacts",
        "front_list_inboxes",
        "front_list_accounts",
        "front_list_channels",
    ];
    const WINDOW_SECS: u64 = 2;
    const BUDGET: u32 = 20;
    const CALLS: usize = 200;
    let hub = Hub::start(SimConfig {
        rpm: BUDGET,
        window_secs: WINDOW_SECS,
        burst: 0,
        ..SimConfig::default()
    })
    .await;
    // Linking (GET /me) opened a window: start with a fresh one.
    tokio::time::sleep(Duration::from_millis(WINDOW_SECS * 1000 + 100)).await;
    let hub = std::sync::Arc::new(hub);
    let started = Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..CALLS {
        let hub = hub.clone();
        let action = SPREAD[i % SPREAD.len()];
        calls.spawn(async move { hub.rpc(action, json!({})).await });
    }
    let answers = calls.join_all().await;
    let elapsed = started.elapsed().as_secs_f64();
    let throttled = answers.iter().filter(|(status, _)| *status == 429).count();
    let failed: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert_eq!(throttled, 0, "calls met a 429");
    assert!(failed.is_empty(), "calls failed: {failed:?}");
    // 200 calls at 20 per window need 10 windows; the last starts after 9 have passed.
    let minimum = ((CALLS as u64).div_ceil(u64::from(BUDGET)) - 1) as f64 * WINDOW_SECS as f64;
    let ratio = elapsed / minimum;
    eprintln!(
        "pacing: {CALLS} calls in {elapsed:.2} s; theoretical minimum {minimum:.1} s; ratio {ratio:.3}"
    );
}

#[tokio::test]
async fn the_catalogue_and_search_speak_stackone() {
    let hub = Hub::start(SimConfig::unlimited()).await;
    let (status, meta) = hub
        .get("/actions?filter[connectors]=front&include=action_details")
        .await;
    assert_eq!(status, 200, "{meta}");
    let front = &meta["data"][0];
    assert_eq!(front["key"], "front");
    let catalogue = Catalog::builtin().connector("front").unwrap();
    // The whole catalogue, core actions first.
    let listed: Vec<&str> = front["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = catalogue.actions().iter().map(|a| a.id.as_str()).collect();
    assert_eq!(listed, expected);
    assert!(listed.len() > 52);
    assert_eq!(
        front["scope_definitions"].as_array().unwrap().len(),
        catalogue.scopes.len()
    );
    let first = &front["actions"][0];
    assert!(first["required_scopes"].is_array());
    assert!(
        first["action_details"]["input_schema"]["properties"].is_object(),
        "{first}"
    );
    assert!(meta["next"].is_null());
    let crafted = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    for cursor in [
        crafted(&format!("o:{}", usize::MAX)),
        crafted(&format!("o:{}", usize::MAX - 1)),
        crafted("o:-1"),
        "not-a-cursor".to_owned(),
    ] {
        let (status, refused) = hub.get(&format!("/actions?next={cursor}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{cursor}: {refused}");
        assert!(
            refused["message"].as_str().unwrap().contains("`next`"),
            "{refused}"
        );
    }
    let (status, beyond) = hub
        .get(&format!("/actions?next={}", crafted("o:1000")))
        .await;
    assert_eq!(
        (status, beyond["data"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0)),
        "{beyond}"
    );

    // Filters reach beyond the core actions.
    let (status, one) = hub
        .get("/actions?filter[action_key]=front_list_knowledge_bases&include=action_details")
        .await;
    assert_eq!(status, 200, "{one}");
    let only = one["data"][0]["actions"].as_array().unwrap();
    assert_eq!(only.len(), 1, "{one}");
    assert_eq!(only[0]["required_scopes"], json!(["knowledge_bases:read"]));
    assert_eq!(only[0]["action_details"]["path"], "/knowledge_bases");
    let (_, small) = hub.get("/actions?page_size=1").await;
    assert_eq!(small["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        small["data"][0]["actions"].as_array().unwrap().len(),
        catalogue.actions().len(),
        "a page holds connectors, each with all its actions"
    );
    assert!(small["next"].is_null(), "one connector: one page");
    let (_, knowledge) = hub.get("/actions?search=knowledge%20base").await;
    let found: Vec<&str> = knowledge["data"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert!(
        found[..3]
            .iter()
            .all(|id| catalogue.action(id).unwrap().group == "knowledge_bases"),
        "{found:?}"
    );

    let (_, searched) = hub
        .get("/actions?search=add%20tag%20to%20conversation")
        .await;
    let ids: Vec<&str> = searched["data"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert!(ids[..3].contains(&"front_add_conversation_tag"), "{ids:?}");

    let (status, per_account) = hub
        .get(&format!(
            "/actions?filter[account_ids]={}&exclude=actions",
            hub.account
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(per_account["data"][0]["account_id"], hub.account.as_str());
    assert!(per_account["data"][0]["actions"].is_null());

    let (status, found) = hub
        .post(
            "/actions/search",
            &json!({"query": "list teammates", "top_k": 3, "connector": "front"}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["results"][0]["id"], "front_list_teammates");
    assert!(found["results"].as_array().unwrap().len() <= 3);
    let score = found["results"][0]["similarity_score"].as_f64().unwrap();
    assert!(score > 0.0 && score <= 1.0);
}

#[tokio::test]
async fn a_budget_that_cannot_fit_the_deadline_is_a_429_with_an_accurate_retry_after() {
    // Three requests a minute: linking used one, the next two go, the third would wait ~60 s.
    let hub = Hub::start(SimConfig {
        rpm: 3,
        window_secs: 60,
        burst: 0,
        ..SimConfig::default()
    })
    .await;
    for _ in 0..2 {
        let (status, body) = hub.rpc("front_list_teammates", json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    let started = Instant::now();
    let (status, body) = hub.rpc("front_list_teammates", json!({})).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it waited instead of answering"
    );
    let retry_after = body["retry_after"].as_u64().unwrap();
    assert!(
        (55..=61).contains(&retry_after),
        "retry_after {retry_after}"
    );
}

#[tokio::test]
async fn burst_limits_named_by_x_front_tier_are_waited_out() {
    let hub = std::sync::Arc::new(
        Hub::start(SimConfig {
            rpm: 0,
            burst: 3,
            ..SimConfig::default()
        })
        .await,
    );
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let hub = hub.clone();
        calls.spawn(async move { hub.rpc("front_list_tags", json!({})).await });
    }
    for (status, body) in calls.join_all().await {
        assert_eq!(status, 200, "{body}");
    }
}
