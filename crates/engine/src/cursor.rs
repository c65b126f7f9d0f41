//! The `next` cursor, which the caller passes back as `query.next` (StackOne's convention): a
//! small versioned envelope, base64url of JSON `{"v":1,"u":…,"a":…,"k":…,"p":…}`, holding
//! Front's absolute `_pagination.next` URL (`u`) and what the cursor was issued for: the action
//! (`a`), the account (`k`) and a hash of the call's path values (`p`). A cursor is followed
//! only for that same action, account and path values (a mismatch is refused, never silently
//! answered with another conversation's messages); any other text, including the bare URLs of
//! earlier hub versions, is refused.
//!
//! A cursor comes back from the caller, so it is untrusted. Before it is followed (with the
//! account's token) it must name the configured base URL's origin (its scheme, host and port,
//! under its path) or, when that base is Front's own API, one of Front's API hosts
//! (`https://*.frontapp.com`, e.g. `<company>.api.frontapp.com`); a hub pointed elsewhere (the
//! simulator, a proxy) never sends its accounts' tokens to Front's domain on a cursor's word.
//! Its path must be the same action's, and its path parameters and query must pass the
//! action's input checks like a caller's input, so a cursor can neither reach an operation the
//! account is not allowed to run nor carry what a caller could not send (`limit=100000`). The
//! envelope is not signed: its binding guards against mix-ups, and a crafted one gains nothing,
//! since what it leads to passes the same checks as a caller's own input.
//!
//! A `limit` given next to a cursor is applied: it replaces the page size the cursor's URL
//! carries (it was validated with the call's input). Any other query parameter next to a
//! cursor is ignored: the cursor carries the query of the call that started the listing.

use std::collections::BTreeMap;
use std::fmt;

use actionhub_catalog::{Action, Location, ParamStyle, QueryTextError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::percent_decode_str;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The one domain whose hosts (`api2.frontapp.com`, `<company>.api.frontapp.com`) Front uses.
const FRONT_DOMAIN: &str = ".frontapp.com";
/// Longest explanation of a refused cursor query: the reasons may quote the cursor's text.
const MAX_REASON_LEN: usize = 300;
/// The envelope's version: written, and the only one accepted.
const VERSION: u8 = 1;
/// Bytes of SHA-256 kept as the path values' hash: enough to tell values apart, short enough
/// to keep cursors small.
const PATH_HASH_LEN: usize = 16;
/// Front's page-size query parameter, which a caller may change from one page to the next.
pub(crate) const PAGE_SIZE_FIELD: &str = "limit";

/// Why a cursor was refused. The message never repeats the cursor whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("`query.next` is not a cursor returned by this hub")]
    Malformed,
    #[error(
        "`query.next` is a cursor of an earlier hub version, which is no longer accepted: list again from the first page, without `query.next`"
    )]
    Outdated,
    #[error(
        "`query.next` was issued for {0}: pass it back only with the action, account and `path` values of the call that returned it"
    )]
    Mismatch(Mismatch),
    #[error(
        "`query.next` points outside Front: only the configured Front base URL (or, with Front's own base URL, https://*.frontapp.com) is followed"
    )]
    ForeignHost,
    #[error("`query.next` is a cursor of another action")]
    OtherAction,
    #[error("`query.next` carries a query parameter this action does not take")]
    UnknownParameter,
    #[error("`query.next` carries input this action refuses: {0}")]
    InvalidInput(String),
}

/// What a cursor was issued for that differs from the call it came back with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    Action,
    Account,
    PathValues,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mismatch::Action => "another action",
            Mismatch::Account => "another account",
            Mismatch::PathValues => "other `path` values",
        })
    }
}

/// The call a cursor is issued for, and must come back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedFor {
    action: String,
    account: String,
    /// Hash of the call's path values (see [`path_values_hash`]).
    path_values: String,
}

impl IssuedFor {
    /// The call of `action` for `account_id` with the validated nested `input`.
    pub fn new(action: &Action, account_id: &str, input: &Value) -> IssuedFor {
        IssuedFor {
            action: action.id.clone(),
            account: account_id.to_owned(),
            path_values: path_values_hash(input.get(Location::Path.as_str())),
        }
    }
}

/// Base64url of SHA-256 (cut to [`PATH_HASH_LEN`] bytes) of the path values as JSON with the
/// names sorted, so that the same values in another order hash the same.
fn path_values_hash(path: Option<&Value>) -> String {
    let sorted: BTreeMap<&String, &Value> = path
        .and_then(Value::as_object)
        .map(|fields| fields.iter().collect())
        .unwrap_or_default();
    let canonical = serde_json::to_string(&sorted).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(&Sha256::digest(canonical.as_bytes())[..PATH_HASH_LEN])
}

/// The cursor's content.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    v: u8,
    u: String,
    a: String,
    k: String,
    p: String,
}

/// Wraps Front's next-page URL into the cursor handed to the caller of `issued_for`.
pub fn encode(next_url: &str, issued_for: &IssuedFor) -> String {
    let envelope = Envelope {
        v: VERSION,
        u: next_url.to_owned(),
        a: issued_for.action.clone(),
        k: issued_for.account.clone(),
        p: issued_for.path_values.clone(),
    };
    // Only strings and a number: serialising cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&envelope).unwrap_or_default())
}

/// Unwraps a cursor and checks that it was issued for `issued_for`: Front's URL, unchecked yet.
fn unwrap(cursor: &str, issued_for: &IssuedFor) -> Result<String, CursorError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| CursorError::Malformed)?;
    let text = String::from_utf8(bytes).map_err(|_| CursorError::Malformed)?;
    let envelope: Envelope = match serde_json::from_str(&text) {
        Ok(envelope) => envelope,
        // Earlier versions wrapped the bare URL.
        Err(_) if Url::parse(&text).is_ok() => return Err(CursorError::Outdated),
        Err(_) => {
            return Err(
                match serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|value| value.get("v")?.as_u64())
                {
                    Some(version) if version != u64::from(VERSION) => CursorError::Outdated,
                    _ => CursorError::Malformed,
                },
            );
        }
    };
    if envelope.v != VERSION {
        return Err(CursorError::Outdated);
    }
    for (issued, expected, mismatch) in [
        (&envelope.a, &issued_for.action, Mismatch::Action),
        (&envelope.k, &issued_for.account, Mismatch::Account),
        (&envelope.p, &issued_for.path_values, Mismatch::PathValues),
    ] {
        if issued != expected {
            return Err(CursorError::Mismatch(mismatch));
        }
    }
    Ok(envelope.u)
}

/// Where a cursor may lead: the configured base URL, and Front's domain when that base is
/// Front's own API.
#[derive(Debug, Clone)]
pub(crate) struct Allowed {
    scheme: String,
    host: String,
    port: Option<u16>,
    /// The base URL's path, without a trailing slash (usually empty).
    prefix: String,
    /// Any `https://*.frontapp.com` host is Front (the base is Front's production API).
    front_hosts: bool,
}

impl Allowed {
    /// The cursor guard for `base_url`; `front_base_url` is Front's production API (the
    /// catalogue's base URL), whose sibling hosts are then followed too.
    pub(crate) fn new(base_url: &Url, front_base_url: &str) -> Allowed {
        let prefix = base_url.path().trim_end_matches('/');
        let is_front = Url::parse(front_base_url).is_ok_and(|front| {
            front.origin() == base_url.origin() && front.path().trim_end_matches('/') == prefix
        });
        Allowed {
            scheme: base_url.scheme().to_owned(),
            host: base_url.host_str().unwrap_or_default().to_ascii_lowercase(),
            port: base_url.port_or_known_default(),
            prefix: prefix.to_owned(),
            front_hosts: is_front,
        }
    }

    /// Opens a cursor that comes back with the call `issued_for` of `action`, checks what it was
    /// issued for, where it leads and what it carries, and applies the call's `limit`.
    pub(crate) fn open(
        &self,
        cursor: &str,
        issued_for: &IssuedFor,
        action: &Action,
        limit: Option<u64>,
    ) -> Result<Url, CursorError> {
        let text = unwrap(cursor, issued_for)?;
        let mut url = Url::parse(&text).map_err(|_| CursorError::Malformed)?;
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err(CursorError::ForeignHost);
        }
        let host = url
            .host_str()
            .ok_or(CursorError::ForeignHost)?
            .to_ascii_lowercase();
        let path = if url.scheme() == self.scheme
            && host == self.host
            && url.port_or_known_default() == self.port
        {
            url.path()
                .strip_prefix(self.prefix.as_str())
                .ok_or(CursorError::OtherAction)?
        } else if self.front_hosts
            && url.scheme() == "https"
            && host.ends_with(FRONT_DOMAIN)
            && url.port_or_known_default() == Some(443)
        {
            url.path()
        } else {
            return Err(CursorError::ForeignHost);
        };
        let path_input = path_parameters(path, &action.path).ok_or(CursorError::OtherAction)?;
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let query_input = action.query_from_text(&pairs).map_err(|problems| {
            if problems
                .iter()
                .any(|problem| matches!(problem, QueryTextError::Unknown { .. }))
            {
                CursorError::UnknownParameter
            } else {
                CursorError::InvalidInput(crate::shortened(
                    problems
                        .into_iter()
                        .map(|problem| match problem {
                            QueryTextError::Malformed(reason) => reason,
                            QueryTextError::Unknown { .. } => String::new(),
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                    MAX_REASON_LEN,
                ))
            }
        })?;
        let mut input = Map::new();
        for (location, fields) in [(Location::Path, path_input), (Location::Query, query_input)] {
            if !fields.is_empty() {
                input.insert(location.as_str().to_owned(), Value::Object(fields));
            }
        }
        action
            .validate_input(ParamStyle::Nested, &Value::Object(input))
            .map_err(|invalid| {
                CursorError::InvalidInput(crate::shortened(
                    invalid
                        .violations
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                    MAX_REASON_LEN,
                ))
            })?;
        if let Some(limit) = limit {
            set_page_size(&mut url, limit);
        }
        Ok(url)
    }
}

/// Replaces the page size in `url`'s query with `limit` (validated with the call's input), leaving the rest
/// of the query as Front wrote it.
fn set_page_size(url: &mut Url, limit: u64) {
    let mut query: Vec<String> = url
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            !pair.is_empty() && percent_decode_str(name).decode_utf8_lossy() != PAGE_SIZE_FIELD
        })
        .map(str::to_owned)
        .collect();
    query.push(format!("{PAGE_SIZE_FIELD}={limit}"));
    url.set_query(Some(&query.join("&")));
}

/// The path parameters a concrete path gives a template (decoded, by name), or `None` when it
/// does not fit: other literal segments, or not exactly one non-empty segment per `{name}`.
fn path_parameters(path: &str, template: &str) -> Option<Map<String, Value>> {
    let mut parameters = Map::new();
    let mut given = path.split('/');
    let mut expected = template.split('/');
    loop {
        match (given.next(), expected.next()) {
            (None, None) => return Some(parameters),
            (Some(segment), Some(pattern)) if pattern.starts_with('{') => {
                if segment.is_empty() {
                    return None;
                }
                let name = pattern.trim_start_matches('{').trim_end_matches('}');
                let value = percent_decode_str(segment).decode_utf8().ok()?;
                parameters.insert(name.to_owned(), Value::String(value.into_owned()));
            }
            (Some(segment), Some(pattern)) if segment == pattern => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actionhub_catalog::Catalog;
    use serde_json::json;

    const FRONT: &str = "https://api2.frontapp.com";
    const ACCOUNT: &str = "acc_1";

    fn issued(action: &Action) -> IssuedFor {
        IssuedFor::new(action, ACCOUNT, &json!({}))
    }

    /// Follows `url`, wrapped in a cursor issued for the same call of `action`.
    fn follow(guard: &Allowed, url: &str, action: &Action) -> Result<Url, CursorError> {
        guard.open(&encode(url, &issued(action)), &issued(action), action, None)
    }

    fn allowed(base: &str) -> Allowed {
        Allowed::new(&Url::parse(base).unwrap(), FRONT)
    }

    fn action(id: &str) -> &'static Action {
        Catalog::builtin().action(id).unwrap()
    }

    #[test]
    fn front_hosts_are_followed_only_with_fronts_own_base() {
        let action = action("front_list_conversations");
        let company_host = "https://acme.api.frontapp.com/conversations?page_token=abc";
        for base in [FRONT, "https://api2.frontapp.com/"] {
            let guard = allowed(base);
            for url in [
                company_host,
                "https://api2.frontapp.com/conversations?limit=5",
            ] {
                assert_eq!(follow(&guard, url, action).unwrap().as_str(), url);
            }
        }
        let guard = allowed("http://127.0.0.1:9000");
        let own = "http://127.0.0.1:9000/conversations?limit=5&page_token=x";
        assert_eq!(follow(&guard, own, action).unwrap().as_str(), own);
        for url in [company_host, "https://x.frontapp.com/conversations"] {
            assert_eq!(
                follow(&guard, url, action),
                Err(CursorError::ForeignHost),
                "{url}"
            );
        }
        let proxied = allowed("https://front-proxy.example.com/front");
        assert_eq!(
            follow(&proxied, company_host, action),
            Err(CursorError::ForeignHost)
        );
        let own = "https://front-proxy.example.com/front/conversations?page_token=x";
        assert_eq!(follow(&proxied, own, action).unwrap().as_str(), own);
    }

    #[test]
    fn anything_else_is_refused() {
        let action = action("front_list_conversations");
        for base in [FRONT, "http://127.0.0.1:9000"] {
            let guard = allowed(base);
            for url in [
                "https://evil.example.com/conversations",
                "https://frontapp.com.evil.example/conversations",
                "http://acme.api.frontapp.com/conversations",
                "https://acme.api.frontapp.com:8443/conversations",
                "http://127.0.0.1:9001/conversations",
                "https://user:pw@acme.api.frontapp.com/conversations",
                "http://169.254.169.254/latest/meta-data",
            ] {
                assert_eq!(
                    follow(&guard, url, action),
                    Err(CursorError::ForeignHost),
                    "{url}"
                );
            }
            assert_eq!(
                follow(&guard, &format!("{base}/teammates"), action),
                Err(CursorError::OtherAction)
            );
            assert_eq!(
                guard.open("%%%", &issued(action), action, None),
                Err(CursorError::Malformed)
            );
        }
    }

    #[test]
    fn the_query_a_cursor_carries_passes_the_actions_checks() {
        let guard = allowed("http://127.0.0.1:9000");
        let list = action("front_list_conversations");
        let open = |query: &str| {
            follow(
                &guard,
                &format!("http://127.0.0.1:9000/conversations?{query}"),
                list,
            )
        };
        assert!(
            open("limit=25&q[statuses][]=assigned&q[statuses][]=archived&page_token=x").is_ok()
        );
        let too_many = open("limit=100000&page_token=x").unwrap_err();
        assert!(
            matches!(&too_many, CursorError::InvalidInput(reason) if reason.contains("/query/limit")),
            "{too_many:?}"
        );
        assert!(too_many.to_string().starts_with("`query.next`"));
        for query in [
            "limit=ten",
            "limit=5&limit=6",
            "q=open",
            "q[statuses]=bogus",
        ] {
            assert!(
                matches!(open(query), Err(CursorError::InvalidInput(_))),
                "{query}"
            );
        }
        for query in ["next=abc", "page_token=x&include=secrets"] {
            assert_eq!(open(query), Err(CursorError::UnknownParameter), "{query}");
        }
        let huge = format!("limit={}", "9".repeat(10_000));
        let refused = open(&huge).unwrap_err().to_string();
        assert!(refused.len() < 2 * MAX_REASON_LEN, "{}", refused.len());
    }

    #[test]
    fn a_cursor_comes_back_only_with_the_call_it_was_issued_for() {
        let guard = allowed("http://127.0.0.1:9000");
        let messages = action("front_list_conversation_messages");
        let input = |conversation: &str| json!({"path": {"conversation_id": conversation}});
        let url = "http://127.0.0.1:9000/conversations/cnv_1/messages?page_token=x";
        let cursor = encode(url, &IssuedFor::new(messages, ACCOUNT, &input("cnv_1")));
        let open = |account: &str, input: &Value, action: &Action| {
            guard.open(
                &cursor,
                &IssuedFor::new(action, account, input),
                action,
                None,
            )
        };
        assert_eq!(
            open(ACCOUNT, &input("cnv_1"), messages).unwrap().as_str(),
            url
        );
        let refused = open(ACCOUNT, &input("cnv_2"), messages).unwrap_err();
        assert_eq!(refused, CursorError::Mismatch(Mismatch::PathValues));
        assert!(
            refused
                .to_string()
                .starts_with("`query.next` was issued for other `path` values"),
            "{refused}"
        );
        assert_eq!(
            open("acc_2", &input("cnv_1"), messages),
            Err(CursorError::Mismatch(Mismatch::Account))
        );
        let comments = action("front_list_conversation_comments");
        assert_eq!(
            open(ACCOUNT, &input("cnv_1"), comments),
            Err(CursorError::Mismatch(Mismatch::Action))
        );
    }

    #[test]
    fn path_values_hash_the_same_in_any_order_only() {
        let hash = |path: Value| path_values_hash(Some(&path));
        assert_eq!(
            hash(json!({"a": "1", "b": "2"})),
            hash(json!({"b": "2", "a": "1"}))
        );
        assert_ne!(
            hash(json!({"a": "1", "b": "2"})),
            hash(json!({"a": "2", "b": "1"}))
        );
        assert_eq!(path_values_hash(None), hash(json!({})));
    }

    #[test]
    fn earlier_and_unknown_cursors_are_refused() {
        let guard = allowed("http://127.0.0.1:9000");
        let list = action("front_list_conversations");
        let open =
            |text: &str| guard.open(&URL_SAFE_NO_PAD.encode(text), &issued(list), list, None);
        // Earlier versions' cursors: the bare URL.
        assert_eq!(
            open("http://127.0.0.1:9000/conversations?page_token=x"),
            Err(CursorError::Outdated)
        );
        let issued = issued(list);
        let envelope = |version: u64| {
            json!({"v": version, "u": "http://127.0.0.1:9000/conversations?page_token=x",
                   "a": issued.action, "k": issued.account, "p": issued.path_values})
        };
        assert!(open(&envelope(1).to_string()).is_ok());
        assert_eq!(open(&envelope(2).to_string()), Err(CursorError::Outdated));
        let mut extra = envelope(1);
        extra["x"] = json!(1);
        let mut missing = envelope(1);
        missing.as_object_mut().unwrap().remove("k");
        for text in [extra.to_string(), missing.to_string(), "[1]".to_owned()] {
            assert_eq!(open(&text), Err(CursorError::Malformed), "{text}");
        }
        assert!(
            CursorError::Outdated
                .to_string()
                .contains("list again from the first page")
        );
    }

    #[test]
    fn a_limit_next_to_a_cursor_replaces_the_cursors() {
        let guard = allowed("http://127.0.0.1:9000");
        let list = action("front_list_conversations");
        let open = |query: &str, limit| {
            let url = format!("http://127.0.0.1:9000/conversations?{query}");
            guard
                .open(&encode(&url, &issued(list)), &issued(list), list, limit)
                .map(|url| url.query().unwrap_or_default().to_owned())
        };
        assert_eq!(
            open("limit=5&q[statuses][]=assigned&page_token=x", Some(20)).unwrap(),
            "q[statuses][]=assigned&page_token=x&limit=20"
        );
        assert_eq!(
            open("page_token=x", Some(7)).unwrap(),
            "page_token=x&limit=7"
        );
        assert_eq!(
            open("limit=5&page_token=x", None).unwrap(),
            "limit=5&page_token=x"
        );
        // The cursor's own query is still checked.
        assert!(matches!(
            open("limit=100000&page_token=x", Some(5)),
            Err(CursorError::InvalidInput(_))
        ));
    }

    #[test]
    fn templates_match_one_segment_per_parameter() {
        let children = |path| path_parameters(path, "/tags/{tag_id}/children");
        assert_eq!(
            children("/tags/tag_1/children"),
            Some(Map::from_iter([(
                "tag_id".to_owned(),
                Value::from("tag_1")
            )]))
        );
        assert_eq!(
            children("/tags/alt%3Aname%3Ax/children").unwrap()["tag_id"],
            Value::from("alt:name:x")
        );
        assert_eq!(children("/tags//children"), None);
        assert_eq!(children("/tags/a/b/children"), None);
        assert_eq!(children("/tags/%FF/children"), None);
    }
}
