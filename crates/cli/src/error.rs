//! The command line's error: each variant is shown to the user as one line.

use actionhub_catalog::UnknownAction;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    UnknownAction(#[from] UnknownAction),
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    #[error(transparent)]
    Sim(#[from] frontsim::SimError),
    #[error("cannot run the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Keyring(#[from] actionhub_store::VaultError),
    #[error(transparent)]
    Store(#[from] actionhub_store::StoreError),
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Link(#[from] actionhub_server::linking::LinkError),
    #[error(transparent)]
    FrontClient(#[from] actionhub_engine::ClientError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Mcp(#[from] actionhub_server::mcp::StdioError),
    #[error("{action}: {error}")]
    Run {
        action: String,
        error: actionhub_server::ApiError,
    },
    #[error(
        "{action}: Front returned a `next` cursor it had already returned (after {pages} page(s)); --all-pages stopped instead of fetching the same pages forever"
    )]
    RepeatedCursor { action: String, pages: u64 },
    #[error(
        "{action} was not run: a policy holds it for approval {id} (expires {expires}); approve it with `actionhub approvals approve {id}` or at {url}",
        id = approval.id,
        expires = approval.expires_at,
        url = approval.approve_url
    )]
    Held {
        action: String,
        approval: actionhub_server::approvals::ApprovalTicket,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error(
        "{remaining} secret(s) are still under an older key (written meanwhile by a hub without key version {newest}); give every hub the new keyring, then run `vault rotate` again"
    )]
    RotationIncomplete { remaining: u64, newest: u32 },
}

impl CliError {
    /// A store error met while acting on `what`, with "not found" naming it.
    pub fn not_found(error: actionhub_store::StoreError, what: &str) -> CliError {
        match error {
            actionhub_store::StoreError::NotFound => CliError::NotFound(what.to_owned()),
            other => CliError::Store(other),
        }
    }

    /// Whether the reader of our output went away (e.g. `| head`), which is not a failure.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, CliError::Output(error) if error.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
