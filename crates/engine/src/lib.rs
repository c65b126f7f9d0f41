//! actionhub's engine: everything that talks to Front on behalf of a linked account.
//!
//! Today that is checking an API token before it is saved ([`FrontClient::verify_token`]:
//! `GET /me`, which any valid token may call, answering with the company behind the token).
//! The execution of actions (building the Front request from the catalogue, pacing per Front
//! company, retries, pagination) grows here next, on the same [`FrontClient`]: one pooled HTTP
//! client per process, so connections to Front are reused across requests and accounts.
//!
//! It must never log, format or return a token: tokens travel as [`SecretString`] and the
//! `Authorization` header is marked sensitive so the HTTP stack redacts it too. It must never
//! touch storage (the server passes it what it needs) and never follow a redirect with a token.

mod client;
mod verify;

pub use client::{ClientError, FrontClient};
pub use secrecy::SecretString;
pub use verify::{FrontIdentity, VerifyError};
