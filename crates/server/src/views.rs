//! The JSON shapes of responses: StackOne's `LinkedAccount` and `ConnectSession`, plus our
//! additions. No view has a place for a credential.

use actionhub_catalog::Catalog;
use actionhub_store::{Account, ConnectSession};
use serde_json::{Value, json};

/// StackOne's `LinkedAccount`, plus `allowed_actions` (null: every action) and
/// `provider_account` (the Front company the token belongs to, from `GET /me`).
pub fn account(account: &Account) -> Value {
    json!({
        "id": account.id,
        "provider": account.provider,
        "provider_name": provider_name(&account.provider),
        "status": account.status,
        "status_reasons": account.status_reasons,
        "origin_owner_id": account.origin_owner_id,
        "origin_owner_name": account.origin_owner_name,
        "origin_username": account.origin_username,
        "label": account.label,
        "metadata": account.metadata,
        "allowed_actions": account.allowed_actions,
        "provider_account": {
            "id": account.provider_account_id,
            "name": account.provider_account_name,
        },
        "setup_information": {},
        "shared": false,
        "type": "production",
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    })
}

/// StackOne's category of the one provider this hub has (Front is a ticketing system).
const CATEGORY: &str = "ticketing";
const CATEGORIES: [&str; 1] = [CATEGORY];

/// StackOne's `LinkedAccountMeta`. `models` lists StackOne's unified-API models the account
/// offers: none here, since this hub runs Front's own actions, not a unified model.
pub fn account_meta(account: &Account) -> Value {
    json!({
        "provider": account.provider,
        "category": CATEGORY,
        "models": {},
    })
}

/// The `organization_id` of every session: a hub is one organization. StackOne's clients
/// require a number there (`@stackone/stackone-client-ts` refuses `null`).
const ORGANIZATION_ID: u32 = 1;

/// StackOne's `ConnectSession` (the answer of `/connect_sessions/authenticate`), plus
/// `actions`, `redirect_url`, `expires_at` and `used_at`.
pub fn session(session: &ConnectSession) -> Value {
    json!({
        "id": session.id,
        "organization_id": ORGANIZATION_ID,
        "project_id": session.project_id,
        "origin_owner_id": session.origin_owner_id,
        "origin_owner_name": session.origin_owner_name,
        "origin_username": session.origin_username,
        "provider": session.provider,
        "categories": CATEGORIES,
        "account_id": session.account_id,
        "label": session.label,
        "metadata": session.metadata.clone().unwrap_or_default(),
        "type": "production",
        "integration_id": null,
        "actions": session.actions,
        "redirect_url": session.redirect_url,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "used_at": session.used_at,
    })
}

fn provider_name(provider: &str) -> String {
    Catalog::builtin()
        .connector(provider)
        .map_or_else(|| provider.to_owned(), |connector| connector.name.clone())
}
