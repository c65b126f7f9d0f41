//! `actionhub keys create|list|revoke`: API keys for the platform routes.

use clap::{Args, Subcommand};

use crate::config::{self, DatabaseArgs};
use crate::error::CliError;
use crate::output::{emit, table};

/// The project used when none is named.
pub const DEFAULT_PROJECT: &str = "default";

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create an API key and print it alone on stdout; it is shown only this once.
    ///
    /// Callers authenticate with HTTP Basic, the key as the username and an empty password:
    /// `curl -u "$KEY:" http://127.0.0.1:8080/accounts`. The project (tenant) is created on
    /// first use; a key sees only its project's accounts and sessions.
    Create {
        /// A name to recognise the key by in `keys list`.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// The project the key belongs to.
        #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT)]
        project: String,
    },
    /// List API keys (all projects unless --project is given): id, project, name, the key's
    /// first characters, creation, last use (to the minute) and revocation.
    List {
        /// Only this project's keys.
        #[arg(long, value_name = "NAME")]
        project: Option<String>,
    },
    /// Revoke an API key by id (see `keys list`); requests with it are refused from then on.
    Revoke {
        /// The key's id (key_…).
        id: String,
    },
}

pub fn run(args: &KeysArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    config::runtime()?.block_on(async {
        let store = config::open_store(&args.database).await?;
        match &args.command {
            KeysCommand::Create { name, project } => {
                let project = store.project(&non_empty("--project", project)?).await?;
                let (record, key) = store
                    .create_api_key(&project, &non_empty("--name", name)?)
                    .await?;
                eprintln!(
                    "created API key {} in project {}; it is shown only now",
                    record.id, project.name
                );
                emit(secrecy::ExposeSecret::expose_secret(&key))?;
            }
            KeysCommand::List { project } => {
                let project = match project {
                    Some(name) => Some(store.project(name).await?),
                    None => None,
                };
                let keys = store.list_api_keys(project.as_ref()).await?;
                let rows: Vec<Vec<String>> = keys
                    .iter()
                    .map(|key| {
                        vec![
                            key.id.clone(),
                            key.project_name.clone(),
                            key.name.clone(),
                            format!("{}…", key.prefix),
                            key.created_at.to_string(),
                            key.last_used_at.map_or("-".to_owned(), |t| t.to_string()),
                            key.revoked_at.map_or("-".to_owned(), |t| t.to_string()),
                        ]
                    })
                    .collect();
                emit(&table(
                    &[
                        "ID",
                        "PROJECT",
                        "NAME",
                        "KEY",
                        "CREATED",
                        "LAST USED",
                        "REVOKED",
                    ],
                    &rows,
                ))?;
            }
            KeysCommand::Revoke { id } => {
                let key = store
                    .revoke_api_key(id)
                    .await
                    .map_err(|error| CliError::not_found(error, &format!("API key {id}")))?;
                eprintln!("revoked API key {} ({})", key.id, key.name);
            }
        }
        store.close().await;
        Ok(())
    })
}

/// Refuses an empty or blank value for `flag`.
pub fn non_empty(flag: &str, value: &str) -> Result<String, CliError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CliError::Config(format!("{flag} must not be empty")));
    }
    Ok(value.to_owned())
}
