//! Webhooks end to end: a hub (random port, fresh database) on the Front simulator, the worker
//! following the simulator's events, and a receiver on a random port that checks every
//! signature with its own verifier. Writes through `/actions/rpc` must reach the receiver as
//! Front's events, exactly once when nothing fails; failures are retried and logged; a killed
//! worker loses nothing; two workers on one Postgres never send one attempt twice.
//!
//! Nothing here asserts a timing: waits have generous deadlines and fail with what was seen.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actionhub_engine::FrontClient;
use actionhub_server::{AppState, Metrics, ServeConfig, WebhookSettings};
use actionhub_store::{Keyring, Store};
use actionhub_testkit::{KEY_V1, TestDatabase, contains_secret};
use actionhub_worker::{AddressPolicy, Worker, WorkerConfig};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;

/// Everything the hub logs while these tests run (one subscriber for the whole binary), so a
/// test can check that no secret is in it.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .try_init();
        logs
    })
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How long a test waits for deliveries before failing with what it saw.
const PATIENCE: Duration = Duration::from_secs(90);

/// One message as the receiver got it.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: Value,
    raw: Bytes,
}

/// A webhook receiver: records every request, and answers 500 to the first `fail_first`.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    fail_first: Arc<AtomicUsize>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    receiver.got.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        raw: body,
    });
    let failing = receiver
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

impl Receiver {
    /// Serves on a random port; returns the hook's URL.
    async fn start(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `done` holds for what was received.
    async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let got = self.got();
            if done(&got) {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited in vain for {what}; received {} messages: {:?}",
                got.len(),
                got.iter().map(|r| &r.body["type"]).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The test's own Standard Webhooks verifier: some `v1,` entry must be the base64 HMAC-SHA256
/// of `id.timestamp.body` under the secret's bytes.
fn verify(secret: &str, message: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", message.id, message.timestamp).as_bytes());
    mac.update(&message.raw);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    message.signature.split(' ').any(|entry| entry == expected)
}

/// Worker settings for tests: quick polls and retries, loopback receivers allowed.
fn worker_config() -> WorkerConfig {
    WorkerConfig {
        poll_interval: Duration::from_millis(100),
        lease: Duration::from_secs(2),
        retry_schedule: "20ms,20ms,20ms,20ms".parse().unwrap(),
        delivery_timeout: Duration::from_secs(2),
        delivery_poll: Duration::from_millis(50),
        address_policy: AddressPolicy::AllowPrivate,
        ..WorkerConfig::default()
    }
}

struct Bench {
    url: String,
    key: String,
    token: String,
    project_id: String,
    store: Store,
    front: FrontClient,
    http: reqwest::Client,
    receiver: Receiver,
    hook: String,
    metrics: Arc<Metrics>,
    sim: frontsim::RunningSim,
    db: TestDatabase,
}

/// A proxy in front of the simulator that counts requests by route (the first path segment).
#[derive(Clone)]
struct CountingProxy {
    target: std::net::SocketAddr,
    http: reqwest::Client,
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

async fn forward(
    State(proxy): State<CountingProxy>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let route = parts.uri.path().trim_start_matches('/');
    let route = route.split('/').next().unwrap_or_default().to_owned();
    *proxy.counts.lock().unwrap().entry(route).or_default() += 1;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut outgoing = proxy
        .http
        .request(parts.method, format!("http://{}{path}", proxy.target))
        .body(body);
    for (name, value) in &parts.headers {
        if name != axum::http::header::HOST {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(answer) = outgoing.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let mut response = axum::response::Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    response
        .body(axum::body::Body::from(
            answer.bytes().await.unwrap_or_default(),
        ))
        .unwrap()
}

impl Bench {
    async fn start(db: TestDatabase) -> Bench {
        Bench::start_with(db, frontsim::SimConfig::unlimited(), None).await
    }

    /// A bench whose simulator runs with `config`; with `counts`, the hub reaches it through a
    /// proxy that counts requests by route there.
    async fn start_with(
        db: TestDatabase,
        mut config: frontsim::SimConfig,
        counts: Option<Arc<Mutex<BTreeMap<String, u64>>>>,
    ) -> Bench {
        let proxy_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_url = format!("http://{}", proxy_listener.local_addr().unwrap());
        if counts.is_some() {
            // Front's `next` links must lead through the proxy too.
            config.public_url = Some(proxy_url.clone());
        }
        // The demo token, or else the first one configured.
        let first_token = config.tokens.first().map(|grant| grant.token.clone());
        let sim = frontsim::bind(config, "127.0.0.1:0").await.unwrap();
        let front_url = match counts {
            Some(counts) => {
                let proxy = CountingProxy {
                    target: sim.local_addr(),
                    http: reqwest::Client::new(),
                    counts,
                };
                let app = axum::Router::new().fallback(forward).with_state(proxy);
                tokio::spawn(async move { axum::serve(proxy_listener, app).await });
                proxy_url
            }
            None => sim.base_url().to_owned(),
        };
        let store = Store::open(db.url(), Keyring::parse(KEY_V1).unwrap())
            .await
            .unwrap();
        let front = FrontClient::new(Some(&front_url)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut state = AppState::new(store.clone(), front.clone(), &url);
        state.webhooks = WebhookSettings {
            address_policy: AddressPolicy::AllowPrivate,
            ..WebhookSettings::default()
        };
        let metrics = state.metrics.clone();
        tokio::spawn(actionhub_server::serve_with(
            listener,
            state,
            ServeConfig::default(),
            std::future::pending(),
        ));
        let project = store.project("default").await.unwrap();
        let (_, key) = store.create_api_key(&project, "test").await.unwrap();
        let receiver = Receiver::default();
        let hook = receiver.start().await;
        Bench {
            url,
            key: key.expose_secret().to_owned(),
            token: sim.demo_token().map(str::to_owned).or(first_token).unwrap(),
            project_id: project.id,
            store,
            front,
            http: reqwest::Client::new(),
            receiver,
            hook,
            metrics,
            sim,
            db,
        }
    }

    /// Starts a worker on `store`, reporting to the hub's metrics.
    fn worker(&self, store: &Store) -> Worker {
        self.worker_with(store, worker_config())
    }

    fn worker_with(&self, store: &Store, config: WorkerConfig) -> Worker {
        Worker::spawn(
            store.clone(),
            self.front.clone(),
            config,
            self.metrics.clone(),
        )
        .unwrap()
    }

    /// The delivery log at `path` once its newest delivery is no longer pending: a receiver's
    /// answer is recorded by the worker just after the receiver has seen the message.
    async fn settled_deliveries(&self, path: &str) -> (u16, Value) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let (status, log) = self.call(reqwest::Method::GET, path, None).await;
            if log["data"][0]["status"] != "pending" || Instant::now() > deadline {
                return (status, log);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .basic_auth(&self.key, Some(""));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(!text.contains(&self.token), "an answer holds the token");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Creates an endpoint for `events`; returns its id and secret.
    async fn endpoint(&self, events: Value) -> (String, String) {
        let (status, body) = self
            .post("/webhooks", json!({"url": self.hook, "events": events}))
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["id"].as_str().unwrap().to_owned(),
            body["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// Links the simulator's company through `POST /accounts`; returns the account id.
    async fn link(&self, owner: &str) -> String {
        self.link_with(owner, &self.token).await
    }

    /// Links the simulator's company with `token`; returns the account id.
    async fn link_with(&self, owner: &str, token: &str) -> String {
        let (status, body) = self
            .post(
                "/accounts",
                json!({
                    "provider": "front",
                    "credentials": {"api_token": token},
                    "origin_owner_id": owner,
                    "origin_owner_name": owner,
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// A conversation to write to.
    async fn conversation(&self, account: &str) -> String {
        let body = self
            .rpc(
                account,
                "front_list_conversations",
                json!({"query": {"limit": 1}}),
            )
            .await;
        body["data"][0]["id"].as_str().unwrap().to_owned()
    }

    async fn rpc(&self, account: &str, action: &str, mut input: Value) -> Value {
        input["action"] = json!(action);
        let response = self
            .http
            .post(format!("{}/actions/rpc", self.url))
            .basic_auth(&self.key, Some(""))
            .header("x-account-id", account)
            .json(&input)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{action}: {status} {body}");
        body
    }

    /// Adds `count` comments to `conversation`: each leaves one `comment` event in Front.
    async fn comment(&self, account: &str, conversation: &str, count: usize) {
        for n in 0..count {
            self.rpc(
                account,
                "front_add_conversation_comment",
                json!({"path": {"conversation_id": conversation}, "body": {"body": format!("note {n}")}}),
            )
            .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_is_followed_with_an_account_whose_token_can_read_its_events() {
    let config = frontsim::SimConfig {
        tokens: vec![
            frontsim::TokenGrant::with_every_scope("tok-Qm7vX2every"),
            frontsim::TokenGrant::parse("tok-Hr4kW9tags:tags:read").unwrap(),
        ],
        ..frontsim::SimConfig::unlimited()
    };
    let bench = Bench::start_with(TestDatabase::sqlite(), config, None).await;
    bench.endpoint(json!(["front.comment"])).await;
    // The company's oldest account may read tags only: Front refuses it the events (403),
    // and the follower reads them with the other one.
    bench.link_with("owner-tags", "tok-Hr4kW9tags").await;
    let account = bench.link("owner-every").await;
    let worker = bench.worker(&bench.store);
    let conversation = bench.conversation(&account).await;
    bench.comment(&account, &conversation, 1).await;
    bench
        .receiver
        .wait_for("the comment's event", |got| comment_events(got).len() == 1)
        .await;
    worker.shutdown().await;
}

/// Front event ids of the `front.comment` messages received.
fn comment_events(got: &[Received]) -> Vec<String> {
    got.iter()
        .filter(|r| r.body["type"] == "front.comment")
        .map(|r| {
            r.body["data"]["event"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn distinct(ids: &[String]) -> usize {
    ids.iter().collect::<BTreeSet<_>>().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_reach_the_receiver_once_each_signed_with_account_events() {
    let logs = logs();
    let bench = Bench::start(TestDatabase::sqlite()).await;
    let worker = bench.worker(&bench.store);
    let (endpoint, secret) = bench.endpoint(json!(["front.comment", "account.*"])).await;
    let account = bench.link("owner-1").await;
    let conversation = bench.conversation(&account).await;
    bench.comment(&account, &conversation, 200).await;
    let got = bench
        .receiver
        .wait_for("200 comment events", |got| {
            distinct(&comment_events(got)) >= 200
        })
        .await;
    // Exactly once: nothing failed, so no message twice and no event under two messages.
    let events = comment_events(&got);
    assert_eq!(events.len(), 200, "an event arrived twice");
    let ids: BTreeSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), got.len(), "a message was sent twice");
    for message in &got {
        assert!(verify(&secret, message), "bad signature on {}", message.id);
        assert!(message.id.starts_with("msg_"));
        assert!(message.timestamp.parse::<i64>().is_ok());
        assert!(message.body["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let comment = got
        .iter()
        .find(|r| r.body["type"] == "front.comment")
        .unwrap();
    assert_eq!(comment.body["data"]["account_id"], account.as_str());
    assert_eq!(comment.body["data"]["event"]["type"], "comment");
    assert_eq!(
        comment.body["data"]["event"]["conversation"]["id"],
        conversation.as_str()
    );

    // Relinking, changing and removing the account are told too, and an account Front refuses.
    let (status, _) = bench
        .call(
            reqwest::Method::PATCH,
            &format!("/accounts/{account}"),
            Some(json!({"label": "Support", "credentials": {}})),
        )
        .await;
    assert_eq!(status, 200);
    // Front starts refusing the token: the next call puts the account in error.
    bench.sim.revoke_token(&bench.token);
    let response = bench
        .http
        .post(format!("{}/actions/rpc", bench.url))
        .basic_auth(&bench.key, Some(""))
        .header("x-account-id", &account)
        .json(&json!({"action": "front_list_tags"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 412);
    let (status, _) = bench
        .call(
            reqwest::Method::DELETE,
            &format!("/accounts/{account}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let got = bench
        .receiver
        .wait_for("account events", |got| {
            got.iter().any(|r| r.body["type"] == "account.deleted")
        })
        .await;
    // Messages are sent concurrently, so they may arrive in any order.
    let mut kinds: Vec<&str> = got
        .iter()
        .filter_map(|r| r.body["type"].as_str())
        .filter(|kind| kind.starts_with("account."))
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "account.created",
            "account.deleted",
            "account.error",
            // The relink, then the label: one transaction each.
            "account.updated",
            "account.updated",
        ],
        "{kinds:?}"
    );
    let created = got
        .iter()
        .find(|r| r.body["type"] == "account.created")
        .unwrap();
    assert_eq!(created.body["data"]["account_id"], account.as_str());
    assert_eq!(created.body["data"]["account"]["provider"], "front");

    // The delivery log shows each attempt; nothing in it (or in the database) is a secret.
    let (status, log) = bench
        .settled_deliveries(&format!("/webhooks/{endpoint}/deliveries?limit=5"))
        .await;
    assert_eq!(status, 200, "{log}");
    let first = &log["data"][0];
    assert_eq!(first["status"], "delivered", "{log}");
    assert_eq!(first["attempts"][0]["status_code"], 204, "{log}");
    let (_, listed) = bench.call(reqwest::Method::GET, "/webhooks", None).await;
    assert!(!listed.to_string().contains(&secret));
    assert!(
        !contains_secret(&bench.db.raw_contents(), &secret),
        "the signing secret is stored in the clear"
    );
    let metrics = bench
        .http
        .get(format!("{}/metrics", bench.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("actionhub_webhook_attempts_total{outcome=\"delivered\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("actionhub_events_followed_total{outcome=\"new\"} 200"));
    assert!(metrics.contains("actionhub_event_stream_lag_seconds{company="));
    worker.shutdown().await;
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(logged.contains("webhook attempt"), "nothing was logged");
    for secret in [secret.as_str(), bench.token.as_str(), bench.key.as_str()] {
        assert!(
            !contains_secret(logged.as_bytes(), secret),
            "a secret is in the logs"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_the_message_on_the_fourth_attempt() {
    let bench = Bench::start(TestDatabase::sqlite()).await;
    let worker = bench.worker(&bench.store);
    let (endpoint, secret) = bench.endpoint(json!(["account.created"])).await;
    bench.receiver.fail_first.store(3, Ordering::SeqCst);
    bench.link("owner-1").await;
    let got = bench
        .receiver
        .wait_for("the fourth attempt", |got| got.len() >= 4)
        .await;
    assert_eq!(got.len(), 4);
    assert!(
        got.iter().all(|r| r.id == got[0].id),
        "the webhook-id changed"
    );
    assert!(got.iter().all(|r| verify(&secret, r)));
    let (_, log) = bench
        .settled_deliveries(&format!("/webhooks/{endpoint}/deliveries"))
        .await;
    let delivery = &log["data"][0];
    assert_eq!(delivery["id"], got[0].id.as_str());
    assert_eq!(delivery["status"], "delivered");
    let codes: Vec<&Value> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status_code"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(500), &json!(204)]);
    assert_eq!(delivery["attempts"][0]["error_kind"], "status");

    // Sent again on request, under the same id.
    let (status, _) = bench
        .post(
            &format!("/webhooks/{endpoint}/deliveries/{}/retry", got[0].id),
            json!({}),
        )
        .await;
    assert_eq!(status, 202);
    let got = bench
        .receiver
        .wait_for("the retry", |got| got.len() >= 5)
        .await;
    assert_eq!(got[4].id, got[0].id);
    // Replayed from the stored events, still under the same id.
    let (status, replayed) = bench
        .post(
            &format!("/webhooks/{endpoint}/replay"),
            json!({"since": "2000-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        (status, &replayed["queued"]),
        (202, &json!(1)),
        "{replayed}"
    );
    let got = bench
        .receiver
        .wait_for("the replay", |got| got.len() >= 6)
        .await;
    assert_eq!(got[5].id, got[0].id);
    assert_eq!(got[5].raw, got[0].raw);
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_worker_loses_no_event() {
    let bench = Bench::start(TestDatabase::sqlite()).await;
    let (_, secret) = bench.endpoint(json!(["front.*"])).await;
    let account = bench.link("owner-1").await;
    let conversation = bench.conversation(&account).await;
    let first = bench.worker(&bench.store);
    bench.comment(&account, &conversation, 40).await;
    bench
        .receiver
        .wait_for("some events", |got| !comment_events(got).is_empty())
        .await;
    // Killed mid-stream: its lease and claims are left to lapse.
    drop(first);
    bench.comment(&account, &conversation, 40).await;
    let second = bench.worker(&bench.store);
    let got = bench
        .receiver
        .wait_for("all 80 events", |got| distinct(&comment_events(got)) >= 80)
        .await;
    // Repeats only under the same message id.
    let mut message_of: BTreeMap<String, String> = BTreeMap::new();
    for message in got.iter().filter(|r| r.body["type"] == "front.comment") {
        assert!(verify(&secret, message));
        let event = message.body["data"]["event"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let id = message_of
            .entry(event)
            .or_insert_with(|| message.id.clone());
        assert_eq!(*id, message.id, "an event was sent under two message ids");
    }
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_postgres_share_the_work_and_take_over() {
    let bench = Bench::start(TestDatabase::postgres().await).await;
    let other_store = Store::open(bench.db.url(), Keyring::parse(KEY_V1).unwrap())
        .await
        .unwrap();
    bench.endpoint(json!(["front.comment"])).await;
    let account = bench.link("owner-1").await;
    let conversation = bench.conversation(&account).await;
    let first = bench.worker(&bench.store);
    let second = bench.worker(&other_store);
    bench.comment(&account, &conversation, 100).await;
    let got = bench
        .receiver
        .wait_for("100 events", |got| distinct(&comment_events(got)) >= 100)
        .await;
    // Nothing failed: had both hubs sent a message, it would be here twice.
    assert_eq!(
        comment_events(&got).len(),
        100,
        "an attempt was sent by both hubs"
    );
    let ids: BTreeSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), got.len());
    // Each hub dies in turn while the other runs: whichever followed the company, the other
    // takes over once its lease lapses, and its claims too.
    drop(first);
    bench.comment(&account, &conversation, 20).await;
    bench
        .receiver
        .wait_for("the events after the first death", |got| {
            distinct(&comment_events(got)) >= 120
        })
        .await;
    let third = bench.worker(&bench.store);
    drop(second);
    bench.comment(&account, &conversation, 20).await;
    let got = bench
        .receiver
        .wait_for("the events after the second death", |got| {
            distinct(&comment_events(got)) >= 140
        })
        .await;
    let mut message_of: BTreeMap<String, String> = BTreeMap::new();
    for message in got.iter().filter(|r| r.body["type"] == "front.comment") {
        let event = message.body["data"]["event"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let id = message_of
            .entry(event)
            .or_insert_with(|| message.id.clone());
        assert_eq!(*id, message.id, "an event was sent under two message ids");
    }
    third.shutdown().await;
}

#[tokio::test]
async fn hostile_endpoint_inputs_are_refused_naming_the_field() {
    let bench = Bench::start(TestDatabase::sqlite()).await;
    let (endpoint, secret) = bench.endpoint(json!(["*"])).await;
    let refusals = [
        (
            json!({"url": "ftp://example.com/"}),
            "`url` must be an absolute http or https URL",
        ),
        (
            json!({"url": format!("http://x/{}", "a".repeat(3000))}),
            "`url` must be at most 2000",
        ),
        (
            json!({"url": "http://u:p@127.0.0.1/"}),
            "`url` must not carry a user name",
        ),
        (json!({"url": "http://127.0.0.1/\u{0}"}), "NUL"),
        (
            json!({"url": bench.hook, "events": []}),
            "`events` must name at least one",
        ),
        (
            json!({"url": bench.hook, "events": ["front.tag", "front.tga"]}),
            "`events[1]` is not an event type (`front.tga`); did you mean `front.tag`?",
        ),
        (
            json!({"url": bench.hook, "events": vec!["*"; 101]}),
            "`events` may list at most 100",
        ),
        (
            json!({"url": bench.hook, "account_ids": ["acc_missing"]}),
            "`account_ids[0]`: no account `acc_missing` in this project",
        ),
        (
            json!({"url": bench.hook, "description": "d".repeat(501)}),
            "`description` must be at most 500",
        ),
        (
            json!({"url": bench.hook, "secret": "whsec_mine"}),
            "`secret` is not a known field",
        ),
    ];
    for (body, expected) in refusals {
        let (status, answer) = bench.post("/webhooks", body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{body}: {message}");
    }
    // Private addresses are refused unless allowed.
    let strict = actionhub_worker::security::check_resolved(
        "http://169.254.169.254/latest",
        AddressPolicy::PublicOnly,
    )
    .await;
    assert!(strict.is_err());
    // Unknown ids, dot segments and another project's endpoint are all missing.
    let other = bench.store.project("other").await.unwrap();
    let (_, other_key) = bench.store.create_api_key(&other, "other").await.unwrap();
    let response = bench
        .http
        .get(format!("{}/webhooks/{endpoint}", bench.url))
        .basic_auth(other_key.expose_secret(), Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    for path in [
        "/webhooks/whe_missing".to_owned(),
        "/webhooks/%2e%2e".to_owned(),
        format!("/webhooks/{endpoint}/deliveries/msg_missing/retry"),
    ] {
        let method = if path.ends_with("retry") {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let (status, answer) = bench.call(method, &path, Some(json!({}))).await;
        assert_eq!(status, 404, "{path}: {answer}");
        assert!(answer["message"].is_string());
    }
    let (status, _) = bench
        .post(
            &format!("/webhooks/{endpoint}/replay"),
            json!({"since": -1}),
        )
        .await;
    assert_eq!(status, 400);
    // The secret is shown once: never by a later GET, list or rotation of another endpoint.
    let (_, shown) = bench
        .call(reqwest::Method::GET, &format!("/webhooks/{endpoint}"), None)
        .await;
    assert!(shown.get("secret").is_none() && !shown.to_string().contains(&secret));
    let (status, rotated) = bench
        .post(&format!("/webhooks/{endpoint}/rotate-secret"), json!({}))
        .await;
    assert_eq!(status, 200);
    let fresh = rotated["secret"].as_str().unwrap();
    assert!(fresh.starts_with("whsec_") && fresh != secret);
    let signing = bench
        .store
        .signing_secrets(&bench.project_id, &endpoint)
        .await
        .unwrap();
    assert_eq!(
        signing.len(),
        2,
        "the old secret signs during the grace period"
    );
    assert_eq!(signing[0].expose_secret(), fresh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn actions_keep_most_of_a_small_budget_while_events_are_followed() {
    // 10 requests a second, no burst limit (the pacer learns it from Front's headers): small
    // enough that the callers below are held by the budget, not by the machine.
    const BUDGET: u32 = 10;
    const WINDOW_SECS: u32 = 1;
    let config = frontsim::SimConfig {
        rpm: BUDGET,
        window_secs: WINDOW_SECS.into(),
        burst: 0,
        ..frontsim::SimConfig::default()
    };
    let counts = Arc::new(Mutex::new(BTreeMap::new()));
    let bench = Bench::start_with(TestDatabase::sqlite(), config, Some(counts.clone())).await;
    bench.endpoint(json!(["front.comment"])).await;
    let account = bench.link("owner-1").await;
    let conversation = bench.conversation(&account).await;
    // The default share (10%), events waiting all along: a busy company's follower keeps to
    // it, never to the doubled share it may take from an idle one.
    let config = WorkerConfig::default();
    let share = config.budget_share;
    let started = Instant::now();
    let worker = bench.worker_with(
        &bench.store,
        WorkerConfig {
            budget_share: share,
            ..worker_config()
        },
    );
    // Heavy traffic from several callers at once, mostly reads, with writes that leave events.
    let bench = Arc::new(bench);
    let mut callers = Vec::new();
    for caller in 0..6 {
        let bench = bench.clone();
        let account = account.clone();
        let conversation = conversation.clone();
        callers.push(tokio::spawn(async move {
            for call in 0..25 {
                if call % 5 == caller % 5 {
                    bench.comment(&account, &conversation, 1).await;
                } else {
                    bench.rpc(&account, "front_list_tags", json!({})).await;
                }
            }
        }));
    }
    for caller in callers {
        caller.await.unwrap();
    }
    let windows = started.elapsed().as_secs_f64() / f64::from(WINDOW_SECS);
    let counts = counts.lock().unwrap().clone();
    let followed = counts.get("events").copied().unwrap_or(0);
    let actions: u64 = counts
        .iter()
        .filter(|(route, _)| !matches!(route.as_str(), "events" | "me"))
        .map(|(_, n)| n)
        .sum();
    eprintln!(
        "requests by route over {windows:.1} windows: {counts:?}; actions had {:.1}% of them",
        100.0 * actions as f64 / (actions + followed) as f64
    );
    assert!(followed > 0, "the follower never read events: {counts:?}");
    // Its share of every window that passed, plus the probe before the budget was learnt.
    let allowed = (windows * f64::from(BUDGET) * share).ceil() as u64 + 1;
    assert!(
        followed <= allowed,
        "the follower took {followed} requests, more than its share ({allowed}): {counts:?}"
    );
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_address_is_refused_at_delivery_and_a_failing_endpoint_disabled() {
    let bench = Bench::start(TestDatabase::sqlite()).await;
    let (endpoint, _) = bench.endpoint(json!(["account.*"])).await;
    // The routes allowed the loopback URL; this worker does not, and disables an endpoint at
    // its first failure.
    let worker = bench.worker_with(
        &bench.store,
        WorkerConfig {
            address_policy: AddressPolicy::PublicOnly,
            disable_after: Duration::ZERO,
            ..worker_config()
        },
    );
    bench.link("owner-1").await;
    let path = format!("/webhooks/{endpoint}");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let shown = loop {
        let (_, shown) = bench.call(reqwest::Method::GET, &path, None).await;
        if shown["status"] == "disabled" {
            break shown;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never disabled: {shown}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(shown["disabled_at"].is_string() && shown["failing_since"].is_string());
    assert!(
        bench.receiver.got().is_empty(),
        "a private address was reached"
    );
    let (_, log) = bench
        .call(reqwest::Method::GET, &format!("{path}/deliveries"), None)
        .await;
    let delivery = &log["data"][0];
    assert_eq!(delivery["status"], "failed", "{log}");
    assert_eq!(delivery["attempts"][0]["error_kind"], "refused_address");
    assert!(delivery["attempts"][0]["status_code"].is_null());
    let (status, enabled) = bench
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(enabled["status"], "enabled");
    assert!(enabled["failing_since"].is_null());
    worker.shutdown().await;
}
