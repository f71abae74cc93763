//! EnableX's codes, in one table: REST body codes of the Video v2 server API and the result codes of
//! the signalling socket.
//!
//! Sources: the EnableX REST "error codes" pages (both envelopes: `{result, error, desc}` and
//! `{status:"error", error_code, message, request_id}`; which one Video v2 sends is UNVERIFIED, so both
//! are read), the Rooms API result codes 10000..10010, and the codes the client SDKs document
//! (5116, 5086, 1155, 1161, 1168, 1170, 1171, 5031, 5032) plus the server's 4119. The SDK codes are
//! produced by the SDKs before sending; a headless moderator reports the same conditions with the same
//! codes, and reads them if a server ever answers with them.
//!
//! Mapping: core's toolkit (the HTTP status table, then the body code refines it, except that a 429
//! stays throttling).

use room_moderator_core::toolkit::CodeMeaning;
use room_moderator_core::{Error, ErrorKind};

use crate::PROVIDER;

/// Where a code is seen. (HTTP statuses are core's table, the same for every adapter.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A code in a REST error body (`result` or `error_code`).
    RestBody,
    /// A `result` in a signalling acknowledgement, or our own code for a signalling condition.
    Signalling,
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CodeRow {
    pub source: Source,
    pub code: &'static str,
    pub kind: ErrorKind,
    pub meaning: &'static str,
}

const fn row(
    source: Source,
    code: &'static str,
    kind: ErrorKind,
    meaning: &'static str,
) -> CodeRow {
    CodeRow {
        source,
        code,
        kind,
        meaning,
    }
}

use ErrorKind::*;
use Source::*;

/// Every code we know.
pub(crate) const CODES: &[CodeRow] = &[
    row(
        RestBody,
        "UNAUTHORIZED",
        Unauthenticated,
        "bad APP_ID or APP_KEY",
    ),
    row(
        RestBody,
        "CREDENTIAL_EXPIRED",
        Unauthenticated,
        "the APP_KEY has expired",
    ),
    row(
        RestBody,
        "PROJECT_SUSPENDED",
        AccountNotReady,
        "the project is suspended",
    ),
    row(
        RestBody,
        "RATE_LIMITED",
        Throttled,
        "rate limited; back off exponentially",
    ),
    // The emulator's code for an unknown room (real Video v2 is UNVERIFIED). A 404 without a code
    // is a wrong base URL (core's status table), so this row is what makes a missing room NotFound.
    row(RestBody, "NOT_FOUND", NotFound, "no such room"),
    row(
        RestBody,
        "INVALID_PARAM",
        InvalidInput,
        "a parameter is invalid",
    ),
    row(
        RestBody,
        "10000",
        Unauthenticated,
        "application not found (APP_ID)",
    ),
    row(RestBody, "10001", InvalidInput, "room_id missing"),
    row(RestBody, "10002", InvalidInput, "name missing"),
    row(
        RestBody,
        "10003",
        InvalidInput,
        "room settings validation failed",
    ),
    row(
        RestBody,
        "10004",
        InvalidInput,
        "room settings validation failed",
    ),
    row(
        RestBody,
        "10005",
        InvalidInput,
        "room settings validation failed",
    ),
    row(
        RestBody,
        "10006",
        InvalidInput,
        "room settings validation failed",
    ),
    row(
        RestBody,
        "10007",
        InvalidInput,
        "room settings validation failed",
    ),
    row(
        RestBody,
        "10008",
        InvalidInput,
        "room settings validation failed",
    ),
    row(
        RestBody,
        "10009",
        InvalidInput,
        "room settings validation failed",
    ),
    row(
        RestBody,
        "10010",
        InvalidInput,
        "room settings validation failed",
    ),
    row(
        Signalling,
        "5116",
        PermissionDenied,
        "unauthorized: only a moderator may drop users",
    ),
    row(Signalling, "5086", Unavailable, "room not connected"),
    row(
        Signalling,
        "1155",
        InvalidInput,
        "invalid client id or parameters",
    ),
    row(
        Signalling,
        "1161",
        Unauthenticated,
        "token validation failed",
    ),
    row(
        Signalling,
        "1168",
        PermissionDenied,
        "not allowed: only a moderator may do this",
    ),
    row(Signalling, "1170", Unsupported, "not supported"),
    row(Signalling, "1171", Unavailable, "room not connected"),
    row(Signalling, "4119", Unavailable, "reconnect refused"),
    row(Signalling, "5031", Unavailable, "disconnection in progress"),
    row(Signalling, "5032", Unavailable, "already disconnected"),
    // No signalling rate limit is documented; an ack saying 429 can only mean one, so it is retried
    // as one rather than read as a refused token or drop.
    row(Signalling, "429", Throttled, "rate limited"),
];

/// The row for `code` seen at `source`.
pub(crate) fn lookup(source: Source, code: &str) -> Option<&'static CodeRow> {
    CODES
        .iter()
        .find(|row| row.source == source && row.code == code)
}

/// What a REST body code means by this table's REST rows, for core's rule (a 429 is throttling
/// whatever the body says; a known body code refines the status; otherwise the status decides), which
/// [`HttpAnswer::failure`](room_moderator_core::toolkit::http::HttpAnswer::failure) applies.
pub(crate) fn rest_meaning(code: &str) -> Option<CodeMeaning> {
    lookup(RestBody, code).map(|row| CodeMeaning::new(row.kind, row.meaning))
}

/// The error for a failed REST call with `status`, as the REST client writes it.
#[cfg(test)]
pub(crate) fn rest_error(status: u16, body_code: Option<&str>, message: &str) -> Error {
    room_moderator_core::toolkit::http::HttpAnswer::new(PROVIDER, status, "").failure(
        body_code,
        body_code.and_then(rest_meaning),
        message,
    )
}

/// The error for a signalling condition or a non-zero signalling `result`. Undocumented codes get
/// `fallback`, which says what the refused step was about.
pub(crate) fn signalling_error(code: &str, message: &str, fallback: ErrorKind) -> Error {
    let row = lookup(Signalling, code);
    let kind = row.map_or(fallback, |row| row.kind);
    let message = match (message.is_empty(), row) {
        (true, Some(row)) => row.meaning.to_owned(),
        (true, None) => "refused without a message".to_owned(),
        (false, _) => message.to_owned(),
    };
    Error::new(kind, message)
        .with_provider(PROVIDER)
        .with_code(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One assertion per row: what the table says is what the mapping functions produce.
    #[test]
    fn every_row_maps_to_its_kind() {
        for row in CODES {
            let error = match row.source {
                RestBody => rest_error(400, Some(row.code), "x"),
                Signalling => signalling_error(row.code, "", Protocol),
            };
            // Body codes are checked under a 400, a permanent status they may refine.
            assert_eq!(error.kind(), row.kind, "{row:?}");
            assert_eq!(error.provider(), Some(PROVIDER));
            assert_eq!(error.code(), Some(row.code), "{row:?}");
        }
    }

    #[test]
    fn http_401_is_unauthenticated() {
        assert_eq!(rest_error(401, None, "").kind(), Unauthenticated);
    }

    #[test]
    fn http_403_is_permission_denied() {
        assert_eq!(rest_error(403, None, "").kind(), PermissionDenied);
    }

    #[test]
    fn a_404_is_a_wrong_base_url_unless_the_body_says_the_room_is_missing() {
        let error = rest_error(404, None, "");
        assert_eq!(error.kind(), Config);
        assert!(error.message().contains("base URL"), "{error}");
        assert_eq!(
            rest_error(404, Some("NOT_FOUND"), "room not found").kind(),
            NotFound
        );
    }

    #[test]
    fn http_429_is_throttled_and_temporary_whatever_the_body_says() {
        for code in [
            None,
            Some("INVALID_PARAM"),
            Some("10001"),
            Some("UNAUTHORIZED"),
        ] {
            let error = rest_error(429, code, "slow down");
            assert_eq!(error.kind(), Throttled, "{code:?}");
            assert!(error.is_temporary());
        }
    }

    #[test]
    fn every_5xx_is_unavailable_and_stays_temporary() {
        for status in [500, 501, 502, 503, 504, 599] {
            assert_eq!(rest_error(status, None, "").kind(), Unavailable, "{status}");
        }
        // A known body code refines a 5xx like any status (core's one rule).
        assert_eq!(
            rest_error(503, Some("INVALID_PARAM"), "").kind(),
            InvalidInput
        );
        assert_eq!(rest_error(503, Some("RATE_LIMITED"), "").kind(), Throttled);
        let error = rest_error(503, Some("77777"), "");
        assert_eq!(error.kind(), Unavailable);
        assert!(error.is_temporary());
    }

    #[test]
    fn body_codes_refine_permanent_statuses() {
        assert_eq!(
            rest_error(403, Some("PROJECT_SUSPENDED"), "").kind(),
            AccountNotReady
        );
        assert_eq!(
            rest_error(401, Some("CREDENTIAL_EXPIRED"), "").kind(),
            Unauthenticated
        );
        assert_eq!(rest_error(404, Some("10000"), "").kind(), Unauthenticated);
        assert_eq!(rest_error(200, Some("10001"), "").kind(), InvalidInput);
    }

    #[test]
    fn unknown_codes() {
        assert_eq!(rest_error(418, None, "").kind(), InvalidInput);
        assert_eq!(rest_error(200, Some("77777"), "odd").kind(), Protocol);
        assert_eq!(rest_error(200, Some("77777"), "odd").code(), Some("77777"));
        let error = signalling_error("9999", "nope", Unauthenticated);
        assert_eq!(error.kind(), Unauthenticated);
        assert_eq!(error.message(), "nope");
    }

    #[test]
    fn messages_name_the_meaning_and_status() {
        let error = rest_error(401, Some("UNAUTHORIZED"), "Invalid credentials");
        assert_eq!(
            error.message(),
            "HTTP 401: bad APP_ID or APP_KEY: Invalid credentials"
        );
        assert_eq!(
            signalling_error("5116", "", Protocol).to_string(),
            "enablex: permission denied: unauthorized: only a moderator may drop users (code 5116)"
        );
    }

    #[test]
    fn codes_are_unique_per_source() {
        for (i, a) in CODES.iter().enumerate() {
            for b in &CODES[i + 1..] {
                assert!(!(a.source == b.source && a.code == b.code), "{a:?}");
            }
        }
    }
}
