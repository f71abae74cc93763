//! What to do: remove these users from this room, optionally saying why.

use std::time::Duration;

use crate::{Reason, RoomId, StopSignal, UserId};

/// A request to remove users from one room.
///
/// The user list may hold duplicates (they are removed once and reported once) but must not be empty:
/// an empty list never means "everyone" (see [`Moderator::disconnect_all`](crate::Moderator::disconnect_all)).
///
/// ```
/// use room_moderator_core::DisconnectRequest;
/// let request = DisconnectRequest::builder("lobby")
///     .with_user("spammer-1")
///     .with_users(["spammer-2", "spammer-3"])
///     .with_reason("spam")
///     .build();
/// assert_eq!(request.users().len(), 3);
/// assert_eq!(request.reason().map(|r| r.as_str()), Some("spam"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisconnectRequest {
    room: RoomId,
    users: Vec<UserId>,
    reason: Option<Reason>,
    presence_check: bool,
    deadline: Option<Duration>,
    stop: Option<StopSignal>,
}

impl DisconnectRequest {
    /// A request for `users` in `room`, without a reason.
    pub fn new(
        room: impl Into<RoomId>,
        users: impl IntoIterator<Item = impl Into<UserId>>,
    ) -> Self {
        DisconnectRequest {
            room: room.into(),
            users: users.into_iter().map(Into::into).collect(),
            reason: None,
            presence_check: true,
            deadline: None,
            stop: None,
        }
    }

    /// Starts a builder for `room`.
    pub fn builder(room: impl Into<RoomId>) -> DisconnectRequestBuilder {
        DisconnectRequestBuilder {
            request: DisconnectRequest::new(room, Vec::<UserId>::new()),
        }
    }

    /// Sets the reason shown to removed users where the provider carries one.
    pub fn with_reason(mut self, reason: impl Into<Reason>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Skips the presence check before kicking, on providers where a kick naming an absent user
    /// fails the whole call (ZIM): for callers who know their users are in the room. A call that
    /// still meets an absent user is then resolved by splitting the batch.
    pub fn without_presence_check(mut self) -> Self {
        self.presence_check = false;
        self
    }

    /// The longest this request may take, retries and throttling included, over the engine's
    /// deadlines ([`EngineBuilder::with_deadline`](crate::EngineBuilder::with_deadline)).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The request's own deadline, if it has one.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// Lets the caller stop the request gracefully: once `stop` is stopped, nothing more is sent,
    /// the calls in flight are answered, and every user not sent is reported `cancelled` ("not
    /// sent: stopped"). See [`StopSignal`] (an example there).
    pub fn with_stop(mut self, stop: &StopSignal) -> Self {
        self.stop = Some(stop.clone());
        self
    }

    /// The signal the request stops on, if it has one.
    pub fn stop(&self) -> Option<&StopSignal> {
        self.stop.as_ref()
    }

    /// Whether presence is checked before kicking where the provider needs it (the default).
    pub fn presence_check(&self) -> bool {
        self.presence_check
    }

    /// The room.
    pub fn room(&self) -> &RoomId {
        &self.room
    }

    /// The users, as given (duplicates included).
    pub fn users(&self) -> &[UserId] {
        &self.users
    }

    /// The reason, if any.
    pub fn reason(&self) -> Option<&Reason> {
        self.reason.as_ref()
    }
}

/// Builds a [`DisconnectRequest`].
#[derive(Clone, Debug)]
pub struct DisconnectRequestBuilder {
    request: DisconnectRequest,
}

impl DisconnectRequestBuilder {
    /// Adds one user.
    pub fn with_user(mut self, user: impl Into<UserId>) -> Self {
        self.request.users.push(user.into());
        self
    }

    /// Adds several users.
    pub fn with_users(mut self, users: impl IntoIterator<Item = impl Into<UserId>>) -> Self {
        self.request.users.extend(users.into_iter().map(Into::into));
        self
    }

    /// Sets the reason.
    pub fn with_reason(mut self, reason: impl Into<Reason>) -> Self {
        self.request.reason = Some(reason.into());
        self
    }

    /// Finishes the request. Validation happens when it is sent, against the provider's rules.
    pub fn build(self) -> DisconnectRequest {
        self.request
    }
}
