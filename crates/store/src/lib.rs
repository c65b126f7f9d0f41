//! actionhub's storage: projects (tenants), API keys, linked accounts, connect sessions, the
//! credential vault, the run log, webhooks, policies and approvals, on SQLite (the embedded
//! default) or Postgres (several hubs sharing one database).
//!
//! # One interface, two backends
//!
//! [`Store`] is a concrete type over a closed set of backends (an enum of connection pools)
//! rather than a trait object: there are exactly two databases, every query is the same SQL on
//! both (`$1` placeholders, `ON CONFLICT`, `RETURNING`; the one exception is the run log's
//! many-row INSERT, whose parameters are `?` on SQLite), and an enum keeps the API free of
//! boxed futures and lets each query be written once (see `db::on_pool!`). The backend is
//! chosen by the database URL: `sqlite://…` or `postgres://…`. Embedded migrations run when a
//! store is opened.
//!
//! # What it guarantees
//!
//! - Every tenant-facing query is scoped by project id: another project's account or session
//!   behaves exactly like a missing one ([`StoreError::NotFound`]).
//! - Credentials are sealed by the [`vault`] before they reach the database and are bound to
//!   their project, account and field; they are never part of an [`Account`].
//! - API keys and connect-session tokens are stored only as HMAC-SHA256 under a hub-wide pepper.
//!   The pepper is 32 random bytes generated once and stored sealed by the vault, so a stolen
//!   database file yields neither credentials nor anything to test guessed keys against, and
//!   `vault rotate` carries the pepper along without invalidating a single key.
//! - Webhook endpoints' signing secrets are sealed like credentials; an event is stored with
//!   its deliveries in the transaction that makes it known (a page of Front's events with the
//!   cursor past it, an account event with the account change).
//! - Policies are kept per project and per account (an account's goes with the account); the
//!   decision itself is [`decide`], a pure function, so every caller decides alike.
//! - An approval's exact input and its result are sealed like credentials (bound to the project,
//!   the approval and the field); its `approval.*` events never carry them. Every move of an
//!   approval is a compare-and-set on the status it leaves: of several deciders, on any number
//!   of hubs, exactly one wins; nothing late (past `expires_at`) is approved; a rejected or
//!   expired approval never starts running; an approved one starts once, and one left
//!   `running` by a dead hub is never started again. One call (same account and input hash) has
//!   at most one pending approval.
//! - The run log keeps what happened to each execution of an action, never its bodies or
//!   secrets; idempotency records keep a keyed request's hash and result for a day.
//!   [`Store::purge`] deletes runs past their retention (with old webhook events and settled
//!   approvals) and long-expired connect sessions.
//! - The reads of every action execution (an API key's project; an account with its opened
//!   token; the policies deciding the call), and MCP's read of the account it serves, are cached for [`CACHE_TTL`]: this process forgets
//!   an entry as soon as it changes the row, other hubs see a change within the TTL.
//! - A write either happens completely or not at all (one transaction per operation); a failed
//!   operation changes nothing.
//!
//! It must never log, format or return a secret (token, key, pepper, master key), never run a
//! tenant query without its project id, and never call out over the network.

mod accounts;
mod approvals;
mod cache;
mod db;
mod keys;
mod model;
mod policies;
mod retention;
mod rotate;
mod runs;
mod sessions;
mod sign_outs;
pub mod vault;
mod webhooks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use accounts::RunAccount;
pub use approvals::{
    APPROVAL_EVENT_PREFIX, Approval, ApprovalFilter, ApprovalRequest, ApprovalResult,
    ApprovalStatus, ApprovalVerdict, MAX_APPROVALS_LISTED, MAX_RESULT_BODY_BYTES, NewApproval,
    approval_input_hash,
};
pub use cache::TTL as CACHE_TTL;
pub use db::{Backend, backend_of, sqlite_file, sqlite_holds_sealed_data};
pub use model::{
    Account, AccountFilter, AccountPatch, ApiKey, ConnectSession, LinkTarget, NewAccount,
    NewSession, Principal, Project, RotationReport, Status, StatusReason, Timestamp,
};
pub use policies::{
    ActionFacts, DecidingRule, Decision, Hint, MAX_POLICY_RULES, Policies, Policy, PolicyLevel,
    PolicyParseError, PolicyRule, Selector, Verdict, decide,
};
pub use retention::Purged;
pub use runs::{IdempotencyBegin, Run, RunFilter, new_run_id};
pub use vault::{Keyring, VaultError};
pub use webhooks::{
    ACCOUNT_EVENT_PREFIX, AttemptOutcome, AttemptRecord, Delivery, DueDelivery, Endpoint,
    EndpointPatch, FRONT_EVENT_PREFIX, FrontEvent, MAX_DELIVERIES_LISTED, NewEndpoint,
    StreamPosition, event_type_matches,
};

use db::Db;
use keys::Pepper;

/// What went wrong in the store. Messages never contain secrets or SQL parameters.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL: {0}")]
    BadUrl(String),
    #[error("cannot create the database directory: {0}")]
    CreateDir(#[source] std::io::Error),
    #[error("cannot create the database file: {0}")]
    CreateFile(#[source] std::io::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("not found")]
    NotFound,
    #[error("another account of this project already has this origin_owner_id and provider")]
    OwnerTaken,
    #[error("unknown connect session token")]
    SessionUnknown,
    #[error("the connect session has expired")]
    SessionExpired,
    #[error("the connect session has already been used to link an account")]
    SessionSpent,
    #[error("invalid API key")]
    InvalidApiKey,
    #[error("the API key has been revoked")]
    RevokedApiKey,
    #[error("stored data is not in the expected shape: {0}")]
    Corrupt(String),
    #[error("the operating system's random number generator failed")]
    Entropy,
    /// A policy that cannot be stored (the message names the rule at fault).
    #[error(transparent)]
    Policy(#[from] PolicyParseError),
    /// A decision came after another: the approval is no longer pending.
    #[error("the approval is already {0}")]
    ApprovalDecided(ApprovalStatus),
    /// A decision came after the approval's expiry.
    #[error("the approval has expired")]
    ApprovalExpired,
    /// An approval was not in the state a step needs (it runs only once approved, and is
    /// finished only while running).
    #[error("the approval is {status}, not {expected}")]
    ApprovalState {
        status: ApprovalStatus,
        expected: ApprovalStatus,
    },
    /// Another hub took over the event stream this hub was following.
    #[error("another hub now follows this event stream")]
    LeaseLost,
}

/// The hub's storage. Cheap to clone: clones share the pool, keyring and pepper.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    keyring: Keyring,
    pepper: Pepper,
    /// API key hash → who it speaks for (see [`cache`]).
    principals: cache::TtlCache<Vec<u8>, Principal>,
    /// `project \0 account \0` → the account, as MCP reads it for every call.
    accounts: cache::TtlCache<String, Arc<Account>>,
    /// `project \0 account \0 field` → what running an action needs, token opened.
    run_accounts: cache::TtlCache<String, std::sync::Arc<RunAccount>>,
    /// `project \0 account \0` (no account: `project \0 \0`) → the policies deciding its
    /// calls.
    policies: cache::TtlCache<String, Arc<Policies>>,
    /// When this process last wrote each API key's `last_used_at` (see `authenticate`).
    last_used_written: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("keyring", &self.inner.keyring)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`), applies migrations and loads (or,
    /// on first use, creates) the sealed pepper. Fails if the keyring cannot open what the
    /// database already holds, so a wrong key is noticed at start-up, not at first use.
    pub async fn open(url: &str, keyring: Keyring) -> Result<Store, StoreError> {
        let db = Db::connect(url).await?;
        db.migrate().await?;
        let pepper = keys::load_pepper(&db, &keyring).await?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                keyring,
                pepper,
                principals: cache::TtlCache::new(),
                accounts: cache::TtlCache::new(),
                run_accounts: cache::TtlCache::new(),
                policies: cache::TtlCache::new(),
                last_used_written: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.db.backend()
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        db::on_pool!(self.db(), pool => sqlx::query("SELECT 1").execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.inner.db.close().await;
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    /// Forgets cached reads of an account (with its policy) after this process changed it.
    pub(crate) fn forget_account(&self, project_id: &str, account_id: &str) {
        let prefix = format!("{project_id}\0{account_id}\0");
        self.inner.accounts.retain(|key| !key.starts_with(&prefix));
        self.inner
            .run_accounts
            .retain(|key| !key.starts_with(&prefix));
        self.inner.policies.retain(|key| !key.starts_with(&prefix));
    }
}
