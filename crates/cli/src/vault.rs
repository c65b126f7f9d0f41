//! `actionhub vault rotate`: re-encrypting every stored secret under the newest master key.

use clap::{Args, Subcommand};

use crate::config::{self, DatabaseArgs};
use crate::error::CliError;

#[derive(Debug, Args)]
pub struct VaultArgs {
    #[command(subcommand)]
    command: VaultCommand,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
enum VaultCommand {
    /// Re-encrypt every stored secret under the newest key of the keyring.
    ///
    /// Key rotation: (1) add a new key with a higher version to ACTIONHUB_MASTER_KEY (or its
    /// file), e.g. `2:NEWKEY,1:OLDKEY`, on every hub, and restart them, so new writes use it;
    /// (2) run `actionhub vault rotate` with that keyring, while the hubs keep serving: each
    /// secret is rewritten in its own transaction, never overwriting a newer value; (3) when
    /// it reports that nothing is left under an older key, remove the old key from the keyring
    /// and restart the hubs. Running it again is harmless.
    Rotate,
}

pub fn run(args: &VaultArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    config::runtime()?.block_on(async {
        let store = config::open_store(&args.database).await?;
        match args.command {
            VaultCommand::Rotate => {
                let report = store.rotate_vault().await?;
                store.close().await;
                eprintln!(
                    "re-encrypted {} secret(s) under key version {} ({} changed meanwhile and were left to their newer value)",
                    report.rotated, report.newest_version, report.skipped
                );
                if report.remaining > 0 {
                    return Err(CliError::RotationIncomplete {
                        remaining: report.remaining,
                        newest: report.newest_version,
                    });
                }
                eprintln!(
                    "every secret is under key version {}; older keys can now be removed from the keyring",
                    report.newest_version
                );
            }
        }
        Ok(())
    })
}
