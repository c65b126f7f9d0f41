//! Connect sessions: short-lived, single-use tokens that let an end user link one account.

use secrecy::SecretString;

use crate::accounts::{parse_json_opt, to_json_opt};
use crate::db::{from_row, on_pool};
use crate::model::{ConnectSession, NewSession, Timestamp, random_base62, random_json_safe_id};
use crate::{Store, StoreError};

/// The visible start of every connect-session token.
const SESSION_TOKEN_PREFIX: &str = "ahs_";
/// Random base62 characters after the prefix: 40 × 5.95 ≈ 238 bits.
const SESSION_TOKEN_RANDOM_LEN: usize = 40;

const SESSION_COLUMNS: &str = "id, project_id, origin_owner_id, origin_owner_name, \
     origin_username, provider, account_id, label, metadata, actions, redirect_url, created_at, \
     expires_at, used_at, linked_account_id";

#[derive(Debug)]
struct SessionRow {
    id: i64,
    project_id: String,
    origin_owner_id: String,
    origin_owner_name: String,
    origin_username: Option<String>,
    provider: Option<String>,
    account_id: Option<String>,
    label: Option<String>,
    metadata: Option<String>,
    actions: Option<String>,
    redirect_url: Option<String>,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    linked_account_id: Option<String>,
}
from_row!(SessionRow {
    id,
    project_id,
    origin_owner_id,
    origin_owner_name,
    origin_username,
    provider,
    account_id,
    label,
    metadata,
    actions,
    redirect_url,
    created_at,
    expires_at,
    used_at,
    linked_account_id
});

impl TryFrom<SessionRow> for ConnectSession {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> Result<ConnectSession, StoreError> {
        Ok(ConnectSession {
            metadata: parse_json_opt(row.metadata.as_deref(), "metadata")?,
            actions: parse_json_opt(row.actions.as_deref(), "actions")?,
            id: row.id,
            project_id: row.project_id,
            origin_owner_id: row.origin_owner_id,
            origin_owner_name: row.origin_owner_name,
            origin_username: row.origin_username,
            provider: row.provider,
            account_id: row.account_id,
            label: row.label,
            redirect_url: row.redirect_url,
            created_at: Timestamp(row.created_at),
            expires_at: Timestamp(row.expires_at),
            used_at: row.used_at.map(Timestamp),
            linked_account_id: row.linked_account_id,
        })
    }
}

impl Store {
    /// Creates a connect session; the token is returned once and stored only as a hash. In edit
    /// mode (`account_id`), the account must exist in the project.
    pub async fn create_session(
        &self,
        project_id: &str,
        new: NewSession,
    ) -> Result<(ConnectSession, SecretString), StoreError> {
        if let Some(account_id) = &new.account_id {
            self.account(project_id, account_id).await?;
        }
        let token = format!(
            "{SESSION_TOKEN_PREFIX}{}",
            random_base62(SESSION_TOKEN_RANDOM_LEN)?
        );
        let id = random_json_safe_id()?;
        let now = Timestamp::now();
        let session = ConnectSession {
            id,
            project_id: project_id.to_owned(),
            origin_owner_id: new.origin_owner_id,
            origin_owner_name: new.origin_owner_name,
            origin_username: new.origin_username,
            provider: new.provider,
            account_id: new.account_id,
            label: new.label,
            metadata: new.metadata,
            actions: new.actions,
            redirect_url: new.redirect_url,
            created_at: now,
            expires_at: now.plus_seconds(new.expires_in_seconds),
            used_at: None,
            linked_account_id: None,
        };
        on_pool!(self.db(), pool => sqlx::query(
            "INSERT INTO connect_sessions (id, project_id, token_hash, origin_owner_id, \
               origin_owner_name, origin_username, provider, account_id, label, metadata, \
               actions, redirect_url, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(session.id)
        .bind(project_id)
        .bind(self.session_token_hash(&token))
        .bind(&session.origin_owner_id)
        .bind(&session.origin_owner_name)
        .bind(&session.origin_username)
        .bind(&session.provider)
        .bind(&session.account_id)
        .bind(&session.label)
        .bind(to_json_opt(session.metadata.as_ref()))
        .bind(to_json_opt(session.actions.as_ref()))
        .bind(&session.redirect_url)
        .bind(session.created_at.millis())
        .bind(session.expires_at.millis())
        .execute(pool)
        .await?
        .rows_affected());
        Ok((session, SecretString::from(token)))
    }

    /// The live session a token opens: unknown, expired and spent tokens are errors. With
    /// `project_id`, a session of another project is unknown.
    pub async fn session_by_token(
        &self,
        token: &str,
        project_id: Option<&str>,
    ) -> Result<ConnectSession, StoreError> {
        if !token.starts_with(SESSION_TOKEN_PREFIX) {
            return Err(StoreError::SessionUnknown);
        }
        let sql = format!("SELECT {SESSION_COLUMNS} FROM connect_sessions WHERE token_hash = $1");
        let row: Option<SessionRow> = on_pool!(self.db(), pool => sqlx::query_as(&sql)
            .bind(self.session_token_hash(token))
            .fetch_optional(pool)
            .await?);
        let session = ConnectSession::try_from(row.ok_or(StoreError::SessionUnknown)?)?;
        if project_id.is_some_and(|project| project != session.project_id) {
            return Err(StoreError::SessionUnknown);
        }
        if session.used_at.is_some() {
            return Err(StoreError::SessionSpent);
        }
        if session.expires_at <= Timestamp::now() {
            return Err(StoreError::SessionExpired);
        }
        Ok(session)
    }
}
