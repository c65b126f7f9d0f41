//! Linked accounts and their sealed credentials.

use std::fmt::Write as _;

use secrecy::{ExposeSecret, SecretString};

use crate::db::{from_row, on_pool};
use crate::model::{
    Account, AccountFilter, AccountPatch, LinkTarget, NewAccount, Status, Timestamp, random_base62,
};
use crate::vault::{Binding, Sealed};
use crate::webhooks::record_account_event;
use crate::{Store, StoreError};

const ACCOUNT_COLUMNS: &str = "id, project_id, provider, origin_owner_id, origin_owner_name, \
     origin_username, label, metadata, allowed_actions, status, status_reasons, \
     provider_account_id, provider_account_name, created_at, updated_at";

#[derive(Debug)]
struct AccountRow {
    id: String,
    project_id: String,
    provider: String,
    origin_owner_id: String,
    origin_owner_name: String,
    origin_username: Option<String>,
    label: Option<String>,
    metadata: Option<String>,
    allowed_actions: Option<String>,
    status: String,
    status_reasons: String,
    provider_account_id: String,
    provider_account_name: String,
    created_at: i64,
    updated_at: i64,
}
from_row!(AccountRow {
    id,
    project_id,
    provider,
    origin_owner_id,
    origin_owner_name,
    origin_username,
    label,
    metadata,
    allowed_actions,
    status,
    status_reasons,
    provider_account_id,
    provider_account_name,
    created_at,
    updated_at
});

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Account, StoreError> {
        let status = Status::parse(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("account status `{}`", row.status)))?;
        Ok(Account {
            metadata: parse_json_opt(row.metadata.as_deref(), "metadata")?,
            allowed_actions: parse_json_opt(row.allowed_actions.as_deref(), "allowed_actions")?,
            status_reasons: parse_json(&row.status_reasons, "status_reasons")?,
            id: row.id,
            project_id: row.project_id,
            provider: row.provider,
            origin_owner_id: row.origin_owner_id,
            origin_owner_name: row.origin_owner_name,
            origin_username: row.origin_username,
            label: row.label,
            status,
            provider_account_id: row.provider_account_id,
            provider_account_name: row.provider_account_name,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    text: &str,
    column: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt(format!("column {column}")))
}

pub(crate) fn parse_json_opt<T: serde::de::DeserializeOwned>(
    text: Option<&str>,
    column: &str,
) -> Result<Option<T>, StoreError> {
    text.map(|text| parse_json(text, column)).transpose()
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Maps of JSON values and lists of strings always serialise.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

pub(crate) fn to_json_opt<T: serde::Serialize>(value: Option<&T>) -> Option<String> {
    value.map(to_json)
}

pub(crate) fn credential_binding<'a>(
    project_id: &'a str,
    account_id: &'a str,
    field: &'a str,
) -> Binding<'a> {
    Binding {
        scope: project_id,
        record: account_id,
        field,
    }
}

#[derive(Debug)]
struct SessionStateRow {
    used_at: Option<i64>,
}
from_row!(SessionStateRow { used_at });

impl Store {
    /// Saves a verified linking in one transaction: spends the connect session if there is one,
    /// creates or updates the account (by owner + provider, or by id in edit mode), and seals
    /// and stores its credentials. Nothing is written unless all of it succeeds. Returns the
    /// account and whether it was created (rather than updated).
    pub async fn save_account(
        &self,
        project_id: &str,
        new: NewAccount,
    ) -> Result<(Account, bool), StoreError> {
        let now = Timestamp::now().millis();
        let metadata = to_json_opt(new.metadata.as_ref());
        let allowed = to_json_opt(new.allowed_actions.as_ref());
        let fresh_id = format!("acc_{}", random_base62(20)?);
        let keyring = &self.inner.keyring;
        let select =
            format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1 AND project_id = $2");
        let account_id: String = on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            if let Some(session_id) = new.session_id {
                // Spend first: the first statement of the transaction is a write, which takes
                // SQLite's write lock at once instead of failing to upgrade a read later.
                let spent = sqlx::query(
                    "UPDATE connect_sessions SET used_at = $1 \
                     WHERE id = $2 AND project_id = $3 AND used_at IS NULL AND expires_at > $1",
                )
                .bind(now)
                .bind(session_id)
                .bind(project_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if spent == 0 {
                    let state: Option<SessionStateRow> = sqlx::query_as(
                        "SELECT used_at FROM connect_sessions WHERE id = $1 AND project_id = $2",
                    )
                    .bind(session_id)
                    .bind(project_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    return Err(match state {
                        None => StoreError::SessionUnknown,
                        Some(state) if state.used_at.is_some() => StoreError::SessionSpent,
                        Some(_) => StoreError::SessionExpired,
                    });
                }
            }
            let id: Option<String> = match &new.target {
                LinkTarget::Owner => sqlx::query_scalar(
                    "INSERT INTO accounts (id, project_id, provider, origin_owner_id, \
                       origin_owner_name, origin_username, label, metadata, allowed_actions, \
                       status, status_reasons, provider_account_id, provider_account_name, \
                       created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', '[]', $10, $11, $12, $12) \
                     ON CONFLICT (project_id, provider, origin_owner_id) DO UPDATE SET \
                       origin_owner_name = excluded.origin_owner_name, \
                       origin_username = COALESCE(excluded.origin_username, accounts.origin_username), \
                       label = COALESCE(excluded.label, accounts.label), \
                       metadata = COALESCE(excluded.metadata, accounts.metadata), \
                       allowed_actions = COALESCE(excluded.allowed_actions, accounts.allowed_actions), \
                       status = 'active', status_reasons = '[]', \
                       provider_account_id = excluded.provider_account_id, \
                       provider_account_name = excluded.provider_account_name, \
                       updated_at = excluded.updated_at \
                     RETURNING id",
                )
                .bind(&fresh_id)
                .bind(project_id)
                .bind(&new.provider)
                .bind(&new.origin_owner_id)
                .bind(&new.origin_owner_name)
                .bind(&new.origin_username)
                .bind(&new.label)
                .bind(&metadata)
                .bind(&allowed)
                .bind(&new.provider_account_id)
                .bind(&new.provider_account_name)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?,
                LinkTarget::Account(id) => sqlx::query_scalar(
                    "UPDATE accounts SET \
                       origin_username = COALESCE($1, origin_username), \
                       label = COALESCE($2, label), \
                       metadata = COALESCE($3, metadata), \
                       allowed_actions = COALESCE($4, allowed_actions), \
                       status = 'active', status_reasons = '[]', \
                       provider_account_id = $5, provider_account_name = $6, updated_at = $7 \
                     WHERE id = $8 AND project_id = $9 AND provider = $10 \
                     RETURNING id",
                )
                .bind(&new.origin_username)
                .bind(&new.label)
                .bind(&metadata)
                .bind(&allowed)
                .bind(&new.provider_account_id)
                .bind(&new.provider_account_name)
                .bind(now)
                .bind(id)
                .bind(project_id)
                .bind(&new.provider)
                .fetch_optional(&mut *tx)
                .await?,
            };
            let Some(id) = id else {
                return Err(StoreError::NotFound);
            };
            for (field, secret) in &new.credentials {
                let sealed = keyring.seal(
                    credential_binding(project_id, &id, field),
                    secret.expose_secret().as_bytes(),
                )?;
                sqlx::query(
                    "INSERT INTO credentials (account_id, field, project_id, key_version, sealed) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (account_id, field) DO UPDATE SET \
                       project_id = excluded.project_id, key_version = excluded.key_version, \
                       sealed = excluded.sealed",
                )
                .bind(&id)
                .bind(field)
                .bind(project_id)
                .bind(i64::from(sealed.key_version))
                .bind(sealed.bytes)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(session_id) = new.session_id {
                sqlx::query("UPDATE connect_sessions SET linked_account_id = $1 WHERE id = $2")
                    .bind(&id)
                    .bind(session_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let row: AccountRow = sqlx::query_as(&select)
                .bind(&id)
                .bind(project_id)
                .fetch_one(&mut *tx)
                .await?;
            // The company's events are followed from now on if the project has endpoints (a
            // company already followed keeps its position).
            sqlx::query(
                "INSERT INTO event_streams (company_id, cursor_at, boundary_ids, lease_holder, \
                   lease_until, updated_at) \
                 SELECT $1, $2, '[]', NULL, 0, $3 WHERE EXISTS \
                   (SELECT 1 FROM webhook_endpoints WHERE project_id = $4) \
                 ON CONFLICT (company_id) DO NOTHING",
            )
            .bind(&new.provider_account_id)
            .bind(now as f64 / 1000.0)
            .bind(now)
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
            let kind = if id == fresh_id { "created" } else { "updated" };
            record_account_event!(tx, &Account::try_from(row)?, kind, now);
            tx.commit().await?;
            id
        });
        self.forget_account(project_id, &account_id);
        // The upsert returns the id it generated only when it inserted a row.
        let created = account_id == fresh_id;
        Ok((self.account(project_id, &account_id).await?, created))
    }

    /// One account of a project.
    pub async fn account(&self, project_id: &str, id: &str) -> Result<Account, StoreError> {
        let sql =
            format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1 AND project_id = $2");
        let row: Option<AccountRow> = on_pool!(self.db(), pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(project_id)
            .fetch_optional(pool)
            .await?);
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// One account of a project, as read within the last [`crate::CACHE_TTL`]: MCP reads the
    /// account it serves on every request, like the reads of an execution
    /// ([`Store::account_for_run`]) and cached the same way.
    pub async fn account_for_calls(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<std::sync::Arc<Account>, StoreError> {
        let key = format!("{project_id}\0{id}\0");
        if let Some(cached) = self.inner.accounts.get(key.as_str()) {
            return Ok(cached);
        }
        let account = std::sync::Arc::new(self.account(project_id, id).await?);
        self.inner.accounts.insert(key, account.clone());
        Ok(account)
    }

    /// A page of a project's accounts, oldest first.
    pub async fn list_accounts(
        &self,
        project_id: &str,
        filter: &AccountFilter,
    ) -> Result<Vec<Account>, StoreError> {
        let mut sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE project_id = $1");
        let mut n = 1;
        let mut placeholders = |count: usize| {
            let list: Vec<String> = (0..count)
                .map(|_| {
                    n += 1;
                    format!("${n}")
                })
                .collect();
            list.join(", ")
        };
        if !filter.providers.is_empty() {
            let _ = write!(
                sql,
                " AND provider IN ({})",
                placeholders(filter.providers.len())
            );
        }
        if filter.origin_owner_id.is_some() {
            let _ = write!(sql, " AND origin_owner_id = {}", placeholders(1));
        }
        if !filter.statuses.is_empty() {
            let _ = write!(
                sql,
                " AND status IN ({})",
                placeholders(filter.statuses.len())
            );
        }
        let _ = write!(
            sql,
            " ORDER BY created_at, id LIMIT {} OFFSET {}",
            placeholders(1),
            placeholders(1)
        );
        let limit = i64::from(filter.page_size);
        let offset = i64::from(filter.page.saturating_sub(1)) * limit;
        let rows: Vec<AccountRow> = on_pool!(self.db(), pool => {
            let mut query = sqlx::query_as(&sql).bind(project_id);
            for provider in &filter.providers {
                query = query.bind(provider);
            }
            if let Some(owner) = &filter.origin_owner_id {
                query = query.bind(owner);
            }
            for status in &filter.statuses {
                query = query.bind(status.as_str());
            }
            query.bind(limit).bind(offset).fetch_all(pool).await?
        });
        rows.into_iter().map(Account::try_from).collect()
    }

    /// Changes an account's descriptive fields (not its credentials: those change only through
    /// a verified linking).
    pub async fn update_account(
        &self,
        project_id: &str,
        id: &str,
        patch: &AccountPatch,
    ) -> Result<Account, StoreError> {
        let now = Timestamp::now().millis();
        let select =
            format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1 AND project_id = $2");
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            // Touch first: it locks the row (and SQLite's writer slot) before the read below,
            // so two concurrent patches apply one after the other.
            let touched = sqlx::query(
                "UPDATE accounts SET updated_at = $1 WHERE id = $2 AND project_id = $3",
            )
            .bind(now)
            .bind(id)
            .bind(project_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if touched == 0 {
                return Err(StoreError::NotFound);
            }
            let row: AccountRow = sqlx::query_as(&select)
                .bind(id)
                .bind(project_id)
                .fetch_one(&mut *tx)
                .await?;
            let current = Account::try_from(row)?;
            let owner_id = patch.origin_owner_id.clone().unwrap_or(current.origin_owner_id);
            let owner_name = patch.origin_owner_name.clone().unwrap_or(current.origin_owner_name);
            let username = patch.origin_username.clone().unwrap_or(current.origin_username);
            let label = patch.label.clone().unwrap_or(current.label);
            let metadata = patch.metadata.clone().unwrap_or(current.metadata);
            let allowed = patch.allowed_actions.clone().unwrap_or(current.allowed_actions);
            let result = sqlx::query(
                "UPDATE accounts SET origin_owner_id = $1, origin_owner_name = $2, \
                   origin_username = $3, label = $4, metadata = $5, allowed_actions = $6 \
                 WHERE id = $7 AND project_id = $8",
            )
            .bind(owner_id)
            .bind(owner_name)
            .bind(username)
            .bind(label)
            .bind(to_json_opt(metadata.as_ref()))
            .bind(to_json_opt(allowed.as_ref()))
            .bind(id)
            .bind(project_id)
            .execute(&mut *tx)
            .await;
            match result {
                Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                    return Err(StoreError::OwnerTaken);
                }
                other => other?,
            };
            let row: AccountRow = sqlx::query_as(&select)
                .bind(id)
                .bind(project_id)
                .fetch_one(&mut *tx)
                .await?;
            record_account_event!(tx, &Account::try_from(row)?, "updated", now);
            tx.commit().await?;
        });
        self.forget_account(project_id, id);
        self.account(project_id, id).await
    }

    /// Deletes an account and its credentials; returns what was deleted.
    pub async fn delete_account(&self, project_id: &str, id: &str) -> Result<Account, StoreError> {
        let sql = format!(
            "DELETE FROM accounts WHERE id = $1 AND project_id = $2 RETURNING {ACCOUNT_COLUMNS}"
        );
        let now = Timestamp::now().millis();
        // Credentials go with the account through ON DELETE CASCADE, in the same statement;
        // the `account.deleted` event is queued in the same transaction, while the account's
        // endpoints can still be matched to it.
        let account = on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            let row: Option<AccountRow> = sqlx::query_as(&sql)
                .bind(id)
                .bind(project_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Err(StoreError::NotFound);
            };
            let account = Account::try_from(row)?;
            record_account_event!(tx, &account, "deleted", now);
            tx.commit().await?;
            account
        });
        self.forget_account(project_id, id);
        Ok(account)
    }

    /// Opens one credential field of an account (for the engine, to call the provider).
    pub async fn account_credential(
        &self,
        project_id: &str,
        account_id: &str,
        field: &str,
    ) -> Result<SecretString, StoreError> {
        let row: Option<crate::keys::SealedRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT key_version, sealed FROM credentials \
             WHERE account_id = $1 AND project_id = $2 AND field = $3",
        )
        .bind(account_id)
        .bind(project_id)
        .bind(field)
        .fetch_optional(pool)
        .await?);
        let sealed: Sealed = row.ok_or(StoreError::NotFound)?.to_sealed()?;
        let plaintext = self
            .inner
            .keyring
            .open(credential_binding(project_id, account_id, field), &sealed)?;
        let text = String::from_utf8(plaintext)
            .map_err(|_| StoreError::Corrupt("a credential is not UTF-8".to_owned()))?;
        Ok(SecretString::from(text))
    }
}

/// What running an action needs of an account, read in one query.
#[derive(Debug)]
pub struct RunAccount {
    pub provider: String,
    pub status: Status,
    /// `None`: every action of the provider.
    pub allowed_actions: Option<Vec<String>>,
    /// The provider-side tenant (Front company) whose rate budget the account shares.
    pub provider_account_id: String,
    /// The opened credential field; `None` if the account has none under that name.
    pub credential: Option<SecretString>,
}

#[derive(Debug)]
struct RunAccountRow {
    provider: String,
    status: String,
    allowed_actions: Option<String>,
    provider_account_id: String,
    key_version: Option<i64>,
    sealed: Option<Vec<u8>>,
}
from_row!(RunAccountRow {
    provider,
    status,
    allowed_actions,
    provider_account_id,
    key_version,
    sealed
});

impl Store {
    /// An account's state, permissions, company and opened credential `field`, in one query:
    /// what every execution reads first.
    pub async fn account_for_run(
        &self,
        project_id: &str,
        account_id: &str,
        field: &str,
    ) -> Result<std::sync::Arc<RunAccount>, StoreError> {
        let key = format!("{project_id}\0{account_id}\0{field}");
        if let Some(cached) = self.inner.run_accounts.get(key.as_str()) {
            return Ok(cached);
        }
        let row: Option<RunAccountRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT a.provider, a.status, a.allowed_actions, a.provider_account_id, \
               c.key_version, c.sealed \
             FROM accounts a LEFT JOIN credentials c \
               ON c.account_id = a.id AND c.project_id = a.project_id AND c.field = $3 \
             WHERE a.id = $1 AND a.project_id = $2",
        )
        .bind(account_id)
        .bind(project_id)
        .bind(field)
        .fetch_optional(pool)
        .await?);
        let row = row.ok_or(StoreError::NotFound)?;
        let credential = match (row.key_version, row.sealed) {
            (Some(key_version), Some(sealed)) => {
                let sealed = crate::keys::SealedRow {
                    key_version,
                    sealed,
                }
                .to_sealed()?;
                let plaintext = self
                    .inner
                    .keyring
                    .open(credential_binding(project_id, account_id, field), &sealed)?;
                let text = String::from_utf8(plaintext)
                    .map_err(|_| StoreError::Corrupt("a credential is not UTF-8".to_owned()))?;
                Some(SecretString::from(text))
            }
            _ => None,
        };
        let account = std::sync::Arc::new(RunAccount {
            status: Status::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("account status `{}`", row.status)))?,
            allowed_actions: parse_json_opt(row.allowed_actions.as_deref(), "allowed_actions")?,
            provider: row.provider,
            provider_account_id: row.provider_account_id,
            credential,
        });
        self.inner.run_accounts.insert(key, account.clone());
        Ok(account)
    }

    /// Puts an account in `error` with one reason (e.g. Front refused its token), until it is
    /// linked again.
    pub async fn mark_account_error(
        &self,
        project_id: &str,
        account_id: &str,
        code: &str,
        description: &str,
    ) -> Result<(), StoreError> {
        let now = Timestamp::now();
        let reasons = to_json(&vec![crate::model::StatusReason {
            code: code.to_owned(),
            description: description.to_owned(),
            timestamp: now.to_string(),
        }]);
        let select =
            format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1 AND project_id = $2");
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            let previous: Option<String> = sqlx::query_scalar(
                "UPDATE accounts SET updated_at = $1 WHERE id = $2 AND project_id = $3 \
                 RETURNING status",
            )
            .bind(now.millis())
            .bind(account_id)
            .bind(project_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(previous) = previous else {
                return Err(StoreError::NotFound);
            };
            sqlx::query(
                "UPDATE accounts SET status = 'error', status_reasons = $1 \
                 WHERE id = $2 AND project_id = $3",
            )
            .bind(reasons)
            .bind(account_id)
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
            // Told once, when the account goes from active to error, not on every refusal.
            if previous == Status::Active.as_str() {
                let row: AccountRow = sqlx::query_as(&select)
                    .bind(account_id)
                    .bind(project_id)
                    .fetch_one(&mut *tx)
                    .await?;
                record_account_event!(tx, &Account::try_from(row)?, "error", now.millis());
            }
            tx.commit().await?;
        });
        self.forget_account(project_id, account_id);
        Ok(())
    }
}
