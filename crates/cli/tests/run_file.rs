//! `actionhub run` of an action that returns a file, as a user runs it (the real binary, a
//! temporary database) against a stand-in Front serving one attachment: `--output` writes the
//! bytes, without it the file is printed as `/actions/rpc` answers it, and `--output` on an
//! action returning JSON is refused.

use std::process::{Command, Output};

use actionhub_testkit::{KEY_V1, TestDatabase};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_actionhub");

/// The attachment's bytes: neither JSON nor UTF-8.
fn attachment() -> Vec<u8> {
    (0..=255u8).cycle().take(3000).collect()
}

/// A stand-in Front: `GET /me` names a company, any other request answers the attachment.
async fn front_serving_a_file() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let (headers, body) = if head.starts_with(b"GET /me ") {
                    (
                        "content-type: application/json".to_owned(),
                        json!({"id": "cmp_files", "name": "Files"})
                            .to_string()
                            .into_bytes(),
                    )
                } else {
                    (
                        "content-type: application/pdf\r\ncontent-disposition: attachment; filename=\"invoice.pdf\"".to_owned(),
                        attachment(),
                    )
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\n{headers}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    base
}

/// `actionhub ARGS` against `front`, with nothing inherited that could point it elsewhere.
fn actionhub(front: &str, db: &TestDatabase, data_dir: &std::path::Path, args: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("ACTIONHUB_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command
        .env("ACTIONHUB_DATA_DIR", data_dir)
        .env("ACTIONHUB_DATABASE_URL", db.url())
        .env("ACTIONHUB_FRONT_BASE_URL", front)
        .env("ACTIONHUB_MASTER_KEY", format!("1:{KEY_V1}"))
        .output()
        .expect("run actionhub")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_writes_a_file_to_output_or_prints_it_as_rpc_does() {
    let front = front_serving_a_file().await;
    let db = TestDatabase::sqlite();
    let data_dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| actionhub(&front, &db, data_dir.path(), args);
    let linked = run(&["accounts", "link", "--token", "file-token"]);
    assert!(
        linked.status.success(),
        "{}",
        String::from_utf8_lossy(&linked.stderr)
    );
    let account = String::from_utf8(linked.stdout).unwrap().trim().to_owned();
    let download = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "front_download_attachment",
            "--account",
            &account,
            "--path",
            "attachment_link_id=fil_3q8rx1",
        ];
        args.extend_from_slice(extra);
        run(&args)
    };

    let target = data_dir.path().join("saved.pdf");
    std::fs::write(&target, b"an older file").unwrap();
    let saved = download(&["--output", target.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&saved.stderr);
    assert!(saved.status.success(), "{said}");
    assert_eq!(std::fs::read(&target).unwrap(), attachment());
    assert!(saved.stdout.is_empty());
    assert!(
        said.contains(target.to_str().unwrap())
            && said.contains("invoice.pdf")
            && said.contains("3000 bytes"),
        "{said}"
    );

    let printed = download(&["--json"]);
    assert!(printed.status.success());
    let answer: Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(answer["data"]["filename"], "invoice.pdf");
    assert_eq!(answer["data"]["content_type"], "application/pdf");
    assert_eq!(answer["data"]["size"], 3000);
    assert_eq!(answer["next"], Value::Null);

    let refused = run(&[
        "run",
        "front_list_tags",
        "--account",
        &account,
        "--output",
        target.to_str().unwrap(),
    ]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        said.contains("--output is for actions that return a file"),
        "{said}"
    );
}
