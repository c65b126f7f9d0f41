//! What StackOne's own clients need beyond the API's core: CORS for the Hub component embedded
//! on another origin (and for the platform API when the operator lists origins), every field
//! StackOne documents for connect sessions, accounts' meta, and relinking that keeps the saved
//! token (the Hub component's edit mode).

mod common;

use actionhub_engine::FrontClient;
use actionhub_server::{CorsOrigin, ServeConfig};
use actionhub_testkit::TestDatabase;
use common::{Served, serve_hub_with};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;

/// The embedding app's origin.
const APP_ORIGIN: &str = "https://app.example";

struct Hub {
    served: Served,
    http: reqwest::Client,
    sim: frontsim::RunningSim,
}

impl Hub {
    async fn start(config: ServeConfig) -> Hub {
        let sim = frontsim::bind(frontsim::SimConfig::unlimited(), "127.0.0.1:0")
            .await
            .expect("start the simulator");
        let front = FrontClient::new(Some(sim.base_url())).unwrap();
        let served = serve_hub_with(TestDatabase::sqlite(), front, config).await;
        Hub {
            served,
            http: reqwest::Client::new(),
            sim,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.served.url)
    }

    async fn key(&self) -> String {
        let project = self.served.store.project("default").await.unwrap();
        let (_, key) = self
            .served
            .store
            .create_api_key(&project, "compat")
            .await
            .unwrap();
        key.expose_secret().to_owned()
    }

    /// A browser's preflight from [`APP_ORIGIN`] for `method` on `path` with `headers`.
    async fn preflight(&self, path: &str, method: &str, headers: &str) -> (StatusCode, HeaderMap) {
        let response = self
            .http
            .request(Method::OPTIONS, self.url(path))
            .header("origin", APP_ORIGIN)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", headers)
            .send()
            .await
            .unwrap();
        (response.status(), response.headers().clone())
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(HeaderValue::to_str)
        .and_then(Result::ok)
        .unwrap_or_default()
}

fn lists(value: &str, item: &str) -> bool {
    value
        .split(',')
        .any(|listed| listed.trim().eq_ignore_ascii_case(item))
}

#[tokio::test]
async fn the_hub_api_answers_pages_on_any_origin() {
    let hub = Hub::start(ServeConfig::default()).await;
    let (status, headers) = hub
        .preflight(
            "/hub/accounts",
            "PATCH",
            "content-type,x-hub-session-token,x-hub-version",
        )
        .await;
    assert!(status.is_success(), "preflight answered {status}");
    assert_eq!(header(&headers, "access-control-allow-origin"), "*");
    let methods = header(&headers, "access-control-allow-methods");
    for method in ["GET", "POST", "PATCH", "OPTIONS"] {
        assert!(lists(methods, method), "{method} missing from {methods}");
    }
    let allowed = header(&headers, "access-control-allow-headers");
    for name in ["content-type", "x-hub-session-token", "x-hub-version"] {
        assert!(lists(allowed, name), "{name} missing from {allowed}");
    }
    assert!(headers.get("access-control-allow-credentials").is_none());

    // The answers themselves carry it too, refusals included (a browser hides an answer
    // without it from the page).
    let response = hub
        .http
        .get(hub.url("/hub/settings"))
        .header("origin", APP_ORIGIN)
        .header("x-hub-session-token", "ahs_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        "*"
    );
    let key = hub.key().await;
    let session: serde_json::Value = hub
        .http
        .post(hub.url("/connect_sessions"))
        .basic_auth(&key, Some(""))
        .json(&serde_json::json!({"origin_owner_id": "o-1", "origin_owner_name": "O One"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = hub
        .http
        .get(hub.url("/hub/settings"))
        .header("origin", APP_ORIGIN)
        .header("x-hub-session-token", session["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        "*"
    );
}

#[tokio::test]
async fn the_platform_api_is_same_origin_unless_origins_are_listed() {
    let closed = Hub::start(ServeConfig::default()).await;
    let (_, headers) = closed.preflight("/accounts", "GET", "authorization").await;
    assert!(headers.get("access-control-allow-origin").is_none());
    let key = closed.key().await;
    let response = closed
        .http
        .get(closed.url("/accounts"))
        .basic_auth(&key, Some(""))
        .header("origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let config = ServeConfig {
        cors_origins: vec![APP_ORIGIN.parse::<CorsOrigin>().unwrap()],
        ..ServeConfig::default()
    };
    let open = Hub::start(config).await;
    let (status, headers) = open
        .preflight("/accounts", "GET", "authorization,x-account-id")
        .await;
    assert!(status.is_success(), "preflight answered {status}");
    assert_eq!(header(&headers, "access-control-allow-origin"), APP_ORIGIN);
    let allowed = header(&headers, "access-control-allow-headers");
    assert!(lists(allowed, "authorization"), "{allowed}");
    let response = open
        .http
        .get(open.url("/accounts"))
        .basic_auth(&open.key().await, Some(""))
        .header("origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[test]
fn a_cors_origin_is_scheme_host_and_port_only() {
    for good in ["https://app.example", "http://127.0.0.1:3000"] {
        assert!(good.parse::<CorsOrigin>().is_ok(), "{good}");
    }
    for bad in [
        "app.example",
        "https://app.example/",
        "https://",
        "ftp://x",
        "https://a b",
    ] {
        assert!(bad.parse::<CorsOrigin>().is_err(), "{bad}");
    }
}

impl Hub {
    /// `POST /connect_sessions` with `body`; the status and the JSON answer.
    async fn create_session(
        &self,
        key: &str,
        body: &serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let response = self
            .http
            .post(self.url("/connect_sessions"))
            .basic_auth(key, Some(""))
            .json(body)
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }
}

#[tokio::test]
async fn connect_sessions_accept_every_field_stackone_documents() {
    let hub = Hub::start(ServeConfig::default()).await;
    let key = hub.key().await;
    let owner = serde_json::json!({"origin_owner_id": "o-1", "origin_owner_name": "O One"});
    let with = |extra: serde_json::Value| {
        let mut body = owner.clone();
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    // What StackOne's TypeScript client sends, and the rest of the documented fields.
    let documented = with(serde_json::json!({
        "multiple": false,
        "type": "production",
        "expires_in": 1800,
        "provider_version": "1.0",
        "connector_profile_id": "profile-1",
        "integration_id": null,
        "provider": "front",
        "categories": ["ticketing"],
    }));
    let (status, session) = hub.create_session(&key, &documented).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert!(session["token"].is_string());
    let (status, session) = hub
        .create_session(
            &key,
            &with(serde_json::json!({"type": "test", "multiple": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");

    for (field, value) in [
        ("multiple", serde_json::json!("yes")),
        ("type", serde_json::json!("staging")),
        ("connector_profile_id", serde_json::json!(7)),
        ("integration_id", serde_json::json!({})),
        ("provider_version", serde_json::json!(true)),
        ("multipel", serde_json::json!(true)),
    ] {
        let (status, refused) = hub
            .create_session(&key, &with(serde_json::json!({ field: value })))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {refused}");
        let message = refused["message"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{field}: {message}");
    }
}

/// The fields `@stackone/stackone-client-ts` requires of a connect session, with their types:
/// its answer validation refuses the whole answer when one is missing or of another type.
#[tokio::test]
async fn connect_sessions_answer_every_field_stackones_client_requires() {
    let hub = Hub::start(ServeConfig::default()).await;
    let key = hub.key().await;
    let (status, created) = hub
        .create_session(
            &key,
            &serde_json::json!({"origin_owner_id": "o-1", "origin_owner_name": "O One"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let response = hub
        .http
        .post(hub.url("/connect_sessions/authenticate"))
        .basic_auth(&key, Some(""))
        .json(&serde_json::json!({"token": created["token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let authenticated: serde_json::Value = response.json().await.unwrap();
    for session in [&created, &authenticated] {
        assert!(session["id"].is_number(), "{session}");
        assert!(session["organization_id"].is_number(), "{session}");
        for field in [
            "project_id",
            "origin_owner_id",
            "origin_owner_name",
            "created_at",
        ] {
            assert!(session[field].is_string(), "{field}: {session}");
        }
    }
    assert!(created["token"].is_string() && created["auth_link_url"].is_string());
}

#[tokio::test]
async fn account_meta_answers_stackones_shape_for_the_projects_own_accounts() {
    let hub = Hub::start(ServeConfig::default()).await;
    let key = hub.key().await;
    let project = hub.served.store.project("default").await.unwrap();
    let account = common::link_front_account(
        &hub.served.store,
        &hub.served.front,
        &project.id,
        hub.sim.demo_token().unwrap(),
        None,
    )
    .await;
    let get = |path: String, key: String| {
        let request = hub.http.get(hub.url(&path)).basic_auth(key, Some(""));
        async move {
            let response = request.send().await.unwrap();
            (
                response.status(),
                response.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, meta) = get(format!("/accounts/{}/meta", account.id), key.clone()).await;
    assert_eq!(status, StatusCode::OK, "{meta}");
    assert_eq!(
        meta,
        serde_json::json!({"provider": "front", "category": "ticketing", "models": {}})
    );
    let (status, refused) = get("/accounts/nope/meta".to_owned(), key).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
    let other = hub.served.store.project("other").await.unwrap();
    let (_, other_key) = hub
        .served
        .store
        .create_api_key(&other, "other")
        .await
        .unwrap();
    let (status, refused) = get(
        format!("/accounts/{}/meta", account.id),
        other_key.expose_secret().to_owned(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
}

impl Hub {
    /// Sends `body` with `method` to `url` (of this hub or another), with an API key or a
    /// connect-session token; the status and the JSON answer.
    async fn send_json(
        &self,
        method: Method,
        url: String,
        auth: Auth<'_>,
        body: &serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let request = self.http.request(method, url).json(body);
        let request = match auth {
            Auth::Key(key) => request.basic_auth(key, Some("")),
            Auth::Session(token) => request.header("x-hub-session-token", token),
        };
        let response = request.send().await.unwrap();
        (response.status(), response.json().await.unwrap())
    }
}

enum Auth<'a> {
    Key(&'a str),
    Session(&'a str),
}

fn message(body: &serde_json::Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn relinking_without_a_token_keeps_the_saved_one_and_checks_it_with_front_again() {
    let hub = Hub::start(ServeConfig::default()).await;
    let key = hub.key().await;
    let (status, account) = hub
        .send_json(
            Method::POST,
            hub.url("/accounts"),
            Auth::Key(&key),
            &serde_json::json!({
                "provider": "front",
                "credentials": {"api_token": hub.sim.demo_token().unwrap()},
                "origin_owner_id": "o-edit",
                "origin_owner_name": "O Edit",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let id = account["id"].as_str().unwrap().to_owned();
    let edit_session = |hub_url: String| {
        let key = key.clone();
        let id = id.clone();
        let hub = &hub;
        async move {
            let (status, session) = hub
                .send_json(
                    Method::POST,
                    format!("{hub_url}/connect_sessions"),
                    Auth::Key(&key),
                    &serde_json::json!({
                        "origin_owner_id": "o-edit",
                        "origin_owner_name": "O Edit",
                        "account_id": id,
                    }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{session}");
            session["token"].as_str().unwrap().to_owned()
        }
    };

    // The Hub component's edit mode, the token left as it was.
    let session = edit_session(hub.served.url.clone()).await;
    let (status, relinked) = hub
        .send_json(
            Method::PATCH,
            hub.url(&format!("/hub/accounts/{id}")),
            Auth::Session(&session),
            &serde_json::json!({"credentials": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{relinked}");
    assert_eq!(relinked["id"], id.as_str());
    // The platform API likewise, with other changes beside it; a token given is checked.
    let (status, patched) = hub
        .send_json(
            Method::PATCH,
            hub.url(&format!("/accounts/{id}")),
            Auth::Key(&key),
            &serde_json::json!({"credentials": {}, "label": "kept"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["label"], "kept");
    assert_eq!(patched["status"], "active");
    let (status, refused) = hub
        .send_json(
            Method::PATCH,
            hub.url(&format!("/accounts/{id}")),
            Auth::Key(&key),
            &serde_json::json!({"credentials": {"api_token": "not-a-token"}, "label": "changed"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        message(&refused).contains("credentials.api_token"),
        "{refused}"
    );
    let (status, refused) = hub
        .send_json(
            Method::PATCH,
            hub.url(&format!("/accounts/{id}")),
            Auth::Key(&key),
            &serde_json::json!({"credentials": {"api_tokn": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(message(&refused).contains("api_tokn"), "{refused}");

    // A Front that no longer accepts the saved token: the same database served by a hub that
    // talks to another Front (another simulated company, whose tokens differ).
    let elsewhere_front = frontsim::bind(
        frontsim::SimConfig {
            seed: frontsim::SimConfig::unlimited().seed + 1,
            ..frontsim::SimConfig::unlimited()
        },
        "127.0.0.1:0",
    )
    .await
    .expect("start another simulator");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere = format!("http://{}", listener.local_addr().unwrap());
    let state = actionhub_server::AppState::new(
        hub.served.store.clone(),
        FrontClient::new(Some(elsewhere_front.base_url())).unwrap(),
        &elsewhere,
    );
    tokio::spawn(actionhub_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let (status, refused) = hub
        .send_json(
            Method::PATCH,
            format!("{elsewhere}/accounts/{id}"),
            Auth::Key(&key),
            &serde_json::json!({"credentials": {}, "label": "changed"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        message(&refused).contains("credentials.api_token"),
        "{refused}"
    );
    let session = edit_session(elsewhere.clone()).await;
    let (status, refused) = hub
        .send_json(
            Method::PATCH,
            format!("{elsewhere}/hub/accounts/{id}"),
            Auth::Session(&session),
            &serde_json::json!({"credentials": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        message(&refused).contains("credentials.api_token"),
        "{refused}"
    );
    assert!(message(&refused).contains("saved token"), "{refused}");
    // Refused requests changed nothing.
    let (status, shown) = hub
        .send_json(
            Method::GET,
            hub.url(&format!("/accounts/{id}")),
            Auth::Key(&key),
            &serde_json::json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["label"], "kept");
    assert_eq!(shown["status"], "active");
}

#[tokio::test]
async fn account_updates_accept_the_type_stackones_typescript_client_sends() {
    let hub = Hub::start(ServeConfig::default()).await;
    let key = hub.key().await;
    let (status, account) = hub
        .send_json(
            Method::POST,
            hub.url("/accounts"),
            Auth::Key(&key),
            &serde_json::json!({
                "provider": "front",
                "credentials": {"api_token": hub.sim.demo_token().unwrap()},
                "origin_owner_id": "o-type",
                "origin_owner_name": "O Type",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let url = hub.url(&format!("/accounts/{}", account["id"].as_str().unwrap()));
    // `@stackone/stackone-client-ts` sends `"type": "production"` with every update.
    let (status, patched) = hub
        .send_json(
            Method::PATCH,
            url.clone(),
            Auth::Key(&key),
            &serde_json::json!({"origin_owner_name": "O Edited", "type": "production"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["origin_owner_name"], "O Edited");
    assert_eq!(patched["type"], "production");
    let (status, refused) = hub
        .send_json(
            Method::PATCH,
            url,
            Auth::Key(&key),
            &serde_json::json!({"type": "staging", "origin_owner_name": "O Refused"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(message(&refused).contains("type"), "{refused}");
}
