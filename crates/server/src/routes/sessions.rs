//! `POST /connect_sessions` and `POST /connect_sessions/authenticate`.

use actionhub_store::NewSession;
use axum::Json;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Tenant};
use crate::linking;
use crate::views::ConnectSessionView;

/// StackOne's default session lifetime, in seconds.
const DEFAULT_EXPIRES_IN: u32 = 1800;
/// Longest lifetime accepted: 30 days, StackOne's longest auth-link validity.
const MAX_EXPIRES_IN: u32 = 30 * 24 * 3600;

/// StackOne's `ConnectSessionCreate`, plus `actions` and `redirect_url`. Every field StackOne
/// documents is accepted (its official client always sends some); those this hub has no use
/// for are checked for their type and ignored, each said why below. Other fields are refused,
/// to catch a caller's typos.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "origin_owner_id": "customer-42",
    "origin_owner_name": "Acme Inc.",
    "provider": "front",
    "actions": ["front_list_conversations", "front_get_conversation"],
    "expires_in": 1800
}))]
pub struct CreateSession {
    /// Your identifier for the owner; linking the same owner again updates that account.
    #[schema(min_length = 1)]
    pub(crate) origin_owner_id: String,
    #[schema(min_length = 1)]
    pub(crate) origin_owner_name: String,
    #[serde(default)]
    pub(crate) origin_username: Option<String>,
    #[serde(default)]
    pub(crate) provider: Option<String>,
    /// Accepted for StackOne clients; this hub's one provider is in `ticketing`.
    #[serde(default)]
    pub(crate) categories: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) account_id: Option<String>,
    #[serde(default)]
    pub(crate) label: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub(crate) metadata: Option<Map<String, Value>>,
    /// Seconds until the session expires (default 1800, at most 30 days).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 2592000)]
    pub(crate) expires_in: Option<u32>,
    /// Ignored: a session links one Front account, and linking the same owner again updates
    /// that account (StackOne's `multiple` would add another).
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted for StackOne's clients, its type checked, then ignored"
    )]
    pub(crate) multiple: Option<bool>,
    /// Ignored once checked: every account of this hub is a `production` one.
    #[serde(default, rename = "type")]
    #[allow(
        dead_code,
        reason = "accepted for StackOne's clients, its type checked, then ignored"
    )]
    pub(crate) account_type: Option<AccountType>,
    /// Ignored: a provider has one connector profile here, its built-in definition.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted for StackOne's clients, its type checked, then ignored"
    )]
    pub(crate) connector_profile_id: Option<String>,
    /// StackOne's deprecated alias of `connector_profile_id`; ignored likewise.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted for StackOne's clients, its type checked, then ignored"
    )]
    pub(crate) integration_id: Option<String>,
    /// Deprecated by StackOne; ignored: a provider has one version here.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted for StackOne's clients, its type checked, then ignored"
    )]
    pub(crate) provider_version: Option<String>,
    /// The actions the linked account will be allowed (the Hub shows their scopes);
    /// left out, every action.
    #[serde(default)]
    pub(crate) actions: Option<Vec<String>>,
    /// An `http://` or `https://` URL the Hub page sends the end user to once linked.
    #[serde(default)]
    pub(crate) redirect_url: Option<String>,
}

/// StackOne's account types (`type`); a wrong value is refused naming the field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    Production,
    Test,
}

impl CreateSession {
    /// Checks the request and turns it into the session to store.
    pub(crate) fn validate(self) -> Result<NewSession, ApiError> {
        let provider = self.provider.as_deref().unwrap_or("front");
        let connector = linking::connector(provider)?;
        if let Some(categories) = &self.categories
            && !categories.iter().any(|c| c == "ticketing")
        {
            return Err(ApiError::BadRequest(
                "`categories`: this hub's provider (front) is in category `ticketing`".to_owned(),
            ));
        }
        let expires_in = self.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
        if !(1..=MAX_EXPIRES_IN).contains(&expires_in) {
            return Err(ApiError::BadRequest(format!(
                "`expires_in`: must be from 1 to {MAX_EXPIRES_IN} seconds"
            )));
        }
        if let Some(url) = &self.redirect_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ApiError::BadRequest(
                "`redirect_url`: must be an http:// or https:// URL".to_owned(),
            ));
        }
        let actions = self
            .actions
            .as_deref()
            .map(|ids| linking::allowed_actions(connector, ids))
            .transpose()
            .map_err(|error| match ApiError::from(error) {
                ApiError::BadRequest(message) => {
                    ApiError::BadRequest(message.replacen("allowed_actions", "actions", 1))
                }
                other => other,
            })?;
        let new = NewSession {
            origin_owner_id: linking::required_text("origin_owner_id", &self.origin_owner_id)?,
            origin_owner_name: linking::required_text(
                "origin_owner_name",
                &self.origin_owner_name,
            )?,
            origin_username: linking::optional_text(
                "origin_username",
                self.origin_username.as_deref(),
            )?,
            provider: Some(connector.key.clone()),
            account_id: self.account_id.clone(),
            label: linking::optional_text("label", self.label.as_deref())?,
            metadata: self.metadata,
            actions,
            redirect_url: self.redirect_url,
            expires_in_seconds: i64::from(expires_in),
        };
        Ok(new)
    }
}

/// The Hub page an end user opens for a session (`auth_link_url`).
pub(crate) fn auth_link_url(public_url: &str, token: &SecretString) -> String {
    format!("{public_url}/link?token={}", token.expose_secret())
}

/// A new connect session, with what only its creation shows: the token and the Hub link.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedSession {
    #[serde(flatten)]
    session: ConnectSessionView,
    /// The session's token, shown once: for `x-hub-session-token` or `@stackone/hub`.
    #[schema(example = "ahs_7Hk2pQ9vX4mN1bR8tY6wE3zL")]
    token: String,
    /// The Hub page to send the end user to.
    #[schema(example = "https://hub.example.com/link?token=ahs_7Hk2pQ9vX4mN1bR8tY6wE3zL")]
    auth_link_url: String,
}

/// Create a connect session
///
/// A short-lived, single-use token with which an end user links a Front account in the Hub
/// (`auth_link_url`, or `@stackone/hub` with the `token`). The owner, label, metadata and
/// allowed actions come from here, never from the end user.
#[utoipa::path(
    post,
    path = "/connect_sessions",
    operation_id = "stackone_create_connect_session",
    tag = "Connect sessions",
    security(("api_key" = [])),
    request_body = CreateSession,
    responses(
        (status = 201, description = "The session, with its token and Hub link", body = CreatedSession),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "`account_id` names no account of this project", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    ApiJson(body): ApiJson<CreateSession>,
) -> Result<Response, ApiError> {
    let account_id = body.account_id.clone();
    let new = body.validate()?;
    let (session, token) = state
        .store
        .create_session(&principal.project_id, new)
        .await
        .map_err(|error| {
            let account = account_id.as_deref().unwrap_or_default();
            ApiError::from_store(error, &format!("`account_id`: account {account}"))
        })?;
    let created = CreatedSession {
        session: ConnectSessionView::from(&session),
        token: token.expose_secret().to_owned(),
        auth_link_url: auth_link_url(&state.public_url, &token),
    };
    Ok(not_stored(StatusCode::CREATED, created))
}

/// An answer no cache may keep (`Cache-Control: no-store`): it carries a session token, or
/// what a token opens.
fn not_stored(status: StatusCode, body: impl Serialize) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "ahs_7Hk2pQ9vX4mN1bR8tY6wE3zL"}))]
pub struct Authenticate {
    /// A connect session's token.
    #[schema(value_type = String, format = Password, example = "ahs_7Hk2pQ9vX4mN1bR8tY6wE3zL")]
    token: SecretString,
}

/// Authenticate a connect session
///
/// The session a token opens, if it belongs to this project and is neither expired nor used.
#[utoipa::path(
    post,
    path = "/connect_sessions/authenticate",
    operation_id = "stackone_authenticate_connect_session",
    tag = "Connect sessions",
    security(("api_key" = [])),
    request_body = Authenticate,
    responses(
        (status = 201, description = "The session", body = ConnectSessionView),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No valid API key, or the token is unknown, expired or used", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn authenticate(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    ApiJson(body): ApiJson<Authenticate>,
) -> Result<Response, ApiError> {
    let session = state
        .store
        .session_by_token(
            body.token.expose_secret().trim(),
            Some(&principal.project_id),
        )
        .await?;
    Ok(not_stored(
        StatusCode::CREATED,
        ConnectSessionView::from(&session),
    ))
}
