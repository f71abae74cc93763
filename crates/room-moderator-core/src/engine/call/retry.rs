//! How long to wait before retrying a temporary failure.

use std::time::Duration;

use rand::Rng;

/// Retry policy for temporary failures: exponential backoff with jitter, never shorter than what the
/// provider asked for (`Retry-After`, up to [`RetryPolicy::max_retry_after`]).
///
/// `max_attempts` bounds calls that failed (unavailable, timed out, connection broken). Throttled
/// answers do not spend it: the engine sends those calls again, re-paced, until the deadline, with
/// the same backoff between consecutive throttles of one call.
///
/// ```
/// use std::time::Duration;
/// use room_moderator_core::RetryPolicy;
/// let policy = RetryPolicy::default().with_max_attempts(6).with_backoff(Duration::from_millis(100), Duration::from_secs(2));
/// assert_eq!(policy.max_attempts, 6);
/// assert_eq!(RetryPolicy::none().max_attempts, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Calls carrying the same user at most, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the first retry.
    pub initial_backoff: Duration,
    /// Longest backoff (before honouring `retry_after`).
    pub max_backoff: Duration,
    /// Whether to randomise each backoff between half and all of it, so that clients spread out.
    pub jitter: bool,
    /// Longest wait honoured from a provider's `Retry-After`; longer ones are cut to this, so that a
    /// header of `18446744073709551615` neither overflows nor stalls a job for ages.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            jitter: true,
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Never retry a failed call. A throttled call is still sent again (throttling is backpressure,
    /// not a failure of the call): bound that with the engine's deadline.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Sets the attempt budget (at least 1).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Sets the first and the longest backoff.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Turns jitter on or off (off makes delays exact, for tests and reasoning).
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets the longest honoured `Retry-After`.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Whether another attempt is allowed after `attempts_made`.
    pub fn allows_another(&self, attempts_made: u32) -> bool {
        attempts_made < self.max_attempts
    }

    /// The wait before the retry that follows `attempts_made` attempts (>= 1), honouring `retry_after`.
    pub fn delay(&self, attempts_made: u32, retry_after: Option<Duration>) -> Duration {
        let exponent = attempts_made.saturating_sub(1).min(31);
        let backoff = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let backoff = if self.jitter && !backoff.is_zero() {
            let half = backoff / 2;
            half + rand::rng().random_range(Duration::ZERO..=backoff - half)
        } else {
            backoff
        };
        retry_after.map_or(backoff, |wait| wait.min(self.max_retry_after).max(backoff))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_millis(350))
            .with_jitter(false);
        let delays: Vec<_> = (1..=4).map(|n| policy.delay(n, None).as_millis()).collect();
        assert_eq!(delays, [100, 200, 350, 350]);
    }

    #[test]
    fn jitter_stays_between_half_and_all() {
        let policy =
            RetryPolicy::default().with_backoff(Duration::from_millis(400), Duration::from_secs(1));
        for _ in 0..200 {
            let d = policy.delay(1, None);
            assert!(
                d >= Duration::from_millis(200) && d <= Duration::from_millis(400),
                "{d:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_a_floor() {
        let policy = RetryPolicy::default().with_jitter(false);
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_millis(1))),
            policy.initial_backoff
        );
    }

    #[test]
    fn a_huge_retry_after_is_clamped() {
        let policy = RetryPolicy::default()
            .with_jitter(false)
            .with_max_retry_after(Duration::from_secs(90));
        let wait = policy.delay(1, Some(Duration::from_secs(u64::MAX)));
        assert_eq!(wait, Duration::from_secs(90));
        assert_eq!(
            policy.delay(1, Some(Duration::MAX)),
            Duration::from_secs(90)
        );
    }

    #[test]
    fn attempts_are_bounded() {
        let policy = RetryPolicy::default().with_max_attempts(2);
        assert!(policy.allows_another(1));
        assert!(!policy.allows_another(2));
        assert_eq!(RetryPolicy::default().with_max_attempts(0).max_attempts, 1);
    }
}
