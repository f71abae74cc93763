//! The Twirp error codes LiveKit answers, and what each means here. Matched on `code` only: the
//! `msg` changes between server versions (`participant does not exist` became
//! `twirp error unknown: participant does not exist`).

use room_moderator_core::ErrorKind;
use room_moderator_core::toolkit::CodeMeaning;

const TABLE: &[(&str, CodeMeaning)] = &[
    (
        "unauthenticated",
        // The token verified (a bad key or secret answers text/plain 401 before Twirp), but its
        // grants do not cover the call: a bug in the token, not in the credentials.
        CodeMeaning::new(
            ErrorKind::Config,
            "the admin token's grants do not cover this call (video.roomAdmin and video.room for this room)",
        ),
    ),
    (
        "permission_denied",
        CodeMeaning::new(ErrorKind::PermissionDenied, "the API key may not do this"),
    ),
    (
        "not_found",
        CodeMeaning::new(ErrorKind::NotFound, "no such participant or room"),
    ),
    (
        "bad_route",
        CodeMeaning::new(
            ErrorKind::Config,
            "no RoomService method at this URL: check LIVEKIT_URL",
        ),
    ),
    (
        "malformed",
        CodeMeaning::new(
            ErrorKind::Protocol,
            "the server could not decode the request",
        ),
    ),
    (
        "invalid_argument",
        CodeMeaning::new(ErrorKind::InvalidInput, "the server refused an argument"),
    ),
    (
        "out_of_range",
        CodeMeaning::new(ErrorKind::InvalidInput, "an argument is out of range"),
    ),
    (
        "resource_exhausted",
        CodeMeaning::new(ErrorKind::Throttled, "the project's API rate was exceeded"),
    ),
    (
        "unavailable",
        CodeMeaning::new(ErrorKind::Unavailable, "the server is unavailable"),
    ),
    (
        "deadline_exceeded",
        CodeMeaning::new(ErrorKind::Timeout, "the server ran out of time"),
    ),
    (
        "canceled",
        CodeMeaning::new(ErrorKind::Unavailable, "the server canceled the call"),
    ),
    (
        "internal",
        CodeMeaning::new(ErrorKind::Unavailable, "the server failed"),
    ),
    (
        "unknown",
        CodeMeaning::new(ErrorKind::Unavailable, "the server failed"),
    ),
    (
        "dataloss",
        CodeMeaning::new(ErrorKind::Unavailable, "the server lost data"),
    ),
    (
        "aborted",
        CodeMeaning::new(ErrorKind::Unavailable, "the server aborted the call"),
    ),
    (
        "unimplemented",
        CodeMeaning::new(
            ErrorKind::Unsupported,
            "this server does not implement the method",
        ),
    ),
    (
        "failed_precondition",
        CodeMeaning::new(ErrorKind::InvalidInput, "the server's settings refuse this"),
    ),
    (
        "already_exists",
        CodeMeaning::new(ErrorKind::InvalidInput, "it already exists"),
    ),
];

/// What a Twirp `code` means, if it is one.
pub(crate) fn lookup(code: &str) -> Option<CodeMeaning> {
    TABLE
        .iter()
        .find(|(name, _)| *name == code)
        .map(|(_, meaning)| *meaning)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_the_issue_names_map_as_it_says() {
        let kind = |code| lookup(code).map(|m| m.kind);
        assert_eq!(kind("unauthenticated"), Some(ErrorKind::Config));
        assert_eq!(kind("not_found"), Some(ErrorKind::NotFound));
        assert_eq!(kind("bad_route"), Some(ErrorKind::Config));
        assert_eq!(kind("resource_exhausted"), Some(ErrorKind::Throttled));
        assert_eq!(kind("unavailable"), Some(ErrorKind::Unavailable));
        assert_eq!(kind("participant does not exist"), None);
    }
}
