//! Failures before a complete answer arrived, described the same way whatever the HTTP stack.
//!
//! Each adapter says which of a few things happened (reqwest's `is_timeout` / `is_connect` /
//! `is_body`, the AWS SDK's `TimeoutError` / `DispatchFailure` / `ResponseError`), and the kind and
//! wording come from here.

use crate::{Error, ErrorKind};

/// What went wrong on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportFailure {
    /// No (complete) answer within the timeout: the call may or may not have taken effect.
    Timeout,
    /// No connection: DNS, refused, TLS.
    Connect,
    /// The connection broke while the answer was read.
    Body,
    /// Anything else on the way out.
    Request,
}

/// What an HTTP stack reports about a failed call, as flags (reqwest's `is_timeout`, `is_connect`,
/// `is_body`; the AWS SDK's timeout and dispatch failures), for [`TransportFailure::from_symptoms`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Symptoms {
    /// A timeout fired.
    pub timed_out: bool,
    /// The connection could not be made.
    pub connect: bool,
    /// The answer's body could not be read or decoded.
    pub body: bool,
}

impl TransportFailure {
    /// Reads the flags in a fixed order: a timeout wins (whatever phase it hit), then a failed connect,
    /// then a broken body.
    ///
    /// ```
    /// use room_moderator_core::toolkit::{Symptoms, TransportFailure};
    /// let failure = TransportFailure::from_symptoms(Symptoms { timed_out: true, connect: true, body: false });
    /// assert_eq!(failure, TransportFailure::Timeout);
    /// assert_eq!(TransportFailure::from_symptoms(Symptoms::default()), TransportFailure::Request);
    /// ```
    pub fn from_symptoms(symptoms: Symptoms) -> Self {
        if symptoms.timed_out {
            TransportFailure::Timeout
        } else if symptoms.connect {
            TransportFailure::Connect
        } else if symptoms.body {
            TransportFailure::Body
        } else {
            TransportFailure::Request
        }
    }

    /// The kind: [`ErrorKind::Timeout`] for a timeout, [`ErrorKind::Transport`] otherwise (both
    /// temporary).
    pub fn kind(self) -> ErrorKind {
        match self {
            TransportFailure::Timeout => ErrorKind::Timeout,
            _ => ErrorKind::Transport,
        }
    }

    fn what(self) -> &'static str {
        match self {
            TransportFailure::Timeout => {
                "no answer within the timeout; the call may or may not have taken effect"
            }
            TransportFailure::Connect => "could not connect",
            TransportFailure::Body => "the connection broke while reading the answer",
            TransportFailure::Request => "the request failed",
        }
    }
}

/// The error for `failure`, with `detail` (the stack's own one-line cause). The detail must hold no
/// secret: drop signed URLs before (reqwest: `Error::without_url`).
///
/// ```
/// use room_moderator_core::ErrorKind;
/// use room_moderator_core::toolkit::{TransportFailure, transport_error};
/// let error = transport_error("zego-zim", TransportFailure::Connect, "connection refused");
/// assert_eq!(error.kind(), ErrorKind::Transport);
/// assert!(error.is_temporary());
/// assert_eq!(error.message(), "could not connect: connection refused");
/// ```
pub fn transport_error(
    provider: &'static str,
    failure: TransportFailure,
    detail: impl std::fmt::Display,
) -> Error {
    let detail = detail.to_string();
    let message = if detail.trim().is_empty() {
        failure.what().to_owned()
    } else {
        format!("{}: {}", failure.what(), detail.replace(['\n', '\r'], " "))
    };
    Error::new(failure.kind(), message).with_provider(provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_is_temporary_and_timeouts_say_so() {
        for failure in [
            TransportFailure::Timeout,
            TransportFailure::Connect,
            TransportFailure::Body,
            TransportFailure::Request,
        ] {
            let error = transport_error("p", failure, "x\ny");
            assert!(error.is_temporary(), "{failure:?}");
            assert!(!error.message().contains('\n'));
            assert_eq!(
                error.kind() == ErrorKind::Timeout,
                failure == TransportFailure::Timeout
            );
        }
        assert_eq!(
            transport_error("p", TransportFailure::Body, "").message(),
            "the connection broke while reading the answer"
        );
    }
}
