//! The stage operations' errors for the crate's one SDK error mapping ([`crate::sdk_error`]).
//!
//! IVS real-time models no throttling error: a throttled call arrives as the SDK's `Unhandled`, its
//! code (`ThrottlingException`, UNVERIFIED: the form the sibling IVS model uses) read from
//! `x-amzn-ErrorType` and its text from the body's `exceptionMessage`, which the shared mapping reads
//! when the SDK could not (`docs/providers/ivs-stages.md`, Errors).

use aws_sdk_ivsrealtime::error::ProvideErrorMetadata;
use aws_sdk_ivsrealtime::operation::create_participant_token::CreateParticipantTokenError;
use aws_sdk_ivsrealtime::operation::disconnect_participant::DisconnectParticipantError;
use aws_sdk_ivsrealtime::operation::get_stage::GetStageError;
use aws_sdk_ivsrealtime::operation::list_participants::ListParticipantsError;

use crate::sdk_error::OperationError;

/// Implements [`OperationError`] for one stage operation: each modeled error keeps its text in
/// `exceptionMessage` (the generic `message` is empty for them).
macro_rules! stage_operation {
    ($error:ident, $operation:literal, [$($variant:ident => $code:literal),* $(,)?]) => {
        impl OperationError for $error {
            const PROVIDER: &'static str = super::PROVIDER;
            const OPERATION: &'static str = $operation;

            fn modeled_code(&self) -> Option<&'static str> {
                match self {
                    $($error::$variant(_) => Some($code),)*
                    _ => None,
                }
            }

            fn describe(&self) -> String {
                let said = match self {
                    $($error::$variant(e) => e.exception_message(),)*
                    _ => None,
                };
                said.or(self.message()).unwrap_or_default().to_owned()
            }
        }
    };
}

stage_operation!(GetStageError, "GetStage", [
    AccessDeniedException => "AccessDeniedException",
    ResourceNotFoundException => "ResourceNotFoundException",
    ValidationException => "ValidationException",
]);

stage_operation!(ListParticipantsError, "ListParticipants", [
    AccessDeniedException => "AccessDeniedException",
    ValidationException => "ValidationException",
]);

stage_operation!(DisconnectParticipantError, "DisconnectParticipant", [
    AccessDeniedException => "AccessDeniedException",
    PendingVerification => "PendingVerification",
    ResourceNotFoundException => "ResourceNotFoundException",
    ValidationException => "ValidationException",
]);

stage_operation!(CreateParticipantTokenError, "CreateParticipantToken", [
    AccessDeniedException => "AccessDeniedException",
    PendingVerification => "PendingVerification",
    ResourceNotFoundException => "ResourceNotFoundException",
    ServiceQuotaExceededException => "ServiceQuotaExceededException",
    ValidationException => "ValidationException",
]);
