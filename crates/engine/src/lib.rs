//! actionhub's engine: everything that talks to Front on behalf of a linked account.
//!
//! - [`FrontClient::verify_token`]: checks an API token before it is saved (`GET /me`, which any
//!   valid token may call, answering with the company behind the token).
//! - [`FrontClient::execute`]: runs one action. The request is built from the catalogue and the
//!   validated input ([`request`]: path parameters encoded exactly once, Front's `q[...]`
//!   syntax, JSON bodies, DELETE with a body), or taken from a `next` cursor after checking
//!   what it was issued for (action, account, path values) and where it leads ([`cursor`]);
//!   the call waits for its Front company's budget ([`pace`]),
//!   is sent with the account's token, retried when that is safe ([`retry`]), and Front's
//!   answer is mapped to StackOne's `data` and `next`, or, for an action returning a file,
//!   kept as the file's bytes with its name and media type ([`FileAnswer`]).
//! - [`FrontClient::dry_run`]: the exact request, token redacted, without sending it.
//!
//! One pooled HTTP client per process (rustls, connect and total timeouts, no redirects), so
//! connections to Front are reused across requests and accounts.
//!
//! It must never log, format or return a token: tokens travel as [`SecretString`] and the
//! `Authorization` header is marked sensitive so the HTTP stack redacts it too. It must never
//! touch storage (the server passes it what it needs), follow a redirect with a token, or
//! follow a cursor off the configured base URL's origin (Front's API hosts count only when that
//! base is Front's own).

mod client;
pub mod cursor;
mod execute;
mod file;
pub mod pace;
pub mod request;
mod response;
pub mod retry;
mod verify;

pub use client::{ClientError, DEFAULT_MAX_ANSWER_MB, FrontClient};
pub use cursor::CursorError;
pub use execute::{
    Call, CallError, DEFAULT_DEADLINE, Data, DryRun, PrepareError, ProviderError, Reply, Stats,
};
pub use file::FileAnswer;
pub use pace::{
    FallbackPacer, LearntBudget, MemoryPacer, Pacer, PacerError, RedisPacer, SharedPacing,
};
pub use request::{Body, FrontRequest};
pub use response::JsonText;
pub use secrecy::SecretString;
pub use verify::{FrontIdentity, VerifyError};

/// `text` cut to at most `max` bytes (on a character boundary) and marked when cut: what the
/// engine quotes from Front or from a caller's cursor stays short.
pub(crate) fn shortened(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}
