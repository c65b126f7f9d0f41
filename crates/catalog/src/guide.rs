//! The scope guide: which scopes a selection of actions needs, how they are written out, the
//! guide URL that reopens a selection, and the reverse view (which actions some scopes enable).

use std::fmt;
use std::str::FromStr;

use crate::definition::{Action, Connector, ScopeDefinition};
use crate::echo::echo;

/// How copied scopes are separated, as the guide's "Separator" choice offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Separator {
    #[default]
    Space,
    Comma,
    Semicolon,
    Pipe,
    Newline,
}

impl Separator {
    pub const ALL: [Separator; 5] = [
        Separator::Space,
        Separator::Comma,
        Separator::Semicolon,
        Separator::Pipe,
        Separator::Newline,
    ];

    /// The machine name (`comma`), used in URLs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Separator::Space => "space",
            Separator::Comma => "comma",
            Separator::Semicolon => "semicolon",
            Separator::Pipe => "pipe",
            Separator::Newline => "newline",
        }
    }

    /// The label people see (`Comma`).
    pub fn label(self) -> &'static str {
        match self {
            Separator::Space => "Space",
            Separator::Comma => "Comma",
            Separator::Semicolon => "Semicolon",
            Separator::Pipe => "Pipe",
            Separator::Newline => "Newline",
        }
    }

    /// The text placed between two scopes.
    pub fn text(self) -> &'static str {
        match self {
            Separator::Space => " ",
            Separator::Comma => ",",
            Separator::Semicolon => ";",
            Separator::Pipe => "|",
            Separator::Newline => "\n",
        }
    }

    /// Writes scopes out with this separator.
    pub fn join<'a>(self, scopes: impl IntoIterator<Item = &'a str>) -> String {
        scopes.into_iter().collect::<Vec<_>>().join(self.text())
    }
}

impl fmt::Display for Separator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Separator {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Separator::ALL
            .into_iter()
            .find(|separator| separator.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown separator `{s}`; expected space, comma, semicolon, pipe or newline"
                )
            })
    }
}

/// An action id that the connector does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownAction {
    /// The id as given, shortened and made printable by [`crate::echo`]: safe to repeat.
    pub id: String,
    /// The nearest known ids, best first.
    pub suggestions: Vec<String>,
}

impl fmt::Display for UnknownAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown action `{}`", self.id)?;
        if !self.suggestions.is_empty() {
            write!(f, "; did you mean {}?", self.suggestions.join(", "))?;
        }
        Ok(())
    }
}

/// The query parameter of the guide URL that carries the selected action ids.
const ACTIONS_PARAM: &str = "actions";

impl Connector {
    /// The connector's actions, in declaration order.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The default face: the actions the guide selects when given no selection and MCP lists
    /// unless asked for more, in catalogue order.
    pub fn core_actions(&self) -> Vec<&Action> {
        self.actions.iter().filter(|action| action.core).collect()
    }

    /// The resource groups, in the order their first action appears in the catalogue.
    pub fn groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = Vec::new();
        for action in &self.actions {
            if !groups.contains(&action.group.as_str()) {
                groups.push(&action.group);
            }
        }
        groups
    }

    /// The actions of one group, in catalogue order (core ones first).
    pub fn group_actions(&self, group: &str) -> Vec<&Action> {
        self.actions
            .iter()
            .filter(|action| action.group == group)
            .collect()
    }

    /// One action by id, or an error that suggests the nearest ids.
    pub fn action(&self, id: &str) -> Result<&Action, UnknownAction> {
        self.actions
            .iter()
            .find(|action| action.id == id)
            .ok_or_else(|| UnknownAction {
                id: echo(id).into_owned(),
                suggestions: self.nearest_ids(id),
            })
    }

    /// Resolves a selection of ids to actions, in catalogue order and without repeats.
    pub fn select<I, S>(&self, ids: I) -> Result<Vec<&Action>, UnknownAction>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut chosen = vec![false; self.actions.len()];
        for id in ids {
            let action = self.action(id.as_ref())?;
            let index = self
                .actions
                .iter()
                .position(|a| std::ptr::eq(a, action))
                .expect("the action comes from this connector");
            chosen[index] = true;
        }
        Ok(self
            .actions
            .iter()
            .zip(chosen)
            .filter_map(|(action, chosen)| chosen.then_some(action))
            .collect())
    }

    /// The scopes that the given actions need together, in the connector's scope order.
    pub fn scopes_for(&self, actions: &[&Action]) -> Vec<&ScopeDefinition> {
        self.scopes
            .iter()
            .filter(|scope| {
                actions
                    .iter()
                    .any(|action| action.scopes.contains(&scope.name))
            })
            .collect()
    }

    /// The actions that a token with these scopes can run (all of their scopes granted),
    /// sorted by label as the guide's "Enables actions" badge lists them. An action that needs
    /// no scope (reading the token's own identity) is not something scopes enable.
    pub fn actions_enabled_by<S: AsRef<str>>(&self, scopes: &[S]) -> Vec<&Action> {
        let mut enabled: Vec<&Action> = self
            .actions
            .iter()
            .filter(|action| {
                !action.scopes.is_empty()
                    && action
                        .scopes
                        .iter()
                        .all(|needed| scopes.iter().any(|granted| granted.as_ref() == needed))
            })
            .collect();
        enabled.sort_by(|a, b| a.label.cmp(&b.label));
        enabled
    }

    /// Path of the link-account guide, without a selection.
    pub fn guide_path(&self) -> String {
        format!("/connectors/{}/guides/link-account/api-token", self.key)
    }

    /// The "Dynamic Guide URL" (a path with query) that reopens the guide on this selection.
    pub fn guide_url(&self, actions: &[&Action]) -> String {
        let path = self.guide_path();
        if actions.is_empty() {
            return path;
        }
        let ids: Vec<&str> = actions.iter().map(|a| a.id.as_str()).collect();
        format!("{path}?{ACTIONS_PARAM}={}", ids.join(","))
    }

    /// Up to three known ids close to `id`. Only a plausible id is compared: an ASCII one at most
    /// twice as long as the longest known id, so a huge or binary input costs nothing.
    fn nearest_ids(&self, id: &str) -> Vec<String> {
        let longest = self.actions.iter().map(|a| a.id.len()).max().unwrap_or(0);
        if !id.is_ascii() || id.len() > 2 * longest {
            return Vec::new();
        }
        let wanted = id.to_ascii_lowercase();
        let mut scored: Vec<(f64, &str)> = self
            .actions
            .iter()
            .map(|action| {
                // Jaro-Winkler favours a shared prefix, which is how ids are mistyped or cut
                // short, but only its first four characters, which every id shares (`fron`):
                // a longer shared prefix breaks ties. A fragment of an id ("tagged") counts as a
                // near miss too.
                let shared_prefix = wanted
                    .chars()
                    .zip(action.id.chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                let mut score =
                    strsim::jaro_winkler(&wanted, &action.id) + 0.01 * shared_prefix as f64;
                if action.id.contains(&wanted) {
                    score = score.max(0.9);
                }
                (score, action.id.as_str())
            })
            .filter(|(score, _)| *score >= 0.8)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(3)
            .map(|(_, id)| id.to_owned())
            .collect()
    }
}

/// Reads the selected action ids out of a guide URL, its query string, or a bare
/// comma-separated list. Ids are trimmed; empty entries are skipped; order is kept.
pub fn parse_guide_selection(input: &str) -> Vec<String> {
    let list = match input.split_once('?') {
        Some((_, query)) => query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == ACTIONS_PARAM)
            .map(|(_, value)| percent_decode(value))
            .unwrap_or_default(),
        None if input.starts_with('/') => String::new(),
        None => match input.strip_prefix("actions=") {
            Some(value) => percent_decode(value),
            None => input.to_owned(),
        },
    };
    list.split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Decodes `%XX` escapes and `+` (a space in a query string). Invalid escapes stay as written.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex_digit(bytes[i + 1]), hex_digit(bytes[i + 2]))
            {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|digit| digit as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_is_read_from_urls_queries_and_lists() {
        let expected = vec!["a_b".to_owned(), "c_d".to_owned()];
        assert_eq!(parse_guide_selection("/x/y?actions=a_b,c_d"), expected);
        assert_eq!(
            parse_guide_selection("http://h/x?z=1&actions=a_b%2Cc_d"),
            expected
        );
        assert_eq!(parse_guide_selection("actions=a_b, c_d,"), expected);
        assert_eq!(parse_guide_selection("a_b,c_d"), expected);
        assert!(parse_guide_selection("/x/y").is_empty());
        assert!(parse_guide_selection("/x/y?other=1").is_empty());
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(percent_decode("a%2Cb"), "a,b");
        assert_eq!(percent_decode("a%zzb%"), "a%zzb%");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%é1"), "%é1");
    }

    #[test]
    fn separators_parse_by_name() {
        for separator in Separator::ALL {
            assert_eq!(separator.name().parse::<Separator>(), Ok(separator));
            assert_eq!(separator.label().parse::<Separator>(), Ok(separator));
        }
        assert!("tab".parse::<Separator>().is_err());
    }
}
