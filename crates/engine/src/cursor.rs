//! The `next` cursor: an opaque wrapper around Front's absolute `_pagination.next` URL, which
//! the caller passes back as `query.next` (StackOne's convention).
//!
//! A cursor comes back from the caller, so it is untrusted. Before it is followed (with the
//! account's token) it must name the configured base URL's origin (its scheme, host and port,
//! under its path) or, when that base is Front's own API, one of Front's API hosts
//! (`https://*.frontapp.com`, e.g. `<company>.api.frontapp.com`); a hub pointed elsewhere (the
//! simulator, a proxy) never sends its accounts' tokens to Front's domain on a cursor's word.
//! Its path must be the same action's, and its path parameters and query must pass the
//! action's input checks like a caller's input, so a cursor can neither reach an operation the
//! account is not allowed to run nor carry what a caller could not send (`limit=100000`).

use actionhub_catalog::{Action, Location, ParamStyle, QueryTextError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::percent_decode_str;
use reqwest::Url;
use serde_json::{Map, Value};

/// The one domain whose hosts (`api2.frontapp.com`, `<company>.api.frontapp.com`) Front uses.
const FRONT_DOMAIN: &str = ".frontapp.com";
/// Longest explanation of a refused cursor query: the reasons may quote the cursor's text.
const MAX_REASON_LEN: usize = 300;

/// Why a cursor was refused. The message never repeats the cursor whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("`query.next` is not a cursor returned by this hub")]
    Malformed,
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

/// Wraps Front's next-page URL into the cursor handed to the caller.
pub fn encode(next_url: &str) -> String {
    URL_SAFE_NO_PAD.encode(next_url)
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

    /// Opens a cursor for `action` and checks where it leads and what it carries.
    pub(crate) fn open(&self, cursor: &str, action: &Action) -> Result<Url, CursorError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor.trim())
            .map_err(|_| CursorError::Malformed)?;
        let text = String::from_utf8(bytes).map_err(|_| CursorError::Malformed)?;
        let url = Url::parse(&text).map_err(|_| CursorError::Malformed)?;
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
        Ok(url)
    }
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

    const FRONT: &str = "https://api2.frontapp.com";

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
                assert_eq!(guard.open(&encode(url), action).unwrap().as_str(), url);
            }
        }
        let guard = allowed("http://127.0.0.1:9000");
        let own = "http://127.0.0.1:9000/conversations?limit=5&page_token=x";
        assert_eq!(guard.open(&encode(own), action).unwrap().as_str(), own);
        for url in [company_host, "https://x.frontapp.com/conversations"] {
            assert_eq!(
                guard.open(&encode(url), action),
                Err(CursorError::ForeignHost),
                "{url}"
            );
        }
        let proxied = allowed("https://front-proxy.example.com/front");
        assert_eq!(
            proxied.open(&encode(company_host), action),
            Err(CursorError::ForeignHost)
        );
        let own = "https://front-proxy.example.com/front/conversations?page_token=x";
        assert_eq!(proxied.open(&encode(own), action).unwrap().as_str(), own);
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
                    guard.open(&encode(url), action),
                    Err(CursorError::ForeignHost),
                    "{url}"
                );
            }
            assert_eq!(
                guard.open(&encode(&format!("{base}/teammates")), action),
                Err(CursorError::OtherAction)
            );
            assert_eq!(guard.open("%%%", action), Err(CursorError::Malformed));
        }
    }

    #[test]
    fn the_query_a_cursor_carries_passes_the_actions_checks() {
        let guard = allowed("http://127.0.0.1:9000");
        let list = action("front_list_conversations");
        let open = |query: &str| {
            guard.open(
                &encode(&format!("http://127.0.0.1:9000/conversations?{query}")),
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
