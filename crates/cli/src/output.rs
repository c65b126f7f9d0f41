//! Writing results to stdout. A closed pipe (`actionhub actions list | head`) is not an error
//! worth a message, so it is reported as its own error kind that `main` exits quietly on.

use std::io::{self, Write};

use crate::error::CliError;

/// Writes `text` and a final newline to stdout.
pub fn emit(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(CliError::Output)
}
