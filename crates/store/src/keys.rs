//! Projects, API keys, and the pepper their hashes are keyed with.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;

use crate::db::{Db, from_row, on_pool};
use crate::model::{ApiKey, Principal, Project, Timestamp, random_base62};
use crate::vault::{Binding, KEY_LEN, Keyring, Sealed};
use crate::{Store, StoreError};

/// The visible start of every API key, so a leaked key is recognisable (secret scanners, logs).
pub(crate) const API_KEY_PREFIX: &str = "ahk_live_";
/// Random base62 characters after the prefix: 32 × 5.95 ≈ 190 bits.
const API_KEY_RANDOM_LEN: usize = 32;
/// Characters of the random part kept in clear to recognise a key in `keys list`.
const API_KEY_SHOWN_LEN: usize = 8;
/// `last_used_at` is written at most this often per key, so authenticating stays a read.
const LAST_USED_GRANULARITY_MS: i64 = 60_000;
/// The name of the pepper in `hub_secrets`, and its vault binding.
const PEPPER_NAME: &str = "api_key_pepper";
/// Hub-wide secrets are bound to this scope; project ids start with `prj_`, so none collides.
pub(crate) const HUB_SCOPE: &str = "hub";
pub(crate) const HUB_SECRET_FIELD: &str = "value";

/// The server-side HMAC key for API keys and connect-session tokens.
pub(crate) struct Pepper(SecretBox<[u8; KEY_LEN]>);

impl Pepper {
    /// HMAC-SHA256 of `data` under the pepper; `purpose` separates key hashes from token hashes.
    pub(crate) fn mac(&self, purpose: &str, data: &str) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail for a 32-byte key.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

pub(crate) fn hub_secret_binding(name: &str) -> Binding<'_> {
    Binding {
        scope: HUB_SCOPE,
        record: name,
        field: HUB_SECRET_FIELD,
    }
}

#[derive(Debug)]
pub(crate) struct SealedRow {
    pub(crate) key_version: i64,
    pub(crate) sealed: Vec<u8>,
}
from_row!(SealedRow {
    key_version,
    sealed
});

impl SealedRow {
    pub(crate) fn to_sealed(&self) -> Result<Sealed, StoreError> {
        let key_version = u32::try_from(self.key_version)
            .map_err(|_| StoreError::Corrupt("key_version out of range".to_owned()))?;
        Ok(Sealed {
            key_version,
            bytes: self.sealed.clone(),
        })
    }
}

/// Loads the pepper, generating and storing it on first use. Several hubs starting at once on
/// one Postgres may race to create it: the insert does nothing on conflict and everyone then
/// reads the winner's.
pub(crate) async fn load_pepper(db: &Db, keyring: &Keyring) -> Result<Pepper, StoreError> {
    const SELECT: &str = "SELECT key_version, sealed FROM hub_secrets WHERE name = $1";
    let existing: Option<SealedRow> = on_pool!(db, pool => sqlx::query_as(SELECT)
        .bind(PEPPER_NAME)
        .fetch_optional(pool)
        .await?);
    let row = match existing {
        Some(row) => row,
        None => {
            let mut fresh = [0u8; KEY_LEN];
            getrandom::fill(&mut fresh).map_err(|_| StoreError::Entropy)?;
            let sealed = keyring.seal(hub_secret_binding(PEPPER_NAME), &fresh)?;
            fresh.fill(0);
            on_pool!(db, pool => sqlx::query(
                "INSERT INTO hub_secrets (name, key_version, sealed) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(PEPPER_NAME)
            .bind(i64::from(sealed.key_version))
            .bind(sealed.bytes)
            .execute(pool)
            .await?
            .rows_affected());
            on_pool!(db, pool => sqlx::query_as(SELECT)
                .bind(PEPPER_NAME)
                .fetch_one(pool)
                .await?)
        }
    };
    let mut bytes = keyring.open(hub_secret_binding(PEPPER_NAME), &row.to_sealed()?)?;
    let mut pepper = Box::new([0u8; KEY_LEN]);
    if bytes.len() != KEY_LEN {
        return Err(StoreError::Corrupt(
            "the pepper has the wrong length".to_owned(),
        ));
    }
    pepper.copy_from_slice(&bytes);
    bytes.fill(0);
    Ok(Pepper(SecretBox::new(pepper)))
}

#[derive(Debug)]
struct ProjectRow {
    id: String,
    name: String,
    created_at: i64,
}
from_row!(ProjectRow {
    id,
    name,
    created_at
});

#[derive(Debug)]
struct ApiKeyRow {
    id: String,
    project_id: String,
    project_name: String,
    name: String,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}
from_row!(ApiKeyRow {
    id,
    project_id,
    project_name,
    name,
    prefix,
    created_at,
    last_used_at,
    revoked_at
});

impl From<ApiKeyRow> for ApiKey {
    fn from(row: ApiKeyRow) -> ApiKey {
        ApiKey {
            id: row.id,
            project_id: row.project_id,
            project_name: row.project_name,
            name: row.name,
            prefix: row.prefix,
            created_at: Timestamp(row.created_at),
            last_used_at: row.last_used_at.map(Timestamp),
            revoked_at: row.revoked_at.map(Timestamp),
        }
    }
}

const SELECT_KEYS: &str = "SELECT k.id, k.project_id, p.name AS project_name, k.name, k.prefix, \
     k.created_at, k.last_used_at, k.revoked_at \
     FROM api_keys k JOIN projects p ON p.id = k.project_id";

#[derive(Debug)]
struct AuthRow {
    id: String,
    project_id: String,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}
from_row!(AuthRow {
    id,
    project_id,
    last_used_at,
    revoked_at
});

impl Store {
    /// The project called `name`, created on first use.
    pub async fn project(&self, name: &str) -> Result<Project, StoreError> {
        const SELECT: &str = "SELECT id, name, created_at FROM projects WHERE name = $1";
        let found: Option<ProjectRow> = on_pool!(self.db(), pool => sqlx::query_as(SELECT)
            .bind(name)
            .fetch_optional(pool)
            .await?);
        let row = match found {
            Some(row) => row,
            None => {
                let id = format!("prj_{}", random_base62(16)?);
                on_pool!(self.db(), pool => sqlx::query(
                    "INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(&id)
                .bind(name)
                .bind(Timestamp::now().millis())
                .execute(pool)
                .await?
                .rows_affected());
                on_pool!(self.db(), pool => sqlx::query_as(SELECT)
                    .bind(name)
                    .fetch_one(pool)
                    .await?)
            }
        };
        Ok(Project {
            id: row.id,
            name: row.name,
            created_at: Timestamp(row.created_at),
        })
    }

    /// Creates an API key in `project`. The key is returned once and stored only as a hash.
    pub async fn create_api_key(
        &self,
        project: &Project,
        name: &str,
    ) -> Result<(ApiKey, SecretString), StoreError> {
        let random = random_base62(API_KEY_RANDOM_LEN)?;
        let key = format!("{API_KEY_PREFIX}{random}");
        let prefix = format!("{API_KEY_PREFIX}{}", &random[..API_KEY_SHOWN_LEN]);
        let id = format!("key_{}", random_base62(16)?);
        let hash = self.inner.pepper.mac("api-key", &key);
        let now = Timestamp::now();
        on_pool!(self.db(), pool => sqlx::query(
            "INSERT INTO api_keys (id, project_id, name, prefix, key_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(&project.id)
        .bind(name)
        .bind(&prefix)
        .bind(hash)
        .bind(now.millis())
        .execute(pool)
        .await?
        .rows_affected());
        let record = ApiKey {
            id,
            project_id: project.id.clone(),
            project_name: project.name.clone(),
            name: name.to_owned(),
            prefix,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        Ok((record, SecretString::from(key)))
    }

    /// API keys, newest first; of one project when `project` is given, else of all (the
    /// operator's view from the command line).
    pub async fn list_api_keys(
        &self,
        project: Option<&Project>,
    ) -> Result<Vec<ApiKey>, StoreError> {
        let rows: Vec<ApiKeyRow> = match project {
            Some(project) => {
                let sql = format!(
                    "{SELECT_KEYS} WHERE k.project_id = $1 ORDER BY k.created_at DESC, k.id"
                );
                on_pool!(self.db(), pool => sqlx::query_as(&sql)
                    .bind(&project.id)
                    .fetch_all(pool)
                    .await?)
            }
            None => {
                let sql = format!("{SELECT_KEYS} ORDER BY k.created_at DESC, k.id");
                on_pool!(self.db(), pool => sqlx::query_as(&sql).fetch_all(pool).await?)
            }
        };
        Ok(rows.into_iter().map(ApiKey::from).collect())
    }

    /// Revokes a key by id (idempotent: revoking twice keeps the first time).
    pub async fn revoke_api_key(&self, id: &str) -> Result<ApiKey, StoreError> {
        let updated = on_pool!(self.db(), pool => sqlx::query(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
        )
        .bind(Timestamp::now().millis())
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected());
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        self.inner.principals.clear();
        let sql = format!("{SELECT_KEYS} WHERE k.id = $1");
        let row: ApiKeyRow = on_pool!(self.db(), pool => sqlx::query_as(&sql)
            .bind(id)
            .fetch_one(pool)
            .await?);
        Ok(row.into())
    }

    /// One API key's record by id, revoked or not.
    pub async fn api_key(&self, id: &str) -> Result<ApiKey, StoreError> {
        let sql = format!("{SELECT_KEYS} WHERE k.id = $1");
        let row: Option<ApiKeyRow> = on_pool!(self.db(), pool => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await?);
        Ok(row.ok_or(StoreError::NotFound)?.into())
    }

    /// A 32-byte key for `purpose` (e.g. signing the dashboard's cookies), derived from the
    /// pepper: the same on every hub sharing the database, across restarts and rotations, and
    /// worthless without the master key.
    pub fn derived_key(&self, purpose: &str) -> SecretBox<[u8; KEY_LEN]> {
        let mac = self.inner.pepper.mac("derived-key", purpose);
        let mut key = Box::new([0u8; KEY_LEN]);
        key.copy_from_slice(&mac[..KEY_LEN]);
        SecretBox::new(key)
    }

    /// The project a presented API key speaks for.
    pub async fn authenticate(&self, presented: &str) -> Result<Principal, StoreError> {
        if !presented.starts_with(API_KEY_PREFIX) {
            return Err(StoreError::InvalidApiKey);
        }
        let hash = self.inner.pepper.mac("api-key", presented);
        if let Some(principal) = self.inner.principals.get(hash.as_slice()) {
            return Ok(principal);
        }
        let row: Option<AuthRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT id, project_id, last_used_at, revoked_at FROM api_keys WHERE key_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(pool)
        .await?);
        let row = row.ok_or(StoreError::InvalidApiKey)?;
        if row.revoked_at.is_some() {
            return Err(StoreError::RevokedApiKey);
        }
        let now = Timestamp::now().millis();
        let stale = row
            .last_used_at
            .is_none_or(|last| now - last >= LAST_USED_GRANULARITY_MS);
        // Only one request per key and minute in this process writes, so a burst of requests
        // does not queue on the row's lock; the WHERE clause does the same across hubs.
        if stale && self.claim_last_used_write(&row.id, now) {
            on_pool!(self.db(), pool => sqlx::query(
                "UPDATE api_keys SET last_used_at = $1 \
                 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
            )
            .bind(now)
            .bind(&row.id)
            .bind(now - LAST_USED_GRANULARITY_MS)
            .execute(pool)
            .await?
            .rows_affected());
        }
        let principal = Principal {
            key_id: row.id,
            project_id: row.project_id,
        };
        // Cached for a moment (see `cache`): `last_used_at` is written at most once a minute
        // anyway, and a revoked key stops working within the TTL everywhere.
        self.inner.principals.insert(hash, principal.clone());
        Ok(principal)
    }

    /// Whether this request is the one (in this process) that records the key's use now.
    fn claim_last_used_write(&self, key_id: &str, now: i64) -> bool {
        let mut written = self
            .inner
            .last_used_written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match written.get(key_id) {
            Some(at) if now - at < LAST_USED_GRANULARITY_MS => false,
            _ => {
                written.insert(key_id.to_owned(), now);
                true
            }
        }
    }

    /// HMAC of a connect-session token, the only form in which tokens are stored.
    pub(crate) fn session_token_hash(&self, token: &str) -> Vec<u8> {
        self.inner.pepper.mac("connect-session", token)
    }
}
