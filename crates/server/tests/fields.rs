//! `fields` on `POST /actions/rpc`: only the asked dotted paths of each item, checked before
//! anything runs; without it, Front's answer byte for byte.

mod common;

use actionhub_engine::FrontClient;
use actionhub_testkit::TestDatabase;
use common::{link_front_account, serve_hub_on};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

struct Rpc {
    url: String,
    key: String,
    account: String,
    sim_url: String,
    sim_token: String,
    http: reqwest::Client,
    _sim: frontsim::RunningSim,
    _db: TestDatabase,
}

impl Rpc {
    async fn start() -> Rpc {
        let sim = frontsim::bind(frontsim::SimConfig::unlimited(), "127.0.0.1:0")
            .await
            .unwrap();
        let served = serve_hub_on(
            TestDatabase::sqlite(),
            FrontClient::new(Some(sim.base_url())).unwrap(),
        )
        .await;
        let project = served.store.project("default").await.unwrap();
        let (_, key) = served.store.create_api_key(&project, "test").await.unwrap();
        let account = link_front_account(
            &served.store,
            &served.front,
            &project.id,
            sim.demo_token().unwrap(),
            None,
        )
        .await;
        Rpc {
            url: served.url,
            key: key.expose_secret().to_owned(),
            account: account.id,
            sim_url: sim.base_url().to_owned(),
            sim_token: sim.demo_token().unwrap().to_owned(),
            http: reqwest::Client::new(),
            _sim: sim,
            _db: served.db,
        }
    }

    async fn call(&self, query: &str, body: Value) -> (StatusCode, String) {
        let response = self
            .http
            .post(format!("{}/actions/rpc{query}", self.url))
            .basic_auth(&self.key, Some(""))
            .header("x-account-id", &self.account)
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }
}

fn list(limit: u32) -> Value {
    json!({"action": "front_list_conversations", "query": {"limit": limit}})
}

#[tokio::test]
async fn fields_keep_only_the_asked_paths_and_without_them_nothing_changes() {
    let rpc = Rpc::start().await;
    let (status, whole) = rpc.call("", list(3)).await;
    assert_eq!(status, StatusCode::OK);
    // Without `fields`, `data` is Front's `_results` byte for byte.
    let front = rpc
        .http
        .get(format!("{}/conversations?limit=3", rpc.sim_url))
        .bearer_auth(&rpc.sim_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    #[derive(serde::Deserialize)]
    struct Page<'a> {
        #[serde(borrow, rename = "_results")]
        results: &'a serde_json::value::RawValue,
    }
    let page: Page<'_> = serde_json::from_str(&front).unwrap();
    assert!(
        whole.starts_with(&format!("{{\"data\":{},\"next\":", page.results.get())),
        "{whole}"
    );
    let whole: Value = serde_json::from_str(&whole).unwrap();
    // Front's fields are all there, links and nulls included.
    assert!(whole["data"][0].get("_links").is_some(), "{whole}");

    let mut body = list(3);
    body["fields"] = json!(["tags.name"]);
    let (status, narrowed) = rpc
        .call("?fields=id,assignee.email,nope.deeper", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{narrowed}");
    let narrowed: Value = serde_json::from_str(&narrowed).unwrap();
    assert_eq!(narrowed["next"], whole["next"]);
    let items = narrowed["data"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for (item, full) in items.iter().zip(whole["data"].as_array().unwrap()) {
        assert_eq!(item["id"], full["id"]);
        for key in item.as_object().unwrap().keys() {
            assert!(["id", "assignee", "tags"].contains(&key.as_str()), "{item}");
        }
        match full["assignee"].get("email") {
            Some(email) => assert_eq!(&item["assignee"]["email"], email),
            None => assert!(item.get("assignee").is_none(), "{item}"),
        }
        let names: Vec<&Value> = full["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["name"])
            .collect();
        let kept: Vec<&Value> = item["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["name"])
            .collect();
        assert_eq!(kept, names);
    }

    // An object answer is narrowed too; a comma-separated body string works.
    let id = whole["data"][0]["id"].as_str().unwrap();
    let (status, one) = rpc
        .call(
            "",
            json!({"action": "front_get_conversation", "path": {"conversation_id": id}, "fields": "id, subject"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let one: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(
        one["data"],
        json!({"id": id, "subject": whole["data"][0]["subject"]})
    );
}

#[tokio::test]
async fn bad_fields_are_400s_naming_fields_and_nothing_runs() {
    let rpc = Rpc::start().await;
    let many = vec!["id"; 51].join(",");
    let long = "a".repeat(201);
    for (query, body_fields, expected) in [
        ("?fields=", Value::Null, "give at least one path"),
        ("?fields=a..b", Value::Null, "`a..b` has an empty segment"),
        (
            &format!("?fields={many}") as &str,
            Value::Null,
            "at most 50 paths",
        ),
        (
            &format!("?fields={long}"),
            Value::Null,
            "at most 200 characters",
        ),
        ("", json!(3), "must be a comma-separated string or an array"),
        ("", json!(["id", 2]), "each entry must be a string"),
    ] {
        let mut body = json!({"action": "front_create_tag", "body": {"name": "never"}});
        if !body_fields.is_null() {
            body["fields"] = body_fields;
        }
        let (status, text) = rpc.call(query, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {text}");
        let error: Value = serde_json::from_str(&text).unwrap();
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("`fields`:"), "{message}");
        assert!(message.contains(expected), "{message}");
    }
    let (_, tags) = rpc
        .call(
            "?fields=name",
            json!({"action": "front_list_tags", "query": {"limit": 100}}),
        )
        .await;
    assert!(!tags.contains("never"), "a refused call ran: {tags}");
}
