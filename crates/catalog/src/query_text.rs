//! Reading a URL's query pairs as an action's query input.
//!
//! Query strings arrive as text: each value is coerced to its declared type (`limit=25`
//! becomes 25, `q[statuses][]=a&q[statuses][]=b` becomes `{"statuses": ["a", "b"]}`) so that
//! [`Action::validate_input`] can then check it like any caller's input. The simulator reads
//! the requests it receives this way, and the engine the query a `next` cursor carries.

use serde_json::{Map, Number, Value};

use crate::definition::{Action, Field, FieldType, Style};
use crate::schema::Location;

/// A query pair that cannot be read as the action's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryTextError {
    /// `key` names no declared query field; `name` is its part before any `[`.
    Unknown { key: String, name: String },
    /// A declared field written in a form it cannot take (the reason names it as
    /// `query.<field>`).
    Malformed(String),
}

impl Action {
    /// The query object `pairs` (decoded, in order) stand for, with values coerced to the
    /// declared types where they read as such (the schema refuses the rest with a precise
    /// reason, e.g. "must be an integer, got a string"). Every unreadable pair is reported.
    pub fn query_from_text(
        &self,
        pairs: &[(String, String)],
    ) -> Result<Map<String, Value>, Vec<QueryTextError>> {
        let declared = self.fields(Location::Query);
        let mut query = Map::new();
        let mut problems = Vec::new();
        for (key, raw) in pairs {
            let (name, rest) = match key.find('[') {
                Some(at) => key.split_at(at),
                None => (key.as_str(), ""),
            };
            let Some(field) = declared.get(name) else {
                problems.push(QueryTextError::Unknown {
                    key: key.clone(),
                    name: name.to_owned(),
                });
                continue;
            };
            if field.style == Some(Style::DeepObject) {
                let Some(property) = deep_object_property(rest) else {
                    problems.push(QueryTextError::Malformed(format!(
                        "query.{key}: write the query object as {name}[property]=value (arrays as {name}[property][]=value)"
                    )));
                    continue;
                };
                let object = query
                    .entry(name.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(object) = object {
                    let declared_property = field.properties.as_ref().and_then(|p| p.get(property));
                    add_value(
                        object,
                        property,
                        declared_property,
                        raw,
                        &format!("query.{name}.{property}"),
                        &mut problems,
                    );
                }
            } else if !rest.is_empty() && rest != "[]" {
                problems.push(QueryTextError::Malformed(format!(
                    "query.{key}: `{name}` is not a query object"
                )));
            } else {
                add_value(
                    &mut query,
                    name,
                    Some(field),
                    raw,
                    &format!("query.{name}"),
                    &mut problems,
                );
            }
        }
        if problems.is_empty() {
            Ok(query)
        } else {
            Err(problems)
        }
    }
}

/// `[property]` or `[property][]` → `property`.
fn deep_object_property(rest: &str) -> Option<&str> {
    let inner = rest.strip_prefix('[')?;
    let inner = inner.strip_suffix("[]").unwrap_or(inner);
    let property = inner.strip_suffix(']')?;
    (!property.is_empty() && !property.contains(['[', ']'])).then_some(property)
}

/// Adds one textual value under `name`: arrays accumulate repeated values, scalars may be
/// given once.
fn add_value(
    object: &mut Map<String, Value>,
    name: &str,
    field: Option<&Field>,
    raw: &str,
    label: &str,
    problems: &mut Vec<QueryTextError>,
) {
    match field {
        Some(field) if field.ty == FieldType::Array => {
            let item = coerce(field.items.as_deref(), raw);
            match object
                .entry(name.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(item),
                _ => problems.push(QueryTextError::Malformed(format!(
                    "{label}: is given both as a list and a value"
                ))),
            }
        }
        _ => {
            if object.contains_key(name) {
                problems.push(QueryTextError::Malformed(format!(
                    "{label}: is given more than once"
                )));
            } else {
                object.insert(name.to_owned(), coerce(field, raw));
            }
        }
    }
}

impl Field {
    /// `raw` text (a query value, a form field) as a value of this field's type when it reads
    /// as one; otherwise the text, for the schema to refuse with a precise reason.
    pub fn value_from_text(&self, raw: &str) -> Value {
        coerce(Some(self), raw)
    }
}

/// Text to the declared type when it reads as one; otherwise left as text for the schema to
/// refuse with a precise reason ("must be an integer, got a string").
fn coerce(field: Option<&Field>, raw: &str) -> Value {
    let text = || Value::String(raw.to_owned());
    match field.map(|f| f.ty) {
        Some(FieldType::Integer) => match raw.parse::<i64>() {
            Ok(n) => Value::from(n),
            // Too big for i64 but still a whole number: keep it numeric so that the refusal
            // says it is above the maximum.
            Err(_) if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) => raw
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or_else(text, Value::Number),
            Err(_) => text(),
        },
        Some(FieldType::Number) => raw
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(text, Value::Number),
        Some(FieldType::Boolean) => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => text(),
        },
        _ => text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_object_keys_name_one_property() {
        assert_eq!(deep_object_property("[types][]"), Some("types"));
        assert_eq!(deep_object_property("[after]"), Some("after"));
        assert_eq!(deep_object_property("[]"), None);
        assert_eq!(deep_object_property("[a][b]"), None);
    }
}
