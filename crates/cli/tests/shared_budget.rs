//! Two hub processes (the real binary) sharing Redis and Postgres, calling one Front company
//! (the simulator, 20 requests per 2-second window): the budget is shared, so 200 concurrent
//! calls spread over both hubs all succeed and none meets a 429. The time taken is printed
//! beside the theoretical minimum, not asserted (`scripts/bench-pacing.sh` measures it). Needs Redis on 127.0.0.1:6379 (`scripts/test.sh` starts it)
//! and Postgres (see `actionhub_testkit::TestDatabase::postgres`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actionhub_testkit::{KEY_V1, TestDatabase, random_suffix};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_actionhub");
const REDIS_URL: &str = "redis://127.0.0.1:6379";
const WINDOW_SECS: u64 = 2;
const BUDGET: u32 = 20;
const CALLS: usize = 200;
/// Lists of six resources in turn: the hubs pace each resource at Front's burst limit (5 a
/// second) whatever the simulator does, and this test is about the shared window budget.
const SPREAD: [&str; 6] = [
    "front_list_teammates",
    "front_list_tags",
    "front_list_contacts",
    "front_list_inboxes",
    "front_list_accounts",
    "front_list_channels",
];

struct Hub {
    child: Child,
    url: String,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(env: &[(&str, String)], args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("ACTIONHUB_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

fn ok(env: &[(&str, String)], args: &[&str]) -> String {
    let output = command(env, args).output().expect("run actionhub");
    assert!(
        output.status.success(),
        "actionhub {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn serve(env: &[(&str, String)], log: &Path) -> Hub {
    let child = command(env, &["serve", "--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start actionhub serve");
    let mut hub = Hub {
        child,
        url: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(address) = text
            .lines()
            .find(|line| line.contains("actionhub serving"))
            .and_then(|line| line.split("address=").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
        {
            hub.url = format!("http://{address}");
            return hub;
        }
        assert!(Instant::now() < deadline, "serve did not start: {text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn redis_is_up() -> bool {
    std::net::TcpStream::connect_timeout(&"127.0.0.1:6379".parse().unwrap(), Duration::from_secs(1))
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_share_one_company_budget_through_redis() {
    assert!(
        redis_is_up(),
        "this test needs Redis on 127.0.0.1:6379: run ./scripts/test.sh, which starts it, or \
         `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no`"
    );
    let sim = frontsim::bind(
        frontsim::SimConfig {
            rpm: BUDGET,
            window_secs: WINDOW_SECS,
            burst: 0,
            ..frontsim::SimConfig::default()
        },
        "127.0.0.1:0",
    )
    .await
    .expect("simulator");
    let db = TestDatabase::postgres().await;
    let logs = tempfile::tempdir().unwrap();
    let env = vec![
        ("ACTIONHUB_DATA_DIR", logs.path().display().to_string()),
        ("ACTIONHUB_DATABASE_URL", db.url().to_owned()),
        ("ACTIONHUB_MASTER_KEY", KEY_V1.to_owned()),
        ("ACTIONHUB_FRONT_BASE_URL", sim.base_url().to_owned()),
        ("ACTIONHUB_REDIS_URL", REDIS_URL.to_owned()),
        (
            "ACTIONHUB_REDIS_PREFIX",
            format!("actionhub-test-{}", random_suffix()),
        ),
    ];
    let token = sim.demo_token().unwrap().to_owned();
    let key = ok(&env, &["keys", "create", "--name", "shared"]);
    let account = ok(&env, &["accounts", "link", "--token", &token]);
    let hubs = [
        serve(&env, &logs.path().join("hub1.log")),
        serve(&env, &logs.path().join("hub2.log")),
    ];
    // Linking (GET /me) opened a window: start with a fresh one.
    tokio::time::sleep(Duration::from_millis(WINDOW_SECS * 1000 + 100)).await;

    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..CALLS {
        let url = format!("{}/actions/rpc", hubs[i % 2].url);
        let (http, key, account) = (http.clone(), key.clone(), account.clone());
        calls.spawn(async move {
            let response = http
                .post(url)
                .basic_auth(key, Some(""))
                .header("x-account-id", account)
                .json(&json!({"action": SPREAD[i % SPREAD.len()]}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, body)
        });
    }
    let answers = calls.join_all().await;
    let elapsed = started.elapsed().as_secs_f64();
    let failed: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert!(
        failed.is_empty(),
        "{} calls failed: {:?}",
        failed.len(),
        failed.first()
    );
    let minimum = ((CALLS as u64).div_ceil(u64::from(BUDGET)) - 1) as f64 * WINDOW_SECS as f64;
    let ratio = elapsed / minimum;
    eprintln!(
        "shared budget: {CALLS} calls over 2 hubs in {elapsed:.2} s; theoretical minimum {minimum:.1} s; ratio {ratio:.3}"
    );

    // Had each hub paced alone, Front would have refused the excess and calls would show
    // retries: with one shared budget, none needed one. (Each `/runs` flushes its hub's log.)
    let mut runs = Vec::new();
    for hub in &hubs {
        let body: Value = http
            .get(format!("{}/runs?limit=1000", hub.url))
            .basic_auth(&key, Some(""))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        runs = body["data"].as_array().cloned().unwrap_or_default();
    }
    assert_eq!(runs.len(), CALLS);
    let retried: u64 = runs.iter().filter_map(|run| run["retries"].as_u64()).sum();
    assert_eq!(retried, 0, "Front refused calls: the budget was not shared");

    drop(hubs);
    for log in ["hub1.log", "hub2.log"] {
        let text = std::fs::read_to_string(logs.path().join(log)).unwrap();
        assert!(!text.contains(&token), "{log} contains the Front token");
        assert!(!text.contains(&key), "{log} contains the API key");
    }
}
