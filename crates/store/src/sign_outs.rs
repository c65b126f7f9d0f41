//! Dashboard sessions ended by signing out. The dashboard's cookie is signed, not stored, so
//! ending one before it expires takes a record: the cookie's nonce, refused until the cookie
//! would have expired anyway, when the record is dropped.

use crate::db::on_pool;
use crate::{Store, StoreError, Timestamp};

impl Store {
    /// Ends the dashboard session whose cookie has `nonce`; the cookie expires at `expires_at`.
    /// Records of cookies that have expired since are dropped on the way.
    pub async fn end_dashboard_session(
        &self,
        nonce: &str,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        let now = Timestamp::now().millis();
        on_pool!(self.db(), pool => sqlx::query("DELETE FROM dashboard_sign_outs WHERE expires_at <= $1")
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())?);
        on_pool!(self.db(), pool => sqlx::query(
            "INSERT INTO dashboard_sign_outs (nonce, expires_at) VALUES ($1, $2) \
             ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(expires_at.millis())
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Whether the dashboard session whose cookie has `nonce` was signed out.
    pub async fn dashboard_session_ended(&self, nonce: &str) -> Result<bool, StoreError> {
        let found: Option<(i64,)> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT expires_at FROM dashboard_sign_outs WHERE nonce = $1",
        )
        .bind(nonce)
        .fetch_optional(pool)
        .await?);
        Ok(found.is_some())
    }
}
