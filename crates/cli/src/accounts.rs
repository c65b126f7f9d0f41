//! `actionhub accounts link|list|remove`: linked accounts from the command line.

use actionhub_engine::FrontClient;
use actionhub_server::linking::{self, LinkRequest, Owner};
use actionhub_store::{AccountFilter, LinkTarget};
use clap::{Args, Subcommand};
use secrecy::SecretString;

use crate::config::{self, DatabaseArgs};
use crate::error::CliError;
use crate::keys::{DEFAULT_PROJECT, non_empty};
use crate::output::{emit, table};

/// Accounts read per page by `accounts list`.
const LIST_PAGE: u32 = 500;

#[derive(Debug, Args)]
pub struct AccountsArgs {
    #[command(subcommand)]
    command: AccountsCommand,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
enum AccountsCommand {
    /// Link a Front account with an API token and print the account id alone on stdout.
    ///
    /// The token is first checked with Front (GET /me at ACTIONHUB_FRONT_BASE_URL); only a
    /// token Front accepts is saved, encrypted, with the Front company as the account's
    /// identity. Linking the same owner again updates that account and keeps its id. Without
    /// --owner-id/--owner-name, the owner is the Front company itself.
    Link {
        /// The Front API token (Front: Settings › Developers › API tokens); `-` reads it from
        /// stdin, which keeps it out of the process list and the shell history.
        #[arg(long, value_name = "TOKEN")]
        token: String,
        /// Your customer's id (StackOne's origin_owner_id); needs --owner-name.
        #[arg(long, value_name = "ID", requires = "owner_name")]
        owner_id: Option<String>,
        /// Your customer's display name (origin_owner_name); needs --owner-id.
        #[arg(long, value_name = "NAME", requires = "owner_id")]
        owner_name: Option<String>,
        /// Restrict the account to these actions (comma-separated ids; default: all).
        #[arg(long, value_name = "ID,ID", value_delimiter = ',')]
        actions: Option<Vec<String>>,
        /// A label shown with the account.
        #[arg(long, value_name = "TEXT")]
        label: Option<String>,
        /// The project (tenant) the account belongs to.
        #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT)]
        project: String,
    },
    /// List a project's linked accounts: id, owner, Front company, status, allowed actions.
    List {
        /// The project whose accounts to list.
        #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT)]
        project: String,
    },
    /// Remove a linked account and its stored credentials.
    Remove {
        /// The account id (acc_…).
        id: String,
        /// The project the account belongs to.
        #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT)]
        project: String,
    },
}

pub fn run(args: &AccountsArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    config::runtime()?.block_on(async {
        let store = config::open_store(&args.database).await?;
        match &args.command {
            AccountsCommand::Link {
                token,
                owner_id,
                owner_name,
                actions,
                label,
                project,
            } => {
                let project = store.project(&non_empty("--project", project)?).await?;
                let front = FrontClient::new(config::front_base_url().as_deref())?;
                let owner = match (owner_id, owner_name) {
                    (Some(id), Some(name)) => Some(Owner {
                        id: id.clone(),
                        name: name.clone(),
                    }),
                    _ => None,
                };
                let token = if token == "-" {
                    let mut text = String::new();
                    std::io::stdin().read_line(&mut text).map_err(|error| {
                        CliError::Config(format!("cannot read the token from stdin: {error}"))
                    })?;
                    SecretString::from(text)
                } else {
                    SecretString::from(token.as_str())
                };
                let request = LinkRequest {
                    provider: "front".to_owned(),
                    token,
                    owner,
                    origin_username: None,
                    label: label.clone(),
                    metadata: None,
                    allowed_actions: actions.clone(),
                    target: LinkTarget::Owner,
                    session_id: None,
                };
                let linked = linking::link_account(&store, &front, &project.id, request).await?;
                let account = &linked.account;
                eprintln!(
                    "{} account {} for {} (Front company {} {}) in project {}",
                    if linked.created { "linked" } else { "relinked" },
                    account.id,
                    account.origin_owner_name,
                    account.provider_account_id,
                    account.provider_account_name,
                    project.name
                );
                emit(&account.id)?;
            }
            AccountsCommand::List { project } => {
                let project = store.project(project).await?;
                let mut rows = Vec::new();
                for page in 1.. {
                    let filter = AccountFilter {
                        page,
                        page_size: LIST_PAGE,
                        ..AccountFilter::default()
                    };
                    let accounts = store.list_accounts(&project.id, &filter).await?;
                    let done = accounts.len() < LIST_PAGE as usize;
                    rows.extend(accounts.into_iter().map(|account| {
                        vec![
                            account.id,
                            account.origin_owner_id,
                            account.origin_owner_name,
                            format!(
                                "{} {}",
                                account.provider_account_id, account.provider_account_name
                            ),
                            account.status.as_str().to_owned(),
                            account
                                .allowed_actions
                                .map_or("all".to_owned(), |ids| ids.join(",")),
                            account.updated_at.to_string(),
                        ]
                    }));
                    if done {
                        break;
                    }
                }
                emit(&table(
                    &[
                        "ID",
                        "OWNER",
                        "OWNER NAME",
                        "FRONT COMPANY",
                        "STATUS",
                        "ACTIONS",
                        "UPDATED",
                    ],
                    &rows,
                ))?;
            }
            AccountsCommand::Remove { id, project } => {
                let project = store.project(project).await?;
                let account = store
                    .delete_account(&project.id, id)
                    .await
                    .map_err(|error| {
                        CliError::not_found(
                            error,
                            &format!("account {id} in project {}", project.name),
                        )
                    })?;
                eprintln!(
                    "removed account {} ({})",
                    account.id, account.origin_owner_name
                );
            }
        }
        store.close().await;
        Ok(())
    })
}
