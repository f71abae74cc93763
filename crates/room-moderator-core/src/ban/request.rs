//! What to ban: these users from this room, for how long and why.

use std::time::Duration;

use crate::{RoomId, StopSignal, UserId};

/// A request to ban users from one room (remove them now and keep them out).
///
/// ```
/// use std::time::Duration;
/// use room_moderator_core::BanRequest;
/// let request = BanRequest::new("lobby", ["raider-1", "raider-2"])
///     .with_duration(Duration::from_secs(3600))
///     .with_reason("raid")
///     .with_requested_by("alice@trust-and-safety");
/// assert_eq!(request.duration(), Some(Duration::from_secs(3600)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BanRequest {
    room: RoomId,
    users: Vec<UserId>,
    duration: Option<Duration>,
    reason: Option<String>,
    by: Option<String>,
    deadline: Option<Duration>,
    stop: Option<StopSignal>,
}

impl BanRequest {
    /// A ban of `users` from `room` until lifted. The list must not be empty.
    pub fn new(
        room: impl Into<RoomId>,
        users: impl IntoIterator<Item = impl Into<UserId>>,
    ) -> Self {
        BanRequest {
            room: room.into(),
            users: users.into_iter().map(Into::into).collect(),
            duration: None,
            reason: None,
            by: None,
            deadline: None,
            stop: None,
        }
    }

    /// The ban ends after `duration` (at least one second).
    pub fn with_duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// Why; kept with the ban, shown by `bans` and `check`, and sent with the kick where the
    /// provider carries a reason.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The longest this ban may take (its rules and its kick), over the engine's deadlines
    /// ([`EngineBuilder::with_deadline`](crate::EngineBuilder::with_deadline)). The ban is recorded in the
    /// store first, whatever happens at the deadline.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The ban's own deadline, if it has one.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// Lets the caller stop the ban gracefully: once `stop` is stopped, no more rule or kick call
    /// is sent, the calls in flight are answered, and every user whose kick was not sent is
    /// reported failed, `cancelled` ("not sent: stopped"), their ban recorded all the same. See
    /// [`StopSignal`].
    pub fn with_stop(mut self, stop: &StopSignal) -> Self {
        self.stop = Some(stop.clone());
        self
    }

    /// The signal the ban stops on, if it has one.
    pub fn stop(&self) -> Option<&StopSignal> {
        self.stop.as_ref()
    }

    /// Who asked (an operator, a rule name); kept with the ban.
    pub fn with_requested_by(mut self, who: impl Into<String>) -> Self {
        self.by = Some(who.into());
        self
    }

    /// The room.
    pub fn room(&self) -> &RoomId {
        &self.room
    }

    /// The users, as given.
    pub fn users(&self) -> &[UserId] {
        &self.users
    }

    /// How long, `None` for until lifted.
    pub fn duration(&self) -> Option<Duration> {
        self.duration
    }

    /// Why, if given.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// Who asked, if given.
    pub fn requested_by(&self) -> Option<&str> {
        self.by.as_deref()
    }
}
