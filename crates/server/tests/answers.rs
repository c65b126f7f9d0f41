//! What an `Idempotency-Key` keeps when Front's answer is a refusal or cannot be used, end to
//! end on an in-process hub against a stand-in Front whose answer the test switches: a 429
//! (Front refused without doing anything) frees the key, so the repeat runs and creates the tag;
//! a write Front accepted whose answer is not JSON or is larger than the hub's bound is a 502
//! saying the write was made, and the key keeps that answer, so the write is never sent twice.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use actionhub_engine::{FrontClient, SecretString};
use actionhub_store::{LinkTarget, NewAccount};
use actionhub_testkit::{TestDatabase, read_http_request};
use common::{Served, serve_hub_on};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// The hub's bound on Front's answers in these tests, in MiB.
const MAX_ANSWER_MB: u64 = 1;

/// How the stand-in Front answers `POST /tags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Mode {
    /// 429, as Front's per-minute limit does (`retry-after: 0`, so the hub gives up quickly).
    Throttle,
    /// 201 with the created tag.
    Create,
    /// 201 with an HTML page.
    CreateHtml,
    /// 201 with a JSON body over the hub's bound.
    CreateHuge,
}

/// A stand-in Front: every request is answered per the current mode; writes answered 2xx
/// count as tags created.
struct StandIn {
    url: String,
    mode: Arc<AtomicU8>,
    requests: Arc<AtomicUsize>,
    created: Arc<AtomicUsize>,
}

impl StandIn {
    async fn start() -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mode = Arc::new(AtomicU8::new(Mode::Throttle as u8));
        let requests = Arc::new(AtomicUsize::new(0));
        let created = Arc::new(AtomicUsize::new(0));
        let (shared_mode, shared_requests, shared_created) =
            (mode.clone(), requests.clone(), created.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (mode, requests, created) = (
                    shared_mode.clone(),
                    shared_requests.clone(),
                    shared_created.clone(),
                );
                tokio::spawn(async move {
                    if !read_http_request(&mut socket).await {
                        return;
                    }
                    requests.fetch_add(1, Ordering::SeqCst);
                    let mode = mode.load(Ordering::SeqCst);
                    let (status, content_type, body) = if mode == Mode::Throttle as u8 {
                        (
                            "429 Too Many Requests\r\nretry-after: 0",
                            "application/json",
                            br#"{"_error":{"status":429,"title":"Too many requests","message":"Rate limit exceeded"}}"#.to_vec(),
                        )
                    } else {
                        let number = created.fetch_add(1, Ordering::SeqCst) + 1;
                        let body = if mode == Mode::CreateHtml as u8 {
                            b"<html>created</html>".to_vec()
                        } else if mode == Mode::CreateHuge as u8 {
                            let size = usize::try_from(MAX_ANSWER_MB).unwrap() * 1024 * 1024 + 1;
                            let mut body = vec![b' '; size];
                            body[0] = b'[';
                            body[size - 1] = b']';
                            body
                        } else {
                            format!(r#"{{"id":"tag_{number}","name":"Once"}}"#).into_bytes()
                        };
                        let content_type = if mode == Mode::CreateHtml as u8 {
                            "text/html"
                        } else {
                            "application/json"
                        };
                        ("201 Created", content_type, body)
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    // A hub that refuses a too-large answer stops reading: writing then fails.
                    if socket.write_all(head.as_bytes()).await.is_ok()
                        && socket.write_all(&body).await.is_ok()
                    {
                        let _ = socket.shutdown().await;
                    }
                });
            }
        });
        StandIn {
            url,
            mode,
            requests,
            created,
        }
    }

    fn answer(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }
}

/// A hub talking to a stand-in Front, with one account linked (stored directly: the stand-in
/// does not answer `/me`).
struct Hub {
    served: Served,
    front: StandIn,
    key: String,
    account: String,
    http: reqwest::Client,
}

impl Hub {
    async fn start() -> Hub {
        let front = StandIn::start().await;
        let client = FrontClient::new(Some(&front.url))
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
                    allowed_actions: None,
                    provider_account_id: "cmp_answers".into(),
                    provider_account_name: "Answers".into(),
                    credentials: vec![("api_token".into(), SecretString::from("stand-in-token"))],
                    target: LinkTarget::Owner,
                    session_id: None,
                },
            )
            .await
            .unwrap();
        Hub {
            served,
            front,
            key: key.expose_secret().to_owned(),
            account: account.id,
            http: reqwest::Client::new(),
        }
    }

    /// Creates a tag named `name` under `Idempotency-Key: key`.
    async fn create_tag(&self, key: &str, name: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/actions/rpc", self.served.url))
            .basic_auth(&self.key, Some(""))
            .header("x-account-id", &self.account)
            .header("idempotency-key", key)
            .json(&json!({"action": "front_create_tag", "body": {"name": name}}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn a_429_frees_the_idempotency_key_and_the_repeat_creates_the_tag() {
    let hub = Hub::start().await;
    hub.front.answer(Mode::Throttle);
    let (status, refused) = hub.create_tag("create-once", "Once").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refused}");
    assert!(hub.front.requests.load(Ordering::SeqCst) >= 1);
    assert_eq!(hub.front.created.load(Ordering::SeqCst), 0);

    hub.front.answer(Mode::Create);
    let (status, created) = hub.create_tag("create-once", "Once").await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["data"]["name"], "Once", "{created}");
    assert_eq!(hub.front.created.load(Ordering::SeqCst), 1);

    // Now the key holds the creation: a repeat replays it without calling Front.
    let sent = hub.front.requests.load(Ordering::SeqCst);
    let (status, replayed) = hub.create_tag("create-once", "Once").await;
    assert_eq!((status, &replayed), (StatusCode::OK, &created));
    assert_eq!(hub.front.requests.load(Ordering::SeqCst), sent);
}

#[tokio::test]
async fn a_write_whose_answer_is_unusable_says_it_was_made_and_keeps_its_key() {
    let hub = Hub::start().await;
    for (mode, said) in [
        (Mode::CreateHtml, "its answer is not JSON"),
        (
            Mode::CreateHuge,
            "larger than the 1 MiB limit (`--max-answer-mb` / ACTIONHUB_MAX_ANSWER_MB)",
        ),
    ] {
        hub.front.answer(mode);
        let key = format!("{mode:?}");
        let (status, body) = hub.create_tag(&key, "Made").await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{mode:?}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("Front accepted the request (HTTP 201)")
                && message.contains(said)
                && message.ends_with("the write was made, do not repeat it"),
            "{message}"
        );
        let sent = hub.front.requests.load(Ordering::SeqCst);
        hub.front.answer(Mode::Create);
        let (status, again) = hub.create_tag(&key, "Made").await;
        assert_eq!(
            (status, &again["message"]),
            (StatusCode::BAD_GATEWAY, &body["message"])
        );
        assert_eq!(
            hub.front.requests.load(Ordering::SeqCst),
            sent,
            "sent twice"
        );
    }
    assert_eq!(hub.front.created.load(Ordering::SeqCst), 2);
}
