//! The HTTP API end to end: a hub in-process on a random port, on a temporary SQLite database,
//! talking to the Front simulator.

mod common;

use std::time::Duration;

use actionhub_store::Store;
use actionhub_testkit::TestDatabase;
use common::serve_hub;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::net::TcpListener;

struct Hub {
    url: String,
    store: Store,
    front_token: String,
    http: reqwest::Client,
    _sim: frontsim::RunningSim,
    _db: TestDatabase,
}

impl Hub {
    async fn start() -> Hub {
        let sim = frontsim::bind(frontsim::SimConfig::unlimited(), "127.0.0.1:0")
            .await
            .expect("start the simulator");
        Hub::start_with_front(sim.base_url().to_owned(), sim).await
    }

    async fn start_with_front(front_url: String, sim: frontsim::RunningSim) -> Hub {
        let served = serve_hub(&front_url).await;
        Hub {
            url: served.url,
            store: served.store,
            front_token: sim.demo_token().unwrap().to_owned(),
            http: reqwest::Client::new(),
            _sim: sim,
            _db: served.db,
        }
    }

    async fn key(&self, project: &str) -> String {
        let project = self.store.project(project).await.unwrap();
        let (_, key) = self.store.create_api_key(&project, "test").await.unwrap();
        key.expose_secret().to_owned()
    }

    /// Sends a request with `key` (if any) and a raw body; returns the status and JSON body.
    async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(key) = key {
            request = request.basic_auth(key, Some(""));
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        self.send(path, request).await
    }

    /// Sends a request and reads its JSON answer, which must never contain the Front token.
    async fn send(&self, path: &str, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(&self.front_token),
            "a response contains the Front token: {text}"
        );
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{path} answered non-JSON: {text:?}"));
        (status, value)
    }

    async fn hub_link(&self, session_token: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/hub/accounts", self.url))
            .header("x-hub-session-token", session_token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    fn link_body(&self, owner: &str) -> Value {
        json!({
            "provider": "front",
            "credentials": {"api_token": self.front_token},
            "origin_owner_id": owner,
            "origin_owner_name": format!("{owner} Inc"),
        })
    }

    async fn link(&self, key: &str, owner: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                "/accounts",
                Some(key),
                Some(&self.link_body(owner).to_string()),
            )
            .await;
        assert!(status.is_success(), "{status}: {body}");
        body
    }

    async fn session(&self, key: &str, extra: Value) -> Value {
        let mut body =
            json!({"origin_owner_id": "customer-1", "origin_owner_name": "Customer One"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let (status, session) = self
            .call(
                Method::POST,
                "/connect_sessions",
                Some(key),
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{session}");
        session
    }

    /// Everything a project can see, to compare before and after a failed request.
    async fn snapshot(&self, key: &str) -> Value {
        let (status, accounts) = self
            .call(Method::GET, "/accounts?page_size=100", Some(key), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        accounts
    }
}

/// One bad request: method, path, API key, body, expected status, fragment of the message.
type Case<'a> = (
    Method,
    &'a str,
    Option<&'a str>,
    Option<String>,
    StatusCode,
    &'a str,
);

fn assert_error_body(status: StatusCode, body: &Value) {
    assert_eq!(body["statusCode"], json!(status.as_u16()), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{body}"
    );
}

#[tokio::test]
async fn linking_verifies_with_front_and_relinking_keeps_the_id() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let (status, account) = hub
        .call(
            Method::POST,
            "/accounts",
            Some(&key),
            Some(
                &json!({
                    "provider": "front",
                    "credentials": {"api_token": format!("  {}\n", hub.front_token)},
                    "origin_owner_id": "customer-1",
                    "origin_owner_name": "Customer One",
                    "label": "Support",
                    "metadata": {"plan": "pro"},
                    "allowed_actions": ["front_list_tags", "front_get_tag", "front_list_tags"],
                })
                .to_string(),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let id = account["id"].as_str().unwrap().to_owned();
    assert_eq!(account["provider"], "front");
    assert_eq!(account["provider_name"], "Front");
    assert_eq!(account["status"], "active");
    assert_eq!(account["status_reasons"], json!([]));
    assert_eq!(account["label"], "Support");
    assert_eq!(account["metadata"], json!({"plan": "pro"}));
    assert!(
        account["provider_account"]["id"]
            .as_str()
            .unwrap()
            .starts_with("cmp_")
    );
    assert!(account.get("credentials").is_none());
    let allowed = account["allowed_actions"].as_array().unwrap();
    assert_eq!(allowed.len(), 2, "deduplicated: {allowed:?}");

    let (status, again) = hub
        .call(
            Method::POST,
            "/accounts",
            Some(&key),
            Some(&hub.link_body("customer-1").to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], json!(id), "relinking keeps the id");
    assert_eq!(again["label"], "Support");

    let (status, shown) = hub
        .call(Method::GET, &format!("/accounts/{id}"), Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["id"], json!(id));
    let (_, list) = hub.call(Method::GET, "/accounts", Some(&key), None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, filtered) = hub
        .call(
            Method::GET,
            "/accounts?providers[]=front&status[]=active&origin_owner_id=customer-1",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    let (_, none) = hub
        .call(Method::GET, "/accounts?status[]=error", Some(&key), None)
        .await;
    assert_eq!(none, json!([]));

    let (status, patched) = hub
        .call(
            Method::PATCH,
            &format!("/accounts/{id}"),
            Some(&key),
            Some(
                r#"{"label": null, "allowed_actions": null, "origin_username": "jane@acme.test"}"#,
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["label"], Value::Null);
    assert_eq!(patched["allowed_actions"], Value::Null);
    assert_eq!(patched["origin_username"], "jane@acme.test");

    let (status, deleted) = hub
        .call(Method::DELETE, &format!("/accounts/{id}"), Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["id"], json!(id));
    let (status, body) = hub
        .call(Method::GET, &format!("/accounts/{id}"), Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error_body(status, &body);
}

#[tokio::test]
async fn an_unreachable_front_saves_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let sim = frontsim::bind(frontsim::SimConfig::unlimited(), "127.0.0.1:0")
        .await
        .unwrap();
    let hub = Hub::start_with_front(dead, sim).await;
    let key = hub.key("default").await;
    let (status, body) = hub
        .call(
            Method::POST,
            "/accounts",
            Some(&key),
            Some(&hub.link_body("customer-1").to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_error_body(status, &body);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("could not be reached")
    );
    assert_eq!(hub.snapshot(&key).await, json!([]));
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_changes_nothing() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let revoked = hub.key("default").await;
    let account = hub.link(&key, "customer-1").await;
    let id = account["id"].as_str().unwrap().to_owned();
    let spent = hub
        .session(&key, json!({"origin_owner_id": "customer-2"}))
        .await;
    let spent_token = spent["token"].as_str().unwrap().to_owned();
    let (status, _) = hub
        .hub_link(
            &spent_token,
            &json!({"credentials": {"api_token": hub.front_token}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let expired = hub
        .session(
            &key,
            json!({"origin_owner_id": "customer-3", "expires_in": 1}),
        )
        .await;
    let expired_token = expired["token"].as_str().unwrap().to_owned();
    let live = hub
        .session(&key, json!({"origin_owner_id": "customer-4"}))
        .await;
    let live_token = live["token"].as_str().unwrap().to_owned();
    let key_record = hub.store.list_api_keys(None).await.unwrap();
    let revoked_id = key_record
        .iter()
        .find(|k| revoked.starts_with(&k.prefix) && k.revoked_at.is_none())
        .map(|k| k.id.clone())
        .unwrap();
    hub.store.revoke_api_key(&revoked_id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let before = hub.snapshot(&key).await;
    let token = hub.front_token.clone();
    let link = |value: Value| value.to_string();
    let account_path = format!("/accounts/{id}");
    let cases: Vec<Case> = vec![
        (Method::POST, "/accounts", Some(&key), Some(r#"{"provider": "front","#.to_owned()), StatusCode::BAD_REQUEST, "malformed JSON"),
        (Method::POST, "/accounts", Some(&key), Some("[1, 2]".to_owned()), StatusCode::BAD_REQUEST, "JSON object"),
        (Method::POST, "/accounts", Some(&key), None, StatusCode::BAD_REQUEST, "empty"),
        (Method::POST, "/accounts", Some(&key), Some(link(json!({"credentials": {"api_token": token}, "origin_owner_id": "o", "origin_owner_name": "O"}))), StatusCode::BAD_REQUEST, "`provider` is required"),
        (Method::POST, "/accounts", Some(&key), Some(link(json!({"provider": "front", "credentials": {}, "origin_owner_id": "o", "origin_owner_name": "O"}))), StatusCode::BAD_REQUEST, "`credentials.api_token` is required"),
        (Method::POST, "/accounts", Some(&key), Some(link(json!({"provider": "front", "credentials": {"api_token": 42}, "origin_owner_id": "o", "origin_owner_name": "O"}))), StatusCode::BAD_REQUEST, "`credentials.api_token`: expected a string, got an integer"),
        (Method::POST, "/accounts", Some(&key), Some(link(json!({"provider": "front", "credentials": token, "origin_owner_id": "o", "origin_owner_name": "O"}))), StatusCode::BAD_REQUEST, "`credentials`: expected an object, got a string"),
        (Method::POST, "/accounts", Some(&key), Some(link(json!({"provider": "front", "credentials": {"api_token": token}, "origin_owner_id": 7, "origin_owner_name": "O"}))), StatusCode::BAD_REQUEST, "`origin_owner_id`: expected a string"),
        (Method::POST, "/accounts", Some(&key), Some(link(json!({"provider": "slack", "credentials": {"api_token": token}, "origin_owner_id": "o", "origin_owner_name": "O"}))), StatusCode::BAD_REQUEST, "`provider`: unknown provider; this hub supports: front"),
        (Method::POST, "/accounts", Some(&key), Some(link(json!({"provider": "front", "credentials": {"api_token": token}, "origin_owner_id": " ", "origin_owner_name": "O"}))), StatusCode::BAD_REQUEST, "`origin_owner_id` must not be empty"),
        (Method::POST, "/accounts", Some(&key), Some(link(json!({"provider": "front", "credentials": {"api_token": token}, "origin_owner_id": "o", "origin_owner_name": "O", "allowed_actions": ["front_list_tag"]}))), StatusCode::BAD_REQUEST, "did you mean front_list_tags"),
        (Method::POST, "/accounts", Some(&key), Some(link(json!({"provider": "front", "credentials": {"api_token": token}, "origin_owner_id": "o", "origin_owner_name": "O", "colour": "red"}))), StatusCode::BAD_REQUEST, "`colour` is not a known field"),
        (Method::POST, "/accounts", Some(&key), Some(link(json!({"provider": "front", "credentials": {"api_token": "two words"}, "origin_owner_id": "o", "origin_owner_name": "O"}))), StatusCode::BAD_REQUEST, "`credentials.api_token`: the API token is malformed"),
        (Method::POST, "/accounts", Some(&key), Some(link(json!({"provider": "front", "credentials": {"api_token": "wrong-token"}, "origin_owner_id": "customer-1", "origin_owner_name": "O"}))), StatusCode::BAD_REQUEST, "`credentials.api_token`: Front rejected the API token (HTTP 401)"),
        (Method::PATCH, &account_path, Some(&key), Some(r#"{"label": 5}"#.to_owned()), StatusCode::BAD_REQUEST, "`label`: expected a string"),
        (Method::PATCH, &account_path, Some(&key), Some(r#"{"credentials": {"api_token": 42}}"#.to_owned()), StatusCode::BAD_REQUEST, "`credentials.api_token`: expected a string"),
        (Method::PATCH, &account_path, Some(&key), Some(r#"{"credentials": {"api_token": "wrong-token"}, "label": "relinked"}"#.to_owned()), StatusCode::BAD_REQUEST, "`credentials.api_token`: Front rejected the API token (HTTP 401)"),
        (Method::PATCH, &account_path, Some(&key), Some(r#"{"allowed_actions": ["nope"]}"#.to_owned()), StatusCode::BAD_REQUEST, "`allowed_actions`: unknown action `nope`"),
        (Method::PATCH, &account_path, Some(&key), Some(r#"{"provider": "slack"}"#.to_owned()), StatusCode::BAD_REQUEST, "`provider`"),
        (Method::POST, "/connect_sessions", Some(&key), Some(r#"{"origin_owner_id": "o"}"#.to_owned()), StatusCode::BAD_REQUEST, "`origin_owner_name` is required"),
        (Method::POST, "/connect_sessions", Some(&key), Some(r#"{"origin_owner_id": "o", "origin_owner_name": "O", "expires_in": -5}"#.to_owned()), StatusCode::BAD_REQUEST, "`expires_in`"),
        (Method::POST, "/connect_sessions", Some(&key), Some(r#"{"origin_owner_id": "o", "origin_owner_name": "O", "expires_in": 0}"#.to_owned()), StatusCode::BAD_REQUEST, "`expires_in`"),
        (Method::POST, "/connect_sessions", Some(&key), Some(r#"{"origin_owner_id": "o", "origin_owner_name": "O", "actions": ["front_send_mesage"]}"#.to_owned()), StatusCode::BAD_REQUEST, "`actions`: unknown action `front_send_mesage`; did you mean front_send_message"),
        (Method::POST, "/connect_sessions", Some(&key), Some(r#"{"origin_owner_id": "o", "origin_owner_name": "O", "provider": "slack"}"#.to_owned()), StatusCode::BAD_REQUEST, "`provider`: unknown provider"),
        (Method::POST, "/connect_sessions", Some(&key), Some(r#"{"origin_owner_id": "o", "origin_owner_name": "O", "account_id": "acc_missing"}"#.to_owned()), StatusCode::NOT_FOUND, "`account_id`"),
        (Method::POST, "/connect_sessions/authenticate", Some(&key), Some(link(json!({"token": expired_token}))), StatusCode::UNAUTHORIZED, "expired"),
        (Method::POST, "/connect_sessions/authenticate", Some(&key), Some(link(json!({"token": spent_token}))), StatusCode::UNAUTHORIZED, "already been used"),
        (Method::POST, "/connect_sessions/authenticate", Some(&key), Some(r#"{"token": 1}"#.to_owned()), StatusCode::BAD_REQUEST, "`token`: expected a string"),
        (Method::GET, "/accounts?page_size=1000", Some(&key), None, StatusCode::BAD_REQUEST, "`page_size`"),
        (Method::GET, "/accounts?page=0", Some(&key), None, StatusCode::BAD_REQUEST, "`page`"),
        (Method::GET, "/accounts?status[]=weird", Some(&key), None, StatusCode::BAD_REQUEST, "`status[]`"),
        (Method::GET, "/accounts", Some(&revoked), None, StatusCode::UNAUTHORIZED, "revoked"),
        (Method::GET, "/accounts", None, None, StatusCode::UNAUTHORIZED, "Authorization"),
        (Method::GET, "/accounts", Some("ahk_live_unknown"), None, StatusCode::UNAUTHORIZED, "invalid API key"),
        (Method::GET, "/nowhere", Some(&key), None, StatusCode::NOT_FOUND, "no route for GET /nowhere"),
        (Method::PUT, "/accounts", Some(&key), None, StatusCode::METHOD_NOT_ALLOWED, "PUT"),
    ];
    for (method, path, key, body, expected, fragment) in cases {
        let (status, answer) = hub.call(method.clone(), path, key, body.as_deref()).await;
        assert_eq!(status, expected, "{method} {path} {body:?}: {answer}");
        assert_error_body(status, &answer);
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.contains(fragment),
            "{method} {path}: {message:?} lacks {fragment:?}"
        );
        assert!(!message.contains(&hub.front_token));
    }
    // Hub route: header problems and ended sessions.
    let good = json!({"credentials": {"api_token": hub.front_token}});
    for (token, fragment) in [
        (expired_token.as_str(), "expired"),
        (spent_token.as_str(), "already been used"),
        ("ahs_unknown", "unknown connect session token"),
    ] {
        let (status, answer) = hub.hub_link(token, &good).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert_error_body(status, &answer);
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.contains("x-hub-session-token") && message.contains(fragment),
            "{message}"
        );
    }
    let (status, answer) = hub
        .hub_link(
            &live_token,
            &json!({"credentials": {"api_token": "wrong-token"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, answer) = hub
        .hub_link(
            &live_token,
            &json!({"integration_id": "slack", "credentials": {"api_token": hub.front_token}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("`integration_id`")
    );

    assert_eq!(hub.snapshot(&key).await, before, "nothing stored changed");
    // The failed Hub linkings did not spend the live session.
    hub.store
        .session_by_token(&live_token, None)
        .await
        .expect("the session is still usable");
}

#[tokio::test]
async fn a_connect_session_links_once_through_the_hub() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let session = hub
        .session(
            &key,
            json!({
                "label": "From the Hub",
                "metadata": {"plan": "pro"},
                "actions": ["front_list_tags"],
                "categories": ["ticketing"],
            }),
        )
        .await;
    let token = session["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ahs_"));
    assert_eq!(
        session["auth_link_url"],
        json!(format!("{}/link?token={token}", hub.url))
    );
    assert_eq!(session["origin_owner_id"], "customer-1");
    assert_eq!(session["provider"], "front");
    assert!(session["id"].is_u64());
    assert!(session["expires_at"].is_string());

    let (status, authenticated) = hub
        .call(
            Method::POST,
            "/connect_sessions/authenticate",
            Some(&key),
            Some(&json!({"token": token}).to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{authenticated}");
    assert_eq!(authenticated["id"], session["id"]);
    assert!(authenticated.get("token").is_none());

    let (status, linked) = hub
        .hub_link(
            &token,
            &json!({"integration_id": "front", "credentials": {"api_token": hub.front_token}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{linked}");
    assert_eq!(linked["provider"], "front");
    let id = linked["id"].as_str().unwrap().to_owned();
    let (_, account) = hub
        .call(Method::GET, &format!("/accounts/{id}"), Some(&key), None)
        .await;
    assert_eq!(account["origin_owner_id"], "customer-1");
    assert_eq!(account["label"], "From the Hub");
    assert_eq!(account["metadata"], json!({"plan": "pro"}));
    assert_eq!(account["allowed_actions"], json!(["front_list_tags"]));

    let (status, _) = hub
        .hub_link(
            &token,
            &json!({"credentials": {"api_token": hub.front_token}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a session links once");

    // Edit mode relinks the same account.
    let edit = hub
        .session(
            &key,
            json!({"origin_owner_id": "someone-else", "account_id": id}),
        )
        .await;
    let (status, relinked) = hub
        .hub_link(
            edit["token"].as_str().unwrap(),
            &json!({"credentials": {"api_token": hub.front_token}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{relinked}");
    assert_eq!(relinked["id"], json!(id));
    let (_, list) = hub.call(Method::GET, "/accounts", Some(&key), None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn one_project_cannot_touch_another() {
    let hub = Hub::start().await;
    let key_a = hub.key("project-a").await;
    let key_b = hub.key("project-b").await;
    let theirs = hub.link(&key_b, "customer-b").await;
    let id = theirs["id"].as_str().unwrap();
    let session_b = hub.session(&key_b, json!({})).await;
    let path = format!("/accounts/{id}");

    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(r#"{"label": "mine now"}"#)),
        (Method::DELETE, None),
    ] {
        let (status, answer) = hub.call(method.clone(), &path, Some(&key_a), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}: {answer}");
        assert_error_body(status, &answer);
    }
    let (_, mine) = hub.call(Method::GET, "/accounts", Some(&key_a), None).await;
    assert_eq!(mine, json!([]));
    let (status, _) = hub
        .call(
            Method::POST,
            "/connect_sessions/authenticate",
            Some(&key_a),
            Some(&json!({"token": session_b["token"]}).to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = hub
        .call(
            Method::POST,
            "/connect_sessions",
            Some(&key_a),
            Some(
                &json!({"origin_owner_id": "x", "origin_owner_name": "X", "account_id": id})
                    .to_string(),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, still) = hub.call(Method::GET, &path, Some(&key_b), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(still, theirs, "project B's account is untouched");
}

#[tokio::test]
async fn health_answers() {
    let hub = Hub::start().await;
    let (status, body) = hub.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));
}

impl Hub {
    /// A Hub API call with a connect-session token.
    async fn hub_call(
        &self,
        method: Method,
        path: &str,
        session: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("x-hub-session-token", session);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(path, request).await
    }
}

#[tokio::test]
async fn the_hub_api_describes_the_connector_and_the_session() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let session = hub.session(&key, json!({})).await;
    let token = session["token"].as_str().unwrap();

    let (status, settings) = hub
        .hub_call(Method::GET, "/hub/settings", token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["existing_account_id"], Value::Null);
    let (status, connectors) = hub
        .hub_call(Method::GET, "/hub/connectors", token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(connectors["integrations"][0]["provider"], "front");
    let (status, config) = hub
        .hub_call(Method::GET, "/hub/connectors/front", token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let field = &config["config"]["configFields"][0];
    assert_eq!(field["key"], "api_token");
    assert_eq!(field["label"], "API Token");
    assert_eq!(field["secret"], true);
    let (status, _) = hub
        .hub_call(Method::GET, "/hub/connectors/slack", token, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = hub
        .hub_call(Method::GET, "/hub/settings", "ahs_nope", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error_body(status, &body);
}

#[tokio::test]
async fn an_edit_mode_session_shows_and_relinks_only_its_account() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "owner-edit").await;
    let other = hub.link(&key, "owner-other").await;
    let id = account["id"].as_str().unwrap();
    let session = hub.session(&key, json!({"account_id": id})).await;
    let token = session["token"].as_str().unwrap();

    let (status, shown) = hub
        .hub_call(Method::GET, &format!("/hub/accounts/{id}"), token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["secureId"], id);
    assert_eq!(shown["secrets"]["api_token"], "__secretvalue:**redacted**");
    let other_path = format!("/hub/accounts/{}", other["id"].as_str().unwrap());
    let (status, _) = hub.hub_call(Method::GET, &other_path, token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let bad = json!({"credentials": {"api_token": "not-a-token"}});
    let (status, refused) = hub
        .hub_call(
            Method::PATCH,
            &format!("/hub/accounts/{id}"),
            token,
            Some(bad),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("Front rejected this token"),
        "{refused}"
    );
    let good = json!({"credentials": {"api_token": hub.front_token}});
    let (status, relinked) = hub
        .hub_call(
            Method::PATCH,
            &format!("/hub/accounts/{id}"),
            token,
            Some(good),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{relinked}");
    assert_eq!(relinked["id"], id);
    assert!(
        relinked["company_name"]
            .as_str()
            .is_some_and(|name| !name.is_empty())
    );
    let (status, _) = hub
        .hub_call(Method::GET, "/hub/settings", token, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the session is spent");
}

#[tokio::test]
async fn pages_carry_a_strict_policy_and_need_their_token_or_sign_in() {
    let hub = Hub::start().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| http.get(format!("{}{path}", hub.url)).send();

    let guide = get("/connectors/front/guides/link-account/api-token?actions=front_get_tag")
        .await
        .unwrap();
    assert_eq!(guide.status(), StatusCode::OK);
    let policy = guide.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    assert_eq!(guide.headers()["x-content-type-options"], "nosniff");
    assert_eq!(guide.headers()["cache-control"], "no-store");
    assert!(guide.text().await.unwrap().contains("tags:read"));

    assert_eq!(
        get("/connectors/slack/guides/link-account/api-token")
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let css = get("/assets/hub.css").await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        get("/assets/nothing.js").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    assert_eq!(get("/link").await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get("/link?token=ahs_unknown").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let dashboard = get("/dashboard").await.unwrap();
    assert_eq!(dashboard.status(), StatusCode::SEE_OTHER);
    assert_eq!(dashboard.headers()["location"], "/dashboard/sign-in");
    let sign_in = get("/dashboard/sign-in").await.unwrap();
    let policy = sign_in.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let cookie = sign_in.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // A sign-in form without its cookie (another site's form) is refused.
    let key = hub.key("default").await;
    let forged = http
        .post(format!("{}/dashboard/sign-in", hub.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("api_key={key}&csrf=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(
        forged
            .headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap().starts_with("actionhub_session=v1"))
    );
}
