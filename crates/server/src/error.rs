//! The HTTP layer's error: a status and a message for the caller, in StackOne's error body
//! `{"statusCode": N, "message": "…", "timestamp": "…"}`. Internal detail (database errors,
//! vault failures) is logged and replaced by a generic message; it never reaches the caller.

use actionhub_engine::VerifyError;
use actionhub_store::{StoreError, Timestamp};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use actionhub_catalog::echo;

use crate::linking::LinkError;
use crate::webhooks::EndpointError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is wrong; the message names the field at fault.
    #[error("{0}")]
    BadRequest(String),
    /// No valid API key (platform routes).
    #[error("{0}")]
    Unauthorized(String),
    /// No valid connect-session token (Hub routes and `/connect_sessions/authenticate`).
    #[error("{0}")]
    SessionRejected(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The account may not run this action (`allowed_actions`).
    #[error("{0}")]
    Forbidden(String),
    /// The linked account cannot be used as it is (its status is `error`).
    #[error("{0}")]
    PreconditionFailed(String),
    /// Well-formed but refused, e.g. an `Idempotency-Key` reused for another request.
    #[error("{0}")]
    Unprocessable(String),
    /// Front's rate budget leaves no room before the call's deadline.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// Front refused or failed the request: its status (or 502 for its 5xx), and Front's
    /// answer as StackOne's `provider_errors`.
    #[error("{message}")]
    Provider {
        status: StatusCode,
        message: String,
        provider_errors: Vec<Value>,
    },
    /// Front could not be reached or answered something unusable.
    #[error("{0}")]
    BadGateway(String),
    /// A refusal of the HTTP layer itself (a timeout, an unreadable request, a body too large
    /// for a form) with its own status.
    #[error("{message}")]
    Refused { status: StatusCode, message: String },
    /// Anything else; the detail has been logged.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) | ApiError::SessionRejected(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Provider { status, .. } => *status,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Refused { status, .. } => *status,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Front's answers behind this error (StackOne's `provider_errors`), if Front refused.
    pub fn provider_errors(&self) -> &[Value] {
        match self {
            ApiError::Provider {
                provider_errors, ..
            } => provider_errors,
            _ => &[],
        }
    }

    /// The same error, with the same status, under another message (e.g. one written for the
    /// end user). An internal error keeps saying only that.
    pub fn with_message(self, message: String) -> ApiError {
        match self {
            ApiError::BadRequest(_) => ApiError::BadRequest(message),
            ApiError::Unauthorized(_) => ApiError::Unauthorized(message),
            ApiError::SessionRejected(_) => ApiError::SessionRejected(message),
            ApiError::NotFound(_) => ApiError::NotFound(message),
            ApiError::MethodNotAllowed(_) => ApiError::MethodNotAllowed(message),
            ApiError::Conflict(_) => ApiError::Conflict(message),
            ApiError::PayloadTooLarge(_) => ApiError::PayloadTooLarge(message),
            ApiError::Forbidden(_) => ApiError::Forbidden(message),
            ApiError::PreconditionFailed(_) => ApiError::PreconditionFailed(message),
            ApiError::Unprocessable(_) => ApiError::Unprocessable(message),
            ApiError::RateLimited {
                retry_after_secs, ..
            } => ApiError::RateLimited {
                message,
                retry_after_secs,
            },
            ApiError::Provider {
                status,
                provider_errors,
                ..
            } => ApiError::Provider {
                status,
                message,
                provider_errors,
            },
            ApiError::BadGateway(_) => ApiError::BadGateway(message),
            ApiError::Refused { status, .. } => ApiError::Refused { status, message },
            ApiError::Internal => ApiError::Internal,
        }
    }

    /// The error for an answer some layer gave with `status` and no JSON body (axum's
    /// extractors, the timeouts). Its text is not reused: it may quote the request.
    pub fn for_status(status: StatusCode) -> ApiError {
        let message = match status {
            StatusCode::BAD_REQUEST => {
                "the request could not be read: check its path, query and headers"
            }
            StatusCode::NOT_FOUND => "not found",
            StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed here",
            StatusCode::REQUEST_TIMEOUT => "the request was not received in time; send it again",
            StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported content type",
            StatusCode::SERVICE_UNAVAILABLE => {
                "the request took too long to answer; try again in a moment"
            }
            status if status.is_server_error() => "internal error",
            status => status
                .canonical_reason()
                .unwrap_or("the request was refused"),
        };
        ApiError::Refused {
            status,
            message: message.to_owned(),
        }
    }

    /// Maps a store error met while handling `what` (e.g. "account acc_…").
    pub fn from_store(error: StoreError, what: &str) -> ApiError {
        match error {
            StoreError::NotFound => ApiError::NotFound(format!("{} not found", echo(what))),
            other => ApiError::from(other),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound => ApiError::NotFound("not found".to_owned()),
            StoreError::OwnerTaken => ApiError::Conflict(format!("`origin_owner_id`: {error}")),
            StoreError::SessionUnknown | StoreError::SessionExpired | StoreError::SessionSpent => {
                ApiError::SessionRejected(format!("`token`: {error}"))
            }
            StoreError::InvalidApiKey | StoreError::RevokedApiKey => {
                ApiError::Unauthorized(error.to_string())
            }
            StoreError::Policy(_) => ApiError::BadRequest(error.to_string()),
            StoreError::ApprovalDecided(_)
            | StoreError::ApprovalExpired
            | StoreError::ApprovalState { .. } => ApiError::Conflict(error.to_string()),
            StoreError::BadUrl(_)
            | StoreError::CreateDir(_)
            | StoreError::CreateFile(_)
            | StoreError::Connect(_)
            | StoreError::Migrate(_)
            | StoreError::Database(_)
            | StoreError::Vault(_)
            | StoreError::Corrupt(_)
            | StoreError::LeaseLost
            | StoreError::Entropy => {
                tracing::error!(error = %error, "store failure");
                ApiError::Internal
            }
        }
    }
}

impl ApiError {
    /// Maps an endpoint error met while handling `what` (e.g. "webhook endpoint whe_…").
    pub fn from_endpoint(error: EndpointError, what: &str) -> ApiError {
        match error {
            EndpointError::Store(store) => ApiError::from_store(store, what),
            other => ApiError::from(other),
        }
    }
}

impl From<EndpointError> for ApiError {
    fn from(error: EndpointError) -> ApiError {
        match error {
            EndpointError::Invalid(message) => ApiError::BadRequest(message),
            EndpointError::Store(error) => ApiError::from(error),
            EndpointError::Entropy => {
                tracing::error!("the random number generator failed");
                ApiError::Internal
            }
        }
    }
}

impl From<LinkError> for ApiError {
    fn from(error: LinkError) -> ApiError {
        match error {
            LinkError::UnknownProvider => ApiError::BadRequest(format!("`provider`: {error}")),
            LinkError::UnknownAction(_) => {
                ApiError::BadRequest(format!("`allowed_actions`: {error}"))
            }
            LinkError::Invalid { .. } => ApiError::BadRequest(error.to_string()),
            LinkError::Verify(verify) => match verify {
                VerifyError::Malformed(_) | VerifyError::Rejected { .. } => {
                    ApiError::BadRequest(format!("`credentials.api_token`: {verify}"))
                }
                VerifyError::Unreachable { .. } | VerifyError::Unexpected(_) => {
                    ApiError::BadGateway(format!("{verify}; nothing was saved"))
                }
            },
            LinkError::Store(store) => ApiError::from(store),
        }
    }
}

/// StackOne's error body: what every refused platform request answers.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "statusCode": 400,
    "message": "Missing x-account-id header in request",
    "timestamp": "2026-01-01T10:00:00.000Z"
}))]
pub struct ErrorBody {
    /// The HTTP status, repeated.
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    /// What was wrong, naming the field at fault; never quotes a secret.
    pub message: String,
    pub timestamp: Timestamp,
    /// Front's answers when Front refused the call: its `status`, the `url` called, its body
    /// (`raw`) and the headers worth showing.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub provider_errors: Option<Vec<Value>>,
    /// Seconds to wait before trying again (429, as the `Retry-After` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            ApiError::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        let body = ErrorBody {
            status_code: status.as_u16(),
            message: self.to_string(),
            timestamp: Timestamp::now(),
            provider_errors: (!self.provider_errors().is_empty())
                .then(|| self.provider_errors().to_vec()),
            retry_after,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if matches!(self, ApiError::Unauthorized(_)) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"actionhub\""),
            );
        }
        response
    }
}

/// Gives StackOne's body to every error answer that has neither a JSON body nor an HTML page
/// (pages keep theirs): axum's extractor rejections, the timeouts' empty 408 and 503, anything
/// a layer answers on its own. On `/mcp` the body is a JSON-RPC error instead. Headers such as
/// `Allow` and `WWW-Authenticate` are kept.
pub async fn json_error_bodies(request: Request, next: Next) -> Response {
    let mcp = request.uri().path() == crate::mcp::PATH;
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return response;
    }
    let (parts, _) = response.into_parts();
    let error = ApiError::for_status(status);
    let mut replaced = if mcp {
        crate::mcp::http::refusal(status, &error.to_string())
    } else {
        error.into_response()
    };
    for name in [header::ALLOW, header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            replaced.headers_mut().insert(name, value.clone());
        }
    }
    replaced
}
