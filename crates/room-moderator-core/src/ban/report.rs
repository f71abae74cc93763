//! What a ban, an unban and a join check did, per user.

use std::time::SystemTime;

use crate::{Error, RoomId, UserId};

/// What happened to one user of a ban. In JSON (feature `serde`):
/// `{"outcome": "banned", "until_unix": 1700000000, "native": true}`.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "outcome", rename_all = "snake_case"))]
pub enum BanOutcome {
    /// Removed from the room and banned.
    Banned {
        /// When the ban ends; `None` until lifted.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "until_unix", with = "crate::json::optional_unix_secs")
        )]
        until: Option<SystemTime>,
        /// Whether a provider rule enforces it too (not only the store and the join gate).
        native: bool,
    },
    /// Not in the room now, and banned all the same.
    NotInRoom {
        /// When the ban ends; `None` until lifted.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "until_unix", with = "crate::json::optional_unix_secs")
        )]
        until: Option<SystemTime>,
        /// Whether a provider rule enforces it too.
        native: bool,
    },
    /// Banned in the store but could not be removed from the room now (the error says why), or not
    /// banned at all when the error came before the store was written.
    Failed {
        /// What went wrong.
        error: Error,
        /// Whether the ban was recorded all the same (then the join gate keeps the user out).
        recorded: bool,
    },
}

impl BanOutcome {
    /// A short stable label: `banned`, `not_in_room` or `failed`.
    pub fn label(&self) -> &'static str {
        match self {
            BanOutcome::Banned { .. } => "banned",
            BanOutcome::NotInRoom { .. } => "not_in_room",
            BanOutcome::Failed { .. } => "failed",
        }
    }

    /// The error, for [`BanOutcome::Failed`].
    pub fn error(&self) -> Option<&Error> {
        match self {
            BanOutcome::Failed { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// One user's line in a [`BanReport`].
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BanUserReport {
    /// The user.
    pub user: UserId,
    /// What happened.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub outcome: BanOutcome,
}

/// The result of [`Moderator::ban`](crate::Moderator::ban): one outcome per distinct user, in input
/// order, and the warnings the ban raised once (a native rule not enabled, a rule limit reached).
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct BanReport {
    /// The room.
    pub room: RoomId,
    /// Every distinct user with its outcome.
    pub users: Vec<BanUserReport>,
    /// Provider calls made (rules and kicks).
    pub calls: u32,
    /// One line per distinct problem that did not fail the ban (e.g. "native bans are not enabled
    /// for this AppID; ask ZEGO support to enable SetForbidUserRule").
    pub warnings: Vec<String>,
}

impl BanReport {
    /// Whether every user is banned (removed now or not in the room).
    pub fn all_banned(&self) -> bool {
        self.users
            .iter()
            .all(|entry| !matches!(entry.outcome, BanOutcome::Failed { .. }))
    }
}

/// What happened to one user of an unban.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "outcome", content = "error", rename_all = "snake_case")
)]
pub enum UnbanOutcome {
    /// The ban was lifted.
    Lifted,
    /// There was no active ban.
    NotBanned,
    /// The ban could not be lifted (the error says why).
    Failed(Error),
}

/// One user's line in an [`UnbanReport`].
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UnbanUserReport {
    /// The user.
    pub user: UserId,
    /// What happened.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub outcome: UnbanOutcome,
}

/// The result of [`Moderator::unban`](crate::Moderator::unban).
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct UnbanReport {
    /// The room.
    pub room: RoomId,
    /// Every distinct user with its outcome, in input order.
    pub users: Vec<UnbanUserReport>,
    /// Provider calls made.
    pub calls: u32,
}

/// The join gate's answer: [`Moderator::check`](crate::Moderator::check).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "decision", rename_all = "snake_case"))]
pub enum JoinCheck {
    /// No active ban: issue the token.
    Allowed,
    /// Banned: refuse.
    Banned {
        /// When the ban ends; `None` until lifted.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "until_unix", with = "crate::json::optional_unix_secs")
        )]
        until: Option<SystemTime>,
        /// Why, if given.
        reason: Option<String>,
    },
}
