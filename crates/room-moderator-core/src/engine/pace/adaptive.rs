//! Adaptive pacing: throttling answers are backpressure from callers this process cannot see.
//!
//! A provider's quota belongs to the account, and other callers (another instance, the application's
//! own backend, an operator's CLI) draw from it too. The AWS SDKs' `adaptive` retry mode meets this
//! with a client-side limiter that cuts its rate on a throttle and probes back up along a cubic curve
//! (CUBIC). This pacer does the same, with two things the SDK does not know:
//!
//! - the documented quota, so it never probes above it (and is inactive while nothing throttles);
//! - that providers count calls in a one-second window, so a throttle means the window is full and
//!   this process's fair share is what it was *granted* in that window. The limit is set from that
//!   count (times [`BETA`]) and enforced as "at most N calls in any sliding second", so a burst that
//!   filled the provider's window is waited out instead of being throttled again.
//!
//! A throttle that comes when this process had nothing granted in the window (another job had just
//! spent the quota, or this process was idle) says nothing about its fair share: the count is zero.
//! Following the curve up from one call a second would crawl for many seconds once the quota is
//! free again, so the pacer probes instead (TCP's slow start): from one call, two more allowed for
//! every call accepted, which doubles the rate each round trip while calls succeed, until a throttle
//! shows the share (then the curve takes over from there) or the documented rate is reached.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;
use tracing::info;

use super::pacer::{Answer, Pacer, RATE_WINDOW, RatePacer};
use super::window::SlidingWindow;
use crate::Error;

/// The share of the granted count kept after a throttle (multiplicative decrease).
const BETA: f64 = 0.9;

/// Cubic growth per second cubed, as a share of the documented rate: after a cut, the limit is back
/// at the granted count after `cbrt((1 - BETA) * granted / C)` seconds and one call per second above
/// it `cbrt(1 / C)` seconds later. Slow enough that four instances sharing a quota are throttled on
/// a few percent of their calls, fast enough to take back a quota others stopped using within seconds.
const GROWTH_PER_RATE: f64 = 1.0 / 400.0;

/// Throttled probes in a row (with nothing accepted) that may go out one right after another's
/// answer: about one wave of concurrent calls meeting a quota someone else just spent. A provider
/// still throttling after that gets one call a second until it accepts one.
const QUICK_PROBES: u32 = 8;

/// The longest sleep between looks at a limit that is growing back.
const RECHECK: Duration = Duration::from_millis(250);

/// A pacer that lowers its rate when the provider throttles and raises it again towards the documented
/// rate on success, in front of another pacer (the in-process [`RatePacer`] or a shared one).
///
/// The engine puts one in front of its pacer by default, shared by every engine of the process on the
/// same provider account and API (see [`QuotaKey`](crate::QuotaKey)).
///
/// ```
/// use std::num::NonZeroU32;
/// use room_moderator_core::{AdaptivePacer, Answer, Pacer};
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let pacer = AdaptivePacer::over_rate("zego-zim/kick", NonZeroU32::new(20).unwrap());
/// assert_eq!(pacer.current_limit(), None, "not limiting before any throttle");
/// for _ in 0..5 {
///     pacer.acquire().await?;
///     pacer.feedback(tokio::time::Instant::now(), Answer::Accepted);
/// }
/// pacer.acquire().await?;
/// pacer.feedback(tokio::time::Instant::now(), Answer::Throttled);
/// // Five calls were granted in the last second: the limit is cut to 90% of that.
/// assert_eq!(pacer.current_limit(), Some(4));
/// # Ok::<_, room_moderator_core::Error>(()) }).unwrap();
/// ```
pub struct AdaptivePacer {
    name: String,
    inner: Arc<dyn Pacer>,
    max_rate: f64,
    growth: f64,
    state: Mutex<State>,
}

struct State {
    /// When this process sent calls (granted by this pacer).
    sent: SlidingWindow,
    /// When the calls the provider accepted were sent.
    accepted: SlidingWindow,
    cut: Option<Cut>,
}

/// The last multiplicative decrease.
#[derive(Clone, Copy, Debug)]
struct Cut {
    at: Instant,
    /// The count that was granted when the throttle came: the curve's plateau.
    granted: f64,
    /// Seconds from the cut to the plateau.
    k: f64,
    /// While probing for an unknown share: calls sent after the cut and accepted.
    probe: Option<u32>,
    /// Throttled probes in a row, nothing accepted.
    refused_probes: u32,
}

impl AdaptivePacer {
    /// Adapts in front of `inner`, never above `max_per_second` (the documented rate). `name` says
    /// which account and API this is, in traces.
    pub fn new(
        name: impl Into<String>,
        inner: Arc<dyn Pacer>,
        max_per_second: std::num::NonZeroU32,
    ) -> Self {
        let max_rate = f64::from(max_per_second.get());
        let capacity = usize::try_from(max_per_second.get())
            .unwrap_or(usize::MAX)
            .saturating_mul(2);
        AdaptivePacer {
            name: name.into(),
            inner,
            max_rate,
            growth: max_rate * GROWTH_PER_RATE,
            state: Mutex::new(State {
                sent: SlidingWindow::new(RATE_WINDOW + RatePacer::DEFAULT_MARGIN, capacity),
                accepted: SlidingWindow::new(RATE_WINDOW, capacity),
                cut: None,
            }),
        }
    }

    /// Adapts in front of a new in-process [`RatePacer`] at `per_second`.
    pub fn over_rate(name: impl Into<String>, per_second: std::num::NonZeroU32) -> Self {
        AdaptivePacer::new(
            name,
            Arc::new(RatePacer::per_second(per_second)),
            per_second,
        )
    }

    /// Counts this pacer's own limit over one second plus `margin` (default
    /// [`RatePacer::DEFAULT_MARGIN`]), as the pacer under it should.
    pub fn with_margin(self, margin: Duration) -> Self {
        {
            let mut state = self.state();
            let capacity = state.sent.capacity();
            state.sent = SlidingWindow::new(RATE_WINDOW + margin, capacity);
        }
        self
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The calls per second this pacer allows now, or `None` when it does not limit (nothing has
    /// throttled, or the limit grew back to the documented rate).
    pub fn current_limit(&self) -> Option<usize> {
        let mut state = self.state();
        self.limit(&mut state, Instant::now())
    }

    /// The limit on the curve at `now`; forgets the cut once the curve is back at the documented rate.
    fn limit(&self, state: &mut State, now: Instant) -> Option<usize> {
        let cut = state.cut?;
        if let Some(accepted) = cut.probe {
            let limit = 1.0 + 2.0 * f64::from(accepted);
            if limit >= self.max_rate {
                state.cut = None;
                info!(pacer = %self.name, rate = self.max_rate, "probed back to the documented quota");
                return None;
            }
            // Below the documented rate, a small positive float.
            return Some(limit as usize);
        }
        let t = now.saturating_duration_since(cut.at).as_secs_f64() - cut.k;
        let limit = cut.granted + self.growth * t * t * t;
        if limit >= self.max_rate {
            state.cut = None;
            info!(pacer = %self.name, rate = self.max_rate, "rate restored to the documented quota");
            return None;
        }
        // The float is at least 1 and below the documented rate, so the cast cannot truncate much.
        Some(limit.max(1.0) as usize)
    }

    /// Grants now (recording the send if `record`), or says when to look again.
    fn try_grant(&self, now: Instant, record: bool) -> Option<Instant> {
        let mut state = self.state();
        if let Some(limit) = self.limit(&mut state, now)
            && let Some(free) = state.sent.next_free(now, limit)
        {
            return Some(free.min(now + RECHECK));
        }
        if record {
            state.sent.record(now);
        }
        None
    }

    async fn wait_for_turn(&self) {
        while let Some(at) = self.try_grant(Instant::now(), false) {
            tokio::time::sleep_until(at).await;
        }
    }

    fn throttled(&self, sent_at: Instant) {
        let now = Instant::now();
        let mut state = self.state();
        if state.cut.is_some_and(|cut| sent_at < cut.at) {
            // Sent before the last cut took effect: the cut already answered this congestion.
            return;
        }
        let current = self
            .limit(&mut state, now)
            .map_or(self.max_rate, |limit| limit as f64);
        let accepted = state.accepted.count_before(sent_at);
        if accepted == 0 {
            // Nothing granted in the window: the share is unknown. Probe for it (the module docs),
            // one call at a time: only the calls sent from now on count (those before were
            // refused). After QUICK_PROBES refused probes in a row the window is kept, so a
            // provider that throttles for good gets one call a second.
            let refused_probes = match state.cut {
                Some(cut) if cut.probe.is_some() => cut.refused_probes.saturating_add(1),
                _ => 1,
            };
            if refused_probes <= QUICK_PROBES {
                let capacity = state.sent.capacity();
                state.sent = SlidingWindow::new(state.sent.span(), capacity);
            }
            state.cut = Some(Cut {
                at: now,
                granted: 1.0,
                k: 0.0,
                probe: Some(0),
                refused_probes,
            });
            info!(pacer = %self.name, from = current, "throttled with nothing granted: probing for the free share from one call");
            return;
        }
        // usize to f64: counts are far below 2^52.
        let granted = (accepted as f64).min(current).max(1.0);
        let after = (granted * BETA).max(1.0);
        let k = ((granted - after) / self.growth).cbrt();
        state.cut = Some(Cut {
            at: now,
            granted,
            k,
            probe: None,
            refused_probes: 0,
        });
        info!(pacer = %self.name, from = current, to = after, "throttled by the provider: cutting the rate");
    }
}

impl fmt::Debug for AdaptivePacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptivePacer")
            .field("name", &self.name)
            .field("max_rate", &self.max_rate)
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Pacer for AdaptivePacer {
    async fn acquire(&self) -> Result<(), Error> {
        loop {
            // First here, so that an inner (shared) grant is not taken only to wait here.
            self.wait_for_turn().await;
            self.inner.acquire().await?;
            // Then again: a throttle may have cut the limit while the inner pacer held this call.
            // The call must go right after the inner grant (the inner pacer spaced it), so if it
            // cannot go now the grant is given up and the call queues again.
            if self.try_grant(Instant::now(), true).is_none() {
                return Ok(());
            }
        }
    }

    fn feedback(&self, sent_at: Instant, answer: Answer) {
        match answer {
            Answer::Accepted => {
                let mut state = self.state();
                state.accepted.record(sent_at);
                if let Some(cut) = &mut state.cut
                    && sent_at >= cut.at
                    && let Some(accepted) = &mut cut.probe
                {
                    *accepted = accepted.saturating_add(1);
                }
            }
            Answer::Throttled => self.throttled(sent_at),
        }
        self.inner.feedback(sent_at, answer);
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    fn pacer(rate: u32) -> AdaptivePacer {
        AdaptivePacer::over_rate("test", NonZeroU32::new(rate).unwrap())
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_cuts_to_the_granted_share_and_the_limit_grows_back_to_the_quota_only() {
        let pacer = pacer(20);
        for _ in 0..10 {
            pacer.acquire().await.unwrap();
            pacer.feedback(Instant::now(), Answer::Accepted);
        }
        pacer.acquire().await.unwrap();
        pacer.feedback(Instant::now(), Answer::Throttled);
        assert_eq!(pacer.current_limit(), Some(9));
        let mut seen = Vec::new();
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            seen.push(pacer.current_limit());
        }
        assert!(
            seen.windows(2)
                .all(|w| w[1].unwrap_or(20) >= w[0].unwrap_or(20)),
            "the limit only grows without throttles: {seen:?}"
        );
        assert_eq!(seen.last(), Some(&None), "back to the quota: {seen:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_for_a_call_sent_before_the_cut_does_not_cut_again() {
        let pacer = pacer(20);
        for _ in 0..10 {
            pacer.acquire().await.unwrap();
            pacer.feedback(Instant::now(), Answer::Accepted);
        }
        let in_flight = Instant::now();
        tokio::time::sleep(Duration::from_millis(10)).await;
        pacer.feedback(Instant::now(), Answer::Throttled);
        pacer.feedback(in_flight, Answer::Throttled);
        assert_eq!(pacer.current_limit(), Some(9));
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_start_probes_from_one_call_and_doubles_each_round_trip() {
        let pacer = pacer(100);
        // Another job spent the quota: the first calls are throttled before anything was granted.
        // A wave of them goes out one after another's answer; then one call a second.
        let throttled_from = Instant::now();
        for _ in 0..QUICK_PROBES {
            pacer.acquire().await.unwrap();
            pacer.feedback(Instant::now(), Answer::Throttled);
        }
        assert!(
            throttled_from.elapsed() < Duration::from_millis(100),
            "{:?}",
            throttled_from.elapsed()
        );
        let slow_from = Instant::now();
        for _ in 0..3 {
            pacer.acquire().await.unwrap();
            pacer.feedback(Instant::now(), Answer::Throttled);
        }
        assert!(
            slow_from.elapsed() >= Duration::from_secs(2),
            "{:?}",
            slow_from.elapsed()
        );
        assert_eq!(
            pacer.current_limit(),
            Some(1),
            "one call at a time while probing"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        // The quota is free again: every accepted call allows two more.
        let started = Instant::now();
        let mut rounds = 0;
        while pacer.current_limit().is_some() {
            // One round trip: send what the pacer grants (the rate pacer under it spaces calls
            // 10 ms apart), then hear back.
            let mut sent = Vec::new();
            while let Ok(granted) =
                tokio::time::timeout(Duration::from_millis(15), pacer.acquire()).await
            {
                granted.unwrap();
                sent.push(Instant::now());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            for at in sent {
                pacer.feedback(at, Answer::Accepted);
            }
            rounds += 1;
            assert!(rounds < 20, "still probing after {rounds} round trips");
        }
        assert!(
            rounds <= 7,
            "back at the documented rate within log2(100) round trips, took {rounds}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_while_probing_cuts_to_the_share_it_found() {
        let pacer = pacer(100);
        pacer.acquire().await.unwrap();
        pacer.feedback(Instant::now(), Answer::Throttled);
        tokio::time::sleep(Duration::from_millis(10)).await;
        for _ in 0..3 {
            pacer.acquire().await.unwrap();
            pacer.feedback(Instant::now(), Answer::Accepted);
        }
        assert_eq!(pacer.current_limit(), Some(7));
        pacer.acquire().await.unwrap();
        pacer.feedback(Instant::now(), Answer::Throttled);
        // Three were granted in the window: the curve starts at 90% of that.
        assert_eq!(pacer.current_limit(), Some(2));
    }

    #[tokio::test(start_paused = true)]
    async fn under_a_cut_no_second_holds_more_than_the_limit() {
        let pacer = pacer(20);
        let start = Instant::now();
        for _ in 0..5 {
            pacer.acquire().await.unwrap();
            pacer.feedback(Instant::now(), Answer::Accepted);
        }
        pacer.feedback(Instant::now(), Answer::Throttled);
        assert_eq!(pacer.current_limit(), Some(4));
        // The five calls of the first 200 ms still count: the next one waits for them to age out.
        pacer.acquire().await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }
}
