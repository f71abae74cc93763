//! The kick's dispatch loop: batches in flight, retries, splits, fail-fast, deadlines, cancellation,
//! and exactly one outcome per user. Each call goes through the one call path (`call.rs`): the
//! pacing, the send, the pacer's feedback and the retry decision are the same as every other call's.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{Instrument, debug, debug_span, warn};

use super::Engine;
use super::call::{CallResult, Next, NotSent as Unsent, Pacing, Sent, Tally, next_step};
use super::pacer::Answer;
use crate::{
    Adapter, AuditHook, Batch, BatchResult, Error, ErrorKind, Outcome, Presence, Reason,
    RetryPolicy, RetryStatus, RoomId, UserId, UserReport,
};

/// This many unreadable answers in a row (an HTML sign-in page, `{"ok": true}`: something in the way
/// answers for the provider) stop the request the way a failure concerning all of it does: the
/// calls in flight finish, nothing new is sent. Three in a row are still retried (a proxy that
/// recovers), so a request meets at most `max_concurrency + 3` such answers.
pub(crate) const UNREADABLE_STREAK: u32 = 4;

/// Users (indices into the distinct user list) that travel together in one provider call.
struct Job {
    users: Vec<usize>,
    /// The `attempt` the adapter sees: how many calls have carried these users, this one included.
    attempt: u32,
    /// Attempts spent on faults (splits and throttled answers do not spend them), and throttled
    /// answers in a row.
    tally: Tally,
    /// Why the previous call for these users failed, if one did.
    last_error: Option<Error>,
    /// What the job does: a kick, or a presence check of users a kick failed for without saying who.
    kind: JobKind,
    /// Whether a presence check already ran for these users (a failure that still names no user is
    /// then resolved by splitting).
    checked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobKind {
    Kick,
    CheckPresence,
}

impl Job {
    fn first(users: Vec<usize>) -> Self {
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
    fn next(&self, users: Vec<usize>, error: &Error) -> Self {
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

enum JobResult {
    /// Sent; what came back.
    Sent(BatchResult),
    /// Not sent: the deadline came first.
    Deadline,
    /// Not sent: a failure concerning the whole request stopped it.
    Stopped,
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

/// What a finished dispatch reports.
pub(crate) struct Dispatched {
    pub users: Vec<UserReport>,
    pub calls: u32,
    pub throttled: u32,
}

/// Where the loop stands for one request. If it is dropped before the loop finished (the caller
/// dropped the future), every user still without an outcome gets a `Cancelled` one, so the audit hook
/// hears exactly one outcome per user whatever happens.
struct Progress<'a> {
    provider: &'static str,
    room: &'a RoomId,
    users: &'a [UserId],
    audit: Option<&'a dyn AuditHook>,
    /// Set while a call carrying the user is on the wire.
    sending: &'a [AtomicBool],
    outcomes: Vec<Option<Outcome>>,
    attempts: Vec<u32>,
    calls: u32,
    throttled: u32,
    /// The failure that stopped the request, if one did.
    stopped_by: Option<Error>,
    finished: bool,
}

impl Progress<'_> {
    fn resolve(&mut self, user: usize, outcome: Outcome) {
        if self.outcomes[user].is_some() {
            return;
        }
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
    fn settle(&mut self, users: &[usize], error: &Error) {
        let outcome = final_outcome(error);
        debug!(%error, users = users.len(), "final outcome");
        for &user in users {
            self.resolve(user, outcome.clone());
        }
    }

    /// Settles users whose call was never sent (or not sent again).
    fn settle_unsent(&mut self, job: &Job, why: NotSent) {
        let again = if job.attempt > 1 { " again" } else { "" };
        let error = match (&why, &self.stopped_by, &job.last_error) {
            (NotSent::Stopped, Some(cause), _) => cause.not_sent(&format!(
                "not sent{again}, because a call of this request failed for all of it"
            )),
            // Sent before and failed; the retry could not go out: that failure is the outcome.
            (_, _, Some(last)) => last.clone(),
            _ => Error::new(
                ErrorKind::Timeout,
                format!(
                    "not sent{again}: the deadline passed before this user's call could be sent"
                ),
            )
            .with_provider(self.provider)
            .with_status(RetryStatus::Permanent),
        };
        self.settle(&job.users, &error);
    }

    fn into_dispatched(mut self) -> Dispatched {
        self.finished = true;
        let provider = self.provider;
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
                    Outcome::Failed(
                        Error::protocol("no outcome was recorded for this user")
                            .with_provider(provider),
                    )
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
            let error = Error::new(ErrorKind::Cancelled, message).with_provider(self.provider);
            self.resolve(user, Outcome::Failed(error));
        }
    }
}

#[derive(Clone, Copy)]
enum NotSent {
    Deadline,
    Stopped,
}

/// What every job of one request shares.
struct Shared<'a> {
    room: &'a RoomId,
    users: &'a [UserId],
    reason: Option<&'a Reason>,
    deadline: Instant,
    sending: &'a [AtomicBool],
    stop: watch::Receiver<bool>,
}

/// The loop's state: the outcomes so far, the jobs to come, and what decides the next step.
struct Run<'a> {
    progress: Progress<'a>,
    queue: Queue,
    deadline: Instant,
    policy: RetryPolicy,
    /// Whether the provider can say who is in a room (a batch whose failure names no user is then
    /// checked rather than halved).
    can_check_presence: bool,
    stop: watch::Sender<bool>,
    /// Unreadable answers in a row ([`UNREADABLE_STREAK`]).
    unreadable: u32,
}

impl<A: Adapter> Engine<A> {
    pub(crate) async fn dispatch(
        &self,
        room: &RoomId,
        users: &[UserId],
        reason: Option<&Reason>,
        deadline: Instant,
        presence_check: bool,
    ) -> Dispatched {
        let sending: Vec<AtomicBool> = users.iter().map(|_| AtomicBool::new(false)).collect();
        let (stop_tx, stop_rx) = watch::channel(false);
        let shared = Shared {
            room,
            users,
            reason,
            deadline,
            sending: &sending,
            stop: stop_rx,
        };
        let mut run = Run {
            progress: Progress {
                provider: self.adapter.provider(),
                room,
                users,
                audit: self.config.audit.as_deref(),
                sending: &sending,
                outcomes: vec![None; users.len()],
                attempts: vec![0; users.len()],
                calls: 0,
                throttled: 0,
                stopped_by: None,
                finished: false,
            },
            queue: Queue {
                ready: VecDeque::new(),
                delayed: BinaryHeap::new(),
                seq: 0,
            },
            deadline,
            policy: self.config.retry,
            can_check_presence: self.can_check_presence(),
            stop: stop_tx,
            unreadable: 0,
        };
        let max = self.caps.max_users_per_call.get();
        let mut to_kick: Vec<usize> = (0..users.len()).collect();
        // Inside the loop's bookkeeping, so that a caller giving up during the check still hears
        // one outcome per user.
        let checked = self.precheck(room, users, presence_check, deadline).await;
        if let Some(checked) = checked {
            // Found absent by the presence check before kicking: nothing to send for them.
            run.progress.calls += checked.calls;
            to_kick.retain(|&user| checked.present[user]);
            for (user, present) in checked.present.iter().enumerate() {
                if !present {
                    run.progress.resolve(user, Outcome::NotInRoom);
                }
            }
            if let Some(error) = checked.stop {
                warn!(%error, "stopping this request: the presence check failed for all of it, so no kick is sent");
                run.progress.stopped_by = Some(error);
            }
        }
        run.queue.ready = to_kick
            .chunks(max)
            .map(|chunk| Job::first(chunk.to_vec()))
            .collect();
        let mut in_flight = FuturesUnordered::new();
        loop {
            run.queue.release_due(Instant::now());
            if run.progress.stopped_by.is_some() {
                for job in run.queue.drain() {
                    run.progress.settle_unsent(&job, NotSent::Stopped);
                }
            }
            while in_flight.len() < self.config.max_concurrency {
                let Some(job) = run.queue.ready.pop_front() else {
                    break;
                };
                in_flight.push(self.run_job(&shared, job));
            }
            if in_flight.is_empty() {
                match run.queue.next_due() {
                    Some(at) => {
                        tokio::time::sleep_until(at).await;
                        continue;
                    }
                    None => break,
                }
            }
            let wake = run
                .queue
                .next_due()
                .filter(|_| in_flight.len() < self.config.max_concurrency);
            tokio::select! {
                finished = in_flight.next() => {
                    if let Some((job, result)) = finished {
                        run.absorb(job, result);
                    }
                }
                () = sleep_until_some(wake) => {}
            }
        }
        run.progress.into_dispatched()
    }

    /// Sends the job through the one call path (pacing, deadline, send, the pacer's feedback), or
    /// runs its presence check.
    async fn run_job(&self, shared: &Shared<'_>, job: Job) -> (Job, JobResult) {
        if job.kind == JobKind::CheckPresence {
            // Presence calls are paced by their own API's pacers inside `presence_of`, not by
            // the kick's turn.
            let users: Vec<UserId> = job.users.iter().map(|&i| shared.users[i].clone()).collect();
            if *shared.stop.borrow() {
                return (job, JobResult::Stopped);
            }
            let (result, calls) = self.presence_of(shared.room, &users, shared.deadline).await;
            return (job, JobResult::Checked { result, calls });
        }
        let batch_users: Vec<UserId> = job.users.iter().map(|&i| shared.users[i].clone()).collect();
        let users = &batch_users;
        let span = debug_span!("moderator.call", provider = self.adapter.provider(), room = %shared.room, batch_size = batch_users.len(), attempt = job.attempt);
        let pacing = Pacing {
            kick: self.pacer.as_deref(),
            own: None,
        };
        let send = || {
            // Right before sending, after the pacing wait: a cancelled request tells these users
            // apart from those never sent.
            for &user in &job.users {
                shared.sending[user].store(true, AtomicOrdering::Relaxed);
            }
            let batch = Batch {
                room: shared.room,
                users,
                reason: shared.reason,
                attempt: job.attempt,
            };
            async move {
                debug!(?users, "sending");
                self.adapter.send_batch(batch).await
            }
            .instrument(span)
        };
        let sent = self
            .call_once(&pacing, shared.deadline, Some(shared.stop.clone()), send)
            .await;
        let result = match sent {
            Sent::Answered { result } => JobResult::Sent(result),
            Sent::NotSent(Unsent::Deadline) => JobResult::Deadline,
            Sent::NotSent(Unsent::Stopped) => JobResult::Stopped,
            Sent::NotSent(Unsent::NoGrant(error)) => JobResult::NoGrant(error),
        };
        (job, result)
    }
}

impl Run<'_> {
    /// Turns one job's result into outcomes, retries, re-sends or splits.
    fn absorb(&mut self, job: Job, result: JobResult) {
        let result = match result {
            JobResult::Sent(result) => result,
            JobResult::Deadline => return self.progress.settle_unsent(&job, NotSent::Deadline),
            JobResult::Stopped => return self.progress.settle_unsent(&job, NotSent::Stopped),
            JobResult::NoGrant(error) => return self.progress.settle(&job.users, &error),
            JobResult::Checked { result, calls } => {
                self.progress.calls += calls;
                return absorb_check(&mut self.progress, &mut self.queue, job, result);
            }
        };
        self.progress.calls += 1;
        for &user in &job.users {
            self.progress.attempts[user] += 1;
            self.progress.sending[user].store(false, AtomicOrdering::Relaxed);
        }
        let throttled = result.answer() == Some(Answer::Throttled);
        if throttled {
            self.progress.throttled += 1;
        }
        if let Some(audit) = self.progress.audit {
            audit.call_finished(self.progress.provider, self.progress.room, throttled);
        }
        self.count_unreadable(&result);
        match result {
            BatchResult::PerUser(outcomes) if outcomes.len() == job.users.len() => {
                self.per_user(&job, outcomes)
            }
            BatchResult::PerUser(outcomes) => {
                let error = Error::protocol(format!(
                    "the adapter returned {} outcomes for a batch of {} users",
                    outcomes.len(),
                    job.users.len()
                ))
                .with_provider(self.progress.provider);
                self.progress.settle(&job.users, &error);
            }
            BatchResult::Whole(error) => self.whole(job, &error),
            BatchResult::Unattributed(error) if error.is_temporary() || job.users.len() == 1 => {
                self.whole(job, &error)
            }
            BatchResult::Unattributed(error) => self.unattributed(job, &error),
        }
    }

    /// Outcomes named per user: final ones are kept, temporary failures go again, grouped by kind.
    fn per_user(&mut self, job: &Job, outcomes: Vec<Outcome>) {
        let mut again: Vec<(usize, Error)> = Vec::new();
        for (&user, outcome) in job.users.iter().zip(outcomes) {
            match outcome {
                Outcome::Failed(error) if error.is_temporary() => again.push((user, error)),
                Outcome::Failed(error) => {
                    self.stop_if_request_wide(&error);
                    self.progress.settle(&[user], &error);
                }
                outcome => self.progress.resolve(user, outcome),
            }
        }
        // Users that failed alike travel together again.
        let mut groups: Vec<(Error, Vec<usize>)> = Vec::new();
        for (user, error) in again {
            match groups.iter_mut().find(|(e, _)| e.kind() == error.kind()) {
                Some((_, users)) => users.push(user),
                None => groups.push((error, vec![user])),
            }
        }
        for (error, users) in groups {
            self.again(job, users, &error);
        }
    }

    /// A permanent failure naming no user, in a batch of several: someone in it is not in the room
    /// (they left between the check and the kick, or no check ran). Asks who, where the provider
    /// can say; otherwise halves the batch.
    fn unattributed(&mut self, job: Job, error: &Error) {
        if self.progress.stopped_by.is_some() {
            let job = job.next(job.users.clone(), error);
            return self.progress.settle_unsent(&job, NotSent::Stopped);
        }
        if !job.checked && self.can_check_presence {
            debug!(%error, batch_size = job.users.len(), "checking presence of a batch whose failure names no user");
            let check = Job {
                kind: JobKind::CheckPresence,
                checked: true,
                ..job.next(job.users.clone(), error)
            };
            self.queue.ready.push_front(check);
            return;
        }
        debug!(%error, batch_size = job.users.len(), "splitting a batch whose failure names no user");
        self.queue.push_halves(&job, error, job.attempt + 1);
    }

    /// Counts unreadable answers in a row; at [`UNREADABLE_STREAK`] the request stops.
    fn count_unreadable(&mut self, result: &BatchResult) {
        let unreadable = match result {
            BatchResult::Whole(error) | BatchResult::Unattributed(error)
                if error.kind() == ErrorKind::Protocol && error.is_temporary() =>
            {
                error
            }
            _ => {
                self.unreadable = 0;
                return;
            }
        };
        self.unreadable += 1;
        if self.unreadable < UNREADABLE_STREAK || self.progress.stopped_by.is_some() {
            return;
        }
        let error = super::persistent(unreadable.clone()).noting(&format!(
            "{UNREADABLE_STREAK} answers in a row were not the provider's (is a proxy or a sign-in page answering for it?)"
        ));
        warn!(%error, "stopping this request: the provider's answers cannot be read");
        self.progress.stopped_by = Some(error);
        let _ = self.stop.send(true);
    }

    /// A permanent failure that concerns the whole request stops sending the rest of it: calls in
    /// flight finish, nothing new is sent.
    fn stop_if_request_wide(&mut self, error: &Error) {
        if self.progress.stopped_by.is_some()
            || error.is_temporary()
            || !error.kind().concerns_whole_request()
        {
            return;
        }
        warn!(%error, "stopping this request: the failure concerns all of it, so the remaining users are not sent");
        self.progress.stopped_by = Some(error.clone());
        let _ = self.stop.send(true);
    }

    fn whole(&mut self, job: Job, error: &Error) {
        if error.is_temporary() {
            let users = job.users.clone();
            self.again(&job, users, error);
        } else {
            self.stop_if_request_wide(error);
            self.progress.settle(&job.users, error);
        }
    }

    /// Sends `users` of `job` again after a temporary `error`, as the one retry decision
    /// ([`next_step`]) says; otherwise `error` is their outcome.
    fn again(&mut self, job: &Job, users: Vec<usize>, error: &Error) {
        let mut next = job.next(users, error);
        if self.progress.stopped_by.is_some() {
            return self.progress.settle(&next.users, error);
        }
        match next_step(
            &self.policy,
            error,
            job.tally,
            self.deadline,
            Instant::now(),
        ) {
            Next::RetryAt(at, tally) => {
                debug!(
                    tries = tally.tries,
                    throttles = tally.throttles,
                    "sending again after a temporary failure"
                );
                next.tally = tally;
                self.queue.delay(at, next);
            }
            Next::GiveUp => self.progress.settle(&next.users, error),
        }
    }
}

/// Absent users of a checked batch are not in the room; the present ones are kicked again (a failure
/// that still names no user is then resolved by splitting). A check that failed leaves splitting as
/// the last resort.
fn absorb_check(
    progress: &mut Progress<'_>,
    queue: &mut Queue,
    job: Job,
    result: Result<Vec<Presence>, Error>,
) {
    let error = job
        .last_error
        .clone()
        .unwrap_or_else(|| Error::protocol("a presence check without a failed call"));
    let present: Vec<usize> = match result {
        Ok(presence) if presence.len() == job.users.len() => {
            let mut present = Vec::new();
            for (&user, presence) in job.users.iter().zip(presence) {
                match presence {
                    Presence::Absent => progress.resolve(user, Outcome::NotInRoom),
                    Presence::Present => present.push(user),
                }
            }
            present
        }
        Ok(_) | Err(_) => {
            if let Err(check_error) = &result {
                debug!(%check_error, "presence could not be read; splitting the batch instead");
            }
            if job.users.len() == 1 {
                return progress.settle(&job.users, &error);
            }
            // The check job already counts as the next attempt for these users.
            queue.push_halves(&job, &error, job.attempt);
            return;
        }
    };
    if present.is_empty() {
        return;
    }
    let again = Job {
        attempt: job.attempt,
        ..job.next(present, &error)
    };
    queue.ready.push_front(again);
}

/// Jobs ready to go and jobs waiting for their time.
struct Queue {
    ready: VecDeque<Job>,
    delayed: BinaryHeap<Delayed>,
    seq: u64,
}

impl Queue {
    fn delay(&mut self, at: Instant, job: Job) {
        self.seq += 1;
        self.delayed.push(Delayed {
            at,
            seq: self.seq,
            job,
        });
    }

    /// Moves jobs whose time has come to the front of the ready queue (they are older than the rest).
    fn release_due(&mut self, now: Instant) {
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
    fn push_halves(&mut self, job: &Job, error: &Error, attempt: u32) {
        let (left, right) = job.users.split_at(job.users.len() / 2);
        for half in [right, left] {
            self.ready.push_front(Job {
                last_error: None,
                attempt,
                ..job.next(half.to_vec(), error)
            });
        }
    }

    fn next_due(&self) -> Option<Instant> {
        self.delayed.peek().map(|d| d.at)
    }

    fn drain(&mut self) -> Vec<Job> {
        let mut jobs: Vec<Job> = self.ready.drain(..).collect();
        jobs.extend(std::mem::take(&mut self.delayed).into_iter().map(|d| d.job));
        jobs
    }
}

/// Sleeps until `at`, or forever when there is nothing to wake for.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The outcome an error means for a user once no retry follows.
pub(crate) fn final_outcome(error: &Error) -> Outcome {
    if error.kind() == ErrorKind::NotInRoom {
        return Outcome::NotInRoom;
    }
    Outcome::Failed(super::persistent(error.clone()))
}

/// One warning per kind of failure in a finished request, not one per call or user.
pub(crate) fn log_failures(provider: &'static str, users: &[UserReport]) {
    let mut by_kind: HashMap<ErrorKind, (usize, &Error)> = HashMap::new();
    for entry in users {
        if let Some(error) = entry.outcome.error() {
            by_kind.entry(error.kind()).or_insert((0, error)).0 += 1;
        }
    }
    for (_, (count, example)) in by_kind {
        warn!(provider, users = count, error = %example, "users could not be removed");
    }
}
