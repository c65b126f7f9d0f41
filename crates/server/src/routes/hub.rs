//! The API behind the Hub pages, authenticated by a connect session (`x-hub-session-token`),
//! shaped like StackOne's private Hub API so that `@stackone/hub` could use it too:
//! `GET /hub/settings`, `GET /hub/connectors`, `GET /hub/connectors/{id}`, `POST /hub/accounts`,
//! `GET /hub/accounts/{id}` and `PATCH /hub/accounts/{id}` (edit mode).
//!
//! Linking body (StackOne Hub's shape): `{"credentials": {"api_token": "…"}}`, optionally with
//! `integration_id` or `provider` (both must name the session's provider when given). In edit
//! mode (`PATCH`), `"credentials": {}` relinks with the saved token, checked with Front again. The owner,
//! label, metadata, allowed actions and edit-mode account come from the session, never from the
//! body, so the end user cannot link under another owner. The session is spent in the same
//! transaction that saves the account; a failed linking leaves it usable. Error messages are
//! written for the end user, who reads them beside the token field.

use actionhub_catalog::Connector;
use actionhub_engine::VerifyError;
use actionhub_store::{ConnectSession, LinkTarget, StoreError};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, HubSession, PathId};
use crate::linking::{self, LinkError, LinkRequest, Linked, Owner};
use crate::routes::accounts::{Credentials, NewCredentials};

/// What `GET /hub/accounts/{id}` shows in place of a stored secret (StackOne Hub's placeholder).
const REDACTED_SECRET: &str = "__secretvalue:**redacted**";

/// A linking (`credentials`: [`Credentials`]) or, in edit mode, a relinking
/// (`credentials`: [`NewCredentials`], whose token may be left out to keep the saved one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"credentials": {"api_token": "eyJhbGciOi…"}}))]
pub struct HubLink<C> {
    /// If given, the session's provider.
    #[serde(default)]
    integration_id: Option<String>,
    /// If given, the session's provider.
    #[serde(default)]
    provider: Option<String>,
    credentials: C,
}

/// What the Hub needs to know about its session.
#[derive(Debug, Serialize, ToSchema)]
pub struct HubSettings {
    #[schema(value_type = Vec<String>, example = json!(["hub_link_account_release"]))]
    enabled_features: [&'static str; 1],
    /// Edit mode: the account the session relinks.
    existing_account_id: Option<String>,
}

/// The Hub's session settings
#[utoipa::path(
    get,
    path = "/hub/settings",
    operation_id = "hub_settings",
    tag = "Hub",
    security(("hub_session" = [])),
    responses(
        (status = 200, description = "The session's settings", body = HubSettings),
        (status = 401, description = "No valid connect-session token", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn settings(HubSession(session): HubSession) -> Json<HubSettings> {
    Json(HubSettings {
        enabled_features: ["hub_link_account_release"],
        existing_account_id: session.account_id,
    })
}

/// The connectors a session may link.
#[derive(Debug, Serialize, ToSchema)]
pub struct HubIntegrations {
    integrations: Vec<HubIntegration>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HubIntegration {
    active: bool,
    #[schema(example = "Front")]
    name: String,
    #[schema(example = "front")]
    provider: String,
    #[serde(rename = "type")]
    #[schema(example = "custom")]
    integration_type: &'static str,
    version: &'static str,
    #[schema(example = "api_token")]
    authentication_config_key: String,
    #[schema(example = "production")]
    environment: &'static str,
    #[schema(example = "front")]
    integration_id: String,
    logo_url: String,
}

/// The connector this session may link
#[utoipa::path(
    get,
    path = "/hub/connectors",
    operation_id = "hub_connectors",
    tag = "Hub",
    security(("hub_session" = [])),
    responses(
        (status = 200, description = "The session's connector", body = HubIntegrations),
        (status = 401, description = "No valid connect-session token", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn connectors(
    State(state): State<AppState>,
    HubSession(session): HubSession,
) -> Result<Json<HubIntegrations>, ApiError> {
    let connector = session_connector(&session)?;
    Ok(Json(HubIntegrations {
        integrations: vec![HubIntegration {
            active: true,
            name: connector.name.clone(),
            provider: connector.key.clone(),
            integration_type: CUSTOM,
            version: env!("CARGO_PKG_VERSION"),
            authentication_config_key: connector.credential.key.clone(),
            environment: "production",
            integration_id: connector.key.clone(),
            logo_url: logo_url(&state, connector),
        }],
    }))
}

/// StackOne's type of a connector linked with fields the end user fills in (not OAuth).
const CUSTOM: &str = "custom";

fn logo_url(state: &AppState, connector: &Connector) -> String {
    format!("{}/assets/{}.svg", state.public_url, connector.key)
}

/// StackOne's `ConnectorConfig` and the Hub's settings for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HubConnectorConfig {
    config: ConnectorConfig,
    /// Always empty here (no webhooks or project settings for the Hub).
    #[schema(value_type = Object, example = json!({"configured_webhook_events": {}, "project_settings": {}}))]
    hub_settings: Map<String, Value>,
}

/// The form the Hub renders ("Falcon" `ConnectorConfig`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorConfig {
    #[schema(example = "front")]
    key: String,
    #[schema(example = "Front")]
    name: String,
    #[serde(rename = "type")]
    #[schema(example = "custom")]
    config_type: &'static str,
    config_fields: Vec<ConfigField>,
    assets: ConnectorAssets,
    support: ConnectorSupport,
}

/// One field of the Hub's form.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigField {
    #[schema(example = "api_token")]
    key: String,
    #[schema(example = "API token")]
    label: String,
    #[serde(rename = "type")]
    #[schema(example = "password")]
    field_type: &'static str,
    required: bool,
    read_only: bool,
    secret: bool,
    placeholder: String,
    description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorAssets {
    icon: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorSupport {
    /// The scope guide for this connector.
    link: String,
    description: String,
}

/// The form the Hub renders
///
/// StackOne's `ConnectorConfig` for the session's connector: the API token field and a link to
/// the scope guide.
#[utoipa::path(
    get,
    path = "/hub/connectors/{id}",
    operation_id = "hub_connector_config",
    tag = "Hub",
    security(("hub_session" = [])),
    params(("id" = String, Path, description = "The connector's key", example = "front")),
    responses(
        (status = 200, description = "The connector's form", body = HubConnectorConfig),
        (status = 401, description = "No valid connect-session token", body = ErrorBody),
        (status = 404, description = "Not the session's connector", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn connector_config(
    State(state): State<AppState>,
    HubSession(session): HubSession,
    PathId(id): PathId,
) -> Result<Json<HubConnectorConfig>, ApiError> {
    let connector = session_connector(&session)?;
    if id != connector.key {
        return Err(ApiError::NotFound(format!(
            "connector `{}` is not available to this connect session",
            actionhub_catalog::echo(&id)
        )));
    }
    let credential = &connector.credential;
    let hub_settings = ["configured_webhook_events", "project_settings"]
        .into_iter()
        .map(|key| (key.to_owned(), Value::Object(Map::new())))
        .collect();
    Ok(Json(HubConnectorConfig {
        config: ConnectorConfig {
            key: connector.key.clone(),
            name: connector.name.clone(),
            config_type: CUSTOM,
            config_fields: vec![ConfigField {
                key: credential.key.clone(),
                label: credential.label.clone(),
                field_type: "password",
                required: true,
                read_only: false,
                secret: credential.secret,
                placeholder: credential.placeholder.clone(),
                description: credential.description.clone(),
            }],
            assets: ConnectorAssets {
                icon: logo_url(&state, connector),
            },
            support: ConnectorSupport {
                link: format!("{}{}", state.public_url, connector.guide_path()),
                description: connector.guide.summary.clone(),
            },
        },
        hub_settings,
    }))
}

/// The account a Hub linking made or relinked.
#[derive(Debug, Serialize, ToSchema)]
pub struct HubLinked {
    #[schema(example = "acc_4Zp0qL8sT2vX6nB1cR9e")]
    id: String,
    #[schema(example = "front")]
    provider: String,
    /// The Front company the token belongs to.
    #[schema(example = "Acme Support")]
    company_name: String,
}

/// Link the end user's account
///
/// Checks the token with Front, then links it with the session's owner, label, metadata and
/// allowed actions, spending the session. A failed linking leaves the session usable; its
/// message is written for the end user.
#[utoipa::path(
    post,
    path = "/hub/accounts",
    operation_id = "hub_link_account",
    tag = "Hub",
    security(("hub_session" = [])),
    request_body = HubLink<Credentials>,
    responses(
        (status = 201, description = "Linked: a new account", body = HubLinked),
        (status = 200, description = "Relinked: the owner's existing account", body = HubLinked),
        (status = 400, description = "Invalid body, or Front rejected the token; nothing was saved", body = ErrorBody),
        (status = 401, description = "No valid connect-session token", body = ErrorBody),
        (status = 502, description = "Front could not be reached; nothing was saved", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn link(
    State(state): State<AppState>,
    HubSession(session): HubSession,
    ApiJson(body): ApiJson<HubLink<Credentials>>,
) -> Result<(StatusCode, Json<HubLinked>), ApiError> {
    check_provider(&session, &body)?;
    linked_response(link_with_session(&state, &session, body.credentials.api_token).await)
}

/// The account an edit-mode session relinks, as the Hub shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HubAccount {
    #[schema(example = "acc_4Zp0qL8sT2vX6nB1cR9e")]
    secure_id: String,
    #[schema(example = "front")]
    provider: String,
    #[schema(value_type = Object)]
    setup_information: Map<String, Value>,
    /// Each credential field, redacted.
    #[schema(value_type = Object, example = json!({"api_token": "__secretvalue:**redacted**"}))]
    secrets: Map<String, Value>,
    version: &'static str,
    #[schema(example = "front")]
    integration_id: String,
}

/// The account an edit-mode session relinks
///
/// Secrets redacted.
#[utoipa::path(
    get,
    path = "/hub/accounts/{id}",
    operation_id = "hub_get_account",
    tag = "Hub",
    security(("hub_session" = [])),
    params(("id" = String, Path, description = "The account the session edits", example = "acc_4Zp0qL8sT2vX6nB1cR9e")),
    responses(
        (status = 200, description = "The account", body = HubAccount),
        (status = 401, description = "No valid connect-session token", body = ErrorBody),
        (status = 404, description = "Not the account this session edits", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn show(
    State(state): State<AppState>,
    HubSession(session): HubSession,
    PathId(id): PathId,
) -> Result<Json<HubAccount>, ApiError> {
    let account_id = edited_account(&session, &id)?;
    let account = state
        .store
        .account(&session.project_id, account_id)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("account {id}")))?;
    let connector = session_connector(&session)?;
    let mut secrets = Map::new();
    secrets.insert(
        connector.credential.key.clone(),
        Value::from(REDACTED_SECRET),
    );
    Ok(Json(HubAccount {
        secure_id: account.id,
        provider: account.provider,
        setup_information: Map::new(),
        secrets,
        version: env!("CARGO_PKG_VERSION"),
        integration_id: connector.key.clone(),
    }))
}

/// Relink the edit-mode session's account
///
/// With a new token, or with the saved one (checked with Front again) when
/// `credentials.api_token` is left out.
#[utoipa::path(
    patch,
    path = "/hub/accounts/{id}",
    operation_id = "hub_update_account",
    tag = "Hub",
    security(("hub_session" = [])),
    params(("id" = String, Path, description = "The account the session edits", example = "acc_4Zp0qL8sT2vX6nB1cR9e")),
    request_body = HubLink<NewCredentials>,
    responses(
        (status = 200, description = "Relinked", body = HubLinked),
        (status = 400, description = "Invalid body, or Front rejected the token; nothing changed", body = ErrorBody),
        (status = 401, description = "No valid connect-session token", body = ErrorBody),
        (status = 404, description = "Not the account this session edits", body = ErrorBody),
        (status = 502, description = "Front could not be reached; nothing changed", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    HubSession(session): HubSession,
    PathId(id): PathId,
    ApiJson(body): ApiJson<HubLink<NewCredentials>>,
) -> Result<(StatusCode, Json<HubLinked>), ApiError> {
    let account_id = edited_account(&session, &id)?;
    check_provider(&session, &body)?;
    let keeps_saved_token = body.credentials.api_token.is_none();
    let outcome = match linking::relink_token(
        &state.store,
        &session.project_id,
        account_id,
        &session_connector(&session)?.key,
        body.credentials.api_token,
    )
    .await
    {
        Ok(token) => link_with_session(&state, &session, token).await,
        Err(error) => Err(error),
    };
    match outcome {
        Err(LinkError::Verify(VerifyError::Rejected { .. })) if keeps_saved_token => {
            Err(ApiError::BadRequest(
                "`credentials.api_token`: Front rejected the saved token (it may have been deleted in Front). Enter a new token.".to_owned(),
            ))
        }
        outcome => linked_response(outcome),
    }
}

/// Links (or, in edit mode, relinks) with a connect session's owner, label, metadata and
/// allowed actions, spending the session. Used by the Hub API and the `/link` form.
pub async fn link_with_session(
    state: &AppState,
    session: &ConnectSession,
    token: SecretString,
) -> Result<Linked, LinkError> {
    let request = LinkRequest {
        provider: session
            .provider
            .clone()
            .unwrap_or_else(|| DEFAULT_PROVIDER.to_owned()),
        token,
        owner: Some(Owner {
            id: session.origin_owner_id.clone(),
            name: session.origin_owner_name.clone(),
        }),
        origin_username: session.origin_username.clone(),
        label: session.label.clone(),
        metadata: session.metadata.clone(),
        allowed_actions: session.actions.clone(),
        target: session
            .account_id
            .clone()
            .map_or(LinkTarget::Owner, LinkTarget::Account),
        session_id: Some(session.id),
    };
    linking::link_account(&state.store, &state.front, &session.project_id, request).await
}

/// Why linking failed, in words for the end user who pasted the token.
pub fn for_end_user(error: &LinkError) -> String {
    match error {
        LinkError::Verify(VerifyError::Malformed(problem)) => format!(
            "This does not look like a Front API token ({problem}). Copy the whole token from Front and paste it again."
        ),
        LinkError::Verify(VerifyError::Rejected { .. }) => "Front rejected this token. Check that you copied the whole token and that it has not been deleted in Front.".to_owned(),
        LinkError::Verify(VerifyError::Unreachable { .. } | VerifyError::Unexpected(_)) => {
            "Front could not be reached to check the token. Nothing was saved; try again in a moment.".to_owned()
        }
        LinkError::Store(StoreError::SessionExpired) => {
            "This link has expired. Ask whoever sent it for a new one.".to_owned()
        }
        LinkError::Store(StoreError::SessionSpent) => {
            "This link was already used to link an account. Ask whoever sent it for a new one.".to_owned()
        }
        LinkError::Store(StoreError::SessionUnknown) => {
            "This link is not valid. Ask whoever sent it for a new one.".to_owned()
        }
        other => other.to_string(),
    }
}

/// The provider a session was made for when it names none.
const DEFAULT_PROVIDER: &str = "front";

fn session_connector(session: &ConnectSession) -> Result<&'static Connector, ApiError> {
    linking::connector(session.provider.as_deref().unwrap_or(DEFAULT_PROVIDER))
        .map_err(ApiError::from)
}

/// The account an edit-mode session may show or relink; any other id is not found.
fn edited_account<'a>(session: &'a ConnectSession, id: &str) -> Result<&'a str, ApiError> {
    match session.account_id.as_deref() {
        Some(account) if account == id => Ok(account),
        _ => Err(ApiError::NotFound(format!(
            "account {id} is not the account this connect session edits"
        ))),
    }
}

fn check_provider<C>(session: &ConnectSession, body: &HubLink<C>) -> Result<(), ApiError> {
    let expected = session.provider.as_deref().unwrap_or(DEFAULT_PROVIDER);
    for (field, given) in [
        ("integration_id", &body.integration_id),
        ("provider", &body.provider),
    ] {
        if given.as_deref().is_some_and(|given| given != expected) {
            return Err(ApiError::BadRequest(format!(
                "`{field}`: this connect session is for `{expected}`"
            )));
        }
    }
    Ok(())
}

/// 201 for a new account, 200 for a relinked one; failures keep their status with a message
/// for the end user.
fn linked_response(
    outcome: Result<Linked, LinkError>,
) -> Result<(StatusCode, Json<HubLinked>), ApiError> {
    match outcome {
        Ok(linked) => {
            let status = if linked.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let account = linked.account;
            Ok((
                status,
                Json(HubLinked {
                    id: account.id,
                    provider: account.provider,
                    company_name: account.provider_account_name,
                }),
            ))
        }
        Err(error) => {
            let message = for_end_user(&error);
            Err(ApiError::from(error).with_message(message))
        }
    }
}
