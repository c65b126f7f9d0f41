//! Pacing through a Redis that stops and hangs mid-run: calls keep their deadlines, none meets
//! Front's 429, and shared pacing resumes when Redis is back. The Redis is a private
//! `redis-server` on a free port in a temporary directory, never the machine's own.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actionhub_catalog::Catalog;
use actionhub_engine::{
    Call, CallError, FallbackPacer, FrontClient, RedisPacer, SecretString, Stats,
};
use serde_json::json;

const COMPANY: &str = "cmp_outage";
/// Each call's deadline: short, so that a Redis wait past it would show.
const DEADLINE: Duration = Duration::from_secs(4);
/// What a call may take past its deadline: one bounded shared operation on the way in and one
/// on the way out, with room for a busy machine. Without the bounds it was 8 s and more.
const LATE_AT_MOST: Duration = Duration::from_secs(2);
const CALLS: usize = 20;

/// A `redis-server` of this test's own.
struct Redis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    fn start() -> Redis {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Redis {
            child: None,
            port,
            dir: tempfile::tempdir().unwrap(),
        };
        redis.restart();
        redis
    }

    /// Starts the server (again) on the same port and waits until it answers.
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is needed for this test");
        self.child = Some(child);
        for _ in 0..200 {
            if let Ok(client) = redis::Client::open(self.url())
                && let Ok(mut connection) = client.get_connection()
                && redis::cmd("PING").query::<String>(&mut connection).is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success(), "kill {signal} {pid}");
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // A stopped server still dies of SIGKILL.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One `front_list_tags` call with a deadline `DEADLINE` away; how it ended and how long it took.
async fn call(front: &FrontClient, token: &SecretString) -> (Result<(), CallError>, Duration) {
    let action = Catalog::builtin().action("front_list_tags").unwrap();
    let input = json!({});
    let started = Instant::now();
    let call = Call {
        action,
        input: &input,
        token,
        account_id: "acc_outage",
        company_id: COMPANY,
        idempotency_key: false,
        deadline: started + DEADLINE,
    };
    let outcome = front
        .execute(&call, &mut Stats::default())
        .await
        .map(|_| ());
    (outcome, started.elapsed())
}

/// Checks that a call kept its deadline and succeeded (so met no 429 of Front's).
fn kept_its_promise(phase: &str, (outcome, took): (Result<(), CallError>, Duration)) {
    assert!(
        took <= DEADLINE + LATE_AT_MOST,
        "{phase}: a call took {took:?} against a {DEADLINE:?} deadline"
    );
    match outcome {
        Ok(()) => {}
        // The hub's own refusal, at once with the time to retry, is a kept promise: in-process
        // pacing starts from windows it estimates, which in this test's one-second windows may
        // sit half a window off Front's, so a few calls may not fit their deadline.
        Err(CallError::OverDeadline { .. }) => {}
        Err(CallError::Front { error, .. }) if error.status == 429 => {
            panic!("{phase}: a caller got Front's 429")
        }
        Err(error) => panic!("{phase}: {error}"),
    }
}

/// `CALLS` concurrent calls, each checked.
async fn calls_keep_their_promise(front: &FrontClient, token: &SecretString, phase: &str) {
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..CALLS {
        let (front, token) = (front.clone(), token.clone());
        calls.spawn(async move { call(&front, &token).await });
    }
    while let Some(ended) = calls.join_next().await {
        kept_its_promise(phase, ended.unwrap());
    }
}

/// Calls one at a time until the hub paces through Redis again (each is a chance to recheck).
async fn until_shared_again(front: &FrontClient, token: &SecretString) {
    for _ in 0..100 {
        if front.shared_pacing().unwrap().is_shared() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        kept_its_promise("Redis returning", call(front, token).await);
    }
    panic!("shared pacing did not resume after Redis came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_survives_redis_stopping_and_hanging() {
    let mut redis = Redis::start();
    // A small budget in short windows, so that unpaced calls would meet Front's 429.
    let sim = frontsim::bind(
        frontsim::SimConfig {
            rpm: 10,
            window_secs: 1,
            burst: 0,
            ..frontsim::SimConfig::default()
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let token = SecretString::from(sim.demo_token().unwrap().to_owned());
    let prefix = format!("actionhub-outage-{}", std::process::id());
    let shared = RedisPacer::connect(&redis.url(), &prefix).await.unwrap();
    let front = FrontClient::new(Some(sim.base_url()))
        .unwrap()
        .with_fallback_pacer(FallbackPacer::new(Arc::new(shared)));
    let status = || front.shared_pacing().unwrap();

    calls_keep_their_promise(&front, &token, "Redis up").await;
    assert!(status().is_shared());
    assert_eq!(status().fallbacks(), 0);

    redis.signal("-STOP");
    calls_keep_their_promise(&front, &token, "Redis hung").await;
    assert!(!status().is_shared());
    assert_eq!(status().fallbacks(), 1);
    redis.signal("-CONT");
    until_shared_again(&front, &token).await;

    redis.kill();
    calls_keep_their_promise(&front, &token, "Redis stopped").await;
    assert!(!status().is_shared());
    assert_eq!(status().fallbacks(), 2);
    redis.restart();
    until_shared_again(&front, &token).await;
    calls_keep_their_promise(&front, &token, "Redis back").await;
}
