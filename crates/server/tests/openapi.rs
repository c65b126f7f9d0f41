//! The OpenAPI document (`GET /openapi.json`) against the router it describes.
//!
//! The document covers every route the hub has, HTML pages and their asset files included
//! (tag `Pages`), so the rule has no exceptions: the routes read from the built router equal
//! the documented operations. A route added beside `routes!` (a plain `.route(…)`) fails
//! here. Every documented operation is then called and must reach a handler: no 405, and no
//! 404 from the router's fallback (a handler's own 404, for an id that does not exist, is
//! fine).

use std::collections::{BTreeMap, BTreeSet};

use actionhub_engine::FrontClient;
use actionhub_server::{AppState, ServeConfig};
use actionhub_store::{Keyring, Store};
use actionhub_testkit::{KEY_V1, TestDatabase};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use tower::ServiceExt as _;

/// A hub's router (never served: requests go through `oneshot`) and an API key for it.
struct Hub {
    router: Router,
    api_key: String,
    _db: TestDatabase,
}

impl Hub {
    async fn new() -> Hub {
        let db = TestDatabase::sqlite();
        let store = Store::open(db.url(), Keyring::parse(KEY_V1).unwrap())
            .await
            .unwrap();
        let project = store.project("openapi").await.unwrap();
        let (_, key) = store.create_api_key(&project, "test").await.unwrap();
        // Nothing listens there: linking answers 502, which is still an answer.
        let front = FrontClient::new(Some("http://127.0.0.1:9")).unwrap();
        let state = AppState::new(store, front, "http://hub.test");
        Hub {
            router: actionhub_server::app(state, &ServeConfig::default()),
            api_key: key.expose_secret().to_owned(),
            _db: db,
        }
    }

    async fn call(&self, request: Request<Body>) -> (StatusCode, String) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn document(&self) -> Value {
        let request = Request::get("/openapi.json").body(Body::empty()).unwrap();
        let (status, body) = self.call(request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_str(&body).unwrap()
    }
}

/// The methods an OpenAPI path item may hold.
const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

/// `(METHOD, path)` of every documented operation.
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

/// `(METHOD, path)` of every route of `router`, read from its `Debug` form: axum has no other
/// way to list its routes. The first part (before `fallback_router`) holds each route's id and
/// `Allow` header (`routes`) and each id's path (`node`). HEAD is left out: axum answers it for
/// every GET.
fn routes_of(router: &Router) -> BTreeSet<(String, String)> {
    let text = format!("{router:?}");
    let (routes, _) = text
        .split_once(", fallback_router:")
        .expect("axum's Router Debug form has changed: update routes_of");
    let (methods, paths) = routes
        .split_once("node: Node { paths: {")
        .expect("axum's Router Debug form has changed: update routes_of");
    let mut allowed: BTreeMap<&str, &str> = BTreeMap::new();
    for entry in methods.split("RouteId(").skip(1) {
        let (id, rest) = entry.split_once(')').unwrap();
        if let Some((_, header)) = rest.split_once("allow_header: Bytes(b\"") {
            allowed.insert(id, header.split('"').next().unwrap());
        }
    }
    let mut found = BTreeSet::new();
    for entry in paths.split("RouteId(").skip(1) {
        let (id, rest) = entry.split_once("): \"").unwrap();
        let path = rest.split('"').next().unwrap();
        let methods = allowed
            .get(id)
            .unwrap_or_else(|| panic!("no Allow header read for {path}: update routes_of"));
        for method in methods.split(',').filter(|m| *m != "HEAD") {
            found.insert((method.to_owned(), path.to_owned()));
        }
    }
    found
}

#[tokio::test]
async fn every_route_of_the_router_is_in_the_document() {
    let hub = Hub::new().await;
    let routes = routes_of(&hub.router);
    // The reading of axum's Debug form works (or this fails, rather than passing on nothing).
    assert!(routes.contains(&("GET".to_owned(), "/healthz".to_owned())));
    assert!(routes.contains(&("PATCH".to_owned(), "/accounts/{id}".to_owned())));
    let documented = documented(&hub.document().await);
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from /openapi.json (register them with `routes!` and a #[utoipa::path]): {undocumented:?}"
    );
    let phantom: Vec<_> = documented.difference(&routes).collect();
    assert!(phantom.is_empty(), "documented but not routed: {phantom:?}");
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_ids_auth_errors_and_examples() {
    let document = Hub::new().await.document().await;
    assert_eq!(document["openapi"], "3.1.0");
    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .unwrap();
    assert_eq!(schemes["api_key"]["scheme"], "basic");
    assert_eq!(schemes["hub_session"]["name"], "x-hub-session-token");
    let error = &document["components"]["schemas"]["ErrorBody"];
    assert_eq!(
        error["required"],
        serde_json::json!(["statusCode", "message", "timestamp"])
    );
    assert!(error["properties"]["provider_errors"].is_object());
    let tags: BTreeSet<&str> = document["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| tag["name"].as_str().unwrap())
        .collect();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let at = format!("{method} {path}");
            let id = operation["operationId"].as_str().unwrap();
            assert!(
                operation_ids.insert(id.to_owned()),
                "{at}: duplicate id {id}"
            );
            assert!(operation["summary"].is_string(), "{at}: no summary");
            let tag = operation["tags"][0].as_str().unwrap();
            assert!(tags.contains(tag), "{at}: tag {tag} is not declared");
            // Platform routes need an API key, /hub/* a session token.
            let security = operation["security"].to_string();
            if path.starts_with("/hub/") {
                assert!(security.contains("hub_session"), "{at}: {security}");
            } else if !["Pages", "Operations"].contains(&tag) {
                assert!(security.contains("api_key"), "{at}: {security}");
            }
            // Any error answer is described: StackOne's body unless the route is a page.
            assert!(
                operation["responses"]["default"].is_object(),
                "{at}: no default response"
            );
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "path" || parameter["required"] == true {
                    assert!(
                        parameter["example"].is_string(),
                        "{at}: parameter {} has no example",
                        parameter["name"]
                    );
                }
            }
            if let Some(json) = operation["requestBody"]["content"].get("application/json") {
                assert!(
                    example_of(&document, json).is_some(),
                    "{at}: the JSON request body has no example"
                );
            }
        }
    }
    let text = document.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let name = reference.split('"').next().unwrap();
        let name = name.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "unresolved $ref {name}"
        );
    }
}

/// A media type's example, or its schema's (following a `$ref`).
fn example_of<'d>(document: &'d Value, media: &'d Value) -> Option<&'d Value> {
    let schema = &media["schema"];
    let named = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .map(|name| &document["components"]["schemas"][name]);
    [media.get("example"), schema.get("example")]
        .into_iter()
        .chain([named.and_then(|s| s.get("example"))])
        .flatten()
        .next()
}

#[tokio::test]
async fn every_documented_operation_reaches_a_handler() {
    let hub = Hub::new().await;
    let document = hub.document().await;
    for (method, path) in documented(&document) {
        let operation = &document["paths"][&path][method.to_lowercase()];
        let mut uri = path.clone();
        let mut query = Vec::new();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap();
            let example = parameter["example"].as_str().unwrap_or_default();
            match parameter["in"].as_str().unwrap() {
                "path" => uri = uri.replace(&format!("{{{name}}}"), example),
                "query" if parameter["required"] == true => query.push(format!("{name}={example}")),
                _ => {}
            }
        }
        if !query.is_empty() {
            uri = format!("{uri}?{}", query.join("&"));
        }
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&uri)
            .header(
                "authorization",
                format!("Basic {}", base64_of(&format!("{}:", hub.api_key))),
            )
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (status, body) = hub.call(request).await;
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}: {body}"
        );
        assert!(
            !body.contains("no route for"),
            "{method} {uri} reached the router's fallback: {body}"
        );
    }
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn the_reference_page_shows_every_operation_without_inline_code() {
    let hub = Hub::new().await;
    let document = hub.document().await;
    let (status, page) = hub
        .call(Request::get("/docs/api").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    for (method, path) in documented(&document) {
        let id = document["paths"][&path][method.to_lowercase()]["operationId"]
            .as_str()
            .unwrap();
        assert!(
            page.contains(&format!("<code>{id}</code>")),
            "{method} {path}"
        );
    }
    assert!(page.contains("id=\"schema-errorbody\""));
    // The pages' CSP forbids inline code: no script element and no style attribute.
    assert!(!page.contains("<script"));
    assert!(!page.contains("style="));
}
