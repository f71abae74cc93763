//! The dispatch loop: batches in flight, retries, splits, fail-fast, deadlines, cancellation, and
//! exactly one outcome per user.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{Instrument, debug, debug_span, warn};

use super::Engine;
use super::pacer::Answer;
use crate::{
    Adapter, AuditHook, Batch, BatchResult, Error, ErrorKind, Outcome, Presence, Reason,
    RetryStatus, RoomId, UserId, UserReport,
};

/// Users (indices into the distinct user list) that travel together in one provider call.
struct Job {
    users: Vec<usize>,
    /// The `attempt` the adapter sees: how many calls have carried these users, this one included.
    attempt: u32,
    /// Attempts spent on faults; splits and throttled answers do not spend them.
    tries: u32,
    /// Throttled answers in a row, for the backoff between re-sends.
    throttles: u32,
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
            tries: 1,
            throttles: 0,
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
            tries: self.tries,
            throttles: 0,
            last_error: Some(error.clone()),
            kind: JobKind::Kick,
            checked: self.checked,
        }
    }
}

enum JobResult {
    Sent {
        sent_at: Instant,
        result: BatchResult,
    },
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
    deadline: Option<Instant>,
    sending: &'a [AtomicBool],
    stop: watch::Receiver<bool>,
}

impl<A: Adapter> Engine<A> {
    pub(crate) async fn dispatch(
        &self,
        room: &RoomId,
        users: &[UserId],
        reason: Option<&Reason>,
        deadline: Option<Instant>,
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
        let mut progress = Progress {
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
        };
        let max = self.caps.max_users_per_call.get();
        let mut to_kick: Vec<usize> = (0..users.len()).collect();
        // Inside the loop's bookkeeping, so that a caller giving up during the check still hears
        // one outcome per user.
        let checked = self.precheck(room, users, presence_check, deadline).await;
        if let Some(checked) = checked {
            // Found absent by the presence check before kicking: nothing to send for them.
            progress.calls += checked.calls;
            to_kick.retain(|&user| checked.present[user]);
            for (user, present) in checked.present.iter().enumerate() {
                if !present {
                    progress.resolve(user, Outcome::NotInRoom);
                }
            }
            if let Some(error) = checked.stop {
                warn!(%error, "stopping this request: the presence check failed for all of it, so no kick is sent");
                progress.stopped_by = Some(error);
            }
        }
        let mut queue = Queue {
            ready: to_kick
                .chunks(max)
                .map(|chunk| Job::first(chunk.to_vec()))
                .collect(),
            delayed: BinaryHeap::new(),
            seq: 0,
        };
        let mut in_flight = FuturesUnordered::new();
        loop {
            queue.release_due(Instant::now());
            if progress.stopped_by.is_some() {
                for job in queue.drain() {
                    progress.settle_unsent(&job, NotSent::Stopped);
                }
            }
            while in_flight.len() < self.config.max_concurrency {
                let Some(job) = queue.ready.pop_front() else {
                    break;
                };
                in_flight.push(self.run_job(&shared, job));
            }
            if in_flight.is_empty() {
                match queue.next_due() {
                    Some(at) => {
                        tokio::time::sleep_until(at).await;
                        continue;
                    }
                    None => break,
                }
            }
            let wake = queue
                .next_due()
                .filter(|_| in_flight.len() < self.config.max_concurrency);
            tokio::select! {
                finished = in_flight.next() => {
                    if let Some((job, result)) = finished {
                        self.absorb(&mut progress, &mut queue, &shared, job, result, &stop_tx);
                    }
                }
                () = sleep_until_some(wake) => {}
            }
        }
        progress.into_dispatched()
    }

    /// Waits for the job's turn (pacing), then sends it, all within the deadline and unless the
    /// request was stopped.
    async fn run_job(&self, shared: &Shared<'_>, job: Job) -> (Job, JobResult) {
        if job.kind == JobKind::CheckPresence {
            // Presence calls are paced by their own API's pacers inside `presence_of`, not by
            // the kick's turn.
            let users: Vec<UserId> = job.users.iter().map(|&i| shared.users[i].clone()).collect();
            let stopped = shared.stop.clone();
            if *stopped.borrow() {
                return (job, JobResult::Stopped);
            }
            let (result, calls) = self.presence_of(shared.room, &users, shared.deadline).await;
            return (job, JobResult::Checked { result, calls });
        }
        let mut stop = shared.stop.clone();
        let turn = async {
            tokio::select! {
                granted = async {
                    match &self.pacer {
                        Some(pacer) => pacer.acquire().await,
                        None => Ok(()),
                    }
                } => granted.map_err(JobResult::NoGrant),
                _ = stop.wait_for(|stopped| *stopped) => Err(JobResult::Stopped),
            }
        };
        let turn = match shared.deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, turn)
                .await
                .unwrap_or(Err(JobResult::Deadline)),
            None => turn.await,
        };
        if let Err(not_sent) = turn {
            return (job, not_sent);
        }
        // `timeout_at` polls its future once even when the deadline has passed.
        if shared
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            return (job, JobResult::Deadline);
        }
        let batch_users: Vec<UserId> = job.users.iter().map(|&i| shared.users[i].clone()).collect();
        let batch = Batch {
            room: shared.room,
            users: &batch_users,
            reason: shared.reason,
            attempt: job.attempt,
        };
        for &user in &job.users {
            shared.sending[user].store(true, AtomicOrdering::Relaxed);
        }
        let span = debug_span!("moderator.call", provider = self.adapter.provider(), room = %shared.room, batch_size = batch_users.len(), attempt = job.attempt);
        let sent_at = Instant::now();
        let send = async {
            debug!(users = ?batch_users, "sending");
            self.adapter.send_batch(batch).await
        }
        .instrument(span);
        let result = match shared.deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, send).await {
                Ok(result) => result,
                Err(_) => BatchResult::Whole(
                    Error::new(
                        ErrorKind::Timeout,
                        "the deadline passed while the call was in flight; the provider may or may not have removed the user",
                    )
                    .with_provider(self.adapter.provider())
                    .with_status(RetryStatus::Persistent),
                ),
            },
            None => send.await,
        };
        (job, JobResult::Sent { sent_at, result })
    }

    /// Turns one job's result into outcomes, retries, re-sends or splits.
    fn absorb(
        &self,
        progress: &mut Progress<'_>,
        queue: &mut Queue,
        shared: &Shared<'_>,
        job: Job,
        result: JobResult,
        stop: &watch::Sender<bool>,
    ) {
        let (sent_at, result) = match result {
            JobResult::Sent { sent_at, result } => (sent_at, result),
            JobResult::Deadline => return progress.settle_unsent(&job, NotSent::Deadline),
            JobResult::Stopped => return progress.settle_unsent(&job, NotSent::Stopped),
            JobResult::NoGrant(error) => return progress.settle(&job.users, &error),
            JobResult::Checked { result, calls } => {
                progress.calls += calls;
                return absorb_check(progress, queue, job, result);
            }
        };
        progress.calls += 1;
        for &user in &job.users {
            progress.attempts[user] += 1;
            shared.sending[user].store(false, AtomicOrdering::Relaxed);
        }
        let answer = answer_of(&result);
        if let (Some(pacer), Some(answer)) = (&self.pacer, answer) {
            pacer.feedback(sent_at, answer);
        }
        let throttled = answer == Some(Answer::Throttled);
        if throttled {
            progress.throttled += 1;
        }
        if let Some(audit) = progress.audit {
            audit.call_finished(progress.provider, progress.room, throttled);
        }
        let mut retry = Retry {
            engine: self,
            progress,
            queue,
            deadline: shared.deadline,
        };
        match result {
            BatchResult::PerUser(outcomes) if outcomes.len() == job.users.len() => {
                let mut again: Vec<(usize, Error)> = Vec::new();
                for (&user, outcome) in job.users.iter().zip(outcomes) {
                    match outcome {
                        Outcome::Failed(error) if error.is_temporary() => again.push((user, error)),
                        Outcome::Failed(error) => {
                            retry.stop_if_request_wide(&error, stop);
                            retry.progress.settle(&[user], &error);
                        }
                        outcome => retry.progress.resolve(user, outcome),
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
                    retry.again(&job, users, &error);
                }
            }
            BatchResult::PerUser(outcomes) => {
                let error = Error::protocol(format!(
                    "the adapter returned {} outcomes for a batch of {} users",
                    outcomes.len(),
                    job.users.len()
                ))
                .with_provider(self.adapter.provider());
                retry.progress.settle(&job.users, &error);
            }
            BatchResult::Whole(error) => retry.whole(job, &error, stop),
            BatchResult::Unattributed(error) if error.is_temporary() || job.users.len() == 1 => {
                retry.whole(job, &error, stop)
            }
            BatchResult::Unattributed(error) => {
                if retry.progress.stopped_by.is_some() {
                    let job = job.next(job.users.clone(), &error);
                    return retry.progress.settle_unsent(&job, NotSent::Stopped);
                }
                if !job.checked && self.can_check_presence() {
                    // Someone in the batch is not in the room (they left between the check and
                    // the kick, or no check ran): ask who, rather than halving the batch.
                    debug!(%error, batch_size = job.users.len(), "checking presence of a batch whose failure names no user");
                    let check = Job {
                        kind: JobKind::CheckPresence,
                        checked: true,
                        ..job.next(job.users.clone(), &error)
                    };
                    retry.queue.ready.push_front(check);
                    return;
                }
                debug!(%error, batch_size = job.users.len(), "splitting a batch whose failure names no user");
                retry.queue.push_halves(&job, &error, job.attempt + 1);
            }
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

/// Whether the provider answered, and whether it throttled, as the pacer needs to know.
fn answer_of(result: &BatchResult) -> Option<Answer> {
    match result {
        BatchResult::PerUser(outcomes) => Some(
            if outcomes
                .iter()
                .any(|o| o.error().is_some_and(|e| e.kind() == ErrorKind::Throttled))
            {
                Answer::Throttled
            } else {
                Answer::Accepted
            },
        ),
        BatchResult::Whole(error) | BatchResult::Unattributed(error) => match error.kind() {
            ErrorKind::Throttled => Some(Answer::Throttled),
            // No answer came: nothing to learn about the provider's rate.
            ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::Cancelled => None,
            _ => Some(Answer::Accepted),
        },
    }
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

/// Decides what follows a failed call.
struct Retry<'e, 'p, 'q, 'r, A> {
    engine: &'e Engine<A>,
    progress: &'p mut Progress<'r>,
    queue: &'q mut Queue,
    deadline: Option<Instant>,
}

impl<A: Adapter> Retry<'_, '_, '_, '_, A> {
    /// A permanent failure that concerns the whole request stops sending the rest of it: calls in
    /// flight finish, nothing new is sent.
    fn stop_if_request_wide(&mut self, error: &Error, stop: &watch::Sender<bool>) {
        if self.progress.stopped_by.is_some()
            || error.is_temporary()
            || !error.kind().concerns_whole_request()
        {
            return;
        }
        warn!(%error, "stopping this request: the failure concerns all of it, so the remaining users are not sent");
        self.progress.stopped_by = Some(error.clone());
        let _ = stop.send(true);
    }

    fn whole(&mut self, job: Job, error: &Error, stop: &watch::Sender<bool>) {
        if error.is_temporary() {
            let users = job.users.clone();
            self.again(&job, users, error);
        } else {
            self.stop_if_request_wide(error, stop);
            self.progress.settle(&job.users, error);
        }
    }

    /// Sends `users` of `job` again after a temporary `error`, if the budget, the deadline and the
    /// request allow; otherwise `error` is their outcome.
    ///
    /// Throttling is backpressure, not a fault: it does not spend the attempt budget, and the call
    /// goes again (re-paced by the adaptive pacer) until the deadline. Other temporary failures
    /// spend one attempt each.
    fn again(&mut self, job: &Job, users: Vec<usize>, error: &Error) {
        let policy = &self.engine.config.retry;
        let throttled = error.kind() == ErrorKind::Throttled;
        let mut next = job.next(users, error);
        let wait = if throttled {
            next.throttles = job.throttles + 1;
            policy.delay(next.throttles, error.retry_after())
        } else {
            if !policy.allows_another(job.tries) {
                return self.progress.settle(&next.users, error);
            }
            next.tries = job.tries + 1;
            policy.delay(job.tries, error.retry_after())
        };
        if self.progress.stopped_by.is_some() {
            return self.progress.settle(&next.users, error);
        }
        let now = Instant::now();
        let Some(at) = now.checked_add(wait) else {
            return self.progress.settle(&next.users, error);
        };
        if self.deadline.is_some_and(|deadline| at >= deadline) {
            debug!("not sent again: the wait would end after the deadline");
            return self.progress.settle(&next.users, error);
        }
        debug!(
            tries = next.tries,
            throttled,
            ?wait,
            "sending again after a temporary failure"
        );
        self.queue.delay(at, next);
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
