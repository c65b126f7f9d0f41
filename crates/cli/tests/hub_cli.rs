//! The hub's commands run as a user runs them: the real `actionhub` binary (`serve`, `keys`,
//! `accounts`, `connect-link`, `vault rotate`) against a temporary database and the Front
//! simulator (in this test process).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use actionhub_store::{Keyring, Run, RunFilter, Store, Timestamp, new_run_id};
use actionhub_testkit::{KEY_V1, KEY_V2, TestDatabase, contains_secret};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_actionhub");

/// A simulator plus the environment every command of one test shares.
struct Env {
    sim: frontsim::RunningSim,
    data_dir: tempfile::TempDir,
    db: TestDatabase,
    master_key: Option<String>,
}

impl Env {
    async fn new(db: TestDatabase, master_key: Option<String>) -> Env {
        let sim = frontsim::bind(frontsim::SimConfig::unlimited(), "127.0.0.1:0")
            .await
            .expect("start the simulator");
        Env {
            sim,
            data_dir: tempfile::tempdir().unwrap(),
            db,
            master_key,
        }
    }

    fn token(&self) -> String {
        self.sim.demo_token().unwrap().to_owned()
    }

    /// `actionhub ARGS` with this test's environment and nothing inherited that could point
    /// it elsewhere.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command.args(args);
        for (name, _) in std::env::vars() {
            if name.starts_with("ACTIONHUB_") || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        command
            .env("ACTIONHUB_DATA_DIR", self.data_dir.path())
            .env("ACTIONHUB_DATABASE_URL", self.db.url())
            .env("ACTIONHUB_FRONT_BASE_URL", self.sim.base_url());
        if let Some(key) = &self.master_key {
            command.env("ACTIONHUB_MASTER_KEY", key);
        }
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run actionhub")
    }

    /// Runs a command that must succeed; returns its stdout without the final newline.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "actionhub {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .unwrap()
            .trim_end()
            .to_owned()
    }

    /// Starts `actionhub serve` on a free port, its stderr going to `log`.
    fn serve(&self, log: &Path, extra_env: &[(&str, &str)]) -> Server {
        let stderr = std::fs::File::create(log).unwrap();
        let mut command = self.command(&["serve", "--bind", "127.0.0.1:0"]);
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start actionhub serve");
        // Owned by a Server from the start, so that a failed start still kills and reaps it.
        let mut server = Server {
            child,
            url: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if let Some(address) = text
                .lines()
                .find(|line| line.contains("actionhub serving"))
                .and_then(|line| line.split("address=").nth(1))
                .and_then(|rest| rest.split_whitespace().next())
            {
                server.url = format!("http://{address}");
                return server;
            }
            assert!(Instant::now() < deadline, "serve did not start: {text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn kill(&mut self) {
        // SIGKILL: no chance to flush or close anything.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn link_body(owner: &str, token: &str) -> Value {
    json!({
        "provider": "front",
        "credentials": {"api_token": token},
        "origin_owner_id": owner,
        "origin_owner_name": format!("Owner {owner}"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_accounts_and_connect_links_from_the_command_line() {
    let env = Env::new(TestDatabase::sqlite(), None).await;
    let token = env.token();

    // First use creates the key file beside the database, says so once, mode 0600.
    let first = env.run(&["keys", "create", "--name", "ci"]);
    assert!(first.status.success());
    let key = String::from_utf8(first.stdout)
        .unwrap()
        .trim_end()
        .to_owned();
    assert!(key.starts_with("ahk_live_") && !key.contains(char::is_whitespace));
    let note = String::from_utf8_lossy(&first.stderr);
    assert!(note.contains("created the master key file"), "{note}");
    let key_file = PathBuf::from(format!(
        "{}.master-key",
        env.db.url().trim_start_matches("sqlite://")
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let second = env.run(&["keys", "create", "--name", "other", "--project", "acme"]);
    assert!(!String::from_utf8_lossy(&second.stderr).contains("master key file"));

    let keys = env.ok(&["keys", "list"]);
    assert!(keys.contains("ci") && keys.contains("acme"), "{keys}");
    assert!(!keys.contains(&key), "keys are never shown again");
    let acme_only = env.ok(&["keys", "list", "--project", "acme"]);
    assert!(!acme_only.contains(" ci "), "{acme_only}");

    let account = env.ok(&[
        "accounts",
        "link",
        "--token",
        &token,
        "--owner-id",
        "c1",
        "--owner-name",
        "C One",
        "--actions",
        "front_list_tags,front_get_tag",
    ]);
    assert!(
        account.starts_with("acc_") && !account.contains('\n'),
        "{account}"
    );
    let again = env.ok(&[
        "accounts",
        "link",
        "--token",
        &token,
        "--owner-id",
        "c1",
        "--owner-name",
        "C One",
    ]);
    assert_eq!(again, account, "relinking keeps the id");
    let company = env.ok(&["accounts", "link", "--token", &token]);
    assert_ne!(
        company, account,
        "without an owner, the Front company is the owner"
    );
    let listed = env.ok(&["accounts", "list"]);
    assert!(
        listed.contains(&account) && listed.contains(&company),
        "{listed}"
    );
    assert!(
        listed.contains("front_get_tag,front_list_tags")
            || listed.contains("front_list_tags,front_get_tag")
    );
    assert!(!listed.contains(&token));

    let rejected = env.run(&["accounts", "link", "--token", "not-a-valid-token"]);
    assert!(!rejected.status.success());
    let message = String::from_utf8_lossy(&rejected.stderr);
    assert!(
        message.contains("Front rejected the API token"),
        "{message}"
    );
    assert!(!message.contains("not-a-valid-token"));
    let unknown = env.run(&[
        "accounts",
        "link",
        "--token",
        &token,
        "--actions",
        "front_list_tag",
    ]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean front_list_tags"));

    let url = env.ok(&[
        "connect-link",
        "--owner-id",
        "c2",
        "--owner-name",
        "C Two",
        "--actions",
        "front_list_tags",
    ]);
    assert!(
        url.starts_with("http://127.0.0.1:8080/link?token=ahs_"),
        "{url}"
    );
    let mut custom = env.command(&[
        "connect-link",
        "--owner-id",
        "c3",
        "--owner-name",
        "C Three",
    ]);
    let custom = custom
        .env("ACTIONHUB_PUBLIC_URL", "https://hub.example.test/")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&custom.stdout)
            .starts_with("https://hub.example.test/link?token=ahs_")
    );

    env.ok(&["accounts", "remove", &company]);
    let gone = env.run(&["accounts", "remove", &company]);
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("not found"));
    let other_project = env.run(&["accounts", "remove", &account, "--project", "acme"]);
    assert!(
        !other_project.status.success(),
        "another project's account is not found"
    );
    assert!(env.ok(&["accounts", "list"]).contains(&account));

    let key_id = env
        .ok(&["keys", "list", "--project", "default"])
        .lines()
        .nth(1)
        .and_then(|line| line.split_whitespace().next())
        .unwrap()
        .to_owned();
    env.ok(&["keys", "revoke", &key_id]);
    assert!(
        env.ok(&["keys", "list"]).contains("Z"),
        "the revocation time is shown"
    );
    let missing = env.run(&["keys", "revoke", "key_missing"]);
    assert!(!missing.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_requires_a_master_key() {
    let env = Env::new(TestDatabase::postgres().await, None).await;
    let output = env.run(&["keys", "list"]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("a master key is required with Postgres"),
        "{message}"
    );
}

/// A Redis that cannot be reached at start stops `serve` at once, with its address and the
/// reason, and without the password of its URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_is_a_clear_error_at_start() {
    let env = Env::new(TestDatabase::sqlite(), None).await;
    let mut child = env
        .command(&["serve", "--bind", "127.0.0.1:0"])
        .env(
            "ACTIONHUB_REDIS_URL",
            "redis://pacer:hunter2-secret@127.0.0.1:1/0",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start actionhub serve");
    // A guard far above the 0.5 s connection bound, below the 9.5 s of the crate's retries.
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve was still trying to reach Redis after 5 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut message = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut message).unwrap();
    assert!(!status.success());
    assert!(
        message.contains("ACTIONHUB_REDIS_URL")
            && message.contains("redis://127.0.0.1:1/0")
            && message.contains("Connection refused"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}

/// No secret in the server's log at the most verbose level, nor in any response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_log_even_at_trace() {
    let env = Env::new(TestDatabase::sqlite(), Some(format!("1:{KEY_V1}"))).await;
    let token = env.token();
    let key = env.ok(&["keys", "create", "--name", "ci"]);
    let log = env.data_dir.path().join("serve.log");
    let mut server = env.serve(&log, &[("RUST_LOG", "trace")]);
    let http = reqwest::Client::new();
    let mut bodies = String::new();

    let response = http
        .post(format!("{}/accounts", server.url))
        .basic_auth(&key, Some(""))
        .json(&link_body("c1", &token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let account: Value = response.json().await.unwrap();
    bodies.push_str(&account.to_string());
    let id = account["id"].as_str().unwrap();
    for (path, body) in [
        (format!("/accounts/{id}"), None),
        (
            "/accounts".to_owned(),
            Some(
                json!({"provider": "front", "credentials": token, "origin_owner_id": "x", "origin_owner_name": "X"}),
            ),
        ),
        (
            "/accounts".to_owned(),
            Some(
                json!({"provider": "front", "credentials": {"api_token": format!("{token} x")}, "origin_owner_id": "x", "origin_owner_name": "X"}),
            ),
        ),
        (
            "/accounts".to_owned(),
            Some(
                json!({"provider": token, "credentials": {"api_token": token}, "origin_owner_id": "x", "origin_owner_name": "X"}),
            ),
        ),
        (
            "/connect_sessions".to_owned(),
            Some(json!({"origin_owner_id": "c2", "origin_owner_name": "C Two"})),
        ),
    ] {
        let request = match &body {
            Some(body) => http.post(format!("{}{path}", server.url)).json(body),
            None => http.get(format!("{}{path}", server.url)),
        };
        let text = request
            .basic_auth(&key, Some(""))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        bodies.push_str(&text);
    }
    let session: Value = serde_json::from_str(
        &http
            .post(format!("{}/connect_sessions", server.url))
            .basic_auth(&key, Some(""))
            .json(&json!({"origin_owner_id": "c3", "origin_owner_name": "C Three"}))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let session_token = session["token"].as_str().unwrap().to_owned();
    let linked = http
        .post(format!("{}/hub/accounts", server.url))
        .header("x-hub-session-token", &session_token)
        .json(&json!({"credentials": {"api_token": token}}))
        .send()
        .await
        .unwrap();
    assert_eq!(linked.status(), 201);
    bodies.push_str(&linked.text().await.unwrap());
    server.terminate();

    assert!(
        !bodies.contains(&token),
        "a response contains the Front token: {bodies}"
    );
    let log_bytes = std::fs::read(&log).unwrap();
    let log_text = String::from_utf8_lossy(&log_bytes);
    assert!(
        log_text.contains("TRACE") && log_text.contains("account linked"),
        "the log is at trace level and has content"
    );
    for (what, secret) in [
        ("the Front token", token.as_str()),
        ("the API key", key.as_str()),
        ("the session token", session_token.as_str()),
    ] {
        assert!(
            !contains_secret(&log_bytes, secret),
            "{what} is in the trace log"
        );
    }
}

/// `actionhub run` and `actionhub runs` as a user types them: one page, every page, a dry run,
/// and the errors, each naming what is at fault.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_run_from_the_command_line() {
    let env = Env::new(TestDatabase::sqlite(), Some(format!("1:{KEY_V1}"))).await;
    let token = env.token();
    let account = env.ok(&["accounts", "link", "--token", &token]);

    let list_tags = |limit: &str, more: &[&str]| {
        let mut args = vec![
            "run",
            "front_list_tags",
            "--account",
            &account,
            "--query",
            limit,
            "--json",
        ];
        args.extend_from_slice(more);
        env.ok(&args)
    };
    let page: Value = serde_json::from_str(&list_tags("limit=2", &[])).unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert!(page["next"].is_string(), "{page}");

    let everything: Value = serde_json::from_str(&list_tags("limit=100", &[])).unwrap();
    let every_id: Vec<&Value> = everything["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| &tag["id"])
        .collect();
    assert!(every_id.len() > 2 && everything["next"].is_null());
    let streamed = list_tags("limit=2", &["--all-pages"]);
    let streamed: Vec<Value> = streamed
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let streamed_ids: Vec<&Value> = streamed.iter().map(|tag| &tag["id"]).collect();
    assert_eq!(
        streamed_ids, every_id,
        "--all-pages streams every item once"
    );

    let shown: Value = serde_json::from_str(&env.ok(&[
        "run",
        "front_get_tag",
        "--account",
        &account,
        "--path",
        "tag_id=tag_1",
        "--dry-run",
        "--json",
    ]))
    .unwrap();
    assert_eq!(shown["method"], "GET");
    assert!(shown["url"].as_str().unwrap().ends_with("/tags/tag_1"));
    assert_eq!(shown["headers"]["authorization"], "Bearer [redacted]");
    assert!(!shown.to_string().contains(&token));

    for (args, expected) in [
        (
            vec!["run", "front_list_tags", "--account", "acc_nope"],
            "account acc_nope not found (--account)",
        ),
        (
            vec![
                "run",
                "front_list_tags",
                "--account",
                &account,
                "--query",
                "limit=many",
            ],
            "limit",
        ),
        (
            vec!["run", "front_list_tag", "--account", &account],
            "front_list_tags",
        ),
    ] {
        let failed = env.run(&args);
        let message = String::from_utf8_lossy(&failed.stderr);
        assert!(!failed.status.success(), "{args:?} succeeded");
        assert!(message.contains(expected), "{args:?}: {message}");
        assert!(!message.contains("panicked"), "{message}");
    }

    let runs: Value = serde_json::from_str(&env.ok(&["runs", "--json", "--limit", "5"])).unwrap();
    let runs = runs.as_array().unwrap();
    assert!(!runs.is_empty());
    assert!(runs.iter().all(|run| run["source"] == "cli"), "{runs:?}");
    assert_eq!(
        runs[0]["outcome"], "invalid",
        "the newest run is the last refused one"
    );
}

/// A lost key file beside a database that holds sealed secrets is an error naming the file and
/// the way out, never a new key (which could not decrypt them and would be backed up instead).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_key_file_is_an_error_not_a_new_key() {
    let env = Env::new(TestDatabase::sqlite(), None).await;
    env.ok(&["keys", "create", "--name", "ci"]);
    let key_file = PathBuf::from(format!(
        "{}.master-key",
        env.db.url().trim_start_matches("sqlite://")
    ));
    let saved = env.data_dir.path().join("key-backup");
    std::fs::rename(&key_file, &saved).unwrap();

    let refused = env.run(&["keys", "list"]);
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{message}");
    for said in [
        key_file.display().to_string().as_str(),
        "is missing",
        "cannot be decrypted",
        "ACTIONHUB_MASTER_KEY_FILE",
    ] {
        assert!(message.contains(said), "{said}: {message}");
    }
    assert!(
        !message.contains("created the master key file"),
        "{message}"
    );
    assert!(!key_file.exists(), "no new key file");

    let pointed = env
        .command(&["keys", "list"])
        .env("ACTIONHUB_MASTER_KEY_FILE", &saved)
        .output()
        .unwrap();
    assert!(
        pointed.status.success(),
        "{}",
        String::from_utf8_lossy(&pointed.stderr)
    );
    assert!(String::from_utf8_lossy(&pointed.stdout).contains("ci"));
}

/// A stand-in Front whose `GET /me` names a company and whose every list answers one tag and a
/// `next` pointing at itself. Returns its base URL.
async fn front_with_a_looping_cursor() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let next = format!("{base}/tags?page_token=again");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let next = next.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let body = if head.starts_with(b"GET /me ") {
                    json!({"id": "cmp_loop", "name": "Loop"})
                } else {
                    json!({"_results": [{"id": "tag_1"}], "_pagination": {"next": next}})
                }
                .to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    base
}

/// `run --all-pages` stops with an error naming the cause when Front hands back a cursor again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_pages_stops_on_a_cursor_that_repeats() {
    let env = Env::new(TestDatabase::sqlite(), Some(format!("1:{KEY_V1}"))).await;
    let front = front_with_a_looping_cursor().await;
    let on_front = |args: &[&str]| {
        env.command(args)
            .env("ACTIONHUB_FRONT_BASE_URL", &front)
            .output()
            .expect("run actionhub")
    };
    let linked = on_front(&["accounts", "link", "--token", "looping-token"]);
    assert!(
        linked.status.success(),
        "{}",
        String::from_utf8_lossy(&linked.stderr)
    );
    let account = String::from_utf8(linked.stdout).unwrap().trim().to_owned();
    let run = on_front(&[
        "run",
        "front_list_tags",
        "--account",
        &account,
        "--all-pages",
        "--json",
    ]);
    let message = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{message}");
    assert!(message.contains("already returned"), "{message}");
    let items = String::from_utf8_lossy(&run.stdout).lines().count();
    assert_eq!(
        items, 2,
        "the first page and the page of the first cursor, then the stop"
    );
}

/// `serve` purges at start: runs past `ACTIONHUB_RUN_RETENTION_DAYS` go, newer ones stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_forgets_runs_past_their_retention() {
    let env = Env::new(TestDatabase::sqlite(), Some(format!("1:{KEY_V1}"))).await;
    let keyring = || Keyring::parse(&format!("1:{KEY_V1}")).unwrap();
    let store = Store::open(env.db.url(), keyring()).await.unwrap();
    let project = store.project("default").await.unwrap();
    let now = Timestamp::now().millis();
    let runs: Vec<Run> = [45, 31, 29, 1]
        .into_iter()
        .map(|age_days: i64| {
            let started_at = Timestamp(now - age_days * 24 * 60 * 60 * 1000);
            Run {
                id: new_run_id(started_at).unwrap(),
                project_id: project.id.clone(),
                account_id: "acc_1".to_owned(),
                action: "front_list_tags".to_owned(),
                source: "cli".to_owned(),
                outcome: "ok".to_owned(),
                front_status: Some(200),
                duration_us: 1,
                retries: 0,
                waited_ms: 0,
                error: None,
                started_at,
            }
        })
        .collect();
    store.insert_runs(&runs).await.unwrap();
    store.close().await;

    let log = env.data_dir.path().join("serve.log");
    let mut server = env.serve(&log, &[("ACTIONHUB_RUN_RETENTION_DAYS", "30")]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("purged old runs")
    {
        assert!(Instant::now() < deadline, "no purge logged");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.terminate();
    let store = Store::open(env.db.url(), keyring()).await.unwrap();
    let all = RunFilter {
        account_id: None,
        limit: 10,
    };
    let kept: Vec<String> = store
        .list_runs(&project.id, &all)
        .await
        .unwrap()
        .into_iter()
        .map(|run| run.id)
        .collect();
    assert_eq!(kept, [runs[3].id.clone(), runs[2].id.clone()]);
}

/// Kill -9 in the middle of concurrent linkings: every acknowledged account survives, on both
/// backends, and the database opens cleanly.
async fn sigkill_loses_no_acknowledged_linking(db: TestDatabase) {
    let env = Env::new(db, Some(format!("1:{KEY_V1}"))).await;
    let token = env.token();
    let key = env.ok(&["keys", "create", "--name", "ci"]);
    let log = env.data_dir.path().join("serve.log");
    let mut server = env.serve(&log, &[]);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let (acknowledged_tx, mut acknowledged_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut workers = Vec::new();
    for worker in 0..8 {
        let (http, url, key, token, acknowledged) = (
            http.clone(),
            server.url.clone(),
            key.clone(),
            token.clone(),
            acknowledged_tx.clone(),
        );
        workers.push(tokio::spawn(async move {
            for n in 0..200 {
                let owner = format!("owner-{worker}-{n}");
                let sent = http
                    .post(format!("{url}/accounts"))
                    .basic_auth(&key, Some(""))
                    .json(&link_body(&owner, &token))
                    .send()
                    .await;
                let Ok(response) = sent else { break };
                if !response.status().is_success() {
                    break;
                }
                let Ok(body) = response.json::<Value>().await else {
                    break;
                };
                let id = body["id"].as_str().unwrap_or_default().to_owned();
                if acknowledged.send((owner, id)).is_err() {
                    break;
                }
            }
        }));
    }
    drop(acknowledged_tx);
    // Let the burst get going, then kill the hub mid-flight.
    let mut acknowledged = Vec::new();
    while acknowledged.len() < 60 {
        match tokio::time::timeout(Duration::from_secs(20), acknowledged_rx.recv()).await {
            Ok(Some(entry)) => acknowledged.push(entry),
            other => panic!("the burst stalled: {other:?}"),
        }
    }
    server.kill();
    for worker in workers {
        let _ = worker.await;
    }
    while let Ok(entry) = acknowledged_rx.try_recv() {
        acknowledged.push(entry);
    }

    if let Some(verdict) = env.db.sqlite_integrity_check().await {
        assert_eq!(verdict, "ok", "the SQLite file is sound after SIGKILL");
    }
    let restart_log = env.data_dir.path().join("serve-again.log");
    let server = env.serve(&restart_log, &[]);
    for (owner, id) in &acknowledged {
        let response = http
            .get(format!("{}/accounts/{id}", server.url))
            .basic_auth(&key, Some(""))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "acknowledged account {id} of {owner} is gone"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["origin_owner_id"], json!(owner));
    }
    // And each acknowledged credential still decrypts.
    let store = Store::open(
        env.db.url(),
        Keyring::parse(&format!("1:{KEY_V1}")).unwrap(),
    )
    .await
    .unwrap();
    let project = store.project("default").await.unwrap();
    for (_, id) in &acknowledged {
        let secret = store
            .account_credential(&project.id, id, "api_token")
            .await
            .unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&secret), token);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_linkings_on_sqlite() {
    sigkill_loses_no_acknowledged_linking(TestDatabase::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_linkings_on_postgres() {
    sigkill_loses_no_acknowledged_linking(TestDatabase::postgres().await).await;
}

/// Rotate while the hub serves, then drop the old key: every account still works.
async fn rotation_retires_the_old_key(db: TestDatabase) {
    let old_keyring = format!("1:{KEY_V1}");
    let both = format!("2:{KEY_V2},1:{KEY_V1}");
    let new_only = format!("2:{KEY_V2}");
    let mut env = Env::new(db, Some(old_keyring.clone())).await;
    let token = env.token();
    let key = env.ok(&["keys", "create", "--name", "ci"]);
    let mut accounts = Vec::new();
    for n in 0..4 {
        let owner = format!("c{n}");
        accounts.push(env.ok(&[
            "accounts",
            "link",
            "--token",
            &token,
            "--owner-id",
            &owner,
            "--owner-name",
            &owner,
        ]));
    }

    // Step 1: every hub gets the new keyring; step 2: rotate while one serves.
    env.master_key = Some(both);
    let log = env.data_dir.path().join("serve.log");
    let mut server = env.serve(&log, &[]);
    let rotate = env.run(&["vault", "rotate"]);
    let report = String::from_utf8_lossy(&rotate.stderr);
    assert!(rotate.status.success(), "{report}");
    assert!(
        report.contains("re-encrypted 5 secret(s) under key version 2"),
        "{report}"
    );
    assert!(report.contains("older keys can now be removed"), "{report}");
    let http = reqwest::Client::new();
    let response = http
        .get(format!("{}/accounts/{}", server.url, accounts[0]))
        .basic_auth(&key, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "the hub kept serving during rotation"
    );
    server.terminate();

    // Step 3: the old key is removed.
    env.master_key = Some(new_only.clone());
    let listed = env.ok(&["accounts", "list"]);
    for id in &accounts {
        assert!(listed.contains(id));
    }
    let log = env.data_dir.path().join("serve-new-key.log");
    let server = env.serve(&log, &[]);
    for id in &accounts {
        let response = http
            .get(format!("{}/accounts/{id}", server.url))
            .basic_auth(&key, Some(""))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "the API key still works without the old key"
        );
    }
    let store = Store::open(env.db.url(), Keyring::parse(&new_only).unwrap())
        .await
        .unwrap();
    let project = store.project("default").await.unwrap();
    for id in &accounts {
        let secret = store
            .account_credential(&project.id, id, "api_token")
            .await
            .unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&secret), token);
    }
    // Linking keeps working under the new key alone.
    env.ok(&[
        "accounts",
        "link",
        "--token",
        &token,
        "--owner-id",
        "late",
        "--owner-name",
        "Late",
    ]);

    // Had the old key been removed before rotating, the hub would have refused to start.
    let unrotated = TestDatabase::sqlite();
    let mut early = Env::new(unrotated, Some(old_keyring)).await;
    early.ok(&["keys", "create", "--name", "x"]);
    early.master_key = Some(new_only);
    let refused = early.run(&["keys", "list"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("key version 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_on_sqlite() {
    rotation_retires_the_old_key(TestDatabase::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_on_postgres() {
    rotation_retires_the_old_key(TestDatabase::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_endpoints_from_the_command_line() {
    let env = Env::new(TestDatabase::sqlite(), None).await;
    let account = env.ok(&["accounts", "link", "--token", &env.token()]);
    // Loopback receivers need the opt-in; the id alone goes to stdout, the secret to stderr.
    let refused = env.run(&["webhooks", "create", "--url", "http://127.0.0.1:9/hook"]);
    assert!(!refused.status.success());
    let reason = String::from_utf8_lossy(&refused.stderr);
    assert!(
        reason.contains("`url` must not point at a loopback"),
        "{reason}"
    );
    let created = env
        .command(&[
            "webhooks",
            "create",
            "--url",
            "http://127.0.0.1:9/hook",
            "--events",
            "front.tag,account.*",
            "--account",
            &account,
        ])
        .env("ACTIONHUB_WEBHOOK_ALLOW_PRIVATE", "1")
        .output()
        .unwrap();
    assert!(created.status.success());
    let id = String::from_utf8(created.stdout)
        .unwrap()
        .trim_end()
        .to_owned();
    assert!(id.starts_with("whe_") && !id.contains('\n'), "{id}");
    let note = String::from_utf8_lossy(&created.stderr);
    let secret = note
        .split_whitespace()
        .find(|word| word.starts_with("whsec_"))
        .expect("the secret is shown once on stderr")
        .to_owned();
    let misspelt = env.run(&[
        "webhooks",
        "create",
        "--url",
        "https://93.184.216.34/hook",
        "--events",
        "front.tga",
    ]);
    let reason = String::from_utf8_lossy(&misspelt.stderr);
    assert!(reason.contains("did you mean `front.tag`?"), "{reason}");

    let listed = env.ok(&["webhooks", "list"]);
    assert!(
        listed.contains(&id) && listed.contains("front.tag,account.*"),
        "{listed}"
    );
    assert!(!listed.contains(&secret));
    let rotated = env.ok(&["webhooks", "rotate", &id]);
    assert!(rotated.starts_with("whsec_") && rotated != secret);
    assert!(env.run(&["webhooks", "remove", &id]).status.success());
    let gone = env.run(&["webhooks", "remove", &id]);
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("not found"));
}

/// `actionhub listen` as a child process: its stdout lines arrive on a channel, its stderr goes
/// to a file.
struct Listening {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    log: PathBuf,
}

impl Listening {
    /// Starts `listen ARGS` with private addresses allowed; returns once its endpoint exists.
    fn start(env: &Env, args: &[&str], log: PathBuf) -> Listening {
        let mut command = env.command(&[&["listen"], args].concat());
        let child = command
            .env("ACTIONHUB_WEBHOOK_ALLOW_PRIVATE", "1")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start actionhub listen");
        let (send, lines) = std::sync::mpsc::channel();
        let mut listening = Listening { child, lines, log };
        let stdout = listening.child.stdout.take().unwrap();
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = send.send(line);
            }
        });
        listening.wait_for_stderr("Ctrl-C stops");
        listening
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until listen's stderr says `text`: what it notes there may come a moment after
    /// what it prints on stdout.
    fn wait_for_stderr(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.stderr().contains(text) {
            assert!(
                Instant::now() < deadline,
                "listen never said {text:?}: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The next event printed on stdout, as JSON.
    fn next_event(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no event printed: {}", self.stderr()));
        serde_json::from_str(&line).expect("one JSON object a line")
    }

    /// Sends `signal` (`INT` is Ctrl-C); returns whether listen exited successfully.
    fn stop(&mut self, signal: &str) -> bool {
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap().success()
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_prints_events_and_removes_its_endpoint() {
    let env = Env::new(TestDatabase::sqlite(), None).await;
    let dir = tempfile::tempdir().unwrap();
    let _server = env.serve(
        &dir.path().join("serve.log"),
        &[
            ("ACTIONHUB_WEBHOOK_ALLOW_PRIVATE", "1"),
            ("ACTIONHUB_EVENTS_POLL_SECS", "1"),
        ],
    );
    // Without the opt-in, the loopback endpoint is refused with what to set.
    let refused = env.run(&["listen"]);
    assert!(!refused.status.success());
    let reason = String::from_utf8_lossy(&refused.stderr);
    assert!(
        reason.contains("ACTIONHUB_WEBHOOK_ALLOW_PRIVATE=1") && reason.lines().count() == 1,
        "{reason}"
    );

    let mut listening = Listening::start(
        &env,
        &["--events", "account.*,front.tag"],
        dir.path().join("listen.log"),
    );
    let listed = env.ok(&["webhooks", "list"]);
    assert!(listed.contains("actionhub listen (temporary)"), "{listed}");
    let account = env.ok(&["accounts", "link", "--token", &env.token()]);
    let event = listening.next_event();
    assert_eq!(event["type"], "account.created", "{event}");
    assert_eq!(event["account_id"], account.as_str());
    assert_eq!(event["event"]["id"], account.as_str());
    assert!(event["webhook_id"].as_str().unwrap().starts_with("msg_"));
    listening.wait_for_stderr("account.created");

    // Front's events: a write through the hub, followed from Front's event stream.
    let first_id = |action: &str| {
        let answer: Value = serde_json::from_str(&env.ok(&[
            "run",
            action,
            "--account",
            &account,
            "--query",
            "limit=1",
            "--json",
        ]))
        .unwrap();
        answer["data"][0]["id"].as_str().unwrap().to_owned()
    };
    let (conversation, tag) = (
        first_id("front_list_conversations"),
        first_id("front_list_tags"),
    );
    env.ok(&[
        "run",
        "front_add_conversation_tag",
        "--account",
        &account,
        "--path",
        &format!("conversation_id={conversation}"),
        "--body",
        &json!({ "tag_ids": [tag] }).to_string(),
    ]);
    let tagged = (0..20)
        .map(|_| listening.next_event())
        .find(|event| event["type"] == "front.tag")
        .expect("a front.tag event");
    assert_eq!(tagged["account_id"], account.as_str());
    assert_eq!(tagged["event"]["type"], "tag", "{tagged}");
    assert_eq!(tagged["event"]["conversation"]["id"], conversation.as_str());

    assert!(listening.stop("INT"), "{}", listening.stderr());
    let log = listening.stderr();
    assert!(log.contains("removed the temporary endpoint"), "{log}");
    assert!(!log.contains("whsec_"), "the secret is never shown");
    let listed = env.ok(&["webhooks", "list"]);
    assert!(!listed.contains("actionhub listen"), "{listed}");
}

/// A receiver on a free port that answers each request with the next status of `statuses`
/// (then 204), sending what it received (headers in lower case, body) on the channel.
fn tiny_receiver(statuses: Vec<u16>) -> (String, std::sync::mpsc::Receiver<(String, String)>) {
    use std::io::{BufRead as _, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (send, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for stream in listener.incoming().map_while(Result::ok) {
            let mut reader = std::io::BufReader::new(&stream);
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let line = line.to_ascii_lowercase();
                if let Some(value) = line.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let status = statuses.next().unwrap_or(204);
            let _ = (&stream).write_all(
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .as_bytes(),
            );
            let _ = send.send((head, String::from_utf8_lossy(&body).into_owned()));
        }
    });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_forwards_and_answers_with_the_forward_status() {
    let env = Env::new(TestDatabase::sqlite(), None).await;
    let dir = tempfile::tempdir().unwrap();
    let _server = env.serve(
        &dir.path().join("serve.log"),
        &[
            ("ACTIONHUB_WEBHOOK_ALLOW_PRIVATE", "1"),
            ("ACTIONHUB_WEBHOOK_RETRY_SCHEDULE", "100ms,100ms"),
        ],
    );
    // The app fails the first attempt: the hub retries the same message.
    let (app, received) = tiny_receiver(vec![500]);
    let mut listening = Listening::start(
        &env,
        &["--events", "account.created", "--forward-to", &app],
        dir.path().join("listen.log"),
    );
    env.ok(&["accounts", "link", "--token", &env.token()]);
    let wait = || {
        received
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("nothing forwarded: {}", listening.stderr()))
    };
    let (first_head, first_body) = wait();
    let (second_head, second_body) = wait();
    for head in [&first_head, &second_head] {
        assert!(
            head.contains("webhook-signature: v1,") && head.contains("webhook-timestamp: "),
            "{head}"
        );
    }
    let id = |head: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix("webhook-id: "))
            .map(|id| id.trim().to_owned())
    };
    assert!(id(&first_head).is_some());
    assert_eq!(
        id(&first_head),
        id(&second_head),
        "a retry, not a new message"
    );
    assert_eq!(first_body, second_body, "the raw body is passed on");
    assert_eq!(
        serde_json::from_str::<Value>(&first_body).unwrap()["type"],
        "account.created"
    );
    let printed = listening.next_event();
    assert_eq!(printed["type"], "account.created");
    listening.wait_for_stderr("500");
    assert!(listening.stop("TERM"), "{}", listening.stderr());
    assert!(!env.ok(&["webhooks", "list"]).contains("actionhub listen"));
}

/// Killed with SIGKILL while it follows and delivers, and started again, the hub delivers every
/// event: none is lost, and a repeat only ever comes under the message id it first had.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_loses_no_webhook_event() {
    const COMMENTS: usize = 40;
    let env = Env::new(TestDatabase::sqlite(), None).await;
    let dir = tempfile::tempdir().unwrap();
    let settings = [
        ("ACTIONHUB_WEBHOOK_ALLOW_PRIVATE", "1"),
        ("ACTIONHUB_EVENTS_POLL_SECS", "1"),
    ];
    let account = env.ok(&["accounts", "link", "--token", &env.token()]);
    let (hook, received) = tiny_receiver(Vec::new());
    env.ok(&[
        "webhooks",
        "create",
        "--url",
        &hook,
        "--events",
        "front.comment",
        "--webhook-allow-private",
    ]);
    let listed: Value = serde_json::from_str(&env.ok(&[
        "run",
        "front_list_conversations",
        "--account",
        &account,
        "--query",
        "limit=1",
        "--json",
    ]))
    .unwrap();
    let conversation = listed["data"][0]["id"].as_str().unwrap().to_owned();
    let comment = |n: usize| {
        env.ok(&[
            "run",
            "front_add_conversation_comment",
            "--account",
            &account,
            "--path",
            &format!("conversation_id={conversation}"),
            "--body",
            &json!({ "body": format!("note {n}") }).to_string(),
        ]);
    };
    // Message id by Front event id.
    let mut message_of = std::collections::BTreeMap::new();
    let mut server = env.serve(&dir.path().join("first.log"), &settings);
    for n in 0..COMMENTS {
        comment(n);
    }
    take(
        &mut message_of,
        received
            .recv_timeout(Duration::from_secs(60))
            .expect("a first delivery"),
    );
    // Mid-stream: pages unread, deliveries claimed or in flight.
    server.kill();
    // Front goes on while the hub is down (the CLI calls Front itself).
    for n in COMMENTS..2 * COMMENTS {
        comment(n);
    }
    let _server = env.serve(&dir.path().join("second.log"), &settings);
    while message_of.len() < 2 * COMMENTS {
        let message = received
            .recv_timeout(Duration::from_secs(90))
            .unwrap_or_else(|_| {
                panic!(
                    "{} of {} events delivered after the restart",
                    message_of.len(),
                    2 * COMMENTS
                )
            });
        take(&mut message_of, message);
    }
}

/// Records one received message (headers, body) by its Front event id; a message's id must stay
/// the one its event first came under.
fn take(message_of: &mut std::collections::BTreeMap<String, String>, message: (String, String)) {
    let (head, body) = message;
    let id = head
        .lines()
        .find_map(|line| line.strip_prefix("webhook-id: "))
        .map(|id| id.trim().to_owned())
        .expect("a webhook-id header");
    let body: Value = serde_json::from_str(&body).expect("a JSON body");
    let event = body["data"]["event"]["id"].as_str().unwrap().to_owned();
    let first = message_of.entry(event).or_insert_with(|| id.clone());
    assert_eq!(*first, id, "an event came under two message ids");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_and_approvals_from_the_command_line() {
    let env = Env::new(TestDatabase::sqlite(), Some(format!("1:{KEY_V1}"))).await;
    let token = env.token();
    let account = env.ok(&["accounts", "link", "--token", &token]);
    let rules = "front_create_tag=approve\nhint:destructive=deny";
    assert_eq!(
        env.ok(&[
            "policy",
            "set",
            "front_create_tag=approve",
            "hint:destructive=deny"
        ]),
        rules
    );
    assert_eq!(env.ok(&["policy", "show"]), rules);
    assert_eq!(
        env.ok(&["policy", "explain", "front_delete_tag"]),
        "deny\tthe project policy rule hint:destructive=deny"
    );
    let misspelt = env.run(&["policy", "set", "front_delete_everything=deny"]);
    assert!(!misspelt.status.success());
    assert!(
        String::from_utf8_lossy(&misspelt.stderr).contains("front_delete_everything"),
        "{misspelt:?}"
    );
    let own = env.run(&["policy", "show", "--account", &account]);
    assert!(
        String::from_utf8_lossy(&own.stderr).contains("has no policy of its own"),
        "{own:?}"
    );

    // A held call is not run: the command names the approval and fails.
    let name = "cli-approved-tag";
    let body = format!(r#"{{"name": "{name}"}}"#);
    let held = env.run(&[
        "run",
        "front_create_tag",
        "--account",
        &account,
        "--body",
        &body,
    ]);
    assert!(!held.status.success());
    let stderr = String::from_utf8_lossy(&held.stderr).into_owned();
    assert!(
        stderr.contains("actionhub approvals approve apr_"),
        "{stderr}"
    );
    let id = stderr
        .split_whitespace()
        .find(|word| word.starts_with("apr_"))
        .unwrap()
        .trim_end_matches(['`', ')', ';', ','])
        .to_owned();
    let tags_named = || {
        let tags: Value = serde_json::from_str(&env.ok(&[
            "run",
            "front_list_tags",
            "--account",
            &account,
            "--query",
            "limit=100",
            "--json",
        ]))
        .unwrap();
        tags["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|tag| tag["name"] == name)
            .count()
    };
    assert_eq!(tags_named(), 0, "a held call ran");
    let pending = env.ok(&["approvals", "list", "--status", "pending"]);
    assert!(
        pending.contains(&id) && pending.contains("front_create_tag"),
        "{pending}"
    );

    // Approving runs it, here, once.
    let approved: Value = serde_json::from_str(&env.ok(&["approvals", "approve", &id])).unwrap();
    assert_eq!(approved["status"], "succeeded", "{approved}");
    assert_eq!(
        approved["result"]["body"]["data"]["name"], name,
        "{approved}"
    );
    assert_eq!(tags_named(), 1);
    let again = env.run(&["approvals", "approve", &id]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already"),
        "{again:?}"
    );
    let shown: Value = serde_json::from_str(&env.ok(&["approvals", "show", &id])).unwrap();
    assert_eq!(shown["status"], "succeeded");
    assert_eq!(tags_named(), 1);

    env.ok(&["policy", "clear"]);
    let cleared = env.run(&["policy", "show"]);
    assert!(
        cleared.stdout.is_empty()
            && String::from_utf8_lossy(&cleared.stderr).contains("no project policy"),
        "{cleared:?}"
    );
}
