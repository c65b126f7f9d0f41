//! Building the Front request of an action from its checked, nested input: the URL (path
//! parameters percent-encoded exactly once, query fields in Front's syntax), and the body:
//! JSON, or `multipart/form-data` when the input carries files (Front takes attachments only
//! that way), its other fields then written as form fields in Front's bracket notation.

use std::fmt::Write as _;

use actionhub_catalog::{Action, FileInput, Location, Method, NEXT_CURSOR_FIELD, Style};
use bytes::{BufMut, Bytes, BytesMut};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Characters escaped in a path segment: everything but RFC 3986's unreserved characters and
/// `:` and `@`, which Front's aliases use (`alt:email:a@b.c`) and a path segment may carry
/// as they are. `/` is escaped, so a parameter can never add a path segment.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'!')
    .add(b'$')
    .add(b'&')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'*')
    .add(b'+')
    .add(b',')
    .add(b';')
    .add(b'=');

/// Characters escaped in a query value.
const QUERY_VALUE: &AsciiSet = &PATH_SEGMENT.remove(b'/').remove(b':').remove(b'@');
/// Characters escaped in a query key: `[` and `]` stay readable (`q[statuses][]`), since keys
/// are the catalogue's field names (the schema refuses others), never free input.
const QUERY_KEY: &AsciiSet = &QUERY_VALUE.remove(b'[').remove(b']');

/// The HTTP request an action turns into, before authentication: what a dry run shows and
/// what is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontRequest {
    pub method: Method,
    /// Absolute URL, query included.
    pub url: String,
    /// The body, when the operation takes one.
    pub body: Option<Body>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A JSON object.
    Json(Value),
    /// `multipart/form-data`: the parts in order.
    Form(Vec<FormPart>),
}

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq)]
pub struct FormPart {
    /// The field's name in Front's bracket notation (`to[0]`, `options[archive]`).
    pub name: String,
    pub value: PartValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PartValue {
    Text(String),
    File(FileInput),
}

impl Body {
    /// The `content-type` the body is sent with.
    pub fn content_type(&self) -> String {
        match self {
            Body::Json(_) => "application/json".to_owned(),
            Body::Form(parts) => format!("multipart/form-data; boundary={}", boundary(parts)),
        }
    }

    /// The bytes sent, with their `content-type` (the boundary is worked out once).
    pub fn encode(&self) -> (String, Bytes) {
        match self {
            Body::Json(value) => (self.content_type(), Bytes::from(value.to_string())),
            Body::Form(parts) => {
                let boundary = boundary(parts);
                (
                    format!("multipart/form-data; boundary={boundary}"),
                    encode_form(parts, &boundary),
                )
            }
        }
    }

    /// What a dry run shows: the JSON, or each part by name, a file as its name, media type
    /// and size (never its bytes).
    pub fn shown(&self) -> Value {
        match self {
            Body::Json(value) => value.clone(),
            Body::Form(parts) => Value::Object(
                parts
                    .iter()
                    .map(|part| {
                        let value = match &part.value {
                            PartValue::Text(text) => json!(text),
                            PartValue::File(file) => json!({
                                "filename": file.filename,
                                "content_type": file.content_type,
                                "size": file.bytes.len(),
                            }),
                        };
                        (part.name.clone(), value)
                    })
                    .collect(),
            ),
        }
    }
}

/// A boundary that no part contains: derived from a hash of every part, so the same request
/// is always written the same way (and a dry run's `content-type` is the one sent).
fn boundary(parts: &[FormPart]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.name.as_bytes());
        hasher.update([0]);
        match &part.value {
            PartValue::Text(text) => hasher.update(text.as_bytes()),
            PartValue::File(file) => {
                hasher.update(file.filename.as_bytes());
                hasher.update([0]);
                hasher.update(file.content_type.as_bytes());
                hasher.update([0]);
                hasher.update(&file.bytes);
            }
        }
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let mut boundary = String::from("actionhub-");
    for byte in &digest[..16] {
        let _ = write!(boundary, "{byte:02x}");
    }
    boundary
}

/// A name or file name inside a quoted `content-disposition` parameter: `"`, CR and LF
/// percent-encoded, as browsers write them.
fn quoted_parameter(text: &str) -> String {
    text.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn encode_form(parts: &[FormPart], boundary: &str) -> Bytes {
    let size: usize = parts
        .iter()
        .map(|part| match &part.value {
            PartValue::Text(text) => text.len(),
            PartValue::File(file) => file.bytes.len(),
        })
        .sum();
    let mut out = BytesMut::with_capacity(size + parts.len() * 160 + 64);
    for part in parts {
        out.put_slice(format!("--{boundary}\r\n").as_bytes());
        let name = quoted_parameter(&part.name);
        match &part.value {
            PartValue::Text(text) => {
                out.put_slice(
                    format!("content-disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                out.put_slice(text.as_bytes());
            }
            PartValue::File(file) => {
                out.put_slice(
                    format!(
                        "content-disposition: form-data; name=\"{name}\"; filename=\"{}\"\r\ncontent-type: {}\r\n\r\n",
                        quoted_parameter(&file.filename),
                        file.content_type
                    )
                    .as_bytes(),
                );
                out.put_slice(&file.bytes);
            }
        }
        out.put_slice(b"\r\n");
    }
    out.put_slice(format!("--{boundary}--\r\n").as_bytes());
    out.freeze()
}

/// A path parameter that would not stay one segment of the action's route. Validation refuses
/// such values first (`Action::validate_input`); this is the builder's own guard, so the path
/// sent matches the template whatever the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`path.{parameter}` must be a value other than empty, `.` or `..`")]
pub struct UnsafePath {
    pub parameter: String,
}

/// A file in the input that cannot be sent (validation refuses it first; this is the builder's
/// own guard).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`body.{field}`: {reason}")]
pub struct BadFile {
    /// The field in Front's bracket notation, e.g. `attachments[0]`.
    pub field: String,
    pub reason: String,
}

/// Why no request could be built from an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Path(#[from] UnsafePath),
    #[error(transparent)]
    File(#[from] BadFile),
}

/// Builds the request for `action` from its validated nested `input`, against `base_url`
/// (no trailing slash). The `next` cursor is not handled here (see [`crate::cursor`]).
///
/// Each path parameter fills exactly one segment: `/` is escaped, and a missing, empty, `.` or
/// `..` value (which a URL parser would drop or use to climb the path, escaped or not) is
/// refused rather than sent.
pub fn build(base_url: &str, action: &Action, input: &Value) -> Result<FrontRequest, BuildError> {
    let mut url = String::with_capacity(base_url.len() + action.path.len() + 64);
    url.push_str(base_url);
    let path_input = location(input, Location::Path);
    let mut rest = action.path.as_str();
    // The catalogue checks that every `{name}` of the template is a declared, required path
    // field, so each placeholder has its value.
    while let Some(open) = rest.find('{') {
        url.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |i| open + i);
        let name = &rest[open + 1..close];
        let value = path_input
            .and_then(|p| p.get(name))
            .map(scalar_text)
            .filter(|value| !matches!(value.as_str(), "" | "." | ".."))
            .ok_or_else(|| UnsafePath {
                parameter: name.to_owned(),
            })?;
        // Every other value is one segment as it is: `%` is escaped too, so no escape the
        // parser would decode into a dot segment (`%2e`) can be formed.
        url.extend(utf8_percent_encode(&value, PATH_SEGMENT));
        rest = rest.get(close + 1..).unwrap_or_default();
    }
    url.push_str(rest);

    if let Some(query) = location(input, Location::Query) {
        let mut first = true;
        for (name, value) in query {
            if name == NEXT_CURSOR_FIELD {
                continue;
            }
            let deep = action
                .fields(Location::Query)
                .get(name)
                .is_some_and(|field| field.style == Some(Style::DeepObject));
            match value {
                Value::Object(properties) if deep => {
                    for (key, value) in properties {
                        let param = format!("{name}[{key}]");
                        push_query(&mut url, &mut first, &param, value);
                    }
                }
                value => push_query(&mut url, &mut first, name, value),
            }
        }
    }

    let given_body = location(input, Location::Body);
    let files_given = given_body.is_some_and(|body| {
        action
            .fields(Location::Body)
            .iter()
            .any(|(name, field)| field.takes_files() && body.contains_key(name))
    });
    let body = match (action.method, given_body) {
        (_, Some(body)) if files_given => Some(Body::Form(form_parts(action, body)?)),
        (_, Some(body)) => Some(Body::Json(Value::Object(body.clone()))),
        // Front's writes take a JSON object even when every field is optional.
        (Method::Post | Method::Put | Method::Patch, None)
            if !action.fields(Location::Body).is_empty() =>
        {
            Some(Body::Json(Value::Object(Map::new())))
        }
        _ => None,
    };
    Ok(FrontRequest {
        method: action.method,
        url,
        body,
    })
}

/// The body as form parts, in the input's order: each file (or each item of a list of files)
/// one file part, every other value a text part per scalar, named in Front's bracket notation
/// (`to[0]`, `options[archive]`); `null` is left out, as a form cannot say it.
fn form_parts(action: &Action, body: &Map<String, Value>) -> Result<Vec<FormPart>, BadFile> {
    let mut parts = Vec::new();
    for (name, value) in body {
        let takes_files = action
            .fields(Location::Body)
            .get(name)
            .is_some_and(|field| field.takes_files());
        if !takes_files {
            push_text_parts(&mut parts, name.clone(), value);
            continue;
        }
        let files: Vec<(String, &Value)> = match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("{name}[{i}]"), item))
                .collect(),
            file => vec![(name.clone(), file)],
        };
        for (field, file) in files {
            let file = FileInput::from_value(file).map_err(|reason| BadFile {
                field: field.clone(),
                reason,
            })?;
            parts.push(FormPart {
                name: field,
                value: PartValue::File(file),
            });
        }
    }
    Ok(parts)
}

fn push_text_parts(parts: &mut Vec<FormPart>, name: String, value: &Value) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                push_text_parts(parts, format!("{name}[{i}]"), item);
            }
        }
        Value::Object(properties) => {
            for (key, item) in properties {
                push_text_parts(parts, format!("{name}[{key}]"), item);
            }
        }
        scalar => parts.push(FormPart {
            name,
            value: PartValue::Text(scalar_text(scalar)),
        }),
    }
}

fn location(input: &Value, location: Location) -> Option<&Map<String, Value>> {
    input.get(location.as_str()).and_then(Value::as_object)
}

/// Appends `name=value`, or `name[]=item` for each item of an array (Front's array syntax).
fn push_query(url: &mut String, first: &mut bool, name: &str, value: &Value) {
    match value {
        Value::Array(items) => {
            let name = format!("{name}[]");
            for item in items {
                push_pair(url, first, &name, &scalar_text(item));
            }
        }
        Value::Null => {}
        value => push_pair(url, first, name, &scalar_text(value)),
    }
}

fn push_pair(url: &mut String, first: &mut bool, name: &str, value: &str) {
    url.push(if std::mem::take(first) { '?' } else { '&' });
    url.extend(utf8_percent_encode(name, QUERY_KEY));
    url.push('=');
    url.extend(utf8_percent_encode(value, QUERY_VALUE));
}

/// A scalar as it is written in a URL: strings as they are, numbers and booleans as JSON.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => {
            let mut text = String::new();
            let _ = write!(text, "{other}");
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actionhub_catalog::Catalog;
    use serde_json::json;

    fn request(id: &str, input: Value) -> FrontRequest {
        let action = Catalog::builtin().action(id).unwrap();
        let input = action
            .validate_input(actionhub_catalog::ParamStyle::Nested, &input)
            .unwrap();
        build("https://api2.frontapp.com", action, &input).unwrap()
    }

    #[test]
    fn path_parameters_are_encoded_once_keeping_aliases() {
        let r = request(
            "front_get_contact",
            json!({"path": {"contact_id": "alt:email:a+b@example.com"}}),
        );
        assert_eq!(
            r.url,
            "https://api2.frontapp.com/contacts/alt:email:a%2Bb@example.com"
        );
        let r = request(
            "front_search_conversations",
            json!({"path": {"query": "is:open tag:\"vip/x\" 100%"}}),
        );
        assert_eq!(
            r.url,
            "https://api2.frontapp.com/conversations/search/is:open%20tag:%22vip%2Fx%22%20100%25"
        );
    }

    #[test]
    fn q_is_a_deep_object_with_array_syntax() {
        let r = request(
            "front_list_conversations",
            json!({"query": {"limit": 25, "q": {"statuses": ["assigned", "archived"]}}}),
        );
        assert_eq!(
            r.url,
            "https://api2.frontapp.com/conversations?limit=25&q[statuses][]=assigned&q[statuses][]=archived"
        );
        assert_eq!(r.body, None);
    }

    #[test]
    fn delete_carries_a_body_where_front_wants_one() {
        let r = request(
            "front_remove_conversation_tag",
            json!({"path": {"conversation_id": "cnv_1"}, "body": {"tag_ids": ["tag_1"]}}),
        );
        assert_eq!(r.method, Method::Delete);
        assert_eq!(r.body, Some(Body::Json(json!({"tag_ids": ["tag_1"]}))));
    }
}
