//! Every way an IVS call can fail, as our [`Error`], keeping the AWS error code and request id: one
//! mapping for every operation of both services (IVS Chat's `disconnect_user()`,
//! `create_chat_token()`; the stage calls of [`crate::stages`]). The two SDKs share their runtime
//! (`SdkError`, `HttpResponse` and the error metadata are the same types), so the operations differ
//! only in which modeled errors they declare and where the typed error keeps its text
//! ([`OperationError`]).
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
use aws_sdk_ivschat::operation::create_chat_token::CreateChatTokenError;
use aws_sdk_ivschat::operation::disconnect_user::DisconnectUserError;
use aws_sdk_ivschat::types::error::{
    ResourceNotFoundException, ThrottlingException, ValidationException,
};
use room_moderator_core::toolkit::{FailedAnswer, Symptoms, TransportFailure, transport_error};
use room_moderator_core::{Error, ErrorKind};
use tracing::debug;

use crate::codes;
use crate::endpoint::RefusedEndpoint;
use crate::success_body::UnexpectedSuccessBody;

/// The error type of one IVS operation, as the shared mapping reads it.
pub(crate) trait OperationError:
    ProvideErrorMetadata + RequestId + StdError + Send + Sync + 'static
{
    /// The provider name of the service the operation belongs to (`ivschat`, `ivs-stages`).
    const PROVIDER: &'static str;

    /// The operation's name, for logs.
    const OPERATION: &'static str;

    /// The modeled error's name as IVS sends it in `x-amzn-ErrorType`; `None` for the SDK's
    /// `Unhandled` (the code then comes from the metadata).
    fn modeled_code(&self) -> Option<&'static str>;

    /// What IVS said, with the structured members the typed error carries; empty when it said
    /// nothing the SDK could read (the raw body's `exceptionMessage` is tried next).
    fn describe(&self) -> String {
        self.message().unwrap_or_default().to_owned()
    }
}

/// A modeled IVS Chat error, as [`describe_chat`] reads it.
enum ChatModeled<'a> {
    ResourceNotFound(&'a ResourceNotFoundException),
    Throttling(&'a ThrottlingException),
    Validation(&'a ValidationException),
    Other,
}

/// What IVS Chat said: `message`, plus `reason` and `fieldList` of a validation error, the resource of
/// a missing one and the limit of a throttled one.
fn describe_chat(said: Option<&str>, modeled: ChatModeled<'_>) -> String {
    let said = said.unwrap_or_default().to_owned();
    match modeled {
        ChatModeled::Validation(e) => {
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
        ChatModeled::ResourceNotFound(e) if !said.contains(e.resource_id()) => {
            format!(
                "{said} ({} {:?})",
                e.resource_type().as_str(),
                e.resource_id()
            )
        }
        ChatModeled::Throttling(e) => {
            format!("{said} (limit {} per second)", e.limit())
        }
        _ => said,
    }
}

impl OperationError for DisconnectUserError {
    const PROVIDER: &'static str = crate::PROVIDER;
    const OPERATION: &'static str = "DisconnectUser";

    fn modeled_code(&self) -> Option<&'static str> {
        match self {
            DisconnectUserError::AccessDeniedException(_) => Some("AccessDeniedException"),
            DisconnectUserError::PendingVerification(_) => Some("PendingVerification"),
            DisconnectUserError::ResourceNotFoundException(_) => Some("ResourceNotFoundException"),
            DisconnectUserError::ThrottlingException(_) => Some("ThrottlingException"),
            DisconnectUserError::ValidationException(_) => Some("ValidationException"),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        let modeled = match self {
            DisconnectUserError::ResourceNotFoundException(e) => ChatModeled::ResourceNotFound(e),
            DisconnectUserError::ThrottlingException(e) => ChatModeled::Throttling(e),
            DisconnectUserError::ValidationException(e) => ChatModeled::Validation(e),
            _ => ChatModeled::Other,
        };
        describe_chat(self.message(), modeled)
    }
}

/// CreateChatToken declares no `ThrottlingException` in the service model, though its quota (200
/// TPS) is enforced: a 429 arrives as `Unhandled` with code `ThrottlingException` and maps by code
/// and status like any other.
impl OperationError for CreateChatTokenError {
    const PROVIDER: &'static str = crate::PROVIDER;
    const OPERATION: &'static str = "CreateChatToken";

    fn modeled_code(&self) -> Option<&'static str> {
        match self {
            CreateChatTokenError::AccessDeniedException(_) => Some("AccessDeniedException"),
            CreateChatTokenError::PendingVerification(_) => Some("PendingVerification"),
            CreateChatTokenError::ResourceNotFoundException(_) => Some("ResourceNotFoundException"),
            CreateChatTokenError::ValidationException(_) => Some("ValidationException"),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        let modeled = match self {
            CreateChatTokenError::ResourceNotFoundException(e) => ChatModeled::ResourceNotFound(e),
            CreateChatTokenError::ValidationException(e) => ChatModeled::Validation(e),
            _ => ChatModeled::Other,
        };
        describe_chat(self.message(), modeled)
    }
}

/// Our error for a failed IVS call.
pub(crate) fn from_sdk_error<E: OperationError>(err: SdkError<E, HttpResponse>) -> Error {
    let (error, raw) = match &err {
        SdkError::ServiceError(service) => (
            from_service_error(service.err(), service.raw()),
            Some(service.raw()),
        ),
        SdkError::TimeoutError(_) => (
            transport_error(E::PROVIDER, TransportFailure::Timeout, ""),
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
                    transport_error(E::PROVIDER, failure, short_cause(&err))
                };
            (error, None)
        }
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            let broken =
                !has_source::<UnexpectedSuccessBody>(&err) && has_source::<std::io::Error>(&err);
            let error = if broken {
                transport_error(E::PROVIDER, TransportFailure::Body, short_cause(&err))
            } else {
                // Not the service's answer (a proxy's page): DisconnectUser and CreateChatToken
                // are safe to repeat.
                Error::unreadable_answer(format!(
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
    debug!(
        operation = E::OPERATION,
        error = %DisplayErrorContext(&err),
        "IVS call failed (full SDK error)"
    );
    let mut error = error.with_provider(E::PROVIDER);
    if error.request_id().is_none()
        && let Some(id) = raw.and_then(header_request_id)
    {
        error = error.with_request_id(id);
    }
    error.with_source(err)
}

/// An answer with an error status: kind from the status and code (core's rule), message from the
/// typed error or, where the SDK could not read it, the body's `exceptionMessage`.
fn from_service_error<E: OperationError>(err: &E, raw: &HttpResponse) -> Error {
    let status = raw.status().as_u16();
    let code = err.code().or(err.modeled_code());
    let mut said = err.describe();
    if said.is_empty()
        && let Some(text) = raw.body().bytes().and_then(exception_message)
    {
        said = text;
    }
    let mut error = FailedAnswer {
        status,
        code,
        known: codes::known(code),
        said: &said,
    }
    .into_error(E::PROVIDER);
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

/// IVS real-time puts its text in `exceptionMessage`, which the SDK's generic error parser does not
/// read (it knows `message`, `Message` and `errorMessage`): an unmodelled error (throttling) has it
/// only in the body. At most [`MAX_CAUSE`] characters are kept.
pub(crate) fn exception_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = value.get("exceptionMessage")?.as_str()?.trim();
    (!text.is_empty()).then(|| one_line(text))
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
    room_moderator_core::parse_retry_after(value, std::time::SystemTime::now())
}

/// The innermost cause of an SDK error, on one line and at most [`MAX_CAUSE`] characters: the SDK's
/// full chain (with its `Debug` detail) goes to debug-level logs only, so that an error's `Display`
/// stays one readable line.
pub(crate) fn short_cause(err: &(dyn StdError + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    one_line(&cause.to_string())
}

/// `text` on one line and at most [`MAX_CAUSE`] characters.
fn one_line(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
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
