//! The catalogue commands as a user runs them: output, exit status and `--help`; and how the
//! binary refuses a bad runtime setting.

use std::process::{Command, Output};

use serde_json::Value;

fn actionhub(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_actionhub"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn actions_list_json_is_the_documented_array() {
    let list: Value =
        serde_json::from_str(&stdout(&actionhub(&["actions", "list", "--json"]))).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 52);
    let first = &list[0];
    assert_eq!(first["id"], "front_list_conversations");
    assert_eq!(first["label"], "List Conversations");
    assert_eq!(first["scopes"], serde_json::json!(["conversations:read"]));
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/conversations");
    assert_eq!(first["hints"]["read_only"], true);
    assert_eq!(first["paginated"], true);
}

#[test]
fn actions_list_is_an_aligned_table() {
    let text = stdout(&actionhub(&["actions", "list"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 53, "a header and 52 rows");
    let column = lines[0].find("LABEL").unwrap();
    for line in &lines[1..] {
        assert_eq!(line.as_bytes()[column - 1], b' ', "{line}");
        assert_ne!(line.as_bytes()[column], b' ', "{line}");
    }
}

#[test]
fn actions_show_gives_the_schema_in_the_asked_style() {
    let output = actionhub(&[
        "actions",
        "show",
        "front_get_conversation",
        "--json",
        "--param-style",
        "flat_prefixed",
    ]);
    let shown: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(shown["id"], "front_get_conversation");
    assert_eq!(shown["param_style"], "flat_prefixed");
    assert_eq!(
        shown["input_schema"]["required"],
        serde_json::json!(["path_conversation_id"])
    );
    assert!(shown["example"]["path"]["conversation_id"].is_string());

    let text = stdout(&actionhub(&[
        "actions",
        "show",
        "front_delete_conversation",
    ]));
    assert!(
        text.contains("DELETE /conversations/{conversation_id}"),
        "{text}"
    );
    assert!(text.contains("destructive yes"), "{text}");
}

#[test]
fn scopes_for_a_selection_with_a_separator() {
    let output = actionhub(&[
        "scopes",
        "--actions",
        "front_send_message,front_list_tags",
        "--separator",
        "comma",
    ]);
    assert_eq!(stdout(&output), "messages:send,tags:read\n");
    let all = stdout(&actionhub(&["scopes", "--separator", "newline"]));
    assert_eq!(all.lines().count(), 24);
}

#[test]
fn scopes_url_prints_the_guide_url() {
    let output = actionhub(&[
        "scopes",
        "--url",
        "--actions",
        "front_list_tags",
        "--base-url",
        "https://hub.example/",
    ]);
    assert_eq!(
        stdout(&output),
        "https://hub.example/connectors/front/guides/link-account/api-token?actions=front_list_tags\n"
    );
}

#[test]
fn an_unknown_action_fails_with_one_line_and_suggestions() {
    for args in [
        &["actions", "show", "front_list_tag"][..],
        &["scopes", "--actions", "front_list_tag"][..],
    ] {
        let output = actionhub(args);
        assert!(!output.status.success());
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("unknown action `front_list_tag`; did you mean front_list_tags"),
            "{stderr}"
        );
    }
}

#[test]
fn bad_flags_are_refused() {
    let output = actionhub(&["scopes", "--separator", "tab"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("unknown separator `tab`"), "{stderr}");
}

#[test]
fn help_describes_every_command() {
    let help = stdout(&actionhub(&["--help"]));
    for command in ["demo", "actions", "scopes"] {
        assert!(help.contains(command), "{help}");
    }
    let help = stdout(&actionhub(&["scopes", "--help"]));
    for flag in ["--actions", "--separator", "--url"] {
        assert!(help.contains(flag), "{help}");
    }
    let help = stdout(&actionhub(&["sim", "--help"]));
    assert!(help.contains("--activity <N>"), "{help}");
}

#[test]
fn sim_activity_beyond_its_maximum_is_refused() {
    let output = actionhub(&["sim", "--bind", "127.0.0.1:0", "--activity", "60001"]);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "the simulator must not start");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("60000"), "{stderr}");
}

#[test]
fn a_bad_runtime_thread_count_is_an_error_not_a_panic() {
    let data = tempfile::tempdir().unwrap();
    for bad in ["0", "many", ""] {
        let output = Command::new(env!("CARGO_BIN_EXE_actionhub"))
            .args(["keys", "list"])
            .env("ACTIONHUB_DATA_DIR", data.path())
            .env_remove("ACTIONHUB_DATABASE_URL")
            .env("TOKIO_WORKER_THREADS", bad)
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{bad:?} was accepted");
        assert!(
            stderr.contains("TOKIO_WORKER_THREADS must be a whole number"),
            "{bad:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{bad:?}: {stderr}");
    }
}
