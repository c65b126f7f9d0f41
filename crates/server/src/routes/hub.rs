//! `POST /hub/accounts`: the Hub links the end user's account with its connect session.
//!
//! Body (StackOne Hub's shape): `{"credentials": {"api_token": "…"}}`, optionally with
//! `integration_id` or `provider` (both must name `front` when given). The owner, label,
//! metadata, allowed actions and edit-mode account come from the session, never from the body,
//! so the end user cannot link under another owner. The session is spent in the same
//! transaction that saves the account; a failed linking leaves it usable.

use actionhub_store::LinkTarget;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, HUB_SESSION_HEADER, HubSession};
use crate::linking::{self, LinkRequest, Owner};
use crate::routes::accounts::Credentials;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubLink {
    #[serde(default)]
    integration_id: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    credentials: Credentials,
}

pub async fn link(
    State(state): State<AppState>,
    HubSession(session): HubSession,
    ApiJson(body): ApiJson<HubLink>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let session_provider = session
        .provider
        .clone()
        .unwrap_or_else(|| "front".to_owned());
    for (field, given) in [
        ("integration_id", &body.integration_id),
        ("provider", &body.provider),
    ] {
        if let Some(given) = given {
            if *given != session_provider {
                return Err(ApiError::BadRequest(format!(
                    "`{field}`: this connect session is for `{session_provider}`"
                )));
            }
        }
    }
    let request = LinkRequest {
        provider: session_provider,
        token: body.credentials.api_token,
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
    let linked = linking::link_account(&state.store, &state.front, &session.project_id, request)
        .await
        .map_err(|error| match ApiError::from(error) {
            ApiError::SessionRejected(message) => ApiError::SessionRejected(message.replacen(
                "`token`",
                &format!("`{HUB_SESSION_HEADER}`"),
                1,
            )),
            other => other,
        })?;
    let status = if linked.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "id": linked.account.id, "provider": linked.account.provider })),
    ))
}
