//! `POST /accounts`, `GET /accounts`, `GET/PATCH/DELETE /accounts/{id}`,
//! `GET /accounts/{id}/meta`.

use actionhub_store::{Account, AccountFilter, AccountPatch, LinkTarget, Status};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, PathId, QueryParams, Tenant};
use crate::linking::{self, LinkRequest, Owner};
use crate::routes::sessions::AccountType;
use crate::views;

/// Largest `page_size` of `GET /accounts`.
const MAX_PAGE_SIZE: u32 = 100;
const DEFAULT_PAGE_SIZE: u32 = 25;

/// The secret an end user pastes. Its `Debug` is redacted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub api_token: SecretString,
}

/// `credentials` when relinking (`PATCH`): without `api_token`, the saved token is kept and
/// checked with Front again.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCredentials {
    #[serde(default)]
    pub api_token: Option<SecretString>,
}

/// `POST /accounts` (our addition to StackOne's API: linking from a backend, no Hub).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    provider: String,
    credentials: Credentials,
    origin_owner_id: String,
    origin_owner_name: String,
    #[serde(default)]
    origin_username: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    metadata: Option<Map<String, Value>>,
    #[serde(default)]
    allowed_actions: Option<Vec<String>>,
}

pub async fn create(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    ApiJson(body): ApiJson<CreateAccount>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request = LinkRequest {
        provider: body.provider,
        token: body.credentials.api_token,
        owner: Some(Owner {
            id: body.origin_owner_id,
            name: body.origin_owner_name,
        }),
        origin_username: body.origin_username,
        label: body.label,
        metadata: body.metadata,
        allowed_actions: body.allowed_actions,
        target: LinkTarget::Owner,
        session_id: None,
    };
    let linked =
        linking::link_account(&state.store, &state.front, &principal.project_id, request).await?;
    let status = if linked.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(views::account(&linked.account))))
}

pub async fn list(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    query: QueryParams,
) -> Result<Json<Vec<Value>>, ApiError> {
    let mut providers = query.list("providers");
    providers.extend(query.list("provider"));
    let statuses = query
        .list("status")
        .iter()
        .map(|status| {
            Status::parse(status).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "`status[]`: unknown status `{status}`; expected active or error"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let filter = AccountFilter {
        providers,
        origin_owner_id: query.single("origin_owner_id")?.map(str::to_owned),
        statuses,
        page: query.number("page", 1, 1, u32::MAX)?,
        page_size: query.number("page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)?,
    };
    let accounts = state
        .store
        .list_accounts(&principal.project_id, &filter)
        .await?;
    Ok(Json(accounts.iter().map(views::account).collect()))
}

/// The account `id` of `project_id`; 404 for an unknown one or another project's.
async fn project_account(
    state: &AppState,
    project_id: &str,
    id: &str,
) -> Result<Account, ApiError> {
    state
        .store
        .account(project_id, id)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("account {id}")))
}

pub async fn show(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let account = project_account(&state, &principal.project_id, &id).await?;
    Ok(Json(views::account(&account)))
}

/// `GET /accounts/{id}/meta`: StackOne's `LinkedAccountMeta`.
pub async fn meta(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let account = project_account(&state, &principal.project_id, &id).await?;
    Ok(Json(views::account_meta(&account)))
}

/// `PATCH /accounts/{id}`: every field optional; `null` clears a nullable one. `credentials`
/// relinks the account first (see [`NewCredentials`]); a refusal then changes nothing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    origin_owner_id: Option<String>,
    #[serde(default)]
    origin_owner_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    origin_username: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    label: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    metadata: Option<Option<Map<String, Value>>>,
    #[serde(default, deserialize_with = "nullable")]
    allowed_actions: Option<Option<Vec<String>>>,
    /// Present: the account is relinked (its token checked with Front), with the token given
    /// or, without one, the saved token.
    #[serde(default)]
    credentials: Option<NewCredentials>,
    /// Ignored once checked: every account of this hub is a `production` one. StackOne's
    /// TypeScript client sends `"type": "production"` with every update.
    #[serde(default, rename = "type")]
    #[allow(
        dead_code,
        reason = "accepted for StackOne's clients, its type checked, then ignored"
    )]
    account_type: Option<AccountType>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

pub async fn update(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
    ApiJson(body): ApiJson<UpdateAccount>,
) -> Result<Json<Value>, ApiError> {
    let what = format!("account {id}");
    let mut current = project_account(&state, &principal.project_id, &id).await?;
    if let Some(provider) = &body.provider
        && *provider != current.provider
    {
        return Err(ApiError::BadRequest(format!(
            "`provider`: an account's provider cannot change (this one is {})",
            current.provider
        )));
    }
    let connector = linking::connector(&current.provider)?;
    let allowed_actions = match body.allowed_actions {
        Some(Some(ids)) => Some(Some(linking::allowed_actions(connector, &ids)?)),
        other => other,
    };
    let patch = AccountPatch {
        origin_owner_id: body
            .origin_owner_id
            .map(|v| linking::required_text("origin_owner_id", &v))
            .transpose()?,
        origin_owner_name: body
            .origin_owner_name
            .map(|v| linking::required_text("origin_owner_name", &v))
            .transpose()?,
        origin_username: body
            .origin_username
            .map(|v| linking::optional_text("origin_username", v.as_deref()))
            .transpose()?,
        label: body
            .label
            .map(|v| linking::optional_text("label", v.as_deref()))
            .transpose()?,
        metadata: body.metadata,
        allowed_actions,
    };
    // Relinked only once the rest of the request is known to be valid, so that a refused
    // request changes nothing.
    if let Some(credentials) = body.credentials {
        let token = linking::relink_token(
            &state.store,
            &principal.project_id,
            &id,
            &current.provider,
            credentials.api_token,
        )
        .await?;
        let request = LinkRequest {
            provider: current.provider.clone(),
            token,
            owner: None,
            origin_username: None,
            label: None,
            metadata: None,
            allowed_actions: None,
            target: LinkTarget::Account(id.clone()),
            session_id: None,
        };
        current = linking::link_account(&state.store, &state.front, &principal.project_id, request)
            .await?
            .account;
    }
    if patch.is_empty() {
        return Ok(Json(views::account(&current)));
    }
    let account = state
        .store
        .update_account(&principal.project_id, &id, &patch)
        .await
        .map_err(|error| ApiError::from_store(error, &what))?;
    Ok(Json(views::account(&account)))
}

pub async fn remove(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let account = state
        .store
        .delete_account(&principal.project_id, &id)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("account {id}")))?;
    tracing::info!(project_id = %principal.project_id, account_id = %id, "account deleted");
    Ok(Json(views::account(&account)))
}
