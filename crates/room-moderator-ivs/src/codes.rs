//! Amazon IVS's error codes and HTTP statuses as our error kinds: the one table of this crate, for
//! IVS Chat and IVS real-time stages alike (both services name their errors the same way).
//!
//! Sources (`docs/providers/ivschat.md`, `docs/providers/ivs-stages.md`): the IVS Chat service model
//! for the five errors DisconnectUser declares (CreateChatToken declares the same less
//! `ThrottlingException`) and `InternalServerException`; the IVS real-time service model for
//! `ServiceQuotaExceededException` (CreateParticipantToken) and `ConflictException` (it models no
//! throttling error at all: a throttled stage call arrives as an unmodelled `ThrottlingException`,
//! which this table reads by its code like any other); the AWS "common errors" page for the codes
//! any AWS front end sends before the request reaches IVS (authentication, signature, throttling).

use room_moderator_core::ErrorKind;
use room_moderator_core::toolkit::CodeMeaning;

/// One error code IVS Chat (or the AWS front end before it) may send, and what it means to us.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CodeRow {
    /// The code as sent in `x-amzn-ErrorType` (after the SDK strips `:<url>` and `<namespace>#`).
    pub code: &'static str,
    /// Our kind.
    pub kind: ErrorKind,
    /// What it means, for messages.
    pub meaning: &'static str,
}

const fn row(code: &'static str, kind: ErrorKind, meaning: &'static str) -> CodeRow {
    CodeRow {
        code,
        kind,
        meaning,
    }
}

/// Every code we recognise. A code that is not here falls back to the HTTP status.
pub(crate) const CODES: &[CodeRow] = &[
    // Declared by DisconnectUser in the service model (all `senderFault`).
    row(
        "AccessDeniedException",
        ErrorKind::PermissionDenied,
        "the caller's IAM policy does not allow this IVS action on this room or stage",
    ),
    row(
        "PendingVerification",
        ErrorKind::AccountNotReady,
        "the AWS account is not yet verified for IVS",
    ),
    row(
        "ResourceNotFoundException",
        ErrorKind::NotFound,
        "no such room, stage or participant",
    ),
    row(
        "ThrottlingException",
        ErrorKind::Throttled,
        "over the operation's quota per account and region (IVS Chat DisconnectUser 100, CreateChatToken 200; every stage operation 5 requests per second)",
    ),
    row(
        "ValidationException",
        ErrorKind::InvalidInput,
        "IVS rejected a field of the request",
    ),
    // Exists in the services though DisconnectUser and the stage calls do not declare it.
    row(
        "InternalServerException",
        ErrorKind::Unavailable,
        "IVS failed internally",
    ),
    // IVS real-time: CreateParticipantToken's HTTP 402, a resource quota (not a rate) of the
    // account; retrying does not help until the owner raises it.
    row(
        "ServiceQuotaExceededException",
        ErrorKind::PermissionDenied,
        "a resource quota of the AWS account is used up",
    ),
    // IVS real-time: HTTP 409, in the model but declared by none of the operations used here.
    row(
        "ConflictException",
        ErrorKind::InvalidInput,
        "the stage is in a state that does not allow this operation",
    ),
    // Sent by the AWS front end for any service (AWS "common errors").
    row(
        "UnrecognizedClientException",
        ErrorKind::Unauthenticated,
        "unknown access key or security token",
    ),
    row(
        "InvalidSignatureException",
        ErrorKind::Unauthenticated,
        "the signature does not match (wrong secret key) or the request time is too far from AWS's clock",
    ),
    row(
        "IncompleteSignatureException",
        ErrorKind::Unauthenticated,
        "the request signature is incomplete",
    ),
    row(
        "MissingAuthenticationTokenException",
        ErrorKind::Unauthenticated,
        "the request is not signed",
    ),
    row(
        "ExpiredTokenException",
        ErrorKind::Unauthenticated,
        "the session token has expired",
    ),
    row(
        "InvalidClientTokenId",
        ErrorKind::Unauthenticated,
        "unknown access key",
    ),
    row(
        "SignatureDoesNotMatch",
        ErrorKind::Unauthenticated,
        "the signature does not match",
    ),
    row(
        "RequestExpired",
        ErrorKind::Unauthenticated,
        "the request time is too far from AWS's clock",
    ),
    row(
        "TooManyRequestsException",
        ErrorKind::Throttled,
        "too many requests",
    ),
    row(
        "ServiceUnavailableException",
        ErrorKind::Unavailable,
        "the service is unavailable",
    ),
];

/// The row for `code`, if we know it.
pub(crate) fn lookup(code: &str) -> Option<&'static CodeRow> {
    CODES.iter().find(|row| row.code == code)
}

/// The row for `code` as core's classification reads it ("429 wins, then the code refines the
/// status"; the status table is core's).
pub(crate) fn known(code: Option<&str>) -> Option<CodeMeaning> {
    code.and_then(lookup)
        .map(|row| CodeMeaning::new(row.kind, row.meaning))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One assertion per row, so that a changed row is a deliberate change here too.
    #[test]
    fn every_row_maps_to_its_kind() {
        let expected = [
            ("AccessDeniedException", ErrorKind::PermissionDenied),
            ("PendingVerification", ErrorKind::AccountNotReady),
            ("ResourceNotFoundException", ErrorKind::NotFound),
            ("ThrottlingException", ErrorKind::Throttled),
            ("ValidationException", ErrorKind::InvalidInput),
            ("InternalServerException", ErrorKind::Unavailable),
            ("ServiceQuotaExceededException", ErrorKind::PermissionDenied),
            ("ConflictException", ErrorKind::InvalidInput),
            ("UnrecognizedClientException", ErrorKind::Unauthenticated),
            ("InvalidSignatureException", ErrorKind::Unauthenticated),
            ("IncompleteSignatureException", ErrorKind::Unauthenticated),
            (
                "MissingAuthenticationTokenException",
                ErrorKind::Unauthenticated,
            ),
            ("ExpiredTokenException", ErrorKind::Unauthenticated),
            ("InvalidClientTokenId", ErrorKind::Unauthenticated),
            ("SignatureDoesNotMatch", ErrorKind::Unauthenticated),
            ("RequestExpired", ErrorKind::Unauthenticated),
            ("TooManyRequestsException", ErrorKind::Throttled),
            ("ServiceUnavailableException", ErrorKind::Unavailable),
        ];
        assert_eq!(expected.len(), CODES.len(), "a row without a test");
        for (code, kind) in expected {
            let row = lookup(code).unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(row.kind, kind, "{code}");
            assert!(!row.meaning.is_empty());
        }
    }

    #[test]
    fn codes_are_unique() {
        for (i, row) in CODES.iter().enumerate() {
            assert!(
                CODES[i + 1..].iter().all(|other| other.code != row.code),
                "{} twice",
                row.code
            );
        }
    }

    fn classify(status: u16, code: Option<&str>) -> ErrorKind {
        room_moderator_core::toolkit::classify(status, known(code)).kind
    }

    #[test]
    fn status_decides_when_the_code_is_unknown_or_absent() {
        assert_eq!(classify(503, None), ErrorKind::Unavailable);
        assert_eq!(classify(500, Some("SomethingNew")), ErrorKind::Unavailable);
        assert_eq!(classify(403, None), ErrorKind::PermissionDenied);
        assert_eq!(classify(401, None), ErrorKind::Unauthenticated);
        // A 404 without a code is a wrong endpoint, not a missing room (that has its code).
        assert_eq!(classify(404, None), ErrorKind::Config);
        assert_eq!(
            classify(404, Some("ResourceNotFoundException")),
            ErrorKind::NotFound
        );
        assert_eq!(classify(408, None), ErrorKind::Timeout);
        assert_eq!(classify(400, None), ErrorKind::InvalidInput);
        assert_eq!(classify(418, None), ErrorKind::InvalidInput);
        assert_eq!(classify(302, None), ErrorKind::Config);
        assert_eq!(classify(200, None), ErrorKind::Protocol);
    }

    #[test]
    fn the_code_refines_the_status() {
        assert_eq!(
            classify(403, Some("PendingVerification")),
            ErrorKind::AccountNotReady
        );
        assert_eq!(
            classify(403, Some("UnrecognizedClientException")),
            ErrorKind::Unauthenticated
        );
        assert_eq!(
            classify(400, Some("ThrottlingException")),
            ErrorKind::Throttled
        );
    }

    #[test]
    fn a_429_is_throttling_whatever_the_code() {
        assert_eq!(
            classify(429, Some("ValidationException")),
            ErrorKind::Throttled
        );
        assert_eq!(classify(429, None), ErrorKind::Throttled);
    }
}
