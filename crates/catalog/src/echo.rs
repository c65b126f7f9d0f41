//! Repeating a caller's text in a message without letting it grow the message or break where
//! the message is stored.

use std::borrow::Cow;

/// Most characters of a caller's text that a message repeats.
pub const ECHO_MAX_CHARS: usize = 64;

/// `text` as a message may repeat it: its first [`ECHO_MAX_CHARS`] characters (then `…`),
/// with control characters shown as U+FFFD, so that a huge input never comes back whole and a
/// message with it stays storable (PostgreSQL refuses NUL in text).
pub fn echo(text: &str) -> Cow<'_, str> {
    let fits = text.chars().nth(ECHO_MAX_CHARS).is_none();
    if fits && !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut shown: String = text
        .chars()
        .take(ECHO_MAX_CHARS)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if !fits {
        shown.push('…');
    }
    Cow::Owned(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_or_binary_text_is_cut_and_made_printable() {
        assert_eq!(echo("front_list_tags"), "front_list_tags");
        let long = "é".repeat(2_000_000);
        let shown = echo(&long);
        assert_eq!(shown.chars().count(), ECHO_MAX_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(echo("a\u{0}b\n"), "a\u{fffd}b\u{fffd}");
    }
}
