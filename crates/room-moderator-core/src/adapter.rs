//! The one primitive an adapter implements: a single provider call for one batch of users.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::{
    BanRule, Capabilities, DisconnectRequest, Error, ErrorKind, MemberPage, Outcome, Presence,
    QuotaKey, Reason, RoomId, Token, TokenOptions, UserId,
};

/// One provider call's worth of users, at most [`Capabilities::max_users_per_call`].
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    /// The room.
    pub room: &'a RoomId,
    /// The users, distinct, already validated.
    pub users: &'a [UserId],
    /// The reason, already validated; `None` when absent or not carried by the provider.
    pub reason: Option<&'a Reason>,
    /// 1 for the first call carrying these users, then 2, 3, ... on retries.
    pub attempt: u32,
}

impl<'a> Batch<'a> {
    /// The batch's one user, for an adapter whose provider call takes one user
    /// (`max_users_per_call: 1`); a larger batch, reachable only when a caller overrode the
    /// capabilities, is the whole batch's [`ErrorKind::Config`](crate::ErrorKind::Config) error
    /// naming `provider` and its `call`.
    ///
    /// ```
    /// use room_moderator_core::{Batch, BatchResult, RoomId, UserId};
    /// let room = RoomId::new("lobby");
    /// let users = [UserId::new("a"), UserId::new("b")];
    /// let one = Batch { room: &room, users: &users[..1], reason: None, attempt: 1 };
    /// assert_eq!(one.single_user("acme", "Kick").unwrap().as_str(), "a");
    /// let two = Batch { users: &users, ..one };
    /// assert!(matches!(two.single_user("acme", "Kick"), Err(BatchResult::Whole(_))));
    /// ```
    pub fn single_user(
        &self,
        provider: &'static str,
        call: &str,
    ) -> Result<&'a UserId, BatchResult> {
        match self.users {
            [user] => Ok(user),
            users => Err(BatchResult::Whole(
                Error::new(
                    ErrorKind::Config,
                    format!(
                        "{call} takes one user per call, got {}; keep max_users_per_call at 1",
                        users.len()
                    ),
                )
                .with_provider(provider),
            )),
        }
    }
}

/// What one provider call did.
#[derive(Clone, Debug)]
pub enum BatchResult {
    /// One outcome per user of the batch, in the batch's order. A wrong count is treated by the engine
    /// as a protocol error for the whole batch.
    PerUser(Vec<Outcome>),
    /// The call failed for every user alike (auth, unknown room, throttling, transport).
    Whole(Error),
    /// The call failed because of some user in it, but the answer does not say which (e.g. ZEGO answers
    /// one code for a 50-user batch). The engine splits the batch to pin the outcome to users; on a
    /// single-user batch this is that user's outcome.
    Unattributed(Error),
}

impl BatchResult {
    /// Every user of a batch of `len` users got the same outcome.
    pub fn all(len: usize, outcome: Outcome) -> Self {
        BatchResult::PerUser(vec![outcome; len])
    }
}

/// A provider adapter: builds, signs and sends one call, decodes the answer and maps the codes.
///
/// Everything generic (validation against capabilities, de-duplication, batching, pacing, retries,
/// splitting, reports) happens once, in the [`Engine`](crate::Engine).
#[async_trait]
pub trait Adapter: Send + Sync + 'static {
    /// The provider's short name, used in errors, traces and reports.
    fn provider(&self) -> &'static str;

    /// What the provider can do.
    fn capabilities(&self) -> Capabilities;

    /// The provider quota this adapter's calls draw from (account and API), so that every engine of
    /// the process on the same quota shares one adaptive pacer. `None` (the default) gives each
    /// engine its own.
    fn quota_key(&self) -> Option<QuotaKey> {
        None
    }

    /// The provider account this adapter acts for (ZEGO AppID, AWS account and region, EnableX app
    /// id): bans are kept per account and room. Not a secret: it appears in messages. The default is
    /// the provider's name, for adapters with one account per process.
    fn account(&self) -> String {
        self.provider().to_owned()
    }

    /// Provider-specific checks that [`Capabilities`] cannot express (an ARN pattern, say).
    /// Runs before anything is sent; the default accepts everything.
    fn check(&self, request: &DisconnectRequest) -> Result<(), Error> {
        let _ = request;
        Ok(())
    }

    /// Sends one provider call for `batch` and says what happened to each user.
    async fn send_batch(&self, batch: Batch<'_>) -> BatchResult;

    /// Removes everyone from `room`. Only called when [`Capabilities::disconnect_all`] is `true`.
    async fn disconnect_all(&self, room: &RoomId, reason: Option<&Reason>) -> Result<(), Error> {
        let _ = (room, reason);
        Err(Error::new(
            ErrorKind::Unsupported,
            "this provider cannot remove everyone at once",
        )
        .with_provider(self.provider()))
    }

    /// One page of `room`'s members, starting at `cursor` (`None` for the first page). Only called
    /// when [`Capabilities::members`] is set; the engine paces the calls, follows the pages, removes
    /// repeats and bounds the total.
    async fn members_page(&self, room: &RoomId, cursor: Option<&str>) -> Result<MemberPage, Error> {
        let _ = (room, cursor);
        Err(unsupported(
            self.provider(),
            "this provider cannot list a room's members",
        ))
    }

    /// Which of `users` (at most [`Capabilities::presence`]'s `per_call`) are in `room`, one answer
    /// per user in order. Only called when [`Capabilities::presence`] is set.
    async fn presence(&self, room: &RoomId, users: &[UserId]) -> Result<Vec<Presence>, Error> {
        let _ = (room, users);
        Err(unsupported(
            self.provider(),
            "this provider cannot say who is in a room",
        ))
    }

    /// Sets the provider's native rule keeping `user` out of `room` for `duration` (already within
    /// [`BanSupport::Native`](crate::BanSupport::Native)'s `max_duration`). Returns when the rule
    /// lapses, if the provider says. Only called for native bans.
    async fn set_ban_rule(
        &self,
        room: &RoomId,
        user: &UserId,
        duration: Duration,
    ) -> Result<Option<SystemTime>, Error> {
        let _ = (room, user, duration);
        Err(unsupported(
            self.provider(),
            "this provider has no native ban rules",
        ))
    }

    /// Deletes the native rule for `user` in `room`. Only called for native bans.
    async fn delete_ban_rule(&self, room: &RoomId, user: &UserId) -> Result<(), Error> {
        let _ = (room, user);
        Err(unsupported(
            self.provider(),
            "this provider has no native ban rules",
        ))
    }

    /// The native rules in force for `room`. Only called for native bans.
    async fn ban_rules(&self, room: &RoomId) -> Result<Vec<BanRule>, Error> {
        let _ = room;
        Err(unsupported(
            self.provider(),
            "this provider has no native ban rules",
        ))
    }

    /// Issues a join token for `user` in `room`. Only called when [`Capabilities::tokens`] is set,
    /// and never for a banned user (the engine asks the ban store first).
    async fn issue_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<Token, Error> {
        let _ = (room, user, options);
        Err(unsupported(
            self.provider(),
            "this provider's tokens are not issued by moderator",
        ))
    }
}

fn unsupported(provider: &'static str, message: &'static str) -> Error {
    Error::new(ErrorKind::Unsupported, message).with_provider(provider)
}
