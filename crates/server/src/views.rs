//! The JSON shapes of responses: StackOne's `LinkedAccount` and `ConnectSession`, plus our
//! additions. No view has a place for a credential. Each is the type that is serialized, so
//! its schema in the OpenAPI document is what callers receive.

use actionhub_catalog::Catalog;
use actionhub_store::{Account, ConnectSession, Status, StatusReason, Timestamp};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// StackOne's `LinkedAccount`, plus `allowed_actions` (null: every action) and
/// `provider_account` (the Front company the token belongs to, from `GET /me`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedAccount {
    #[schema(example = "acc_4Zp0qL8sT2vX6nB1cR9e")]
    pub id: String,
    #[schema(example = "front")]
    pub provider: String,
    #[schema(example = "Front")]
    pub provider_name: String,
    pub status: Status,
    /// Why the account is not `active` (e.g. Front rejected its token).
    pub status_reasons: Vec<StatusReason>,
    /// Your identifier for the account's owner (one account per owner and provider).
    #[schema(example = "customer-42")]
    pub origin_owner_id: String,
    #[schema(example = "Acme Inc.")]
    pub origin_owner_name: String,
    pub origin_username: Option<String>,
    pub label: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    /// The actions the account may run; null: every action.
    #[schema(example = json!(["front_list_conversations", "front_get_conversation"]))]
    pub allowed_actions: Option<Vec<String>>,
    pub provider_account: ProviderAccount,
    /// Always empty: an API token needs no setup information.
    #[schema(value_type = Object)]
    pub setup_information: Map<String, Value>,
    pub shared: bool,
    #[serde(rename = "type")]
    #[schema(example = "production")]
    pub account_type: &'static str,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The provider-side tenant a linked token belongs to (for Front: the company).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderAccount {
    #[schema(example = "cmp_3f9a")]
    pub id: String,
    #[schema(example = "Acme Support")]
    pub name: String,
}

impl From<&Account> for LinkedAccount {
    fn from(account: &Account) -> LinkedAccount {
        LinkedAccount {
            id: account.id.clone(),
            provider: account.provider.clone(),
            provider_name: provider_name(&account.provider),
            status: account.status,
            status_reasons: account.status_reasons.clone(),
            origin_owner_id: account.origin_owner_id.clone(),
            origin_owner_name: account.origin_owner_name.clone(),
            origin_username: account.origin_username.clone(),
            label: account.label.clone(),
            metadata: account.metadata.clone(),
            allowed_actions: account.allowed_actions.clone(),
            provider_account: ProviderAccount {
                id: account.provider_account_id.clone(),
                name: account.provider_account_name.clone(),
            },
            setup_information: Map::new(),
            shared: false,
            account_type: ACCOUNT_TYPE,
            created_at: account.created_at,
            updated_at: account.updated_at,
        }
    }
}

/// Every account of this hub is a production one (StackOne also has `test`).
const ACCOUNT_TYPE: &str = "production";

/// StackOne's category of the one provider this hub has (Front is a ticketing system).
const CATEGORY: &str = "ticketing";

/// StackOne's `LinkedAccountMeta`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedAccountMeta {
    #[schema(example = "front")]
    pub provider: String,
    #[schema(example = "ticketing")]
    pub category: &'static str,
    /// StackOne's unified-API models the account offers: none here, since this hub runs
    /// Front's own actions, not a unified model.
    #[schema(value_type = Object)]
    pub models: Map<String, Value>,
}

impl From<&Account> for LinkedAccountMeta {
    fn from(account: &Account) -> LinkedAccountMeta {
        LinkedAccountMeta {
            provider: account.provider.clone(),
            category: CATEGORY,
            models: Map::new(),
        }
    }
}

/// The `organization_id` of every session: a hub is one organization. StackOne's clients
/// require a number there (`@stackone/stackone-client-ts` refuses `null`).
const ORGANIZATION_ID: u32 = 1;

/// StackOne's `ConnectSession` (the answer of `/connect_sessions/authenticate`), plus
/// `actions`, `redirect_url`, `expires_at` and `used_at`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectSessionView {
    #[schema(example = 17)]
    pub id: i64,
    /// Always 1: a hub is one organization.
    #[schema(example = 1)]
    pub organization_id: u32,
    pub project_id: String,
    #[schema(example = "customer-42")]
    pub origin_owner_id: String,
    #[schema(example = "Acme Inc.")]
    pub origin_owner_name: String,
    pub origin_username: Option<String>,
    #[schema(example = "front")]
    pub provider: Option<String>,
    #[schema(value_type = Vec<String>, example = json!(["ticketing"]))]
    pub categories: [&'static str; 1],
    /// Edit mode: the account the session relinks.
    pub account_id: Option<String>,
    pub label: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    #[serde(rename = "type")]
    #[schema(example = "production")]
    pub account_type: &'static str,
    /// Always null: a provider has one integration here.
    #[schema(value_type = Option<String>)]
    pub integration_id: Option<()>,
    /// The actions the linked account will be allowed; null: every action.
    pub actions: Option<Vec<String>>,
    /// Where the Hub page sends the end user once linked.
    pub redirect_url: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// When an account was linked with it (a session links once).
    pub used_at: Option<Timestamp>,
}

impl From<&ConnectSession> for ConnectSessionView {
    fn from(session: &ConnectSession) -> ConnectSessionView {
        ConnectSessionView {
            id: session.id,
            organization_id: ORGANIZATION_ID,
            project_id: session.project_id.clone(),
            origin_owner_id: session.origin_owner_id.clone(),
            origin_owner_name: session.origin_owner_name.clone(),
            origin_username: session.origin_username.clone(),
            provider: session.provider.clone(),
            categories: [CATEGORY],
            account_id: session.account_id.clone(),
            label: session.label.clone(),
            metadata: session.metadata.clone().unwrap_or_default(),
            account_type: ACCOUNT_TYPE,
            integration_id: None,
            actions: session.actions.clone(),
            redirect_url: session.redirect_url.clone(),
            created_at: session.created_at,
            expires_at: session.expires_at,
            used_at: session.used_at,
        }
    }
}

fn provider_name(provider: &str) -> String {
    Catalog::builtin()
        .connector(provider)
        .map_or_else(|| provider.to_owned(), |connector| connector.name.clone())
}
