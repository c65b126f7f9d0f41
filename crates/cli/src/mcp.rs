//! `actionhub mcp`: MCP over stdio for one linked account, for desktop agents. It reads the
//! same configuration as `serve` (database, master key, Front base URL) and writes nothing but
//! MCP messages to stdout; logs go to stderr.

use actionhub_catalog::ParamStyle;
use actionhub_server::AppState;
use actionhub_server::mcp::{self as server_mcp, McpOptions, ToolMode, Toolset};
use clap::Args;

use crate::config::{self, DatabaseArgs};
use crate::error::CliError;
use crate::keys::DEFAULT_PROJECT;

/// Serve MCP over stdin/stdout for one linked account (for desktop agents).
///
/// The core actions become tools (an account restricted to chosen actions: exactly those), and
/// --toolset lists more; any action the account may run can be called by name, listed or not.
/// With --tool-mode search_execute, two tools search and run every allowed action. Calls go
/// through the hub's engine with the same validation, pacing, retries and run log as the HTTP
/// API. Runs until stdin closes. Uses the same database, master key and
/// ACTIONHUB_FRONT_BASE_URL as `serve`; logs go to stderr (RUST_LOG, default warn).
#[derive(Debug, Args)]
pub struct McpArgs {
    /// The linked account whose actions become tools (acc_…).
    #[arg(long, value_name = "ID")]
    account: String,
    /// The project (tenant) the account belongs to.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT)]
    project: String,
    /// How tool inputs are laid out: nested, flat_prefixed or flat_smart.
    #[arg(long, value_name = "STYLE", default_value = "nested", value_parser = parse_style)]
    param_style: ParamStyle,
    /// individual (one tool per action) or search_execute (front_search_actions and
    /// front_execute_action).
    #[arg(long, value_name = "MODE", default_value = "individual", value_parser = parse_mode)]
    tool_mode: ToolMode,
    /// In individual mode, the tools listed besides the core actions: all, or a comma-separated
    /// list of groups (knowledge_bases, message_templates, …; `actionhub actions list` shows
    /// them) and action ids. A restricted account always lists exactly its allowed actions.
    #[arg(long, value_name = "LIST", default_value = "core", value_parser = parse_toolset)]
    toolset: Toolset,
    #[command(flatten)]
    database: DatabaseArgs,
}

fn parse_style(text: &str) -> Result<ParamStyle, String> {
    text.parse()
}

fn parse_mode(text: &str) -> Result<ToolMode, String> {
    text.parse()
}

fn parse_toolset(text: &str) -> Result<Toolset, String> {
    text.parse()
}

pub fn run(args: &McpArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    config::runtime()?.block_on(async {
        let store = config::open_store(&args.database).await?;
        // The same client as `serve`: with ACTIONHUB_REDIS_URL, this process's calls share the
        // company's budget with every hub.
        let front = config::front_client(config::max_answer_mb()?).await?;
        let project = store.project(&args.project).await?;
        let state = AppState::new(store.clone(), front, &config::configured_public_url());
        let options = McpOptions {
            style: args.param_style,
            mode: args.tool_mode,
            toolset: args.toolset.clone(),
        };
        let served = server_mcp::serve_stdio(state, &project.id, &args.account, options).await;
        store.close().await;
        Ok(served?)
    })
}
