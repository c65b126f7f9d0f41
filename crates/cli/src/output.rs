//! Writing results to stdout. A closed pipe (`actionhub actions list | head`) is not an error
//! worth a message, so it is reported as its own error kind that `main` exits quietly on.

use std::io::{self, Write};

use crate::error::CliError;

/// Writes `text` to stdout, ending with exactly one newline.
pub fn emit(text: &str) -> Result<(), CliError> {
    write_line(text).map_err(CliError::Output)
}

/// Writes `text` and one newline to stdout and flushes it, as [`emit`] does, for callers that
/// handle the I/O error themselves.
pub fn write_line(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{}", text.trim_end_matches('\n')).and_then(|()| stdout.flush())
}

/// Lays rows out under a header, every column but the last padded to its widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let last = cells.len() - 1;
        let text: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i == last {
                    (*cell).to_owned()
                } else {
                    format!("{cell:<w$}", w = widths[i])
                }
            })
            .collect();
        format!("{}\n", text.join("  ").trim_end())
    };
    let mut out = line(header);
    for row in rows {
        out.push_str(&line(&row.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    out
}
