//! Smaller answers for agents: field selections (`fields=id,subject,assignee.email`) and the
//! compact views declared per resource in `connector.json` (`views`).
//!
//! An agent pays for every token it reads, and a page of Front's conversations is mostly links,
//! nulls and fields nobody asked for. A [`FieldSelection`] keeps only some dotted paths of each
//! item; [`shape`] applies it (and, for the compact view, drops `_links`, nulls and empty values)
//! while reading the answer's bytes, skipping what is not kept without building it.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// The most paths one selection may hold.
pub const MAX_FIELD_PATHS: usize = 50;
/// The longest path, in characters.
pub const MAX_FIELD_PATH_CHARS: usize = 200;

/// The key under which Front puts an object's links: dropped by the compact view.
const LINKS_KEY: &str = "_links";

/// The compact view of one resource: the fields agents read, and the actions whose answer is
/// that resource (one of it, or a list of it), as declared in `connector.json`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    /// Dotted paths kept in each object; arrays along a path are mapped (`tags.name`).
    pub fields: Vec<String>,
    /// The actions answering this resource (their Front response is this resource or a list
    /// of it).
    pub actions: Vec<String>,
    /// `fields`, compiled by the loader.
    #[serde(skip)]
    pub(crate) selection: FieldSelection,
}

impl View {
    /// The view's fields as a selection.
    pub fn selection(&self) -> &FieldSelection {
        &self.selection
    }
}

impl crate::Connector {
    /// The compact view of `action_id`'s answer, when one is declared.
    pub fn view_of(&self, action_id: &str) -> Option<&View> {
        self.views
            .values()
            .find(|view| view.actions.iter().any(|id| id == action_id))
    }
}

/// Checks the connector's views once its actions are loaded and compiles their fields: each
/// noun is a resource, each action exists, answers JSON and is in one view only. Returns the
/// dotted field at fault and why.
pub(crate) fn check_views(connector: &mut crate::Connector) -> Result<(), (String, String)> {
    let mut claimed: IndexMap<&str, &str> = IndexMap::new();
    for (noun, view) in &connector.views {
        if !connector.resources.contains_key(noun) {
            return Err((
                format!("views.{noun}"),
                format!("`{noun}` is not one of the connector's resources"),
            ));
        }
        if view.actions.is_empty() {
            return Err((
                format!("views.{noun}.actions"),
                "name at least one action".to_owned(),
            ));
        }
        for (index, id) in view.actions.iter().enumerate() {
            let at = format!("views.{noun}.actions[{index}]");
            let action = connector
                .actions
                .iter()
                .find(|action| action.id == *id)
                .ok_or_else(|| (at.clone(), format!("unknown action `{id}`")))?;
            if action.returns != crate::Returns::Json {
                return Err((at, format!("`{id}` answers a file, not JSON")));
            }
            if let Some(first) = claimed.insert(id, noun) {
                return Err((at, format!("`{id}` is already in the view of `{first}`")));
            }
        }
    }
    let selections = connector
        .views
        .iter()
        .map(|(noun, view)| {
            FieldSelection::parse(&view.fields)
                .map_err(|reason| (format!("views.{noun}.fields"), reason))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (view, selection) in connector.views.values_mut().zip(selections) {
        view.selection = selection;
    }
    Ok(())
}

/// Dotted paths to keep, as a tree of path segments. A path that is a prefix of another keeps
/// the whole value (`assignee` and `assignee.email` keep all of `assignee`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelection {
    root: Node,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Node {
    /// Empty: the whole value is kept.
    children: IndexMap<String, Node>,
}

impl FieldSelection {
    /// Reads a comma-separated list of paths (`id,subject,assignee.email`), blanks around
    /// entries ignored. The message says what is wrong, for the caller to prefix with the name
    /// of the field that held the list.
    pub fn parse_list(text: &str) -> Result<FieldSelection, String> {
        FieldSelection::parse(text.split(','))
    }

    /// Reads paths: at least one, at most [`MAX_FIELD_PATHS`], each at most
    /// [`MAX_FIELD_PATH_CHARS`] characters with non-empty segments.
    pub fn parse<I, S>(paths: I) -> Result<FieldSelection, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut selection = FieldSelection::default();
        let mut count = 0;
        for path in paths {
            let path = path.as_ref().trim();
            if path.is_empty() {
                continue;
            }
            count += 1;
            if count > MAX_FIELD_PATHS {
                return Err(format!("at most {MAX_FIELD_PATHS} paths may be given"));
            }
            if path.chars().count() > MAX_FIELD_PATH_CHARS {
                return Err(format!(
                    "a path may be at most {MAX_FIELD_PATH_CHARS} characters long; `{}` is longer",
                    crate::echo(path)
                ));
            }
            if path.split('.').any(|segment| segment.trim().is_empty()) {
                return Err(format!(
                    "`{}` has an empty segment; write dotted paths like `assignee.email`",
                    crate::echo(path)
                ));
            }
            selection.insert(path);
        }
        if count == 0 {
            return Err("give at least one path, e.g. `id,subject,assignee.email`".to_owned());
        }
        Ok(selection)
    }

    fn insert(&mut self, path: &str) {
        let mut node = &mut self.root;
        let mut segments = path.split('.').map(str::trim).peekable();
        while let Some(segment) = segments.next() {
            let is_new = !node.children.contains_key(segment);
            let kept_whole = !is_new && node.children[segment].children.is_empty();
            if kept_whole {
                // A shorter path already keeps this value whole.
                return;
            }
            let child = node.children.entry(segment.to_owned()).or_default();
            if segments.peek().is_none() {
                // This path keeps the whole value, whatever longer paths said.
                child.children.clear();
                return;
            }
            node = child;
        }
    }
}

/// What [`shape`] keeps of an answer.
#[derive(Debug, Clone, Copy)]
pub struct Shaping<'a> {
    /// Only these paths of each item (of a list) or of the object; `None`: every field.
    pub fields: Option<&'a FieldSelection>,
    /// Drop `_links`, nulls and empty strings, arrays and objects everywhere.
    pub compact: bool,
}

/// Reads an answer's `data` (a list of objects, an object, or anything else) and keeps what
/// `shaping` says. A list keeps one entry per item (an item with none of the fields is `{}`).
pub fn shape(data: &[u8], shaping: Shaping<'_>) -> Result<Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(data);
    let shaped = TopLevel(Shape {
        keep: shaping.fields.map(|fields| &fields.root),
        compact: shaping.compact,
    })
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(shaped)
}

/// What to keep of one value: `keep` is the selection below it (`None`: all of it).
#[derive(Debug, Clone, Copy)]
struct Shape<'n> {
    keep: Option<&'n Node>,
    compact: bool,
}

impl<'n> Shape<'n> {
    /// The shape of the value under `key`, or `None` when it is not kept.
    fn under(self, key: &str) -> Option<Shape<'n>> {
        if self.compact && key == LINKS_KEY {
            return None;
        }
        let keep = match self.keep {
            None => None,
            Some(node) => {
                let child = node.children.get(key)?;
                (!child.children.is_empty()).then_some(child)
            }
        };
        Some(Shape {
            keep,
            compact: self.compact,
        })
    }

    /// A scalar or null reached: kept only when no path goes on below it, and (compact) when
    /// it says something.
    fn scalar(self, value: Value) -> Option<Value> {
        let empty = match &value {
            Value::Null => true,
            Value::String(text) => text.is_empty(),
            _ => false,
        };
        (self.keep.is_none() && !(self.compact && empty)).then_some(value)
    }

    /// An object built from kept parts: dropped when nothing was kept of it and it was
    /// filtered, or (compact) when it is empty.
    fn filtered(self, value: Value, empty: bool) -> Option<Value> {
        (!empty || (self.keep.is_none() && !self.compact)).then_some(value)
    }
}

impl<'de> DeserializeSeed<'de> for Shape<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Shape<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match self.under(&key) {
                Some(shape) => {
                    if let Some(value) = map.next_value_seed(shape)? {
                        kept.insert(key, value);
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let empty = kept.is_empty();
        Ok(self.filtered(Value::Object(kept), empty))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut kept = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            kept.push(item);
        }
        // An array is kept even when no item kept anything (`tags.name` of no tags is `[]`),
        // unless the view is compact.
        let kept: Vec<Value> = kept.into_iter().flatten().collect();
        Ok((!(self.compact && kept.is_empty())).then_some(Value::Array(kept)))
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(self.scalar(Value::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(self.scalar(Value::from(value)))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(self.scalar(Value::from(value)))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Self::Value, E> {
        Ok(self.scalar(Value::from(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(self.scalar(Value::String(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
        Ok(self.scalar(Value::String(value)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(self.scalar(Value::Null))
    }
}

/// The answer's top level: a list keeps one entry per item and an object stays an object, so
/// that a selection never changes what kind of answer it is.
struct TopLevel<'n>(Shape<'n>);

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.0)? {
            items.push(item.unwrap_or_else(|| Value::Object(Map::new())));
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        Ok(self
            .0
            .visit_map(map)?
            .unwrap_or_else(|| Value::Object(Map::new())))
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn shaped(data: Value, fields: Option<&str>, compact: bool) -> Value {
        let selection = fields.map(|list| FieldSelection::parse_list(list).unwrap());
        shape(
            data.to_string().as_bytes(),
            Shaping {
                fields: selection.as_ref(),
                compact,
            },
        )
        .unwrap()
    }

    fn conversation() -> Value {
        json!({
            "_links": {"self": "https://x/conversations/cnv_1"},
            "id": "cnv_1",
            "subject": "Order",
            "assignee": {"_links": {"self": "s"}, "email": "a@x.com", "first_name": null},
            "tags": [{"id": "tag_1", "name": "vip"}, {"id": "tag_2", "name": "late"}],
            "links": [],
            "is_private": false,
            "description": "",
            "metadata": {}
        })
    }

    #[test]
    fn paths_keep_fields_and_map_arrays() {
        assert_eq!(
            shaped(
                json!([conversation()]),
                Some("id, assignee.email,tags.name,nope.deeper,subject.x"),
                false
            ),
            json!([{"id": "cnv_1", "assignee": {"email": "a@x.com"}, "tags": [{"name": "vip"}, {"name": "late"}]}])
        );
        assert_eq!(
            shaped(conversation(), Some("assignee,assignee.email"), false)["assignee"]["_links"],
            json!({"self": "s"})
        );
        assert_eq!(shaped(json!([{"a": 1}]), Some("b"), false), json!([{}]));
        assert_eq!(shaped(json!(null), Some("id"), true), json!(null));
    }

    #[test]
    fn compact_drops_links_nulls_and_empty_values() {
        assert_eq!(
            shaped(conversation(), None, true),
            json!({
                "id": "cnv_1",
                "subject": "Order",
                "assignee": {"email": "a@x.com"},
                "tags": [{"id": "tag_1", "name": "vip"}, {"id": "tag_2", "name": "late"}],
                "is_private": false
            })
        );
        assert_eq!(shaped(json!([]), None, true), json!([]));
    }

    #[test]
    fn selections_are_checked() {
        assert!(
            FieldSelection::parse_list(" , ")
                .unwrap_err()
                .contains("at least one")
        );
        assert!(
            FieldSelection::parse_list("a..b")
                .unwrap_err()
                .contains("empty segment")
        );
        assert!(
            FieldSelection::parse_list(".a")
                .unwrap_err()
                .contains("empty segment")
        );
        let many = vec!["a"; MAX_FIELD_PATHS + 1].join(",");
        assert!(
            FieldSelection::parse_list(&many)
                .unwrap_err()
                .contains("at most 50")
        );
        let long = "a".repeat(MAX_FIELD_PATH_CHARS + 1);
        assert!(
            FieldSelection::parse_list(&long)
                .unwrap_err()
                .contains("at most 200")
        );
    }
}
