//! The HTTP edge against hostile and careless clients: every refusal carries a JSON body (StackOne's
//! on the platform routes, JSON-RPC's on `/mcp`), NUL characters stop at the edge on both
//! databases, slow clients are timed out while the hub keeps answering, sign-out ends a
//! dashboard session, and answers that carry a secret are never cached.

use std::time::Duration;

use actionhub_engine::FrontClient;
use actionhub_server::{AppState, ServeConfig};
use actionhub_store::{
    AttemptOutcome, AttemptRecord, Keyring, LinkTarget, NewAccount, NewEndpoint, Store, Timestamp,
};
use actionhub_testkit::{KEY_V1, TestDatabase};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Where no Front answers: every request below is refused before Front would be called.
const NO_FRONT: &str = "http://127.0.0.1:9";
/// How long a test waits for something that must happen, before failing instead of hanging.
const PATIENCE: Duration = Duration::from_secs(60);

struct Hub {
    url: String,
    addr: String,
    store: Store,
    key: String,
    http: reqwest::Client,
    _db: TestDatabase,
}

impl Hub {
    async fn start(db: TestDatabase, front_url: &str, config: ServeConfig) -> Hub {
        let store = Store::open(db.url(), Keyring::parse(KEY_V1).unwrap())
            .await
            .unwrap();
        let front = FrontClient::new(Some(front_url)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let url = format!("http://{addr}");
        let state = AppState::new(store.clone(), front, &url);
        tokio::spawn(actionhub_server::serve_with(
            listener,
            state,
            config,
            std::future::pending(),
        ));
        let project = store.project("default").await.unwrap();
        let (_, key) = store.create_api_key(&project, "edge").await.unwrap();
        Hub {
            url,
            addr,
            store,
            key: key.expose_secret().to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            _db: db,
        }
    }

    async fn sqlite() -> Hub {
        Hub::start(TestDatabase::sqlite(), NO_FRONT, ServeConfig::default()).await
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .basic_auth(&self.key, Some(""))
    }

    /// Status, headers and JSON body (`Value::Null` when the body is not JSON).
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap();
        (
            status,
            headers,
            serde_json::from_slice(&body).unwrap_or(Value::Null),
        )
    }

    async fn json(&self, method: Method, path: &str, body: &Value) -> (StatusCode, Value) {
        let (status, _, body) = self.send(self.request(method, path).json(body)).await;
        (status, body)
    }

    /// On a connection of its own: the hub closes idle keep-alive connections after the header
    /// timeout, and a pooled one could be reused at the very moment it is closed.
    async fn healthy(&self) {
        let health = reqwest::Client::new()
            .get(format!("{}/healthz", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), StatusCode::OK);
    }
}

/// StackOne's error body with `status`; returns its message.
fn error_message(status: StatusCode, expected: StatusCode, body: &Value) -> String {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["statusCode"], json!(expected.as_u16()), "{body}");
    assert!(body["timestamp"].is_string(), "{body}");
    body["message"].as_str().expect("a message").to_owned()
}

#[tokio::test]
async fn refusals_of_the_http_layer_carry_the_json_error_body() {
    let hub = Hub::sqlite().await;

    // axum's body limit on the form posts, which read raw bytes.
    let huge = "a".repeat(3 * 1024 * 1024);
    for path in ["/link", "/dashboard/sign-in", "/dashboard/sign-out"] {
        let (status, _, body) = hub
            .send(
                hub.http
                    .post(format!("{}{path}", hub.url))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(huge.clone()),
            )
            .await;
        error_message(status, StatusCode::PAYLOAD_TOO_LARGE, &body);
    }

    // Invalid UTF-8 in a path segment, on API and page routes alike.
    for path in [
        "/accounts/%FF%FE",
        "/connectors/%FF/guides/link-account/api-token",
        "/assets/%C3%28",
    ] {
        let (status, _, body) = hub.send(hub.request(Method::GET, path)).await;
        let message = error_message(status, StatusCode::BAD_REQUEST, &body);
        assert!(!message.contains('\u{FFFD}'), "{message}");
    }

    let (status, _, body) = hub
        .send(hub.request(Method::GET, "/assets/nothing.js"))
        .await;
    error_message(status, StatusCode::NOT_FOUND, &body);

    let (status, headers, body) = hub.send(hub.request(Method::DELETE, "/actions")).await;
    error_message(status, StatusCode::METHOD_NOT_ALLOWED, &body);
    assert!(headers.contains_key("allow"));

    // Pages keep their HTML.
    let page = hub
        .http
        .get(format!("{}/link?token=ahs_unknown", hub.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

/// A simulator and a hub with an account linked to it, for `/mcp`.
async fn hub_with_account(
    config: ServeConfig,
    sim: frontsim::SimConfig,
) -> (Hub, frontsim::RunningSim, String) {
    let sim = frontsim::bind(sim, "127.0.0.1:0").await.unwrap();
    let hub = Hub::start(TestDatabase::sqlite(), sim.base_url(), config).await;
    let (status, account) = hub
        .json(
            Method::POST,
            "/accounts",
            &json!({
                "provider": "front",
                "credentials": {"api_token": sim.demo_token().unwrap()},
                "origin_owner_id": "owner-1",
                "origin_owner_name": "Owner One",
            }),
        )
        .await;
    assert!(status.is_success(), "{status}: {account}");
    let id = account["id"].as_str().unwrap().to_owned();
    (hub, sim, id)
}

#[tokio::test]
async fn mcp_answers_json_rpc_errors_with_the_right_codes() {
    let (hub, _sim, account) =
        hub_with_account(ServeConfig::default(), frontsim::SimConfig::unlimited()).await;
    let mcp_as = |body: &str, content_type: &str, accept: &str| {
        hub.request(Method::POST, "/mcp")
            .header("x-account-id", &account)
            .header("accept", accept)
            .header("content-type", content_type)
            .body(body.to_owned())
    };
    let mcp = |body: &str| {
        mcp_as(
            body,
            "application/json",
            "application/json, text/event-stream",
        )
    };
    let expect = |answer: (StatusCode, reqwest::header::HeaderMap, Value), status, code: i64| {
        let (got, headers, body) = answer;
        assert_eq!(got, status, "{body}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{headers:?}"
        );
        assert_eq!(body["jsonrpc"], "2.0", "{body}");
        assert_eq!(body["error"]["code"], json!(code), "{body}");
        assert!(body["error"]["message"].is_string(), "{body}");
        body
    };

    expect(
        hub.send(mcp("{\"jsonrpc\": ")).await,
        StatusCode::BAD_REQUEST,
        -32700,
    );
    expect(
        hub.send(mcp("{\"hello\": 1}")).await,
        StatusCode::BAD_REQUEST,
        -32600,
    );
    expect(
        hub.send(mcp("\"tools/list\"")).await,
        StatusCode::BAD_REQUEST,
        -32600,
    );
    expect(
        hub.send(mcp(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#))
            .await,
        StatusCode::BAD_REQUEST,
        -32600,
    );
    let unknown = r#"{"jsonrpc":"2.0","id":7,"method":"tools/frobnicate","params":{}}"#;
    let (status, headers, body) = hub.send(mcp(unknown)).await;
    assert_eq!(body["id"], 7, "{body}");
    expect((status, headers, body), status, -32601);
    for wrong in [
        r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":"front_list_tags"}"#,
        r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":42}}"#,
        r#"{"jsonrpc":"2.0","id":8,"method":"tools/list","params":[1,2]}"#,
    ] {
        let (status, headers, body) = hub.send(mcp(wrong)).await;
        assert_eq!(body["id"], 8, "{body}");
        expect((status, headers, body), status, -32602);
    }

    // Transport-level refusals that rmcp answers in plain text.
    let valid = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    expect(
        hub.send(mcp_as(valid, "text/plain", "application/json"))
            .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        -32600,
    );
    expect(
        hub.send(mcp(valid).header("origin", "https://evil.example"))
            .await,
        StatusCode::FORBIDDEN,
        -32000,
    );
    expect(
        hub.send(mcp_as(valid, "application/json", "text/html"))
            .await,
        StatusCode::NOT_ACCEPTABLE,
        -32000,
    );
    // And the same request, unrefused, still works.
    let (status, _, body) = hub.send(mcp(valid)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["result"]["tools"].is_array(), "{body}");
}

/// Every way a NUL can reach the store is refused with 400 naming the field.
async fn nul_is_refused_at_the_edge(db: TestDatabase) {
    let hub = Hub::start(db, NO_FRONT, ServeConfig::default()).await;
    let owner = json!({"origin_owner_id": "o\u{0}1", "origin_owner_name": "Owner"});
    let refusals: Vec<(Method, &str, Option<Value>, &str)> = vec![
        (
            Method::POST,
            "/accounts",
            Some(
                json!({"provider": "front", "credentials": {"api_token": "t"},
                        "origin_owner_id": "o", "origin_owner_name": "N\u{0}"}),
            ),
            "origin_owner_name",
        ),
        (
            Method::POST,
            "/connect_sessions",
            Some(owner.clone()),
            "origin_owner_id",
        ),
        (
            Method::POST,
            "/connect_sessions",
            Some(json!({"origin_owner_id": "o", "origin_owner_name": "n",
                        "metadata": {"k": ["x", "y\u{0}"]}})),
            "metadata.k[1]",
        ),
        (
            Method::PATCH,
            "/accounts/acc_1",
            Some(json!({"label": "l\u{0}"})),
            "label",
        ),
        (Method::GET, "/accounts/acc%00x", None, "id"),
        (Method::DELETE, "/accounts/%00", None, "id"),
        (
            Method::GET,
            "/accounts?origin_owner_id=a%00b",
            None,
            "origin_owner_id",
        ),
        (Method::GET, "/runs?account_id=%00", None, "account_id"),
        (
            Method::POST,
            "/actions/rpc",
            Some(json!({"action": "front_list_tags\u{0}"})),
            "action",
        ),
        (
            Method::POST,
            "/actions/rpc",
            Some(json!({"action": "front_list_tags", "headers": {"x-account-id": "a\u{0}"}})),
            "headers.x-account-id",
        ),
    ];
    for (method, path, body, field) in refusals {
        let mut request = hub.request(method.clone(), path);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let (status, _, answer) = hub.send(request).await;
        let message = error_message(status, StatusCode::BAD_REQUEST, &answer);
        assert!(
            message.contains(&format!("`{field}`")) && message.contains("NUL"),
            "{method} {path}: {message}"
        );
    }

    // The Hub API, under a live connect session.
    let (status, session) = hub
        .json(
            Method::POST,
            "/connect_sessions",
            &json!({"origin_owner_id": "o", "origin_owner_name": "n"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap();
    for (method, path) in [
        (Method::POST, "/hub/accounts"),
        (Method::PATCH, "/hub/accounts/acc_1"),
    ] {
        let (status, _, answer) = hub
            .send(
                hub.http
                    .request(method, format!("{}{path}", hub.url))
                    .header("x-hub-session-token", token)
                    .json(&json!({"credentials": {"api_token": "t\u{0}"}})),
            )
            .await;
        let message = error_message(status, StatusCode::BAD_REQUEST, &answer);
        assert!(message.contains("`credentials.api_token`"), "{message}");
        assert!(!message.contains("t\u{0}"), "{message}");
    }
    let (status, _, answer) = hub
        .send(
            hub.http
                .get(format!("{}/hub/connectors/fr%00nt", hub.url))
                .header("x-hub-session-token", token),
        )
        .await;
    error_message(status, StatusCode::BAD_REQUEST, &answer);

    // MCP's account id in the query.
    let (status, _, answer) = hub
        .send(
            hub.request(Method::POST, "/mcp?x-account-id=acc%00")
                .header("content-type", "application/json")
                .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`x-account-id`"),
        "{answer}"
    );

    // The store never saw any of it, and answers as before.
    hub.healthy().await;
    let (status, listed) = hub
        .json(Method::GET, "/accounts?origin_owner_id=o", &Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let project = hub.store.project("default").await.unwrap();
    assert!(
        hub.store
            .list_accounts(&project.id, &actionhub_store::AccountFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn nul_is_refused_at_the_edge_on_sqlite() {
    nul_is_refused_at_the_edge(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn nul_is_refused_at_the_edge_on_postgres() {
    nul_is_refused_at_the_edge(TestDatabase::postgres().await).await;
}

/// Reads from `stream` until the hub closes it (or resets it); false if it stays open.
async fn closed_by_the_hub(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(PATIENCE, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // Whatever the hub says before closing (e.g. a 408) is fine.
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn slow_clients_are_timed_out_while_the_hub_keeps_answering() {
    let config = ServeConfig {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        ..ServeConfig::default()
    };
    let hub = Hub::start(TestDatabase::sqlite(), NO_FRONT, config).await;

    // Three hundred connections that never finish their headers: half send a beginning, half
    // nothing at all.
    let mut stalled = Vec::new();
    for index in 0..300 {
        let mut stream = TcpStream::connect(&hub.addr).await.unwrap();
        if index % 2 == 0 {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Slow: ")
                .await
                .unwrap();
        }
        stalled.push(stream);
    }
    hub.healthy().await;
    for stream in &mut stalled {
        assert!(
            closed_by_the_hub(stream).await,
            "a stalled connection stayed open"
        );
    }
    hub.healthy().await;

    // A body that stops arriving is answered 408 with the JSON body.
    let mut stream = TcpStream::connect(&hub.addr).await.unwrap();
    let head = format!(
        "POST /connect_sessions HTTP/1.1\r\nHost: hub\r\nAuthorization: Basic {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"origin",
        base64_basic(&hub.key)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the stalled body was never answered");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap_or_default())
        .unwrap_or_else(|_| panic!("{answer}"));
    error_message(
        StatusCode::REQUEST_TIMEOUT,
        StatusCode::REQUEST_TIMEOUT,
        &body,
    );
    hub.healthy().await;
}

/// `Basic` credentials for an API key (the key as username, no password).
fn base64_basic(key: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
}

#[tokio::test]
async fn a_request_past_the_request_timeout_gets_the_json_body() {
    let config = ServeConfig {
        request_timeout: Duration::from_secs(1),
        ..ServeConfig::default()
    };
    let sim = frontsim::SimConfig {
        latency_ms: 5_000,
        ..frontsim::SimConfig::unlimited()
    };
    let sim = frontsim::bind(sim, "127.0.0.1:0").await.unwrap();
    let hub = Hub::start(TestDatabase::sqlite(), sim.base_url(), config).await;
    // Linking asks Front who the token belongs to; Front takes longer than the hub waits.
    let (status, body) = hub
        .json(
            Method::POST,
            "/accounts",
            &json!({"provider": "front", "credentials": {"api_token": sim.demo_token().unwrap()},
                    "origin_owner_id": "o", "origin_owner_name": "n"}),
        )
        .await;
    error_message(status, StatusCode::SERVICE_UNAVAILABLE, &body);
    hub.healthy().await;
}

/// The value of `name="csrf"` in a page's first form.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\"").expect("a CSRF field");
    let value = &html[at..];
    let start = value.find("value=\"").unwrap() + "value=\"".len();
    value[start..start + value[start..].find('"').unwrap()].to_owned()
}

/// `name=value` of the first `Set-Cookie` header for cookie `name`.
fn cookie_of(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .and_then(|value| value.split(';').next())
        .expect("the cookie")
        .to_owned()
}

impl Hub {
    /// A dashboard form posted with `cookie`.
    async fn form(&self, path: &str, cookie: &str, body: String) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// A dashboard page fetched with `cookie`.
    async fn page(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    /// Signs in to the dashboard with the hub's key, as a browser does; returns the session
    /// cookie (`name=value`).
    async fn sign_in(&self) -> String {
        let sign_in_page = self
            .http
            .get(format!("{}/dashboard/sign-in", self.url))
            .send()
            .await
            .unwrap();
        let pre_session = cookie_of(&sign_in_page, "actionhub_sign_in");
        let csrf = csrf_of(&sign_in_page.text().await.unwrap());
        let signed_in = self
            .form(
                "/dashboard/sign-in",
                &pre_session,
                format!("api_key={}&csrf={csrf}", self.key),
            )
            .await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        cookie_of(&signed_in, "actionhub_session")
    }
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_hub() {
    let hub = Hub::sqlite().await;
    let session = hub.sign_in().await;
    let page = hub.page("/dashboard", &session).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = csrf_of(&page.text().await.unwrap());

    let signed_out = hub
        .form("/dashboard/sign-out", &session, format!("csrf={csrf}"))
        .await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);

    // The old cookie, replayed, opens nothing, and its CSRF token acts on nothing.
    let page = hub.page("/dashboard", &session).await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/dashboard/sign-in");
    let link = hub
        .form(
            "/dashboard/connect-links",
            &session,
            format!("owner_id=o&owner_name=n&csrf={csrf}"),
        )
        .await;
    assert_eq!(link.status(), StatusCode::SEE_OTHER);
    assert_eq!(link.headers()["location"], "/dashboard/sign-in");
    let project = hub.store.project("default").await.unwrap();
    assert!(
        hub.store
            .list_accounts(&project.id, &actionhub_store::AccountFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_webhooks_page_shows_endpoints_and_deliveries_and_retries_one() {
    let hub = Hub::sqlite().await;
    let project = hub.store.project("default").await.unwrap();
    let endpoint = hub
        .store
        .create_endpoint(
            &project.id,
            &NewEndpoint {
                url: "https://hooks.example.com/in".into(),
                event_types: vec!["account.*".into()],
                account_ids: None,
                description: Some("CRM sync".into()),
            },
            &SecretString::from("whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="),
        )
        .await
        .unwrap();
    // Linking queues `account.created` for the endpoint; no worker runs here, so this test
    // plays the worker: one attempt that fails for good and, failing for longer than zero
    // seconds, disables the endpoint.
    hub.store
        .save_account(
            &project.id,
            NewAccount {
                provider: "front".into(),
                origin_owner_id: "o".into(),
                origin_owner_name: "n".into(),
                origin_username: None,
                label: None,
                metadata: None,
                allowed_actions: None,
                provider_account_id: "cmp_1".into(),
                provider_account_name: "One".into(),
                credentials: vec![("api_token".into(), SecretString::from("front-token"))],
                target: LinkTarget::Owner,
                session_id: None,
            },
        )
        .await
        .unwrap();
    let claimed = hub
        .store
        .claim_deliveries("edge-test", 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "{claimed:?}");
    let attempt = AttemptRecord {
        attempted_at: Timestamp::now(),
        status_code: Some(500),
        latency_ms: 12,
        error_kind: Some("status".into()),
        excerpt: None,
    };
    hub.store
        .record_attempt(
            &claimed[0],
            &attempt,
            AttemptOutcome::Failed,
            Duration::ZERO,
        )
        .await
        .unwrap();
    let delivery_status = || async {
        hub.store
            .list_deliveries(&project.id, &endpoint.id, 10)
            .await
            .unwrap()[0]
            .status
            .clone()
    };
    assert_eq!(delivery_status().await, "failed");

    // Signed out: the page and its form lead to the sign-in.
    let retry_path = format!(
        "/dashboard/webhooks/{}/deliveries/{}/retry",
        endpoint.id, claimed[0].id
    );
    let anonymous = hub.page("/dashboard/webhooks", "").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()["location"], "/dashboard/sign-in");
    let anonymous = hub.form(&retry_path, "", "csrf=x".into()).await;
    assert_eq!(anonymous.headers()["location"], "/dashboard/sign-in");

    let session = hub.sign_in().await;
    let page = hub.page("/dashboard/webhooks", &session).await;
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let html = page.text().await.unwrap();
    for shown in [
        "https://hooks.example.com/in",
        "CRM sync",
        "account.*",
        "status-disabled",
        "account.created",
        "status-failed",
        "HTTP 500",
        retry_path.as_str(),
    ] {
        assert!(html.contains(shown), "`{shown}` is not on the page: {html}");
    }
    assert!(!html.contains("whsec_"), "a signing secret is on the page");

    // A retry without the session's CSRF token (another site's form) changes nothing.
    let forged = hub.form(&retry_path, &session, "csrf=forged".into()).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(delivery_status().await, "failed");

    let retried = hub
        .form(&retry_path, &session, format!("csrf={}", csrf_of(&html)))
        .await;
    assert_eq!(retried.status(), StatusCode::SEE_OTHER);
    assert_eq!(retried.headers()["location"], "/dashboard/webhooks");
    assert_eq!(delivery_status().await, "pending");
}

#[tokio::test]
async fn answers_that_carry_a_secret_are_never_stored() {
    let hub = Hub::sqlite().await;
    let (status, headers, session) = hub
        .send(
            hub.request(Method::POST, "/connect_sessions")
                .json(&json!({"origin_owner_id": "o", "origin_owner_name": "n"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(headers["cache-control"], "no-store");
    let (status, headers, body) = hub
        .send(
            hub.request(Method::POST, "/connect_sessions/authenticate")
                .json(&json!({"token": session["token"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn the_link_page_tells_only_the_developers_origin() {
    let hub = Hub::sqlite().await;
    let script = hub
        .http
        .get(format!("{}/assets/link.js", hub.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!script.contains("postMessage(message, \"*\")"), "{script}");
    let (_, session) = hub
        .json(
            Method::POST,
            "/connect_sessions",
            &json!({"origin_owner_id": "o", "origin_owner_name": "n",
                    "redirect_url": "https://app.example.com/linked?x=1"}),
        )
        .await;
    let page = hub
        .http
        .get(session["auth_link_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-redirect-url=\"https://app.example.com/linked?x=1\""),
        "the script reads the origin from the form"
    );
}

#[tokio::test]
async fn huge_values_are_never_quoted_back_whole() {
    let (hub, _sim, account) =
        hub_with_account(ServeConfig::default(), frontsim::SimConfig::unlimited()).await;
    let long = "z".repeat(200);
    let huge = "z".repeat(4_000);

    let (status, _, body) = hub
        .send(hub.request(Method::GET, &format!("/accounts/{long}")))
        .await;
    let message = error_message(status, StatusCode::NOT_FOUND, &body);
    assert!(message.len() < 150, "{message}");
    let (status, _, body) = hub
        .send(hub.request(Method::GET, &format!("/accounts/{huge}")))
        .await;
    let message = error_message(status, StatusCode::BAD_REQUEST, &body);
    assert!(!message.contains(&long), "{message}");

    let mcp = |account: &str, body: String| {
        hub.request(Method::POST, "/mcp")
            .header("x-account-id", account)
            .header("content-type", "application/json")
            .body(body)
    };
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.to_owned();
    let (status, _, body) = hub.send(mcp(&huge, list)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.len() < 200, "{message}");
    let unknown = json!({"jsonrpc": "2.0", "id": 2, "method": huge}).to_string();
    let (_, _, body) = hub.send(mcp(&account, unknown)).await;
    assert_eq!(body["error"]["code"], -32601, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.len() < 200, "{message}");
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                      "params": {"name": huge, "arguments": {}}})
    .to_string();
    let (_, _, body) = hub.send(mcp(&account, call)).await;
    let text = body["result"]["content"][0]["text"].as_str().unwrap();
    assert!(!text.contains(&long), "{text}");
}

#[tokio::test]
async fn connections_beyond_the_bound_wait_for_a_free_slot() {
    let config = ServeConfig {
        header_timeout: Duration::from_secs(120),
        max_connections: 2,
        ..ServeConfig::default()
    };
    let hub = Hub::start(TestDatabase::sqlite(), NO_FRONT, config).await;
    let first = TcpStream::connect(&hub.addr).await.unwrap();
    let _second = TcpStream::connect(&hub.addr).await.unwrap();
    let health = tokio::spawn(hub.http.get(format!("{}/healthz", hub.url)).send());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !health.is_finished(),
        "a third connection was served beside two"
    );
    // A slot frees up when a connection ends; the waiting client is served then.
    drop(first);
    let answer = tokio::time::timeout(PATIENCE, health)
        .await
        .expect("the waiting client was never served")
        .unwrap()
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}
