//! `POST /accounts`, `GET /accounts`, `GET/PATCH/DELETE /accounts/{id}`,
//! `GET /accounts/{id}/meta`.

use actionhub_store::{Account, AccountFilter, AccountPatch, LinkTarget, Status};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, PathId, QueryParams, Tenant};
use crate::linking::{self, LinkRequest, Owner};
use crate::routes::sessions::AccountType;
use crate::views::{LinkedAccount, LinkedAccountMeta};

/// Largest `page_size` of `GET /accounts`.
const MAX_PAGE_SIZE: u32 = 100;
const DEFAULT_PAGE_SIZE: u32 = 25;

/// The secret an end user pastes. Its `Debug` is redacted.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// A Front API token; checked with Front (`GET /me`) before it is saved, sealed.
    #[schema(value_type = String, format = Password, example = "eyJhbGciOi…")]
    pub api_token: SecretString,
}

/// `credentials` when relinking (`PATCH`): without `api_token`, the saved token is kept and
/// checked with Front again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCredentials {
    /// A new Front API token; left out, the saved one is checked with Front again.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub api_token: Option<SecretString>,
}

/// `POST /accounts` (our addition to StackOne's API: linking from a backend, no Hub).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "provider": "front",
    "credentials": {"api_token": "eyJhbGciOi…"},
    "origin_owner_id": "customer-42",
    "origin_owner_name": "Acme Inc.",
    "allowed_actions": ["front_list_conversations", "front_get_conversation"]
}))]
pub struct CreateAccount {
    #[schema(example = "front")]
    provider: String,
    credentials: Credentials,
    /// Your identifier for the owner; linking the same owner again updates that account.
    #[schema(min_length = 1)]
    origin_owner_id: String,
    #[schema(min_length = 1)]
    origin_owner_name: String,
    #[serde(default)]
    origin_username: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    metadata: Option<Map<String, Value>>,
    /// Restricts the account to these actions; left out, every action.
    #[serde(default)]
    allowed_actions: Option<Vec<String>>,
}

/// Link an account from your backend
///
/// Our addition to StackOne's API: links a Front account with its API token, without the
/// Hub. The token is checked with Front (`GET /me`) before anything is saved. Linking the same
/// owner again relinks that account (200) instead of creating one (201).
#[utoipa::path(
    post,
    path = "/accounts",
    operation_id = "create_account",
    tag = "Accounts",
    security(("api_key" = [])),
    request_body = CreateAccount,
    responses(
        (status = 201, description = "Linked: a new account", body = LinkedAccount),
        (status = 200, description = "Relinked: this owner's existing account", body = LinkedAccount),
        (status = 400, description = "Invalid body, or Front rejected the token; nothing was saved", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 409, description = "The owner's account belongs to another provider", body = ErrorBody),
        (status = 502, description = "Front could not be reached to check the token; nothing was saved", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    ApiJson(body): ApiJson<CreateAccount>,
) -> Result<(StatusCode, Json<LinkedAccount>), ApiError> {
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
    Ok((status, Json(LinkedAccount::from(&linked.account))))
}

/// List linked accounts
///
/// StackOne's `GET /accounts`: a bare array of linked accounts, oldest first.
#[utoipa::path(
    get,
    path = "/accounts",
    operation_id = "stackone_list_linked_accounts",
    tag = "Accounts",
    security(("api_key" = [])),
    params(
        ("provider" = Option<String>, Query, description = "Only this provider's accounts (also `providers`, `provider[]`, comma-separated)", example = "front"),
        ("providers" = Option<String>, Query, description = "Same as `provider`"),
        ("origin_owner_id" = Option<String>, Query, description = "Only this owner's account"),
        ("status" = Option<String>, Query, description = "Only accounts in these states (`active`, `error`; comma-separated or repeated)"),
        ("page" = Option<u32>, Query, minimum = 1, description = "Page number, from 1"),
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Accounts per page (default 25)"),
    ),
    responses(
        (status = 200, description = "The accounts", body = Vec<LinkedAccount>),
        (status = 400, description = "A query parameter is invalid", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    query: QueryParams,
) -> Result<Json<Vec<LinkedAccount>>, ApiError> {
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
    Ok(Json(accounts.iter().map(LinkedAccount::from).collect()))
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

/// Get a linked account
#[utoipa::path(
    get,
    path = "/accounts/{id}",
    operation_id = "stackone_get_account",
    tag = "Accounts",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The account's id", example = "acc_4Zp0qL8sT2vX6nB1cR9e")),
    responses(
        (status = 200, description = "The account", body = LinkedAccount),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such account in this project", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn show(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<LinkedAccount>, ApiError> {
    let account = project_account(&state, &principal.project_id, &id).await?;
    Ok(Json(LinkedAccount::from(&account)))
}

/// A linked account's meta information
///
/// StackOne's `LinkedAccountMeta`: provider, category and unified models (none here).
#[utoipa::path(
    get,
    path = "/accounts/{id}/meta",
    operation_id = "stackone_get_account_meta_info",
    tag = "Accounts",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The account's id", example = "acc_4Zp0qL8sT2vX6nB1cR9e")),
    responses(
        (status = 200, description = "The account's meta information", body = LinkedAccountMeta),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such account in this project", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn meta(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<LinkedAccountMeta>, ApiError> {
    let account = project_account(&state, &principal.project_id, &id).await?;
    Ok(Json(LinkedAccountMeta::from(&account)))
}

/// `PATCH /accounts/{id}`: every field optional; `null` clears a nullable one. `credentials`
/// relinks the account first (see [`NewCredentials`]); a refusal then changes nothing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "Support inbox", "allowed_actions": null}))]
pub struct UpdateAccount {
    /// If given, the account's own provider (a provider cannot change).
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    origin_owner_id: Option<String>,
    #[serde(default)]
    origin_owner_name: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    #[schema(value_type = Option<String>)]
    origin_username: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    #[schema(value_type = Option<String>)]
    label: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    #[schema(value_type = Option<Object>)]
    metadata: Option<Option<Map<String, Value>>>,
    /// Restricts the account to these actions; null lifts the restriction.
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    #[schema(value_type = Option<Vec<String>>)]
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

/// Update a linked account
///
/// Every field is optional; `null` clears a nullable one. With `credentials` the account is
/// relinked first (its token checked with Front); a refusal then changes nothing.
#[utoipa::path(
    patch,
    path = "/accounts/{id}",
    operation_id = "stackone_update_account",
    tag = "Accounts",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The account's id", example = "acc_4Zp0qL8sT2vX6nB1cR9e")),
    request_body = UpdateAccount,
    responses(
        (status = 200, description = "The updated account", body = LinkedAccount),
        (status = 400, description = "Invalid body, or Front rejected the token; nothing changed", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such account in this project", body = ErrorBody),
        (status = 409, description = "The new owner already has an account", body = ErrorBody),
        (status = 502, description = "Front could not be reached to check the token; nothing changed", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
    ApiJson(body): ApiJson<UpdateAccount>,
) -> Result<Json<LinkedAccount>, ApiError> {
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
        return Ok(Json(LinkedAccount::from(&current)));
    }
    let account = state
        .store
        .update_account(&principal.project_id, &id, &patch)
        .await
        .map_err(|error| ApiError::from_store(error, &what))?;
    Ok(Json(LinkedAccount::from(&account)))
}

/// Delete a linked account
///
/// Removes the account and its sealed credentials; answers the account as it was.
#[utoipa::path(
    delete,
    path = "/accounts/{id}",
    operation_id = "stackone_delete_account",
    tag = "Accounts",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The account's id", example = "acc_4Zp0qL8sT2vX6nB1cR9e")),
    responses(
        (status = 200, description = "The deleted account", body = LinkedAccount),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such account in this project", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn remove(
    State(state): State<AppState>,
    Tenant(principal): Tenant,
    PathId(id): PathId,
) -> Result<Json<LinkedAccount>, ApiError> {
    let account = state
        .store
        .delete_account(&principal.project_id, &id)
        .await
        .map_err(|error| ApiError::from_store(error, &format!("account {id}")))?;
    tracing::info!(project_id = %principal.project_id, account_id = %id, "account deleted");
    Ok(Json(LinkedAccount::from(&account)))
}
