//! Every way `client.disconnect_user().send()` can fail, as our [`Error`], keeping the AWS error code
//! and request id.
//!
//! | `SdkError` | kind |
//! |---|---|
//! | `ServiceError` | the status, refined by the code ([`crate::codes`]) |
//! | `TimeoutError` | `Timeout` |
//! | `DispatchFailure` | `Config` for credentials or a refused endpoint; else core's transport mapping (`Timeout` if it timed out, else `Transport`) |
//! | `ResponseError` | `Transport` if the connection broke while reading (core's mapping); else `Protocol` |
//! | `ConstructionFailure` | `InvalidInput` for a bad input; else `Config` |

use std::error::Error as StdError;
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ivschat::config::http::HttpResponse;
use aws_sdk_ivschat::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_ivschat::operation::RequestId;
use aws_sdk_ivschat::operation::disconnect_user::DisconnectUserError;
use moderator_core::toolkit::{FailedAnswer, Symptoms, TransportFailure, transport_error};
use moderator_core::{Error, ErrorKind};
use tracing::debug;

use crate::PROVIDER;
use crate::codes;
use crate::endpoint::RefusedEndpoint;
use crate::success_body::UnexpectedSuccessBody;

/// Our error for a failed DisconnectUser call.
pub(crate) fn from_sdk_error(err: SdkError<DisconnectUserError, HttpResponse>) -> Error {
    let (error, raw) = match &err {
        SdkError::ServiceError(service) => (
            from_service_error(service.err(), service.raw()),
            Some(service.raw()),
        ),
        SdkError::TimeoutError(_) => (
            transport_error(PROVIDER, TransportFailure::Timeout, ""),
            None,
        ),
        SdkError::DispatchFailure(failure) => {
            let error =
                if has_source::<RefusedEndpoint>(&err) || has_source::<CredentialsError>(&err) {
                    Error::config(format!("the call could not be made: {}", short_cause(&err)))
                } else {
                    // A dispatch failure never got an answer: the request did not get through.
                    let failure = TransportFailure::from_symptoms(Symptoms {
                        timed_out: failure.is_timeout(),
                        connect: true,
                        body: false,
                    });
                    transport_error(PROVIDER, failure, short_cause(&err))
                };
            (error, None)
        }
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            let broken =
                !has_source::<UnexpectedSuccessBody>(&err) && has_source::<std::io::Error>(&err);
            let error = if broken {
                transport_error(PROVIDER, TransportFailure::Body, short_cause(&err))
            } else {
                Error::protocol(format!(
                    "unusable answer (HTTP {status}): {}",
                    short_cause(&err)
                ))
            };
            (error, Some(response.raw()))
        }
        SdkError::ConstructionFailure(_) => {
            let kind = if has_source::<BuildError>(&err) {
                ErrorKind::InvalidInput
            } else {
                ErrorKind::Config
            };
            (
                Error::new(
                    kind,
                    format!("the request could not be built: {}", short_cause(&err)),
                ),
                None,
            )
        }
        _ => (
            Error::protocol(format!("unexpected SDK error: {}", short_cause(&err))),
            None,
        ),
    };
    debug!(error = %DisplayErrorContext(&err), "DisconnectUser failed (full SDK error)");
    let mut error = error.with_provider(PROVIDER);
    if error.request_id().is_none()
        && let Some(id) = raw.and_then(header_request_id)
    {
        error = error.with_request_id(id);
    }
    error.with_source(err)
}

/// An answer with an error status: kind from the status and code (core's rule), message from the
/// typed error.
fn from_service_error(err: &DisconnectUserError, raw: &HttpResponse) -> Error {
    let status = raw.status().as_u16();
    let code = error_code(err);
    let said = describe(err);
    let mut error = FailedAnswer {
        status,
        code,
        known: codes::known(code),
        said: &said,
    }
    .into_error(PROVIDER);
    if let Some(id) = err
        .request_id()
        .map(str::to_owned)
        .or_else(|| header_request_id(raw))
    {
        error = error.with_request_id(id);
    }
    if let Some(wait) = retry_after(raw) {
        error = error.with_retry_after(wait);
    }
    error
}

/// The code as sent, or the modeled error's name when the metadata lacks it (an error built in code,
/// as test doubles do).
fn error_code(err: &DisconnectUserError) -> Option<&str> {
    err.code().or(match err {
        DisconnectUserError::AccessDeniedException(_) => Some("AccessDeniedException"),
        DisconnectUserError::PendingVerification(_) => Some("PendingVerification"),
        DisconnectUserError::ResourceNotFoundException(_) => Some("ResourceNotFoundException"),
        DisconnectUserError::ThrottlingException(_) => Some("ThrottlingException"),
        DisconnectUserError::ValidationException(_) => Some("ValidationException"),
        _ => None,
    })
}

/// What IVS said, with the structured members the typed errors carry (empty when it said nothing:
/// the row's or the status's meaning is in the message anyway).
fn describe(err: &DisconnectUserError) -> String {
    let said = err.message().unwrap_or_default().to_owned();
    match err {
        DisconnectUserError::ValidationException(e) => {
            let fields = e
                .field_list()
                .iter()
                .map(|f| format!("{}: {}", f.name(), f.message()))
                .collect::<Vec<_>>();
            if fields.is_empty() {
                format!("{said} (reason {})", e.reason().as_str())
            } else {
                format!(
                    "{said} (reason {}; fields: {})",
                    e.reason().as_str(),
                    fields.join("; ")
                )
            }
        }
        DisconnectUserError::ResourceNotFoundException(e) if !said.contains(e.resource_id()) => {
            format!(
                "{said} ({} {:?})",
                e.resource_type().as_str(),
                e.resource_id()
            )
        }
        DisconnectUserError::ThrottlingException(e) => {
            format!("{said} (limit {} per second)", e.limit())
        }
        _ => said,
    }
}

/// `x-amzn-RequestId` (or the older `x-amz-request-id`) from an answer the SDK did not parse.
fn header_request_id(raw: &HttpResponse) -> Option<String> {
    let headers = raw.headers();
    headers
        .get("x-amzn-requestid")
        .or_else(|| headers.get("x-amz-request-id"))
        .map(str::to_owned)
}

/// IVS does not document `Retry-After`, but a proxy in front may send one; honour it if it does.
fn retry_after(raw: &HttpResponse) -> Option<Duration> {
    let value = raw.headers().get("retry-after")?;
    moderator_core::parse_retry_after(value, std::time::SystemTime::now())
}

/// The innermost cause of an SDK error, on one line and at most [`MAX_CAUSE`] characters: the SDK's
/// full chain (with its `Debug` detail) goes to debug-level logs only, so that an error's `Display`
/// stays one readable line.
pub(crate) fn short_cause(err: &(dyn StdError + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string().replace(['\n', '\r'], " ");
    match text.char_indices().nth(MAX_CAUSE) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// Longest cause kept in an error message.
const MAX_CAUSE: usize = 200;

/// Whether an error of type `T` is anywhere in `err`'s source chain.
fn has_source<T: StdError + 'static>(err: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<T>() {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests;
