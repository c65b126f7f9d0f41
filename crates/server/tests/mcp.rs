//! `/mcp` end to end: a hub in-process on a random port, on a temporary SQLite database, talking
//! to the Front simulator, spoken to with raw JSON-RPC over HTTP.

mod common;

use actionhub_catalog::{Catalog, Connector, ParamStyle};
use actionhub_store::Store;
use actionhub_testkit::TestDatabase;
use common::serve_hub;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const BOTH: &str = "application/json, text/event-stream";

struct Hub {
    url: String,
    store: Store,
    front_token: String,
    http: reqwest::Client,
    _sim: frontsim::RunningSim,
    _db: TestDatabase,
}

/// One answer of `/mcp`.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    content_type: String,
    headers: reqwest::header::HeaderMap,
    /// The JSON-RPC message (from the JSON body or the SSE event).
    body: Value,
}

impl Answer {
    fn result(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "{self:?}");
        self.body
            .get("result")
            .unwrap_or_else(|| panic!("not a result: {}", self.body))
    }

    fn tool_names(&self) -> Vec<String> {
        self.result()["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tool| tool["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The answer of a successful action tool: `{"data", "next"}`, as the JSON of its one text
    /// block (no `structuredContent`: the data is carried once).
    fn answer(&self) -> Value {
        let result = self.result();
        assert_eq!(result["isError"], false, "an error: {result}");
        assert!(
            result.get("structuredContent").is_none(),
            "the data twice: {result}"
        );
        let content = result["content"].as_array().unwrap();
        assert_eq!(content.len(), 1, "{result}");
        serde_json::from_str(content[0]["text"].as_str().unwrap()).unwrap()
    }

    /// The text of a tool result that must be an error: text only, like every action answer.
    fn tool_error(&self) -> String {
        let result = self.result();
        assert_eq!(result["isError"], true, "not an error: {result}");
        assert!(
            result.get("structuredContent").is_none(),
            "an error with structured content: {result}"
        );
        result["content"][0]["text"].as_str().unwrap().to_owned()
    }
}

/// Where and how to send a request.
struct To<'a> {
    key: Option<&'a str>,
    account_header: Option<&'a str>,
    query: &'a str,
    accept: Option<&'a str>,
}

impl<'a> To<'a> {
    fn account(key: &'a str, account: &'a str) -> To<'a> {
        To {
            key: Some(key),
            account_header: Some(account),
            query: "",
            accept: Some(BOTH),
        }
    }
}

impl Hub {
    async fn start() -> Hub {
        let sim = frontsim::bind(frontsim::SimConfig::unlimited(), "127.0.0.1:0")
            .await
            .expect("start the simulator");
        let served = serve_hub(sim.base_url()).await;
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

    /// Links the simulator's company for `owner` through the API; returns the account id.
    async fn link(&self, key: &str, owner: &str, allowed: Option<&[&str]>) -> String {
        let mut body = json!({
            "provider": "front",
            "credentials": {"api_token": self.front_token},
            "origin_owner_id": owner,
            "origin_owner_name": format!("{owner} Inc"),
        });
        if let Some(allowed) = allowed {
            body["allowed_actions"] = json!(allowed);
        }
        let response = self
            .http
            .post(format!("{}/accounts", self.url))
            .basic_auth(key, Some(""))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let account: Value = response.json().await.unwrap();
        account["id"].as_str().unwrap().to_owned()
    }

    async fn post(&self, to: &To<'_>, message: &Value) -> Answer {
        let mut request = self
            .http
            .post(format!("{}/mcp{}", self.url, to.query))
            .header("content-type", "application/json")
            .body(message.to_string());
        if let Some(key) = to.key {
            request = request.basic_auth(key, Some(""));
        }
        if let Some(account) = to.account_header {
            request = request.header("x-account-id", account);
        }
        if let Some(accept) = to.accept {
            request = request.header("accept", accept);
        }
        self.read(request.send().await.unwrap()).await
    }

    async fn read(&self, response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(&self.front_token),
            "an answer contains the Front token: {text}"
        );
        let body = if content_type.starts_with("text/event-stream") {
            let data: Vec<&str> = text
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(str::trim)
                .filter(|data| !data.is_empty())
                .collect();
            assert_eq!(data.len(), 1, "one SSE message expected: {text:?}");
            serde_json::from_str(data[0]).unwrap()
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON answer: {text:?}"))
        };
        Answer {
            status,
            content_type,
            headers,
            body,
        }
    }

    async fn list(&self, to: &To<'_>) -> Answer {
        self.post(
            to,
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        )
        .await
    }

    /// The tools listed for `account` with `query`.
    async fn tool_names(&self, key: &str, account: &str, query: &str) -> Vec<String> {
        let to = To {
            query,
            ..To::account(key, account)
        };
        self.list(&to).await.tool_names()
    }

    async fn call(&self, to: &To<'_>, name: &str, arguments: Value) -> Answer {
        let message = json!({
            "jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": name, "arguments": arguments},
        });
        self.post(to, &message).await
    }
}

fn initialize(version: &str) -> Value {
    json!({
        "jsonrpc": "2.0", "id": "init-1", "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    })
}

fn front() -> &'static Connector {
    Catalog::builtin().connector("front").unwrap()
}

fn front_ids() -> Vec<String> {
    front().actions().iter().map(|a| a.id.clone()).collect()
}

/// The default face: the seed's 52 actions, in catalogue order.
fn core_ids() -> Vec<String> {
    front()
        .core_actions()
        .iter()
        .map(|a| a.id.clone())
        .collect()
}

/// The run log of an account, newest first.
async fn runs(hub: &Hub, key: &str, account: &str) -> Vec<Value> {
    let runs: Value = hub
        .http
        .get(format!("{}/runs?account_id={account}", hub.url))
        .basic_auth(key, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    runs["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn initialize_answers_each_protocol_version() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let to = To::account(&key, &account);
    for version in ["2025-03-26", "2025-06-18", "2025-11-25"] {
        let answer = hub.post(&to, &initialize(version)).await;
        assert_eq!(answer.content_type, "application/json");
        assert_eq!(answer.body["id"], "init-1");
        let result = answer.result();
        assert_eq!(result["protocolVersion"], version);
        assert_eq!(result["serverInfo"]["name"], "actionhub");
        assert!(result["capabilities"]["tools"].is_object(), "{result}");
        let instructions = result["instructions"].as_str().unwrap();
        assert!(instructions.contains(&account), "{instructions}");
        assert!(
            instructions.contains("52 of the 243 actions") && instructions.contains("toolset=all"),
            "the agent learns that more can be listed: {instructions}"
        );
        assert!(answer.headers.get("mcp-session-id").is_none(), "stateless");
    }
    // The initialized notification is accepted without a body.
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let response = hub
        .http
        .post(format!("{}/mcp", hub.url))
        .basic_auth(&key, Some(""))
        .header("x-account-id", &account)
        .header("accept", BOTH)
        .header("content-type", "application/json")
        .body(note.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn tools_list_gives_the_core_actions_in_the_requested_style_with_hints() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let front = front();
    for (query, style) in [
        ("", ParamStyle::Nested),
        ("?param-style=nested", ParamStyle::Nested),
        ("?param-style=flat_prefixed", ParamStyle::FlatPrefixed),
        ("?param-style=flat_smart", ParamStyle::FlatSmart),
    ] {
        let to = To {
            query,
            ..To::account(&key, &account)
        };
        let answer = hub.list(&to).await;
        let result = answer.result();
        assert!(result.get("nextCursor").is_none(), "one page: {query}");
        let tools = result["tools"].as_array().unwrap();
        assert_eq!(tools.len(), 52, "{query}");
        assert_eq!(answer.tool_names(), core_ids());
        for (tool, action) in tools.iter().zip(front.core_actions()) {
            assert_eq!(tool["description"], action.description.as_str());
            assert_eq!(tool["title"], action.label.as_str());
            let mut expected = action.input_schema(style).clone();
            expected.as_object_mut().unwrap().remove("description");
            let mut schema = tool["inputSchema"].clone();
            let properties = schema["properties"].as_object_mut().unwrap();
            assert_eq!(
                properties.remove("_view").unwrap()["enum"],
                json!(["compact", "full"])
            );
            assert_eq!(properties.remove("_fields").unwrap()["type"], "array");
            assert_eq!(schema, expected, "{} {query}", action.id);
            let annotations = &tool["annotations"];
            assert_eq!(annotations["title"], action.label.as_str());
            assert_eq!(annotations["readOnlyHint"], action.hints.read_only);
            assert_eq!(annotations["destructiveHint"], action.hints.destructive);
            assert_eq!(annotations["idempotentHint"], action.hints.idempotent);
            assert_eq!(annotations["openWorldHint"], true);
            assert!(tool.get("outputSchema").is_none(), "{tool}");
        }
    }
    // The styles really differ: a path parameter is nested or prefixed.
    let flat = hub
        .list(&To {
            query: "?param-style=flat_prefixed",
            ..To::account(&key, &account)
        })
        .await;
    let get = flat.result()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "front_get_conversation")
        .unwrap()
        .clone();
    assert!(get["inputSchema"]["properties"]["path_conversation_id"].is_object());
    assert!(get["inputSchema"]["properties"].get("path").is_none());
}

#[tokio::test]
async fn a_restricted_account_lists_exactly_its_tools_and_cannot_call_another() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let allowed = [
        "front_list_tags",
        "front_get_tag",
        "front_list_conversations",
    ];
    let account = hub.link(&key, "acme", Some(&allowed)).await;
    let to = To::account(&key, &account);
    let mut names = hub.list(&to).await.tool_names();
    names.sort();
    let mut expected: Vec<String> = allowed.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(names, expected);

    let answer = hub
        .call(
            &to,
            "front_delete_tag",
            json!({"path": {"tag_id": "tag_1"}}),
        )
        .await;
    let refused = answer.tool_error();
    assert!(refused.contains("not allowed"), "{refused}");
    assert!(refused.contains("front_list_tags"), "{refused}");
    // Refused by the engine, so the attempt is in the run log like a refused RPC call.
    let runs: Value = hub
        .http
        .get(format!("{}/runs?account_id={account}", hub.url))
        .basic_auth(&key, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run = &runs["data"][0];
    assert_eq!(run["action"], "front_delete_tag", "{runs}");
    assert_eq!(run["outcome"], "forbidden", "{runs}");
    assert_eq!(run["source"], "mcp", "{runs}");

    // In search_execute mode too: search finds only allowed actions, execute refuses others.
    let se = To {
        query: "?tool-mode=search_execute",
        ..To::account(&key, &account)
    };
    let found = hub
        .call(
            &se,
            "front_search_actions",
            json!({"query": "delete tag", "limit": 50}),
        )
        .await;
    let results = found.result()["structuredContent"]["results"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!results.is_empty());
    for hit in &results {
        assert!(
            allowed.contains(&hit["action_id"].as_str().unwrap()),
            "{hit}"
        );
    }
    let refused = hub
        .call(
            &se,
            "front_execute_action",
            json!({"action_id": "front_delete_tag", "arguments": {"path": {"tag_id": "tag_1"}}}),
        )
        .await
        .tool_error();
    assert!(refused.contains("not allowed"), "{refused}");
}

#[tokio::test]
async fn tools_call_runs_the_action_and_answers_its_json_once_as_text() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let to = To::account(&key, &account);
    let answer = hub
        .call(
            &to,
            "front_list_conversations",
            json!({"query": {"limit": 2}}),
        )
        .await;
    let structured = &answer.answer();
    assert_eq!(
        structured["data"].as_array().unwrap().len(),
        2,
        "{structured}"
    );
    assert!(structured["next"].is_string(), "{structured}");

    // The cursor continues the list, in the flat style too.
    let flat = To {
        query: "?param-style=flat_prefixed",
        ..To::account(&key, &account)
    };
    let next = structured["next"].as_str().unwrap();
    let page = hub
        .call(
            &flat,
            "front_list_conversations",
            json!({"query_limit": 2, "query_next": next}),
        )
        .await;
    let second = &page.answer()["data"];
    assert_eq!(second.as_array().unwrap().len(), 2);
    assert_ne!(second[0]["id"], structured["data"][0]["id"]);
}

#[tokio::test]
async fn a_write_action_goes_through_the_engine() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let to = To::account(&key, &account);
    let created = hub
        .call(
            &to,
            "front_create_tag",
            json!({"body": {"name": "mcp-made"}}),
        )
        .await;
    let tag = &created.answer()["data"];
    assert_eq!(tag["name"], "mcp-made", "{tag}");
    let id = tag["id"].as_str().unwrap();
    let fetched = hub
        .call(&to, "front_get_tag", json!({"path": {"tag_id": id}}))
        .await;
    assert_eq!(fetched.answer()["data"]["name"], "mcp-made");
}

#[tokio::test]
async fn bad_calls_are_tool_errors_an_agent_can_act_on() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let to = To::account(&key, &account);

    let missing = hub
        .call(&to, "front_get_conversation", json!({}))
        .await
        .tool_error();
    assert!(missing.contains("/path/conversation_id"), "{missing}");
    assert!(missing.contains("front_get_conversation"), "{missing}");

    let too_many = hub
        .call(
            &to,
            "front_list_conversations",
            json!({"query": {"limit": 101}}),
        )
        .await
        .tool_error();
    assert!(too_many.contains("/query/limit"), "{too_many}");
    assert!(too_many.contains("100"), "{too_many}");

    // Flat arguments sent to a nested server: the pointer names the unexpected field.
    let wrong_style = hub
        .call(
            &to,
            "front_get_conversation",
            json!({"path_conversation_id": "cnv_1"}),
        )
        .await
        .tool_error();
    assert!(
        wrong_style.contains("path_conversation_id"),
        "{wrong_style}"
    );

    let unknown = hub
        .call(&to, "front_list_conversation", json!({}))
        .await
        .tool_error();
    assert!(unknown.contains("unknown tool"), "{unknown}");
    assert!(unknown.contains("front_list_conversations"), "{unknown}");

    // search_execute: its own arguments are checked too.
    let se = To {
        query: "?tool-mode=search_execute",
        ..To::account(&key, &account)
    };
    let no_query = hub
        .call(&se, "front_search_actions", json!({}))
        .await
        .tool_error();
    assert!(no_query.contains("`query` is required"), "{no_query}");
    let bad_limit = hub
        .call(
            &se,
            "front_search_actions",
            json!({"query": "tags", "limit": 0}),
        )
        .await
        .tool_error();
    assert!(bad_limit.contains("`limit`"), "{bad_limit}");
    let no_id = hub
        .call(&se, "front_execute_action", json!({"arguments": {}}))
        .await
        .tool_error();
    assert!(no_id.contains("`action_id` is required"), "{no_id}");
    let bad_input = hub
        .call(
            &se,
            "front_execute_action",
            json!({"action_id": "front_get_conversation", "arguments": {"path": {}}}),
        )
        .await
        .tool_error();
    assert!(bad_input.contains("/path/conversation_id"), "{bad_input}");
    let direct = hub
        .call(&se, "front_list_tags", json!({}))
        .await
        .tool_error();
    assert!(direct.contains("front_execute_action"), "{direct}");
    let made_up = hub
        .call(
            &se,
            "front_execute_action",
            json!({"action_id": "launch_rocket"}),
        )
        .await
        .tool_error();
    assert!(made_up.contains("front_search_actions"), "{made_up}");
}

#[tokio::test]
async fn search_execute_offers_exactly_two_tools_that_work() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let se = To {
        query: "?tool-mode=search_execute&param-style=flat_prefixed",
        ..To::account(&key, &account)
    };
    let listed = hub.list(&se).await;
    assert_eq!(
        listed.tool_names(),
        ["front_search_actions", "front_execute_action"]
    );
    let search_tool = &listed.result()["tools"][0];
    assert_eq!(search_tool["annotations"]["readOnlyHint"], true);
    assert_eq!(search_tool["inputSchema"]["required"], json!(["query"]));

    let found = hub
        .call(
            &se,
            "front_search_actions",
            json!({"query": "list conversations", "limit": 3}),
        )
        .await;
    let results = found.result()["structuredContent"]["results"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!results.is_empty() && results.len() <= 3, "{results:?}");
    assert!(
        results
            .iter()
            .any(|hit| hit["action_id"] == "front_list_conversations"),
        "{results:?}"
    );
    for hit in &results {
        assert!(hit["score"].is_number() && hit["label"].is_string());
        assert!(hit["description"].is_string());
        assert!(hit["input_schema"].is_object());
    }

    let run = hub
        .call(
            &se,
            "front_execute_action",
            json!({"action_id": "front_list_tags", "arguments": {"query_limit": 3}}),
        )
        .await;
    assert_eq!(run.answer()["data"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn the_toolset_lists_more_than_the_core_actions_on_request() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let listed = |query: &'static str| hub.tool_names(&key, &account, query);
    let front = front();
    assert!(
        front.actions().len() > 52,
        "the catalogue has more than its core"
    );
    assert_eq!(listed("").await, core_ids());
    assert_eq!(listed("?toolset=core").await, core_ids());
    assert_eq!(listed("?toolset=all").await, front_ids());

    // A group adds its actions to the core ones, in catalogue order.
    let with_group = |groups: &[&str], ids: &[&str]| -> Vec<String> {
        front
            .actions()
            .iter()
            .filter(|a| {
                a.core || groups.contains(&a.group.as_str()) || ids.contains(&a.id.as_str())
            })
            .map(|a| a.id.clone())
            .collect()
    };
    let knowledge_bases = listed("?toolset=knowledge_bases").await;
    assert_eq!(knowledge_bases, with_group(&["knowledge_bases"], &[]));
    assert!(knowledge_bases.len() > 52);
    assert!(knowledge_bases.contains(&"front_list_knowledge_bases".to_owned()));
    assert_eq!(
        listed("?toolset=knowledge_bases,message_templates,front_get_shift").await,
        with_group(
            &["knowledge_bases", "message_templates"],
            &["front_get_shift"]
        )
    );
    // The style does not change which tools are listed.
    assert_eq!(
        listed("?toolset=knowledge_bases&param-style=flat_smart").await,
        knowledge_bases
    );
}

#[tokio::test]
async fn a_restricted_account_lists_its_allowed_actions_whatever_the_toolset() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let allowed = ["front_list_tags", "front_list_knowledge_bases"];
    let account = hub.link(&key, "acme", Some(&allowed)).await;
    for query in [
        "",
        "?toolset=all",
        "?toolset=message_templates",
        "?toolset=core",
    ] {
        // Catalogue order: core actions first.
        assert_eq!(
            hub.tool_names(&key, &account, query).await,
            allowed,
            "{query}"
        );
    }
}

#[tokio::test]
async fn an_unknown_toolset_entry_is_refused_by_name() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    for (query, needles) in [
        (
            "?toolset=knowledge_bases,recipes",
            &["`toolset`", "`recipes`", "knowledge_bases"][..],
        ),
        (
            "?toolset=front_list_knowledge_base",
            &[
                "`front_list_knowledge_base`",
                "did you mean front_list_knowledge_bases",
            ][..],
        ),
        ("?toolset=all,nope", &["`nope`"][..]),
    ] {
        let to = To {
            query,
            ..To::account(&key, &account)
        };
        let answer = hub.list(&to).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(answer.body["jsonrpc"], "2.0");
        let message = answer.body["error"]["message"].as_str().unwrap();
        for needle in needles {
            assert!(message.contains(needle), "{query}: {message}");
        }
    }
}

#[tokio::test]
async fn an_allowed_action_can_be_called_and_found_though_not_listed() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let to = To::account(&key, &account);
    assert!(
        !hub.list(&to)
            .await
            .tool_names()
            .contains(&"front_list_knowledge_bases".to_owned())
    );
    // Not listed, yet called: it goes to Front (the simulator) like any listed tool, and is in
    // the run log under its own id. (Whatever the simulator answers.)
    let answer = hub.call(&to, "front_list_knowledge_bases", json!({})).await;
    let result = answer.result();
    if result["isError"] == true {
        let text = result["content"][0]["text"].as_str().unwrap();
        assert!(!text.contains("unknown tool"), "{text}");
        assert!(!text.contains("not allowed"), "{text}");
    }

    // search_execute searches and runs every allowed action, core or not.
    let se = To {
        query: "?tool-mode=search_execute",
        ..To::account(&key, &account)
    };
    let found = hub
        .call(
            &se,
            "front_search_actions",
            json!({"query": "knowledge base articles", "limit": 10}),
        )
        .await;
    let results = found.result()["structuredContent"]["results"]
        .as_array()
        .unwrap()
        .clone();
    let groups: Vec<&str> = results
        .iter()
        .map(|hit| front().action(hit["action_id"].as_str().unwrap()).unwrap())
        .map(|action| action.group.as_str())
        .collect();
    assert!(groups.contains(&"knowledge_bases"), "{results:?}");
    let executed = hub
        .call(
            &se,
            "front_execute_action",
            json!({"action_id": "front_list_knowledge_bases", "arguments": {}}),
        )
        .await;
    let result = executed.result();
    if result["isError"] == true {
        let text = result["content"][0]["text"].as_str().unwrap();
        assert!(!text.contains("unknown action"), "{text}");
        assert!(!text.contains("not allowed"), "{text}");
    }

    let runs = runs(&hub, &key, &account).await;
    let actions: Vec<&str> = runs.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["front_list_knowledge_bases", "front_list_knowledge_bases"],
        "{runs:?}"
    );
    for run in &runs {
        assert_eq!(run["source"], "mcp", "{run}");
        assert_ne!(run["outcome"], "forbidden", "{run}");
        assert_ne!(run["outcome"], "invalid", "{run}");
    }
}

#[tokio::test]
async fn the_answer_is_json_or_sse_per_accept() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    for (accept, sse) in [
        (Some(BOTH), false),
        (Some("application/json"), false),
        (None, false),
        (Some("*/*"), false),
        (Some("text/event-stream"), true),
        (Some("text/event-stream, application/json"), true),
        (Some("application/json;q=0.5, text/event-stream"), true),
        (Some("text/event-stream;q=0.2, application/json"), false),
    ] {
        let to = To {
            accept,
            ..To::account(&key, &account)
        };
        let answer = hub.list(&to).await;
        let expected = if sse {
            "text/event-stream"
        } else {
            "application/json"
        };
        assert!(
            answer.content_type.starts_with(expected),
            "{accept:?} → {}",
            answer.content_type
        );
        assert_eq!(answer.tool_names().len(), 52, "{accept:?}");
    }
    let refused = hub
        .list(&To {
            accept: Some("text/html"),
            ..To::account(&key, &account)
        })
        .await;
    assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(refused.body["error"]["code"], -32000);
}

#[tokio::test]
async fn the_account_comes_from_the_header_or_the_query_and_the_header_wins() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let full = hub.link(&key, "full", None).await;
    let three = hub
        .link(
            &key,
            "three",
            Some(&["front_list_tags", "front_get_tag", "front_list_teammates"]),
        )
        .await;
    for param in ["x-account-id", "account_id"] {
        let query = format!("?{param}={three}");
        let to = To {
            account_header: None,
            query: &query,
            ..To::account(&key, &full)
        };
        assert_eq!(hub.list(&to).await.tool_names().len(), 3, "{param}");
    }
    // Header and query disagree: the header wins.
    let query = format!("?x-account-id={full}&account_id={full}");
    let to = To {
        query: &query,
        ..To::account(&key, &three)
    };
    assert_eq!(hub.list(&to).await.tool_names().len(), 3);
    let query = format!("?x-account-id={three}");
    let to = To {
        query: &query,
        ..To::account(&key, &full)
    };
    assert_eq!(hub.list(&to).await.tool_names().len(), 52);
}

#[tokio::test]
async fn refusals_before_mcp_are_json_rpc_errors_with_the_right_status() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let other_key = hub.key("other").await;

    let expect = |answer: Answer, status: StatusCode, needle: &str| {
        assert_eq!(answer.status, status, "{:?}", answer.body);
        assert_eq!(answer.body["jsonrpc"], "2.0");
        assert_eq!(answer.body["id"], Value::Null);
        assert_eq!(answer.body["error"]["code"], -32000);
        let message = answer.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{message}");
    };

    let anonymous = hub
        .list(&To {
            key: None,
            ..To::account(&key, &account)
        })
        .await;
    assert!(anonymous.headers.get("www-authenticate").is_some());
    expect(anonymous, StatusCode::UNAUTHORIZED, "Authorization");

    let wrong_key = "ahk_live_0000000000000000000000000000000";
    expect(
        hub.list(&To::account(wrong_key, &account)).await,
        StatusCode::UNAUTHORIZED,
        "API key",
    );
    expect(
        hub.list(&To {
            account_header: None,
            ..To::account(&key, &account)
        })
        .await,
        StatusCode::BAD_REQUEST,
        "x-account-id",
    );
    // Another project's account does not exist for this key.
    expect(
        hub.list(&To::account(&other_key, &account)).await,
        StatusCode::NOT_FOUND,
        &account,
    );
    expect(
        hub.list(&To {
            query: "?param-style=flat",
            ..To::account(&key, &account)
        })
        .await,
        StatusCode::BAD_REQUEST,
        "param-style",
    );
    expect(
        hub.list(&To {
            query: "?tool-mode=all",
            ..To::account(&key, &account)
        })
        .await,
        StatusCode::BAD_REQUEST,
        "tool-mode",
    );
}

#[tokio::test]
async fn malformed_bodies_and_batches_are_json_rpc_errors() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    for (body, code) in [
        ("not json", -32700),
        ("{\"jsonrpc\": \"2.0\", ", -32700),
        (
            "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
            -32600,
        ),
    ] {
        let response = hub
            .http
            .post(format!("{}/mcp", hub.url))
            .basic_auth(&key, Some(""))
            .header("x-account-id", &account)
            .header("accept", BOTH)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let answer = hub.read(response).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.body["error"]["code"], code, "{body}");
        assert_eq!(answer.body["id"], Value::Null);
    }
}

#[tokio::test]
async fn only_post_is_supported_as_stackone_answers() {
    let hub = Hub::start().await;
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let response = hub
            .http
            .request(method.clone(), format!("{}/mcp", hub.url))
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
        assert_eq!(response.headers()["allow"], "POST");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({
                "jsonrpc": "2.0",
                "error": {"code": -32000, "message": "Only POST is supported for stateless MCP."},
                "id": null,
            })
        );
    }
}

#[tokio::test]
async fn a_browser_origin_from_elsewhere_is_refused() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let send = |origin: &'static str| {
        hub.http
            .post(format!("{}/mcp", hub.url))
            .basic_auth(&key, Some(""))
            .header("x-account-id", &account)
            .header("accept", BOTH)
            .header("content-type", "application/json")
            .header("origin", origin)
            .body(initialize("2025-06-18").to_string())
            .send()
    };
    assert_eq!(
        send("http://evil.example.com").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send("http://localhost:6274").await.unwrap().status(),
        StatusCode::OK
    );
}

/// The hub answers a plain `tools/call` itself and leaves the rest to `rmcp` (a browser
/// `Origin`, an SSE answer): the answer must not depend on which of them served it.
#[tokio::test]
async fn a_tools_call_answers_the_same_whichever_path_serves_it() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let calls = [
        ("front_list_tags", json!({"query": {"limit": 3}})),
        (
            "front_list_tags",
            json!({"query": {"limit": 3}, "_view": "full"}),
        ),
        (
            "front_list_tags",
            json!({"query": {"limit": 3}, "_fields": ["name"]}),
        ),
        ("front_list_tags", json!({"query": {"limit": "three"}})),
        ("front_no_such_tool", json!({})),
    ];
    for (name, arguments) in calls {
        let message = json!({
            "jsonrpc": "2.0", "id": "call-1", "method": "tools/call",
            "params": {"name": name, "arguments": arguments},
        });
        let send = |origin: Option<&'static str>, accept: &'static str| {
            let mut request = hub
                .http
                .post(format!("{}/mcp", hub.url))
                .basic_auth(&key, Some(""))
                .header("x-account-id", &account)
                .header("accept", accept)
                .header("content-type", "application/json")
                .body(message.to_string());
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            request.send()
        };
        let direct = hub.read(send(None, BOTH).await.unwrap()).await;
        let from_a_browser = hub
            .read(send(Some("http://localhost:6274"), BOTH).await.unwrap())
            .await;
        let as_sse = hub
            .read(send(None, "text/event-stream").await.unwrap())
            .await;
        assert_eq!(direct.status, StatusCode::OK);
        assert!(direct.content_type.starts_with("application/json"));
        assert_eq!(direct.body["id"], "call-1", "{:?}", direct.body);
        for other in [&from_a_browser, &as_sse] {
            assert_eq!(other.status, direct.status, "{name} {arguments}");
            assert_eq!(other.body, direct.body, "{name} {arguments}");
        }
    }
}

#[tokio::test]
async fn calls_share_the_engine_run_log_and_idempotency() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let create = |idempotency_key: &'static str| {
        let message = json!({
            "jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "front_create_tag", "arguments": {"body": {"name": "once"}}},
        });
        hub.http
            .post(format!("{}/mcp", hub.url))
            .basic_auth(&key, Some(""))
            .header("x-account-id", &account)
            .header("accept", BOTH)
            .header("content-type", "application/json")
            .header("idempotency-key", idempotency_key)
            .body(message.to_string())
            .send()
    };
    let first = hub.read(create("mcp-key-1").await.unwrap()).await;
    let again = hub.read(create("mcp-key-1").await.unwrap()).await;
    let first_id = &first.answer()["data"]["id"];
    assert!(first_id.is_string(), "{:?}", first.body);
    assert_eq!(&again.answer()["data"]["id"], first_id);

    // The same key in `_meta` (how a stdio client passes it) replays too.
    let by_meta = json!({
        "jsonrpc": "2.0", "id": 8, "method": "tools/call",
        "params": {
            "name": "front_create_tag",
            "arguments": {"body": {"name": "once"}},
            "_meta": {"idempotency_key": "mcp-key-1"},
        },
    });
    let replayed = hub.post(&To::account(&key, &account), &by_meta).await;
    assert_eq!(&replayed.answer()["data"]["id"], first_id);

    let runs: Value = hub
        .http
        .get(format!("{}/runs?account_id={account}", hub.url))
        .basic_auth(&key, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let runs = runs["data"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "{runs:?}");
    for run in runs {
        assert_eq!(run["source"], "mcp", "{run}");
        assert_eq!(run["action"], "front_create_tag", "{run}");
    }
    let outcomes: Vec<&str> = runs
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == "replayed").count(),
        2,
        "{outcomes:?}"
    );
}

/// Every key of every object in `value`, at any depth.
fn keys_anywhere(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                found.push(key.clone());
                keys_anywhere(inner, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys_anywhere(item, found)),
        _ => {}
    }
}

/// No `_links`, no null and no empty string, array or object, anywhere.
fn assert_compact(value: &Value) {
    match value {
        Value::Null => panic!("a null in a compact answer"),
        Value::String(text) => assert!(!text.is_empty(), "an empty string"),
        Value::Array(items) => items.iter().for_each(assert_compact),
        Value::Object(map) => {
            assert!(!map.contains_key("_links"), "links in {value}");
            for inner in map.values() {
                let empty = match inner {
                    Value::Array(items) => items.is_empty(),
                    Value::Object(fields) => fields.is_empty(),
                    _ => false,
                };
                assert!(!empty, "an empty value in {value}");
                assert_compact(inner);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn answers_are_compact_by_default_full_on_request_and_narrowed_by_fields() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let to = To::account(&key, &account);
    let view = front().view_of("front_list_conversations").unwrap();

    // Compact: the conversation view's fields only, without links or empty values.
    let compact = hub
        .call(
            &to,
            "front_list_conversations",
            json!({"query": {"limit": 5}}),
        )
        .await
        .answer();
    assert!(compact["next"].is_string(), "{compact}");
    let items = compact["data"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_compact(&compact["data"]);
    let tops: Vec<&str> = view
        .fields
        .iter()
        .map(|path| path.split('.').next().unwrap())
        .collect();
    for item in items {
        assert!(item["id"].as_str().unwrap().starts_with("cnv_"), "{item}");
        for key in item.as_object().unwrap().keys() {
            assert!(
                tops.contains(&key.as_str()),
                "`{key}` is not in the view: {item}"
            );
        }
    }

    // Full: Front's answer as `/actions/rpc` gives it, byte for byte.
    let full = hub
        .call(
            &to,
            "front_list_conversations",
            json!({"query": {"limit": 5}, "_view": "full"}),
        )
        .await;
    let full_text = full.result()["content"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let rpc = hub
        .http
        .post(format!("{}/actions/rpc", hub.url))
        .basic_auth(&key, Some(""))
        .header("x-account-id", &account)
        .json(&json!({"action": "front_list_conversations", "query": {"limit": 5}}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(full_text, rpc);
    let mut keys = Vec::new();
    keys_anywhere(&full.answer(), &mut keys);
    assert!(keys.iter().any(|key| key == "_links"));

    // `_fields` overrides the view, in every style and through search_execute too.
    let flat = To {
        query: "?param-style=flat_prefixed",
        ..To::account(&key, &account)
    };
    let narrowed = hub
        .call(
            &flat,
            "front_list_conversations",
            json!({"query_limit": 3, "_fields": ["id", "tags.name", "nope"]}),
        )
        .await
        .answer();
    for item in narrowed["data"].as_array().unwrap() {
        let object = item.as_object().unwrap();
        assert!(
            object.keys().all(|key| key == "id" || key == "tags"),
            "{item}"
        );
        for tag in object
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            assert_eq!(
                tag.as_object().unwrap().keys().collect::<Vec<_>>(),
                ["name"]
            );
        }
    }
    let se = To {
        query: "?tool-mode=search_execute",
        ..To::account(&key, &account)
    };
    for arguments in [
        json!({"action_id": "front_list_tags", "arguments": {"query": {"limit": 2}}, "_fields": ["name"]}),
        json!({"action_id": "front_list_tags", "arguments": {"query": {"limit": 2}, "_fields": "name"}}),
    ] {
        let tags = hub
            .call(&se, "front_execute_action", arguments)
            .await
            .answer();
        for tag in tags["data"].as_array().unwrap() {
            assert_eq!(
                tag.as_object().unwrap().keys().collect::<Vec<_>>(),
                ["name"]
            );
        }
    }

    // An action without a view is still compact: no links, no empty values.
    let identity = hub
        .call(&to, "front_get_token_identity", json!({}))
        .await
        .answer();
    assert_compact(&identity["data"]);
}

#[tokio::test]
async fn bad_view_or_fields_arguments_are_tool_errors_naming_them() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let to = To::account(&key, &account);
    for (arguments, expected) in [
        (json!({"_view": "tiny"}), "`_view` must be \"compact\""),
        (json!({"_fields": 3}), "`_fields` must be an array"),
        (
            json!({"_fields": [1]}),
            "`_fields`: each entry must be a string",
        ),
        (
            json!({"_fields": ["a..b"]}),
            "`_fields`: `a..b` has an empty segment",
        ),
        (json!({"_fields": []}), "`_fields`: give at least one path"),
        (
            json!({"_fields": vec!["id"; 51]}),
            "`_fields`: at most 50 paths",
        ),
    ] {
        let message = hub
            .call(&to, "front_list_tags", arguments.clone())
            .await
            .tool_error();
        assert!(message.contains(expected), "{arguments}: {message}");
    }
    // Nothing ran: the arguments were refused before the action.
    assert!(runs(&hub, &key, &account).await.is_empty());
}

impl Hub {
    /// Sets the project's policy through `PUT /policy`.
    async fn set_policy(&self, key: &str, rules: Value) {
        let response = self
            .http
            .put(format!("{}/policy", self.url))
            .basic_auth(key, Some(""))
            .json(&json!({ "rules": rules }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// `front_get_approval` until the approval has settled (the run goes on in a task).
    async fn settled_approval(&self, to: &To<'_>, id: &str) -> Answer {
        for _ in 0..600 {
            let answer = self
                .call(to, "front_get_approval", json!({"approval_id": id}))
                .await;
            let text = answer.result()["content"][0]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if !text.contains("call again to see how it went") {
                return answer;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("approval {id} never settled");
    }
}

#[tokio::test]
async fn denied_tools_are_neither_listed_nor_found_and_refuse_naming_the_rule() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let to = To::account(&key, &account);
    assert!(
        hub.tool_names(&key, &account, "")
            .await
            .contains(&"front_delete_tag".to_owned())
    );
    assert!(
        !hub.tool_names(&key, &account, "")
            .await
            .contains(&"front_get_approval".to_owned())
    );

    hub.set_policy(
        &key,
        json!([{"match": "front_delete_tag", "decision": "deny"}]),
    )
    .await;
    let names = hub.tool_names(&key, &account, "?toolset=all").await;
    assert!(!names.contains(&"front_delete_tag".to_owned()), "{names:?}");
    assert!(names.contains(&"front_update_tag".to_owned()));
    // No approve rule: nothing to check.
    assert!(!names.contains(&"front_get_approval".to_owned()));

    let refused = hub
        .call(
            &to,
            "front_delete_tag",
            json!({"path": {"tag_id": "tag_2oxhvy"}}),
        )
        .await
        .tool_error();
    assert!(
        refused.contains("denied by the project policy rule front_delete_tag=deny"),
        "{refused}"
    );

    let se = To {
        query: "?tool-mode=search_execute",
        ..To::account(&key, &account)
    };
    let found = hub
        .call(
            &se,
            "front_search_actions",
            json!({"query": "delete a tag", "limit": 50}),
        )
        .await;
    let ids: Vec<&str> = found.result()["structuredContent"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["action_id"].as_str().unwrap())
        .collect();
    assert!(
        !ids.is_empty() && !ids.contains(&"front_delete_tag"),
        "{ids:?}"
    );
    let refused = hub
        .call(
            &se,
            "front_execute_action",
            json!({"action_id": "front_delete_tag", "arguments": {"path": {"tag_id": "tag_2oxhvy"}}}),
        )
        .await
        .tool_error();
    assert!(refused.contains("front_delete_tag=deny"), "{refused}");
}

#[tokio::test]
async fn a_held_call_answers_pending_with_its_link_and_get_approval_gives_the_result() {
    let hub = Hub::start().await;
    let key = hub.key("default").await;
    let account = hub.link(&key, "acme", None).await;
    let other = hub.link(&key, "globex", None).await;
    let to = To::account(&key, &account);
    hub.set_policy(
        &key,
        json!([{"match": "front_create_tag", "decision": "approve"}]),
    )
    .await;
    assert!(
        hub.tool_names(&key, &account, "")
            .await
            .contains(&"front_get_approval".to_owned())
    );

    let held = hub
        .call(
            &to,
            "front_create_tag",
            json!({"body": {"name": "held-by-policy"}}),
        )
        .await;
    let result = held.result();
    assert_eq!(result["isError"], false, "pending is no error: {result}");
    let text = result["content"][0]["text"].as_str().unwrap();
    let id = text
        .split_whitespace()
        .find(|word| word.starts_with("apr_"))
        .unwrap()
        .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_');
    assert!(
        text.contains(&format!("{}/dashboard/approvals/{id}", hub.url)),
        "{text}"
    );
    assert!(text.contains("front_get_approval"), "{text}");
    assert!(text.contains("pending until "), "{text}");

    let pending = hub
        .call(&to, "front_get_approval", json!({"approval_id": id}))
        .await;
    assert!(
        pending.result()["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("waiting for a person's approval"),
        "{:?}",
        pending.body
    );
    // Another account of the project does not see it.
    let elsewhere = hub
        .call(
            &To::account(&key, &other),
            "front_get_approval",
            json!({"approval_id": id}),
        )
        .await
        .tool_error();
    assert!(elsewhere.contains("has no approval"), "{elsewhere}");

    let approved = hub
        .http
        .post(format!("{}/approvals/{id}/approve", hub.url))
        .basic_auth(&key, Some(""))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(approved.status().is_success(), "{}", approved.status());
    let ran = hub.settled_approval(&to, id).await.answer();
    assert_eq!(ran["data"]["name"], "held-by-policy", "{ran}");
    assert!(ran["data"]["id"].as_str().unwrap().starts_with("tag_"));
    assert!(ran["data"].get("_links").is_none(), "compact: {ran}");

    // A rejected one says it did not run.
    let held = hub
        .call(
            &to,
            "front_create_tag",
            json!({"body": {"name": "never-made"}}),
        )
        .await;
    let text = held.result()["content"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = text
        .split_whitespace()
        .find(|word| word.starts_with("apr_"))
        .unwrap()
        .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_');
    let rejected = hub
        .http
        .post(format!("{}/approvals/{id}/reject", hub.url))
        .basic_auth(&key, Some(""))
        .json(&json!({"reason": "not now"}))
        .send()
        .await
        .unwrap();
    assert!(rejected.status().is_success(), "{}", rejected.status());
    let refused = hub.settled_approval(&to, id).await.tool_error();
    assert!(
        refused.contains("was not run") && refused.contains("not now"),
        "{refused}"
    );
}
