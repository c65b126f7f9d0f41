//! The corpus: every request the suite sends, generated in code from the catalogue and fixed
//! values (no randomness), so that every run sends the same bytes in the same order.

use actionhub_catalog::{Action, Catalog, Field, FieldType, Location, ParamStyle};
use actionhub_engine::cursor::{self, IssuedFor};
use actionhub_testkit::KEY_V1;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use crate::wire::{Header, RawRequest};

/// Which answer rules a route follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// StackOne's JSON error body on every 4xx and 5xx.
    Platform,
    /// JSON-RPC error objects for JSON-RPC errors, JSON bodies otherwise.
    Mcp,
    /// A Hub page: HTML (or the JSON body) on errors.
    Page,
    /// Malformed HTTP that the HTTP layer (hyper) refuses before any route can see it: a raw
    /// non-ASCII byte in the target, a target over 64 KiB, a header block over 400 KiB. Any 4xx
    /// will do, with or without a body; never a 5xx or a reset.
    Wire,
}

/// What the answer must be beyond the rules every answer follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Only the general rules.
    Anything,
    /// The input is hostile and must be refused: a 4xx, or on `/mcp` a JSON-RPC error or a tool
    /// result with `isError`.
    Refused,
    /// A JSON-RPC error with this code.
    RpcError(i64),
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// Names the entry in failure reports: route, interface, action, field and value label.
    pub name: String,
    pub route: Route,
    pub request: RawRequest,
    /// The action the request names: Front may see only its path template (and `GET /me`).
    pub action: Option<&'static Action>,
    pub expect: Expect,
    /// The worker (and so the linked account and Front token) that sends it.
    pub worker: usize,
    /// Sent after all the others: a request that may hold the hub's workers for long (a huge
    /// unknown action id, today) would otherwise stall the rest of the corpus behind it.
    pub last: bool,
}

/// What the corpus needs to know about the running hub.
pub struct Context {
    pub api_key: String,
    pub session_token: String,
    /// One linked account per worker, each with its own Front token.
    pub accounts: Vec<String>,
    /// The recording stand-in's URL: the hub's Front base URL.
    pub front_url: String,
}

/// A hostile value for a path parameter.
struct Segment {
    label: &'static str,
    value: String,
    /// Whether the parameter must refuse it. Every parameter refuses an empty value, a dot
    /// segment (also once percent-decoded), a control character, a huge value; an id also
    /// refuses what does not have an id's shape, which may be words of free text (a search).
    refused: bool,
}

/// The hostile values put in a path parameter. `prefix` is the resource's id prefix taken from
/// the action's example (`tag_`), to try dot segments behind a plausible start; `None` for a
/// free-text parameter.
fn hostile_segments(prefix: Option<&str>) -> Vec<Segment> {
    let always = [
        ("empty", String::new()),
        ("dot", ".".to_owned()),
        ("dotdot", "..".to_owned()),
        ("pct-dotdot", "%2e%2e".to_owned()),
        ("pct-dot-mixed", "%2E.".to_owned()),
        ("nul", "x\u{0}y".to_owned()),
        ("crlf", "a\r\nx-injected: 1".to_owned()),
        ("100KB", "a".repeat(100 * 1024)),
    ];
    let mut not_ids = vec![
        ("dotdot-me", "../me".to_owned()),
        ("slash", "a/b".to_owned()),
        ("query", "a?x=1".to_owned()),
        ("fragment", "a#f".to_owned()),
        ("sibling-search", "search".to_owned()),
        ("space", " ".to_owned()),
        ("backslash-dotdot", "..\\..".to_owned()),
        ("pct-slash", "a%2Fb".to_owned()),
    ];
    if let Some(prefix) = prefix {
        not_ids.push(("prefix-dotdot", format!("{prefix}..")));
        not_ids.push(("prefix-traversal", format!("{prefix}/../../me")));
    }
    let is_id = prefix.is_some();
    always
        .into_iter()
        .map(|(label, value)| (label, value, true))
        .chain(
            not_ids
                .into_iter()
                .map(|(label, value)| (label, value, is_id)),
        )
        .map(|(label, value, refused)| Segment {
            label,
            value,
            refused,
        })
        .collect()
}

/// The id prefix of a path parameter, from its example value (`cnv_abc` → `cnv_`); `None` when
/// the example is not an id (free text, such as a search query).
fn id_prefix(action: &Action, param: &str) -> Option<String> {
    let example = action.example["path"][param].as_str()?;
    let (prefix, rest) = example.split_once('_')?;
    let is_id = !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric());
    is_id.then(|| format!("{prefix}_"))
}

/// Path segments tried in the hub's own path parameters (`/accounts/{id}` and the like), as
/// they go on the wire: dot segments, percent-encoded invalid UTF-8, NUL, raw bytes.
fn hostile_route_segments() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("dotdot", b"..".to_vec()),
        ("pct-dotdot", b"%2e%2e".to_vec()),
        ("pct-FF", b"%FF".to_vec()),
        ("pct-overlong-slash", b"%C0%AF".to_vec()),
        ("pct-nul", b"x%00y".to_vec()),
        ("pct-surrogate", b"%ED%A0%80".to_vec()),
        ("raw-FF", b"a\xffb".to_vec()),
        ("raw-latin1", b"caf\xe9".to_vec()),
        ("100KB", vec![b'a'; 100 * 1024]),
        ("search", b"search".to_vec()),
        ("pct-slash", b"a%2Fb".to_vec()),
    ]
}

pub struct Builder<'c> {
    ctx: &'c Context,
    workers: usize,
    /// Whether entries pushed now go in the last round.
    last: bool,
    /// Entries so far in the first and the last round.
    in_round: [usize; 2],
    entries: Vec<Entry>,
}

impl<'c> Builder<'c> {
    pub fn new(ctx: &'c Context) -> Builder<'c> {
        Builder {
            ctx,
            workers: ctx.accounts.len(),
            last: false,
            in_round: [0, 0],
            entries: Vec::new(),
        }
    }

    /// The worker (and account) the next entry goes to: round robin within its round, so fixed
    /// per position, and the last round spread over every worker.
    fn worker(&self) -> usize {
        self.in_round[usize::from(self.last)] % self.workers
    }

    fn account(&self) -> String {
        self.ctx.accounts[self.worker()].clone()
    }

    fn push(
        &mut self,
        name: String,
        route: Route,
        request: RawRequest,
        action: Option<&'static Action>,
        expect: Expect,
    ) {
        let route = if refused_by_http_layer(&request) {
            Route::Wire
        } else {
            route
        };
        let worker = self.worker();
        self.entries.push(Entry {
            name,
            route,
            request,
            action,
            expect,
            worker,
            last: self.last,
        });
        self.in_round[usize::from(self.last)] += 1;
    }

    fn basic(&self) -> Header {
        basic_auth(&self.ctx.api_key)
    }

    /// `POST /actions/rpc` with `body` for the next worker's account.
    fn rpc(
        &mut self,
        name: String,
        body: Vec<u8>,
        query: &str,
        action: Option<&'static Action>,
        expect: Expect,
    ) {
        let request = RawRequest {
            method: "POST".into(),
            target: format!("/actions/rpc{query}").into_bytes(),
            headers: vec![
                self.basic(),
                json_type(),
                ("x-account-id".into(), self.account().into_bytes()),
            ],
            body,
        };
        self.push(
            format!("rpc {name}"),
            Route::Platform,
            request,
            action,
            expect,
        );
    }

    /// `POST /mcp{query}` with a JSON-RPC message for the next worker's account.
    fn mcp(
        &mut self,
        name: String,
        query: &str,
        body: Vec<u8>,
        action: Option<&'static Action>,
        expect: Expect,
    ) {
        let request = RawRequest {
            method: "POST".into(),
            target: format!("/mcp{query}").into_bytes(),
            headers: vec![
                self.basic(),
                json_type(),
                ("accept".into(), b"application/json".to_vec()),
                ("x-account-id".into(), self.account().into_bytes()),
            ],
            body,
        };
        self.push(format!("mcp {name}"), Route::Mcp, request, action, expect);
    }

    fn tools_call(
        &mut self,
        name: String,
        query: &str,
        tool: &str,
        arguments: Value,
        action: Option<&'static Action>,
        expect: Expect,
    ) {
        let message = json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments},
        });
        self.mcp(
            name,
            query,
            message.to_string().into_bytes(),
            action,
            expect,
        );
    }

    /// A plain request with the given auth, content type and body.
    fn call(&mut self, name: String, route: Route, mut request: RawRequest, expect: Expect) {
        let action = named_action(&request.target, &request.body);
        // A linked account named in a header becomes the sending worker's own, so that what
        // Front sees is attributed to this request.
        let own = self.account().into_bytes();
        for (name, value) in &mut request.headers {
            if name == "x-account-id"
                && self
                    .ctx
                    .accounts
                    .iter()
                    .any(|a| a.as_bytes() == value.as_slice())
            {
                value.clone_from(&own);
            }
        }
        self.push(name, route, request, action, expect);
    }

    pub fn build(mut self) -> Vec<Entry> {
        self.path_parameters();
        self.inputs_per_action();
        self.cursors();
        self.action_ids();
        self.json_bodies();
        self.route_segments();
        self.auth();
        self.content_types();
        self.jsonrpc();
        self.pages();
        self.odd_routes();
        self.entries
    }

    /// Every hostile value in every path parameter of every action, through RPC (live and dry
    /// run), MCP in each parameter style, and MCP's `front_execute_action`.
    fn path_parameters(&mut self) {
        for (index, action) in all_actions().enumerate() {
            for param in action.inputs.path.keys() {
                let prefix = id_prefix(action, param);
                for segment in hostile_segments(prefix.as_deref()) {
                    let Segment {
                        label,
                        value,
                        refused,
                    } = segment;
                    let expect = if refused {
                        Expect::Refused
                    } else {
                        Expect::Anything
                    };
                    let mut input = action.example.clone();
                    input["path"][param.as_str()] = Value::String(value);
                    let what = format!("{} path.{param}={label}", action.id);
                    let mut body = nested_object(&input);
                    body.insert("action".into(), json!(action.id));
                    let body = Value::Object(body).to_string().into_bytes();
                    self.rpc(
                        format!("dry-run {what}"),
                        body.clone(),
                        "?dry_run=true",
                        Some(action),
                        expect,
                    );
                    // Sent live, a huge value costs a round of retries today (Front's 414): every
                    // eighth action, through RPC and `front_execute_action`.
                    let huge = label == "100KB";
                    if huge && index % 8 != 0 {
                        continue;
                    }
                    self.rpc(what.clone(), body, "", Some(action), expect);
                    let styles = if huge { &[][..] } else { &ParamStyle::ALL[..] };
                    for &style in styles {
                        let arguments = in_style(action, style, &input);
                        self.tools_call(
                            format!("tools/call {style} {what}"),
                            &format!("?param-style={style}"),
                            &action.id,
                            arguments,
                            Some(action),
                            expect,
                        );
                    }
                    self.tools_call(
                        format!("front_execute_action {what}"),
                        "?tool-mode=search_execute",
                        "front_execute_action",
                        json!({"action_id": action.id, "arguments": input}),
                        Some(action),
                        expect,
                    );
                }
            }
        }
    }

    /// Wrong types, NUL and huge values in each action's inputs (RPC, nested), and NUL through
    /// a flat MCP style.
    fn inputs_per_action(&mut self) {
        for (index, action) in all_actions().enumerate() {
            let example = &action.example;
            let mut shapes: Vec<(String, Value)> = vec![
                ("path-is-number".into(), json!(5)),
                ("query-is-string".into(), json!({"query": "limit=5"})),
                ("body-is-array".into(), json!({"body": [1, 2]})),
                (
                    "input-is-deep".into(),
                    json!({"path": deep_array_value(64)}),
                ),
            ];
            if let Some(param) = action.inputs.path.keys().next() {
                for (label, value) in [
                    ("number", json!(7)),
                    ("object", json!({"a": 1})),
                    ("array", json!(["a"])),
                    ("null", Value::Null),
                    ("bool", json!(true)),
                ] {
                    let mut input = example.clone();
                    input["path"][param.as_str()] = value;
                    shapes.push((format!("path.{param}={label}"), input));
                }
            }
            for location in [Location::Query, Location::Body] {
                for (name, field) in action.fields(location) {
                    let nul = nul_value(field);
                    if let Some(nul) = nul {
                        let mut input = example.clone();
                        input[location.as_str()][name.as_str()] = nul;
                        shapes.push((format!("{}.{name}=nul", location.as_str()), input));
                    }
                    let mut input = example.clone();
                    input[location.as_str()][name.as_str()] = wrong_type(field);
                    shapes.push((format!("{}.{name}=wrong-type", location.as_str()), input));
                }
            }
            // A megabyte in the first string field of every third action.
            if index % 3 == 0
                && let Some((location, name)) = first_string_field(action)
            {
                let mut input = example.clone();
                input[location.as_str()][name.as_str()] = json!("m".repeat(1024 * 1024));
                shapes.push((format!("{}.{name}=1MB", location.as_str()), input));
            }
            for (label, input) in shapes {
                let mut body = match &input {
                    Value::Object(object) => object.clone(),
                    _ => Map::new(),
                };
                if !input.is_object() {
                    body.insert("path".into(), input.clone());
                }
                body.insert("action".into(), json!(action.id));
                let bytes = Value::Object(body).to_string().into_bytes();
                self.rpc(
                    format!("{} {label}", action.id),
                    bytes,
                    "",
                    Some(action),
                    Expect::Anything,
                );
                if label.ends_with("=nul") {
                    let arguments = in_style(action, ParamStyle::FlatSmart, &input);
                    self.tools_call(
                        format!("tools/call flat_smart {} {label}", action.id),
                        "?param-style=flat_smart",
                        &action.id,
                        arguments,
                        Some(action),
                        Expect::Anything,
                    );
                }
            }
        }
    }

    /// Crafted `next` cursors on every paginated action: other hosts, other paths, Front's other
    /// hosts, a huge `limit`, userinfo, garbage.
    fn cursors(&mut self) {
        let front = self.ctx.front_url.clone();
        let host = front.trim_start_matches("http://").to_owned();
        for (index, action) in all_actions().filter(|a| a.is_paginated()).enumerate() {
            let path = template_with_example(action);
            // Another paginated action's page: a cursor may not move to another action.
            let other_action = all_actions()
                .find(|other| other.is_paginated() && other.path != action.path)
                .map(template_with_example)
                .expect("a second paginated action");
            let mut cursors: Vec<(&str, TriedCursor, Expect)> = vec![
                (
                    "other-path",
                    TriedCursor::Wrapped(format!("{front}/me")),
                    Expect::Refused,
                ),
                (
                    "other-action",
                    TriedCursor::Wrapped(format!("{front}{other_action}")),
                    Expect::Refused,
                ),
                (
                    "dotdot-path",
                    TriedCursor::Wrapped(format!("{front}{path}/../../me")),
                    Expect::Refused,
                ),
                (
                    "huge-limit",
                    TriedCursor::Wrapped(format!("{front}{path}?limit=100000")),
                    Expect::Refused,
                ),
                (
                    "userinfo",
                    TriedCursor::Wrapped(format!("http://user:pw@{host}{path}")),
                    Expect::Refused,
                ),
                (
                    "not-base64",
                    TriedCursor::Raw("!!!not base64!!!".into()),
                    Expect::Refused,
                ),
                (
                    "not-a-url",
                    TriedCursor::Wrapped("not a url".into()),
                    Expect::Refused,
                ),
                (
                    "nul",
                    TriedCursor::Wrapped(format!("{front}{path}?page_token=a\u{0}b")),
                    Expect::Anything,
                ),
                // An earlier hub version's cursor: the bare URL.
                (
                    "bare-url",
                    TriedCursor::Raw(URL_SAFE_NO_PAD.encode(format!("{front}{path}"))),
                    Expect::Refused,
                ),
                (
                    "other-account",
                    TriedCursor::Raw(wrap_cursor(&format!("{front}{path}"), action, "acc_other")),
                    Expect::Refused,
                ),
                (
                    "1MB",
                    TriedCursor::Raw("A".repeat(1024 * 1024)),
                    Expect::Refused,
                ),
            ];
            // Front's own hosts are not the configured base: refused without a connection. Once
            // only, as the current code would try to reach them.
            if index == 0 {
                cursors.push((
                    "frontapp-host",
                    TriedCursor::Wrapped(format!("https://x.frontapp.com{path}")),
                    Expect::Refused,
                ));
                cursors.push((
                    "other-host",
                    TriedCursor::Wrapped(format!("http://127.0.0.2:9{path}")),
                    Expect::Refused,
                ));
            }
            for (label, cursor, expect) in cursors {
                // Wrapped for the account of the worker that sends it, as the hub would have.
                let text = |account: String| match &cursor {
                    TriedCursor::Wrapped(url) => wrap_cursor(url, action, &account),
                    TriedCursor::Raw(text) => text.clone(),
                };
                let mut input = action.example.clone();
                input["query"]["next"] = json!(text(self.account()));
                let mut body = nested_object(&input);
                body.insert("action".into(), json!(action.id));
                let bytes = Value::Object(body).to_string().into_bytes();
                self.rpc(
                    format!("{} query.next={label}", action.id),
                    bytes,
                    "",
                    Some(action),
                    expect,
                );
                if index % 4 == 0 {
                    input["query"]["next"] = json!(text(self.account()));
                    self.tools_call(
                        format!("tools/call nested {} query.next={label}", action.id),
                        "",
                        &action.id,
                        input,
                        Some(action),
                        expect,
                    );
                }
            }
            let mut input = action.example.clone();
            input["query"]["limit"] = json!(100_000);
            let mut body = nested_object(&input);
            body.insert("action".into(), json!(action.id));
            self.rpc(
                format!("{} query.limit=100000", action.id),
                Value::Object(body).to_string().into_bytes(),
                "",
                Some(action),
                Expect::Refused,
            );
        }
        for (label, next) in [
            (
                "overflow",
                URL_SAFE_NO_PAD.encode(format!("o:{}", usize::MAX)),
            ),
            ("huge", URL_SAFE_NO_PAD.encode("o:99999999999999999999999")),
            ("negative", URL_SAFE_NO_PAD.encode("o:-1")),
            ("garbage", "%FF%00".to_owned()),
        ] {
            let headers = vec![self.basic()];
            self.call(
                format!("GET /actions next={label}"),
                Route::Platform,
                RawRequest::new(
                    "GET",
                    format!("/actions?next={next}").into_bytes(),
                    headers,
                    Vec::new(),
                ),
                Expect::Anything,
            );
        }
    }

    /// Unknown, empty, NUL and huge action ids, everywhere an action is named.
    fn action_ids(&mut self) {
        let two_mb = "a".repeat(2_000_000);
        let ids: [(&str, &str); 6] = [
            ("empty", ""),
            ("nul", "front_list_tags\u{0}"),
            ("dotdot", "../front_list_tags"),
            ("typo", "front_list_tag"),
            ("2MB", &two_mb),
            ("unicode", "front_lïst_tags\u{202e}"),
        ];
        for (label, id) in ids {
            self.last = label == "2MB";
            let body = json!({"action": id}).to_string().into_bytes();
            self.rpc(format!("action={label}"), body, "", None, Expect::Refused);
            self.tools_call(
                format!("tools/call name={label}"),
                "",
                id,
                json!({}),
                None,
                Expect::Refused,
            );
            self.tools_call(
                format!("front_execute_action action_id={label}"),
                "?tool-mode=search_execute",
                "front_execute_action",
                json!({"action_id": id, "arguments": {}}),
                None,
                Expect::Refused,
            );
        }
        self.last = false;
        for (label, body) in [
            ("action-number", json!({"action": 5})),
            ("action-null", json!({"action": null})),
            ("action-missing", json!({})),
            (
                "headers-account-nul",
                json!({"action": "front_list_tags", "headers": {"x-account-id": "acc\u{0}"}}),
            ),
            (
                "headers-not-strings",
                json!({"action": "front_list_tags", "headers": {"x-account-id": 5}}),
            ),
            (
                "idempotency-nul",
                json!({"action": "front_create_tag", "body": {"name": "n"}, "headers": {"idempotency-key": "k\u{0}"}}),
            ),
            (
                "idempotency-1MB",
                json!({"action": "front_create_tag", "body": {"name": "n"}, "headers": {"idempotency-key": "k".repeat(1024 * 1024)}}),
            ),
        ] {
            let action = body["action"]
                .as_str()
                .and_then(|id| all_actions().find(|action| action.id == id));
            self.rpc(
                label.to_owned(),
                body.to_string().into_bytes(),
                "",
                action,
                Expect::Refused,
            );
        }
        self.tools_call(
            "front_search_actions query=2MB".into(),
            "?tool-mode=search_execute",
            "front_search_actions",
            json!({"query": two_mb}),
            None,
            Expect::Anything,
        );
        self.tools_call(
            "front_search_actions query=nul".into(),
            "?tool-mode=search_execute",
            "front_search_actions",
            json!({"query": "tags\u{0}", "limit": -1}),
            None,
            Expect::Anything,
        );
    }

    /// Malformed, deep, huge and NUL-laden JSON bodies on every route that reads JSON.
    fn json_bodies(&mut self) {
        let key = self.basic();
        let session = (
            "x-hub-session-token".to_owned(),
            self.ctx.session_token.clone().into_bytes(),
        );
        let account = self.ctx.accounts[0].clone();
        let routes: Vec<(&str, String, Header, Value)> = vec![
            (
                "POST",
                "/actions/rpc".into(),
                key.clone(),
                json!({"action": "front_list_tags", "query": {"limit": 1}}),
            ),
            (
                "POST",
                "/actions/search".into(),
                key.clone(),
                json!({"query": "tags", "top_k": 3, "connector": "front"}),
            ),
            (
                "POST",
                "/accounts".into(),
                key.clone(),
                json!({"provider": "front", "credentials": {"api_token": "not-a-token"}, "origin_owner_id": "o", "origin_owner_name": "O", "label": "l", "metadata": {"a": "b"}, "allowed_actions": ["front_list_tags"]}),
            ),
            (
                "PATCH",
                format!("/accounts/{account}"),
                key.clone(),
                json!({"label": "l", "metadata": {"a": "b"}, "origin_owner_name": "O"}),
            ),
            (
                "POST",
                "/connect_sessions".into(),
                key.clone(),
                json!({"origin_owner_id": "o", "origin_owner_name": "O", "provider": "front", "actions": ["front_list_tags"], "expires_in": 60, "label": "l", "metadata": {"a": "b"}}),
            ),
            (
                "POST",
                "/webhooks".into(),
                key.clone(),
                json!({"url": "https://93.184.216.34/hook", "events": ["front.tag", "account.*"], "account_ids": [account], "description": "d"}),
            ),
            (
                "POST",
                "/connect_sessions/authenticate".into(),
                key.clone(),
                json!({"token": "ahs_nope"}),
            ),
            (
                "POST",
                "/hub/accounts".into(),
                session.clone(),
                json!({"provider": "front", "credentials": {"api_token": "not-a-token"}, "label": "l"}),
            ),
            (
                "PATCH",
                format!("/hub/accounts/{account}"),
                session.clone(),
                json!({"label": "l", "credentials": {"api_token": "not-a-token"}}),
            ),
            (
                "POST",
                "/mcp".into(),
                key.clone(),
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}),
            ),
        ];
        for (method, path, auth, valid) in routes {
            let route = if path == "/mcp" {
                Route::Mcp
            } else {
                Route::Platform
            };
            let mut headers = vec![
                auth,
                json_type(),
                ("x-account-id".into(), account.clone().into_bytes()),
            ];
            if route == Route::Mcp {
                headers.push(("accept".into(), b"application/json".to_vec()));
            }
            let mut bodies: Vec<(String, Vec<u8>)> = malformed_json();
            for (field, variant) in field_variants(&valid) {
                bodies.push((field, variant.to_string().into_bytes()));
            }
            for (label, body) in bodies {
                // A megabyte where an action id goes: the id is unknown and long.
                self.last = label.ends_with("=1MB") && label.contains("action");
                // /mcp: a body that is not JSON is a parse error; the rest are the method's business.
                // A deeply nested array may be refused as a parse error or as a batch: either will do.
                let expect = match (route, label.as_str()) {
                    (
                        Route::Mcp,
                        "truncated" | "garbage" | "raw-FF" | "trailing" | "bom" | "bad-utf8-string"
                        | "empty" | "deep-object",
                    ) => Expect::RpcError(-32700),
                    _ => Expect::Anything,
                };
                self.call(
                    format!("{method} {path} body={label}"),
                    route,
                    RawRequest::new(method, path.clone().into_bytes(), headers.clone(), body),
                    expect,
                );
            }
        }
        self.last = false;
    }

    /// Hostile values in the hub's own path parameters.
    fn route_segments(&mut self) {
        let key = self.basic();
        let session = (
            "x-hub-session-token".to_owned(),
            self.ctx.session_token.clone().into_bytes(),
        );
        let templates: Vec<(&str, &str, &str, Header, Route)> = vec![
            ("GET", "/accounts/", "", key.clone(), Route::Platform),
            ("PATCH", "/accounts/", "", key.clone(), Route::Platform),
            ("DELETE", "/accounts/", "", key.clone(), Route::Platform),
            ("GET", "/webhooks/", "", key.clone(), Route::Platform),
            ("PATCH", "/webhooks/", "", key.clone(), Route::Platform),
            ("DELETE", "/webhooks/", "", key.clone(), Route::Platform),
            (
                "POST",
                "/webhooks/",
                "/rotate-secret",
                key.clone(),
                Route::Platform,
            ),
            (
                "GET",
                "/webhooks/",
                "/deliveries",
                key.clone(),
                Route::Platform,
            ),
            (
                "POST",
                "/webhooks/whe_missing/deliveries/",
                "/retry",
                key.clone(),
                Route::Platform,
            ),
            (
                "GET",
                "/hub/accounts/",
                "",
                session.clone(),
                Route::Platform,
            ),
            (
                "PATCH",
                "/hub/accounts/",
                "",
                session.clone(),
                Route::Platform,
            ),
            (
                "GET",
                "/hub/connectors/",
                "",
                session.clone(),
                Route::Platform,
            ),
            (
                "GET",
                "/assets/",
                "",
                (String::new(), Vec::new()),
                Route::Platform,
            ),
            (
                "GET",
                "/connectors/",
                "/guides/link-account/api-token",
                (String::new(), Vec::new()),
                Route::Page,
            ),
            (
                "POST",
                "/dashboard/accounts/",
                "/remove",
                (String::new(), Vec::new()),
                Route::Page,
            ),
            (
                "POST",
                "/dashboard/webhooks/",
                "/deliveries/msg_x/retry",
                (String::new(), Vec::new()),
                Route::Page,
            ),
        ];
        for (method, before, after, auth, route) in templates {
            for (label, segment) in hostile_route_segments() {
                let mut target = before.as_bytes().to_vec();
                target.extend_from_slice(&segment);
                target.extend_from_slice(after.as_bytes());
                let mut headers = vec![json_type()];
                if !auth.0.is_empty() {
                    headers.push(auth.clone());
                }
                let body = if method == "PATCH" {
                    b"{\"label\":\"l\"}".to_vec()
                } else {
                    Vec::new()
                };
                self.call(
                    format!("{method} {before}{{{label}}}{after}"),
                    route,
                    RawRequest::new(method, target, headers, body),
                    Expect::Anything,
                );
            }
        }
    }

    /// Missing, wrong, malformed and huge credentials on every authenticated route.
    fn auth(&mut self) {
        let account = self.ctx.accounts[0].clone();
        let key_routes: Vec<(&str, String, Route)> = vec![
            ("GET", "/actions".into(), Route::Platform),
            ("POST", "/actions/rpc".into(), Route::Platform),
            ("POST", "/actions/search".into(), Route::Platform),
            ("GET", "/runs".into(), Route::Platform),
            ("GET", "/accounts".into(), Route::Platform),
            ("POST", "/accounts".into(), Route::Platform),
            ("GET", format!("/accounts/{account}"), Route::Platform),
            ("DELETE", "/accounts/acc_missing".into(), Route::Platform),
            ("POST", "/connect_sessions".into(), Route::Platform),
            (
                "POST",
                "/connect_sessions/authenticate".into(),
                Route::Platform,
            ),
            ("GET", "/webhooks".into(), Route::Platform),
            ("POST", "/webhooks".into(), Route::Platform),
            (
                "GET",
                "/webhooks/whe_missing/deliveries".into(),
                Route::Platform,
            ),
            ("POST", "/mcp".into(), Route::Mcp),
        ];
        let bodies = |path: &str| -> Vec<u8> {
            match path {
                "/actions/rpc" => json!({"action": "front_list_tags"}),
                "/actions/search" => json!({"query": "tags"}),
                "/mcp" => json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
                _ => json!({}),
            }
            .to_string()
            .into_bytes()
        };
        let credentials: Vec<(&str, Option<Vec<u8>>)> = vec![
            ("missing", None),
            ("wrong-key", Some(basic_auth("ahk_live_wrong").1)),
            ("not-base64", Some(b"Basic !!!".to_vec())),
            (
                "no-colon",
                Some(format!("Basic {}", STANDARD.encode(&self.ctx.api_key)).into_bytes()),
            ),
            (
                "bearer",
                Some(format!("Bearer {}", self.ctx.api_key).into_bytes()),
            ),
            ("empty-basic", Some(b"Basic ".to_vec())),
            (
                "nul-user",
                Some(format!("Basic {}", STANDARD.encode("ahk\u{0}:")).into_bytes()),
            ),
            (
                "latin1-user",
                Some(
                    [
                        b"Basic ".as_slice(),
                        STANDARD.encode(b"\xff\xfe:").as_bytes(),
                    ]
                    .concat(),
                ),
            ),
            (
                "key-as-password",
                Some(
                    format!(
                        "Basic {}",
                        STANDARD.encode(format!(":{}", self.ctx.api_key))
                    )
                    .into_bytes(),
                ),
            ),
            (
                "60KB",
                Some(format!("Basic {}", "A".repeat(60 * 1024)).into_bytes()),
            ),
            ("raw-bytes", Some(b"Basic \xff\xfe".to_vec())),
            (
                "two-spaces",
                Some(
                    format!(
                        "Basic  {}",
                        STANDARD.encode(format!("{}:", self.ctx.api_key))
                    )
                    .into_bytes(),
                ),
            ),
        ];
        for (method, path, route) in &key_routes {
            for (label, credential) in &credentials {
                let mut headers = vec![
                    json_type(),
                    ("accept".into(), b"application/json".to_vec()),
                    ("x-account-id".into(), account.clone().into_bytes()),
                ];
                if let Some(credential) = credential {
                    headers.push(("authorization".into(), credential.clone()));
                }
                let body = if *method == "POST" {
                    bodies(path)
                } else {
                    Vec::new()
                };
                self.call(
                    format!("{method} {path} auth={label}"),
                    *route,
                    RawRequest::new(method, path.clone().into_bytes(), headers, body),
                    Expect::Anything,
                );
            }
        }
        let session_routes = [
            ("GET", "/hub/settings"),
            ("GET", "/hub/connectors"),
            ("GET", "/hub/connectors/front"),
            ("POST", "/hub/accounts"),
            ("GET", "/hub/accounts/acc_x"),
        ];
        let tokens: Vec<(&str, Option<Vec<u8>>)> = vec![
            ("missing", None),
            ("wrong", Some(b"ahs_wrong".to_vec())),
            ("empty", Some(Vec::new())),
            ("api-key", Some(self.ctx.api_key.clone().into_bytes())),
            ("60KB", Some(vec![b'a'; 60 * 1024])),
            ("raw-bytes", Some(b"ahs_\xff".to_vec())),
        ];
        for (method, path) in session_routes {
            for (label, token) in &tokens {
                let mut headers = vec![json_type()];
                if let Some(token) = token {
                    headers.push(("x-hub-session-token".into(), token.clone()));
                }
                let body = if method == "POST" {
                    b"{}".to_vec()
                } else {
                    Vec::new()
                };
                self.call(
                    format!("{method} {path} session={label}"),
                    Route::Platform,
                    RawRequest::new(method, path.as_bytes().to_vec(), headers, body),
                    Expect::Anything,
                );
            }
        }
        // A header block larger than any server should read.
        let headers = vec![self.basic(), ("x-padding".into(), vec![b'p'; 512 * 1024])];
        self.call(
            "GET /accounts header=512KB".into(),
            Route::Platform,
            RawRequest::new("GET", b"/accounts".to_vec(), headers, Vec::new()),
            Expect::Anything,
        );
    }

    /// Bad content types on the JSON routes, form routes and `/mcp`.
    fn content_types(&mut self) {
        let account = self.ctx.accounts[0].clone();
        let routes: [(&str, Route, Vec<u8>); 5] = [
            (
                "/actions/rpc",
                Route::Platform,
                json!({"action": "front_list_tags"})
                    .to_string()
                    .into_bytes(),
            ),
            (
                "/actions/search",
                Route::Platform,
                json!({"query": "tags"}).to_string().into_bytes(),
            ),
            ("/accounts", Route::Platform, b"{}".to_vec()),
            (
                "/connect_sessions",
                Route::Platform,
                json!({"origin_owner_id": "o", "origin_owner_name": "O"})
                    .to_string()
                    .into_bytes(),
            ),
            (
                "/mcp",
                Route::Mcp,
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
                    .to_string()
                    .into_bytes(),
            ),
        ];
        let types: [(&str, Option<&[u8]>); 8] = [
            ("missing", None),
            ("text-plain", Some(b"text/plain")),
            ("form", Some(b"application/x-www-form-urlencoded")),
            ("multipart", Some(b"multipart/form-data; boundary=x")),
            ("json-latin1", Some(b"application/json; charset=latin1")),
            ("garbage", Some(b";;;")),
            ("json-suffix", Some(b"application/evil+json")),
            ("raw-bytes", Some(b"application/\xffjson")),
        ];
        for (path, route, body) in routes {
            for (label, content_type) in types {
                let mut headers = vec![
                    self.basic(),
                    ("x-account-id".into(), account.clone().into_bytes()),
                    ("accept".into(), b"application/json".to_vec()),
                ];
                if let Some(content_type) = content_type {
                    headers.push(("content-type".into(), content_type.to_vec()));
                }
                self.call(
                    format!("POST {path} content-type={label}"),
                    route,
                    RawRequest::new("POST", path.as_bytes().to_vec(), headers, body.clone()),
                    Expect::Anything,
                );
            }
        }
    }

    /// JSON-RPC garbage on `/mcp`, and its transport-level refusals.
    fn jsonrpc(&mut self) {
        let list = |extra: Value| {
            let mut message = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
            for (key, value) in extra.as_object().unwrap() {
                message[key] = value.clone();
            }
            message.to_string().into_bytes()
        };
        let call = |params: Value| {
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
                .to_string()
                .into_bytes()
        };
        let messages: Vec<(&str, Vec<u8>, Expect)> = vec![
            ("jsonrpc-1.0", list(json!({"jsonrpc": "1.0"})), Expect::RpcError(-32600)),
            ("jsonrpc-missing", br#"{"id":1,"method":"tools/list"}"#.to_vec(), Expect::RpcError(-32600)),
            ("jsonrpc-number", list(json!({"jsonrpc": 2})), Expect::RpcError(-32600)),
            ("method-missing", br#"{"jsonrpc":"2.0","id":1}"#.to_vec(), Expect::RpcError(-32600)),
            ("method-number", list(json!({"method": 5})), Expect::RpcError(-32600)),
            ("method-unknown", list(json!({"method": "tools/destroy"})), Expect::RpcError(-32601)),
            ("method-nul", list(json!({"method": "tools/list\u{0}"})), Expect::RpcError(-32601)),
            ("id-object", list(json!({"id": {"a": 1}})), Expect::RpcError(-32600)),
            ("id-array", list(json!({"id": [1]})), Expect::RpcError(-32600)),
            ("id-bool", list(json!({"id": true})), Expect::RpcError(-32600)),
            ("id-float", list(json!({"id": 1.5})), Expect::Anything),
            ("id-null", list(json!({"id": null})), Expect::Anything),
            ("id-1MB", list(json!({"id": "i".repeat(1024 * 1024)})), Expect::Anything),
            ("batch-empty", b"[]".to_vec(), Expect::RpcError(-32600)),
            ("batch-one", format!("[{}]", String::from_utf8(list(json!({}))).unwrap()).into_bytes(), Expect::RpcError(-32600)),
            ("batch-garbage", b"[1,2,3]".to_vec(), Expect::RpcError(-32600)),
            ("not-object", b"42".to_vec(), Expect::RpcError(-32600)),
            ("string", b"\"tools/list\"".to_vec(), Expect::RpcError(-32600)),
            ("params-array", list(json!({"params": [1]})), Expect::Anything),
            ("call-params-array", call(json!([])), Expect::RpcError(-32602)),
            ("call-params-string", call(json!("front_list_tags")), Expect::RpcError(-32602)),
            ("call-params-number", call(json!(5)), Expect::RpcError(-32602)),
            ("call-params-missing", br#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#.to_vec(), Expect::RpcError(-32602)),
            ("call-name-number", call(json!({"name": 5})), Expect::RpcError(-32602)),
            ("call-name-missing", call(json!({"arguments": {}})), Expect::RpcError(-32602)),
            ("call-arguments-array", call(json!({"name": "front_list_tags", "arguments": []})), Expect::RpcError(-32602)),
            ("call-arguments-string", call(json!({"name": "front_list_tags", "arguments": "x"})), Expect::RpcError(-32602)),
            ("initialize-garbage", json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 5, "capabilities": []}}).to_string().into_bytes(), Expect::RpcError(-32602)),
            ("initialize-ok", json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "h", "version": "1"}}}).to_string().into_bytes(), Expect::Anything),
            ("notification", br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_vec(), Expect::Anything),
            ("response-object", br#"{"jsonrpc":"2.0","id":1,"result":{}}"#.to_vec(), Expect::Anything),
            ("ping", br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.to_vec(), Expect::Anything),
        ];
        for (label, body, expect) in messages {
            self.mcp(label.to_owned(), "", body, None, expect);
        }
        let account = self.ctx.accounts[0].clone();
        let tools_list = list(json!({}));
        let variants: Vec<(&str, &str, String, Vec<Header>)> = vec![
            (
                "GET",
                "get",
                String::new(),
                vec![("accept".into(), b"text/event-stream".to_vec())],
            ),
            ("DELETE", "delete", String::new(), vec![]),
            ("PUT", "put", String::new(), vec![]),
            (
                "POST",
                "origin-evil",
                String::new(),
                vec![
                    ("origin".into(), b"https://evil.example".to_vec()),
                    ("accept".into(), b"application/json".to_vec()),
                ],
            ),
            (
                "POST",
                "origin-null",
                String::new(),
                vec![
                    ("origin".into(), b"null".to_vec()),
                    ("accept".into(), b"application/json".to_vec()),
                ],
            ),
            (
                "POST",
                "accept-html",
                String::new(),
                vec![("accept".into(), b"text/html".to_vec())],
            ),
            (
                "POST",
                "accept-sse",
                String::new(),
                vec![("accept".into(), b"text/event-stream".to_vec())],
            ),
            (
                "POST",
                "param-style-bad",
                "?param-style=%00".into(),
                vec![("accept".into(), b"application/json".to_vec())],
            ),
            (
                "POST",
                "tool-mode-bad",
                "?tool-mode=../x".into(),
                vec![("accept".into(), b"application/json".to_vec())],
            ),
            (
                "POST",
                "query-pct-FF",
                "?param-style=%FF".into(),
                vec![("accept".into(), b"application/json".to_vec())],
            ),
            (
                "POST",
                "query-twice",
                "?param-style=nested&param-style=flat_smart".into(),
                vec![("accept".into(), b"application/json".to_vec())],
            ),
        ];
        for (method, label, query, extra) in variants {
            let mut headers = vec![
                self.basic(),
                json_type(),
                ("x-account-id".into(), account.clone().into_bytes()),
            ];
            headers.extend(extra);
            let body = if method == "POST" {
                tools_list.clone()
            } else {
                Vec::new()
            };
            self.call(
                format!("mcp transport {label}"),
                Route::Mcp,
                RawRequest::new(method, format!("/mcp{query}").into_bytes(), headers, body),
                Expect::Anything,
            );
        }
        // The account named in odd ways.
        for (label, query, header) in [
            ("account-query-nul", "?x-account-id=acc%00x", None),
            ("account-query-pct-FF", "?account_id=%FF", None),
            ("account-query-dotdot", "?account_id=..", None),
            ("account-header-60KB", "", Some(vec![b'a'; 60 * 1024])),
            ("account-header-raw-bytes", "", Some(b"acc_\xff".to_vec())),
            ("account-missing", "", None),
        ] {
            let mut headers = vec![
                self.basic(),
                json_type(),
                ("accept".into(), b"application/json".to_vec()),
            ];
            if let Some(header) = header {
                headers.push(("x-account-id".into(), header));
            }
            self.call(
                format!("mcp {label}"),
                Route::Mcp,
                RawRequest::new(
                    "POST",
                    format!("/mcp{query}").into_bytes(),
                    headers,
                    tools_list.clone(),
                ),
                Expect::Anything,
            );
        }
    }

    /// The Hub pages with hostile tokens, queries and form bodies.
    fn pages(&mut self) {
        let form = (
            "content-type".to_owned(),
            b"application/x-www-form-urlencoded".to_vec(),
        );
        let gets: Vec<Vec<u8>> = vec![
            b"/link".to_vec(),
            b"/link?token=ahs_nope".to_vec(),
            b"/link?token=%00".to_vec(),
            b"/link?token=%FF".to_vec(),
            [b"/link?token=".as_slice(), &vec![b'a'; 100 * 1024]].concat(),
            b"/dashboard".to_vec(),
            b"/dashboard/sign-in".to_vec(),
            b"/dashboard/sign-in?next=https://evil.example".to_vec(),
            b"/dashboard/webhooks".to_vec(),
            b"/connectors/front/guides/link-account/api-token".to_vec(),
            b"/connectors/front/guides/link-account/api-token?actions=front_list_tags%00".to_vec(),
            b"/connectors/front/guides/link-account/api-token?actions=%FF".to_vec(),
            b"/connectors/front/guides/link-account/api-token?scopes=../../x&separator=%00"
                .to_vec(),
            [
                b"/connectors/front/guides/link-account/api-token?actions=".as_slice(),
                &vec![b'a'; 100 * 1024],
            ]
            .concat(),
        ];
        for target in gets {
            let name = format!(
                "GET {}",
                String::from_utf8_lossy(&target[..target.len().min(80)])
            );
            self.call(
                name,
                Route::Page,
                RawRequest::new("GET", target, vec![], Vec::new()),
                Expect::Anything,
            );
        }
        let posts: Vec<(&str, Vec<u8>)> = vec![
            ("/link", b"token=ahs_nope&api_token=x&csrf=y".to_vec()),
            ("/link", b"token=%00&api_token=%FF".to_vec()),
            ("/link", b"\xff\xfe\x00".to_vec()),
            ("/link", vec![b'a'; 3 * 1024 * 1024]),
            (
                "/dashboard/sign-in",
                b"api_key=ahk_live_wrong&csrf=x".to_vec(),
            ),
            ("/dashboard/sign-in", b"api_key=%00&csrf=%FF".to_vec()),
            ("/dashboard/sign-in", vec![b'a'; 3 * 1024 * 1024]),
            ("/dashboard/sign-out", b"csrf=x".to_vec()),
            (
                "/dashboard/connect-links",
                b"csrf=x&origin_owner_id=%00".to_vec(),
            ),
            ("/dashboard/connect-links", vec![b'a'; 3 * 1024 * 1024]),
            ("/dashboard/accounts/acc_x/remove", b"csrf=x".to_vec()),
            (
                "/dashboard/webhooks/whe_x/deliveries/msg_x/retry",
                b"csrf=x".to_vec(),
            ),
        ];
        for (path, body) in posts {
            let label = if body.len() > 1024 {
                "3MB".to_owned()
            } else {
                String::from_utf8_lossy(&body).into_owned()
            };
            self.call(
                format!("POST {path} form={label}"),
                Route::Page,
                RawRequest::new(
                    "POST",
                    path.as_bytes().to_vec(),
                    vec![form.clone()],
                    body.clone(),
                ),
                Expect::Anything,
            );
            self.call(
                format!("POST {path} json-body"),
                Route::Page,
                RawRequest::new(
                    "POST",
                    path.as_bytes().to_vec(),
                    vec![json_type()],
                    b"{\"a\":1}".to_vec(),
                ),
                Expect::Anything,
            );
        }
        // A forged dashboard cookie.
        for cookie in [
            b"actionhub_session=v1.garbage".to_vec(),
            b"actionhub_session=\xff".to_vec(),
            [b"actionhub_session=".as_slice(), &vec![b'a'; 60 * 1024]].concat(),
        ] {
            self.call(
                "GET /dashboard forged cookie".into(),
                Route::Page,
                RawRequest::new(
                    "GET",
                    b"/dashboard".to_vec(),
                    vec![("cookie".into(), cookie)],
                    Vec::new(),
                ),
                Expect::Anything,
            );
        }
    }

    /// Unknown routes and methods, odd targets, health and metrics.
    fn odd_routes(&mut self) {
        let key = self.basic();
        let targets: Vec<(&str, Vec<u8>)> = vec![
            ("GET", b"/healthz".to_vec()),
            ("GET", b"/healthz?x=%00".to_vec()),
            ("POST", b"/healthz".to_vec()),
            ("GET", b"/metrics".to_vec()),
            ("DELETE", b"/metrics".to_vec()),
            ("GET", b"/nope".to_vec()),
            ("GET", b"/".to_vec()),
            ("GET", b"//accounts".to_vec()),
            ("GET", b"/accounts/../healthz".to_vec()),
            ("GET", b"/%2e%2e/healthz".to_vec()),
            ("GET", b"/actions/rpc".to_vec()),
            ("PUT", b"/accounts".to_vec()),
            ("TRACE", b"/accounts".to_vec()),
            ("BREW", b"/accounts".to_vec()),
            ("GET", b"/runs?limit=99999999999999999999".to_vec()),
            ("GET", b"/runs?limit=-1&status=%00&action=%FF".to_vec()),
            ("GET", b"/runs?next=%00&account_id=..".to_vec()),
            ("GET", b"/runs?next=AAAA&next=BBBB".to_vec()),
            ("GET", b"/accounts?page_size=0&next=%FF".to_vec()),
            ("GET", b"/accounts?origin_owner_id=%00".to_vec()),
            (
                "GET",
                b"/actions?filter[account_ids]=%00&filter[connectors]=..&include=%FF".to_vec(),
            ),
            ("GET", b"/actions?page_size=99999999999&search=%00".to_vec()),
            ("GET", b"/\xff".to_vec()),
            ("GET", b"http://evil.example/accounts".to_vec()),
            ("GET", b"*".to_vec()),
            ("GET", [b"/".as_slice(), &vec![b'a'; 200 * 1024]].concat()),
        ];
        for (method, target) in targets {
            let name = format!(
                "{method} {}",
                String::from_utf8_lossy(&target[..target.len().min(80)])
            );
            self.call(
                name,
                Route::Platform,
                RawRequest::new(method, target, vec![key.clone()], Vec::new()),
                Expect::Anything,
            );
        }
    }
}

fn json_type() -> Header {
    ("content-type".into(), b"application/json".to_vec())
}

pub fn basic_auth(key: &str) -> Header {
    (
        "authorization".into(),
        format!("Basic {}", STANDARD.encode(format!("{key}:"))).into_bytes(),
    )
}

/// A `query.next` the corpus tries.
enum TriedCursor {
    /// Front's next-page URL, wrapped as the hub wraps it for the call that sends it.
    Wrapped(String),
    /// Sent as it is.
    Raw(String),
}

/// `url` wrapped in a cursor issued for `action`'s example call by `account`.
fn wrap_cursor(url: &str, action: &Action, account: &str) -> String {
    cursor::encode(url, &IssuedFor::new(action, account, &action.example))
}

/// `input` (nested) as an RPC body's top-level object.
fn nested_object(input: &Value) -> Map<String, Value> {
    input.as_object().cloned().unwrap_or_default()
}

/// An action's nested input rewritten in `style`, using the names its schema in that style uses.
fn in_style(action: &Action, style: ParamStyle, nested: &Value) -> Value {
    if style == ParamStyle::Nested {
        return nested.clone();
    }
    let properties = &action.input_schema(style)["properties"];
    let mut flat = Map::new();
    for location in Location::ALL {
        let Some(fields) = nested[location.as_str()].as_object() else {
            continue;
        };
        for (name, value) in fields {
            let prefixed = format!("{}_{name}", location.as_str());
            let key = if properties.get(name).is_some() && style == ParamStyle::FlatSmart {
                name.clone()
            } else {
                prefixed
            };
            flat.insert(key, value.clone());
        }
    }
    Value::Object(flat)
}

/// The action's path with its example's path parameters filled in.
fn template_with_example(action: &Action) -> String {
    let mut path = action.path.clone();
    for (name, value) in action.example["path"].as_object().into_iter().flatten() {
        path = path.replace(&format!("{{{name}}}"), value.as_str().unwrap_or("x"));
    }
    path
}

/// A NUL in a value of `field`'s type, where the type holds text.
fn nul_value(field: &Field) -> Option<Value> {
    match field.ty {
        FieldType::String => Some(json!("a\u{0}b")),
        FieldType::Array
            if field
                .items
                .as_ref()
                .is_some_and(|i| i.ty == FieldType::String) =>
        {
            Some(json!(["a\u{0}b"]))
        }
        FieldType::Object => Some(json!({"k\u{0}": "v\u{0}"})),
        _ => None,
    }
}

/// A value of another type than `field`'s.
fn wrong_type(field: &Field) -> Value {
    match field.ty {
        FieldType::String => json!({"not": "a string"}),
        FieldType::Integer | FieldType::Number => json!("1e999"),
        FieldType::Boolean => json!("yes"),
        FieldType::Array => json!("a,b"),
        FieldType::Object => json!([["k", "v"]]),
        FieldType::File => json!("raw bytes"),
    }
}

fn first_string_field(action: &Action) -> Option<(Location, String)> {
    [Location::Body, Location::Query]
        .into_iter()
        .find_map(|location| {
            action
                .fields(location)
                .iter()
                .find(|(_, field)| field.ty == FieldType::String && field.allowed.is_none())
                .map(|(name, _)| (location, name.clone()))
        })
}

fn deep_array_value(depth: usize) -> Value {
    (0..depth).fold(json!("x"), |inner, _| json!([inner]))
}

/// Bodies that are not JSON, or JSON that no parser should have to descend into.
fn malformed_json() -> Vec<(String, Vec<u8>)> {
    let deep = 10_000;
    let mut bodies: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), Vec::new()),
        ("truncated".into(), b"{\"action\":".to_vec()),
        ("garbage".into(), b"not json at all".to_vec()),
        ("raw-FF".into(), b"\xff\xfe\xfd".to_vec()),
        ("trailing".into(), b"{} x".to_vec()),
        ("bom".into(), b"\xef\xbb\xbf{}".to_vec()),
        (
            "bad-utf8-string".into(),
            b"{\"action\":\"\xff\xfe\"}".to_vec(),
        ),
        ("nul-raw".into(), b"{\"action\":\"a\x00b\"}".to_vec()),
        ("null".into(), b"null".to_vec()),
        ("number".into(), b"1e999".to_vec()),
        ("array".into(), b"[]".to_vec()),
        ("string".into(), b"\"x\"".to_vec()),
        ("duplicate-keys".into(), b"{\"a\":1,\"a\":2}".to_vec()),
        (
            "lone-surrogate".into(),
            b"{\"action\":\"\\ud800\"}".to_vec(),
        ),
        (
            "escaped-nul-key".into(),
            b"{\"\\u0000\":\"\\u0000\"}".to_vec(),
        ),
    ];
    bodies.push((
        "deep-array".into(),
        [vec![b'['; deep], vec![b']'; deep]].concat(),
    ));
    let mut object = Vec::new();
    for _ in 0..deep {
        object.extend_from_slice(b"{\"a\":");
    }
    object.push(b'1');
    object.extend(std::iter::repeat_n(b'}', deep));
    bodies.push(("deep-object".into(), object));
    bodies
}

/// For every string-holding field of `valid` (recursively): the body with NUL there, with a
/// megabyte there, and with a wrong type there.
fn field_variants(valid: &Value) -> Vec<(String, Value)> {
    let mut variants = vec![("valid".to_owned(), valid.clone())];
    let mut pointers = Vec::new();
    collect_pointers(valid, String::new(), &mut pointers);
    for pointer in pointers {
        for (label, replacement) in [
            ("nul", json!("x\u{0}y")),
            ("1MB", json!("m".repeat(1024 * 1024))),
            ("number", json!(12345678901234567890u64)),
            ("object", json!({"deep": {"er": [1]}})),
            ("null", Value::Null),
        ] {
            let mut body = valid.clone();
            if let Some(slot) = body.pointer_mut(&pointer) {
                *slot = replacement;
                variants.push((format!("{pointer}={label}"), body));
            }
        }
    }
    variants
}

fn collect_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                collect_pointers(inner, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                collect_pointers(inner, format!("{at}/{index}"), out);
            }
        }
        _ => out.push(at),
    }
}

/// The secrets no answer may contain.
pub fn secrets(ctx: &Context, front_tokens: &[String]) -> Vec<(String, String)> {
    let mut secrets = vec![
        ("API key".to_owned(), ctx.api_key.clone()),
        ("session token".to_owned(), ctx.session_token.clone()),
        ("master key".to_owned(), KEY_V1.to_owned()),
    ];
    for token in front_tokens {
        secrets.push(("Front token".to_owned(), token.clone()));
    }
    secrets
}

/// Every action of every connector in the catalogue.
fn all_actions() -> impl Iterator<Item = &'static Action> {
    Catalog::builtin()
        .connectors()
        .iter()
        .flat_map(|connector| connector.actions())
}

/// The action an RPC body names, if it is one of the catalogue's.
fn named_action(target: &[u8], body: &[u8]) -> Option<&'static Action> {
    if !target.starts_with(b"/actions/rpc") {
        return None;
    }
    let body: Value = serde_json::from_slice(body).ok()?;
    let id = body["action"].as_str()?;
    // Not `Catalog::action`: for an unknown id it computes suggestions, slow for a huge one.
    all_actions().find(|action| action.id == id)
}

/// Whether hyper refuses `request` before routing it (its URI type holds at most 64 KiB of
/// ASCII; its read buffer, and so a request head, is about 400 KiB).
fn refused_by_http_layer(request: &RawRequest) -> bool {
    let head: usize = request
        .headers
        .iter()
        .map(|(name, value)| name.len() + value.len() + 4)
        .sum();
    !request.target.is_ascii() || request.target.len() >= 64 * 1024 || head >= 400 * 1024
}
