//! What a path parameter may hold. A path parameter names one object (or, for a search, carries
//! one query); it must never change which provider operation is called. So every value is one
//! non-empty path segment that is not a dot segment, holds no control characters, and has the
//! shape of an id of its resource (the provider's prefix, or an alias form the provider
//! resolves). An id shape can never coincide with a literal segment of another route
//! (`search`, `comments`, …), since those carry no id prefix and no `alt:`.

use percent_encoding::percent_decode_str;

use crate::definition::Resource;

/// Longest id: Front's ids are a 4-character prefix and about 4 to 12 base-36 digits
/// (`cnv_yo1kg5q`); 64 leaves ample room without admitting arbitrary text.
pub const ID_MAX_CHARS: usize = 64;
/// Longest alias: `alt:address:` or `alt:email:` (up to 12 characters) before an address of at
/// most 254 characters (RFC 5321), with room for longer external ids.
pub const ALIAS_MAX_CHARS: usize = 300;
/// How an alias starts (`alt:NAME:VALUE`).
const ALIAS_MARK: &str = "alt:";

/// The rule of one path parameter, resolved from the connector data at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathRule {
    /// An id of a resource (or one of its aliases).
    Id { noun: String, resource: Resource },
    /// Free text, such as a search query, of at most `max_chars` characters.
    FreeText { max_chars: usize },
}

impl PathRule {
    fn max_chars(&self) -> usize {
        match self {
            PathRule::Id { resource, .. } if resource.aliases.is_empty() => ID_MAX_CHARS,
            PathRule::Id { .. } => ALIAS_MAX_CHARS,
            PathRule::FreeText { max_chars } => *max_chars,
        }
    }

    /// Why `value` cannot be this parameter, in plain words that never repeat the value.
    pub(crate) fn check(&self, value: &str) -> Result<(), String> {
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        let max_chars = self.max_chars();
        if value.chars().nth(max_chars).is_some() {
            return Err(format!("must be at most {max_chars} characters long"));
        }
        if value.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        let decoded = percent_decode_str(value).decode_utf8_lossy();
        if is_dot_segment(value) || is_dot_segment(&decoded) {
            return Err("must not be `.` or `..`, even percent-encoded".into());
        }
        if decoded.chars().any(char::is_control) {
            return Err("must not contain control characters, even percent-encoded".into());
        }
        match self {
            PathRule::Id { noun, resource } => check_id(noun, resource, value),
            PathRule::FreeText { .. } => Ok(()),
        }
    }
}

/// `.` or `..`: segments a URL parser removes together with what precedes them.
pub(crate) fn is_dot_segment(segment: &str) -> bool {
    segment == "." || segment == ".."
}

/// Characters an alias value may not hold: whatever a server could read as a path separator,
/// the end of the path, or an escape, were it decoded before routing.
const ALIAS_VALUE_FORBIDDEN: [char; 5] = ['/', '\\', '?', '#', '%'];

/// Accepts the resource's prefix followed by Front's id characters (base 36, read leniently:
/// ASCII letters, digits, `_` and `-`), or one of its aliases with a value.
fn check_id(noun: &str, resource: &Resource, value: &str) -> Result<(), String> {
    if let Some(digits) = value.strip_prefix(&resource.prefix) {
        let id_characters = digits
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !digits.is_empty() && id_characters && value.len() <= ID_MAX_CHARS {
            return Ok(());
        }
    }
    let alias = value
        .strip_prefix(ALIAS_MARK)
        .and_then(|alias| alias.split_once(':'))
        .filter(|(name, aliased)| {
            !aliased.is_empty() && resource.aliases.iter().any(|known| known == name)
        });
    match alias {
        None => Err(expected_id(noun, resource)),
        Some((_, aliased)) if aliased.contains(ALIAS_VALUE_FORBIDDEN) => {
            Err("an alias value must not contain `/`, `\\`, `?`, `#` or `%`".into())
        }
        Some(_) => Ok(()),
    }
}

/// What the value should look like, e.g. "must be a conversation id like `cnv_yo1kg5q`".
fn expected_id(noun: &str, resource: &Resource) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let id = format!("must be {article} {noun} id like `{}`", resource.example);
    match resource.aliases.as_slice() {
        [] => id,
        [name] => format!("{id} or an alias `{ALIAS_MARK}{name}:<value>`"),
        names => format!(
            "{id} or an alias `{ALIAS_MARK}<name>:<value>` with <name> one of {}",
            names.join(", ")
        ),
    }
}

/// Checks a resource declaration: a prefix of lowercase letters ending in `_`, alias names of
/// lowercase letters and `_`, and an example of the resource's own shape.
pub(crate) fn check_resource(noun: &str, resource: &Resource) -> Result<(), (String, String)> {
    let at = |key: &str| format!("resources.{noun}.{key}");
    let prefix_letters = resource.prefix.strip_suffix('_').unwrap_or_default();
    if prefix_letters.is_empty() || !prefix_letters.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err((
            at("prefix"),
            "must be lowercase letters followed by `_`".into(),
        ));
    }
    for name in &resource.aliases {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err((
                at("aliases"),
                format!("`{name}` is not an alias name of lowercase letters and `_`"),
            ));
        }
    }
    let rule = PathRule::Id {
        noun: noun.to_owned(),
        resource: resource.clone(),
    };
    if !resource.example.starts_with(&resource.prefix) {
        return Err((at("example"), "must be an id with the prefix".into()));
    }
    rule.check(&resource.example)
        .map_err(|reason| (at("example"), reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(prefix: &str, aliases: &[&str]) -> PathRule {
        PathRule::Id {
            noun: "account".into(),
            resource: Resource {
                prefix: prefix.into(),
                example: format!("{prefix}76"),
                aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            },
        }
    }

    #[test]
    fn ids_have_their_prefix_and_id_characters() {
        let accounts = rule("acc_", &["domain", "ext_id"]);
        for good in [
            "acc_76",
            "acc_A-b_9",
            "alt:domain:example.com",
            "alt:ext_id:..",
            "alt:ext_id:a b+c@d",
        ] {
            assert_eq!(accounts.check(good), Ok(()), "{good}");
        }
        let expected = "must be an account id like `acc_76` or an alias `alt:<name>:<value>` with <name> one of domain, ext_id";
        for bad in [
            "acc_",
            "acc_a.b",
            "acc_a%2e",
            "cnv_1",
            "search",
            "alt:email:a@b.c",
            "alt:domain:",
            "alt:domain",
        ] {
            assert_eq!(accounts.check(bad), Err(expected.to_owned()), "{bad}");
        }
        assert_eq!(
            accounts.check("alt:ext_id:a/b"),
            Err("an alias value must not contain `/`, `\\`, `?`, `#` or `%`".into())
        );
        assert_eq!(
            rule("cnv_", &[]).check(&format!("cnv_{}", "a".repeat(61))),
            Err("must be at most 64 characters long".into())
        );
    }

    #[test]
    fn every_value_is_one_plain_segment() {
        let text = PathRule::FreeText { max_chars: 10 };
        assert_eq!(text.check("is:open"), Ok(()));
        assert_eq!(text.check("a/b?c#d"), Ok(()));
        assert_eq!(text.check(""), Err("must not be empty".into()));
        assert_eq!(
            text.check("01234567890"),
            Err("must be at most 10 characters long".into())
        );
        for dots in [".", "..", "%2e", "%2E%2e", ".%2e"] {
            assert_eq!(
                text.check(dots),
                Err("must not be `.` or `..`, even percent-encoded".into()),
                "{dots}"
            );
        }
        assert_eq!(
            text.check("a\u{0}b"),
            Err("must not contain control characters".into())
        );
        assert_eq!(
            text.check("a%00b"),
            Err("must not contain control characters, even percent-encoded".into())
        );
    }
}
