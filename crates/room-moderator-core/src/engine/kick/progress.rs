//! Where the dispatch loop stands for one request: exactly one outcome per user, heard once by the
//! audit hook, whatever happens (a caller dropping the request's future included).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use tracing::{debug, info, warn};

use super::jobs::Job;
use crate::engine::call::{halted_error, persistent};
use crate::engine::stamp::stamped;
use crate::{AuditHook, Error, ErrorKind, Outcome, RetryStatus, RoomId, UserId, UserReport};

/// What a finished dispatch reports.
pub(crate) struct Dispatched {
    pub users: Vec<UserReport>,
    pub calls: u32,
    pub throttled: u32,
}

/// Where the loop stands for one request. If it is dropped before the loop finished (the caller
/// dropped the future), every user still without an outcome gets a `Cancelled` one, so the audit hook
/// hears exactly one outcome per user whatever happens.
pub(super) struct Progress<'a> {
    pub(super) provider: &'static str,
    pub(super) room: &'a RoomId,
    pub(super) users: &'a [UserId],
    pub(super) audit: Option<&'a dyn AuditHook>,
    /// Set while a call carrying the user is on the wire.
    pub(super) sending: &'a [AtomicBool],
    outcomes: Vec<Option<Outcome>>,
    pub(super) attempts: Vec<u32>,
    pub(super) calls: u32,
    pub(super) throttled: u32,
    /// The failure that stopped the request, if one did.
    pub(super) stopped_by: Option<Error>,
    finished: bool,
}

impl<'a> Progress<'a> {
    /// No outcome yet for any of `users`.
    pub(super) fn new(
        provider: &'static str,
        room: &'a RoomId,
        users: &'a [UserId],
        audit: Option<&'a dyn AuditHook>,
        sending: &'a [AtomicBool],
    ) -> Self {
        Progress {
            provider,
            room,
            users,
            audit,
            sending,
            outcomes: vec![None; users.len()],
            attempts: vec![0; users.len()],
            calls: 0,
            throttled: 0,
            stopped_by: None,
            finished: false,
        }
    }
}

impl Progress<'_> {
    pub(super) fn resolve(&mut self, user: usize, outcome: Outcome) {
        if self.outcomes[user].is_some() {
            return;
        }
        // The audit hook hears it before the request returns: named here, as at the boundary.
        let outcome = stamped(outcome, self.provider);
        if let Some(audit) = self.audit {
            audit.user_outcome(
                self.provider,
                self.room,
                &UserReport {
                    user: self.users[user].clone(),
                    outcome: outcome.clone(),
                    attempts: self.attempts[user],
                },
            );
        }
        self.outcomes[user] = Some(outcome);
    }

    /// Gives every listed user its final outcome for `error`.
    pub(super) fn settle(&mut self, users: &[usize], error: &Error) {
        let outcome = final_outcome(error);
        debug!(%error, users = users.len(), "final outcome");
        for &user in users {
            self.resolve(user, outcome.clone());
        }
    }

    /// Settles users whose call was never sent (or not sent again).
    pub(super) fn settle_unsent(&mut self, job: &Job, why: NotSent) {
        let again = if job.attempt > 1 { " again" } else { "" };
        let error = match (&why, &self.stopped_by, &job.last_error) {
            (NotSent::Stopped, Some(cause), _) => cause.not_sent(&format!(
                "not sent{again}, because a call of this request failed for all of it"
            )),
            // The caller stopped the request: not sent (again), so not removed by this request,
            // except what the last call, if any, may have done (its answer is in the message).
            (NotSent::Halted, _, Some(last)) => last.stopped_after(),
            (NotSent::Halted, _, None) => halted_error(again),
            // Sent before and failed; the retry could not go out: that failure is the outcome.
            (_, _, Some(last)) => last.clone(),
            _ => Error::new(
                ErrorKind::Timeout,
                format!(
                    "not sent{again}: the deadline passed before this user's call could be sent"
                ),
            )
            .with_status(RetryStatus::Permanent),
        };
        self.settle(&job.users, &error);
    }

    pub(super) fn into_dispatched(mut self) -> Dispatched {
        self.finished = true;
        let users = self
            .users
            .iter()
            .zip(std::mem::take(&mut self.outcomes))
            .zip(&self.attempts)
            .map(|((user, outcome), &attempts)| UserReport {
                user: user.clone(),
                // Every job ends in an outcome for each of its users, so a gap is a bug in this
                // loop; report it rather than lose the user.
                outcome: outcome.unwrap_or_else(|| {
                    Outcome::Failed(Error::protocol("no outcome was recorded for this user"))
                }),
                attempts,
            })
            .collect();
        Dispatched {
            users,
            calls: self.calls,
            throttled: self.throttled,
        }
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        for user in 0..self.users.len() {
            if self.outcomes[user].is_some() {
                continue;
            }
            let message = if self.sending[user].load(AtomicOrdering::Relaxed) {
                "cancelled while a call carrying this user was in flight; the provider may or may not have removed the user"
            } else {
                "not sent: the request was cancelled first"
            };
            let error = Error::new(ErrorKind::Cancelled, message);
            self.resolve(user, Outcome::Failed(error));
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum NotSent {
    Deadline,
    /// A failure concerning the whole request stopped it.
    Stopped,
    /// The caller stopped it ([`StopSignal`](crate::StopSignal)).
    Halted,
}

/// The outcome an error means for a user once no retry follows.
pub(crate) fn final_outcome(error: &Error) -> Outcome {
    if error.kind() == ErrorKind::NotInRoom {
        return Outcome::NotInRoom;
    }
    Outcome::Failed(persistent(error.clone()))
}

/// One warning per kind of failure in a finished request, not one per call or user.
pub(crate) fn log_failures(provider: &'static str, users: &[UserReport]) {
    let mut by_kind: HashMap<ErrorKind, (usize, &Error)> = HashMap::new();
    for entry in users {
        if let Some(error) = entry.outcome.error() {
            by_kind.entry(error.kind()).or_insert((0, error)).0 += 1;
        }
    }
    for (kind, (count, example)) in by_kind {
        // Cancelled users were not sent because the caller stopped or dropped the request: what the
        // caller asked for, not a failure to warn about.
        if kind == ErrorKind::Cancelled {
            info!(provider, users = count, error = %example, "users not removed: the request was stopped");
            continue;
        }
        warn!(provider, users = count, error = %example, "users could not be removed");
    }
}
