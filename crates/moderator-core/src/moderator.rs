//! The trait applications depend on.

use async_trait::async_trait;

use crate::{
    Capabilities, DisconnectRequest, Error, Outcome, Plan, Reason, Report, RoomId, UserId,
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
/// use moderator_core::{DisconnectRequest, Moderator, mock::MockAdapter};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let moderator: Arc<dyn Moderator> = Arc::new(MockAdapter::new().moderator());
/// let report = moderator
///     .disconnect(&DisconnectRequest::new("lobby", ["troll"]).with_reason("abuse"))
///     .await?;
/// assert!(report.all_gone());
/// # Ok::<_, moderator_core::Error>(()) }).unwrap();
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

    /// Removes everyone from `room`, where [`Capabilities::disconnect_all`] says the provider can.
    /// Otherwise fails with [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) without sending.
    async fn disconnect_all(&self, room: &RoomId, reason: Option<&Reason>) -> Result<(), Error>;
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
