//! Policies and approvals end to end, on SQLite and Postgres: a hub (random port, fresh
//! database) on the Front simulator. A denied call names its rule; a held call is not sent to
//! Front (the simulator's world does not change) until a person approves it, and then runs
//! exactly once, however many people (or hubs) approve at once; rejected and expired calls
//! never run; `Prefer: wait` answers as the call did; `approval.*` webhooks arrive.
//!
//! Whether a call ran is read from the simulator's world: each test creates tags with names
//! of its own and counts them there. Nothing here asserts a timing: waits have generous
//! deadlines and fail with what was seen.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actionhub_engine::FrontClient;
use actionhub_server::{AppState, ServeConfig, WebhookSettings};
use actionhub_store::{Keyring, Store};
use actionhub_testkit::{KEY_V1, TestDatabase, random_suffix};
use actionhub_worker::{AddressPolicy, Worker, WorkerConfig};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// How long a test waits for something to happen before failing with what it saw.
const PATIENCE: Duration = Duration::from_secs(60);

/// A hub on the simulator, with an API key and a linked account.
struct Bench {
    url: String,
    key: String,
    account: String,
    token: String,
    store: Store,
    front: FrontClient,
    http: reqwest::Client,
    sim: frontsim::RunningSim,
    db: TestDatabase,
}

impl Bench {
    async fn start(db: TestDatabase) -> Bench {
        Bench::start_with(db, AppStateOptions::default()).await
    }

    async fn start_with(db: TestDatabase, options: AppStateOptions) -> Bench {
        let sim = frontsim::bind(frontsim::SimConfig::unlimited(), "127.0.0.1:0")
            .await
            .unwrap();
        let store = Store::open(db.url(), Keyring::parse(KEY_V1).unwrap())
            .await
            .unwrap();
        let front = FrontClient::new(Some(sim.base_url())).unwrap();
        let url = serve(&store, &front, &options).await;
        let project = store.project("default").await.unwrap();
        let (_, key) = store.create_api_key(&project, "tester").await.unwrap();
        let token = sim.demo_token().unwrap().to_owned();
        let key = key.expose_secret().to_owned();
        let http = reqwest::Client::new();
        let linked: Value = http
            .post(format!("{url}/accounts"))
            .basic_auth(&key, Some(""))
            .json(&json!({
                "provider": "front",
                "credentials": {"api_token": token},
                "origin_owner_id": "owner-1",
                "origin_owner_name": "Owner 1",
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Bench {
            url,
            key,
            account: linked["id"].as_str().expect("a linked account").to_owned(),
            token,
            store,
            front,
            http,
            sim,
            db,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{url}{path}"))
            .basic_auth(&self.key, Some(""));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, &self.url, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, &self.url, path, Some(body))
            .await
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, &self.url, path, Some(body))
            .await
    }

    async fn set_policy(&self, rules: Value) {
        let (status, body) = self.put("/policy", json!({ "rules": rules })).await;
        assert_eq!(status, 200, "{body}");
    }

    /// `POST /actions/rpc` for the linked account, with extra headers.
    async fn rpc_with(
        &self,
        action: &str,
        input: Value,
        headers: &[(&str, &str)],
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut body = input;
        body["action"] = json!(action);
        let mut request = self
            .http
            .post(format!("{}/actions/rpc", self.url))
            .basic_auth(&self.key, Some(""))
            .header("x-account-id", &self.account)
            .json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        )
    }

    async fn rpc(&self, action: &str, input: Value) -> (u16, Value) {
        let (status, body, _) = self.rpc_with(action, input, &[]).await;
        (status, body)
    }

    /// Asks to create tag `name`.
    async fn create_tag(&self, name: &str) -> (u16, Value) {
        self.rpc("front_create_tag", json!({"body": {"name": name}}))
            .await
    }

    /// How many tags called `name` the simulator's world holds.
    async fn tags_named(&self, name: &str) -> usize {
        let answer: Value = self
            .http
            .get(format!("{}/tags?limit=100", self.sim.base_url()))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["_results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|tag| tag["name"] == name)
            .count()
    }

    /// Waits for approval `id` to be in one of `statuses`; returns it.
    async fn approval_in(&self, id: &str, statuses: &[&str]) -> Value {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let (status, approval) = self.get(&format!("/approvals/{id}")).await;
            assert_eq!(status, 200, "{approval}");
            if statuses.contains(&approval["status"].as_str().unwrap_or_default()) {
                return approval;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "approval {id} never reached {statuses:?}: {approval}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Settings of a hub a test starts.
#[derive(Clone, Default)]
struct AppStateOptions {
    approval_expiry: Option<Duration>,
}

/// Serves a hub on `store`; returns its URL.
async fn serve(store: &Store, front: &FrontClient, options: &AppStateOptions) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut state = AppState::new(store.clone(), front.clone(), &url);
    state.webhooks = WebhookSettings {
        address_policy: AddressPolicy::AllowPrivate,
        ..WebhookSettings::default()
    };
    if let Some(expiry) = options.approval_expiry {
        state.approvals.expiry = expiry;
    }
    tokio::spawn(actionhub_server::serve_with(
        listener,
        state,
        ServeConfig::default(),
        std::future::pending(),
    ));
    url
}

fn worker(bench: &Bench) -> Worker {
    Worker::spawn(
        bench.store.clone(),
        bench.front.clone(),
        WorkerConfig {
            poll_interval: Duration::from_millis(100),
            delivery_poll: Duration::from_millis(50),
            approval_sweep: Duration::from_millis(100),
            address_policy: AddressPolicy::AllowPrivate,
            ..WorkerConfig::default()
        },
        Arc::new(actionhub_server::Metrics::default()),
    )
    .unwrap()
}

/// Runs a scenario on a fresh SQLite database and on a fresh Postgres database.
macro_rules! on_both_backends {
    ($scenario:ident) => {
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$scenario(actionhub_testkit::TestDatabase::sqlite()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$scenario(actionhub_testkit::TestDatabase::postgres().await).await;
            }
        }
    };
}

on_both_backends!(denied_calls_name_their_rule);
on_both_backends!(a_held_call_runs_once_when_approved);
on_both_backends!(two_approvers_at_once_run_the_call_once);
on_both_backends!(rejected_and_expired_calls_never_run);
on_both_backends!(prefer_wait_answers_as_the_call_did);
on_both_backends!(approval_events_reach_a_webhook_endpoint);

async fn denied_calls_name_their_rule(db: TestDatabase) {
    let bench = Bench::start(db).await;
    let name = format!("denied-{}", random_suffix());
    let cases = [
        ("front_create_tag", "front_create_tag=deny"),
        ("group:tags", "group:tags=deny"),
        ("hint:write", "hint:write=deny"),
    ];
    for (selector, named) in cases {
        bench
            .set_policy(json!([{"match": selector, "decision": "deny"}, {"match": "*", "decision": "allow"}]))
            .await;
        let (status, body) = bench.create_tag(&name).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["statusCode"], 403);
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("the project policy rule {named}")),
            "{message}"
        );
    }
    // A hint: destructive actions are denied, reading still works.
    bench
        .set_policy(json!([{"match": "hint:destructive", "decision": "deny"}]))
        .await;
    let (status, body) = bench
        .rpc(
            "front_delete_tag",
            json!({"path": {"tag_id": "tag_missing"}}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("the project policy rule hint:destructive=deny"),
        "{body}"
    );
    let (status, body) = bench.rpc("front_list_tags", json!({})).await;
    assert_eq!(status, 200, "{body}");
    // An account's own policy decides before the project's.
    let (status, body) = bench
        .put(
            &format!("/accounts/{}/policy", bench.account),
            json!({"rules": [{"match": "front_delete_tag", "decision": "allow"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = bench
        .post(
            "/policy/explain",
            json!({"action": "front_delete_tag", "account_id": bench.account}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["decision"], "allow");
    assert_eq!(
        body["rule"],
        json!({"level": "account", "match": "front_delete_tag"})
    );
    let (status, body) = bench
        .post("/policy/explain", json!({"action": "front_delete_tag"}))
        .await;
    assert_eq!((status, &body["decision"]), (200, &json!("deny")), "{body}");
    // A rule naming no action of the catalogue is refused, naming it.
    let (status, body) = bench
        .put(
            "/policy",
            json!({"rules": [{"match": "front_delete_everything", "decision": "deny"}]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("rules[0].match"),
        "{body}"
    );
    assert_eq!(bench.tags_named(&name).await, 0);
}

async fn a_held_call_runs_once_when_approved(db: TestDatabase) {
    let bench = Bench::start(db).await;
    bench
        .set_policy(json!([{"match": "front_create_tag", "decision": "approve"}]))
        .await;
    let name = format!("held-{}", random_suffix());

    // A dry run shows the request and what would be decided, and holds nothing.
    let response = bench
        .http
        .post(format!("{}/actions/rpc?dry_run=true", bench.url))
        .basic_auth(&bench.key, Some(""))
        .header("x-account-id", &bench.account)
        .json(&json!({"action": "front_create_tag", "body": {"name": name}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let shown: Value = response.json().await.unwrap();
    assert_eq!(shown["method"], "POST", "{shown}");
    assert_eq!(shown["policy"]["decision"], "approve", "{shown}");
    let (_, pending) = bench.get("/approvals?status=pending").await;
    assert_eq!(pending["data"], json!([]), "a dry run was held");

    // The call is held: 202, nothing sent to Front.
    let (status, held) = bench.create_tag(&name).await;
    assert_eq!(status, 202, "{held}");
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("apr_"), "{held}");
    assert_eq!(held["approval"]["status"], "pending");
    assert!(
        held["approval"]["expires_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(
        held["approval"]["approve_url"],
        format!("{}/dashboard/approvals/{id}", bench.url)
    );
    assert_eq!(
        bench.tags_named(&name).await,
        0,
        "a held call reached Front"
    );

    // The same call again is the same approval; another input is another one.
    let (status, again) = bench.create_tag(&name).await;
    assert_eq!(
        (status, &again["approval"]["id"]),
        (202, &json!(id)),
        "{again}"
    );
    let (status, other) = bench.create_tag(&format!("{name}-other")).await;
    assert_eq!(status, 202, "{other}");
    assert_ne!(other["approval"]["id"], json!(id));

    let (status, listed) = bench.get("/approvals?status=pending").await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["data"].as_array().unwrap().len(), 2, "{listed}");
    let (status, shown) = bench.get(&format!("/approvals/{id}")).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["action"], "front_create_tag");
    assert_eq!(shown["input"], json!({"body": {"name": name}}));
    assert_eq!(shown["account_id"], bench.account.as_str());
    assert!(
        shown["requested_by"].as_str().unwrap().contains("(tester)"),
        "{shown}"
    );

    // Approved: it runs once, and its answer is kept.
    let (status, approved) = bench
        .post(&format!("/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    let done = bench.approval_in(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["result"]["status"], 200, "{done}");
    assert_eq!(
        done["result"]["body"]["data"]["name"],
        name.as_str(),
        "{done}"
    );
    assert!(done["decided_by"].as_str().unwrap().contains("(tester)"));
    assert_eq!(bench.tags_named(&name).await, 1);

    // Deciding again is a conflict, and nothing runs twice.
    let (status, body) = bench
        .post(&format!("/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = bench.get("/approvals/apr_missing").await;
    assert_eq!(status, 404, "{body}");
    // The run is in the run log, as an approval's.
    let (_, runs) = bench.get("/runs").await;
    let approved_runs = runs["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|run| run["action"] == "front_create_tag" && run["source"] == "approval")
        .count();
    assert_eq!(approved_runs, 1, "{runs}");
    // After it finished, the same call is a new approval.
    let (status, after) = bench.create_tag(&name).await;
    assert_eq!(status, 202, "{after}");
    assert_ne!(after["approval"]["id"], json!(id));
    assert_eq!(bench.tags_named(&name).await, 1);
}

async fn two_approvers_at_once_run_the_call_once(db: TestDatabase) {
    let postgres = db.dir().is_none();
    let bench = Bench::start(db).await;
    bench
        .set_policy(json!([{"match": "group:tags", "decision": "approve"}]))
        .await;
    // On Postgres a second hub serves the same database: the approvers reach different hubs.
    let second_url = if postgres {
        let store = Store::open(bench.db.url(), Keyring::parse(KEY_V1).unwrap())
            .await
            .unwrap();
        serve(&store, &bench.front, &AppStateOptions::default()).await
    } else {
        bench.url.clone()
    };
    for round in 0..3 {
        let name = format!("race-{round}-{}", random_suffix());
        let (status, held) = bench.create_tag(&name).await;
        assert_eq!(status, 202, "{held}");
        let id = held["approval"]["id"].as_str().unwrap().to_owned();
        let path = format!("/approvals/{id}/approve");
        let ((first, a), (second, b)) = tokio::join!(
            bench.call(reqwest::Method::POST, &bench.url, &path, None),
            bench.call(reqwest::Method::POST, &second_url, &path, None),
        );
        let mut statuses = [first, second];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{a} {b}");
        let loser = if first == 409 { &a } else { &b };
        assert!(
            loser["message"].as_str().unwrap().contains("already"),
            "{loser}"
        );
        let done = bench.approval_in(&id, &["succeeded", "failed"]).await;
        assert_eq!(done["status"], "succeeded", "{done}");
        // The other hub shows the same outcome.
        let (_, seen) = bench
            .call(
                reqwest::Method::GET,
                &second_url,
                &format!("/approvals/{id}"),
                None,
            )
            .await;
        assert_eq!(seen["status"], "succeeded", "{seen}");
        assert_eq!(
            bench.tags_named(&name).await,
            1,
            "the call ran {round}: not once"
        );
    }
}

async fn rejected_and_expired_calls_never_run(db: TestDatabase) {
    let bench = Bench::start_with(
        db,
        AppStateOptions {
            approval_expiry: Some(Duration::from_secs(1)),
        },
    )
    .await;
    bench
        .set_policy(json!([{"match": "hint:write", "decision": "approve"}]))
        .await;
    let rejected = format!("rejected-{}", random_suffix());
    let (_, held) = bench.create_tag(&rejected).await;
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    let (status, body) = bench
        .post(
            &format!("/approvals/{id}/reject"),
            json!({"reason": "not this one"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "rejected");
    assert_eq!(body["reason"], "not this one");
    let (status, body) = bench
        .post(&format!("/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, 409, "{body}");

    // Expiry: the sweep marks it, and a late approval is refused.
    let worker = worker(&bench);
    let expired = format!("expired-{}", random_suffix());
    let (_, held) = bench.create_tag(&expired).await;
    let expired_id = held["approval"]["id"].as_str().unwrap().to_owned();
    let approval = bench.approval_in(&expired_id, &["expired"]).await;
    assert_eq!(approval["decided_by"], Value::Null, "{approval}");
    let (status, body) = bench
        .post(&format!("/approvals/{expired_id}/approve"), json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    worker.shutdown().await;

    // A reject body is optional; an unknown field in it is refused.
    let third = format!("third-{}", random_suffix());
    let (_, held) = bench.create_tag(&third).await;
    let third_id = held["approval"]["id"].as_str().unwrap().to_owned();
    let (status, body) = bench
        .post(
            &format!("/approvals/{third_id}/reject"),
            json!({"why": "x"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(bench.tags_named(&rejected).await, 0);
    assert_eq!(bench.tags_named(&expired).await, 0);
    assert_eq!(bench.tags_named(&third).await, 0);
}

async fn prefer_wait_answers_as_the_call_did(db: TestDatabase) {
    let bench = Arc::new(Bench::start(db).await);
    bench
        .set_policy(json!([{"match": "front_create_tag", "decision": "approve"}]))
        .await;
    let (status, body, _) = bench
        .rpc_with(
            "front_create_tag",
            json!({"body": {"name": "x"}}),
            &[("prefer", "wait=61")],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("Prefer"),
        "{body}"
    );

    // Approved while the caller waits: the answer is the call's own.
    let name = format!("waited-{}", random_suffix());
    let approver = tokio::spawn(decide_first_pending(bench.clone(), None));
    let (status, body, headers) = bench
        .rpc_with(
            "front_create_tag",
            json!({"body": {"name": name}}),
            &[("prefer", "wait=30")],
        )
        .await;
    approver.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], name.as_str(), "{body}");
    assert_eq!(headers["preference-applied"], "wait=30");
    assert_eq!(bench.tags_named(&name).await, 1);

    // Rejected while the caller waits: 403 naming who and why.
    let name = format!("refused-{}", random_suffix());
    let approver = tokio::spawn(decide_first_pending(bench.clone(), Some("no tags today")));
    let (status, body, _) = bench
        .rpc_with(
            "front_create_tag",
            json!({"body": {"name": name}}),
            &[("prefer", "wait=30")],
        )
        .await;
    approver.await.unwrap();
    assert_eq!(status, 403, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("rejected by API key") && message.contains("no tags today"),
        "{message}"
    );

    // Nobody decides within the wait: the 202.
    let (status, body, _) = bench
        .rpc_with(
            "front_create_tag",
            json!({"body": {"name": format!("undecided-{}", random_suffix())}}),
            &[("prefer", "wait=1")],
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["approval"]["status"], "pending");
}

/// Approves (or, with a reason, rejects) the first pending approval that shows up.
async fn decide_first_pending(bench: Arc<Bench>, reject: Option<&'static str>) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let id = loop {
        let (_, pending) = bench.get("/approvals?status=pending").await;
        if let Some(id) = pending["data"][0]["id"].as_str() {
            break id.to_owned();
        }
        assert!(tokio::time::Instant::now() < deadline, "nothing was held");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (status, body) = match reject {
        None => {
            bench
                .post(&format!("/approvals/{id}/approve"), json!({}))
                .await
        }
        Some(reason) => {
            bench
                .post(
                    &format!("/approvals/{id}/reject"),
                    json!({"reason": reason}),
                )
                .await
        }
    };
    assert_eq!(status, 200, "{body}");
}

/// What a webhook receiver got: each message's body.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Value>>>);

async fn receive(State(receiver): State<Receiver>, body: Bytes) -> StatusCode {
    receiver
        .0
        .lock()
        .unwrap()
        .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
    StatusCode::NO_CONTENT
}

async fn approval_events_reach_a_webhook_endpoint(db: TestDatabase) {
    let bench = Bench::start(db).await;
    let receiver = Receiver::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let (status, body) = bench
        .post("/webhooks", json!({"url": hook, "events": ["approval.*"]}))
        .await;
    assert_eq!(status, 201, "{body}");
    let worker = worker(&bench);
    bench
        .set_policy(json!([{"match": "front_create_tag", "decision": "approve"}]))
        .await;
    let name = format!("hooked-{}", random_suffix());
    let (_, held) = bench.create_tag(&name).await;
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    let (status, body) = bench
        .post(&format!("/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let types = loop {
        let got = receiver.0.lock().unwrap().clone();
        let types: Vec<String> = got
            .iter()
            .filter(|message| message["data"]["approval"]["id"] == id.as_str())
            .map(|message| message["type"].as_str().unwrap_or_default().to_owned())
            .collect();
        if types.len() >= 2 {
            break types;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited in vain for the approval's events; got {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        types.contains(&"approval.requested".to_owned()),
        "{types:?}"
    );
    assert!(types.contains(&"approval.decided".to_owned()), "{types:?}");
    worker.shutdown().await;
}
