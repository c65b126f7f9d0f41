//! `actionhub mcp --account ID`: MCP over stdio, as a desktop agent launches it, against a
//! temporary database and the Front simulator (in this test process).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use actionhub_testkit::{KEY_V1, TestDatabase};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_actionhub");

struct Env {
    sim: frontsim::RunningSim,
    data_dir: tempfile::TempDir,
    db: TestDatabase,
}

impl Env {
    async fn new() -> Env {
        let sim = frontsim::bind(frontsim::SimConfig::unlimited(), "127.0.0.1:0")
            .await
            .expect("start the simulator");
        Env {
            sim,
            data_dir: tempfile::tempdir().unwrap(),
            db: TestDatabase::sqlite(),
        }
    }

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
            .env("ACTIONHUB_FRONT_BASE_URL", self.sim.base_url())
            .env("ACTIONHUB_MASTER_KEY", KEY_V1);
        command
    }

    fn link(&self, extra: &[&str]) -> String {
        let token = self.sim.demo_token().unwrap().to_owned();
        let mut args = vec!["accounts", "link", "--token", &token];
        args.extend_from_slice(extra);
        let output = self.command(&args).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

/// A running `actionhub mcp`, spoken to one JSON-RPC message per line.
struct McpProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl McpProcess {
    fn start(env: &Env, args: &[&str]) -> McpProcess {
        McpProcess::start_logging(env, args, &[], Stdio::null())
    }

    /// Starts `actionhub mcp ARGS` with extra environment variables, its stderr (the log) going
    /// to `log`.
    fn start_logging(
        env: &Env,
        args: &[&str],
        vars: &[(&str, &str)],
        log: impl Into<Stdio>,
    ) -> McpProcess {
        let mut all = vec!["mcp"];
        all.extend_from_slice(args);
        let mut command = env.command(&all);
        command.envs(vars.iter().copied());
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        McpProcess {
            child,
            stdin,
            stdout,
        }
    }

    /// The handshake every MCP client starts with.
    fn initialize(&mut self) -> Value {
        let answer = self.request(
            0,
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"},
            }),
        );
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        answer["result"].clone()
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    /// Sends a request and reads lines until its answer; every line must be JSON-RPC.
    fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "stdout closed"
            );
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|_| panic!("stdout carries only MCP: {line:?}"));
            assert_eq!(message["jsonrpc"], "2.0");
            if message["id"] == id {
                return message;
            }
        }
    }

    fn call(&mut self, id: u64, name: &str, arguments: Value) -> Value {
        let answer = self.request(
            id,
            "tools/call",
            json!({"name": name, "arguments": arguments}),
        );
        answer["result"].clone()
    }

    /// Closes stdin and waits for a clean exit.
    fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_serves_the_account_tools_and_runs_them() {
    let env = Env::new().await;
    let account = env.link(&[]);
    let mut mcp = McpProcess::start(&env, &["--account", &account]);
    let init = mcp.initialize();
    assert_eq!(init["protocolVersion"], "2025-06-18");
    assert_eq!(init["serverInfo"]["name"], "actionhub");
    assert!(init["instructions"].as_str().unwrap().contains(&account));

    let list = mcp.request(2, "tools/list", json!({}));
    let tools = list["result"]["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 52);
    assert!(tools[0]["inputSchema"]["properties"].is_object());

    let read = mcp.call(3, "front_list_tags", json!({"query": {"limit": 2}}));
    assert_eq!(read["isError"], false, "{read}");
    // The answer comes once, as the JSON of its text block.
    let answer: serde_json::Value =
        serde_json::from_str(read["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(answer["data"].as_array().unwrap().len(), 2);

    let bad = mcp.call(4, "front_get_tag", json!({"path": {}}));
    assert_eq!(bad["isError"], true, "{bad}");
    assert!(
        bad["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("/path/tag_id")
    );
    mcp.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_honours_restrictions_styles_and_modes() {
    let env = Env::new().await;
    let account = env.link(&[
        "--owner-id",
        "c3",
        "--owner-name",
        "Three",
        "--actions",
        "front_list_tags,front_get_tag,front_list_teammates",
    ]);
    let mut mcp = McpProcess::start(
        &env,
        &["--account", &account, "--param-style", "flat_prefixed"],
    );
    mcp.initialize();
    let list = mcp.request(1, "tools/list", json!({}));
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["front_list_teammates", "front_list_tags", "front_get_tag"]
    );
    let get_tag = &list["result"]["tools"][2]["inputSchema"]["properties"];
    assert!(get_tag["path_tag_id"].is_object(), "{get_tag}");
    let refused = mcp.call(2, "front_delete_tag", json!({"path_tag_id": "tag_1"}));
    assert_eq!(refused["isError"], true);
    mcp.finish();

    let mut mcp = McpProcess::start(
        &env,
        &["--account", &account, "--tool-mode", "search_execute"],
    );
    mcp.initialize();
    let list = mcp.request(1, "tools/list", json!({}));
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 2);
    mcp.finish();
}

/// The names `tools/list` gives.
fn tool_names(list: &Value) -> Vec<String> {
    list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_lists_more_with_a_toolset_and_refuses_an_unknown_one() {
    let env = Env::new().await;
    let account = env.link(&[]);
    let mut mcp = McpProcess::start(
        &env,
        &[
            "--account",
            &account,
            "--toolset",
            "knowledge_bases,front_get_shift",
        ],
    );
    mcp.initialize();
    let names = tool_names(&mcp.request(1, "tools/list", json!({})));
    assert!(names.len() > 52 + 1, "{}", names.len());
    assert!(names.contains(&"front_list_conversations".to_owned()));
    assert!(names.contains(&"front_list_knowledge_bases".to_owned()));
    assert!(names.contains(&"front_get_shift".to_owned()));
    assert!(!names.contains(&"front_list_shifts".to_owned()));
    mcp.finish();

    let mut mcp = McpProcess::start(&env, &["--account", &account, "--toolset", "all"]);
    mcp.initialize();
    let all = tool_names(&mcp.request(1, "tools/list", json!({})));
    assert!(all.len() > names.len());
    assert!(all.contains(&"front_list_shifts".to_owned()));
    mcp.finish();

    let output = env
        .command(&["mcp", "--account", &account, "--toolset", "recipes"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("unknown group or action `recipes`"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_with_an_unknown_account_fails_at_once_with_one_line() {
    let env = Env::new().await;
    let output = env
        .command(&["mcp", "--account", "acc_missing"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("acc_missing"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");

    let output = env
        .command(&["mcp", "--account", "acc_x", "--param-style", "flat"])
        .output()
        .unwrap();
    assert!(!output.status.success());
}

/// Tool arguments and Front's answers are customer data: rmcp's debug and trace lines, which
/// carry them, never reach the log, whatever RUST_LOG asks for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_arguments_and_answers_never_reach_the_log() {
    let env = Env::new().await;
    let account = env.link(&[]);
    let canary = "canary-tag-7f3a9c";
    for rust_log in ["debug", "trace,rmcp::service=trace"] {
        let log_path = env.data_dir.path().join("mcp.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut mcp = McpProcess::start_logging(
            &env,
            &["--account", &account],
            &[("RUST_LOG", rust_log)],
            log,
        );
        mcp.initialize();
        let created = mcp.call(1, "front_create_tag", json!({"body": {"name": canary}}));
        assert_eq!(created["isError"], false, "{created}");
        assert!(
            created.to_string().contains(canary),
            "Front's answer names the tag"
        );
        mcp.finish();
        let log = std::fs::read_to_string(&log_path).unwrap();
        assert!(
            log.contains("DEBUG"),
            "{rust_log}: the log is verbose: {log}"
        );
        assert!(!log.contains(canary), "{rust_log}: {log}");
    }
}
