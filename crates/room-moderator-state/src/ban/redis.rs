//! Bans in Redis, shared by every process and host that uses it.

use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use redis::RedisError;
use room_moderator_core::{BanEntry, BanScope, BanStore, Error, ErrorKind, UserId};
use serde::{Deserialize, Serialize};

use super::{from_unix_nanos, unix_nanos};
use crate::redis_link::RedisLink;

/// Lifts the bans of the users in ARGV and answers, per user in order, the entry that was there (or
/// an empty string): one atomic step, so that two hosts lifting the same ban never both report it.
const REMOVE: &str = r"
local out = {}
for i = 1, #ARGV do
  local value = redis.call('HGET', KEYS[1], ARGV[i])
  if value then
    redis.call('HDEL', KEYS[1], ARGV[i])
    out[i] = value
  else
    out[i] = ''
  end
end
return out
";

/// Drops expired entries, given as (user, entry) pairs in ARGV, unless they were replaced since they
/// were read (a new ban made meanwhile is kept).
const PURGE: &str = r"
local dropped = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    dropped = dropped + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return dropped
";

/// One entry as stored: the hash field is the user id; times are exact Unix nanoseconds (the
/// public JSON shape of [`BanEntry`] rounds to seconds, which would move expiries).
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    by: Option<String>,
    banned_at_ns: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until_ns: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule_until_ns: Option<i64>,
}

impl Stored {
    fn of(entry: &BanEntry) -> Self {
        Stored {
            reason: entry.reason.clone(),
            by: entry.by.clone(),
            banned_at_ns: unix_nanos(entry.banned_at),
            until_ns: entry.until.map(unix_nanos),
            rule_until_ns: entry.rule_until.map(unix_nanos),
        }
    }

    fn into_entry(self, user: &str) -> BanEntry {
        BanEntry::new(user, from_unix_nanos(self.banned_at_ns))
            .with_reason(self.reason)
            .with_by(self.by)
            .with_until(self.until_ns.map(from_unix_nanos))
            .with_rule_until(self.rule_until_ns.map(from_unix_nanos))
    }
}

/// Bans in Redis, for applications running on several hosts: one hash per [`BanScope`]
/// (`moderator:bans:{provider}:{account}:{room}`, each part escaped so that a `:` in a room id
/// cannot make two scopes meet), one field per user holding the entry as JSON.
///
/// A `put` is one `HSET` of every field (atomic); a `remove` is one script that reads and deletes
/// (so each lifted ban is reported once, whoever else lifts it); `list` drops expired fields. Redis
/// is reached on first use, through the same connection handling as the
/// [`RedisPacer`](crate::RedisPacer), and every wait is bounded by the timeout (default 1 s): a
/// Redis that cannot be reached answers [`ErrorKind::Unavailable`] before anything is changed.
///
/// ```no_run
/// # async fn demo() -> Result<(), room_moderator_core::Error> {
/// use std::time::SystemTime;
/// use room_moderator_core::{BanEntry, BanScope, BanStore};
/// use room_moderator_state::RedisBanStore;
/// let store = RedisBanStore::connect("redis://127.0.0.1:6379/0")?;
/// let scope = BanScope::new("ivschat", "123456789012/us-east-1", "arn:aws:ivschat:us-east-1:123456789012:room/abc");
/// store.put(&scope, &[BanEntry::new("troll", SystemTime::now())]).await?;
/// assert_eq!(store.location(), "redis://127.0.0.1:6379/0");
/// # Ok(()) }
/// ```
pub struct RedisBanStore {
    link: RedisLink,
    prefix: String,
    remove: redis::Script,
    purge: redis::Script,
}

impl RedisBanStore {
    /// The default bound on each Redis round trip and connection attempt.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

    /// A store on the Redis at `url` (`redis://[user:password@]host[:port][/db]`, `rediss://` for
    /// TLS where compiled in). Checks the URL now; connects on first use, and again after a failure.
    pub fn connect(url: &str) -> Result<Self, Error> {
        Ok(RedisBanStore {
            link: RedisLink::open(url, Self::DEFAULT_TIMEOUT)?,
            prefix: "moderator:bans".to_owned(),
            remove: redis::Script::new(REMOVE),
            purge: redis::Script::new(PURGE),
        })
    }

    /// Sets the bound on each Redis round trip and connection attempt.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.link.set_timeout(timeout);
        self
    }

    /// The Redis key holding `scope`'s bans.
    ///
    /// ```
    /// use room_moderator_core::BanScope;
    /// use room_moderator_state::RedisBanStore;
    /// let store = RedisBanStore::connect("redis://127.0.0.1/")?;
    /// let key = store.key(&BanScope::new("zego-rtc", "1234567", "stage:1"));
    /// assert_eq!(key, "moderator:bans:zego-rtc:1234567:stage%3A1");
    /// # Ok::<_, room_moderator_core::Error>(())
    /// ```
    pub fn key(&self, scope: &BanScope) -> String {
        format!(
            "{}:{}:{}:{}",
            self.prefix,
            escape(scope.provider()),
            escape(scope.account()),
            escape(scope.room().as_str())
        )
    }

    /// Runs `work` on the connection, bounded by the timeout; the connection is made first, so an
    /// unreachable Redis fails before anything is sent.
    async fn run<T, F, Fut>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(redis::aio::ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        let timeout = self.link.timeout();
        let attempt = async {
            let connection = self
                .link
                .connection()
                .await
                .map_err(|e| self.unreachable(&e.to_string()))?;
            work(connection).await.map_err(|e| self.redis_error(&e))
        };
        match tokio::time::timeout(timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(self.unreachable(&format!("no answer within {timeout:?}"))),
        }
    }

    fn unreachable(&self, why: &str) -> Error {
        Error::new(
            ErrorKind::Unavailable,
            format!(
                "the ban store {} cannot be reached: {why}",
                self.link.location()
            ),
        )
    }

    fn redis_error(&self, error: &RedisError) -> Error {
        let unreadable = matches!(
            error.kind(),
            redis::ErrorKind::Parse | redis::ErrorKind::UnexpectedReturnType
        ) || error.code() == Some("WRONGTYPE");
        if unreadable {
            Error::new(
                ErrorKind::Protocol,
                format!(
                    "the ban store {} holds unreadable data: {error}",
                    self.link.location()
                ),
            )
        } else {
            self.unreachable(&error.to_string())
        }
    }

    fn decode(&self, user: &str, value: &str) -> Result<BanEntry, Error> {
        serde_json::from_str::<Stored>(value)
            .map(|stored| stored.into_entry(user))
            .map_err(|e| {
                Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "the ban store {} holds an unreadable entry for a user: {e}",
                        self.link.location()
                    ),
                )
            })
    }

    /// Drops these expired (user, entry) pairs unless replaced meanwhile. Best effort: a failure
    /// only leaves them for the next `list`.
    async fn purge(&self, key: &str, expired: Vec<(String, String)>) {
        if expired.is_empty() {
            return;
        }
        let result = self
            .run(|mut connection| async move {
                let mut invocation = self.purge.key(key);
                for (user, value) in &expired {
                    invocation.arg(user).arg(value);
                }
                invocation.invoke_async::<i64>(&mut connection).await
            })
            .await;
        if let Err(error) = result {
            tracing::debug!(%error, "expired bans not dropped yet");
        }
    }
}

/// Escapes `%`, `:` and the hash-tag braces, so that the parts of a key cannot run into each other.
fn escape(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for c in part.chars() {
        match c {
            '%' => out.push_str("%25"),
            ':' => out.push_str("%3A"),
            '{' => out.push_str("%7B"),
            '}' => out.push_str("%7D"),
            c => out.push(c),
        }
    }
    out
}

impl fmt::Debug for RedisBanStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client's connection info may hold a password: only the location is shown.
        f.debug_struct("RedisBanStore")
            .field("location", &self.link.location())
            .field("timeout", &self.link.timeout())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl BanStore for RedisBanStore {
    async fn put(&self, scope: &BanScope, entries: &[BanEntry]) -> Result<(), Error> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut fields = Vec::with_capacity(entries.len());
        for entry in entries {
            let value = serde_json::to_string(&Stored::of(entry))
                .map_err(|e| Error::invalid_input(format!("a ban cannot be stored: {e}")))?;
            fields.push((entry.user.as_str().to_owned(), value));
        }
        let key = self.key(scope);
        self.run(|mut connection| async move {
            // One command: every field is written, or none.
            redis::cmd("HSET")
                .arg(&key)
                .arg(&fields)
                .query_async::<i64>(&mut connection)
                .await
        })
        .await?;
        Ok(())
    }

    async fn remove(
        &self,
        scope: &BanScope,
        users: &[UserId],
        now: SystemTime,
    ) -> Result<Vec<bool>, Error> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.key(scope);
        let removed: Vec<String> = self
            .run(|mut connection| async move {
                let mut invocation = self.remove.key(&key);
                for user in users {
                    invocation.arg(user.as_str());
                }
                invocation.invoke_async(&mut connection).await
            })
            .await?;
        if removed.len() != users.len() {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "the ban store {} answered {} results for {} users",
                    self.link.location(),
                    removed.len(),
                    users.len()
                ),
            ));
        }
        users
            .iter()
            .zip(removed)
            .map(|(user, value)| {
                if value.is_empty() {
                    Ok(false)
                } else {
                    Ok(self.decode(user.as_str(), &value)?.is_active(now))
                }
            })
            .collect()
    }

    async fn get(
        &self,
        scope: &BanScope,
        user: &UserId,
        now: SystemTime,
    ) -> Result<Option<BanEntry>, Error> {
        let key = self.key(scope);
        let field = (&key, user.as_str());
        let value: Option<String> = self
            .run(|mut connection| async move {
                redis::cmd("HGET")
                    .arg(field.0)
                    .arg(field.1)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        let Some(value) = value else {
            return Ok(None);
        };
        let entry = self.decode(user.as_str(), &value)?;
        if entry.is_active(now) {
            Ok(Some(entry))
        } else {
            self.purge(&key, vec![(user.as_str().to_owned(), value)])
                .await;
            Ok(None)
        }
    }

    async fn list(&self, scope: &BanScope, now: SystemTime) -> Result<Vec<BanEntry>, Error> {
        let key = self.key(scope);
        let key_ref = &key;
        let fields: Vec<(String, String)> = self
            .run(|mut connection| async move {
                redis::cmd("HGETALL")
                    .arg(key_ref)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        let mut active = Vec::with_capacity(fields.len());
        let mut expired = Vec::new();
        for (user, value) in fields {
            let entry = self.decode(&user, &value)?;
            if entry.is_active(now) {
                active.push(entry);
            } else {
                expired.push((user, value));
            }
        }
        self.purge(&key, expired).await;
        active.sort_by(|a, b| a.user.cmp(&b.user));
        Ok(active)
    }

    fn location(&self) -> String {
        self.link.location()
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escaped_parts_cannot_meet() {
        assert_eq!(escape("a:b"), "a%3Ab");
        assert_eq!(escape("a%3Ab"), "a%253Ab");
        assert_eq!(escape("{tag}"), "%7Btag%7D");
        assert_eq!(escape("plain-id_1"), "plain-id_1");
    }
}
