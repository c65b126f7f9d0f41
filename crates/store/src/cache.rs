//! A small time-bounded cache for the reads every action call makes (the API key's project, the
//! account with its opened token, its policies; over MCP, the account served), so that the
//! request path does not wait on the database. Entries live [`TTL`]; this process drops them at once when it changes the row
//! (relink, update, removal, status, rotation), and other processes' changes are seen within
//! the TTL. Values are never logged (`Debug` shows the entry count only).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a cached read is trusted: the delay before another hub's revocation, relink or
/// removal is seen here.
pub const TTL: Duration = Duration::from_secs(2);
/// Entries kept at most; past it the cache starts over (it only saves time).
const MAX_ENTRIES: usize = 10_000;

pub(crate) struct TtlCache<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K, V> std::fmt::Debug for TtlCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("TtlCache").field("entries", &len).finish()
    }
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    pub(crate) fn new() -> TtlCache<K, V> {
        TtlCache {
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, value)| value.clone())
    }

    pub(crate) fn insert(&self, key: K, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }

    /// Drops every entry `keep` says no to.
    pub(crate) fn retain(&self, keep: impl Fn(&K) -> bool) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|key, _| keep(key));
    }

    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_dropped() {
        let cache: TtlCache<String, u32> = TtlCache::new();
        cache.insert("a".into(), 1);
        cache.insert("b".into(), 2);
        assert_eq!(cache.get("a"), Some(1));
        cache.retain(|key| key != "a");
        assert_eq!((cache.get("a"), cache.get("b")), (None, Some(2)));
        cache.clear();
        assert_eq!(cache.get("b"), None);
    }
}
