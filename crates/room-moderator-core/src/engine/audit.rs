//! A hook that sees every final outcome, for audit trails.

use crate::{Error, RoomId, UserReport};

/// Receives every final outcome the engine produces, as soon as it is final (so it can drive a
/// progress display as well as an audit trail). Keep it fast: it runs inline in the dispatch loop.
///
/// Every distinct user of a request is heard exactly once, even when the caller drops the
/// `disconnect` future mid-job: users then get [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled),
/// saying whether their call was not sent or was in flight with an unknown result.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use room_moderator_core::{AuditHook, RoomId, UserReport};
/// #[derive(Default)]
/// struct Log(Mutex<Vec<String>>);
/// impl AuditHook for Log {
///     fn user_outcome(&self, provider: &'static str, room: &RoomId, entry: &UserReport) {
///         self.0.lock().unwrap().push(format!("{provider} {room} {} {}", entry.user, entry.outcome.label()));
///     }
/// }
/// ```
pub trait AuditHook: Send + Sync {
    /// One user's final outcome in `room`.
    fn user_outcome(&self, provider: &'static str, room: &RoomId, entry: &UserReport);

    /// A provider call for `room` was answered; `throttled` when the provider refused it for its rate
    /// limit (the call's users are then sent again). For progress displays.
    fn call_finished(&self, provider: &'static str, room: &RoomId, throttled: bool) {
        let _ = (provider, room, throttled);
    }

    /// The outcome of a `disconnect_all` on `room`.
    fn room_cleared(&self, provider: &'static str, room: &RoomId, result: Result<(), &Error>) {
        let _ = (provider, room, result);
    }
}
