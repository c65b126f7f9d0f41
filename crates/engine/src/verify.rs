//! Checking a Front API token before it is saved.

use actionhub_catalog::{Catalog, Connector};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::client::{FrontClient, ReadError};

/// Longest token accepted. Front's tokens are JWTs of a few hundred bytes; the limit keeps a
/// pasted document from being sent to Front as a header.
const MAX_TOKEN_LEN: usize = 4096;

/// The Front company a token belongs to, as `GET /me` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontIdentity {
    pub company_id: String,
    pub company_name: String,
}

/// Why a token could not be verified. No variant carries the token.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the API token is malformed: {0}")]
    Malformed(&'static str),
    #[error(
        "Front rejected the API token (HTTP {status}): check that it was copied completely and has not been revoked"
    )]
    Rejected { status: u16 },
    #[error("Front could not be reached at {base_url}: {reason}")]
    Unreachable { base_url: String, reason: String },
    #[error("Front answered GET /me unexpectedly: {0}")]
    Unexpected(String),
}

impl VerifyError {
    /// Whether the fault is Front's or the network's rather than the token's.
    pub fn is_upstream(&self) -> bool {
        matches!(
            self,
            VerifyError::Unreachable { .. } | VerifyError::Unexpected(_)
        )
    }
}

fn front() -> Option<&'static Connector> {
    Catalog::builtin().connector("front")
}

/// Refuses what cannot be a token before anything is sent: empty, too long, or containing
/// characters that cannot travel in an HTTP header (spaces, control characters, non-ASCII).
fn check_shape(token: &str) -> Result<(), VerifyError> {
    if token.is_empty() {
        return Err(VerifyError::Malformed("it is empty"));
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(VerifyError::Malformed("it is longer than 4096 characters"));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(VerifyError::Malformed(
            "it contains spaces, line breaks or non-ASCII characters",
        ));
    }
    Ok(())
}

impl FrontClient {
    /// Asks Front who `token` belongs to (`GET /me`). Only a 200 with the company's id and name
    /// verifies a token.
    pub async fn verify_token(&self, token: &SecretString) -> Result<FrontIdentity, VerifyError> {
        check_shape(token.expose_secret())?;
        let (path, id_field, name_field) = match front() {
            Some(front) => (
                front.verify.path.as_str(),
                front.verify.identity.id.as_str(),
                front.verify.identity.name.as_str(),
            ),
            None => ("/me", "id", "name"),
        };
        let response = self.get(path, token).send().await.map_err(|error| {
            let reason = if error.is_timeout() {
                "the request timed out"
            } else if error.is_connect() {
                "the connection failed"
            } else {
                "the request failed"
            };
            tracing::warn!(base_url = %self.base_url(), reason, "Front unreachable while verifying a token");
            VerifyError::Unreachable {
                base_url: self.base_url().to_owned(),
                reason: reason.to_owned(),
            }
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(VerifyError::Rejected {
                status: status.as_u16(),
            });
        }
        if !status.is_success() {
            return Err(VerifyError::Unexpected(format!("HTTP {}", status.as_u16())));
        }
        let body = self
            .read_answer(response)
            .await
            .map_err(|error| match error {
                ReadError::TooLarge { .. } => VerifyError::Unexpected(error.to_string()),
                ReadError::Cut(_) => VerifyError::Unreachable {
                    base_url: self.base_url().to_owned(),
                    reason: error.to_string(),
                },
            })?;
        let identity: Value = serde_json::from_slice(&body)
            .map_err(|_| VerifyError::Unexpected("the body is not JSON".to_owned()))?;
        let field = |name: &str| {
            identity
                .get(name)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| VerifyError::Unexpected(format!("no string `{name}` in the body")))
        };
        Ok(FrontIdentity {
            company_id: field(id_field)?,
            company_name: field(name_field)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shapes() {
        assert!(check_shape("eyJhbGciOi.eyJzdWIi.sig").is_ok());
        for bad in [
            "",
            "two words",
            "line\nbreak",
            "caf\u{e9}",
            &"x".repeat(4097),
        ] {
            assert!(
                matches!(check_shape(bad), Err(VerifyError::Malformed(_))),
                "{bad:?}"
            );
        }
    }
}
