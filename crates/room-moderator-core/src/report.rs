//! What happened: one outcome per distinct requested user, in input order.

use std::time::Duration;

use crate::{Error, RoomId, UserId};

/// What happened to one user. In JSON (feature `serde`): `{"outcome": "failed", "error": {..}}` (the
/// `json` module documents the shape).
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "outcome", content = "error", rename_all = "snake_case")
)]
pub enum Outcome {
    /// The provider confirmed the user was removed.
    Disconnected,
    /// The user was not in the room, so there was nothing to remove.
    NotInRoom,
    /// The user could not be removed; the error says why and whether it was retried.
    Failed(Error),
}

impl Outcome {
    /// `true` for [`Outcome::Disconnected`] and [`Outcome::NotInRoom`]: the user is not in the room now.
    pub fn is_gone(&self) -> bool {
        !matches!(self, Outcome::Failed(_))
    }

    /// The error, for [`Outcome::Failed`].
    pub fn error(&self) -> Option<&Error> {
        match self {
            Outcome::Failed(error) => Some(error),
            _ => None,
        }
    }

    /// A short stable label: `disconnected`, `not_in_room` or `failed`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Disconnected => "disconnected",
            Outcome::NotInRoom => "not_in_room",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// One user's line in a [`Report`].
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UserReport {
    /// The user.
    pub user: UserId,
    /// What happened.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub outcome: Outcome,
    /// How many provider calls carried this user (0 if none was sent, e.g. the deadline passed first).
    pub attempts: u32,
}

/// Per-outcome counts of a [`Report`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Summary {
    /// Users removed.
    pub disconnected: usize,
    /// Users that were not in the room.
    pub not_in_room: usize,
    /// Users that could not be removed.
    pub failed: usize,
}

/// The result of [`Moderator::disconnect`](crate::Moderator::disconnect): exactly one outcome per
/// distinct requested user, in the order they were first given.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Report {
    room: RoomId,
    users: Vec<UserReport>,
    calls: u32,
    throttled: u32,
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "elapsed_ms",
            serialize_with = "crate::json::millis::serialize"
        )
    )]
    elapsed: Duration,
    reason_delivered: bool,
}

impl Report {
    /// The users' entries, for the engine's provider stamp.
    pub(crate) fn users_mut(&mut self) -> &mut [UserReport] {
        &mut self.users
    }

    /// Assembles a report; used by the engine and by test doubles.
    pub fn new(room: RoomId, users: Vec<UserReport>, calls: u32, reason_delivered: bool) -> Self {
        Report {
            room,
            users,
            calls,
            throttled: 0,
            elapsed: Duration::ZERO,
            reason_delivered,
        }
    }

    /// Records how many calls the provider answered with throttling.
    pub fn with_throttled(mut self, throttled: u32) -> Self {
        self.throttled = throttled;
        self
    }

    /// Adds calls made around the kicks (listing a room first, say) to [`Report::calls`].
    pub fn with_extra_calls(mut self, calls: u32) -> Self {
        self.calls = self.calls.saturating_add(calls);
        self
    }

    /// Records how long the request took.
    pub fn with_elapsed(mut self, elapsed: Duration) -> Self {
        self.elapsed = elapsed;
        self
    }

    /// The room.
    pub fn room(&self) -> &RoomId {
        &self.room
    }

    /// Every distinct user with its outcome, in input order.
    pub fn users(&self) -> &[UserReport] {
        &self.users
    }

    /// The outcome for `user`, if it was part of the request.
    pub fn outcome(&self, user: &UserId) -> Option<&Outcome> {
        self.users
            .iter()
            .find(|entry| &entry.user == user)
            .map(|entry| &entry.outcome)
    }

    /// Provider calls made, retries and splits included.
    pub fn calls(&self) -> u32 {
        self.calls
    }

    /// Provider calls answered with throttling (they were re-paced and sent again, and are counted
    /// in [`Report::calls`] too).
    pub fn throttled(&self) -> u32 {
        self.throttled
    }

    /// How long the request took, from the first call's turn to the last outcome.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Whether a reason was given and the provider carries reasons to the removed users.
    pub fn reason_delivered(&self) -> bool {
        self.reason_delivered
    }

    /// `true` when every user is out of the room (disconnected or not there).
    pub fn all_gone(&self) -> bool {
        self.users.iter().all(|entry| entry.outcome.is_gone())
    }

    /// The users that could not be removed, with their errors.
    pub fn failures(&self) -> impl Iterator<Item = (&UserId, &Error)> {
        self.users
            .iter()
            .filter_map(|entry| entry.outcome.error().map(|e| (&entry.user, e)))
    }

    /// Counts per outcome.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for entry in &self.users {
            match entry.outcome {
                Outcome::Disconnected => summary.disconnected += 1,
                Outcome::NotInRoom => summary.not_in_room += 1,
                Outcome::Failed(_) => summary.failed += 1,
            }
        }
        summary
    }
}
