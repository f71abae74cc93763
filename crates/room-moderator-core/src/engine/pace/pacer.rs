//! Keeping calls under the provider's documented request rate.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::window::SlidingWindow;
use crate::Error;

/// How the provider answered a paced call, as far as pacing cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// The provider took the call (whatever it said about the users).
    Accepted,
    /// The provider refused the call for its rate limit.
    Throttled,
}

/// Grants permission to send one provider call. Shared by every clone of an [`Engine`](crate::Engine).
///
/// Implement it to share one provider quota between processes (through Redis, say). Pacers may be
/// stacked: the engine's default is an [`AdaptivePacer`](crate::AdaptivePacer) over a [`RatePacer`].
#[async_trait]
pub trait Pacer: Send + Sync + fmt::Debug {
    /// Waits until one more call may be sent. `Err` when no permission can be had (a shared store
    /// that cannot be reached, say): the call is then not sent and its users fail with that error.
    async fn acquire(&self) -> Result<(), Error>;

    /// Hears how a call sent at `sent_at` was answered, so that an adaptive pacer can slow down on
    /// throttling and speed up again. Calls that got no answer (timeouts, broken connections) are
    /// not reported. The default ignores it.
    fn feedback(&self, sent_at: Instant, answer: Answer) {
        let _ = (sent_at, answer);
    }
}

#[async_trait]
impl<P: Pacer + ?Sized> Pacer for std::sync::Arc<P> {
    async fn acquire(&self) -> Result<(), Error> {
        (**self).acquire().await
    }

    fn feedback(&self, sent_at: Instant, answer: Answer) {
        (**self).feedback(sent_at, answer);
    }
}

/// How long a provider's rate window is: rates are documented per second.
pub(crate) const RATE_WINDOW: Duration = Duration::from_secs(1);

/// An in-process pacer: calls evenly spaced at the rate, on an absolute schedule, and never more than
/// the rate in any sliding window of one second plus a safety margin.
///
/// Each call's slot follows the previous *slot*, not the moment the previous caller woke up, so timer
/// lateness (about a millisecond a call on tokio) does not accumulate and a long job runs at the full
/// rate. Because a late call may then sit closer to the next one, the actual send times are also
/// checked against the window: the call that would make `rate + 1` in one window waits. The margin
/// (default 10 ms, 1% of a second) absorbs the jitter between sending a call and its arrival at the
/// provider (a new connection, a busy machine): a provider that counts calls at arrival over exact
/// sliding seconds still never sees more than the rate.
///
/// ```
/// use std::num::NonZeroU32;
/// use room_moderator_core::{Pacer, RatePacer};
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let pacer = RatePacer::per_second(NonZeroU32::new(20).unwrap());
/// let start = tokio::time::Instant::now();
/// for _ in 0..21 {
///     pacer.acquire().await.unwrap();
/// }
/// // 21 calls at 20 per second: the last one is at least a second after the first.
/// assert!(start.elapsed() >= std::time::Duration::from_secs(1));
/// # });
/// ```
pub struct RatePacer {
    per_second: NonZeroU32,
    window: Duration,
    spacing: Duration,
    state: Mutex<RateState>,
}

struct RateState {
    /// The next slot of the schedule.
    next: Option<Instant>,
    /// Actual grant times.
    sent: SlidingWindow,
}

impl RatePacer {
    /// The default safety margin added to the one-second window.
    pub const DEFAULT_MARGIN: Duration = Duration::from_millis(10);

    /// A pacer allowing `per_second` calls in any one-second window.
    pub fn per_second(per_second: NonZeroU32) -> Self {
        RatePacer::with_margin(per_second, RatePacer::DEFAULT_MARGIN)
    }

    /// A pacer whose window is one second plus `margin`.
    pub fn with_margin(per_second: NonZeroU32, margin: Duration) -> Self {
        RatePacer::over_window(per_second, RATE_WINDOW, margin)
    }

    /// A pacer allowing `calls` in any `window` plus `margin`, spaced `window / calls` apart (for
    /// providers that count over a minute: LiveKit Cloud's 1,000 a minute are 60 ms apart).
    ///
    /// ```
    /// use std::num::NonZeroU32;
    /// use std::time::Duration;
    /// use room_moderator_core::{Pacer, RatePacer};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let pacer = RatePacer::over_window(NonZeroU32::new(1000).unwrap(), Duration::from_secs(60), RatePacer::DEFAULT_MARGIN);
    /// let start = tokio::time::Instant::now();
    /// for _ in 0..11 {
    ///     pacer.acquire().await.unwrap();
    /// }
    /// assert!(start.elapsed() >= Duration::from_millis(600));
    /// # });
    /// ```
    pub fn over_window(calls: NonZeroU32, window: Duration, margin: Duration) -> Self {
        // Round the spacing up: rounding down would squeeze one call too many into a window.
        let nanos = u64::try_from(window.as_nanos()).unwrap_or(u64::MAX);
        let spacing = Duration::from_nanos(nanos.div_ceil(u64::from(calls.get())));
        let limit = usize::try_from(calls.get()).unwrap_or(usize::MAX);
        RatePacer {
            per_second: calls,
            window,
            spacing,
            state: Mutex::new(RateState {
                next: None,
                sent: SlidingWindow::new(window + margin, limit),
            }),
        }
    }

    /// The rate this pacer holds: calls per [`window`](Self::window).
    pub fn rate(&self) -> NonZeroU32 {
        self.per_second
    }

    /// The window the rate is counted over (one second unless made [`over_window`](Self::over_window)).
    pub fn window(&self) -> Duration {
        self.window
    }

    fn state(&self) -> MutexGuard<'_, RateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Grants now, or says when to look again.
    fn try_grant(&self, now: Instant) -> Option<Instant> {
        let mut state = self.state();
        if let Some(next) = state.next
            && next > now
        {
            return Some(next);
        }
        let limit = usize::try_from(self.per_second.get()).unwrap_or(usize::MAX);
        if let Some(free) = state.sent.next_free(now, limit) {
            return Some(free);
        }
        state.next = Some(match state.next {
            // Late by less than a slot: keep the schedule, so lateness does not add up.
            Some(next) if now.saturating_duration_since(next) < self.spacing => next + self.spacing,
            // Idle for a while: start afresh rather than bank a burst.
            _ => now + self.spacing,
        });
        state.sent.record(now);
        None
    }
}

impl fmt::Debug for RatePacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RatePacer")
            .field("calls", &self.per_second)
            .field("window", &self.window)
            .finish()
    }
}

#[async_trait]
impl Pacer for RatePacer {
    async fn acquire(&self) -> Result<(), Error> {
        while let Some(at) = self.try_grant(Instant::now()) {
            tokio::time::sleep_until(at).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The most entries of `times` in any window of `span` starting at an entry.
    pub(crate) fn busiest(times: &[Instant], span: Duration) -> usize {
        times
            .iter()
            .map(|&t| times.iter().filter(|&&u| u >= t && u < t + span).count())
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn a_minute_window_spaces_calls_over_the_minute_and_never_exceeds_it() {
        let pacer = RatePacer::over_window(
            NonZeroU32::new(1000).unwrap(),
            Duration::from_secs(60),
            RatePacer::DEFAULT_MARGIN,
        );
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..1001 {
            pacer.acquire().await.unwrap();
            times.push(Instant::now());
        }
        // 1,000 calls take 999 gaps of 60 ms (within a millisecond of timer rounding); the
        // 1,001st waits for the first to leave the minute (plus the margin).
        let thousandth = times[999] - start;
        assert!(
            thousandth >= Duration::from_millis(59_900)
                && thousandth <= Duration::from_millis(59_960),
            "{thousandth:?}"
        );
        assert!(times[1000] - start >= Duration::from_millis(60_010));
        assert!(busiest(&times, Duration::from_secs(60)) <= 1000);
    }

    #[tokio::test(start_paused = true)]
    async fn spaces_calls_evenly_at_the_rate() {
        let pacer = RatePacer::per_second(NonZeroU32::new(3).unwrap());
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..7 {
            pacer.acquire().await.unwrap();
            times.push(Instant::now());
        }
        // Slots are 333.33 ms apart; a timer fires on a whole millisecond, and the slot after a late
        // one keeps the schedule, so a gap may be up to a millisecond short, never more.
        for pair in times.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_millis(332),
                "{:?}",
                times.iter().map(|t| *t - start).collect::<Vec<_>>()
            );
        }
        assert!(busiest(&times, Duration::from_secs(1)) <= 3);
    }

    /// A caller that wakes up late every time (as tokio timers do) still gets the full rate over a
    /// long run, and never more than the rate in any one-second window.
    #[tokio::test(start_paused = true)]
    async fn lateness_does_not_accumulate_and_the_window_holds() {
        let pacer = RatePacer::per_second(NonZeroU32::new(100).unwrap());
        let start = Instant::now();
        let mut times = Vec::new();
        for i in 0..1_000u64 {
            pacer.acquire().await.unwrap();
            times.push(Instant::now());
            // Up to 12 ms between a grant and the next request (the spacing is 10 ms), varying
            // from call to call: some calls come late for their slot.
            tokio::time::sleep(Duration::from_micros((i * 7_919) % 12_000)).await;
        }
        let elapsed = times[999] - start;
        let minimum = Duration::from_millis(9_990);
        assert!(
            elapsed.as_secs_f64() <= minimum.as_secs_f64() * 1.01,
            "{elapsed:?}"
        );
        assert!(busiest(&times, Duration::from_secs(1)) <= 100);
    }
}
