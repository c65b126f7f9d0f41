//! Smaller answers for agents: field selections (`fields=id,subject,assignee.email`) and the
//! compact views declared per resource in `connector.json` (`views`).
//!
//! An agent pays for every token it reads, and a page of Front's conversations is mostly links,
//! nulls and fields nobody asked for. A [`FieldSelection`] keeps only some dotted paths of each
//! item; [`shape`] applies it (and, for the compact view, drops `_links`, nulls and empty values)
//! while reading the answer's bytes, skipping what is not kept without building it.

use indexmap::IndexMap;
use serde::de;
use serde::{Deserialize, Serialize};

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

/// Reads an answer's `data` (a list of objects, an object, or anything else) and writes, as
/// JSON text, what `shaping` keeps. A list keeps one entry per item (an item with none of the
/// fields is `{}`).
///
/// `data` is JSON the engine has already checked, so this is a plain byte scanner rather than a
/// parser: what is kept is copied as Front wrote it (keys and scalars are neither decoded nor
/// encoded again), what is not is skipped, and a member that turns out to keep nothing is cut
/// off again. An answer is read twice over MCP (the engine, then this), so this pass is kept
/// lean (BENCHMARKS.md). It does not check the JSON again: broken text gives an error (or goes
/// through as it is), never a panic.
pub fn shape(data: &[u8], shaping: Shaping<'_>) -> Result<Vec<u8>, serde_json::Error> {
    let shape = Shape {
        keep: shaping.fields.map(|fields| &fields.root),
        compact: shaping.compact,
    };
    let mut reader = Reader {
        bytes: data,
        at: 0,
        depth: 0,
    };
    let mut out = Vec::with_capacity(data.len() / 2);
    reader.top_level(shape, &mut out)?;
    reader.skip_blanks();
    if reader.at != data.len() {
        return Err(reader.unexpected());
    }
    Ok(out)
}

/// What to keep of one value: `keep` is the selection below it (`None`: all of it).
#[derive(Debug, Clone, Copy)]
struct Shape<'n> {
    keep: Option<&'n Node>,
    compact: bool,
}

impl<'n> Shape<'n> {
    /// The shape of the value under `key`, or `None` when it is not kept.
    fn under(self, key: &[u8]) -> Option<Shape<'n>> {
        if self.compact && key == LINKS_KEY.as_bytes() {
            return None;
        }
        let keep = match self.keep {
            None => None,
            Some(node) => {
                // A handful of names: a scan beats hashing every key of the answer.
                let (_, child) = node.children.iter().find(|(name, _)| {
                    // Lengths and first bytes settle most comparisons without a call.
                    let name = name.as_bytes();
                    name.len() == key.len() && name.first() == key.first() && name == key
                })?;
                (!child.children.is_empty()).then_some(child)
            }
        };
        Some(Shape {
            keep,
            compact: self.compact,
        })
    }

    /// Whether a scalar or null is kept: only when no path goes on below it, and (compact) when
    /// it says something.
    fn keeps_scalar(self, empty: bool) -> bool {
        self.keep.is_none() && !(self.compact && empty)
    }

    /// Whether an object is kept: not when nothing was kept of it and it was filtered, nor
    /// (compact) when it is empty.
    fn keeps_object(self, empty: bool) -> bool {
        !empty || (self.keep.is_none() && !self.compact)
    }

    /// Whether an array is kept: even when no item kept anything (`tags.name` of no tags is
    /// `[]`), unless the view is compact.
    fn keeps_array(self, empty: bool) -> bool {
        !(self.compact && empty)
    }
}

/// The deepest nesting read, as serde_json allows.
const MAX_DEPTH: usize = 128;

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
const QUOTES: u64 = u64::from_le_bytes([b'"'; 8]);
const BACKSLASHES: u64 = u64::from_le_bytes([b'\\'; 8]);

/// The high bit of each zero byte of `word` set (and possibly of bytes above the lowest one).
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// The high bit of each byte of `word` below 0x20 set (and possibly of bytes above the lowest).
fn control_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES * 0x20) & !word & HIGHS
}

/// Writes `text` as a JSON string, byte for byte as serde_json does (`\"`, `\\`, `\b`, `\f`,
/// `\n`, `\r`, `\t`, other control characters as `\u00xx`), eight bytes at a time between the
/// characters that need an escape. An MCP answer carries Front's answer as a string of JSON:
/// escaping it was most of what the full view cost over `/actions/rpc` (BENCHMARKS.md).
pub fn write_json_string(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + bytes.len() / 8 + 2);
    out.push(b'"');
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        while let Some(word) = bytes.get(at..at + 8) {
            let Ok(word) = <[u8; 8]>::try_from(word) else {
                break;
            };
            let word = u64::from_le_bytes(word);
            let found =
                zero_bytes(word ^ QUOTES) | zero_bytes(word ^ BACKSLASHES) | control_bytes(word);
            if found != 0 {
                at += (found.trailing_zeros() / 8) as usize;
                break;
            }
            at += 8;
        }
        let Some(&byte) = bytes.get(at) else {
            break;
        };
        let short = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x00..=0x1f => b'u',
            _ => {
                at += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..at]);
        if short == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        } else {
            out.extend_from_slice(&[b'\\', short]);
        }
        at += 1;
        start = at;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// A cursor over JSON text.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    /// The answer's top level: a list keeps one entry per item (`{}` for an item that kept
    /// nothing), an object stays an object and anything else is written as it is, so that a
    /// selection never changes what kind of answer it is.
    fn top_level(&mut self, shape: Shape<'_>, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        let item_or_empty = |reader: &mut Self, out: &mut Vec<u8>| {
            if !reader.value(shape, out)? {
                out.extend_from_slice(b"{}");
            }
            Ok(true)
        };
        match self.peek()? {
            b'[' => {
                self.elements(out, b'[', b']', item_or_empty)?;
            }
            b'{' => {
                item_or_empty(self, out)?;
            }
            _ => out.extend_from_slice(self.scalar()?),
        }
        Ok(())
    }

    /// Writes what `shape` keeps of the next value; answers whether it wrote anything (when
    /// not, `out` is as it was).
    fn value(&mut self, shape: Shape<'_>, out: &mut Vec<u8>) -> Result<bool, serde_json::Error> {
        let start = out.len();
        let kept = match self.peek()? {
            b'{' => self.object(shape, out)?,
            b'[' => self.array(shape, out)?,
            _ => {
                let scalar = self.scalar()?;
                let empty = scalar == b"null" || scalar == b"\"\"";
                out.extend_from_slice(scalar);
                shape.keeps_scalar(empty)
            }
        };
        if !kept {
            out.truncate(start);
        }
        Ok(kept)
    }

    fn object(&mut self, shape: Shape<'_>, out: &mut Vec<u8>) -> Result<bool, serde_json::Error> {
        let kept_any = self.elements(out, b'{', b'}', |reader, out| {
            let (key, escaped) = reader.string()?;
            reader.expect(b':')?;
            let Some(child) = reader.member_shape(shape, key, escaped)? else {
                reader.skip_value()?;
                return Ok(false);
            };
            out.extend_from_slice(key);
            out.push(b':');
            reader.value(child, out)
        })?;
        Ok(shape.keeps_object(!kept_any))
    }

    fn array(&mut self, shape: Shape<'_>, out: &mut Vec<u8>) -> Result<bool, serde_json::Error> {
        let kept_any = self.elements(out, b'[', b']', |reader, out| reader.value(shape, out))?;
        Ok(shape.keeps_array(!kept_any))
    }

    /// Reads an object or array (`open` … `close`) and writes it with the members or items
    /// `element` keeps (it writes one and answers whether it kept it); answers whether any was
    /// kept. Whether the whole is kept is for the caller ([`Self::value`] cuts it back).
    fn elements(
        &mut self,
        out: &mut Vec<u8>,
        open: u8,
        close: u8,
        mut element: impl FnMut(&mut Self, &mut Vec<u8>) -> Result<bool, serde_json::Error>,
    ) -> Result<bool, serde_json::Error> {
        out.push(open);
        let mut kept_any = false;
        self.each(close, |reader| {
            let mark = out.len();
            if kept_any {
                out.push(b',');
            }
            if element(reader, out)? {
                kept_any = true;
            } else {
                out.truncate(mark);
            }
            Ok(())
        })?;
        out.push(close);
        Ok(kept_any)
    }

    /// Reads an object or array whose opening byte is next, calling `element` for each member
    /// or item, up to `close`.
    fn each(
        &mut self,
        close: u8,
        mut element: impl FnMut(&mut Self) -> Result<(), serde_json::Error>,
    ) -> Result<(), serde_json::Error> {
        self.enter()?;
        let mut first = true;
        while self.next_in(first, close)? {
            first = false;
            element(self)?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// The shape of the member named by the JSON string `key` (quotes included). A key with
    /// escapes is decoded to be compared.
    fn member_shape<'n>(
        &self,
        shape: Shape<'n>,
        key: &[u8],
        escaped: bool,
    ) -> Result<Option<Shape<'n>>, serde_json::Error> {
        if !escaped {
            return Ok(shape.under(&key[1..key.len() - 1]));
        }
        let decoded: String = serde_json::from_slice(key)?;
        Ok(shape.under(decoded.as_bytes()))
    }

    /// Moves past an opening `{` or `[`, one level deeper.
    fn enter(&mut self) -> Result<(), serde_json::Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(de::Error::custom(format!(
                "the answer nests deeper than {MAX_DEPTH} levels"
            )));
        }
        self.at += 1;
        Ok(())
    }

    /// Whether another member or item follows (the opening byte read): reads the `,` before
    /// it, or the closing byte.
    fn next_in(&mut self, first: bool, close: u8) -> Result<bool, serde_json::Error> {
        let byte = self.peek()?;
        if byte == close {
            self.at += 1;
            return Ok(false);
        }
        if !first {
            if byte != b',' {
                return Err(self.unexpected());
            }
            self.at += 1;
            self.peek()?;
        }
        Ok(true)
    }

    fn expect(&mut self, byte: u8) -> Result<(), serde_json::Error> {
        if self.peek()? != byte {
            return Err(self.unexpected());
        }
        self.at += 1;
        Ok(())
    }

    /// The next value, skipped.
    fn skip_value(&mut self) -> Result<(), serde_json::Error> {
        match self.peek()? {
            b'{' | b'[' => self.skip_nested(),
            _ => self.scalar().map(drop),
        }
    }

    /// The object or array that opens next, skipped by its brackets alone (strings stepped
    /// over whole): nothing in it is looked at.
    fn skip_nested(&mut self) -> Result<(), serde_json::Error> {
        let mut depth = 0_usize;
        loop {
            match self.bytes.get(self.at) {
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'{' | b'[') => {
                    depth += 1;
                    self.at += 1;
                }
                Some(b'}' | b']') => {
                    depth -= 1;
                    self.at += 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Some(_) => self.at += 1,
                None => return Err(self.unexpected()),
            }
        }
    }

    /// The next string, number, `true`, `false` or `null`, as written.
    fn scalar(&mut self) -> Result<&'a [u8], serde_json::Error> {
        if self.peek()? == b'"' {
            return self.string().map(|(text, _)| text);
        }
        let start = self.at;
        let length = self.bytes[start..]
            .iter()
            .position(|byte| !matches!(byte, b'0'..=b'9' | b'a'..=b'z' | b'+' | b'-' | b'.' | b'E'))
            .unwrap_or(self.bytes.len() - start);
        if length == 0 {
            return Err(self.unexpected());
        }
        self.at += length;
        Ok(&self.bytes[start..self.at])
    }

    /// The next string, quotes included, as written, and whether it holds an escape. Inlined:
    /// a call for each of the answer's thousands of strings cost a tenth of the scan.
    #[inline(always)]
    fn string(&mut self) -> Result<(&'a [u8], bool), serde_json::Error> {
        if self.peek()? != b'"' {
            return Err(self.unexpected());
        }
        let start = self.at;
        let mut at = start + 1;
        let mut escaped = false;
        loop {
            // Eight bytes at a time up to the next quote or backslash: most strings are short,
            // too short for a search routine's setup to pay.
            while let Some(word) = self.bytes.get(at..at + 8) {
                let Ok(word) = <[u8; 8]>::try_from(word) else {
                    break;
                };
                let word = u64::from_le_bytes(word);
                let found = zero_bytes(word ^ QUOTES) | zero_bytes(word ^ BACKSLASHES);
                if found != 0 {
                    // The lowest flagged byte is exact (only bytes above a match can be
                    // flagged wrongly).
                    at += (found.trailing_zeros() / 8) as usize;
                    break;
                }
                at += 8;
            }
            match self.bytes.get(at) {
                Some(b'"') => {
                    self.at = at + 1;
                    return Ok((&self.bytes[start..self.at], escaped));
                }
                // A backslash escapes the byte after it (`\"`, `\\\\`, `\u…`).
                Some(b'\\') => {
                    escaped = true;
                    at += 2;
                }
                Some(_) => at += 1,
                None => {
                    self.at = at;
                    return Err(self.unexpected());
                }
            }
        }
    }

    /// The next byte that is not a blank, not consumed.
    fn peek(&mut self) -> Result<u8, serde_json::Error> {
        self.skip_blanks();
        self.bytes
            .get(self.at)
            .copied()
            .ok_or_else(|| self.unexpected())
    }

    fn skip_blanks(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn unexpected(&self) -> serde_json::Error {
        de::Error::custom(format!(
            "the answer is not the JSON expected at byte {}",
            self.at
        ))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    fn shaped(data: Value, fields: Option<&str>, compact: bool) -> Value {
        let selection = fields.map(|list| FieldSelection::parse_list(list).unwrap());
        let text = shape(
            data.to_string().as_bytes(),
            Shaping {
                fields: selection.as_ref(),
                compact,
            },
        )
        .unwrap();
        serde_json::from_slice(&text).unwrap()
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
    fn what_is_cut_leaves_valid_json_and_the_rest_is_written_as_read() {
        let answer = json!({
            "a\"b": "quote in a key",
            "é": "ünïcode",
            "n": 1.5,
            "big": 18446744073709551615u64,
            "neg": -3,
            "nested": {"only": null, "deeper": {"gone": "", "links": {"_links": {"x": 1}}}},
            "list": [[], [null], [1, null], {"_links": {}}],
            "kept_empty": {},
        });
        assert_eq!(
            shaped(answer.clone(), None, true),
            json!({
                "a\"b": "quote in a key",
                "é": "ünïcode",
                "n": 1.5,
                "big": 18446744073709551615u64,
                "neg": -3,
                "list": [[1]],
            })
        );
        assert_eq!(shaped(answer.clone(), None, false), answer);
        assert_eq!(
            shaped(answer.clone(), Some("nested.deeper.gone,list,é"), false),
            json!({"é": "ünïcode", "nested": {"deeper": {"gone": ""}}, "list": [[], [null], [1, null], {"_links": {}}]})
        );
        assert_eq!(shaped(json!("text"), Some("id"), true), json!("text"));
        assert_eq!(
            shaped(json!([1, {"id": 2}]), Some("id"), true),
            json!([{}, {"id": 2}])
        );
        assert_eq!(shaped(json!({"x": 1}), Some("id"), true), json!({}));
    }

    /// What `shape` must give, computed on a tree of values.
    fn reference(value: &Value, shape: Shape<'_>) -> Option<Value> {
        match value {
            Value::Object(members) => {
                let kept: serde_json::Map<String, Value> = members
                    .iter()
                    .filter_map(|(key, member)| {
                        let child = shape.under(key.as_bytes())?;
                        Some((key.clone(), reference(member, child)?))
                    })
                    .collect();
                let empty = kept.is_empty();
                shape.keeps_object(empty).then_some(Value::Object(kept))
            }
            Value::Array(items) => {
                let kept: Vec<Value> = items
                    .iter()
                    .filter_map(|item| reference(item, shape))
                    .collect();
                shape
                    .keeps_array(kept.is_empty())
                    .then_some(Value::Array(kept))
            }
            scalar => {
                let empty = scalar.is_null() || scalar.as_str() == Some("");
                shape.keeps_scalar(empty).then(|| scalar.clone())
            }
        }
    }

    fn top_level_reference(value: &Value, shape: Shape<'_>) -> Value {
        let or_empty = |kept: Option<Value>| kept.unwrap_or_else(|| json!({}));
        match value {
            Value::Array(items) => items
                .iter()
                .map(|item| or_empty(reference(item, shape)))
                .collect(),
            Value::Object(_) => or_empty(reference(value, shape)),
            scalar => scalar.clone(),
        }
    }

    const KEYS: [&str; 6] = ["id", "_links", "name", "a\"b", "é", "tags"];

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            Just(json!("")),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z\"\\\\\n\u{e9}\u{1F600} ]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..6).prop_map(
                    |members| {
                        Value::Object(
                            members
                                .into_iter()
                                .map(|(k, v)| (k.to_owned(), v))
                                .collect(),
                        )
                    }
                ),
            ]
        })
    }

    fn any_selection() -> impl Strategy<Value = Option<FieldSelection>> {
        let path = prop::collection::vec(prop::sample::select(KEYS.to_vec()), 1..4)
            .prop_map(|segments| segments.join("."));
        prop::option::of(
            prop::collection::vec(path, 1..5)
                .prop_map(|paths| FieldSelection::parse(&paths).unwrap()),
        )
    }

    proptest! {
        #[test]
        fn shaping_keeps_what_the_rules_say_for_any_answer(
            value in any_json(),
            selection in any_selection(),
            compact in any::<bool>(),
            pretty in any::<bool>(),
        ) {
            let text = if pretty {
                serde_json::to_vec_pretty(&value).unwrap()
            } else {
                serde_json::to_vec(&value).unwrap()
            };
            let shaping = Shaping { fields: selection.as_ref(), compact };
            let written = shape(&text, shaping).unwrap();
            let read: Value = serde_json::from_slice(&written).unwrap();
            let rules = Shape { keep: selection.as_ref().map(|s| &s.root), compact };
            prop_assert_eq!(read, top_level_reference(&value, rules));
        }

        #[test]
        fn strings_are_written_as_serde_json_writes_them(text in any::<String>(), ascii in "[ -~\\x00-\\x1f\\x7f\"\\\\]{0,40}") {
            for text in [text, ascii] {
                let mut written = Vec::new();
                write_json_string(&mut written, &text);
                prop_assert_eq!(written, serde_json::to_vec(&text).unwrap());
            }
        }

        /// The scanner trusts the engine to have checked the JSON, but broken text must still
        /// give an error or some answer, never a panic.
        #[test]
        fn broken_text_never_panics(
            value in any_json(),
            cut in 0usize..200,
            noise in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut text = serde_json::to_vec(&value).unwrap();
            text.truncate(cut.min(text.len()));
            for compact in [false, true] {
                let shaping = Shaping { fields: None, compact };
                let _ = shape(&text, shaping);
                let _ = shape(&noise, shaping);
            }
        }
    }

    #[test]
    fn nesting_past_the_limit_is_an_error() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let shaping = Shaping {
            fields: None,
            compact: false,
        };
        assert!(shape(deep.as_bytes(), shaping).is_err());
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(shape(fine.as_bytes(), shaping).is_ok());
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
