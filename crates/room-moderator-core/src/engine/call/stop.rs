//! The caller's graceful stop ([`StopSignal`]) as the call path sees it: the signals an operation
//! watches (the engine's, from `EngineBuilder::with_stop`, and the request's own), any one of which
//! stops it.
//!
//! Where a stop acts, once for every operation: `call_once` (`call/mod.rs`) sends nothing once
//! stopped, not even a call already waiting for its pacer's turn, and counts every call on the wire
//! in the signals' [`StopSignal::in_flight`]; `Engine::call` does not wait out a retry's backoff;
//! the kick's dispatch loop (`kick/dispatch.rs`) settles every job not sent. A call already sent
//! is never interrupted by a stop: it ends with its answer, the adapter's per-call timeout or the
//! operation's deadline (`call_once`'s `timeout_at`), whichever comes first.

use futures::future::select_all;

use crate::StopSignal;
use crate::stop::Sending;

/// The signals one operation stops on (none, usually one).
#[derive(Clone, Debug, Default)]
pub(crate) struct Stops(Vec<StopSignal>);

impl Stops {
    /// These signals and `stop`.
    pub(crate) fn and(&self, stop: &StopSignal) -> Stops {
        let mut stops = self.clone();
        if !stops.0.contains(stop) {
            stops.0.push(stop.clone());
        }
        stops
    }

    /// Whether any signal was stopped.
    pub(crate) fn is_stopped(&self) -> bool {
        self.0.iter().any(StopSignal::is_stopped)
    }

    /// Waits until any signal is stopped; forever without one.
    pub(crate) async fn stopped(&self) {
        if self.0.is_empty() {
            return std::future::pending().await;
        }
        select_all(self.0.iter().map(|stop| Box::pin(stop.stopped()))).await;
    }

    /// Counts one call on the wire in every signal until the guards are dropped.
    pub(crate) fn sending(&self) -> Vec<Sending> {
        self.0.iter().map(StopSignal::sending).collect()
    }
}
