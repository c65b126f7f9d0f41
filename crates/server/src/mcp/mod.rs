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
//! - `tools` derives the tools from the catalogue: one per allowed action (name = action id,
//!   description, `inputSchema` in the requested style, risk annotations), or the two
//!   `search_execute` tools.
//! - Every call runs through [`crate::execution::run_action`], the same path as
//!   `/actions/rpc`: validation, restrictions, pacing, retries, idempotency and the run log.
//!
//! It must never call Front itself, list or run an action the account does not allow, return or
//! log a credential or API key, or answer a bad call with anything but a tool result whose
//! `isError` is true and whose text says what to change.

mod handler;
pub(crate) mod http;
mod tools;

use std::fmt;
use std::str::FromStr;

use actionhub_catalog::ParamStyle;
use actionhub_store::Account;

pub use handler::{StdioError, serve_stdio};
pub use http::route;

/// Where MCP is served over HTTP.
pub const PATH: &str = "/mcp";

/// How the account's actions are offered (StackOne's `tool-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolMode {
    /// One tool per allowed action.
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

/// The shape of the tools: parameter style and tool mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct McpOptions {
    pub style: ParamStyle,
    pub mode: ToolMode,
}

impl Default for McpOptions {
    fn default() -> Self {
        McpOptions {
            style: ParamStyle::Nested,
            mode: ToolMode::Individual,
        }
    }
}

/// Whose tools a request is about: a linked account of a project, and how to present them.
#[derive(Debug, Clone)]
pub struct Target {
    pub project_id: String,
    pub account: Account,
    pub options: McpOptions,
}

impl Target {
    /// Whether the account may run `action_id` (`allowed_actions: None` allows every action).
    pub fn allows(&self, action_id: &str) -> bool {
        self.account
            .allowed_actions
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|id| id == action_id))
    }
}
