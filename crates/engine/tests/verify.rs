//! `FrontClient::verify_token` against the Front simulator and against broken upstreams.

use actionhub_engine::{FrontClient, SecretString, VerifyError};
use frontsim::SimConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

async fn simulator() -> frontsim::RunningSim {
    frontsim::bind(SimConfig::unlimited(), "127.0.0.1:0")
        .await
        .expect("start the simulator")
}

#[tokio::test]
async fn a_valid_token_yields_the_company() {
    let sim = simulator().await;
    let client = FrontClient::new(Some(sim.base_url())).unwrap();
    let token = SecretString::from(sim.demo_token().unwrap());
    let identity = client.verify_token(&token).await.unwrap();
    assert!(identity.company_id.starts_with("cmp_"), "{identity:?}");
    assert!(!identity.company_name.is_empty());
}

#[tokio::test]
async fn an_unknown_token_is_rejected_and_never_shown() {
    let sim = simulator().await;
    let client = FrontClient::new(Some(sim.base_url())).unwrap();
    let secret = "not-a-front-token-canary";
    let error = client
        .verify_token(&SecretString::from(secret))
        .await
        .unwrap_err();
    assert!(
        matches!(error, VerifyError::Rejected { status: 401 }),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?} {client:?}").contains(secret));
}

#[tokio::test]
async fn a_malformed_token_is_refused_before_any_request() {
    // Nothing listens at this address: a malformed token must not even try it.
    let client = FrontClient::new(Some("http://127.0.0.1:9")).unwrap();
    for token in ["", "has space", "line\nbreak"] {
        let error = client
            .verify_token(&SecretString::from(token))
            .await
            .unwrap_err();
        assert!(matches!(error, VerifyError::Malformed(_)), "{error:?}");
    }
}

#[tokio::test]
async fn an_unreachable_front_is_reported_as_such() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = FrontClient::new(Some(&format!("http://{address}"))).unwrap();
    let error = client
        .verify_token(&SecretString::from("token"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, VerifyError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(error.is_upstream());
}

/// Serves one canned HTTP response to every connection.
async fn canned(response: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn an_unexpected_answer_is_not_a_verification() {
    for response in [
        "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\ncontent-length: 13\r\nconnection: close\r\n\r\n{\"id\":\"cmp_1\"}",
        "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:9/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    ] {
        let client = FrontClient::new(Some(&canned(response).await)).unwrap();
        let error = client
            .verify_token(&SecretString::from("token"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, VerifyError::Unexpected(_)),
            "{response}: {error:?}"
        );
    }
}

#[test]
fn a_base_url_must_be_http() {
    assert!(FrontClient::new(Some("ftp://example")).is_err());
    let client = FrontClient::new(Some("http://127.0.0.1:1/")).unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:1");
    assert_eq!(
        FrontClient::new(None).unwrap().base_url(),
        "https://api2.frontapp.com"
    );
}
