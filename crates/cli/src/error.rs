//! The command line's error: each variant is shown to the user as one line.

use actionhub_catalog::UnknownAction;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    UnknownAction(#[from] UnknownAction),
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
}

impl CliError {
    /// Whether the reader of our output went away (e.g. `| head`), which is not a failure.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, CliError::Output(error) if error.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
