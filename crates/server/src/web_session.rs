//! Signing in to the dashboard: a signed cookie naming the API key it was opened with, and the
//! CSRF tokens of the dashboard's forms. This is security code; keep it small and boring.
//!
//! The cookie is `v1.<key id>.<expiry ms>.<nonce>.<mac>`, where the MAC is HMAC-SHA256 under a
//! key derived from the store's pepper ([`actionhub_store::Store::derived_key`]): every hub
//! sharing the database accepts it, nobody without the master key can forge one, and it holds
//! no secret. Each request re-checks that the key has not been revoked since, and that the
//! session was not ended by signing out (the store keeps the nonces of signed-out cookies
//! until they would have expired: [`actionhub_store::Store::end_dashboard_session`]). The cookie is
//! `HttpOnly`, `SameSite=Strict`, and `Secure` when the hub's public URL is https.
//!
//! A form's CSRF token is an HMAC of the nonce of the cookie it is sent with: the signed-in
//! session's, or before sign-in a short-lived pre-session cookie's, so that a form from another
//! site cannot sign someone in either.

use axum::http::HeaderMap;
use axum::http::header::{COOKIE, SET_COOKIE};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use actionhub_store::{Store, Timestamp};

/// The signed-in session.
pub const SESSION_COOKIE: &str = "actionhub_session";
/// The nonce a sign-in form's CSRF token is bound to.
pub const SIGN_IN_COOKIE: &str = "actionhub_sign_in";
/// How long a dashboard session lasts.
const SESSION_MILLIS: i64 = 12 * 60 * 60 * 1000;
/// How long a sign-in form stays usable.
const SIGN_IN_SECONDS: i64 = 60 * 60;
const KEY_PURPOSE: &str = "dashboard-session";
const FORMAT: &str = "v1";

/// A verified session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCookie {
    pub key_id: String,
    pub nonce: String,
    /// When the cookie stops being accepted anyway.
    pub expires_at: Timestamp,
}

/// Signs and checks the dashboard's cookies and CSRF tokens.
pub struct Signer<'a> {
    store: &'a Store,
    secure: bool,
}

impl<'a> Signer<'a> {
    /// `public_url` decides whether cookies are marked `Secure`.
    pub fn new(store: &'a Store, public_url: &str) -> Signer<'a> {
        Signer {
            store,
            secure: public_url.starts_with("https://"),
        }
    }

    /// A fresh random nonce (128 bits, URL-safe).
    pub fn nonce() -> Result<String, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// `Set-Cookie` value opening a session for the API key `key_id`.
    pub fn session_cookie(&self, key_id: &str, nonce: &str) -> String {
        let expires = Timestamp::now().millis() + SESSION_MILLIS;
        let payload = format!("{FORMAT}.{key_id}.{expires}.{nonce}");
        let value = format!("{payload}.{}", self.mac(&payload));
        self.cookie(SESSION_COOKIE, &value, SESSION_MILLIS / 1000)
    }

    /// `Set-Cookie` value binding a sign-in form to `nonce`.
    pub fn sign_in_cookie(&self, nonce: &str) -> String {
        self.cookie(SIGN_IN_COOKIE, nonce, SIGN_IN_SECONDS)
    }

    /// `Set-Cookie` value that removes cookie `name`.
    pub fn removal(&self, name: &str) -> String {
        self.cookie(name, "", 0)
    }

    /// The session in the request's cookie, if it is authentic and not expired.
    pub fn session(&self, headers: &HeaderMap) -> Option<SessionCookie> {
        let value = cookie(headers, SESSION_COOKIE)?;
        let (payload, mac) = value.rsplit_once('.')?;
        if !self.verify(payload, mac) {
            return None;
        }
        let mut parts = payload.split('.');
        let (format, key_id, expires, nonce) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let expires: i64 = expires.parse().ok()?;
        (format == FORMAT && parts.next().is_none() && expires > Timestamp::now().millis()).then(
            || SessionCookie {
                key_id: key_id.to_owned(),
                nonce: nonce.to_owned(),
                expires_at: Timestamp(expires),
            },
        )
    }

    /// The nonce of the request's sign-in cookie.
    pub fn sign_in_nonce(headers: &HeaderMap) -> Option<String> {
        cookie(headers, SIGN_IN_COOKIE).map(str::to_owned)
    }

    /// The CSRF token of forms sent with the cookie whose nonce is `nonce`.
    pub fn csrf_token(&self, nonce: &str) -> String {
        self.mac(&format!("csrf.{nonce}"))
    }

    /// Whether `token` is the CSRF token for `nonce`.
    pub fn csrf_matches(&self, nonce: &str, token: &str) -> bool {
        self.verify(&format!("csrf.{nonce}"), token)
    }

    fn hmac(&self) -> Hmac<Sha256> {
        let key = self.store.derived_key(KEY_PURPOSE);
        <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
    }

    fn mac(&self, payload: &str) -> String {
        let mut mac = self.hmac();
        mac.update(payload.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Constant-time check of a MAC given in base64.
    fn verify(&self, payload: &str, given: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(given) else {
            return false;
        };
        let mut mac = self.hmac();
        mac.update(payload.as_bytes());
        mac.verify_slice(&given).is_ok()
    }

    fn cookie(&self, name: &str, value: &str, max_age_seconds: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{name}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; SameSite=Strict{secure}"
        )
    }
}

/// Adds a `Set-Cookie` header.
pub fn set_cookie(headers: &mut HeaderMap, value: &str) {
    if let Ok(value) = value.parse() {
        headers.append(SET_COOKIE, value);
    }
}

/// The value of cookie `name` in the request, if any.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}
