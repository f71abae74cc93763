//! The one path every provider call takes: kick batches, presence and member pages, ban rules,
//! tokens and kick-all alike.
//!
//! - [`Engine::call_once`] waits for the pacers (the kick's quota first where the API shares it, the
//!   API's own limit last, right before sending: providers count calls on arrival), sends under the
//!   deadline, and feeds the answer to every pacer it waited for. A throttled answer therefore slows
//!   the pacer on every operation.
//! - [`next_step`] is the one retry decision: a pure function of the policy (`retry.rs`,
//!   [`RetryPolicy`]), the error, what was tried and the clock. Throttled answers never spend
//!   attempts; they are sent again, re-paced, until the deadline. Other temporary failures (5xx,
//!   timeouts, answers that cannot be read) spend one each.
//! - [`Engine::call`] loops the two for a call that carries no users (everything but kicks);
//!   `side.rs` ([`Engine::side_call`]) picks the pacers of each side API (members, presence, ban
//!   rules, the rule list, tokens) and calls it. The kick's dispatch loop (`kick/dispatch.rs`) uses
//!   `call_once` and `next_step` with its batches, splits and concurrency.
//! - `deadline.rs`: every operation's deadline ([`Operation`](crate::Operation)), which every call
//!   of the operation is sent under.
//! - `stop.rs`: the caller's graceful stop ([`StopSignal`](crate::StopSignal)): `call_once` sends
//!   nothing once it is stopped and counts the calls on the wire; a call already sent still ends
//!   with its answer (or its timeout, or the deadline).

pub(crate) mod deadline;
mod retry;
pub(crate) mod side;
pub(crate) mod stop;

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::Instant;
use tracing::debug;

pub use retry::RetryPolicy;

use crate::engine::Engine;
use crate::engine::pace::{Answer, Pacer};
use crate::{Adapter, BatchResult, Error, ErrorKind, RetryStatus};

/// The pacers one call waits for, in this order.
pub(crate) struct Pacing<'a> {
    /// The kick's quota, where the call counts against it.
    pub kick: Option<&'a dyn Pacer>,
    /// The call's own API's limit (per room where the provider counts per room).
    pub own: Option<Arc<dyn Pacer>>,
}

impl Pacing<'_> {
    fn pacers(&self) -> impl Iterator<Item = &dyn Pacer> {
        self.kick.into_iter().chain(self.own.as_deref())
    }
}

/// Why a call was not sent.
pub(crate) enum NotSent {
    /// The deadline came first.
    Deadline,
    /// A failure concerning the whole request stopped it.
    Stopped,
    /// The caller stopped it ([`StopSignal`](crate::StopSignal)).
    Halted,
    /// A pacer could not grant the call (a shared pacer's store failed).
    NoGrant(Error),
}

/// One call's fate.
pub(crate) enum Sent<T> {
    /// The call went out; `result` is what came back.
    Answered {
        result: T,
    },
    NotSent(NotSent),
}

/// What a call returns, as far as pacing and deadlines care.
pub(crate) trait CallResult {
    /// How the provider answered, for the pacers: `None` when no answer came (nothing to learn).
    fn answer(&self) -> Option<Answer>;
    /// The result of a call the deadline cut off while it was on the wire.
    fn cut_off(error: Error) -> Self;
}

/// How the provider answered a call that failed with `error`.
pub(crate) fn answer_to(error: &Error) -> Option<Answer> {
    match error.kind() {
        ErrorKind::Throttled => Some(Answer::Throttled),
        // No answer came: nothing to learn about the provider's rate.
        ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::Cancelled => None,
        _ => Some(Answer::Accepted),
    }
}

impl<T> CallResult for Result<T, Error> {
    fn answer(&self) -> Option<Answer> {
        match self {
            Ok(_) => Some(Answer::Accepted),
            Err(error) => answer_to(error),
        }
    }

    fn cut_off(error: Error) -> Self {
        Err(error)
    }
}

impl CallResult for BatchResult {
    fn answer(&self) -> Option<Answer> {
        match self {
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
            BatchResult::Whole(error) | BatchResult::Unattributed(error) => answer_to(error),
        }
    }

    fn cut_off(error: Error) -> Self {
        BatchResult::Whole(error)
    }
}

/// What was spent on one call so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Attempts spent on faults (the first call counts as one once it was sent).
    pub tries: u32,
    /// Throttled answers in a row, for the backoff between re-sends.
    pub throttles: u32,
}

/// What follows a failed call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Send again at this instant, with this tally.
    RetryAt(Instant, Tally),
    /// No retry: the error is the outcome.
    GiveUp,
}

/// The retry decision for a call that failed with `error` after `tally`, at `now`.
///
/// Throttling is backpressure, not a fault: it never spends an attempt, and the call goes again
/// (re-paced by the adaptive pacer) until the deadline. Other temporary failures spend one attempt
/// each, up to the policy's budget. Nothing is retried past the deadline.
pub(crate) fn next_step(
    policy: &RetryPolicy,
    error: &Error,
    tally: Tally,
    deadline: Instant,
    now: Instant,
) -> Next {
    let mut next = tally;
    let wait = if error.kind() == ErrorKind::Throttled {
        next.throttles = tally.throttles.saturating_add(1);
        policy.delay(next.throttles, error.retry_after())
    } else if error.is_temporary() && policy.allows_another(tally.tries) {
        next.tries = tally.tries + 1;
        next.throttles = 0;
        policy.delay(tally.tries, error.retry_after())
    } else {
        return Next::GiveUp;
    };
    match now.checked_add(wait) {
        Some(at) if at < deadline => Next::RetryAt(at, next),
        _ => Next::GiveUp,
    }
}

/// The answer of a call made with retries, with how many provider calls it took.
pub(crate) struct Called<T> {
    pub result: Result<T, Error>,
    pub calls: u32,
}

impl<A: Adapter> Engine<A> {
    /// Waits for the pacers, then sends, all before `deadline`, unless `stop` turns true (the
    /// request failed for all of it) or the caller stops the operation (`config.stops`); feeds the
    /// answer to the pacers. A call sent is never interrupted by a stop: it is counted in the
    /// caller's signals while on the wire, and ends with its answer or at `deadline`.
    pub(crate) async fn call_once<T, Fut>(
        &self,
        pacing: &Pacing<'_>,
        deadline: Instant,
        stop: Option<watch::Receiver<bool>>,
        send: impl FnOnce() -> Fut,
    ) -> Sent<T>
    where
        T: CallResult,
        Fut: Future<Output = T>,
    {
        let turn = async {
            for pacer in pacing.pacers() {
                pacer.acquire().await.map_err(NotSent::NoGrant)?;
            }
            Ok(())
        };
        let stops = &self.config.stops;
        let turn = async {
            match stop {
                Some(mut stop) => tokio::select! {
                    granted = turn => granted,
                    _ = stop.wait_for(|stopped| *stopped) => Err(NotSent::Stopped),
                },
                None => turn.await,
            }
        };
        let turn = async {
            tokio::select! {
                // A stop asked before the turn came wins over the turn.
                biased;
                () = stops.stopped() => Err(NotSent::Halted),
                granted = turn => granted,
            }
        };
        let granted = tokio::time::timeout_at(deadline, turn)
            .await
            .unwrap_or(Err(NotSent::Deadline));
        if let Err(why) = granted {
            return Sent::NotSent(why);
        }
        // `timeout_at` polls its future once even when the deadline has passed.
        if Instant::now() >= deadline {
            return Sent::NotSent(NotSent::Deadline);
        }
        // The last moment a stop can keep the call from going out.
        if stops.is_stopped() {
            return Sent::NotSent(NotSent::Halted);
        }
        let sent_at = Instant::now();
        let on_the_wire = stops.sending();
        let result = tokio::time::timeout_at(deadline, send())
            .await
            .unwrap_or_else(|_| T::cut_off(self.cut_off_error()));
        drop(on_the_wire);
        if let Some(answer) = result.answer() {
            for pacer in pacing.pacers() {
                pacer.feedback(sent_at, answer);
            }
        }
        Sent::Answered { result }
    }

    /// Makes one call that carries no users (a page, a rule, a token, kick-all), sending it again
    /// as [`next_step`] decides, until `deadline`.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        what: &'static str,
        pacing: &Pacing<'_>,
        deadline: Instant,
        mut send: F,
    ) -> Called<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let started = Instant::now();
        let mut calls = 0;
        let mut throttled = 0;
        let mut tally = Tally {
            tries: 1,
            throttles: 0,
        };
        let mut last: Option<Error> = None;
        loop {
            let error = match self.call_once(pacing, deadline, None, &mut send).await {
                Sent::Answered { result: Ok(value) } => {
                    return Called {
                        result: Ok(value),
                        calls: calls + 1,
                    };
                }
                Sent::Answered { result: Err(error) } => {
                    calls += 1;
                    if error.kind() == ErrorKind::Throttled {
                        throttled += 1;
                    }
                    error
                }
                Sent::NotSent(NotSent::NoGrant(error)) => {
                    return Called {
                        result: Err(error),
                        calls,
                    };
                }
                // Never sent (again): the caller stopped the operation; the provider's last
                // answer, if one came, is in the message.
                Sent::NotSent(NotSent::Halted) => {
                    let error = match last {
                        Some(last) => last.stopped_after(),
                        None => halted_error(""),
                    };
                    return Called {
                        result: Err(error),
                        calls,
                    };
                }
                // Never sent again: the deadline (or a stop, which single calls do not have) came
                // while waiting for a turn. The last failure, if any, says more than the deadline.
                Sent::NotSent(_) => {
                    let error = last
                        .unwrap_or_else(|| self.deadline_error("before the call could be sent"));
                    return self.gave_up(what, error, started, calls, throttled);
                }
            };
            match next_step(&self.config.retry, &error, tally, deadline, Instant::now()) {
                Next::RetryAt(at, next) => {
                    debug!(what, %error, "sending again after a temporary failure");
                    tally = next;
                    last = Some(error);
                    // A stop ends the backoff: the next turn is then refused at once.
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = self.config.stops.stopped() => {}
                    }
                }
                Next::GiveUp => return self.gave_up(what, error, started, calls, throttled),
            }
        }
    }

    /// The answer of a call given up on: the last error, persistent if it was temporary, saying
    /// what was tried when more than one call was made or the deadline ended it.
    fn gave_up<T>(
        &self,
        what: &'static str,
        error: Error,
        started: Instant,
        calls: u32,
        throttled: u32,
    ) -> Called<T> {
        let error = if error.is_temporary() || calls > 1 {
            let elapsed = started.elapsed();
            persistent(error).noting(&format!(
                "gave up on {what} after {calls} calls ({throttled} throttled) in {:.1} s",
                elapsed.as_secs_f64()
            ))
        } else {
            error
        };
        Called {
            result: Err(error),
            calls,
        }
    }

    /// The error of a call the deadline cut off while it was on the wire.
    fn cut_off_error(&self) -> Error {
        Error::new(
            ErrorKind::Timeout,
            "the deadline passed while the call was in flight; the provider may or may not have done it",
        )
        .with_status(RetryStatus::Persistent)
    }

    /// The error of an operation whose deadline passed `when`.
    pub(crate) fn deadline_error(&self, when: &str) -> Error {
        Error::new(ErrorKind::Timeout, format!("the deadline passed {when}"))
            .with_status(RetryStatus::Persistent)
    }
}

/// The outcome of a user, or the answer of a call, that was not sent because the caller stopped
/// the operation (`again`: " again" for a call that had been sent before).
pub(crate) fn halted_error(again: &str) -> Error {
    Error::new(ErrorKind::Cancelled, format!("not sent{again}: stopped"))
        .with_status(RetryStatus::Permanent)
}

/// A temporary error that no retry follows becomes persistent.
pub(crate) fn persistent(error: Error) -> Error {
    if error.is_temporary() {
        error.with_status(RetryStatus::Persistent)
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
            .with_max_attempts(3)
            .with_backoff(Duration::from_millis(100), Duration::from_secs(1))
            .with_jitter(false)
    }

    fn step(error: &Error, tally: Tally, deadline_in: Duration) -> Next {
        let now = Instant::now();
        next_step(&policy(), error, tally, now + deadline_in, now)
    }

    fn wait_of(next: Next) -> (Duration, Tally) {
        match next {
            Next::RetryAt(at, tally) => (at.saturating_duration_since(Instant::now()), tally),
            Next::GiveUp => panic!("gave up"),
        }
    }

    const FIRST: Tally = Tally {
        tries: 1,
        throttles: 0,
    };
    const LONG: Duration = Duration::from_secs(3600);

    #[tokio::test(start_paused = true)]
    async fn throttles_never_spend_attempts_and_back_off_until_the_deadline() {
        let throttled = Error::new(ErrorKind::Throttled, "slow down");
        let mut tally = Tally {
            tries: 3,
            throttles: 0,
        };
        let mut waits = Vec::new();
        for _ in 0..6 {
            let (wait, next) = wait_of(step(&throttled, tally, LONG));
            assert_eq!(next.tries, 3, "a throttle spends no attempt");
            waits.push(wait.as_millis());
            tally = next;
        }
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(
            step(&throttled, tally, Duration::from_millis(999)),
            Next::GiveUp,
            "not past the deadline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_for_throttles_and_faults() {
        let throttled =
            Error::new(ErrorKind::Throttled, "x").with_retry_after(Duration::from_secs(1));
        assert_eq!(
            wait_of(step(&throttled, FIRST, LONG)).0,
            Duration::from_secs(1)
        );
        let busy = Error::new(ErrorKind::Unavailable, "x").with_retry_after(Duration::from_secs(2));
        assert_eq!(wait_of(step(&busy, FIRST, LONG)).0, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn temporary_faults_spend_the_budget_and_reset_the_throttle_streak() {
        let busy = Error::new(ErrorKind::Unavailable, "503");
        let (_, second) = wait_of(step(
            &busy,
            Tally {
                tries: 1,
                throttles: 4,
            },
            LONG,
        ));
        assert_eq!(
            second,
            Tally {
                tries: 2,
                throttles: 0
            }
        );
        let (_, third) = wait_of(step(&busy, second, LONG));
        assert_eq!(third.tries, 3);
        assert_eq!(
            step(&busy, third, LONG),
            Next::GiveUp,
            "three attempts in all"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn unreadable_answers_are_retried_unless_the_adapter_says_the_call_is_unsafe() {
        let junk = Error::unreadable_answer("<html>sign in</html>");
        assert!(matches!(step(&junk, FIRST, LONG), Next::RetryAt(..)));
        let unsafe_junk = junk.with_status(RetryStatus::Permanent);
        assert_eq!(step(&unsafe_junk, FIRST, LONG), Next::GiveUp);
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_failures_are_never_retried() {
        for kind in [
            ErrorKind::Unauthenticated,
            ErrorKind::NotFound,
            ErrorKind::InvalidInput,
        ] {
            assert_eq!(
                step(&Error::new(kind, "no"), FIRST, LONG),
                Next::GiveUp,
                "{kind:?}"
            );
        }
    }
}
