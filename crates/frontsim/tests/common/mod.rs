//! Helpers shared by the integration tests: start a simulator on a free port, call it.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::time::Duration;

use frontsim::{RunningSim, SimConfig};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// 2026-01-01T00:00:00Z: the generated data ends here; everything written at run time is later.
pub const GENERATED_DATA_ENDS_AT: f64 = 1_767_225_600.0;

/// A running simulator and a client holding one token.
pub struct Sim {
    pub running: RunningSim,
    pub client: reqwest::Client,
    pub token: String,
}

/// One answer: status, headers and the body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub raw: Vec<u8>,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn header_u64(&self, name: &str) -> Option<u64> {
        self.header(name).and_then(|v| v.parse().ok())
    }

    pub fn ids(&self) -> Vec<String> {
        self.body["_results"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn next(&self) -> Option<String> {
        self.body["_pagination"]["next"].as_str().map(str::to_owned)
    }

    /// Asserts Front's error shape with this status and returns the `_error` object.
    pub fn expect_error(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        let error = &self.body["_error"];
        assert_eq!(error["status"], status, "body: {}", self.body);
        assert!(
            error["title"].is_string() && error["message"].is_string(),
            "body: {}",
            self.body
        );
        error
    }
}

pub async fn start(config: SimConfig) -> Sim {
    let running = frontsim::bind(config, "127.0.0.1:0")
        .await
        .expect("the simulator starts");
    let token = running.demo_token().unwrap_or("no-demo-token").to_owned();
    Sim {
        running,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("a client"),
        token,
    }
}

/// Limits and faults off.
pub async fn start_unlimited() -> Sim {
    start(SimConfig::unlimited()).await
}

impl Sim {
    pub fn url(&self, path_and_query: &str) -> String {
        if path_and_query.starts_with("http") {
            path_and_query.to_owned()
        } else {
            format!("{}{path_and_query}", self.running.base_url())
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> Answer {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_vec());
        }
        let response = request.send().await.expect("the simulator answers");
        let status = response.status();
        let headers = response.headers().clone();
        let raw = response.bytes().await.expect("a complete body").to_vec();
        let is_json = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        // Downloads answer bytes; their body stays `Null` here and is read from `raw`.
        let body = if raw.is_empty() || !is_json {
            Value::Null
        } else {
            serde_json::from_slice(&raw).unwrap_or_else(|e| {
                panic!(
                    "{status}: body is not JSON ({e}): {}",
                    String::from_utf8_lossy(&raw)
                )
            })
        };
        Answer {
            status,
            headers,
            raw,
            body,
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let bytes = body.map(|b| serde_json::to_vec(&b).expect("serialisable"));
        self.send(method, path, Some(&self.token), bytes.as_deref())
            .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    /// Follows `_pagination.next` from `first` and returns every id in order.
    pub async fn all_ids(&self, first: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut next = Some(first.to_owned());
        let mut pages = 0;
        while let Some(url) = next {
            let page = self.get(&url).await;
            assert_eq!(page.status, 200, "{url}: {}", page.body);
            ids.extend(page.ids());
            next = page.next();
            pages += 1;
            assert!(pages < 10_000, "pagination does not end");
        }
        ids
    }

    /// Waits until the company's activity has left a page of events after the generated data,
    /// and returns a time just past the newest of them: walks over the live stream need that
    /// upper bound, as it grows while they page through it.
    pub async fn wait_for_activity(&self) -> f64 {
        for _ in 0..400 {
            let page = self
                .get(&format!("/events?q[after]={GENERATED_DATA_ENDS_AT}"))
                .await;
            assert_eq!(page.status, 200, "{}", page.body);
            if page.ids().len() == 15 {
                let newest = page.body["_results"][0]["emitted_at"].as_f64();
                return newest.expect("emitted_at is a number") + 0.001;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the company's activity left no page of events in 20 s");
    }

    /// The first id of a list.
    pub async fn first_id(&self, path: &str) -> String {
        let answer = self.get(path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        answer
            .ids()
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{path} is empty"))
    }
}

/// A nested query object in Front's bracket form: `{"limit": 5, "q": {"statuses": ["a"]}}`
/// becomes `limit=5&q[statuses][]=a`.
pub fn query_string(query: &Value) -> String {
    fn add(key: &str, value: &Value, pairs: &mut Vec<String>) {
        match value {
            Value::Object(fields) => {
                for (name, inner) in fields {
                    add(&format!("{key}[{name}]"), inner, pairs);
                }
            }
            Value::Array(items) => {
                for item in items {
                    add(&format!("{key}[]"), item, pairs);
                }
            }
            Value::String(text) => pairs.push(format!("{}={}", encode(key), encode(text))),
            other => pairs.push(format!("{}={other}", encode(key))),
        }
    }
    let mut pairs = Vec::new();
    if let Value::Object(fields) = query {
        for (name, value) in fields {
            add(name, value, &mut pairs);
        }
    }
    pairs.join("&")
}

/// Percent-encodes one path segment or query value.
pub fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
