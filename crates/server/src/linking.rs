//! Linking an account: the one path by which a credential enters the hub.
//!
//! The command line (`accounts link`), the platform API (`POST /accounts`) and the Hub
//! (`POST /hub/accounts`) all call [`link_account`]. It checks the request against the
//! catalogue, asks Front who the token belongs to, and saves only when Front said yes, recording
//! the Front company as the account's identity. A token Front rejects, an unreachable Front or a
//! malformed token saves nothing.

use actionhub_catalog::{Catalog, Connector, UnknownAction};
use actionhub_engine::{FrontClient, VerifyError};
use actionhub_store::{Account, LinkTarget, NewAccount, Store, StoreError};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

/// Longest owner id, owner name, username or label accepted.
pub const MAX_TEXT_LEN: usize = 255;

/// A request to link (or relink) an account.
#[derive(Debug)]
pub struct LinkRequest {
    pub provider: String,
    /// The credential the end user pasted (Front: the API token).
    pub token: SecretString,
    /// The developer's customer who owns the account; `None` makes the Front company itself the
    /// owner (the command line's default), so relinking a token of the same company updates
    /// the same account.
    pub owner: Option<Owner>,
    pub origin_username: Option<String>,
    pub label: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    /// Restricts the account to these actions; `None` keeps what it had (all, when new).
    pub allowed_actions: Option<Vec<String>>,
    pub target: LinkTarget,
    /// The connect session being spent, when the Hub links.
    pub session_id: Option<i64>,
}

/// StackOne's `origin_owner_id` / `origin_owner_name`.
#[derive(Debug, Clone)]
pub struct Owner {
    pub id: String,
    pub name: String,
}

/// The outcome of a linking.
#[derive(Debug)]
pub struct Linked {
    pub account: Account,
    /// False when an existing account was updated (same owner + provider, or edit mode).
    pub created: bool,
}

/// Why a linking failed. Nothing was saved in any case.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The name given is not repeated: a token pasted into the wrong field must not be echoed.
    #[error("unknown provider; this hub supports: front")]
    UnknownProvider,
    #[error(transparent)]
    UnknownAction(#[from] UnknownAction),
    #[error("`{field}` {problem}")]
    Invalid {
        field: &'static str,
        problem: &'static str,
    },
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The connector of `provider`, or the error naming the providers there are.
pub fn connector(provider: &str) -> Result<&'static Connector, LinkError> {
    Catalog::builtin()
        .connector(provider)
        .ok_or(LinkError::UnknownProvider)
}

/// Checks a required short text field: present after trimming and at most [`MAX_TEXT_LEN`].
pub fn required_text(field: &'static str, value: &str) -> Result<String, LinkError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(LinkError::Invalid {
            field,
            problem: "must not be empty",
        });
    }
    optional_text(field, Some(value)).map(|v| v.unwrap_or_default())
}

/// Checks an optional short text field's length.
pub fn optional_text(
    field: &'static str,
    value: Option<&str>,
) -> Result<Option<String>, LinkError> {
    match value {
        Some(value) if value.chars().count() > MAX_TEXT_LEN => Err(LinkError::Invalid {
            field,
            problem: "must be at most 255 characters",
        }),
        other => Ok(other.map(str::to_owned)),
    }
}

/// Resolves action ids against the provider's catalogue: unknown ids fail with suggestions;
/// the result is in catalogue order without repeats.
pub fn allowed_actions(connector: &Connector, ids: &[String]) -> Result<Vec<String>, LinkError> {
    if ids.is_empty() {
        return Err(LinkError::Invalid {
            field: "allowed_actions",
            problem: "must name at least one action (leave it out to allow every action)",
        });
    }
    Ok(connector
        .select(ids)?
        .into_iter()
        .map(|action| action.id.clone())
        .collect())
}

/// The token to relink `account_id` with: the one given, else the one saved, which the
/// relinking then checks with Front again (StackOne's Hub edit mode sends no token when the
/// end user keeps the saved one).
pub async fn relink_token(
    store: &Store,
    project_id: &str,
    account_id: &str,
    provider: &str,
    given: Option<SecretString>,
) -> Result<SecretString, LinkError> {
    if let Some(token) = given {
        return Ok(token);
    }
    let field = &connector(provider)?.credential.key;
    store
        .account_for_run(project_id, account_id, field)
        .await?
        .credential
        .clone()
        .ok_or(LinkError::Invalid {
            field: "credentials.api_token",
            problem: "is required: this account has no saved token to keep",
        })
}

/// Verifies the token with Front, then saves the account and its sealed credential.
pub async fn link_account(
    store: &Store,
    front: &FrontClient,
    project_id: &str,
    request: LinkRequest,
) -> Result<Linked, LinkError> {
    let connector = connector(&request.provider)?;
    let owner = request
        .owner
        .map(|owner| {
            Ok::<_, LinkError>(Owner {
                id: required_text("origin_owner_id", &owner.id)?,
                name: required_text("origin_owner_name", &owner.name)?,
            })
        })
        .transpose()?;
    let origin_username = optional_text("origin_username", request.origin_username.as_deref())?;
    let label = optional_text("label", request.label.as_deref())?;
    let allowed = request
        .allowed_actions
        .as_deref()
        .map(|ids| allowed_actions(connector, ids))
        .transpose()?;
    // Pasted tokens often carry a trailing newline or spaces; they are never part of a token.
    let token = SecretString::from(request.token.expose_secret().trim());
    let identity = front.verify_token(&token).await?;
    let owner = owner.unwrap_or_else(|| Owner {
        id: identity.company_id.clone(),
        name: identity.company_name.clone(),
    });
    let new = NewAccount {
        provider: connector.key.clone(),
        origin_owner_id: owner.id,
        origin_owner_name: owner.name,
        origin_username,
        label,
        metadata: request.metadata,
        allowed_actions: allowed,
        provider_account_id: identity.company_id,
        provider_account_name: identity.company_name,
        credentials: vec![(connector.credential.key.clone(), token)],
        target: request.target,
        session_id: request.session_id,
    };
    let (account, created) = store.save_account(project_id, new).await?;
    tracing::info!(
        project_id,
        account_id = %account.id,
        company_id = %account.provider_account_id,
        created,
        "account linked"
    );
    Ok(Linked { account, created })
}
