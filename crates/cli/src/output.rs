//! Writing results to stdout. A closed pipe (`actionhub actions list | head`) is not an error
//! worth a message, so it is reported as its own error kind that `main` exits quietly on.

use std::io::{self, Write};

use crate::error::CliError;

/// Writes `text` to stdout, ending with exactly one newline.
pub fn emit(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{}", text.trim_end_matches('\n'))
        .and_then(|()| stdout.flush())
        .map_err(CliError::Output)
}
