//! Mapping Front's answer to StackOne's `data` and `next` without building a tree of it and
//! without copying it: one validating pass over the body finds a list's `_results` array and
//! its next-page URL, and `data` is then a view of the received bytes, sent on as they came.

use std::fmt;

use actionhub_catalog::ListEnvelope;
use bytes::Bytes;
use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON value as text, checked when it was made (UTF-8, well-formed) and never re-encoded.
/// Cheap to clone: it shares the bytes it was received in.
#[derive(Clone, PartialEq, Eq)]
pub struct JsonText(Bytes);

impl JsonText {
    /// Checks that `bytes` hold one JSON value (surrounding whitespace allowed).
    pub fn parse(bytes: Bytes) -> Result<JsonText, serde_json::Error> {
        let value: &RawValue = serde_json::from_slice(&bytes)?;
        Ok(JsonText(bytes.slice_ref(value.get().as_bytes())))
    }

    /// The JSON `null`.
    pub fn null() -> JsonText {
        JsonText(Bytes::from_static(b"null"))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, to be sent as it is.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl fmt::Debug for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonText({} bytes)", self.0.len())
    }
}

/// `data` and Front's next-page URL, when there is one.
#[derive(Debug)]
pub struct Mapped {
    pub data: JsonText,
    pub next_url: Option<String>,
}

/// Where a list answer keeps its items and next-page URL (`_results`, `_pagination` + `next`).
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    results: String,
    pagination: String,
    next: String,
}

impl Envelope {
    pub(crate) fn new(envelope: &ListEnvelope) -> Envelope {
        let (pagination, next) = envelope
            .next
            .split_once('.')
            .unwrap_or((envelope.next.as_str(), ""));
        Envelope {
            results: envelope.results.clone(),
            pagination: pagination.to_owned(),
            next: next.to_owned(),
        }
    }

    /// Front's default envelope, for a catalogue without the Front connector.
    pub(crate) fn front() -> Envelope {
        Envelope {
            results: "_results".to_owned(),
            pagination: "_pagination".to_owned(),
            next: "next".to_owned(),
        }
    }

    /// Maps a 2xx body. An empty body (204) is `null`; a list is its items; anything else is
    /// itself. Fails if the body is not JSON.
    pub(crate) fn map(&self, body: &Bytes) -> Result<Mapped, serde_json::Error> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Mapped {
                data: JsonText::null(),
                next_url: None,
            });
        }
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let found = (&mut deserializer).deserialize_any(TopLevel(self))?;
        deserializer.end()?;
        match found {
            Some((items, next_url)) => Ok(Mapped {
                data: JsonText(body.slice_ref(items.get().as_bytes())),
                next_url,
            }),
            None => Ok(Mapped {
                data: JsonText::parse(body.clone())?,
                next_url: None,
            }),
        }
    }
}

/// Finds the items and next URL of a top-level object; `None` when it is no list (or not an
/// object at all, which is then parsed whole by the caller).
struct TopLevel<'e>(&'e Envelope);

type Found<'de> = Option<(&'de RawValue, Option<String>)>;

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Found<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found<'de>, A::Error> {
        let mut items = None;
        let mut next = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.0.results {
                items = Some(map.next_value::<&'de RawValue>()?);
            } else if key == self.0.pagination {
                next = map.next_value_seed(NextField(&self.0.next))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(items.map(|items| (items, next)))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Found<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Found<'de>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Found<'de>, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Found<'de>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Found<'de>, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Found<'de>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Found<'de>, E> {
        Ok(None)
    }
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Found<'de>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Found<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The string at `next` inside the pagination object (absent or `null`: none).
struct NextField<'n>(&'n str);

impl<'de> DeserializeSeed<'de> for NextField<'_> {
    type Value = Option<String>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NextField<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a pagination object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut next = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.0 {
                next = map.next_value::<Option<String>>()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(next.filter(|url| !url.is_empty()))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(body: &str) -> Mapped {
        Envelope::front()
            .map(&Bytes::copy_from_slice(body.as_bytes()))
            .unwrap()
    }

    fn text(json: &JsonText) -> &str {
        std::str::from_utf8(json.as_bytes()).unwrap()
    }

    #[test]
    fn lists_become_their_items_and_next() {
        let mapped = map(
            r#"{"_pagination":{"next":"https://x.api.frontapp.com/tags?page_token=a"},"_links":{"self":"s"},"_results":[{"id":"tag_1"}]}"#,
        );
        assert_eq!(text(&mapped.data), r#"[{"id":"tag_1"}]"#);
        assert_eq!(
            mapped.next_url.as_deref(),
            Some("https://x.api.frontapp.com/tags?page_token=a")
        );
        let last = map(r#"{"_results":[],"_pagination":{"next":null}}"#);
        assert_eq!((text(&last.data), last.next_url), ("[]", None));
    }

    #[test]
    fn other_answers_are_themselves_and_empty_is_null() {
        assert_eq!(
            text(&map(" {\"id\":\"cnv_1\",\"x\":[1]}\n").data),
            r#"{"id":"cnv_1","x":[1]}"#
        );
        assert_eq!(text(&map("").data), "null");
        assert_eq!(text(&map("[1,2]").data), "[1,2]");
        for bad in [
            "{\"_results\": [1,",
            "{} trailing",
            "{\"_results\": [\"\u{1}\"]}",
        ] {
            assert!(Envelope::front().map(&Bytes::from(bad)).is_err(), "{bad}");
        }
        assert!(JsonText::parse(Bytes::from_static(b"[1,")).is_err());
    }
}
