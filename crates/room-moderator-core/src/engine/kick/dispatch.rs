//! The kick's dispatch loop: batches in flight, retries, splits, fail-fast, deadlines, the
//! caller's graceful stop, cancellation, and exactly one outcome per user. Its state is one struct, `Run`: the outcomes so far
//! (`progress.rs`), the jobs to come (`jobs.rs`) and what decides the next step. Each call goes through the one call path (`engine/call/`): the
//! pacing, the send, the pacer's feedback and the retry decision are the same as every other call's.

use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{Instrument, debug, debug_span, warn};

use super::jobs::{Job, JobKind, JobResult, Queue};
use super::presence::Checked;
use super::progress::{Dispatched, NotSent, Progress};
use crate::engine::Engine;
use crate::engine::call::{
    CallResult, Next, NotSent as Unsent, Pacing, Sent, next_step, persistent,
};
use crate::engine::pace::Answer;
use crate::{
    Adapter, Batch, BatchResult, Error, ErrorKind, Outcome, Presence, Reason, RetryPolicy, RoomId,
    UserId,
};

/// This many unreadable answers in a row (an HTML sign-in page, `{"ok": true}`: something in the way
/// answers for the provider) stop the request the way a failure concerning all of it does: the
/// calls in flight finish, nothing new is sent. Three in a row are still retried (a proxy that
/// recovers), so a request meets at most `max_concurrency + 3` such answers.
pub(crate) const UNREADABLE_STREAK: u32 = 4;

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
    /// Kicks `users` (distinct, validated) from `room`: the presence check first where the
    /// provider needs it, then batches of at most the provider's size, at most `max_concurrency`
    /// in flight, until every user has an outcome or `deadline` passes.
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
            progress: Progress::new(
                self.adapter.provider(),
                room,
                users,
                self.config.audit.as_deref(),
                &sending,
            ),
            queue: Queue::default(),
            deadline,
            policy: self.config.retry,
            can_check_presence: self.can_check_presence(),
            stop: stop_tx,
            unreadable: 0,
        };
        // Inside the loop's bookkeeping, so that a caller giving up during the check still hears
        // one outcome per user.
        let checked = self.precheck(room, users, presence_check, deadline).await;
        let to_kick = run.take_check(checked);
        let max = self.caps.max_users_per_call.get();
        run.queue.ready = to_kick
            .chunks(max)
            .map(|chunk| Job::first(chunk.to_vec()))
            .collect();
        self.drive(&shared, &mut run).await;
        run.progress.into_dispatched()
    }

    /// Runs the queue's jobs, at most `max_concurrency` at once, each answer absorbed as it comes,
    /// delayed jobs released when their time comes, until no job is left.
    async fn drive(&self, shared: &Shared<'_>, run: &mut Run<'_>) {
        let mut in_flight = FuturesUnordered::new();
        let stops = &self.config.stops;
        loop {
            run.queue.release_due(Instant::now());
            if run.progress.stopped_by.is_some() {
                for job in run.queue.drain() {
                    run.progress.settle_unsent(&job, NotSent::Stopped);
                }
            }
            // The caller's stop: nothing more is sent (retries and split halves included); the
            // calls in flight are still awaited below, so that their users get real outcomes.
            let halted = stops.is_stopped();
            if halted {
                for job in run.queue.drain() {
                    run.progress.settle_unsent(&job, NotSent::Halted);
                }
            }
            while in_flight.len() < self.config.max_concurrency {
                let Some(job) = run.queue.ready.pop_front() else {
                    break;
                };
                in_flight.push(self.run_job(shared, job));
            }
            if in_flight.is_empty() {
                match run.queue.next_due() {
                    Some(at) => {
                        tokio::select! {
                            () = tokio::time::sleep_until(at) => {}
                            () = stops.stopped() => {}
                        }
                        continue;
                    }
                    None => return,
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
                () = stops.stopped(), if !halted => {}
            }
        }
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
            if self.config.stops.is_stopped() {
                return (job, JobResult::Halted);
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
            Sent::NotSent(Unsent::Halted) => JobResult::Halted,
            Sent::NotSent(Unsent::NoGrant(error)) => JobResult::NoGrant(error),
        };
        (job, result)
    }
}

impl Run<'_> {
    /// Takes in the presence check made before kicking, if one ran: users found absent are not in
    /// the room (nothing is sent for them), and a failure of the check that concerns the whole
    /// request stops it. Returns the users left to kick.
    fn take_check(&mut self, checked: Option<Checked>) -> Vec<usize> {
        let users = self.progress.users.len();
        let Some(checked) = checked else {
            return (0..users).collect();
        };
        self.progress.calls += checked.calls;
        let mut to_kick = Vec::with_capacity(users);
        for (user, &present) in checked.present.iter().enumerate() {
            if present {
                to_kick.push(user);
            } else {
                self.progress.resolve(user, Outcome::NotInRoom);
            }
        }
        if let Some(error) = checked.stop {
            warn!(%error, "stopping this request: the presence check failed for all of it, so no kick is sent");
            self.progress.stopped_by = Some(error);
        }
        to_kick
    }

    /// Turns one job's result into outcomes, retries, re-sends or splits.
    fn absorb(&mut self, job: Job, result: JobResult) {
        match result {
            JobResult::Sent(answer) => {
                self.count_call(&job, &answer);
                self.absorb_answer(job, answer);
            }
            JobResult::Deadline => self.progress.settle_unsent(&job, NotSent::Deadline),
            JobResult::Stopped => self.progress.settle_unsent(&job, NotSent::Stopped),
            JobResult::Halted => self.progress.settle_unsent(&job, NotSent::Halted),
            JobResult::NoGrant(error) => self.progress.settle(&job.users, &error),
            JobResult::Checked { result, calls } => {
                self.progress.calls += calls;
                absorb_check(&mut self.progress, &mut self.queue, job, result);
            }
        }
    }

    /// Counts a call that was answered: for the report, each user's attempts, the audit hook, and
    /// the streak of unreadable answers.
    fn count_call(&mut self, job: &Job, answer: &BatchResult) {
        self.progress.calls += 1;
        for &user in &job.users {
            self.progress.attempts[user] += 1;
            self.progress.sending[user].store(false, AtomicOrdering::Relaxed);
        }
        let throttled = answer.answer() == Some(Answer::Throttled);
        if throttled {
            self.progress.throttled += 1;
        }
        if let Some(audit) = self.progress.audit {
            audit.call_finished(self.progress.provider, self.progress.room, throttled);
        }
        self.count_unreadable(answer);
    }

    /// What the provider's answer to a kick batch means for its users.
    fn absorb_answer(&mut self, job: Job, answer: BatchResult) {
        match answer {
            BatchResult::PerUser(outcomes) if outcomes.len() == job.users.len() => {
                self.per_user(&job, outcomes)
            }
            BatchResult::PerUser(outcomes) => {
                let error = Error::protocol(format!(
                    "the adapter returned {} outcomes for a batch of {} users",
                    outcomes.len(),
                    job.users.len()
                ));
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
        let error = persistent(unreadable.clone()).noting(&format!(
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

/// Sleeps until `at`, or forever when there is nothing to wake for.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
