//! Turning one HTTP request into checked input for a handler.
//!
//! Query strings arrive as text: each value is first coerced to its declared type (`limit=25`
//! becomes 25, `q[statuses][]=a&q[statuses][]=b` becomes `{"statuses": ["a", "b"]}`), then
//! the whole input is validated against the action's schema from the catalogue, which is
//! derived from Front's spec. Every problem becomes a detail naming its field.
//!
//! A body is JSON, or `multipart/form-data` (how Front takes attachments): its fields, named in
//! Front's bracket notation (`to[0]`, `options[archive]`), become the same JSON object a JSON
//! body would be, and each file the catalogue's file value, so handlers read either alike.

use actionhub_catalog::{
    Action, Field, FieldType, FileInput, Location, ParamStyle, QueryTextError,
};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::paging::{Cursor, PageRequest};
use crate::render::View;
use crate::world::World;

/// Front's page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 50;

/// The checked input of one request, and what a handler needs to build links.
#[derive(Debug)]
pub struct Call<'r> {
    /// Decoded path parameters by template name.
    pub params: Vec<(&'static str, String)>,
    pub query: Map<String, Value>,
    pub body: Map<String, Value>,
    /// Base of absolute URLs, without a trailing slash.
    pub base: &'r str,
    /// The request path as sent (still percent-encoded), for `_links.self` and `next`.
    pub raw_path: &'r str,
    /// The query pairs as sent, decoded, for rebuilding the `next` URL.
    pub raw_query: &'r [(String, String)],
    /// Unix seconds (millisecond precision) when the request was handled; for a write, read
    /// under the world's lock (see `World::write_time`).
    pub now: f64,
}

impl<'r> Call<'r> {
    pub fn view<'w>(&'w self, world: &'w World) -> View<'w> {
        View {
            world,
            base: self.base,
        }
    }

    /// A path parameter; the router guarantees every template parameter is present.
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn query_str(&self, name: &str) -> Option<&str> {
        self.query.get(name).and_then(Value::as_str)
    }

    pub fn query_bool(&self, name: &str) -> Option<bool> {
        self.query.get(name).and_then(Value::as_bool)
    }

    /// One property of the `q` query object.
    pub fn q(&self, name: &str) -> Option<&Value> {
        self.query.get("q").and_then(|q| q.get(name))
    }

    /// An array-of-strings property of `q` (empty when absent), sorted and without repeats
    /// so that membership is a binary search however long the list a caller sends.
    pub fn q_strings(&self, name: &str) -> Vec<&str> {
        let mut values: Vec<&str> = self
            .q(name)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        values.sort_unstable();
        values.dedup();
        values
    }

    pub fn body_field(&self, name: &str) -> Option<&Value> {
        self.body.get(name)
    }

    pub fn body_str(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }

    pub fn body_bool(&self, name: &str) -> Option<bool> {
        self.body.get(name).and_then(Value::as_bool)
    }

    /// An array-of-strings body field (`None` when absent).
    pub fn body_strings(&self, name: &str) -> Option<Vec<String>> {
        self.body.get(name).and_then(Value::as_array).map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
    }

    /// Page size, position and order asked for by `limit`, `page_token` and `sort_order`.
    pub fn page_request(
        &self,
        default_limit: usize,
        descending_by_default: bool,
    ) -> Result<PageRequest, ApiError> {
        let limit = self
            .query
            .get("limit")
            .and_then(Value::as_u64)
            .map_or(default_limit, |l| usize::try_from(l).unwrap_or(usize::MAX));
        let after = match self.query_str("page_token") {
            Some(token) => Some(Cursor::decode(token).ok_or_else(|| {
                ApiError::invalid_field(
                    "query.page_token",
                    "is not a page token from this list's `_pagination.next`",
                )
            })?),
            None => None,
        };
        let descending = match self.query_str("sort_order") {
            Some("asc") => false,
            Some("desc") => true,
            _ => descending_by_default,
        };
        Ok(PageRequest {
            limit,
            after,
            descending,
        })
    }

    pub fn self_url(&self) -> String {
        format!("{}{}", self.base, self.raw_path)
    }

    /// The request's own URL with `page_token` set to `cursor`: the other parameters (limit,
    /// filters, order) are kept so that every page is cut the same way.
    pub fn next_url(&self, cursor: &Cursor) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.raw_query.iter().filter(|(k, _)| k != "page_token") {
            query.append_pair(key, value);
        }
        query.append_pair("page_token", &cursor.encode());
        format!("{}{}?{}", self.base, self.raw_path, query.finish())
    }
}

/// A request's query and body, checked and of the declared types.
#[derive(Debug)]
pub struct CheckedInput {
    pub query: Map<String, Value>,
    pub body: Map<String, Value>,
}

/// Checks one request's parameters and body against `action`'s declared inputs.
pub fn check_input(
    action: &Action,
    params: &[(&'static str, String)],
    query_pairs: &[(String, String)],
    body: &[u8],
) -> Result<CheckedInput, ApiError> {
    let mut problems = Vec::new();
    let query = coerce_query(action, query_pairs, &mut problems);
    let body = parse_body(action, body, &mut problems);
    // The schema reads a `null` location as absent; as a body, Front refuses it like any other
    // body that is not an object.
    if body.as_ref().is_some_and(Value::is_null) {
        problems.push("body: must be an object, got null".to_owned());
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid_request(problems));
    }
    let mut input = Map::new();
    input.insert(
        Location::Path.as_str().into(),
        Value::Object(
            params
                .iter()
                .map(|(name, value)| ((*name).to_owned(), Value::String(value.clone())))
                .collect(),
        ),
    );
    input.insert(Location::Query.as_str().into(), Value::Object(query));
    if let Some(body) = body {
        input.insert(Location::Body.as_str().into(), body);
    }
    let checked = action
        .validate_input(ParamStyle::Nested, &Value::Object(input))
        .map_err(|invalid| {
            // Front looks ids up rather than checking their shape: an id of another shape is
            // one that does not exist.
            let misshapen_id = invalid.violations.iter().find_map(|violation| {
                let name = violation.pointer.strip_prefix("/path/")?;
                let resource = action.inputs.path.get(name)?.id_of.as_deref()?;
                let (_, value) = params.iter().find(|(param, _)| *param == name)?;
                Some((resource, value))
            });
            if let Some((resource, value)) = misshapen_id {
                return ApiError::not_found(resource, &actionhub_catalog::echo(value));
            }
            ApiError::invalid_request(
                invalid
                    .violations
                    .iter()
                    .map(|v| format!("{}: {}", field_name(&v.pointer), v.reason))
                    .collect(),
            )
        })?;
    let take = |location: Location| match checked.get(location.as_str()) {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    Ok(CheckedInput {
        query: take(Location::Query),
        body: take(Location::Body),
    })
}

/// Builds the query object, coercing text to the declared types. Parameters the operation
/// does not declare are refused here, by name (Front's spec is the list of what exists).
fn coerce_query(
    action: &Action,
    pairs: &[(String, String)],
    problems: &mut Vec<String>,
) -> Map<String, Value> {
    action.query_from_text(pairs).unwrap_or_else(|errors| {
        problems.extend(errors.into_iter().map(|error| match error {
            QueryTextError::Unknown { key, name } => unknown_parameter(action, &key, &name),
            QueryTextError::Malformed(reason) => reason,
        }));
        Map::new()
    })
}

fn unknown_parameter(action: &Action, key: &str, name: &str) -> String {
    let declared: Vec<&str> = action
        .fields(Location::Query)
        .keys()
        .map(String::as_str)
        .collect();
    let expected = if declared.is_empty() {
        "this operation takes no query parameters".to_owned()
    } else {
        format!("expected one of: {}", declared.join(", "))
    };
    if name == actionhub_catalog::NEXT_CURSOR_FIELD && action.is_paginated() {
        // The catalogue's `next` is the hub's cursor; Front itself only knows `page_token`.
        format!(
            "query.{key}: is not a Front parameter; follow `_pagination.next` (it carries `page_token`); {expected}"
        )
    } else {
        format!("query.{key}: is not a known parameter; {expected}")
    }
}

/// The body, if any, as JSON. Empty (or whitespace-only) bodies count as no body. A body that
/// opens with a multipart delimiter (`--boundary`, which no JSON text starts with) is read as
/// `multipart/form-data`; files in a JSON body are refused, as Front takes them only in a form.
fn parse_body(action: &Action, body: &[u8], problems: &mut Vec<String>) -> Option<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    if body.starts_with(b"--") {
        return match form_body(action, body) {
            Ok(form) => Some(Value::Object(form)),
            Err(problem) => {
                problems.push(format!("body: {problem}"));
                None
            }
        };
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => {
            for (name, field) in action.fields(Location::Body) {
                if field.takes_files() && value.get(name).is_some() {
                    problems.push(format!(
                        "body.{name}: files are sent as multipart/form-data, not JSON"
                    ));
                }
            }
            Some(value)
        }
        Err(error) => {
            problems.push(format!("body: is not valid JSON ({error})"));
            None
        }
    }
}

/// One part of a multipart body.
struct Part<'b> {
    name: String,
    /// Present for a file part.
    filename: Option<String>,
    content_type: Option<String>,
    content: &'b [u8],
}

/// A `multipart/form-data` body as the JSON object its fields stand for.
fn form_body(action: &Action, body: &[u8]) -> Result<Map<String, Value>, String> {
    let mut form = Map::new();
    for part in form_parts(body)? {
        let value = match part.filename {
            Some(filename) => FileInput {
                filename,
                content_type: part
                    .content_type
                    .unwrap_or_else(|| actionhub_catalog::DEFAULT_CONTENT_TYPE.to_owned()),
                bytes: part.content.to_vec(),
            }
            .to_value(),
            None => Value::String(
                String::from_utf8(part.content.to_vec())
                    .map_err(|_| format!("the form field `{}` is not UTF-8 text", part.name))?,
            ),
        };
        place(&mut form, action.fields(Location::Body), &part.name, value)?;
    }
    Ok(form)
}

/// Splits a multipart body at its delimiters (the first line names the boundary).
fn form_parts(body: &[u8]) -> Result<Vec<Part<'_>>, String> {
    let malformed = |what: &str| format!("is not a well-formed multipart/form-data body ({what})");
    let first_line = find(body, b"\r\n").ok_or_else(|| malformed("no delimiter line"))?;
    let boundary = &body[2..first_line];
    if boundary.is_empty() || boundary.len() > 70 {
        return Err(malformed("a boundary must be 1 to 70 characters"));
    }
    let delimiter = [b"\r\n--", boundary].concat();
    let mut rest = &body[first_line + 2..];
    let mut parts = Vec::new();
    loop {
        let end = find(rest, &delimiter).ok_or_else(|| malformed("a part is not closed"))?;
        parts.push(form_part(&rest[..end]).map_err(|what| malformed(&what))?);
        let after = &rest[end + delimiter.len()..];
        if after.starts_with(b"--") {
            return Ok(parts);
        }
        rest = after
            .strip_prefix(b"\r\n")
            .ok_or_else(|| malformed("a delimiter is not followed by a line break"))?;
    }
}

fn form_part(part: &[u8]) -> Result<Part<'_>, String> {
    let head_end = find(part, b"\r\n\r\n").ok_or("a part has no header block")?;
    let head =
        std::str::from_utf8(&part[..head_end]).map_err(|_| "a part's headers are not UTF-8")?;
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in head.split("\r\n") {
        let Some((header, value)) = line.split_once(':') else {
            return Err(format!("a part's header line `{line}` has no `:`"));
        };
        match header.trim().to_ascii_lowercase().as_str() {
            "content-disposition" => {
                for (key, text) in disposition_parameters(value) {
                    match key.as_str() {
                        "name" => name = Some(text),
                        "filename" => filename = Some(text),
                        _ => {}
                    }
                }
            }
            "content-type" => content_type = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    Ok(Part {
        name: name.ok_or("a part's content-disposition has no name")?,
        filename,
        content_type,
        content: &part[head_end + 4..],
    })
}

/// The `key=value` parameters of a `content-disposition` value (after its type), quoted values
/// unquoted (a `;` inside quotes is part of the value) and `%22` read back as `"`, as browsers
/// and the hub write them.
fn disposition_parameters(value: &str) -> Vec<(String, String)> {
    let mut parameters = Vec::new();
    let mut rest = value.split_once(';').map_or("", |(_, rest)| rest);
    while let Some((key, after)) = rest.split_once('=') {
        let after = after.trim_start();
        // The value, and what follows it: the next `;` and the parameters after it.
        let (text, remainder) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').unwrap_or(quoted.len());
                (&quoted[..end], quoted.get(end + 1..).unwrap_or_default())
            }
            None => after.split_at(after.find(';').unwrap_or(after.len())),
        };
        parameters.push((
            key.trim().to_ascii_lowercase(),
            text.trim().replace("%22", "\""),
        ));
        let Some((_, next)) = remainder.split_once(';') else {
            break;
        };
        rest = next;
    }
    parameters
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Puts `value` at `name` (`to[0]`, `options[archive]`, `attachments[1]`) in `form`, following
/// the declared fields: an array takes its items in index order, text is read as the declared
/// type. Undeclared names are placed as given, for validation to refuse by name.
fn place(
    form: &mut Map<String, Value>,
    fields: &indexmap::IndexMap<String, Field>,
    name: &str,
    value: Value,
) -> Result<(), String> {
    let (first, mut rest) = name.split_at(name.find('[').unwrap_or(name.len()));
    let mut keys = Vec::new();
    while let Some(inner) = rest.strip_prefix('[') {
        let close = inner
            .find(']')
            .ok_or_else(|| format!("the form field `{name}` has an unclosed `[`"))?;
        keys.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    if first.is_empty() || !rest.is_empty() {
        return Err(format!(
            "the form field name `{name}` is not in bracket notation"
        ));
    }
    let mut field = fields.get(first);
    let mut slot = form.entry(first.to_owned()).or_insert(Value::Null);
    for key in keys {
        let is_array = field.is_some_and(|f| f.ty == FieldType::Array);
        if is_array {
            if slot.is_null() {
                *slot = Value::Array(Vec::new());
            }
            let Value::Array(items) = slot else {
                return Err(format!("the form field `{name}` mixes a list and a value"));
            };
            let index: usize = key
                .parse()
                .map_err(|_| format!("the form field `{name}` needs a list index, got `{key}`"))?;
            if index == items.len() {
                items.push(Value::Null);
            } else if index > items.len() {
                return Err(format!("the form field `{name}` skips list indexes"));
            }
            field = field.and_then(|f| f.items.as_deref());
            slot = &mut items[index];
        } else {
            if slot.is_null() {
                *slot = Value::Object(Map::new());
            }
            let Value::Object(properties) = slot else {
                return Err(format!(
                    "the form field `{name}` mixes an object and a value"
                ));
            };
            field = field
                .and_then(|f| f.properties.as_ref())
                .and_then(|properties| properties.get(key));
            slot = properties.entry(key.to_owned()).or_insert(Value::Null);
        }
    }
    if !slot.is_null() {
        return Err(format!("the form field `{name}` is given more than once"));
    }
    *slot = match (value, field) {
        (Value::String(text), Some(field)) => field.value_from_text(&text),
        (value, _) => value,
    };
    Ok(())
}

/// `/body/tag_ids/0` → `body.tag_ids[0]`.
fn field_name(pointer: &str) -> String {
    let mut name = String::new();
    for (depth, part) in pointer.split('/').skip(1).enumerate() {
        let part = part.replace("~1", "/").replace("~0", "~");
        if depth > 1 && !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            name.push_str(&format!("[{part}]"));
        } else {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(&part);
        }
    }
    if name.is_empty() {
        "request".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actionhub_catalog::Catalog;
    use serde_json::json;

    fn action(id: &str) -> &'static Action {
        Catalog::builtin().action(id).unwrap()
    }

    fn pairs(query: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn query_text_is_coerced_to_declared_types() {
        let CheckedInput { query, .. } = check_input(
            action("front_list_events"),
            &[],
            &pairs("limit=15&q[types][]=tag&q[types][]=comment&q[after]=123.4&sort_order=asc"),
            b"",
        )
        .unwrap();
        assert_eq!(
            Value::Object(query),
            json!({"limit": 15, "q": {"types": ["tag", "comment"], "after": 123.4}, "sort_order": "asc"})
        );
        let CheckedInput { query, .. } = check_input(
            action("front_add_conversation_followers"),
            &[("conversation_id", "cnv_1".into())],
            &pairs("ignore_errors=true"),
            br#"{"teammate_ids":["tea_1"]}"#,
        )
        .unwrap();
        assert_eq!(query["ignore_errors"], json!(true));
    }

    #[test]
    fn problems_name_their_field() {
        let details = |id: &str, query: &str, body: &[u8]| {
            check_input(
                action(id),
                &[("conversation_id", "cnv_1".into())],
                &pairs(query),
                body,
            )
            .unwrap_err()
            .details
        };
        assert_eq!(
            details("front_add_conversation_tag", "", b"{}"),
            ["body.tag_ids: is required"]
        );
        assert!(
            details("front_list_conversations", "limit=1000", b"")[0]
                .starts_with("query.limit: must be at most 100")
        );
        assert!(
            details(
                "front_list_conversations",
                "limit=99999999999999999999999",
                b""
            )[0]
            .starts_with("query.limit: must be at most 100")
        );
        assert!(
            details("front_list_conversations", "limit=ten", b"")[0]
                .starts_with("query.limit: must be an integer")
        );
        assert!(
            details("front_list_conversations", "next=abc", b"")[0]
                .starts_with("query.next: is not a Front parameter")
        );
        assert!(
            details("front_list_conversations", "colour=red", b"")[0]
                .starts_with("query.colour: is not a known parameter")
        );
        assert!(
            details("front_list_conversations", "q=open", b"")[0]
                .starts_with("query.q: write the query object")
        );
        assert!(
            details("front_list_conversations", "limit=1&limit=2", b"")[0]
                .contains("more than once")
        );
        assert!(
            details("front_add_conversation_tag", "", b"{nope")[0]
                .starts_with("body: is not valid JSON")
        );
        assert!(
            details("front_add_conversation_tag", "", br#"{"tag_ids":[1]}"#)[0]
                .starts_with("body.tag_ids[0]: must be a string")
        );
        assert!(
            details("front_list_conversations", "q[statuses][]=snoozed", b"")[0]
                .starts_with("query.q.statuses[0]: must be one of")
        );
    }

    /// A multipart body of `(name, filename, content)` parts, as the hub writes one.
    fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, filename, content) in parts {
            body.extend_from_slice(b"--b0undary\r\ncontent-disposition: form-data; name=\"");
            body.extend_from_slice(name.as_bytes());
            body.push(b'"');
            if let Some(filename) = filename {
                body.extend_from_slice(
                    format!("; filename=\"{filename}\"\r\ncontent-type: image/png").as_bytes(),
                );
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--b0undary--\r\n");
        body
    }

    #[test]
    fn a_form_body_reads_as_the_json_body_it_stands_for() {
        let action = action("front_reply_to_conversation");
        let params = [("conversation_id", "cnv_1".to_owned())];
        let body = form(&[
            ("body", None, b"Hello\r\nthere"),
            ("to[0]", None, b"a@example.com"),
            ("to[1]", None, b"b@example.com"),
            ("options[archive]", None, b"false"),
        ]);
        let checked = check_input(action, &params, &[], &body).unwrap();
        assert_eq!(
            Value::Object(checked.body),
            serde_json::json!({
                "body": "Hello\r\nthere",
                "to": ["a@example.com", "b@example.com"],
                "options": {"archive": false},
            })
        );
        let problems = |body: &[u8]| match check_input(action, &params, &[], body) {
            Err(error) => error.details.join("; "),
            Ok(input) => panic!("accepted: {input:?}"),
        };
        assert!(
            problems(&form(&[("to[1]", None, b"a@example.com")])).contains("skips list indexes")
        );
        assert!(problems(b"--b0undary\r\nno end").contains("not a well-formed multipart"));
        assert!(
            problems(&form(&[("colour", None, b"red")])).contains("body.colour"),
            "undeclared fields are refused by name"
        );
    }

    #[test]
    fn disposition_parameters_keep_what_is_quoted() {
        assert_eq!(
            disposition_parameters(
                r#"form-data; name="attachments[0]"; filename="a; b %22c%22.txt""#
            ),
            [
                ("name".to_owned(), "attachments[0]".to_owned()),
                ("filename".to_owned(), "a; b \"c\".txt".to_owned())
            ]
        );
        assert_eq!(
            disposition_parameters("form-data; NAME=body;x=1"),
            [
                ("name".to_owned(), "body".to_owned()),
                ("x".to_owned(), "1".to_owned())
            ]
        );
    }

    #[test]
    fn pointers_read_as_field_names() {
        assert_eq!(field_name("/body/tag_ids/0"), "body.tag_ids[0]");
        assert_eq!(field_name("/query/q/after"), "query.q.after");
        assert_eq!(field_name(""), "request");
    }
}
