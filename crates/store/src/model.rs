//! The records the store keeps, as the rest of the hub sees them, and the small value types they
//! are made of (timestamps, random identifiers).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use secrecy::SecretString;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::StoreError;

/// A point in time, kept as Unix milliseconds (the same integer in both databases) and shown as
/// RFC 3339 in UTC with milliseconds, as StackOne does (`2026-01-01T10:00:00.000Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(millis)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// This instant plus `seconds` (saturating).
    pub fn plus_seconds(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds.saturating_mul(1000)))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.rem_euclid(1000);
        let seconds = self.0.div_euclid(1000);
        let days = seconds.div_euclid(86_400);
        let of_day = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Timestamp {
    /// Parses RFC 3339 in UTC as this type writes it (`2026-01-01T10:00:00Z`, optionally with a
    /// fraction of a second, kept to the millisecond); `None` for anything else.
    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        let text = text.strip_suffix('Z').or_else(|| text.strip_suffix('z'))?;
        let (date, time) = text.split_once(['T', 't'])?;
        let number = |part: &str, len: usize| {
            (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<i64>().ok())
                .flatten()
        };
        let mut date = date.split('-');
        let (year, month, day) = (
            number(date.next()?, 4)?,
            number(date.next()?, 2)?,
            number(date.next()?, 2)?,
        );
        let (time, fraction) = time.split_once('.').unwrap_or((time, ""));
        let mut time = time.split(':');
        let (hour, minute, second) = (
            number(time.next()?, 2)?,
            number(time.next()?, 2)?,
            number(time.next()?, 2)?,
        );
        if date.next().is_some()
            || time.next().is_some()
            || !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || minute > 59
            || second > 60
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let millis = format!("{fraction:0<3}")[..3].parse::<i64>().ok()?;
        let days = days_from_civil(year, month, day);
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
        Some(Timestamp(seconds * 1000 + millis))
    }
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's `days_from_civil`,
/// the inverse of [`civil_from_days`]).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`),
/// written out here rather than pulling a date library in for one conversion.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` uniformly random base62 characters (5.95 bits each) from the OS generator.
pub(crate) fn random_base62(len: usize) -> Result<String, StoreError> {
    let mut out = String::with_capacity(len);
    let mut buffer = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buffer).map_err(|_| StoreError::Entropy)?;
        // 248 = 4 × 62: bytes at or above it are dropped so every character is equally likely.
        for byte in buffer.iter().filter(|b| **b < 248) {
            if out.len() == len {
                break;
            }
            out.push(char::from(BASE62[usize::from(*byte % 62)]));
        }
    }
    Ok(out)
}

/// `value` in base62 with exactly `digits` digits (leading zeros; higher digits past the width
/// are dropped), so that such strings sort as their values do.
pub(crate) fn base62_fixed(mut value: u64, digits: usize) -> String {
    let mut out = vec![BASE62[0]; digits];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    out.into_iter().map(char::from).collect()
}

/// A random positive integer below 2^53, so that it survives JSON number parsing everywhere.
pub(crate) fn random_json_safe_id() -> Result<i64, StoreError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|_| StoreError::Entropy)?;
    let id = (u64::from_be_bytes(bytes) >> 11) as i64;
    Ok(id.max(1))
}

/// A tenant. Every key, account and session belongs to exactly one.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
}

/// An API key's record (never the key itself, which is shown once at creation).
#[derive(Debug, Clone, Serialize)]
pub struct ApiKey {
    pub id: String,
    pub project_id: String,
    pub project_name: String,
    pub name: String,
    /// The first characters of the key, enough to recognise it (`ahk_live_AbCd1234`).
    pub prefix: String,
    pub created_at: Timestamp,
    /// Updated at most once a minute per key, so that authentication stays a read.
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// Who a valid API key speaks for.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key_id: String,
    pub project_id: String,
}

/// A linked account's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "active" => Some(Status::Active),
            "error" => Some(Status::Error),
            _ => None,
        }
    }
}

/// Why an account is not `active` (StackOne's `status_reasons` item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StatusReason {
    pub code: String,
    pub description: String,
    pub timestamp: String,
}

/// A linked account. Its credentials are not part of it: they stay sealed in the vault and are
/// read one field at a time with [`crate::Store::account_credential`].
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub project_id: String,
    pub provider: String,
    pub origin_owner_id: String,
    pub origin_owner_name: String,
    pub origin_username: Option<String>,
    pub label: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    /// The actions the account may run; `None` means every action of its provider.
    pub allowed_actions: Option<Vec<String>>,
    pub status: Status,
    pub status_reasons: Vec<StatusReason>,
    /// The provider-side tenant the credential belongs to (for Front: the company).
    pub provider_account_id: String,
    pub provider_account_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Which account a linking writes to.
#[derive(Debug, Clone)]
pub enum LinkTarget {
    /// The account of this owner and provider, created if there is none (StackOne's identity
    /// rule: linking the same owner + provider again updates that account and keeps its id).
    Owner,
    /// An existing account by id (a connect session in edit mode, or a PATCH with credentials);
    /// its owner is kept.
    Account(String),
}

/// A verified linking, ready to save. Fields left `None` keep their stored value on a relink.
#[derive(Debug)]
pub struct NewAccount {
    pub provider: String,
    pub origin_owner_id: String,
    pub origin_owner_name: String,
    pub origin_username: Option<String>,
    pub label: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    pub allowed_actions: Option<Vec<String>>,
    pub provider_account_id: String,
    pub provider_account_name: String,
    /// Secret fields by name (`api_token`), sealed before they reach the database.
    pub credentials: Vec<(String, SecretString)>,
    pub target: LinkTarget,
    /// A connect session to spend in the same transaction.
    pub session_id: Option<i64>,
}

/// Filters and page of `GET /accounts`.
#[derive(Debug, Clone)]
pub struct AccountFilter {
    pub providers: Vec<String>,
    pub origin_owner_id: Option<String>,
    pub statuses: Vec<Status>,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

impl Default for AccountFilter {
    fn default() -> Self {
        AccountFilter {
            providers: Vec::new(),
            origin_owner_id: None,
            statuses: Vec::new(),
            page: 1,
            page_size: 25,
        }
    }
}

/// A change to an account's descriptive fields. `None` leaves a field alone; `Some(None)` clears
/// a nullable one.
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    pub origin_owner_id: Option<String>,
    pub origin_owner_name: Option<String>,
    pub origin_username: Option<Option<String>>,
    pub label: Option<Option<String>>,
    pub metadata: Option<Option<Map<String, Value>>>,
    pub allowed_actions: Option<Option<Vec<String>>>,
}

impl AccountPatch {
    pub fn is_empty(&self) -> bool {
        self.origin_owner_id.is_none()
            && self.origin_owner_name.is_none()
            && self.origin_username.is_none()
            && self.label.is_none()
            && self.metadata.is_none()
            && self.allowed_actions.is_none()
    }
}

/// A connect session (StackOne's `ConnectSession`); its token is stored only as a hash.
#[derive(Debug, Clone)]
pub struct ConnectSession {
    pub id: i64,
    pub project_id: String,
    pub origin_owner_id: String,
    pub origin_owner_name: String,
    pub origin_username: Option<String>,
    pub provider: Option<String>,
    /// Edit mode: the account the session relinks.
    pub account_id: Option<String>,
    pub label: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    /// The actions the linked account will be allowed (`None`: every action).
    pub actions: Option<Vec<String>>,
    pub redirect_url: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub linked_account_id: Option<String>,
}

/// What a new connect session holds.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub origin_owner_id: String,
    pub origin_owner_name: String,
    pub origin_username: Option<String>,
    pub provider: Option<String>,
    pub account_id: Option<String>,
    pub label: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    pub actions: Option<Vec<String>>,
    pub redirect_url: Option<String>,
    pub expires_in_seconds: i64,
}

/// The outcome of [`crate::Store::rotate_vault`].
#[derive(Debug, Clone, Default)]
pub struct RotationReport {
    pub newest_version: u32,
    /// Secrets re-encrypted under the newest key.
    pub rotated: u64,
    /// Secrets that changed or disappeared while being rotated (another writer won the
    /// compare-and-swap); a relink writes with the newest key anyway.
    pub skipped: u64,
    /// Secrets still under an older key after the run (written meanwhile by a hub that does not
    /// yet have the newest key); zero means the older keys can be removed.
    pub remaining: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_with_millis() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp(1_767_261_600_123).to_string(),
            "2026-01-01T10:00:00.123Z"
        );
        assert_eq!(
            Timestamp(951_782_400_000).to_string(),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn rfc3339_parses_what_it_writes() {
        for millis in [0, 1_767_261_600_123, 951_782_400_000, 1_764_609_119_000] {
            let text = Timestamp(millis).to_string();
            assert_eq!(
                Timestamp::parse_rfc3339(&text),
                Some(Timestamp(millis)),
                "{text}"
            );
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2026-01-01T10:00:00Z"),
            Some(Timestamp(1_767_261_600_000))
        );
        for bad in [
            "2026-01-01",
            "2026-13-01T00:00:00Z",
            "2026-01-01T00:00:00+01:00",
            "x",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn random_ids_have_the_asked_length_and_alphabet() {
        let id = random_base62(40).unwrap();
        assert_eq!(id.len(), 40);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(random_json_safe_id().unwrap() < (1 << 53));
    }

    #[test]
    fn fixed_width_base62_sorts_as_the_numbers_do() {
        assert_eq!(base62_fixed(0, 4), "0000");
        assert_eq!(base62_fixed(61, 2), "0z");
        assert_eq!(base62_fixed(62, 2), "10");
        let numbers = [
            0,
            9,
            10,
            61,
            62,
            3_843,
            1_767_261_600_123,
            1_767_261_600_124,
        ];
        let texts: Vec<String> = numbers.iter().map(|n| base62_fixed(*n, 8)).collect();
        assert!(texts.windows(2).all(|pair| pair[0] < pair[1]), "{texts:?}");
    }
}
