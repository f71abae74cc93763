//! Where bans are remembered: the [`BanStore`] trait and what it holds.

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;

use crate::{Error, RoomId, UserId};

/// Whose bans: one provider account's room. Bans never leak between providers, accounts or rooms.
///
/// ```
/// use room_moderator_core::BanScope;
/// let scope = BanScope::new("zego-rtc", "1234567", "lobby");
/// assert_eq!(scope.to_string(), "zego-rtc/1234567/lobby");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BanScope {
    provider: String,
    account: String,
    room: RoomId,
}

impl BanScope {
    /// The bans of `room` on `provider` for `account` (the account is not a secret: an AppID, an
    /// AWS account and region, an EnableX app id).
    pub fn new(
        provider: impl Into<String>,
        account: impl Into<String>,
        room: impl Into<RoomId>,
    ) -> Self {
        BanScope {
            provider: provider.into(),
            account: account.into(),
            room: room.into(),
        }
    }

    /// The provider.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The room.
    pub fn room(&self) -> &RoomId {
        &self.room
    }
}

impl fmt::Display for BanScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.provider, self.account, self.room)
    }
}

/// One remembered ban.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct BanEntry {
    /// Who is banned.
    pub user: UserId,
    /// Why, if given.
    #[cfg_attr(feature = "serde", serde(default))]
    pub reason: Option<String>,
    /// Who asked, if given.
    #[cfg_attr(feature = "serde", serde(default))]
    pub by: Option<String>,
    /// When the ban was made.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "banned_at_unix", with = "crate::json::unix_secs")
    )]
    pub banned_at: SystemTime,
    /// When it ends; `None` until lifted.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "until_unix",
            with = "crate::json::optional_unix_secs",
            default
        )
    )]
    pub until: Option<SystemTime>,
    /// Until when the provider's native rule holds, where one was set (it is renewed while the ban
    /// lasts longer than one rule can).
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "rule_until_unix",
            with = "crate::json::optional_unix_secs",
            default
        )
    )]
    pub rule_until: Option<SystemTime>,
}

impl BanEntry {
    /// A ban of `user` made at `banned_at`, until lifted, without reason.
    pub fn new(user: impl Into<UserId>, banned_at: SystemTime) -> Self {
        BanEntry {
            user: user.into(),
            reason: None,
            by: None,
            banned_at,
            until: None,
            rule_until: None,
        }
    }

    /// Sets when the ban ends.
    pub fn with_until(mut self, until: Option<SystemTime>) -> Self {
        self.until = until;
        self
    }

    /// Sets why.
    pub fn with_reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason;
        self
    }

    /// Sets who asked.
    pub fn with_by(mut self, by: Option<String>) -> Self {
        self.by = by;
        self
    }

    /// Records until when the native rule holds.
    pub fn with_rule_until(mut self, rule_until: Option<SystemTime>) -> Self {
        self.rule_until = rule_until;
        self
    }

    /// Whether the ban still holds at `now`. Expired entries never count.
    pub fn is_active(&self, now: SystemTime) -> bool {
        self.until.is_none_or(|until| until > now)
    }
}

/// A provider's own server-side ban rule, as it lists them (ZEGO RTC `DescribeForbidUserRules`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BanRule {
    /// The banned user.
    pub user: UserId,
    /// When the rule lapses.
    pub expires_at: SystemTime,
}

impl BanRule {
    /// A rule for `user` lapsing at `expires_at`.
    pub fn new(user: impl Into<UserId>, expires_at: SystemTime) -> Self {
        BanRule {
            user: user.into(),
            expires_at,
        }
    }
}

/// Remembers bans per [`BanScope`]. Implementations: [`MemoryBanStore`](crate::MemoryBanStore) (one
/// process, for tests), and in `room-moderator-state` an embedded file store (several processes on one
/// host) and a Redis store (several hosts).
///
/// Time is passed in (`now`), never read by the store, so that expiry follows the engine's clock
/// ([`wall_clock_now`](crate::wall_clock_now)) and can be tested on paused time. A store that
/// cannot be reached answers [`ErrorKind::Unavailable`](crate::ErrorKind::Unavailable); one whose
/// data is unreadable answers [`ErrorKind::Protocol`](crate::ErrorKind::Protocol).
#[async_trait]
pub trait BanStore: Send + Sync + fmt::Debug {
    /// Records (or replaces) these bans in `scope`. All or nothing.
    async fn put(&self, scope: &BanScope, entries: &[BanEntry]) -> Result<(), Error>;

    /// Lifts these users' bans in `scope`; one answer per user, in order: whether a ban that was
    /// still active at `now` was lifted.
    async fn remove(
        &self,
        scope: &BanScope,
        users: &[UserId],
        now: SystemTime,
    ) -> Result<Vec<bool>, Error>;

    /// The active ban of `user` in `scope` at `now`, if any.
    async fn get(
        &self,
        scope: &BanScope,
        user: &UserId,
        now: SystemTime,
    ) -> Result<Option<BanEntry>, Error>;

    /// Every ban active at `now` in `scope`, ordered by user id.
    async fn list(&self, scope: &BanScope, now: SystemTime) -> Result<Vec<BanEntry>, Error>;

    /// Where the bans are kept, for messages (a path, a Redis host; never a password).
    fn location(&self) -> String;
}
