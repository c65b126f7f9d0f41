//! `actionhub`: the one binary. Each subcommand lives in its own module; this file only parses
//! the command line, dispatches, and turns an error into one line on stderr and a non-zero exit.

mod accounts;
mod catalog_cmds;
mod config;
mod connect_link;
mod demo;
mod error;
mod keys;
mod listen;
mod mcp;
mod output;
mod policy;
mod run;
mod serve;
mod sim;
mod vault;
mod webhooks;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// actionhub: a self-hostable integration hub for Front.
///
/// End users link their Front account with an API token; developers and AI agents then run
/// Front actions against it (every operation an API token can call). Commands that create
/// something print its identifier alone on stdout; notes and progress go to stderr.
#[derive(Debug, Parser)]
#[command(
    name = "actionhub",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Demo(demo::DemoArgs),
    /// The action catalogue: list actions or show one with its input schema.
    #[command(subcommand)]
    Actions(catalog_cmds::ActionsCommand),
    /// The Front scopes a selection of actions needs, or the guide URL for it.
    Scopes(catalog_cmds::ScopesArgs),
    Sim(sim::SimArgs),
    Serve(serve::ServeArgs),
    /// API keys for the HTTP API: create (printed once), list, revoke.
    Keys(keys::KeysArgs),
    /// Linked Front accounts: link with a token (checked with Front first), list, remove.
    Accounts(accounts::AccountsArgs),
    /// Webhook endpoints (signed Standard Webhooks of Front's and the hub's events): create
    /// (the secret is printed once), list, remove, rotate the secret.
    Webhooks(webhooks::WebhooksArgs),
    Listen(listen::ListenArgs),
    ConnectLink(connect_link::ConnectLinkArgs),
    Run(run::RunArgs),
    Runs(run::RunsArgs),
    Mcp(mcp::McpArgs),
    Policy(policy::PolicyArgs),
    Approvals(policy::ApprovalsArgs),
    /// The credential vault: re-encrypt every stored secret under the newest master key.
    Vault(vault::VaultArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Runs(args) => run::runs(&args),
        Command::Actions(command) => catalog_cmds::actions(&command),
        Command::Scopes(args) => catalog_cmds::scopes(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Keys(args) => keys::run(&args),
        Command::Accounts(args) => accounts::run(&args),
        Command::Webhooks(args) => webhooks::run(&args),
        Command::Listen(args) => listen::run(&args),
        Command::ConnectLink(args) => connect_link::run(&args),
        Command::Mcp(args) => mcp::run(&args),
        Command::Policy(args) => policy::policy(&args),
        Command::Approvals(args) => policy::approvals(&args),
        Command::Vault(args) => vault::run(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is_closed_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("actionhub: {error}");
            ExitCode::FAILURE
        }
    }
}
