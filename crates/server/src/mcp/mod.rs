//! MCP: every action a linked account may run, as a tool for any agent, over streamable HTTP
//! (`/mcp`, stateless, like StackOne's) and over stdio (`actionhub mcp --account ID`).
//!
//! Built on the official Rust SDK (`rmcp`): `handler::McpHandler` is an `rmcp`
//! `ServerHandler` that answers `initialize`, `tools/list` and `tools/call`; the transports
//! only decide *whose* tools it serves (a [`Target`]: project, account, parameter style, tool
//! mode). Over HTTP every request is authenticated and resolved on its own (`http`); over
//! stdio the target is fixed at start-up and the account is re-read for every request, so a
//! changed restriction applies at once.
//!
//! - `tools` derives the tools from the catalogue: one per listed action (name = action id,
//!   description, `inputSchema` in the requested style, risk annotations), or the two
//!   `search_execute` tools. Which actions `individual` mode lists is [`Target::lists`]: the
//!   connector's core actions and the [`Toolset`]'s, or exactly those of a restricted account.
//! - Every call runs through [`crate::execution::run_action`], the same path as
//!   `/actions/rpc`: validation, restrictions, pacing, retries, idempotency and the run log.
//!
//! It must never call Front itself, list or run an action the account does not allow, return or
//! log a credential or API key, or answer a bad call with anything but a tool result whose
//! `isError` is true and whose text says what to change.

mod approval;
mod handler;
pub(crate) mod http;
mod tools;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use actionhub_catalog::{Action, Catalog, ParamStyle};
use actionhub_store::Account;

pub use handler::{StdioError, serve_stdio};
pub use http::route;

/// Where MCP is served over HTTP.
pub const PATH: &str = "/mcp";

/// How the account's actions are offered (StackOne's `tool-mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ToolMode {
    /// One tool per listed action (see [`Target::lists`]).
    #[default]
    Individual,
    /// Two tools: `<connector>_search_actions` and `<connector>_execute_action`.
    SearchExecute,
}

impl ToolMode {
    pub const ALL: [ToolMode; 2] = [ToolMode::Individual, ToolMode::SearchExecute];

    pub fn as_str(self) -> &'static str {
        match self {
            ToolMode::Individual => "individual",
            ToolMode::SearchExecute => "search_execute",
        }
    }
}

impl fmt::Display for ToolMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ToolMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ToolMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == s)
            .ok_or_else(|| {
                format!("unknown tool mode `{s}`; expected individual or search_execute")
            })
    }
}

/// The actions `individual` mode lists besides the core ones (the seed's 52, the default
/// face): an unrestricted account could run every action, and a few hundred tools would swamp
/// an agent's context, so more are listed only on request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Toolset {
    /// The core actions only.
    #[default]
    Core,
    /// Every action the account may run.
    All,
    /// The core actions and these groups (`knowledge_bases`) and action ids, as given.
    With(Vec<String>),
}

impl Toolset {
    /// The names a toolset list accepts besides groups and action ids.
    const ALL_NAME: &str = "all";
    const CORE_NAME: &str = "core";

    /// Whether the toolset includes `action` (before the account's restriction applies).
    pub fn includes(&self, action: &Action) -> bool {
        match self {
            Toolset::Core => action.core,
            Toolset::All => true,
            Toolset::With(names) => {
                action.core
                    || names
                        .iter()
                        .any(|name| *name == action.id || *name == action.group)
            }
        }
    }
}

impl FromStr for Toolset {
    type Err = String;

    /// Reads a comma-separated list of `all`, `core`, groups and action ids, every entry
    /// checked against the built-in catalogue. `core` (or nothing at all) is the default.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let names: Vec<&str> = s
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .collect();
        for name in &names {
            check_toolset_name(name)?;
        }
        Ok(if names.contains(&Toolset::ALL_NAME) {
            Toolset::All
        } else if names.iter().all(|name| *name == Toolset::CORE_NAME) {
            Toolset::Core
        } else {
            Toolset::With(names.into_iter().map(str::to_owned).collect())
        })
    }
}

/// A toolset entry must name something: a typo would otherwise silently list nothing more.
fn check_toolset_name(name: &str) -> Result<(), String> {
    if name == Toolset::ALL_NAME || name == Toolset::CORE_NAME {
        return Ok(());
    }
    let catalog = Catalog::builtin();
    let groups: Vec<&str> = catalog
        .connectors()
        .iter()
        .flat_map(|connector| connector.groups())
        .collect();
    if groups.contains(&name) {
        return Ok(());
    }
    let unknown = match catalog.action(name) {
        Ok(_) => return Ok(()),
        Err(unknown) => unknown,
    };
    let mut message = format!(
        "unknown group or action `{}`; expected `all`, `core`, groups ({}) or action ids",
        unknown.id,
        groups.join(", ")
    );
    if !unknown.suggestions.is_empty() {
        message.push_str(&format!(
            "; did you mean {}?",
            unknown.suggestions.join(", ")
        ));
    }
    Err(message)
}

/// The shape of the tools: parameter style, tool mode and, in `individual` mode, the toolset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpOptions {
    pub style: ParamStyle,
    pub mode: ToolMode,
    pub toolset: Toolset,
}

impl Default for McpOptions {
    fn default() -> Self {
        McpOptions {
            style: ParamStyle::Nested,
            mode: ToolMode::default(),
            toolset: Toolset::default(),
        }
    }
}

/// Whose tools a request is about: a linked account of a project, and how to present them.
#[derive(Debug, Clone)]
pub struct Target {
    pub project_id: String,
    /// Over HTTP, read through the store's short cache as an execution's reads are (another
    /// hub's change shows within [`actionhub_store::CACHE_TTL`]); over stdio, read afresh.
    pub account: Arc<Account>,
    pub options: McpOptions,
    /// The API key of an HTTP request (who asked, should a call be held); none over stdio.
    pub api_key_id: Option<String>,
}

impl Target {
    /// Whether the account may run `action_id` (`allowed_actions: None` allows every action).
    pub fn allows(&self, action_id: &str) -> bool {
        self.account
            .allowed_actions
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|id| id == action_id))
    }

    /// Whether `individual` mode lists `action` as a tool: an account restricted to chosen
    /// actions lists exactly those, core or not (someone picked them); an unrestricted one
    /// lists its toolset. Any allowed action can be called whether listed or not, as
    /// `search_execute` can reach it anyway.
    pub fn lists(&self, action: &Action) -> bool {
        match &self.account.allowed_actions {
            Some(allowed) => allowed.contains(&action.id),
            None => self.options.toolset.includes(action),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolsets_parse_names_and_refuse_unknown_ones() {
        assert_eq!("".parse(), Ok(Toolset::Core));
        assert_eq!(" core ".parse(), Ok(Toolset::Core));
        assert_eq!("knowledge_bases,all".parse(), Ok(Toolset::All));
        assert_eq!(
            "knowledge_bases, front_get_shift,".parse(),
            Ok(Toolset::With(vec![
                "knowledge_bases".to_owned(),
                "front_get_shift".to_owned()
            ]))
        );
        let refused = "all,front_get_shit".parse::<Toolset>().unwrap_err();
        assert!(
            refused.contains("unknown group or action `front_get_shit`"),
            "{refused}"
        );
        assert!(
            refused.contains("did you mean front_get_shift"),
            "{refused}"
        );
    }

    #[test]
    fn a_toolset_adds_to_the_core_actions() {
        let front = Catalog::builtin().connector("front").unwrap();
        let shift = front.action("front_get_shift").unwrap();
        let tags = front.action("front_list_tags").unwrap();
        let article = front.action("front_get_knowledge_base_article").unwrap();
        let chosen: Toolset = "knowledge_bases,front_get_shift".parse().unwrap();
        assert!(chosen.includes(tags) && chosen.includes(shift) && chosen.includes(article));
        assert!(!chosen.includes(front.action("front_list_shifts").unwrap()));
        assert!(Toolset::Core.includes(tags) && !Toolset::Core.includes(shift));
        assert!(Toolset::All.includes(shift));
    }
}
