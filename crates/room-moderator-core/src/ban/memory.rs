//! A ban store in process memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use async_trait::async_trait;

use super::store::{BanEntry, BanScope, BanStore};
use crate::{Error, UserId};

/// Bans in this process's memory: lost when it exits, not shared with other processes. For tests and
/// for applications with a single long-lived process; use the embedded or Redis store from
/// `room-moderator-state` otherwise.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::{Duration, SystemTime};
/// use room_moderator_core::{BanEntry, BanScope, BanStore, MemoryBanStore};
/// let store = MemoryBanStore::new();
/// let scope = BanScope::new("mock", "account", "lobby");
/// let now = SystemTime::now();
/// store.put(&scope, &[BanEntry::new("troll", now).with_until(Some(now + Duration::from_secs(60)))]).await?;
/// assert!(store.get(&scope, &"troll".into(), now).await?.is_some());
/// assert!(store.get(&scope, &"troll".into(), now + Duration::from_secs(61)).await?.is_none());
/// # Ok::<_, room_moderator_core::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Default)]
pub struct MemoryBanStore {
    bans: Mutex<HashMap<BanScope, BTreeMap<UserId, BanEntry>>>,
}

impl MemoryBanStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryBanStore::default()
    }

    fn bans(&self) -> MutexGuard<'_, HashMap<BanScope, BTreeMap<UserId, BanEntry>>> {
        self.bans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl BanStore for MemoryBanStore {
    async fn put(&self, scope: &BanScope, entries: &[BanEntry]) -> Result<(), Error> {
        let mut bans = self.bans();
        let room = bans.entry(scope.clone()).or_default();
        for entry in entries {
            room.insert(entry.user.clone(), entry.clone());
        }
        Ok(())
    }

    async fn remove(
        &self,
        scope: &BanScope,
        users: &[UserId],
        now: SystemTime,
    ) -> Result<Vec<bool>, Error> {
        let mut bans = self.bans();
        let Some(room) = bans.get_mut(scope) else {
            return Ok(vec![false; users.len()]);
        };
        Ok(users
            .iter()
            .map(|user| room.remove(user).is_some_and(|entry| entry.is_active(now)))
            .collect())
    }

    async fn get(
        &self,
        scope: &BanScope,
        user: &UserId,
        now: SystemTime,
    ) -> Result<Option<BanEntry>, Error> {
        Ok(self
            .bans()
            .get(scope)
            .and_then(|room| room.get(user))
            .filter(|entry| entry.is_active(now))
            .cloned())
    }

    async fn list(&self, scope: &BanScope, now: SystemTime) -> Result<Vec<BanEntry>, Error> {
        let mut bans = self.bans();
        let Some(room) = bans.get_mut(scope) else {
            return Ok(Vec::new());
        };
        // Expired entries never count; drop them so the map does not grow with old bans.
        room.retain(|_, entry| entry.is_active(now));
        Ok(room.values().cloned().collect())
    }

    fn location(&self) -> String {
        "process memory".to_owned()
    }
}
