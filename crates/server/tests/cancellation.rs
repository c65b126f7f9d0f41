//! Clients that give up mid-call: keyed creates against a slow simulator, abandoned at seeded
//! random points (before the hub has the request, while it waits for the budget, while Front
//! works), then repeated with the same keys until answered. Every key must create exactly one
//! tag, every create must be in the run log although its caller had gone, and a company whose
//! first call was abandoned must not be left behind a held probe lease.

mod common;

use std::sync::Arc;
use std::time::Duration;

use actionhub_engine::pace::{Decision, Pacer, unix_millis};
use actionhub_engine::{FrontClient, MemoryPacer};
use actionhub_testkit::TestDatabase;
use common::{Served, link_front_account, serve_hub_on};
use frontsim::SimConfig;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// Front's time per request: long enough that many give-up points fall inside it.
const LATENCY_MS: u64 = 200;
/// Keys created: the company's first call, then the rest concurrently.
const KEYS: usize = 25;
/// Seeds the give-up points.
const SEED: u64 = 0x5eed_0011;

struct Hub {
    served: Served,
    key: String,
    account: String,
    company: String,
    pacer: Arc<MemoryPacer>,
    http: reqwest::Client,
    sim: frontsim::RunningSim,
    sim_token: String,
}

impl Hub {
    async fn start() -> Hub {
        let sim = frontsim::bind(
            SimConfig {
                latency_ms: LATENCY_MS,
                ..SimConfig::unlimited()
            },
            "127.0.0.1:0",
        )
        .await
        .expect("simulator");
        let pacer = Arc::new(MemoryPacer::new());
        let front = FrontClient::new(Some(sim.base_url()))
            .unwrap()
            .with_pacer(pacer.clone());
        let served = serve_hub_on(TestDatabase::sqlite(), front).await;
        let project = served.store.project("default").await.unwrap();
        let (_, key) = served.store.create_api_key(&project, "test").await.unwrap();
        let sim_token = sim.demo_token().unwrap().to_owned();
        let linked =
            link_front_account(&served.store, &served.front, &project.id, &sim_token, None).await;
        Hub {
            served,
            key: key.expose_secret().to_owned(),
            account: linked.id,
            company: linked.provider_account_id,
            pacer,
            http: reqwest::Client::new(),
            sim,
            sim_token,
        }
    }

    /// A keyed create of the tag named after the key.
    fn create(&self, key: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/actions/rpc", self.served.url))
            .basic_auth(&self.key, Some(""))
            .header("x-account-id", &self.account)
            .header("idempotency-key", key)
            .json(&json!({"action": "front_create_tag", "body": {"name": key}}))
    }

    /// Sends the create and gives up (drops the request) after `give_up`.
    async fn create_then_give_up(&self, key: &str, give_up: Duration) {
        let _ = tokio::time::timeout(give_up, self.create(key).send()).await;
    }

    /// Repeats the create until it is answered (409 means the first is still running).
    async fn create_until_answered(&self, key: &str) -> Value {
        for _ in 0..400 {
            let response = self.create(key).send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            if status == 409 {
                tokio::time::sleep(Duration::from_millis(25)).await;
                continue;
            }
            assert_eq!(status, 200, "{key}: {body}");
            return body;
        }
        panic!("{key} is still claimed after its caller gave up");
    }

    /// Every tag in the simulator, by its own API (every page).
    async fn tag_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut url = format!("{}/tags?limit=100", self.sim.base_url());
        loop {
            let page: Value = self
                .http
                .get(&url)
                .bearer_auth(&self.sim_token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            names.extend(
                page["_results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|tag| tag["name"].as_str().map(str::to_owned)),
            );
            match page["_pagination"]["next"].as_str() {
                Some(next) => url = next.to_owned(),
                None => return names,
            }
        }
    }

    /// The project's run log (`GET /runs` writes what is queued first).
    async fn runs(&self) -> Vec<Value> {
        let page: Value = self
            .http
            .get(format!("{}/runs?limit=1000", self.served.url))
            .basic_auth(&self.key, Some(""))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        page["data"].as_array().unwrap().clone()
    }

    /// Whether the company's next call would be sent at once, read from the pacer's state (an
    /// unmetered company, as the simulator without limits is, costs nothing to ask).
    async fn next_call_goes(&self) -> bool {
        let decision = self
            .pacer
            .acquire(&self.company, "tags", unix_millis(), i64::MAX)
            .await;
        matches!(decision, Ok(Decision::Go { .. }))
    }
}

/// xorshift64*: the seeded give-up points.
struct Draws(u64);

impl Draws {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

fn key_name(n: usize) -> String {
    format!("cancel-{n}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_keyed_creates_run_once_are_logged_and_free_the_company() {
    let hub = Arc::new(Hub::start().await);

    // The company's first call (its pacer probe) is abandoned while Front works on it.
    hub.create_then_give_up(&key_name(0), Duration::from_millis(LATENCY_MS / 4))
        .await;
    hub.create_until_answered(&key_name(0)).await;
    assert!(
        hub.next_call_goes().await,
        "the abandoned first call left the company's probe lease held"
    );

    // Many at once, each abandoned at its own point, from before sending to after the answer.
    let mut draws = Draws(SEED);
    let mut clients = tokio::task::JoinSet::new();
    for n in 1..KEYS {
        let give_up = Duration::from_millis(draws.below(LATENCY_MS * 5 / 2));
        let hub = hub.clone();
        clients.spawn(async move { hub.create_then_give_up(&key_name(n), give_up).await });
    }
    clients.join_all().await;
    let mut answers = Vec::new();
    for n in 0..KEYS {
        answers.push(hub.create_until_answered(&key_name(n)).await);
    }
    for (n, answer) in answers.iter().enumerate() {
        assert_eq!(answer["data"]["name"], key_name(n), "{answer}");
    }

    let names = hub.tag_names().await;
    for n in 0..KEYS {
        let count = names.iter().filter(|name| **name == key_name(n)).count();
        assert_eq!(count, 1, "{} was created {count} times", key_name(n));
    }

    // Each key's one create is in the run log, whether or not its caller waited for it (the
    // entry is written as the run ends, so a repeat's replay may be answered just before it).
    let mut creates = 0;
    let mut runs = Vec::new();
    for _ in 0..100 {
        runs = hub.runs().await;
        creates = runs
            .iter()
            .filter(|run| run["action"] == "front_create_tag" && run["outcome"] == "ok")
            .count();
        if creates >= KEYS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(creates, KEYS, "a create is missing from the run log");
    // Every answered repeat is there too.
    let answered = runs
        .iter()
        .filter(|run| matches!(run["outcome"].as_str(), Some("replayed" | "ok")))
        .count();
    assert!(answered >= answers.len());

    assert!(hub.next_call_goes().await, "a probe lease is still held");
}
