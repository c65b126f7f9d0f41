//! Files in an action's input, end to end: `POST /actions/rpc` on an in-process hub against the
//! Front simulator adds a comment with attachments. The hub sends them as
//! `multipart/form-data` (the simulator refuses files in a JSON body, as Front takes them only
//! in a form), and the form's other fields reach the handler as the JSON body would (the
//! comment is pinned: `is_pinned` was read back as a boolean).

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{Served, link_front_account, serve_hub};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const COMMENT: &str = "front_add_conversation_comment";

#[tokio::test]
async fn a_comment_with_attachments_goes_to_front_as_a_form() {
    let sim = frontsim::bind(frontsim::SimConfig::unlimited(), "127.0.0.1:0")
        .await
        .expect("simulator");
    // `_db` keeps the hub's database for the test's length.
    let Served {
        url,
        store,
        front,
        db: _db,
    } = serve_hub(sim.base_url()).await;
    let project = store.project("default").await.unwrap();
    let (_, key) = store.create_api_key(&project, "test").await.unwrap();
    let token = sim.demo_token().unwrap().to_owned();
    let account = link_front_account(&store, &front, &project.id, &token, None).await;
    let http = reqwest::Client::new();
    let rpc = |body: Value| {
        http.post(format!("{url}/actions/rpc"))
            .basic_auth(key.expose_secret(), Some(""))
            .header("x-account-id", &account.id)
            .json(&body)
            .send()
    };

    let listed: Value = rpc(json!({"action": "front_list_conversations", "query": {"limit": 1}}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conversation = listed["data"][0]["id"].as_str().unwrap().to_owned();

    let attachments = json!([
        {"filename": "screenshot.png", "content_type": "image/png",
         "content_base64": BASE64.encode(b"\x89PNG\r\n\x1a\n\x00\x01")},
        {"filename": "notes.txt", "content_base64": BASE64.encode("--looks like a boundary\r\n")}
    ]);
    let input = json!({
        "action": COMMENT,
        "path": {"conversation_id": conversation},
        "body": {"body": "Logs attached", "is_pinned": true, "attachments": attachments}
    });
    let response = rpc(input.clone()).await.unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(
        answer["data"]["id"].as_str().unwrap().starts_with("com_"),
        "{answer}"
    );
    assert_eq!(answer["data"]["body"], "Logs attached");
    assert_eq!(answer["data"]["is_pinned"], true, "{answer}");

    // The dry run shows the form, the files without their bytes.
    let shown: Value = http
        .post(format!("{url}/actions/rpc?dry_run=true"))
        .basic_auth(key.expose_secret(), Some(""))
        .header("x-account-id", &account.id)
        .json(&input)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        shown["body"]["attachments[1]"],
        json!({"filename": "notes.txt", "content_type": "application/octet-stream", "size": 25}),
        "{shown}"
    );

    // Front (and so the simulator) takes files only in a form.
    let refused = http
        .post(format!(
            "{}/conversations/{conversation}/comments",
            sim.base_url()
        ))
        .bearer_auth(&token)
        .json(&json!({"body": "x", "attachments": attachments}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refusal = refused.text().await.unwrap();
    assert!(
        refusal.contains("body.attachments: files are sent as multipart/form-data"),
        "{refusal}"
    );
}
