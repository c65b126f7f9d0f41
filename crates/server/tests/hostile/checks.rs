//! The suite's checks: what every answer must be, what Front may have seen, and the report that
//! groups every failure of a run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use actionhub_catalog::{Action, Location};
use serde_json::Value;

use crate::corpus::{Entry, Expect, Route};
use crate::recorder::Seen;
use crate::wire::{RawResponse, WireError};

pub struct Failure {
    pub category: &'static str,
    pub entry: String,
    pub detail: String,
}

/// Everything wrong with one answer.
pub fn check_answer(
    entry: &Entry,
    answer: &Result<RawResponse, WireError>,
    secrets: &[(String, String)],
) -> Vec<Failure> {
    let mut failures = Vec::new();
    let mut fail = |category: &'static str, detail: String| {
        failures.push(Failure {
            category,
            entry: entry.name.clone(),
            detail: mask(&detail, secrets),
        });
    };
    let response = match answer {
        Ok(response) => response,
        Err(WireError::Connection(error)) => {
            fail(
                "connection reset or closed without an answer",
                error.clone(),
            );
            return failures;
        }
        Err(WireError::Timeout) => {
            fail("no answer in time", "the hub did not answer".to_owned());
            return failures;
        }
        Err(WireError::Malformed(error)) => {
            fail("malformed HTTP answer", error.clone());
            return failures;
        }
    };
    let status = response.status;
    let body_text = String::from_utf8_lossy(&response.body);
    let shown = || format!("{status} {}", excerpt(&body_text));
    for (kind, secret) in secrets {
        if body_text.contains(secret.as_str()) {
            fail(
                "secret echoed",
                format!("the {kind} is in the body ({status})"),
            );
        }
        if response
            .headers
            .iter()
            .any(|(_, value)| value.contains(secret.as_str()))
        {
            fail(
                "secret echoed",
                format!("the {kind} is in a header ({status})"),
            );
        }
    }
    if status >= 500 {
        fail("status 5xx", shown());
    }
    let json: Option<Value> = serde_json::from_slice(&response.body).ok();
    if status >= 400 {
        match entry.route {
            Route::Platform => {
                if !is_stackone_error(json.as_ref(), status) {
                    fail("error without StackOne's JSON body", shown());
                }
            }
            Route::Page => {
                let html = response
                    .header("content-type")
                    .is_some_and(|t| t.starts_with("text/html"));
                if !html && !is_stackone_error(json.as_ref(), status) {
                    fail("page error neither HTML nor StackOne's JSON body", shown());
                }
            }
            Route::Mcp => {
                if !json.as_ref().is_some_and(Value::is_object) {
                    fail("/mcp refusal without a JSON body", shown());
                }
            }
            Route::Wire => {}
        }
    }
    let message = match entry.route {
        Route::Mcp => jsonrpc_message(response),
        _ => None,
    };
    if entry.route == Route::Mcp && status < 300 && !response.body.is_empty() && message.is_none() {
        fail("/mcp answer that is not a JSON-RPC message", shown());
    }
    match entry.expect {
        Expect::Anything => {}
        Expect::RpcError(code) => {
            let got = message
                .as_ref()
                .or(json.as_ref())
                .and_then(|m| m["error"]["code"].as_i64());
            if got != Some(code) {
                let got = got.map_or_else(|| "no JSON-RPC error".to_owned(), |c| c.to_string());
                fail(
                    "wrong JSON-RPC error code",
                    format!("expected {code}, got {got}: {}", shown()),
                );
            }
        }
        Expect::Refused => {
            let refused = match status {
                400..=499 => true,
                200..=299 if entry.route == Route::Mcp => message
                    .as_ref()
                    .is_some_and(|m| m.get("error").is_some() || m["result"]["isError"] == true),
                _ => false,
            };
            if !refused && status < 500 {
                fail("hostile input accepted", shown());
            }
        }
    }
    failures
}

/// StackOne's error body: `{"statusCode": <the status>, "message": "…"}`.
fn is_stackone_error(json: Option<&Value>, status: u16) -> bool {
    json.is_some_and(|body| {
        body["statusCode"].as_u64() == Some(u64::from(status)) && body["message"].is_string()
    })
}

/// The JSON-RPC message of an `/mcp` answer: the JSON body, or the SSE event's data.
fn jsonrpc_message(response: &RawResponse) -> Option<Value> {
    let text = String::from_utf8_lossy(&response.body);
    if response
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream"))
    {
        let data: String = text
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(str::trim)
            .collect();
        return serde_json::from_str(&data).ok();
    }
    serde_json::from_str(&text).ok().filter(Value::is_object)
}

/// Everything Front saw for `entry` that it should not have: only the named action's path
/// template (segment for segment, each parameter one real segment), with a `limit` within the
/// action's maximum, and `GET /me`.
pub fn check_front(entry: &Entry, seen: &[Seen]) -> Vec<Failure> {
    let mut failures = Vec::new();
    for request in seen {
        if request.method == "GET" && request.target == "/me" {
            continue;
        }
        let shown = format!("{} {}", request.method, excerpt(&request.target));
        let Some(action) = entry.action else {
            failures.push(Failure {
                category: "Front saw a request for an entry that names no action",
                entry: entry.name.clone(),
                detail: shown,
            });
            continue;
        };
        if request.method != action.method.as_str()
            || !matches_template(&action.path, &request.target)
        {
            failures.push(Failure {
                category: "Front saw a path outside the action's template",
                entry: entry.name.clone(),
                detail: format!(
                    "{shown} (template {} {})",
                    action.method.as_str(),
                    action.path
                ),
            });
        }
        if let Some(limit) = over_limit(action, &request.target) {
            failures.push(Failure {
                category: "Front saw a limit above the action's maximum",
                entry: entry.name.clone(),
                detail: format!("{shown} (limit {limit})"),
            });
        }
    }
    failures
}

/// Whether `target`'s path has `template`'s segments, each `{param}` being exactly one
/// non-empty segment that is not a dot segment, even once percent-decoded.
pub fn matches_template(template: &str, target: &str) -> bool {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let expected: Vec<&str> = template.split('/').collect();
    let got: Vec<&str> = path.split('/').collect();
    expected.len() == got.len()
        && expected.iter().zip(&got).all(|(want, have)| {
            if want.starts_with('{') && want.ends_with('}') {
                let decoded = percent_decode(have);
                !have.is_empty() && !matches!(decoded.as_str(), "." | "..")
            } else {
                want == have
            }
        })
}

/// A `limit` in `target`'s query above the action's declared maximum.
fn over_limit(action: &Action, target: &str) -> Option<u64> {
    let maximum = action
        .fields(Location::Query)
        .get("limit")?
        .maximum
        .as_ref()?
        .as_u64()?;
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("limit="))
        .filter_map(|value| value.parse::<u64>().ok())
        .find(|limit| *limit > maximum)
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The start of a long text, on one line.
fn excerpt(text: &str) -> String {
    let flat: String = text
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > 200 {
        format!("{flat}… ({} bytes)", text.len())
    } else {
        flat
    }
}

/// `text` with every secret replaced by its kind, so that a report never prints one.
fn mask(text: &str, secrets: &[(String, String)]) -> String {
    secrets
        .iter()
        .fold(text.to_owned(), |text, (kind, secret)| {
            text.replace(secret.as_str(), &format!("<{kind}>"))
        })
}

/// Every failure of a run, grouped by check, with counts; `all` lists every failure instead of
/// the first few of each check.
pub fn report(backend: &str, entries: usize, failures: &[Failure], all: bool) -> String {
    let mut by_category: BTreeMap<&str, Vec<&Failure>> = BTreeMap::new();
    for failure in failures {
        by_category
            .entry(failure.category)
            .or_default()
            .push(failure);
    }
    let mut out = format!(
        "hostile-input suite on {backend}: {entries} requests, {} failures in {} checks\n",
        failures.len(),
        by_category.len()
    );
    for (category, list) in &by_category {
        let _ = writeln!(out, "  {category}: {}", list.len());
    }
    const SHOWN: usize = 12;
    for (category, list) in &by_category {
        let _ = writeln!(out, "\n== {category} ({})", list.len());
        let shown = if all {
            list.len()
        } else {
            SHOWN.min(list.len())
        };
        for failure in &list[..shown] {
            let _ = writeln!(out, "  - [{}] {}", failure.entry, failure.detail);
        }
        if shown < list.len() {
            let _ = writeln!(
                out,
                "  … and {} more (HOSTILE_SHOW_ALL=1 lists them all)",
                list.len() - shown
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use actionhub_catalog::Catalog;

    use super::*;
    use crate::wire::RawRequest;

    fn entry(route: Route, action: Option<&str>, expect: Expect) -> Entry {
        Entry {
            name: "probe".to_owned(),
            route,
            request: RawRequest {
                method: "GET".into(),
                target: b"/".to_vec(),
                headers: Vec::new(),
                body: Vec::new(),
            },
            action: action.map(|id| Catalog::builtin().action(id).unwrap()),
            expect,
            worker: 0,
            last: false,
        }
    }

    fn answer(status: u16, content_type: &str, body: &str) -> Result<RawResponse, WireError> {
        Ok(RawResponse {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.as_bytes().to_vec(),
        })
    }

    fn categories(failures: &[Failure]) -> Vec<&str> {
        failures.iter().map(|f| f.category).collect()
    }

    const SECRETS: &[(&str, &str)] = &[("API key", "ahk_live_secret")];

    fn secrets() -> Vec<(String, String)> {
        SECRETS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn each_answer_rule_catches_its_breach() {
        let platform = entry(Route::Platform, None, Expect::Anything);
        let good = answer(
            404,
            "application/json",
            r#"{"statusCode":404,"message":"no"}"#,
        );
        assert!(check_answer(&platform, &good, &secrets()).is_empty());
        let plain = answer(400, "text/plain", "Invalid URL");
        assert_eq!(
            categories(&check_answer(&platform, &plain, &secrets())),
            ["error without StackOne's JSON body"]
        );
        let wrong_code = answer(
            400,
            "application/json",
            r#"{"statusCode":500,"message":"no"}"#,
        );
        assert_eq!(
            categories(&check_answer(&platform, &wrong_code, &secrets())),
            ["error without StackOne's JSON body"]
        );
        let crash = answer(
            500,
            "application/json",
            r#"{"statusCode":500,"message":"internal error"}"#,
        );
        assert_eq!(
            categories(&check_answer(&platform, &crash, &secrets())),
            ["status 5xx"]
        );
        let echo = answer(
            401,
            "application/json",
            r#"{"statusCode":401,"message":"bad key ahk_live_secret"}"#,
        );
        let failures = check_answer(&platform, &echo, &secrets());
        assert_eq!(categories(&failures), ["secret echoed"]);
        assert!(
            !failures[0].detail.contains("ahk_live_secret"),
            "a report never prints a secret"
        );
        let in_header = Ok(RawResponse {
            status: 200,
            headers: vec![("x-echo".to_owned(), "ahk_live_secret".to_owned())],
            body: Vec::new(),
        });
        assert_eq!(
            categories(&check_answer(&platform, &in_header, &secrets())),
            ["secret echoed"]
        );
        let reset = Err(WireError::Connection("reset".to_owned()));
        assert_eq!(
            categories(&check_answer(&platform, &reset, &secrets())),
            ["connection reset or closed without an answer"]
        );

        let page = entry(Route::Page, None, Expect::Anything);
        assert!(
            check_answer(
                &page,
                &answer(404, "text/html; charset=utf-8", "<p>no</p>"),
                &secrets()
            )
            .is_empty()
        );
        assert_eq!(
            categories(&check_answer(
                &page,
                &answer(413, "text/plain", "too big"),
                &secrets()
            )),
            ["page error neither HTML nor StackOne's JSON body"]
        );

        let wire = entry(Route::Wire, None, Expect::Anything);
        assert!(check_answer(&wire, &answer(414, "", ""), &secrets()).is_empty());
        assert_eq!(
            categories(&check_answer(&wire, &answer(500, "", ""), &secrets())),
            ["status 5xx"]
        );

        let refused = entry(Route::Platform, None, Expect::Refused);
        assert_eq!(
            categories(&check_answer(
                &refused,
                &answer(200, "application/json", "{}"),
                &secrets()
            )),
            ["hostile input accepted"]
        );
        let mcp_refused = entry(Route::Mcp, None, Expect::Refused);
        let tool_error = r#"{"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[]}}"#;
        assert!(
            check_answer(
                &mcp_refused,
                &answer(200, "application/json", tool_error),
                &secrets()
            )
            .is_empty()
        );
        let tool_ok = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#;
        assert_eq!(
            categories(&check_answer(
                &mcp_refused,
                &answer(200, "application/json", tool_ok),
                &secrets()
            )),
            ["hostile input accepted"]
        );
        let sse = format!("event: message\ndata: {tool_error}\n\n");
        assert!(
            check_answer(
                &mcp_refused,
                &answer(200, "text/event-stream", &sse),
                &secrets()
            )
            .is_empty()
        );

        let invalid_params = entry(Route::Mcp, None, Expect::RpcError(-32602));
        let not_found =
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"tools/call"}}"#;
        assert_eq!(
            categories(&check_answer(
                &invalid_params,
                &answer(200, "application/json", not_found),
                &secrets()
            )),
            ["wrong JSON-RPC error code"]
        );
        assert_eq!(
            categories(&check_answer(
                &invalid_params,
                &answer(415, "text/plain", "no"),
                &secrets()
            )),
            [
                "/mcp refusal without a JSON body",
                "wrong JSON-RPC error code"
            ]
        );
    }

    #[test]
    fn front_may_see_only_the_named_template_and_me() {
        let seen = |method: &str, target: &str| Seen {
            method: method.to_owned(),
            target: target.to_owned(),
        };
        let contacts = entry(
            Route::Platform,
            Some("front_list_account_contacts"),
            Expect::Anything,
        );
        assert!(
            check_front(
                &contacts,
                &[
                    seen("GET", "/me"),
                    seen("GET", "/accounts/acc_1/contacts?limit=5")
                ]
            )
            .is_empty()
        );
        assert_eq!(
            categories(&check_front(&contacts, &[seen("GET", "/contacts")])),
            ["Front saw a path outside the action's template"]
        );
        assert_eq!(
            categories(&check_front(
                &contacts,
                &[seen("DELETE", "/accounts/acc_1/contacts")]
            )),
            ["Front saw a path outside the action's template"]
        );
        assert_eq!(
            categories(&check_front(
                &contacts,
                &[seen("GET", "/accounts/acc_1/contacts?limit=100000")]
            )),
            ["Front saw a limit above the action's maximum"]
        );
        let nothing = entry(Route::Platform, None, Expect::Anything);
        assert_eq!(
            categories(&check_front(&nothing, &[seen("GET", "/tags")])),
            ["Front saw a request for an entry that names no action"]
        );
    }

    #[test]
    fn a_template_matches_one_real_segment_per_parameter() {
        let template = "/accounts/{account_id}/contacts";
        assert!(matches_template(
            template,
            "/accounts/acc_1/contacts?limit=5"
        ));
        assert!(matches_template(template, "/accounts/a%2Fb/contacts"));
        assert!(!matches_template(template, "/contacts"));
        assert!(!matches_template(template, "/accounts//contacts"));
        assert!(!matches_template(template, "/accounts/../contacts"));
        assert!(!matches_template(template, "/accounts/%2e%2E/contacts"));
        assert!(!matches_template(template, "/accounts/a/b/contacts"));
        assert!(!matches_template(template, "/accounts/acc_1/notes"));
    }
}
