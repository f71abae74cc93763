//! The one primitive an adapter implements: a single provider call for one batch of users.

use async_trait::async_trait;

use crate::{
    Capabilities, DisconnectRequest, Error, ErrorKind, Outcome, QuotaKey, Reason, RoomId, UserId,
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
}
