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
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, HubSession, PathId};
use crate::linking::{self, LinkError, LinkRequest, Linked, Owner};
use crate::routes::accounts::{Credentials, NewCredentials};

/// What `GET /hub/accounts/{id}` shows in place of a stored secret (StackOne Hub's placeholder).
const REDACTED_SECRET: &str = "__secretvalue:**redacted**";

/// A linking (`credentials`: [`Credentials`]) or, in edit mode, a relinking
/// (`credentials`: [`NewCredentials`], whose token may be left out to keep the saved one).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubLink<C> {
    #[serde(default)]
    integration_id: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    credentials: C,
}

/// `GET /hub/settings`
pub async fn settings(HubSession(session): HubSession) -> Json<Value> {
    Json(json!({
        "enabled_features": ["hub_link_account_release"],
        "existing_account_id": session.account_id,
    }))
}

/// `GET /hub/connectors`: the connector this session may link.
pub async fn connectors(
    State(state): State<AppState>,
    HubSession(session): HubSession,
) -> Result<Json<Value>, ApiError> {
    let connector = session_connector(&session)?;
    Ok(Json(json!({
        "integrations": [{
            "active": true,
            "name": connector.name,
            "provider": connector.key,
            "type": "custom",
            "version": env!("CARGO_PKG_VERSION"),
            "authentication_config_key": connector.credential.key,
            "environment": "production",
            "integration_id": connector.key,
            "logo_url": format!("{}/assets/{}.svg", state.public_url, connector.key),
        }]
    })))
}

/// `GET /hub/connectors/{id}`: the form the Hub renders (StackOne's `ConnectorConfig`).
pub async fn connector_config(
    State(state): State<AppState>,
    HubSession(session): HubSession,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let connector = session_connector(&session)?;
    if id != connector.key {
        return Err(ApiError::NotFound(format!(
            "connector `{}` is not available to this connect session",
            actionhub_catalog::echo(&id)
        )));
    }
    let credential = &connector.credential;
    let guide_url = format!("{}{}", state.public_url, connector.guide_path());
    Ok(Json(json!({
        "config": {
            "key": connector.key,
            "name": connector.name,
            "type": "custom",
            "configFields": [{
                "key": credential.key,
                "label": credential.label,
                "type": "password",
                "required": true,
                "readOnly": false,
                "secret": credential.secret,
                "placeholder": credential.placeholder,
                "description": credential.description,
            }],
            "assets": { "icon": format!("{}/assets/{}.svg", state.public_url, connector.key) },
            "support": { "link": guide_url, "description": connector.guide.summary },
        },
        "hub_settings": { "configured_webhook_events": {}, "project_settings": {} },
    })))
}

/// `POST /hub/accounts`: links the end user's account with the session.
pub async fn link(
    State(state): State<AppState>,
    HubSession(session): HubSession,
    ApiJson(body): ApiJson<HubLink<Credentials>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_provider(&session, &body)?;
    linked_response(link_with_session(&state, &session, body.credentials.api_token).await)
}

/// `GET /hub/accounts/{id}`: the account an edit-mode session relinks, secrets redacted.
pub async fn show(
    State(state): State<AppState>,
    HubSession(session): HubSession,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let account_id = edited_account(&session, &id)?;
    let account = state
        .store
        .account(&session.project_id, account_id)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("account {id}")))?;
    let connector = session_connector(&session)?;
    Ok(Json(json!({
        "secureId": account.id,
        "provider": account.provider,
        "setupInformation": {},
        "secrets": { connector.credential.key.as_str(): REDACTED_SECRET },
        "version": env!("CARGO_PKG_VERSION"),
        "integrationId": connector.key,
    })))
}

/// `PATCH /hub/accounts/{id}`: relinks the edit-mode session's account with a new token, or
/// with the saved one (checked with Front again) when the end user left it as it was.
pub async fn update(
    State(state): State<AppState>,
    HubSession(session): HubSession,
    PathId(id): PathId,
    ApiJson(body): ApiJson<HubLink<NewCredentials>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
) -> Result<(StatusCode, Json<Value>), ApiError> {
    match outcome {
        Ok(linked) => {
            let status = if linked.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let account = &linked.account;
            Ok((
                status,
                Json(json!({
                    "id": account.id,
                    "provider": account.provider,
                    "company_name": account.provider_account_name,
                })),
            ))
        }
        Err(error) => {
            let message = for_end_user(&error);
            Err(ApiError::from(error).with_message(message))
        }
    }
}
