//! Pacing against the simulator with Front's limits on, burst limits included: batches of
//! concurrent calls all succeed without a 429 reaching a caller, callers are served in arrival
//! order, and the Redis pacer's work per call stays constant however many wait. Each batch's
//! time is printed as a ratio of the least the simulator's limits allow (not asserted: timing
//! depends on the machine). The Redis tests need Redis on 127.0.0.1:6379 (or
//! `ACTIONHUB_TEST_REDIS_URL`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use actionhub_catalog::Catalog;
use actionhub_engine::pace::unix_millis;
use actionhub_engine::{Call, CallError, FrontClient, Pacer, RedisPacer, SecretString, Stats};
use frontsim::SimConfig;
use serde_json::{Value, json};

/// Front's budget per minute is not what these batches meet: its burst limits are.
const RPM: u32 = 1000;
const BURST: u32 = 5;

fn burst_limited() -> SimConfig {
    SimConfig {
        rpm: RPM,
        window_secs: 60,
        burst: BURST,
        ..SimConfig::default()
    }
}

/// One call to make: an action and its input.
type Request = (&'static str, Value);

fn requests(action: &'static str, input: &Value, count: usize) -> Vec<Request> {
    (0..count).map(|_| (action, input.clone())).collect()
}

/// What one call came to.
struct Outcome {
    result: Result<(), CallError>,
    stats: Stats,
}

async fn call(
    client: &FrontClient,
    token: &str,
    company: &str,
    request: &Request,
    deadline: Instant,
) -> Outcome {
    let action = Catalog::builtin().action(request.0).unwrap();
    let token = SecretString::from(token.to_owned());
    let call = Call {
        action,
        input: &request.1,
        token: &token,
        account_id: "acc_pacing",
        company_id: company,
        idempotency_key: false,
        deadline,
    };
    let mut stats = Stats::default();
    let result = client.execute(&call, &mut stats).await.map(|_| ());
    Outcome { result, stats }
}

/// Runs `requests` all at once, spread over `clients` in turn, each with `deadline_in`.
async fn batch(
    clients: &[FrontClient],
    token: &str,
    company: &str,
    requests: Vec<Request>,
    deadline_in: Duration,
) -> Vec<Outcome> {
    let mut calls = tokio::task::JoinSet::new();
    for (i, request) in requests.into_iter().enumerate() {
        let client = clients[i % clients.len()].clone();
        let (token, company) = (token.to_owned(), company.to_owned());
        calls.spawn(async move {
            call(
                &client,
                &token,
                &company,
                &request,
                Instant::now() + deadline_in,
            )
            .await
        });
    }
    calls.join_all().await
}

/// Every call succeeded: no 429 (nor anything else) reached a caller. Returns the retries
/// the batch needed (Front's refusals the hub absorbed).
fn all_succeeded(outcomes: &[Outcome]) -> u32 {
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|outcome| outcome.result.as_ref().err().map(ToString::to_string))
        .collect();
    assert!(
        failed.is_empty(),
        "{} calls failed, e.g. {:?}",
        failed.len(),
        failed.first()
    );
    outcomes.iter().map(|outcome| outcome.stats.retries()).sum()
}

/// The least time the simulator's limits allow for `per_class` calls on each burst class:
/// `BURST` a second per class, in parallel across classes.
fn least_secs(per_class: &[usize]) -> f64 {
    per_class
        .iter()
        .map(|&calls| (calls.div_ceil(BURST as usize) - 1) as f64)
        .fold(0.0, f64::max)
}

fn report(name: &str, started: Instant, least: f64, retries: u32) {
    let took = started.elapsed().as_secs_f64();
    eprintln!(
        "{name}: {took:.2} s, least the limits allow {least:.1} s, ratio {:.3}, {retries} of Front's refusals absorbed",
        took / least
    );
}

async fn simulator(config: SimConfig) -> (frontsim::RunningSim, String) {
    let sim = frontsim::bind(config, "127.0.0.1:0")
        .await
        .expect("simulator");
    let token = sim.demo_token().unwrap().to_owned();
    (sim, token)
}

const DEADLINE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_calls_to_one_resource_meet_no_burst_429() {
    let (sim, token) = simulator(burst_limited()).await;
    let client = FrontClient::new(Some(sim.base_url())).unwrap();
    let started = Instant::now();
    let outcomes = batch(
        &[client],
        &token,
        "cmp_tags",
        requests("front_list_tags", &json!({}), 100),
        DEADLINE,
    )
    .await;
    let retries = all_succeeded(&outcomes);
    report(
        "100 × front_list_tags",
        started,
        least_secs(&[100]),
        retries,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_and_conversation_lists_share_one_burst_class() {
    let (sim, token) = simulator(burst_limited()).await;
    let client = FrontClient::new(Some(sim.base_url())).unwrap();
    let mut mixed = Vec::new();
    for _ in 0..30 {
        mixed.push((
            "front_search_conversations",
            json!({"path": {"query": "is:open"}}),
        ));
        mixed.push(("front_list_conversations", json!({})));
    }
    let started = Instant::now();
    let outcomes = batch(&[client], &token, "cmp_search", mixed, DEADLINE).await;
    let retries = all_succeeded(&outcomes);
    report(
        "30 searches + 30 conversation lists",
        started,
        least_secs(&[60]),
        retries,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_across_three_resources_are_paced_per_resource() {
    let (sim, token) = simulator(burst_limited()).await;
    let client = FrontClient::new(Some(sim.base_url())).unwrap();
    let mut mixed = Vec::new();
    for _ in 0..30 {
        mixed.push(("front_list_tags", json!({})));
        mixed.push(("front_list_contacts", json!({})));
        mixed.push(("front_list_teammates", json!({})));
    }
    let started = Instant::now();
    let outcomes = batch(&[client], &token, "cmp_three", mixed, DEADLINE).await;
    let retries = all_succeeded(&outcomes);
    report(
        "90 calls over tags, contacts, teammates",
        started,
        least_secs(&[30, 30, 30]),
        retries,
    );
}

/// Lists over six resources in turn, so that Front's burst limit of each (5 a second) is not
/// what the calls wait for.
fn spread(count: usize) -> Vec<Request> {
    const LISTS: [&str; 6] = [
        "front_list_tags",
        "front_list_contacts",
        "front_list_teammates",
        "front_list_inboxes",
        "front_list_accounts",
        "front_list_channels",
    ];
    (0..count)
        .map(|i| (LISTS[i % LISTS.len()], json!({})))
        .collect()
}

/// 20 per 2-second window: 39 callers at once, 20 more 1.8 s later, each giving up 3 s after
/// it came. In arrival order all fit (windows at 0, 2 and 4 s: the early 39 in the first two,
/// the late 20 in the second's last slot and the third), so none may time out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_are_served_first_come_first_served() {
    let (sim, token) = simulator(SimConfig {
        rpm: 20,
        window_secs: 2,
        ..SimConfig::default()
    })
    .await;
    let client = FrontClient::new(Some(sim.base_url())).unwrap();
    let patience = Duration::from_secs(3);
    let started = Instant::now();
    let early = batch(
        std::slice::from_ref(&client),
        &token,
        "cmp_fifo",
        spread(39),
        patience,
    );
    let late = async {
        tokio::time::sleep(Duration::from_millis(1_800)).await;
        batch(
            std::slice::from_ref(&client),
            &token,
            "cmp_fifo",
            spread(20),
            patience,
        )
        .await
    };
    let (early, late) = tokio::join!(early, late);
    let retries = all_succeeded(&early) + all_succeeded(&late);
    eprintln!(
        "first come, first served: 59 calls in {:.2} s (windows at 0, 2, 4 s), {retries} retries",
        started.elapsed().as_secs_f64()
    );
}

fn redis_url() -> String {
    std::env::var("ACTIONHUB_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A Redis pacer under a prefix of its own (the keys are removed when dropped).
struct RedisPrefix(String);

impl RedisPrefix {
    fn new(test: &str) -> RedisPrefix {
        RedisPrefix(format!(
            "actionhub-test-{test}-{}-{}",
            std::process::id(),
            unix_millis()
        ))
    }

    async fn pacer(&self) -> RedisPacer {
        let url = redis_url();
        RedisPacer::connect(&url, &self.0)
            .await
            .unwrap_or_else(|error| {
                panic!("Redis at {url} is needed (start it with `redis-server`): {error}")
            })
    }

    /// Every key the scripts wrote, with its time to live (ms).
    async fn keys(&self) -> Vec<(String, i64)> {
        let mut connection = redis::Client::open(redis_url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", self.0))
            .query_async(&mut connection)
            .await
            .unwrap();
        let mut ttls = Vec::new();
        for key in keys {
            let ttl: i64 = redis::cmd("PTTL")
                .arg(&key)
                .query_async(&mut connection)
                .await
                .unwrap();
            ttls.push((key, ttl));
        }
        ttls
    }

    async fn remove(&self) {
        let mut connection = redis::Client::open(redis_url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        for (key, _) in self.keys().await {
            let _: i64 = redis::cmd("DEL")
                .arg(key)
                .query_async(&mut connection)
                .await
                .unwrap();
        }
    }

    /// Every key written expires.
    async fn assert_all_expire(&self) {
        let keys = self.keys().await;
        assert!(!keys.is_empty());
        for (key, ttl) in keys {
            assert!(ttl > 0, "{key} does not expire (PTTL {ttl})");
        }
    }
}

/// Two hubs (two clients, each with its own Redis connection) sharing one company's queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_on_redis_meet_no_burst_429() {
    let prefix = RedisPrefix::new("burst");
    let (sim, token) = simulator(burst_limited()).await;
    let mut hubs = Vec::new();
    for _ in 0..2 {
        let pacer: Arc<dyn Pacer> = Arc::new(prefix.pacer().await);
        hubs.push(
            FrontClient::new(Some(sim.base_url()))
                .unwrap()
                .with_pacer(pacer),
        );
    }
    let started = Instant::now();
    let outcomes = batch(
        &hubs,
        &token,
        "cmp_redis",
        requests("front_list_tags", &json!({}), 100),
        DEADLINE,
    )
    .await;
    let retries = all_succeeded(&outcomes);
    report(
        "100 × front_list_tags on two hubs sharing Redis",
        started,
        least_secs(&[100]),
        retries,
    );
    prefix.assert_all_expire().await;
    prefix.remove().await;
}

/// Two companies (two simulators, 50 calls per second), 150 callers each over six resources,
/// waiting on one Redis pacer: the scripts
/// run per call stay a small constant (an acquire, an observe, and a re-acquire for callers
/// that came while the company's first call was learning its limits).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_work_per_call_is_constant_however_many_wait() {
    const PER_COMPANY: usize = 150;
    let prefix = RedisPrefix::new("operations");
    let pacer = Arc::new(prefix.pacer().await);
    let config = SimConfig {
        rpm: 50,
        window_secs: 1,
        burst: 0,
        ..SimConfig::default()
    };
    let mut companies = Vec::new();
    for company in ["cmp_a", "cmp_b"] {
        let (sim, token) = simulator(config.clone()).await;
        let client = FrontClient::new(Some(sim.base_url()))
            .unwrap()
            .with_pacer(pacer.clone());
        companies.push(async move {
            let outcomes = batch(&[client], &token, company, spread(PER_COMPANY), DEADLINE).await;
            drop(sim);
            outcomes
        });
    }
    let started = Instant::now();
    let outcomes = futures_join(companies).await;
    let calls = (2 * PER_COMPANY) as u64;
    let retries: u32 = outcomes.iter().map(|o| all_succeeded(o)).sum();
    let operations = pacer.operations();
    eprintln!(
        "{calls} calls for 2 companies in {:.2} s: {operations} Redis scripts, {:.2} per call, {retries} retries",
        started.elapsed().as_secs_f64(),
        operations as f64 / calls as f64
    );
    assert!(
        operations <= 4 * calls,
        "{operations} Redis scripts for {calls} calls"
    );
    prefix.assert_all_expire().await;
    prefix.remove().await;
}

/// Runs the futures concurrently and returns their outputs in order.
async fn futures_join<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}
