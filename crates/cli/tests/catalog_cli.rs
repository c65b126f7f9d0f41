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
    let front = actionhub_catalog::Catalog::builtin()
        .connector("front")
        .unwrap();
    assert_eq!(list.len(), front.actions().len());
    assert!(list.len() > 52);
    // The core actions (the seed's 52) first, then the others.
    let core: Vec<bool> = list.iter().map(|a| a["core"] == true).collect();
    assert_eq!(core.iter().filter(|c| **c).count(), 52);
    assert!(core[..52].iter().all(|c| *c));
    for action in list {
        for key in ["id", "label", "scopes", "method", "path", "group"] {
            assert!(!action[key].is_null(), "{key} in {action}");
        }
    }
    let first = &list[0];
    assert_eq!(first["id"], "front_list_conversations");
    assert_eq!(first["group"], "conversations");
    assert_eq!(first["core"], true);
    assert_eq!(first["returns"], "json");
    assert_eq!(first["label"], "List Conversations");
    assert_eq!(first["scopes"], serde_json::json!(["conversations:read"]));
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/conversations");
    assert_eq!(first["hints"]["read_only"], true);
    assert_eq!(first["paginated"], true);
}

#[test]
fn actions_list_is_an_aligned_table_with_a_coverage_summary() {
    let output = actionhub(&["actions", "list"]);
    let text = stdout(&output);
    let front = actionhub_catalog::Catalog::builtin()
        .connector("front")
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        1 + front.actions().len(),
        "a header and a row each"
    );
    for heading in ["LABEL", "GROUP"] {
        let column = lines[0].find(heading).unwrap();
        for line in &lines[1..] {
            assert_eq!(line.as_bytes()[column - 1], b' ', "{line}");
            assert_ne!(line.as_bytes()[column], b' ', "{line}");
        }
    }
    let stderr = String::from_utf8(output.stderr).unwrap();
    let total = front.actions().len() + front.excluded.len();
    assert!(
        stderr.contains(&format!(
            "{} actions (52 core) cover {} of Front's {total} operations",
            front.actions().len(),
            front.actions().len()
        )),
        "{stderr}"
    );
    assert!(!front.excluded.is_empty());
    for exclusion in &front.excluded {
        assert!(
            stderr.contains(&format!(
                "{} {}: {}",
                exclusion.method, exclusion.path, exclusion.reason
            )),
            "{stderr}"
        );
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
    assert!(
        text.contains("Group:           conversations — core"),
        "{text}"
    );

    let file = stdout(&actionhub(&[
        "actions",
        "show",
        "front_download_knowledge_base_article_attachment",
        "--json",
    ]));
    let file: Value = serde_json::from_str(&file).unwrap();
    assert_eq!(file["group"], "knowledge_bases");
    assert_eq!(file["core"], false);
    assert_eq!(file["returns"], "file");
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
    // --core: the core actions, as the guide opened without a selection.
    let core = stdout(&actionhub(&["scopes", "--core", "--separator", "newline"]));
    assert_eq!(core.lines().count(), 24);
    let front = actionhub_catalog::Catalog::builtin()
        .connector("front")
        .unwrap();
    // No selection: every action.
    let all = stdout(&actionhub(&["scopes", "--separator", "newline"]));
    let needed = front.scopes_for(&front.actions().iter().collect::<Vec<_>>());
    assert_eq!(all.lines().count(), needed.len());
    assert!(all.lines().count() > 24);
    // A non-core action's new scope.
    let output = actionhub(&[
        "scopes",
        "--actions",
        "front_list_knowledge_bases,front_get_shift",
    ]);
    assert_eq!(stdout(&output), "knowledge_bases:read shifts:read\n");
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
    let output = actionhub(&[
        "scopes",
        "--url",
        "--actions",
        "front_list_knowledge_bases",
        "--base-url",
        "https://hub.example",
    ]);
    assert_eq!(
        stdout(&output),
        "https://hub.example/connectors/front/guides/link-account/api-token?actions=front_list_knowledge_bases\n"
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
    for flag in ["--actions", "--core", "--separator", "--url"] {
        assert!(help.contains(flag), "{help}");
    }
    let help = stdout(&actionhub(&["mcp", "--help"]));
    for text in ["--toolset", "knowledge_bases"] {
        assert!(help.contains(text), "{help}");
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
