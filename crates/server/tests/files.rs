//! Actions that return a file (`returns: file`), end to end on an in-process hub against a
//! stand-in Front serving attachment downloads: `/actions/rpc` answers the file in base64 with
//! its name, media type and size (and an `Idempotency-Key` replays it), a file over the hub's
//! bound is refused, Front's JSON error stays Front's error, a dry run shows the request, and
//! MCP answers the file as an embedded resource (or an image) with no JSON output schema.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actionhub_engine::{FrontClient, SecretString};
use actionhub_store::{LinkTarget, NewAccount, RunFilter};
use actionhub_testkit::TestDatabase;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{Served, serve_hub_on};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The hub's bound on Front's answers in these tests, in MiB.
const MAX_ANSWER_MB: u64 = 1;
const DOWNLOAD: &str = "front_download_attachment";

/// A file's bytes: neither JSON nor UTF-8.
fn pdf_bytes() -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..5000).map(|i| (i * 31 % 256) as u8));
    bytes
}

const PNG_BYTES: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";

/// Front's download route: `fil_png` is an image, `fil_big` is over the hub's bound, `fil_gone`
/// does not exist (Front's JSON 404), and any other id is a PDF.
async fn download(
    State(requests): State<Arc<AtomicUsize>>,
    Path(id): Path<String>,
) -> axum::response::Response {
    requests.fetch_add(1, Ordering::SeqCst);
    let file = |content_type: &'static str, name: &str, bytes: Vec<u8>| {
        (
            [
                (header::CONTENT_TYPE, content_type.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response()
    };
    match id.as_str() {
        "fil_png" => file("image/png", "logo.png", PNG_BYTES.to_vec()),
        "fil_big" => file(
            "application/zip",
            "big.zip",
            vec![0; usize::try_from(MAX_ANSWER_MB).unwrap() * 1024 * 1024 + 1],
        ),
        "fil_gone" => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"_error":{"status":404,"title":"Not found","message":"Attachment not found"}}"#,
        )
            .into_response(),
        _ => file("application/pdf", "Q3 report.pdf", pdf_bytes()),
    }
}

/// A hub talking to the stand-in Front, with one account linked (stored directly: the stand-in
/// does not answer `/me`) that may run the download.
struct Hub {
    served: Served,
    requests: Arc<AtomicUsize>,
    key: String,
    account: String,
    http: reqwest::Client,
}

impl Hub {
    async fn start() -> Hub {
        let requests = Arc::new(AtomicUsize::new(0));
        let front = axum::Router::new()
            .route("/download/{id}", axum::routing::get(download))
            .with_state(requests.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let front_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, front).await });
        let client = FrontClient::new(Some(&front_url))
            .unwrap()
            .with_max_answer_mb(MAX_ANSWER_MB);
        let served = serve_hub_on(TestDatabase::sqlite(), client).await;
        let project = served.store.project("default").await.unwrap();
        let (_, key) = served.store.create_api_key(&project, "test").await.unwrap();
        let (account, _) = served
            .store
            .save_account(
                &project.id,
                NewAccount {
                    provider: "front".into(),
                    origin_owner_id: "c-1".into(),
                    origin_owner_name: "One".into(),
                    origin_username: None,
                    label: None,
                    metadata: None,
                    allowed_actions: Some(vec![DOWNLOAD.to_owned()]),
                    provider_account_id: "cmp_files".into(),
                    provider_account_name: "Files".into(),
                    credentials: vec![("api_token".into(), SecretString::from("stand-in-token"))],
                    target: LinkTarget::Owner,
                    session_id: None,
                },
            )
            .await
            .unwrap();
        Hub {
            served,
            requests,
            key: key.expose_secret().to_owned(),
            account: account.id,
            http: reqwest::Client::new(),
        }
    }

    /// Downloads attachment `id` through `/actions/rpc` (`query`: e.g. `?dry_run=true`).
    async fn rpc(&self, id: &str, query: &str, key: Option<&str>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(format!("{}/actions/rpc{query}", self.served.url))
            .basic_auth(&self.key, Some(""))
            .header("x-account-id", &self.account)
            .json(&json!({"action": DOWNLOAD, "path": {"attachment_link_id": id}}));
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn mcp(&self, method: &str, params: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/mcp", self.served.url))
            .basic_auth(&self.key, Some(""))
            .header("x-account-id", &self.account)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(
                json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.unwrap();
        let message = text
            .lines()
            .find_map(|line| line.strip_prefix("data:"))
            .unwrap_or(&text);
        let message: Value = serde_json::from_str(message.trim()).unwrap();
        message["result"].clone()
    }
}

#[tokio::test]
async fn rpc_answers_the_file_in_base64_and_a_key_replays_it() {
    let hub = Hub::start().await;
    let (status, body) = hub.rpc("fil_3q8rx1", "", Some("download-once")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["filename"], "Q3 report.pdf");
    assert_eq!(data["content_type"], "application/pdf");
    assert_eq!(data["size"], pdf_bytes().len());
    let bytes = BASE64
        .decode(data["content_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, pdf_bytes());
    assert_eq!(body["next"], Value::Null);
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["data", "next"]
    );
    assert_eq!(hub.requests.load(Ordering::SeqCst), 1);

    let (status, replayed) = hub.rpc("fil_3q8rx1", "", Some("download-once")).await;
    assert_eq!((status, &replayed), (StatusCode::OK, &body));
    assert_eq!(hub.requests.load(Ordering::SeqCst), 1, "replayed, not sent");

    let project = hub.served.store.project("default").await.unwrap();
    // The run log is written off the request path: wait for both runs.
    let runs = loop {
        let runs = hub
            .served
            .store
            .list_runs(
                &project.id,
                &RunFilter {
                    account_id: None,
                    limit: 10,
                },
            )
            .await
            .unwrap();
        if runs.len() == 2 {
            break runs;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let outcomes: Vec<&str> = runs.iter().map(|run| run.outcome.as_str()).collect();
    assert!(
        outcomes.contains(&"ok") && outcomes.contains(&"replayed"),
        "{outcomes:?}"
    );
    assert!(runs.iter().all(|run| run.error.is_none()));
}

#[tokio::test]
async fn a_file_over_the_bound_is_refused_and_fronts_errors_stay_fronts() {
    let hub = Hub::start().await;
    let (status, body) = hub.rpc("fil_big", "", None).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(
        body["message"],
        "the file Front answered (HTTP 200) is larger than the 1 MiB limit (`--max-answer-mb` / ACTIONHUB_MAX_ANSWER_MB); raise the limit to download it"
    );

    let (status, body) = hub.rpc("fil_gone", "", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        body["provider_errors"][0]["raw"]["_error"]["message"],
        "Attachment not found"
    );
}

#[tokio::test]
async fn a_dry_run_shows_the_download_request() {
    let hub = Hub::start().await;
    let (status, body) = hub.rpc("fil_3q8rx1", "?dry_run=true", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["method"], "GET");
    assert!(
        body["url"]
            .as_str()
            .unwrap()
            .ends_with("/download/fil_3q8rx1"),
        "{body}"
    );
    assert_eq!(body["headers"]["accept"], "*/*");
    assert_eq!(hub.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn mcp_answers_a_file_as_a_blob_and_an_image_as_an_image() {
    let hub = Hub::start().await;
    let tools = hub.mcp("tools/list", json!({})).await;
    let tool = &tools["tools"][0];
    assert_eq!(tool["name"], DOWNLOAD);
    assert!(tool.get("outputSchema").is_none(), "{tool}");

    let result = hub
        .mcp(
            "tools/call",
            json!({"name": DOWNLOAD, "arguments": {"path": {"attachment_link_id": "fil_3q8rx1"}}}),
        )
        .await;
    assert_ne!(result["isError"], true, "{result}");
    let content = result["content"].as_array().unwrap();
    assert_eq!(content.len(), 2, "{result}");
    let summary = content[0]["text"].as_str().unwrap();
    assert!(
        summary.contains("Q3 report.pdf")
            && summary.contains(&format!("{} bytes", pdf_bytes().len())),
        "{summary}"
    );
    assert_eq!(content[1]["type"], "resource");
    let resource = &content[1]["resource"];
    assert_eq!(resource["mimeType"], "application/pdf");
    assert_eq!(resource["uri"], "actionhub://files/Q3%20report.pdf");
    let bytes = BASE64.decode(resource["blob"].as_str().unwrap()).unwrap();
    assert_eq!(bytes, pdf_bytes());
    assert_eq!(
        result["structuredContent"]["data"]["size"],
        pdf_bytes().len()
    );
    assert!(
        result["structuredContent"]["data"]
            .get("content_base64")
            .is_none()
    );

    let result = hub
        .mcp(
            "tools/call",
            json!({"name": DOWNLOAD, "arguments": {"path": {"attachment_link_id": "fil_png"}}}),
        )
        .await;
    let image = &result["content"][1];
    assert_eq!(
        (&image["type"], &image["mimeType"]),
        (&json!("image"), &json!("image/png"))
    );
    assert_eq!(
        BASE64.decode(image["data"].as_str().unwrap()).unwrap(),
        PNG_BYTES
    );
}
