//! The one table from an HTTP status to an [`ErrorKind`], for answers whose body names no code this
//! adapter knows.
//!
//! Choices, and why:
//! - **404 and 405 are [`ErrorKind::Config`]**: every call an adapter makes goes to a fixed path under
//!   the configured base URL, so a 404 without a provider code means the base URL is wrong (a typo, a
//!   missing `/video/v2/`, a proxy in front), not that the room is missing. A provider that says the
//!   room is missing says so with a code (`ResourceNotFoundException`, ZIM 660300001, EnableX
//!   `NOT_FOUND`), and that code refines the status to [`ErrorKind::NotFound`].
//! - **3xx is [`ErrorKind::Config`]**: adapters never follow redirects (one could carry a signature or
//!   credentials elsewhere, perhaps over plain http); a redirect means the endpoint should be set to
//!   where it points.
//! - **Other 4xx are [`ErrorKind::InvalidInput`]**: the server refused this request as sent.
//! - **5xx are [`ErrorKind::Unavailable`]** (temporary): the provider failed or is busy.
//! - **2xx** only reaches this table when a body carried a failure code the adapter does not know:
//!   [`ErrorKind::Protocol`], kept permanent with the code for the operator to look up.

use crate::ErrorKind;

/// What an HTTP status means on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusMeaning {
    /// The kind.
    pub kind: ErrorKind,
    /// A short sentence for messages.
    pub meaning: &'static str,
}

const fn meaning(kind: ErrorKind, meaning: &'static str) -> StatusMeaning {
    StatusMeaning { kind, meaning }
}

/// The kind and meaning of `status` when no provider code refines it.
///
/// ```
/// use room_moderator_core::ErrorKind;
/// use room_moderator_core::toolkit::status_meaning;
/// assert_eq!(status_meaning(404).kind, ErrorKind::Config);
/// assert_eq!(status_meaning(429).kind, ErrorKind::Throttled);
/// assert_eq!(status_meaning(503).kind, ErrorKind::Unavailable);
/// ```
pub fn status_meaning(status: u16) -> StatusMeaning {
    use ErrorKind::*;
    match status {
        401 => meaning(Unauthenticated, "the credentials were rejected"),
        403 => meaning(PermissionDenied, "the request is not allowed"),
        404 | 405 => meaning(
            Config,
            "there is no such API at this endpoint: check the base URL",
        ),
        408 => meaning(Timeout, "the server timed out waiting for the request"),
        429 => meaning(Throttled, "too many requests"),
        // 400 among them: the server refused this request as sent.
        400..=499 => meaning(InvalidInput, "the request was refused"),
        500..=599 => meaning(Unavailable, "the server failed or is busy"),
        300..=399 => meaning(
            Config,
            "the endpoint redirects and redirects are not followed: set the endpoint to where it points",
        ),
        200..=299 => meaning(Protocol, "a failure code this adapter does not know"),
        _ => meaning(Protocol, "an HTTP status this API does not answer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorKind::*;

    /// One row per decision: a changed row is a deliberate change here too.
    #[test]
    fn every_row() {
        let rows = [
            (100, Protocol),
            (200, Protocol),
            (204, Protocol),
            (301, Config),
            (302, Config),
            (307, Config),
            (308, Config),
            (400, InvalidInput),
            (401, Unauthenticated),
            (403, PermissionDenied),
            (404, Config),
            (405, Config),
            (408, Timeout),
            (409, InvalidInput),
            (418, InvalidInput),
            (422, InvalidInput),
            (429, Throttled),
            (500, Unavailable),
            (502, Unavailable),
            (503, Unavailable),
            (504, Unavailable),
            (599, Unavailable),
            (600, Protocol),
            (0, Protocol),
        ];
        for (status, kind) in rows {
            let row = status_meaning(status);
            assert_eq!(row.kind, kind, "{status}");
            assert!(!row.meaning.is_empty());
        }
    }
}
