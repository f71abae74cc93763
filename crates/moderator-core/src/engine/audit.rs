//! A hook that sees every final outcome, for audit trails.

use crate::{Error, RoomId, UserReport};

/// Receives every final outcome the engine produces, as soon as it is final (so it can drive a
/// progress display as well as an audit trail). Keep it fast: it runs inline in the dispatch loop.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use moderator_core::{AuditHook, RoomId, UserReport};
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

    /// The outcome of a `disconnect_all` on `room`.
    fn room_cleared(&self, provider: &'static str, room: &RoomId, result: Result<(), &Error>) {
        let _ = (provider, room, result);
    }
}
