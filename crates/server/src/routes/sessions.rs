//! `POST /connect_sessions` and `POST /connect_sessions/authenticate`.

use actionhub_store::NewSession;
use axum::Json;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, Tenant};
use crate::linking;
use crate::views;

/// StackOne's default session lifetime, in seconds.
const DEFAULT_EXPIRES_IN: u32 = 1800;
/// Longest lifetime accepted: 30 days, StackOne's longest auth-link validity.
const MAX_EXPIRES_IN: u32 = 30 * 24 * 3600;

/// StackOne's `ConnectSessionCreate`, plus `actions` and `redirect_url`. Every field StackOne
/// documents is accepted (its official client always sends some); those this hub has no use
/// for are checked for their type and ignored, each said why below. Other fields are refused,
/// to catch a caller's typos.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    pub(crate) origin_owner_id: String,
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
    pub(crate) metadata: Option<Map<String, Value>>,
    #[serde(default)]
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
    #[serde(default)]
    pub(crate) actions: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) redirect_url: Option<String>,
}

/// StackOne's account types (`type`); a wrong value is refused naming the field.
#[derive(Debug, Deserialize)]
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
    let mut view = views::session(&session);
    if let Some(object) = view.as_object_mut() {
        let auth_link_url = auth_link_url(&state.public_url, &token);
        object.insert("token".to_owned(), Value::from(token.expose_secret()));
        object.insert("auth_link_url".to_owned(), Value::from(auth_link_url));
    }
    Ok(not_stored(StatusCode::CREATED, view))
}

/// An answer no cache may keep (`Cache-Control: no-store`): it carries a session token, or
/// what a token opens.
fn not_stored(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authenticate {
    token: SecretString,
}

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
    Ok(not_stored(StatusCode::CREATED, views::session(&session)))
}
