//! The dispatch loop's units of work: a [`Job`] (users that travel together in one call, or a
//! presence check of a batch whose failure named no user) and the [`Queue`] of jobs ready to go and
//! jobs waiting for their backoff.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use tokio::time::Instant;

use crate::engine::call::Tally;
use crate::{BatchResult, Error, Presence};

/// Users (indices into the distinct user list) that travel together in one provider call.
pub(super) struct Job {
    pub(super) users: Vec<usize>,
    /// The `attempt` the adapter sees: how many calls have carried these users, this one included.
    pub(super) attempt: u32,
    /// Attempts spent on faults (splits and throttled answers do not spend them), and throttled
    /// answers in a row.
    pub(super) tally: Tally,
    /// Why the previous call for these users failed, if one did.
    pub(super) last_error: Option<Error>,
    /// What the job does: a kick, or a presence check of users a kick failed for without saying who.
    pub(super) kind: JobKind,
    /// Whether a presence check already ran for these users (a failure that still names no user is
    /// then resolved by splitting).
    pub(super) checked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum JobKind {
    Kick,
    CheckPresence,
}

impl Job {
    pub(super) fn first(users: Vec<usize>) -> Self {
        Job {
            users,
            attempt: 1,
            tally: Tally {
                tries: 1,
                throttles: 0,
            },
            last_error: None,
            kind: JobKind::Kick,
            checked: false,
        }
    }

    /// The next call for some of this job's users.
    pub(super) fn next(&self, users: Vec<usize>, error: &Error) -> Self {
        Job {
            users,
            attempt: self.attempt + 1,
            tally: Tally {
                tries: self.tally.tries,
                throttles: 0,
            },
            last_error: Some(error.clone()),
            kind: JobKind::Kick,
            checked: self.checked,
        }
    }
}

pub(super) enum JobResult {
    /// Sent; what came back.
    Sent(BatchResult),
    /// Not sent: the deadline came first.
    Deadline,
    /// Not sent: a failure concerning the whole request stopped it.
    Stopped,
    /// Not sent: the caller stopped the request ([`StopSignal`](crate::StopSignal)).
    Halted,
    /// Not sent: the pacer could not grant a call.
    NoGrant(Error),
    /// A presence check ran (`calls` provider calls).
    Checked {
        result: Result<Vec<Presence>, Error>,
        calls: u32,
    },
}

/// A job waiting for its backoff or `Retry-After`, outside the concurrency slots.
struct Delayed {
    at: Instant,
    seq: u64,
    job: Job,
}

impl PartialEq for Delayed {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Delayed {
    /// Reversed, so that `BinaryHeap` pops the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Jobs ready to go and jobs waiting for their time.
#[derive(Default)]
pub(super) struct Queue {
    pub(super) ready: VecDeque<Job>,
    delayed: BinaryHeap<Delayed>,
    seq: u64,
}

impl Queue {
    pub(super) fn delay(&mut self, at: Instant, job: Job) {
        self.seq += 1;
        self.delayed.push(Delayed {
            at,
            seq: self.seq,
            job,
        });
    }

    /// Moves jobs whose time has come to the front of the ready queue (they are older than the rest).
    pub(super) fn release_due(&mut self, now: Instant) {
        let mut due = Vec::new();
        while self.delayed.peek().is_some_and(|d| d.at <= now) {
            if let Some(delayed) = self.delayed.pop() {
                due.push(delayed.job);
            }
        }
        for job in due.into_iter().rev() {
            self.ready.push_front(job);
        }
    }

    /// Splits `job`'s users into two jobs at the front of the queue, carrying them as call
    /// `attempt`. The batch's error belongs to one unknown user: it is no half's last error.
    pub(super) fn push_halves(&mut self, job: &Job, error: &Error, attempt: u32) {
        let (left, right) = job.users.split_at(job.users.len() / 2);
        for half in [right, left] {
            self.ready.push_front(Job {
                last_error: None,
                attempt,
                ..job.next(half.to_vec(), error)
            });
        }
    }

    pub(super) fn next_due(&self) -> Option<Instant> {
        self.delayed.peek().map(|d| d.at)
    }

    pub(super) fn drain(&mut self) -> Vec<Job> {
        let mut jobs: Vec<Job> = self.ready.drain(..).collect();
        jobs.extend(std::mem::take(&mut self.delayed).into_iter().map(|d| d.job));
        jobs
    }
}
