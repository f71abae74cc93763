//! Removing the same users from several rooms at once, on one provider or several.

use std::sync::Arc;

use futures::future::join_all;

use crate::{DisconnectRequest, Error, Moderator, Reason, Report, RoomId, UserId};

/// One room on one provider, for [`disconnect_everywhere`].
#[derive(Clone)]
pub struct Target {
    /// The provider's moderator, as the application already holds it.
    pub moderator: Arc<dyn Moderator>,
    /// The room on that provider.
    pub room: RoomId,
}

impl Target {
    /// `room` on the facade's provider.
    pub fn new(moderator: Arc<dyn Moderator>, room: impl Into<RoomId>) -> Self {
        Target {
            moderator,
            room: room.into(),
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("provider", &self.moderator.provider())
            .field("room", &self.room)
            .finish()
    }
}

/// What happened on one target.
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetReport {
    /// The target's provider.
    pub provider: &'static str,
    /// The target's room.
    pub room: RoomId,
    /// The report, or why nothing was sent to this target.
    pub result: Result<Report, Error>,
}

/// Removes `users` from every target's room, targets in parallel, each paced by its own provider's
/// engine. One report per target, in the targets' order; a target that fails (refused before
/// sending, say) does not stop the others.
///
/// ```
/// # #[cfg(feature = "mock")] {
/// use std::sync::Arc;
/// use room_moderator_core::{Target, UserId, disconnect_everywhere, mock::MockAdapter};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let chat = MockAdapter::new();
/// let video = MockAdapter::new();
/// let targets = [
///     Target::new(Arc::new(chat.moderator()), "chat-room"),
///     Target::new(Arc::new(video.moderator()), "video-room"),
/// ];
/// let reports = disconnect_everywhere(&targets, &[UserId::new("troll")], None).await;
/// assert!(reports.iter().all(|r| r.result.as_ref().is_ok_and(|report| report.all_gone())));
/// # });
/// # }
/// ```
pub async fn disconnect_everywhere(
    targets: &[Target],
    users: &[UserId],
    reason: Option<&Reason>,
) -> Vec<TargetReport> {
    join_all(targets.iter().map(|target| async move {
        let mut request = DisconnectRequest::new(target.room.clone(), users.to_vec());
        if let Some(reason) = reason {
            request = request.with_reason(reason.clone());
        }
        TargetReport {
            provider: target.moderator.provider(),
            room: target.room.clone(),
            result: target.moderator.disconnect(&request).await,
        }
    }))
    .await
}
