//! The replay cache: each provider delivery is acted on once. Keyed by the provider's own id for the
//! delivery (ZEGO appid + timestamp + nonce, LiveKit `id`, Agora `noticeId`, Agora Chat `callId`),
//! never by the body or the signature (Agora re-signs a resent notification).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use room_moderator_core::Error;
use tokio::time::Instant;

/// How long a delivery id is remembered by default: well beyond the timestamp window (±300 s) plus
/// the providers' retry spans (ZEGO about a minute, LiveKit's token five minutes, Agora Chat one retry
/// within a minute).
pub const DEFAULT_REPLAY_TTL: Duration = Duration::from_secs(3600);

/// How many delivery ids the in-memory cache holds by default (about 100 MB at most).
pub const DEFAULT_REPLAY_CAPACITY: usize = 500_000;

/// Remembers which deliveries were seen. Share one between instances (the Redis one, feature
/// `redis`) so a retry that reaches another instance is still recognised.
#[async_trait]
pub trait ReplayCache: Send + Sync + fmt::Debug {
    /// Records `key` for `ttl`; `true` the first time, `false` if it was already there.
    async fn first_sight(&self, key: &str, ttl: Duration) -> Result<bool, Error>;

    /// Forgets `key`, so that the provider's retry of a delivery we could not take is acted on.
    async fn forget(&self, key: &str) -> Result<(), Error>;
}

/// A bounded in-memory replay cache for one process: at most `capacity` ids, each kept for its TTL
/// (on tokio's clock, so paused tests expire it). When full, the oldest id is dropped first.
pub struct MemoryReplayCache {
    capacity: usize,
    state: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    expiry: HashMap<String, Instant>,
    order: VecDeque<(Instant, String)>,
    evicted: u64,
}

impl MemoryReplayCache {
    /// A cache of at most `capacity` ids (at least one).
    pub fn new(capacity: usize) -> Self {
        MemoryReplayCache {
            capacity: capacity.max(1),
            state: Mutex::new(Seen::default()),
        }
    }

    /// How many ids were dropped before their TTL because the cache was full.
    pub fn evicted(&self) -> u64 {
        self.lock().evicted
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        // A panic while holding the lock leaves consistent data (every update is one statement).
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for MemoryReplayCache {
    fn default() -> Self {
        MemoryReplayCache::new(DEFAULT_REPLAY_CAPACITY)
    }
}

impl fmt::Debug for MemoryReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayCache")
            .field("capacity", &self.capacity)
            .field("len", &self.lock().expiry.len())
            .finish()
    }
}

impl Seen {
    /// Drops the entries expired at `now`, and the oldest while more than `keep` remain.
    fn prune(&mut self, now: Instant, keep: usize) {
        while let Some((at, key)) = self.order.front() {
            let expired = *at <= now;
            // Forgotten ids leave stale queue entries: the queue is kept within twice the bound.
            if !expired && self.expiry.len() <= keep && self.order.len() <= 2 * keep.max(1) {
                break;
            }
            // The queue may hold an entry since forgotten or renewed: only its current one counts.
            if self.expiry.get(key) == Some(at) {
                self.expiry.remove(key);
                if !expired {
                    self.evicted += 1;
                }
            }
            self.order.pop_front();
        }
    }
}

#[async_trait]
impl ReplayCache for MemoryReplayCache {
    async fn first_sight(&self, key: &str, ttl: Duration) -> Result<bool, Error> {
        let now = Instant::now();
        let mut seen = self.lock();
        seen.prune(now, self.capacity);
        if seen.expiry.get(key).is_some_and(|at| *at > now) {
            return Ok(false);
        }
        seen.prune(now, self.capacity - 1);
        let at = now + ttl;
        seen.expiry.insert(key.to_owned(), at);
        seen.order.push_back((at, key.to_owned()));
        Ok(true)
    }

    async fn forget(&self, key: &str) -> Result<(), Error> {
        self.lock().expiry.remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn once_then_again_after_the_ttl() {
        let cache = MemoryReplayCache::new(10);
        let ttl = Duration::from_secs(60);
        assert!(cache.first_sight("a", ttl).await.expect("ok"));
        assert!(!cache.first_sight("a", ttl).await.expect("ok"));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(cache.first_sight("a", ttl).await.expect("ok"));
    }

    #[tokio::test(start_paused = true)]
    async fn bounded_and_forgetful() {
        let cache = MemoryReplayCache::new(2);
        let ttl = Duration::from_secs(60);
        for key in ["a", "b", "c"] {
            assert!(cache.first_sight(key, ttl).await.expect("ok"));
        }
        assert_eq!(cache.evicted(), 1);
        assert_eq!(cache.lock().expiry.len(), 2);
        assert!(!cache.first_sight("c", ttl).await.expect("ok"));
        cache.forget("c").await.expect("ok");
        assert!(cache.first_sight("c", ttl).await.expect("ok"));
        assert!(cache.lock().order.len() <= 4, "the queue stays bounded too");
    }
}
