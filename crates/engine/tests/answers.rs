//! How `FrontClient::execute` reports Front's answers that are not results: redirects, and
//! refusals of a request as too large, answers larger than the configured bound, 2xx answers
//! that are not JSON, and files (against a stand-in Front that gives every request the same
//! answer).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actionhub_catalog::Catalog;
use actionhub_engine::{Call, CallError, Data, FrontClient, Reply, SecretString, Stats};
use actionhub_testkit::read_http_request;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// A stand-in Front answering every request with `head` (status line and headers) and then
/// `body`, written in pieces and followed by closing the connection; it counts the requests it
/// receives. Returns its base URL and the counter.
async fn stand_in(head: String, body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let body = Arc::new(body);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counted = counted.clone();
            let (head, body) = (head.clone(), body.clone());
            tokio::spawn(async move {
                if !read_http_request(&mut socket).await {
                    return;
                }
                counted.fetch_add(1, Ordering::SeqCst);
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for piece in body.chunks(64 * 1024) {
                    // The hub stops reading an answer that is too large: writing then fails.
                    if socket.write_all(piece).await.is_err() {
                        return;
                    }
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    (base, requests)
}

/// A stand-in Front answering every request with `status` (and a `Location` header) and a
/// small JSON error body.
async fn front_answering(status: u16) -> (String, Arc<AtomicUsize>) {
    let body = format!(r#"{{"_error":{{"status":{status},"message":"no"}}}}"#);
    let head = format!(
        "HTTP/1.1 {status} Whatever\r\nlocation: https://elsewhere.example/\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stand_in(head, body.into_bytes()).await
}

async fn run(base: &str, action_id: &str, input: Value) -> (Result<(), CallError>, Stats) {
    run_with(FrontClient::new(Some(base)).unwrap(), action_id, input).await
}

async fn run_with(
    client: FrontClient,
    action_id: &str,
    input: Value,
) -> (Result<(), CallError>, Stats) {
    let (outcome, stats) = reply_of(client, action_id, input).await;
    (outcome.map(|_| ()), stats)
}

async fn reply_of(
    client: FrontClient,
    action_id: &str,
    input: Value,
) -> (Result<Reply, CallError>, Stats) {
    let action = Catalog::builtin().action(action_id).unwrap();
    let token = SecretString::from("token");
    let call = Call {
        action,
        input: &input,
        token: &token,
        account_id: "acc_answers",
        company_id: "cmp_answers",
        idempotency_key: true,
        deadline: Instant::now() + Duration::from_secs(20),
    };
    let mut stats = Stats::default();
    let outcome = client.execute(&call, &mut stats).await;
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

/// An answer of `status` with a JSON body of `size` bytes, announcing its length or not (then
/// it ends when the connection closes).
async fn front_sending(status: u16, size: usize, announced: bool) -> (String, Arc<AtomicUsize>) {
    let mut body = vec![b' '; size];
    body[0] = b'[';
    body[size - 1] = b']';
    let length = if announced {
        format!("content-length: {size}\r\n")
    } else {
        String::new()
    };
    let head = format!(
        "HTTP/1.1 {status} Whatever\r\ncontent-type: application/json\r\n{length}connection: close\r\n\r\n"
    );
    stand_in(head, body).await
}

#[tokio::test]
async fn an_answer_over_the_bound_is_refused_with_or_without_its_length() {
    const MIB: usize = 1024 * 1024;
    for announced in [true, false] {
        // Within the bound: read whole.
        let (base, _) = front_sending(200, MIB - 10, announced).await;
        let client = FrontClient::new(Some(&base)).unwrap().with_max_answer_mb(1);
        let (outcome, _) = run_with(client, "front_list_tags", json!({})).await;
        assert!(outcome.is_ok(), "{announced}: {outcome:?}");

        let (base, requests) = front_sending(200, 3 * MIB, announced).await;
        let client = FrontClient::new(Some(&base)).unwrap().with_max_answer_mb(1);
        let (outcome, stats) = run_with(client, "front_list_tags", json!({})).await;
        let error = outcome.unwrap_err();
        assert!(
            matches!(
                error,
                CallError::AnswerTooLarge {
                    status: 200,
                    limit_mb: 1,
                    wrote: false,
                    file: false
                }
            ),
            "{announced}: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("larger than the 1 MiB limit")
                && message.contains("ACTIONHUB_MAX_ANSWER_MB")
                && !message.contains("write"),
            "{message}"
        );
        assert_eq!((stats.attempts, requests.load(Ordering::SeqCst)), (1, 1));
        assert_eq!(stats.front_status, Some(200));

        // A write Front accepted: the caller is told it happened, and it is not sent again.
        let (base, requests) = front_sending(201, 3 * MIB, announced).await;
        let client = FrontClient::new(Some(&base)).unwrap().with_max_answer_mb(1);
        let (outcome, _) =
            run_with(client, "front_create_tag", json!({"body": {"name": "Big"}})).await;
        let error = outcome.unwrap_err();
        assert!(
            matches!(error, CallError::AnswerTooLarge { wrote: true, .. }),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains("the write was made, do not repeat it"),
            "{error}"
        );
        assert_eq!(requests.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn a_write_accepted_with_an_answer_that_is_not_json_says_it_was_made() {
    let head = |status: u16| {
        format!(
            "HTTP/1.1 {status} Whatever\r\ncontent-type: text/html\r\ncontent-length: 9\r\nconnection: close\r\n\r\n"
        )
    };
    let (base, requests) = stand_in(head(201), b"<p>ok</p>".to_vec()).await;
    let (outcome, _) = run(&base, "front_create_tag", json!({"body": {"name": "Html"}})).await;
    let error = outcome.unwrap_err();
    assert!(
        matches!(
            error,
            CallError::BadAnswer {
                status: 201,
                wrote: true
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "Front accepted the request (HTTP 201) but its answer is not JSON; the write was made, do not repeat it"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);

    let (base, _) = stand_in(head(200), b"<p>ok</p>".to_vec()).await;
    let (outcome, _) = run(&base, "front_list_tags", json!({})).await;
    let error = outcome.unwrap_err();
    assert!(
        matches!(
            error,
            CallError::BadAnswer {
                status: 200,
                wrote: false
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "Front's answer (HTTP 200) is not JSON");
}

/// Bytes that are no JSON (nor UTF-8): a file's.
fn file_bytes(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 7 % 256) as u8).collect()
}

/// A stand-in Front serving `bytes` as a PDF named `name`, announcing its length.
async fn front_serving_file(name: &str, bytes: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/pdf\r\ncontent-disposition: attachment; filename=\"{name}\"\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        bytes.len()
    );
    stand_in(head, bytes).await
}

const DOWNLOAD: &str = "front_download_attachment";

fn download_input() -> Value {
    json!({"path": {"attachment_link_id": "fil_3q8rx1"}})
}

#[tokio::test]
async fn a_file_answer_is_kept_as_bytes_with_its_name_and_media_type() {
    let sent = file_bytes(100_000);
    let (base, requests) = front_serving_file("Q3 report.pdf", sent.clone()).await;
    let client = FrontClient::new(Some(&base)).unwrap();
    let (outcome, stats) = reply_of(client, DOWNLOAD, download_input()).await;
    let reply = outcome.unwrap();
    assert_eq!((reply.status, reply.next), (200, None));
    let Data::File(file) = reply.data else {
        panic!("not a file: {:?}", reply.data);
    };
    assert_eq!(file.filename, "Q3 report.pdf");
    assert_eq!(file.content_type, "application/pdf");
    assert_eq!(file.bytes.as_ref(), sent.as_slice());
    assert_eq!((stats.attempts, requests.load(Ordering::SeqCst)), (1, 1));

    // The same bytes answered to an action returning JSON are refused as not JSON.
    let (base, _) = front_serving_file("x.pdf", sent).await;
    let (outcome, _) = run(&base, "front_list_tags", json!({})).await;
    assert!(
        matches!(outcome, Err(CallError::BadAnswer { status: 200, .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_file_over_the_bound_is_refused_and_an_error_is_fronts_json() {
    const MIB: usize = 1024 * 1024;
    let (base, requests) = front_serving_file("big.pdf", file_bytes(2 * MIB)).await;
    let client = FrontClient::new(Some(&base)).unwrap().with_max_answer_mb(1);
    let (outcome, _) = reply_of(client, DOWNLOAD, download_input()).await;
    let error = outcome.unwrap_err();
    assert!(
        matches!(
            error,
            CallError::AnswerTooLarge {
                status: 200,
                limit_mb: 1,
                wrote: false,
                file: true
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the file Front answered (HTTP 200) is larger than the 1 MiB limit (`--max-answer-mb` / ACTIONHUB_MAX_ANSWER_MB); raise the limit to download it"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);

    let (base, _) = front_answering(404).await;
    let (outcome, _) = run(&base, DOWNLOAD, download_input()).await;
    match outcome.unwrap_err() {
        CallError::Front { message, error } => {
            assert_eq!((message.as_str(), error.status), ("no", 404));
            assert_eq!(error.raw["_error"]["message"], "no");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_download_asks_for_any_media_type_and_its_dry_run_says_so() {
    let client = FrontClient::new(Some("https://api2.frontapp.com")).unwrap();
    let action = Catalog::builtin().action(DOWNLOAD).unwrap();
    let shown = client
        .dry_run(action, "acc_answers", &download_input())
        .unwrap();
    assert_eq!(shown.url, "https://api2.frontapp.com/download/fil_3q8rx1");
    assert_eq!(shown.headers["accept"], "*/*");
    assert_eq!(shown.body, None);
    let tags = Catalog::builtin().action("front_list_tags").unwrap();
    let shown = client.dry_run(tags, "acc_answers", &json!({})).unwrap();
    assert_eq!(shown.headers["accept"], "application/json");
}
