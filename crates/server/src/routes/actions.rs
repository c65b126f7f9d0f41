//! `POST /actions/rpc` (run an action, StackOne's RPC), `GET /actions` (StackOne's "actions
//! meta" catalogue) and `POST /actions/search` (ranked text search).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use actionhub_catalog::{Action, Catalog, Connector, ParamStyle, search_actions};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::execution::{ActionRequest, ActionResponse, RunSource, run_action};
use crate::extract::{ApiJson, QueryParams, Tenant};

const ACCOUNT_HEADER: &str = "x-account-id";
const IDEMPOTENCY_HEADER: &str = "idempotency-key";
const DEFAULT_PAGE_SIZE: u32 = 25;
const MAX_PAGE_SIZE: u32 = 100;
const DEFAULT_TOP_K: u32 = 5;

/// StackOne's RPC body. Other top-level keys go into `body`, as StackOne's Node SDK does with
/// a tool's unknown arguments.
#[derive(Debug, Deserialize)]
pub struct RpcBody {
    action: String,
    #[serde(default)]
    path: Option<Value>,
    #[serde(default)]
    query: Option<Value>,
    #[serde(default)]
    headers: Option<Map<String, Value>>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// StackOne's prompt-injection "defender" settings: accepted for compatibility, not applied.
const IGNORED_FIELDS: [&str; 2] = ["defender_enabled", "defender_config"];

/// `POST /actions/rpc[?dry_run=true]`
pub async fn rpc(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    headers: HeaderMap,
    query: QueryParams,
    ApiJson(rpc): ApiJson<RpcBody>,
) -> Result<ActionResponse, ApiError> {
    let body_headers = rpc.headers.unwrap_or_default();
    let account_id = header_value(&headers, &body_headers, ACCOUNT_HEADER)?
        .ok_or_else(|| ApiError::BadRequest("Missing x-account-id header in request".to_owned()))?;
    let idempotency_key = header_value(&headers, &body_headers, IDEMPOTENCY_HEADER)?;
    let dry_run = match query.single("dry_run")? {
        None | Some("false") => false,
        Some("true" | "") => true,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`dry_run`: expected true or false".to_owned(),
            ));
        }
    };
    let mut extra = rpc.extra;
    extra.retain(|key, _| !IGNORED_FIELDS.contains(&key.as_str()));
    let input = rpc_input(rpc.path, rpc.query, rpc.body, extra)?;
    let request = ActionRequest {
        project_id: &principal.project_id,
        account_id: &account_id,
        action_id: &rpc.action,
        style: ParamStyle::Nested,
        input,
        idempotency_key: idempotency_key.as_deref(),
        dry_run,
        source: RunSource::Rpc,
    };
    run_action(&state, request).await
}

/// The answer written around Front's bytes rather than re-encoding them: the page Front sent
/// goes out as it came, in one vectored write.
impl IntoResponse for ActionResponse {
    fn into_response(self) -> Response {
        let pieces = match self.json_pieces() {
            Ok(pieces) => pieces,
            Err(error) => {
                tracing::error!(%error, "an answer could not be written");
                return ApiError::Internal.into_response();
            }
        };
        let mut response = Response::new(Body::new(Pieces(pieces.into())));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// A body sent as these pieces, in order, with its exact length announced.
struct Pieces(VecDeque<Bytes>);

impl http_body::Body for Pieces {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(
            self.get_mut()
                .0
                .pop_front()
                .map(|piece| Ok(Frame::data(piece))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.iter().map(|piece| piece.len() as u64).sum())
    }
}

/// A header from the HTTP request or, as StackOne's SDKs also send it, from the RPC body's
/// `headers` (any case). Both given and different is an error; `Authorization` in the body is
/// ignored (never forwarded anywhere).
fn header_value(
    http: &HeaderMap,
    body: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, ApiError> {
    let from_http = match http.get(name) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::BadRequest(format!("the {name} header is not valid text")))?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    let from_body = body
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| {
            value
                .as_str()
                .map(|text| text.trim().to_owned())
                .ok_or_else(|| ApiError::BadRequest(format!("`headers.{name}`: must be a string")))
        })
        .transpose()?;
    match (from_http, from_body) {
        (Some(a), Some(b)) if a != b => Err(ApiError::BadRequest(format!(
            "the {name} header and `headers.{name}` differ"
        ))),
        (a, b) => Ok(a.or(b).filter(|value| !value.is_empty())),
    }
}

/// The nested input of an RPC body: `{path, query, body}`, extra top-level keys merged into
/// `body`.
fn rpc_input(
    path: Option<Value>,
    query: Option<Value>,
    body: Option<Value>,
    extra: Map<String, Value>,
) -> Result<Value, ApiError> {
    let body = if extra.is_empty() {
        body
    } else {
        let mut merged = match body {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map,
            Some(_) => {
                return Err(ApiError::BadRequest(
                    "`body`: must be an object when other top-level fields are given".to_owned(),
                ));
            }
        };
        for (key, value) in extra {
            merged.entry(key).or_insert(value);
        }
        Some(Value::Object(merged))
    };
    let mut input = Map::new();
    for (location, value) in [("path", path), ("query", query), ("body", body)] {
        if let Some(value) = value {
            input.insert(location.to_owned(), value);
        }
    }
    Ok(Value::Object(input))
}

/// One item of `GET /actions`: a connector, the account it is for (with `filter[account_ids]`)
/// and the actions that account may run (`None`: all).
type MetaScope = (&'static Connector, Option<String>, Option<Vec<String>>);

/// `GET /actions`: StackOne's `{data: [ActionsMeta], next}`, one item per connector (or per
/// account with `filter[account_ids]`, its actions narrowed to those the account may run).
pub async fn meta(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let connectors = query.list("filter[connectors]");
    let account_ids = query.list("filter[account_ids]");
    let action_key = query.single("filter[action_key]")?;
    let includes = query.list("include");
    let details = includes.iter().any(|i| i == "action_details");
    let without_actions = query.list("exclude").iter().any(|e| e == "actions");
    let search = query
        .single("search")?
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let page_size = query.number("page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)? as usize;
    let offset = match query.single("next")? {
        Some(cursor) => decode_offset(cursor)?,
        None => 0,
    };
    // A crafted cursor may hold any number: the end of its page must still be one.
    let end = offset
        .checked_add(page_size)
        .ok_or_else(|| ApiError::BadRequest(NOT_OUR_CURSOR.to_owned()))?;
    let wanted =
        |connector: &Connector| connectors.is_empty() || connectors.contains(&connector.key);
    let mut scopes: Vec<MetaScope> = Vec::new();
    if account_ids.is_empty() {
        for connector in Catalog::builtin().connectors().iter().filter(|c| wanted(c)) {
            scopes.push((connector, None, None));
        }
    } else {
        for id in &account_ids {
            let account = state
                .store
                .account(&principal.project_id, id)
                .await
                .map_err(|error| ApiError::from_store(error, &format!("account {id}")))?;
            if let Some(connector) = Catalog::builtin().connector(&account.provider)
                && wanted(connector)
            {
                scopes.push((connector, Some(account.id), account.allowed_actions));
            }
        }
    }
    let items: Vec<Value> = scopes
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|(connector, account_id, allowed)| {
            let actions: Vec<&Action> = ranked(connector, search)
                .into_iter()
                .filter(|action| action_key.is_none_or(|key| action.id == key))
                .filter(|action| allowed.as_ref().is_none_or(|ids| ids.contains(&action.id)))
                .collect();
            connector_meta(
                connector,
                account_id.as_deref(),
                &actions,
                details,
                without_actions,
            )
        })
        .collect();
    let next = (end < scopes.len()).then(|| encode_offset(end));
    Ok(Json(json!({ "data": items, "next": next })))
}

/// A connector's actions, all in catalogue order, or those matching `search`, best first.
fn ranked<'c>(connector: &'c Connector, search: Option<&str>) -> Vec<&'c Action> {
    match search {
        None => connector.actions().iter().collect(),
        Some(query) => search_actions(connector, query)
            .into_iter()
            .map(|hit| hit.action)
            .collect(),
    }
}

/// StackOne's `ActionsMeta` for a connector (and an account).
fn connector_meta(
    connector: &Connector,
    account_id: Option<&str>,
    actions: &[&Action],
    details: bool,
    without_actions: bool,
) -> Value {
    let mut item = json!({
        "key": connector.key,
        "name": connector.name,
        "description": connector.description,
        "icon": null,
        "version": env!("CARGO_PKG_VERSION"),
        "release_stage": "ga",
        "categories": ["ticketing"],
        "authentication": [{
            "key": "custom",
            "label": connector.credential.label,
            "type": "custom",
            "required_scopes": [],
        }],
        "scope_definitions": connector.scopes.iter().map(|scope| json!({
            "name": scope.name,
            "description": scope.description,
            "includes": [],
        })).collect::<Vec<_>>(),
    });
    if let Some(account_id) = account_id {
        item["account_id"] = json!(account_id);
        item["integration_id"] = json!(connector.key);
    }
    if !without_actions {
        item["actions"] = actions
            .iter()
            .map(|action| action_meta(action, details))
            .collect();
    }
    item
}

/// StackOne's `ActionMetaItem`, with `action_details` (the Front operation, hints and the input
/// schema) when asked for.
fn action_meta(action: &Action, details: bool) -> Value {
    let resource = action
        .path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    let mut item = json!({
        "id": action.id,
        "label": action.label,
        "description": action.description,
        "required_scopes": action.scopes,
        "tags": [resource],
        "schema_type": "native",
        "authentication": [],
    });
    if details {
        item["action_details"] = json!({
            "method": action.method,
            "path": action.path,
            "hints": action.hints,
            "paginated": action.is_paginated(),
            "input_schema": action.input_schema(ParamStyle::Nested),
        });
    }
    item
}

/// The refusal of a `next` this endpoint did not hand out.
const NOT_OUR_CURSOR: &str = "`next`: not a cursor from this endpoint";

fn encode_offset(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

fn decode_offset(cursor: &str) -> Result<usize, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("o:")?.parse().ok())
        .ok_or_else(|| ApiError::BadRequest(NOT_OUR_CURSOR.to_owned()))
}

/// `POST /actions/search` as StackOne's SDKs send it.
#[derive(Debug, Deserialize)]
pub struct SearchBody {
    query: String,
    #[serde(default)]
    top_k: Option<u32>,
    #[serde(default)]
    connector: Option<String>,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    min_similarity: Option<f64>,
}

/// `POST /actions/search`: the best matching actions, scores in `(0, 1]`.
pub async fn search(
    Tenant(_principal): Tenant,
    ApiJson(body): ApiJson<SearchBody>,
) -> Result<Json<Value>, ApiError> {
    let top_k = body.top_k.unwrap_or(DEFAULT_TOP_K).clamp(1, 100) as usize;
    let floor = body.min_similarity.unwrap_or(0.0);
    let results: Vec<Value> = Catalog::builtin()
        .connectors()
        .iter()
        .filter(|c| body.connector.as_deref().is_none_or(|key| key == c.key))
        .flat_map(|connector| {
            search_actions(connector, &body.query)
                .into_iter()
                .map(move |hit| (connector, hit))
        })
        .filter(|(_, hit)| hit.score >= floor)
        .take(top_k)
        .map(|(connector, hit)| {
            json!({
                "id": hit.action.id,
                "action_name": hit.action.id,
                "connector_key": connector.key,
                "label": hit.action.label,
                "description": hit.action.description,
                "similarity_score": (hit.score * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    Ok(Json(json!({
        "results": results,
        "total_count": results.len(),
        "query": body.query,
        "connector_filter": body.connector,
        "project_filter": body.project_id,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_top_level_keys_go_into_the_body() {
        let mut extra = Map::new();
        extra.insert("tag_ids".into(), json!(["tag_1"]));
        let input = rpc_input(Some(json!({"id": "x"})), None, Some(json!({})), extra).unwrap();
        assert_eq!(
            input,
            json!({"path": {"id": "x"}, "body": {"tag_ids": ["tag_1"]}})
        );
    }

    #[test]
    fn offsets_round_trip() {
        assert_eq!(decode_offset(&encode_offset(25)).unwrap(), 25);
        assert!(decode_offset("nonsense").is_err());
    }
}
