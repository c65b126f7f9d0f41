//! `actionhub connect-link`: a connect session for one customer, printed as the Hub link.

use actionhub_server::linking;
use actionhub_store::NewSession;
use clap::Args;
use secrecy::ExposeSecret;

use crate::config::{self, DatabaseArgs};
use crate::error::CliError;
use crate::keys::{DEFAULT_PROJECT, non_empty};
use crate::output::emit;

/// Create a connect session and print its Hub link alone on stdout.
///
/// Send the link to your customer: it opens this hub's /link page, where they paste a Front
/// API token; the account is then linked under --owner-id (relinked if that owner already has
/// one). The link works once and expires (--expires-in). Its base is ACTIONHUB_PUBLIC_URL,
/// else http://ACTIONHUB_BIND (default http://127.0.0.1:8080).
#[derive(Debug, Args)]
pub struct ConnectLinkArgs {
    /// Your customer's id (StackOne's origin_owner_id).
    #[arg(long, value_name = "ID")]
    owner_id: String,
    /// Your customer's display name (origin_owner_name).
    #[arg(long, value_name = "NAME")]
    owner_name: String,
    /// The actions the linked account will be allowed (comma-separated ids; default: all).
    #[arg(long, value_name = "ID,ID", value_delimiter = ',')]
    actions: Option<Vec<String>>,
    /// A label for the linked account.
    #[arg(long, value_name = "TEXT")]
    label: Option<String>,
    /// Seconds until the link expires (at most 30 days).
    #[arg(long, value_name = "SECONDS", default_value_t = 1800,
          value_parser = clap::value_parser!(u32).range(1..=2_592_000))]
    expires_in: u32,
    /// The project (tenant) the account will belong to.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT)]
    project: String,
    #[command(flatten)]
    database: DatabaseArgs,
}

pub fn run(args: &ConnectLinkArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    config::runtime()?.block_on(async {
        let front = linking::connector("front")?;
        let actions = args
            .actions
            .as_deref()
            .map(|ids| linking::allowed_actions(front, ids))
            .transpose()?;
        let store = config::open_store(&args.database).await?;
        let project = store
            .project(&non_empty("--project", &args.project)?)
            .await?;
        let session = NewSession {
            origin_owner_id: non_empty("--owner-id", &args.owner_id)?,
            origin_owner_name: non_empty("--owner-name", &args.owner_name)?,
            origin_username: None,
            provider: Some(front.key.clone()),
            account_id: None,
            label: args.label.clone(),
            metadata: None,
            actions,
            redirect_url: None,
            expires_in_seconds: i64::from(args.expires_in),
        };
        let (session, token) = store.create_session(&project.id, session).await?;
        store.close().await;
        let url = format!(
            "{}/link?token={}",
            config::configured_public_url(),
            token.expose_secret()
        );
        eprintln!(
            "connect session {} for {} expires at {}; the link works once",
            session.id, session.origin_owner_name, session.expires_at
        );
        emit(&url)
    })
}
