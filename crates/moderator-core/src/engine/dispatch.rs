//! The dispatch loop: batches in flight, retries, splits, and exactly one outcome per user.

use std::collections::VecDeque;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::time::Instant;
use tracing::{Instrument, debug, debug_span, warn};

use super::Engine;
use crate::{
    Adapter, Batch, BatchResult, Error, ErrorKind, Outcome, Reason, RetryStatus, RoomId, UserId,
    UserReport,
};

/// Users (indices into the distinct user list) that travel together in one provider call.
struct Job {
    users: Vec<usize>,
    /// The `attempt` the adapter sees: how many calls have carried these users, this one included.
    attempt: u32,
    /// Attempts spent on temporary failures; splits do not spend them.
    tries: u32,
    not_before: Option<Instant>,
}

enum JobResult {
    Sent(BatchResult),
    /// The deadline passed before the call could be sent.
    NotSent,
}

/// Where the loop stands for one disconnect request.
struct Progress {
    outcomes: Vec<Option<Outcome>>,
    attempts: Vec<u32>,
    calls: u32,
    queue: VecDeque<Job>,
    /// Users whose outcome became final since the audit hook last heard.
    resolved: Vec<usize>,
}

impl<A: Adapter> Engine<A> {
    pub(crate) async fn dispatch(
        &self,
        room: &RoomId,
        users: &[UserId],
        reason: Option<&Reason>,
    ) -> (Vec<UserReport>, u32) {
        let deadline = self.config.deadline.map(|d| Instant::now() + d);
        let max = self.caps.max_users_per_call.get();
        let mut progress = Progress {
            outcomes: vec![None; users.len()],
            attempts: vec![0; users.len()],
            calls: 0,
            queue: (0..users.len())
                .collect::<Vec<_>>()
                .chunks(max)
                .map(|chunk| Job {
                    users: chunk.to_vec(),
                    attempt: 1,
                    tries: 1,
                    not_before: None,
                })
                .collect(),
            resolved: Vec::new(),
        };
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < self.config.max_concurrency {
                let Some(job) = progress.queue.pop_front() else {
                    break;
                };
                in_flight.push(self.run_job(room, users, reason, job, deadline));
            }
            let Some((job, result)) = in_flight.next().await else {
                break;
            };
            match result {
                JobResult::NotSent => {
                    let error = Error::new(
                        ErrorKind::Timeout,
                        "the deadline passed before this user's call was sent",
                    )
                    .with_provider(self.adapter.provider());
                    progress.settle(&job.users, &error);
                }
                JobResult::Sent(result) => {
                    progress.calls += 1;
                    for &user in &job.users {
                        progress.attempts[user] += 1;
                    }
                    self.absorb(&mut progress, job, result, deadline);
                }
            }
            if let Some(audit) = &self.config.audit {
                for user in progress.resolved.drain(..) {
                    if let Some(outcome) = &progress.outcomes[user] {
                        let entry = UserReport {
                            user: users[user].clone(),
                            outcome: outcome.clone(),
                            attempts: progress.attempts[user],
                        };
                        audit.user_outcome(self.adapter.provider(), room, &entry);
                    }
                }
            }
        }
        let reports = users
            .iter()
            .zip(progress.outcomes)
            .zip(progress.attempts)
            .map(|((user, outcome), attempts)| UserReport {
                user: user.clone(),
                // Every job ends in `settle` or a per-user outcome, so a gap is a bug in this loop;
                // report it rather than lose the user.
                outcome: outcome.unwrap_or_else(|| {
                    Outcome::Failed(
                        Error::protocol("no outcome was recorded for this user")
                            .with_provider(self.adapter.provider()),
                    )
                }),
                attempts,
            })
            .collect();
        (reports, progress.calls)
    }

    /// Waits for the job's turn (backoff, pacing), then sends it, all within the deadline.
    async fn run_job(
        &self,
        room: &RoomId,
        users: &[UserId],
        reason: Option<&Reason>,
        job: Job,
        deadline: Option<Instant>,
    ) -> (Job, JobResult) {
        let wait = async {
            if let Some(at) = job.not_before {
                tokio::time::sleep_until(at).await;
            }
            if let Some(pacer) = &self.pacer {
                pacer.acquire().await;
            }
        };
        if let Some(deadline) = deadline {
            if tokio::time::timeout_at(deadline, wait).await.is_err() {
                return (job, JobResult::NotSent);
            }
        } else {
            wait.await;
        }
        let batch_users: Vec<UserId> = job.users.iter().map(|&i| users[i].clone()).collect();
        let batch = Batch {
            room,
            users: &batch_users,
            reason,
            attempt: job.attempt,
        };
        let span = debug_span!("moderator.call", provider = self.adapter.provider(), %room, batch_size = batch_users.len(), attempt = job.attempt);
        let send = async {
            debug!(users = ?batch_users, "sending");
            self.adapter.send_batch(batch).await
        }
        .instrument(span);
        let result = match deadline {
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
        (job, JobResult::Sent(result))
    }

    /// Turns one call's result into outcomes, retries or splits.
    fn absorb(
        &self,
        progress: &mut Progress,
        job: Job,
        result: BatchResult,
        deadline: Option<Instant>,
    ) {
        match result {
            BatchResult::PerUser(outcomes) if outcomes.len() == job.users.len() => {
                let mut temporary = Vec::new();
                for (&user, outcome) in job.users.iter().zip(outcomes) {
                    match outcome {
                        Outcome::Failed(error) if error.is_temporary() => {
                            temporary.push((user, error))
                        }
                        Outcome::Failed(error) => progress.settle(&[user], &error),
                        outcome => progress.resolve(user, outcome),
                    }
                }
                let retry_after = temporary.iter().filter_map(|(_, e)| e.retry_after()).max();
                match self.plan_retry(&job, retry_after, deadline) {
                    Some(retry) if !temporary.is_empty() => {
                        progress.queue.push_back(
                            retry.with_users(temporary.into_iter().map(|(u, _)| u).collect()),
                        );
                    }
                    _ => {
                        for (user, error) in temporary {
                            progress.settle(&[user], &error);
                        }
                    }
                }
            }
            BatchResult::PerUser(outcomes) => {
                let error = Error::protocol(format!(
                    "the adapter returned {} outcomes for a batch of {} users",
                    outcomes.len(),
                    job.users.len()
                ))
                .with_provider(self.adapter.provider());
                progress.settle(&job.users, &error);
            }
            BatchResult::Whole(error) => self.whole_failure(progress, job, error, deadline),
            BatchResult::Unattributed(error) if error.is_temporary() || job.users.len() == 1 => {
                self.whole_failure(progress, job, error, deadline)
            }
            BatchResult::Unattributed(error) => {
                debug!(%error, batch_size = job.users.len(), "splitting a batch whose failure names no user");
                let (left, right) = job.users.split_at(job.users.len() / 2);
                for half in [right, left] {
                    progress.queue.push_front(Job {
                        users: half.to_vec(),
                        attempt: job.attempt + 1,
                        tries: job.tries,
                        not_before: None,
                    });
                }
            }
        }
    }

    fn whole_failure(
        &self,
        progress: &mut Progress,
        job: Job,
        error: Error,
        deadline: Option<Instant>,
    ) {
        let retry = if error.is_temporary() {
            self.plan_retry(&job, error.retry_after(), deadline)
        } else {
            None
        };
        match retry {
            Some(retry) => {
                let users = job.users;
                progress.queue.push_back(retry.with_users(users));
            }
            None => progress.settle(&job.users, &error),
        }
    }

    /// The retry of `job`, if the attempt budget and the deadline leave room for it after the backoff.
    fn plan_retry(
        &self,
        job: &Job,
        retry_after: Option<Duration>,
        deadline: Option<Instant>,
    ) -> Option<Job> {
        if !self.config.retry.allows_another(job.tries) {
            return None;
        }
        let at = Instant::now() + self.config.retry.delay(job.tries, retry_after);
        if deadline.is_some_and(|deadline| at >= deadline) {
            debug!("no retry: the backoff would end after the deadline");
            return None;
        }
        debug!(tries = job.tries, "retrying after a temporary failure");
        Some(Job {
            users: Vec::new(),
            attempt: job.attempt + 1,
            tries: job.tries + 1,
            not_before: Some(at),
        })
    }
}

impl Job {
    fn with_users(mut self, users: Vec<usize>) -> Self {
        self.users = users;
        self
    }
}

impl Progress {
    /// Gives every listed user its final outcome for `error`.
    fn settle(&mut self, users: &[usize], error: &Error) {
        let outcome = final_outcome(error);
        if let Outcome::Failed(error) = &outcome {
            warn!(%error, users = users.len(), "users could not be removed");
        }
        for &user in users {
            self.resolve(user, outcome.clone());
        }
    }

    fn resolve(&mut self, user: usize, outcome: Outcome) {
        self.outcomes[user] = Some(outcome);
        self.resolved.push(user);
    }
}

/// The outcome an error means for a user once no retry follows.
pub(crate) fn final_outcome(error: &Error) -> Outcome {
    if error.kind() == ErrorKind::NotInRoom {
        return Outcome::NotInRoom;
    }
    Outcome::Failed(super::persistent(error.clone()))
}
