//! A graceful stop: the caller asks a running request to send nothing more, and still gets every
//! user's outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_util::sync::CancellationToken;

/// Asks running requests to **stop sending**, and counts their calls on the wire.
///
/// Give a request the signal ([`DisconnectRequest::with_stop`](crate::DisconnectRequest::with_stop),
/// [`BanRequest::with_stop`](crate::BanRequest::with_stop)), or give it to an engine for every
/// operation ([`EngineBuilder::with_stop`](crate::EngineBuilder::with_stop)). After
/// [`StopSignal::stop`], the engine sends no new call (no first call, no retry, no paced call
/// still waiting for its turn), waits for the calls already sent to answer (each bounded by the
/// adapter's per-call timeout and the operation's deadline), and returns its report as usual:
///
/// - every user whose call went out has the provider's real outcome;
/// - every user never sent is `Failed` with [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled)
///   and a message starting "not sent" ("not sent: stopped"); a user whose earlier call failed
///   (throttled, say) and whose retry was not sent is `Cancelled` too, "not sent again: stopped",
///   the message quoting that failure.
///
/// Dropping the request's future instead is a hard cancel, as before: calls in flight are
/// abandoned and their users' outcomes say the provider may or may not have acted.
///
/// Clones share one signal: stopping any clone stops them all. Stopping is for good; a new job
/// needs a new signal. Built on [`tokio_util`]'s `CancellationToken`.
///
/// ```
/// # #[cfg(feature = "mock")] {
/// use std::time::Duration;
/// use room_moderator_core::mock::{CallScript, MockAdapter};
/// use room_moderator_core::{Capabilities, DisconnectRequest, ErrorKind, Moderator, Outcome, StopSignal};
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// // One user a call, two calls at a time, each taking a second.
/// let mock = MockAdapter::with_capabilities(Capabilities::new(1));
/// for _ in 0..10 {
///     mock.push_call(CallScript::Delay(Duration::from_secs(1)));
/// }
/// let moderator = room_moderator_core::Engine::builder(mock.clone()).with_max_concurrency(2).build();
/// let stop = StopSignal::new();
/// let request = DisconnectRequest::new("lobby", ["a", "b", "c", "d"]).with_stop(&stop);
/// let job = moderator.disconnect(&request);
/// let stopper = async {
///     tokio::time::sleep(Duration::from_millis(500)).await;
///     assert_eq!(stop.in_flight(), 2, "a and b are on the wire");
///     stop.stop();
/// };
/// let (report, ()) = tokio::join!(job, stopper);
/// let report = report?;
/// // a and b were sent before the stop: their calls were answered.
/// assert_eq!(report.summary().disconnected, 2);
/// // c and d were never sent.
/// for user in ["c", "d"] {
///     let error = report.outcome(&user.into()).and_then(Outcome::error).unwrap();
///     assert_eq!(error.kind(), ErrorKind::Cancelled);
///     assert!(error.message().contains("not sent: stopped"));
/// }
/// assert_eq!(mock.calls().len(), 2, "nothing was sent after the stop");
/// # Ok::<_, room_moderator_core::Error>(()) }).unwrap();
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct StopSignal {
    token: CancellationToken,
    in_flight: Arc<AtomicUsize>,
}

impl StopSignal {
    /// A signal not yet stopped.
    pub fn new() -> Self {
        StopSignal::default()
    }

    /// Asks every request watching this signal to stop sending. Returns at once; the requests
    /// return their reports once their calls in flight have answered.
    pub fn stop(&self) {
        self.token.cancel();
    }

    /// Whether [`StopSignal::stop`] was called (on this signal or a clone).
    pub fn is_stopped(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Waits until the signal is stopped.
    pub async fn stopped(&self) {
        self.token.cancelled().await;
    }

    /// Provider calls on the wire right now for the requests watching this signal: what a stop
    /// waits for.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Counts one call on the wire until the guard is dropped (answered, cut off, or abandoned).
    pub(crate) fn sending(&self) -> Sending {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Sending(Arc::clone(&self.in_flight))
    }
}

/// Two signals are equal when they are clones of one another (one signal).
impl PartialEq for StopSignal {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.in_flight, &other.in_flight)
    }
}

impl Eq for StopSignal {}

/// One call on the wire, counted in [`StopSignal::in_flight`] while it lives.
pub(crate) struct Sending(Arc<AtomicUsize>);

impl Drop for Sending {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_stop_and_the_count() {
        let stop = StopSignal::new();
        let clone = stop.clone();
        assert_eq!(stop, clone);
        assert_ne!(stop, StopSignal::new());
        let sending = clone.sending();
        assert_eq!(stop.in_flight(), 1);
        drop(sending);
        assert_eq!(stop.in_flight(), 0);
        assert!(!stop.is_stopped());
        clone.stop();
        assert!(stop.is_stopped());
    }
}
