//! The simulator's two kinds of error: [`SimError`] when it cannot start, and [`ApiError`]
//! for a request it refuses, answered with Front's `_error` body.

use hyper::StatusCode;
use serde_json::{Value, json};

/// Why a simulator could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot read the listening address: {0}")]
    LocalAddr(std::io::Error),
    #[error("invalid --token `{given}`: {reason}")]
    InvalidTokenGrant { given: String, reason: String },
    #[error("token `{token}` is given the unknown scope `{scope}`; known scopes: {known}")]
    UnknownScope {
        token: String,
        scope: String,
        known: String,
    },
    #[error("the {name} must be between 0 and 1, got {rate}")]
    InvalidRate { name: &'static str, rate: f64 },
    #[error(
        "the rate-limit window must be from 1 to {} seconds, got {secs}",
        crate::config::MAX_WINDOW_SECS
    )]
    InvalidWindow { secs: u64 },
    #[error(
        "the activity must be at most {} actions per minute, got {per_minute}",
        crate::config::MAX_ACTIVITY_PER_MINUTE
    )]
    InvalidActivity { per_minute: u32 },
    #[error("the catalogue has no Front connector")]
    NoFrontConnector,
    #[error("the simulator has no handler for the catalogued action `{0}`")]
    MissingHandler(String),
}

/// A refused request: its status and Front's `_error` body. The `Display` form is for logs.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} {title}: {message}", status.as_u16())]
pub struct ApiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    /// Each names the field at fault first, e.g. `body.tag_ids: is required`.
    pub details: Vec<String>,
    /// Set on 429s: becomes `retry-after` (and `x-front-tier` for the burst limit).
    pub throttle: Option<Throttle>,
}

/// How long a throttled caller must wait, and which limit it hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub retry_after_secs: u64,
    /// `Some` only for the burst limit, as Front sends `x-front-tier` only there.
    pub tier: Option<&'static str>,
}

impl ApiError {
    fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            title,
            message: message.into(),
            details: Vec::new(),
            throttle: None,
        }
    }

    pub fn with_details(mut self, details: Vec<String>) -> ApiError {
        self.details = details;
        self
    }

    /// A 400 about one field: `field` is written as in `details` (`body.tag_ids[0]`).
    pub fn invalid_field(field: &str, reason: impl std::fmt::Display) -> ApiError {
        let detail = format!("{field}: {reason}");
        ApiError::new(StatusCode::BAD_REQUEST, "Bad request", detail.clone())
            .with_details(vec![detail])
    }

    /// A 400 listing every problem of a request.
    pub fn invalid_request(details: Vec<String>) -> ApiError {
        let message = match details.as_slice() {
            [only] => only.clone(),
            _ => format!("The request has {} invalid fields", details.len()),
        };
        ApiError::new(StatusCode::BAD_REQUEST, "Bad request", message).with_details(details)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad request", message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Unauthenticated", message)
    }

    pub fn missing_scopes(missing: &[&str]) -> ApiError {
        let list = missing
            .iter()
            .map(|scope| format!("`{scope}`"))
            .collect::<Vec<_>>()
            .join(", ");
        ApiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("Token lacks the required {list} scope"),
        )
        .with_details(
            missing
                .iter()
                .map(|scope| format!("scope {scope}: is required"))
                .collect(),
        )
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "Forbidden", message)
    }

    /// A resource named in the path does not exist (or an alias does not resolve).
    pub fn not_found(kind: &str, id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("{kind} {id} not found"),
        )
    }

    pub fn no_route(method: &str, path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("There is no route {method} {path}"),
        )
    }

    pub fn method_not_allowed(method: &str, path: &str, allowed: &[&str]) -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            format!(
                "{path} does not accept {method}; it accepts {}",
                allowed.join(", ")
            ),
        )
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "Conflict", message)
    }

    pub fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload too large",
            format!("The request body is larger than {limit} bytes"),
        )
    }

    pub fn too_many_requests(message: impl Into<String>, throttle: Throttle) -> ApiError {
        let mut error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests", message);
        error.throttle = Some(throttle);
        error
    }

    /// A fault of the simulator itself; nothing a caller sends should lead here.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            message,
        )
    }

    pub fn unavailable() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            "The service is temporarily unavailable (simulated fault). Please retry.",
        )
    }

    /// Front's error body.
    pub fn body(&self) -> Value {
        let mut error = json!({
            "status": self.status.as_u16(),
            "title": self.title,
            "message": self.message,
        });
        if !self.details.is_empty() {
            error["details"] = json!(self.details);
        }
        json!({ "_error": error })
    }
}
