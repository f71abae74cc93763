//! The trait applications depend on.

use async_trait::async_trait;

use crate::{
    BanEntry, BanReport, BanRequest, Capabilities, DisconnectRequest, Error, JoinCheck, Member,
    Outcome, Plan, Reason, Report, RoomId, TokenDecision, TokenOptions, UnbanReport, UserId,
};

/// Removes users from rooms of one provider. Object-safe: hold it as `Arc<dyn Moderator>`.
///
/// Adapters do not implement this directly: they implement [`Adapter`](crate::Adapter) and the
/// [`Engine`](crate::Engine) turns them into a `Moderator`, adding validation, batching, pacing,
/// retries and reports.
///
/// ```
/// # #[cfg(feature = "mock")] {
/// use std::sync::Arc;
/// use room_moderator_core::{DisconnectRequest, Moderator, mock::MockAdapter};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let moderator: Arc<dyn Moderator> = Arc::new(MockAdapter::new().moderator());
/// let report = moderator
///     .disconnect(&DisconnectRequest::new("lobby", ["troll"]).with_reason("abuse"))
///     .await?;
/// assert!(report.all_gone());
/// # Ok::<_, room_moderator_core::Error>(()) }).unwrap();
/// # }
/// ```
#[async_trait]
pub trait Moderator: Send + Sync {
    /// The provider's short name (`"zego-zim"`, `"ivschat"`, ...).
    fn provider(&self) -> &'static str;

    /// What this provider can do.
    fn capabilities(&self) -> Capabilities;

    /// Validates `request` exactly as [`Moderator::disconnect`] would and says which provider calls it
    /// would make, without sending anything.
    fn plan(&self, request: &DisconnectRequest) -> Result<Plan, Error>;

    /// Removes the request's users.
    ///
    /// `Err` means nothing was sent: the request was invalid (an empty user list included) or the
    /// adapter is misconfigured. Once anything was sent, the answer is `Ok` and every distinct user
    /// has exactly one outcome in the [`Report`].
    async fn disconnect(&self, request: &DisconnectRequest) -> Result<Report, Error>;

    /// Removes everyone from `room`: with the provider's one call where it has one, otherwise by
    /// listing the members and removing them (see [`Capabilities::room_clear`]). Where neither is
    /// possible, fails with [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) without
    /// sending.
    async fn disconnect_all(
        &self,
        room: &RoomId,
        reason: Option<&Reason>,
    ) -> Result<RoomCleared, Error>;

    /// Everyone in `room` now, each once, as the provider lists them (every page, paced to the
    /// listing API's own rate). [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported), without a
    /// call, where the provider cannot say (IVS Chat).
    async fn members(&self, room: &RoomId) -> Result<Vec<Member>, Error>;

    /// Bans the request's users: records the ban in the ban store first (nothing is sent if it cannot
    /// be written), sets the provider's native rule where it has them, and removes the users now.
    /// `Err` means nothing was sent and nothing recorded.
    async fn ban(&self, request: &BanRequest) -> Result<BanReport, Error>;

    /// Lifts these users' bans (the store's entries and any native rules).
    async fn unban(&self, room: &RoomId, users: &[UserId]) -> Result<UnbanReport, Error>;

    /// The room's active bans, from the store merged with the provider's native rules.
    async fn bans(&self, room: &RoomId) -> Result<Vec<BanEntry>, Error>;

    /// The join gate: may `user` join `room` now? Ask before issuing a token or admitting a client.
    async fn check(&self, room: &RoomId, user: &UserId) -> Result<JoinCheck, Error>;

    /// Issues a join token through the provider (IVS Chat, EnableX) unless the user is banned, in
    /// which case nothing is asked of the provider and the answer says until when and why.
    async fn issue_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<TokenDecision, Error>;
}

/// What [`Moderator::disconnect_all`] did.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "method", content = "report", rename_all = "snake_case")
)]
pub enum RoomCleared {
    /// The provider's one call removed everyone.
    Native,
    /// The members were listed and removed; one outcome per member listed.
    ListedAndKicked(Report),
}

/// Conveniences on top of [`Moderator`], available on every implementation (including `dyn Moderator`).
#[async_trait]
pub trait ModeratorExt: Moderator {
    /// Removes one user and returns that user's outcome.
    async fn disconnect_one(
        &self,
        room: impl Into<RoomId> + Send,
        user: impl Into<UserId> + Send,
        reason: Option<Reason>,
    ) -> Result<Outcome, Error> {
        let user = user.into();
        let mut request = DisconnectRequest::new(room, [user.clone()]);
        if let Some(reason) = reason {
            request = request.with_reason(reason);
        }
        let report = self.disconnect(&request).await?;
        report
            .users()
            .first()
            .map(|entry| entry.outcome.clone())
            .ok_or_else(|| Error::protocol("the report holds no outcome for the user"))
    }
}

impl<M: Moderator + ?Sized> ModeratorExt for M {}
