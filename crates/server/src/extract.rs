//! Extractors that turn a request into checked values or an [`ApiError`]; axum's own
//! plain-text rejections never reach a caller.

use std::collections::BTreeMap;

use actionhub_store::{ConnectSession, Principal};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower_http::timeout::TimeoutError;

use crate::AppState;
use crate::error::ApiError;

/// A JSON body deserialized into `T`, with errors that name the field at fault and never echo
/// the value that was sent (it may be a token).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        // The content type is not checked: `curl -d` sends a form type by default, and the body
        // is either valid JSON or refused below anyway.
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection: BytesRejection| {
                    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError::PayloadTooLarge("the request body is too large".to_owned())
                    } else {
                        unreadable_body(&rejection)
                    }
                })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Why a body could not be read: it stalled past the body timeout (408), or something else
/// went wrong on the way (400).
pub fn unreadable_body(error: &(dyn std::error::Error + 'static)) -> ApiError {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<TimeoutError>() {
            return ApiError::Refused {
                status: StatusCode::REQUEST_TIMEOUT,
                message: "the request body stalled: it was not received in time".to_owned(),
            };
        }
        cause = error.source();
    }
    ApiError::BadRequest("the request body could not be read".to_owned())
}

/// For `#[serde(deserialize_with)]` on `Option<Option<T>>` fields of a PATCH body: tells an
/// absent field (`None`, left as it is) from an explicit `null` (`Some(None)`, cleared).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Refuses a NUL character in a value on its way to the store: Postgres' text columns cannot
/// hold one (it would be a 500), and no id, name or filter has a use for it.
pub fn refuse_nul(field: &str, value: &str) -> Result<(), ApiError> {
    if value.contains('\0') {
        return Err(ApiError::BadRequest(format!(
            "`{field}`: must not contain a NUL character (\\u0000)"
        )));
    }
    Ok(())
}

/// [`refuse_nul`] over every key and string of a JSON value; `path` names where it is.
fn refuse_nul_in(path: &mut String, value: &Value) -> Result<(), ApiError> {
    let field = |path: &str| {
        if path.is_empty() {
            ".".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        Value::String(text) => refuse_nul(&field(path), text),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                refuse_nul_in(path, item)?;
                path.truncate(length);
            }
            Ok(())
        }
        Value::Object(object) => {
            for (key, item) in object {
                let length = path.len();
                // A key is named by where it is, never quoted.
                if key.contains('\0') {
                    return Err(ApiError::BadRequest(format!(
                        "`{}`: a key must not contain a NUL character (\\u0000)",
                        field(path)
                    )));
                }
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                refuse_nul_in(path, item)?;
                path.truncate(length);
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// Parses a JSON object body into `T`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the request body is empty; send a JSON object".to_owned(),
        ));
    }
    // Syntax errors first, on a plain value: serde_json's syntax messages give a position and
    // never quote the input.
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|error| ApiError::BadRequest(format!("malformed JSON body: {error}")))?;
    if !value.is_object() {
        return Err(ApiError::BadRequest(
            "the request body must be a JSON object".to_owned(),
        ));
    }
    refuse_nul_in(&mut String::new(), &value)?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        ApiError::BadRequest(describe(&path, &error.into_inner().to_string()))
    })
}

/// Rewrites a serde data error as "`field`: what was wrong", dropping any quoted value.
fn describe(path: &str, message: &str) -> String {
    let at = |field: &str| -> String {
        if path == "." || path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        }
    };
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        return format!("`{}` is required", at(field));
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or_default();
        let expected = rest
            .split_once(", expected ")
            .map(|(_, expected)| format!(" (expected {})", friendly(expected)))
            .unwrap_or_default();
        // serde_path_to_error's path already ends with the unknown field itself.
        let name = if path.ends_with(field) {
            path.to_owned()
        } else {
            at(field)
        };
        return format!("`{name}` is not a known field{expected}");
    }
    let field = if path.is_empty() { "." } else { path };
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (unexpected, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        return format!(
            "`{field}`: expected {}, got {}",
            friendly(expected),
            kind(unexpected)
        );
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        // Right type, wrong value (e.g. a negative number for an unsigned field).
        let expected = rest.split_once(", expected ").map_or("?", |(_, e)| e);
        return format!("`{field}`: expected {}", friendly(expected));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let expected = rest
            .split_once(", expected ")
            .map(|(_, expected)| expected)
            .unwrap_or("?");
        return format!("`{field}`: unknown value, expected {expected}");
    }
    format!("`{field}`: {message}")
}

/// The kind of a serde `Unexpected` description, without the value it quotes.
fn kind(unexpected: &str) -> &'static str {
    match unexpected.split([' ', '`', '"']).next().unwrap_or_default() {
        "string" => "a string",
        "integer" => "an integer",
        "floating" => "a number",
        "boolean" => "a boolean",
        "map" => "an object",
        "sequence" => "an array",
        "null" | "unit" => "null",
        "character" => "a character",
        _ => "another type",
    }
}

/// serde's names for expected shapes, in JSON terms.
fn friendly(expected: &str) -> String {
    let expected = expected.trim_end_matches('.');
    if expected.starts_with("struct ") || expected == "a map" {
        return "an object".to_owned();
    }
    match expected {
        "a sequence" => "an array".to_owned(),
        "u32" | "u64" => "a non-negative integer".to_owned(),
        "i64" | "i32" => "an integer".to_owned(),
        other => other.to_owned(),
    }
}

/// The project an API key (HTTP Basic, StackOne style: the key as username, empty password)
/// speaks for. Every platform route takes one.
#[derive(Debug)]
pub struct Tenant(pub Principal);

impl FromRequestParts<AppState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ApiError::Unauthorized(
                "missing Authorization header: use HTTP Basic with the API key as the username and an empty password".to_owned(),
            )
        })?;
        let encoded = header
            .to_str()
            .ok()
            .and_then(|value| {
                let (scheme, rest) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
            })
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "the Authorization header must be `Basic base64(API_KEY:)`".to_owned(),
                )
            })?;
        let decoded = STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "the Basic credentials in the Authorization header are not valid base64"
                        .to_owned(),
                )
            })?;
        let key = decoded.split(':').next().unwrap_or_default();
        let principal = state.store.authenticate(key).await?;
        Ok(Tenant(principal))
    }
}

/// The live connect session named by the `x-hub-session-token` header (Hub routes).
#[derive(Debug)]
pub struct HubSession(pub ConnectSession);

pub const HUB_SESSION_HEADER: &str = "x-hub-session-token";

impl FromRequestParts<AppState> for HubSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(HUB_SESSION_HEADER)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| {
                ApiError::SessionRejected(format!(
                    "missing {HUB_SESSION_HEADER} header: the Hub needs a connect session token"
                ))
            })?;
        let session =
            state
                .store
                .session_by_token(token.trim(), None)
                .await
                .map_err(|error| match ApiError::from(error) {
                    ApiError::SessionRejected(message) => ApiError::SessionRejected(
                        message.replacen("`token`", &format!("`{HUB_SESSION_HEADER}`"), 1),
                    ),
                    other => other,
                })?;
        Ok(HubSession(session))
    }
}

/// The longest id a path may carry: the hub's and Front's ids are far shorter, and a longer
/// one would only be looked up in vain and quoted back.
pub const MAX_ID_CHARS: usize = 256;

/// The `{id}` segment of a route: UTF-8, no NUL, at most [`MAX_ID_CHARS`] characters.
#[derive(Debug)]
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                ApiError::BadRequest(
                    "the id in the path is not valid (it must be UTF-8 text)".to_owned(),
                )
            })?;
        Ok(PathId(checked_id(id)?))
    }
}

/// No NUL, at most [`MAX_ID_CHARS`] characters.
fn checked_id(id: String) -> Result<String, ApiError> {
    refuse_nul("id", &id)?;
    if id.chars().count() > MAX_ID_CHARS {
        return Err(ApiError::BadRequest(format!(
            "`id`: the id in the path is longer than {MAX_ID_CHARS} characters"
        )));
    }
    Ok(id)
}

/// The two id segments of a nested route (`/webhooks/{id}/deliveries/{delivery_id}/…`), each
/// checked as [`PathId`] is.
#[derive(Debug)]
pub struct PathIds(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path((first, second)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                ApiError::BadRequest(
                    "the ids in the path are not valid (they must be UTF-8 text)".to_owned(),
                )
            })?;
        Ok(PathIds(checked_id(first)?, checked_id(second)?))
    }
}

/// The query string as repeated key → values (`providers[]=a&providers[]=b`), keys with their
/// `[]` suffix removed so that both spellings work.
#[derive(Debug, Default)]
pub struct QueryParams(pub BTreeMap<String, Vec<String>>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if let Some(query) = parts.uri.query() {
            for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                if key.contains('\0') {
                    return Err(ApiError::BadRequest(
                        "a query parameter's name must not contain a NUL character (\\u0000)"
                            .to_owned(),
                    ));
                }
                let key = key.strip_suffix("[]").unwrap_or(&key).to_owned();
                refuse_nul(&key, &value)?;
                params.entry(key).or_default().push(value.into_owned());
            }
        }
        Ok(QueryParams(params))
    }
}

impl QueryParams {
    /// Every value of `key`, comma-separated lists split.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.0
            .get(key)
            .into_iter()
            .flatten()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The single value of `key`; repeating it is an error.
    pub fn single(&self, key: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(key).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([value]) => Ok(Some(value.as_str())),
            Some(_) => Err(ApiError::BadRequest(format!("`{key}`: give it once"))),
        }
    }

    /// `key` as an integer in `min..=max`, or `default` when absent.
    pub fn number(&self, key: &str, default: u32, min: u32, max: u32) -> Result<u32, ApiError> {
        match self.single(key)? {
            None => Ok(default),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("`{key}`: must be an integer from {min} to {max}"))
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // fields are only deserialized
    struct Body {
        name: String,
        inner: Inner,
        count: Option<u32>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        token: String,
    }

    fn message(body: &str) -> String {
        match parse_json::<Body>(body.as_bytes()) {
            Err(error) => error.to_string(),
            Ok(body) => panic!("accepted: {body:?}"),
        }
    }

    #[test]
    fn errors_name_the_field_and_never_echo_values() {
        assert_eq!(
            message(r#"{"inner": {"token": "x"}}"#),
            "`name` is required"
        );
        assert_eq!(
            message(r#"{"name": "n", "inner": {}}"#),
            "`inner.token` is required"
        );
        let wrong = message(r#"{"name": "n", "inner": "SECRET-TOKEN"}"#);
        assert_eq!(wrong, "`inner`: expected an object, got a string");
        let wrong = message(r#"{"name": "n", "inner": {"token": 12345}}"#);
        assert_eq!(wrong, "`inner.token`: expected a string, got an integer");
        assert!(!wrong.contains("12345"));
        let extra = message(r#"{"name": "n", "inner": {"token": "x"}, "extra": 1}"#);
        assert!(extra.starts_with("`extra` is not a known field"), "{extra}");
        assert!(message(r#"{"name": "n", "#).starts_with("malformed JSON body"));
        assert!(message("[1]").contains("JSON object"));
        assert!(message("").contains("empty"));
        let count = message(r#"{"name": "n", "inner": {"token": "x"}, "count": -4}"#);
        assert_eq!(count, "`count`: expected a non-negative integer");
        assert!(!count.contains("-4"));
    }
}
