//! The hostile-input suite: a fixed corpus of a few thousand requests over every route, sent to
//! an in-process hub on SQLite and on Postgres whose Front is the simulator behind a recording
//! stand-in. Every failure of a run is collected and reported together, grouped by check:
//!
//! - no answer with status 5xx, no connection reset or closed without an answer;
//! - every 4xx/5xx of the platform routes has StackOne's JSON body, pages answer HTML (or that
//!   body), `/mcp` answers JSON (JSON-RPC error objects with the right codes where named);
//!   what hyper refuses before any route (raw non-ASCII bytes in the target, a target over
//!   64 KiB, a head over 400 KiB) needs only a 4xx;
//! - hostile path parameters, cursors and ids are refused;
//! - no answer carries the API key, a Front token, the master key or the session token;
//! - Front sees only the named action's path template, segment for segment, with a `limit`
//!   within the action's maximum (and `GET /me`); requests are attributed by Front token, one
//!   linked account per concurrent worker;
//! - `/healthz` answers afterwards.
//!
//! The corpus runs in two rounds: everything, then the few requests that may hold the hub's
//! workers for long today (huge unknown action ids), so that they cannot stall the rest.
//!
//! `HOSTILE_SHOW_ALL=1` lists every failure rather than the first few of each check.

#[path = "hostile/checks.rs"]
mod checks;
mod common;
#[path = "hostile/corpus.rs"]
mod corpus;
#[path = "hostile/recorder.rs"]
mod recorder;
#[path = "hostile/wire.rs"]
mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actionhub_engine::FrontClient;
use actionhub_server::linking::Owner;
use actionhub_testkit::TestDatabase;
use checks::{Failure, check_answer, check_front};
use common::{Served, link_front_account, serve_hub_on};
use corpus::{Builder, Context, basic_auth};
use frontsim::{SimConfig, TokenGrant};
use recorder::Recorder;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use wire::RawRequest;

/// Requests in flight at once; each worker has its own account and Front token, so that what
/// Front sees is attributed to the request that caused it.
const WORKERS: usize = 6;
/// Longer than the engine's per-call deadline (30 s): a request still unanswered is stuck.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(40);

#[test]
fn hostile_input_on_sqlite() {
    run(Backend::Sqlite);
}

#[test]
fn hostile_input_on_postgres() {
    run(Backend::Postgres);
}

enum Backend {
    Sqlite,
    Postgres,
}

/// The hub as the corpus sees it, and what keeps it running.
struct Hub {
    addr: String,
    api_key: String,
    accounts: Vec<String>,
    served: Served,
}

/// Runs the corpus against a hub on `backend`. The hub has a runtime of its own, as it would
/// have a process of its own: a request that holds its workers stalls the hub, not the
/// clients, the simulator or the recording stand-in, and cannot keep the test from ending.
fn run(backend: Backend) {
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let runtime = |threads: &str| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(threads)
            .enable_all()
            .build()
            .unwrap()
    };
    let (clients, hub_runtime) = (runtime("hostile-clients"), runtime("hostile-hub"));
    let started = Instant::now();
    let (report, failed, hub) = clients.block_on(async {
        let db = match backend {
            Backend::Sqlite => TestDatabase::sqlite(),
            Backend::Postgres => TestDatabase::postgres().await,
        };
        let (recorder, listener) = Recorder::bind().await;
        let front_tokens: Vec<String> = (0..WORKERS)
            .map(|worker| format!("frontsim-hostile-{worker:02}"))
            .collect();
        let config = SimConfig {
            tokens: front_tokens
                .iter()
                .map(TokenGrant::with_every_scope)
                .collect(),
            public_url: Some(recorder.url().to_owned()),
            ..SimConfig::unlimited()
        };
        let sim = frontsim::bind(config, "127.0.0.1:0")
            .await
            .expect("start the simulator");
        // Not `base_url()`: that is the public URL, the recorder itself.
        recorder.forward(listener, format!("http://{}", sim.local_addr()));
        let hub = hub_runtime
            .spawn(start_hub(
                db,
                recorder.url().to_owned(),
                front_tokens.clone(),
            ))
            .await
            .expect("start the hub");
        let ctx = Context {
            session_token: connect_session(&hub.addr, &hub.api_key).await,
            api_key: hub.api_key.clone(),
            accounts: hub.accounts.clone(),
            front_url: recorder.url().to_owned(),
        };
        let entries = Builder::new(&ctx).build();
        let secrets = corpus::secrets(&ctx, &front_tokens);
        // What linking sent (`GET /me`) is not the corpus's.
        for token in &front_tokens {
            recorder.take(token);
        }
        recorder.take_strays(&front_tokens);

        let recorder = Arc::new(recorder);
        let entries = Arc::new(entries);
        let secrets = Arc::new(secrets);
        let mut failures: Vec<Failure> = Vec::new();
        let mut rounds = vec![format!("setup {:.1} s", started.elapsed().as_secs_f64())];
        for last in [false, true] {
            let round = Instant::now();
            let mut workers = tokio::task::JoinSet::new();
            for (worker, token) in front_tokens.iter().enumerate() {
                let (recorder, entries, secrets) =
                    (recorder.clone(), entries.clone(), secrets.clone());
                let (addr, token) = (hub.addr.clone(), token.clone());
                workers.spawn(async move {
                    let mut failures = Vec::new();
                    let mine = entries
                        .iter()
                        .filter(|e| e.worker == worker && e.last == last);
                    for entry in mine {
                        let answer = wire::send(&addr, &entry.request, ANSWER_TIMEOUT).await;
                        failures.extend(check_answer(entry, &answer, &secrets));
                        failures.extend(check_front(entry, &recorder.take(&token)));
                    }
                    failures
                });
            }
            while let Some(done) = workers.join_next().await {
                failures.extend(done.expect("a worker panicked"));
            }
            rounds.push(format!("{:.1} s", round.elapsed().as_secs_f64()));
        }
        for seen in recorder.take_strays(&front_tokens) {
            if !(seen.method == "GET" && seen.target == "/me") {
                failures.push(Failure {
                    category: "Front saw a request with a token no account holds",
                    entry: "(unattributed)".to_owned(),
                    detail: format!("{} {}", seen.method, seen.target),
                });
            }
        }
        failures.extend(healthy_afterwards(&hub.addr).await);
        let all = std::env::var_os("HOSTILE_SHOW_ALL").is_some();
        let report = checks::report(name, entries.len(), &failures, all);
        println!("{report}");
        println!(
            "hostile-input suite on {name}: ran in {:.1} s ({})",
            started.elapsed().as_secs_f64(),
            rounds.join(", ")
        );
        assert!(
            entries.len() >= 500,
            "the corpus shrank to {} requests",
            entries.len()
        );
        drop(sim);
        (report, !failures.is_empty(), hub)
    });
    // Whatever still runs in the hub (a stuck request) is abandoned, not waited for.
    hub_runtime.shutdown_background();
    // The store before its database, which is dropped (Postgres) with it.
    let Served { store, db, .. } = hub.served;
    drop(store);
    drop(db);
    assert!(!failed, "{report}");
}

/// A hub on `db` whose Front is `front_url`, with an API key and one account per Front token.
async fn start_hub(db: TestDatabase, front_url: String, front_tokens: Vec<String>) -> Hub {
    let served = serve_hub_on(db, FrontClient::new(Some(&front_url)).unwrap()).await;
    let project = served.store.project("default").await.unwrap();
    let (_, api_key) = served
        .store
        .create_api_key(&project, "hostile")
        .await
        .unwrap();
    let mut accounts = Vec::new();
    for (worker, token) in front_tokens.iter().enumerate() {
        let owner = Owner {
            id: format!("hostile-{worker}"),
            name: format!("Hostile {worker}"),
        };
        let linked = link_front_account(
            &served.store,
            &served.front,
            &project.id,
            token,
            Some(owner),
        )
        .await;
        accounts.push(linked.id);
    }
    Hub {
        addr: served.url.trim_start_matches("http://").to_owned(),
        api_key: api_key.expose_secret().to_owned(),
        accounts,
        served,
    }
}

/// A connect session's token, for the `/hub/*` routes.
async fn connect_session(hub_addr: &str, api_key: &str) -> String {
    let request = RawRequest {
        method: "POST".into(),
        target: b"/connect_sessions".to_vec(),
        headers: vec![
            basic_auth(api_key),
            ("content-type".into(), b"application/json".to_vec()),
        ],
        body: json!({"origin_owner_id": "hostile-session", "origin_owner_name": "Hostile"})
            .to_string()
            .into_bytes(),
    };
    let answer = wire::send(hub_addr, &request, ANSWER_TIMEOUT)
        .await
        .expect("create a connect session");
    assert_eq!(
        answer.status,
        201,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let session: Value = serde_json::from_slice(&answer.body).unwrap();
    session["token"].as_str().unwrap().to_owned()
}

/// `/healthz` must still answer 200 once the corpus has run.
async fn healthy_afterwards(hub_addr: &str) -> Vec<Failure> {
    let request = RawRequest {
        method: "GET".into(),
        target: b"/healthz".to_vec(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let detail = match wire::send(hub_addr, &request, Duration::from_secs(10)).await {
        Ok(answer) if answer.status == 200 => return Vec::new(),
        Ok(answer) => format!("status {}", answer.status),
        Err(error) => format!("{error:?}"),
    };
    vec![Failure {
        category: "unhealthy after the run",
        entry: "GET /healthz".to_owned(),
        detail,
    }]
}
