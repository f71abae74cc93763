//! Keeping calls under the provider's documented request rate.

use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use async_trait::async_trait;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

/// Grants permission to send one provider call. Shared by every clone of an [`Engine`](crate::Engine).
///
/// Implement it to share one provider quota between processes (through Redis, say).
#[async_trait]
pub trait Pacer: Send + Sync + fmt::Debug {
    /// Waits until one more call may be sent.
    async fn acquire(&self);
}

/// governor's clock on tokio's time, so that paused test time drives pacing too.
#[derive(Clone, Copy, Debug, Default)]
struct TokioClock;

impl Clock for TokioClock {
    type Instant = std::time::Instant;

    fn now(&self) -> Self::Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// An in-process pacer on `governor`: calls evenly spaced at the given rate, without bursts, so that no
/// one-second window ever holds more than the rate (a burst allowance would let a window hold twice it).
pub struct RatePacer {
    per_second: NonZeroU32,
    limiter: RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<std::time::Instant>>,
}

impl RatePacer {
    /// A pacer allowing `per_second` calls in any one-second window.
    pub fn per_second(per_second: NonZeroU32) -> Self {
        // Round the spacing up: rounding down would squeeze one call too many into a window.
        let nanos = 1_000_000_000u64.div_ceil(u64::from(per_second.get()));
        let period = Duration::from_nanos(nanos);
        let quota = match Quota::with_period(period) {
            Some(quota) => quota,
            // A period of at least one nanosecond is never zero.
            None => Quota::per_second(per_second),
        };
        RatePacer {
            per_second,
            limiter: RateLimiter::direct_with_clock(quota, TokioClock),
        }
    }
}

impl fmt::Debug for RatePacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RatePacer")
            .field("per_second", &self.per_second)
            .finish()
    }
}

#[async_trait]
impl Pacer for RatePacer {
    async fn acquire(&self) {
        loop {
            match self.limiter.check() {
                Ok(()) => return,
                Err(not_until) => {
                    tokio::time::sleep(not_until.wait_time_from(TokioClock.now())).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn spaces_calls_evenly_at_the_rate() {
        let pacer = RatePacer::per_second(NonZeroU32::new(3).unwrap());
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..7 {
            pacer.acquire().await;
            times.push(start.elapsed());
        }
        for pair in times.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_nanos(333_333_333),
                "{times:?}"
            );
        }
        // Never more than 3 in any one-second window.
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .filter(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(in_window <= 3, "{times:?}");
        }
    }
}
