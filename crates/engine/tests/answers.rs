//! How `FrontClient::execute` reports Front's answers that are not results: redirects, and
//! refusals of a request as too large (against a stand-in Front that answers one fixed status).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actionhub_catalog::Catalog;
use actionhub_engine::{Call, CallError, FrontClient, SecretString, Stats};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A stand-in Front answering every request with `status` (and a `Location` header), counting
/// the requests it receives. Returns its base URL and the counter.
async fn front_answering(status: u16) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                counted.fetch_add(1, Ordering::SeqCst);
                let body = format!(r#"{{"_error":{{"status":{status},"message":"no"}}}}"#);
                let answer = format!(
                    "HTTP/1.1 {status} Whatever\r\nlocation: https://elsewhere.example/\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (base, requests)
}

async fn run(base: &str, action_id: &str, input: Value) -> (Result<(), CallError>, Stats) {
    let client = FrontClient::new(Some(base)).unwrap();
    let action = Catalog::builtin().action(action_id).unwrap();
    let token = SecretString::from("token");
    let call = Call {
        action,
        input: &input,
        token: &token,
        company_id: "cmp_answers",
        idempotency_key: true,
        deadline: Instant::now() + Duration::from_secs(20),
    };
    let mut stats = Stats::default();
    let outcome = client.execute(&call, &mut stats).await.map(|_| ());
    (outcome, stats)
}

#[tokio::test]
async fn a_redirect_is_reported_as_one_and_never_followed() {
    for status in [301, 302, 307, 308] {
        let (base, requests) = front_answering(status).await;
        let (outcome, stats) = run(&base, "front_list_tags", json!({})).await;
        let error = outcome.unwrap_err();
        assert!(
            matches!(error, CallError::Redirected { status: s } if s == status),
            "{error:?}"
        );
        assert!(error.to_string().contains("redirected"), "{error}");
        assert_eq!((stats.attempts, requests.load(Ordering::SeqCst)), (1, 1));
    }
}

#[tokio::test]
async fn too_large_refusals_are_fronts_and_not_retried() {
    for status in [413, 414, 431] {
        let (base, requests) = front_answering(status).await;
        let (outcome, stats) = run(&base, "front_list_tags", json!({})).await;
        match outcome.unwrap_err() {
            CallError::Front { message, error } => {
                assert_eq!(error.status, status);
                assert!(message.contains("too large"), "{message}");
            }
            other => panic!("{status}: {other:?}"),
        }
        assert_eq!((stats.attempts, requests.load(Ordering::SeqCst)), (1, 1));
    }
}

#[tokio::test]
async fn a_url_too_long_for_http_is_refused_without_sending() {
    let (base, requests) = front_answering(200).await;
    let query = "x".repeat(100_000);
    let (outcome, stats) = run(
        &base,
        "front_search_conversations",
        json!({"path": {"query": query}}),
    )
    .await;
    let error = outcome.unwrap_err();
    assert!(matches!(error, CallError::TooLarge), "{error:?}");
    assert!(!error.to_string().contains("could not be reached"));
    assert_eq!(requests.load(Ordering::SeqCst), 0);
    assert!(stats.attempts <= 1, "{stats:?}");
}
