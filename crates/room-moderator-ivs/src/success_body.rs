//! A 200 must look like an IVS Chat answer before we call the user disconnected.
//!
//! DisconnectUser answers 200 with an empty body (the JavaScript SDK page shows `{}`, which the Rust SDK
//! also accepts). The SDK ignores a success body entirely, so a proxy or captive portal answering
//! `200 <html>` would be reported as a disconnection. This interceptor turns any other body into a
//! response error, which the adapter reports as [`ErrorKind::Protocol`](room_moderator_core::ErrorKind).

use std::fmt;

use aws_sdk_ivschat::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_ivschat::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ivschat::error::BoxError;

/// A success answer whose body is neither empty nor a JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UnexpectedSuccessBody {
    /// The first bytes of the body, lossily decoded, for the message.
    pub start: String,
}

impl fmt::Display for UnexpectedSuccessBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a success status with a body that is not an IVS Chat answer: {:?}",
            self.start
        )
    }
}

impl std::error::Error for UnexpectedSuccessBody {}

/// Accepts an empty (or blank) body and a JSON object; refuses anything else.
pub(crate) fn check(body: &[u8]) -> Result<(), UnexpectedSuccessBody> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(UnexpectedSuccessBody {
            start: String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned(),
        }),
    }
}

/// Applies [`check`] to every successfully deserialized answer (CreateChatToken's JSON object passes;
/// its members are checked by the adapter).
#[derive(Debug)]
pub(crate) struct SuccessBodyCheck;

impl Intercept for SuccessBodyCheck {
    fn name(&self) -> &'static str {
        "room_moderator_ivs::SuccessBodyCheck"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if context.output_or_error().is_err() {
            return Ok(());
        }
        match context.response().body().bytes() {
            Some(body) => check(body).map_err(Into::into),
            // A streaming body is not what DisconnectUser answers; nothing to look at here.
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_objects_pass_everything_else_fails() {
        for ok in [&b""[..], b"  \n", b"{}", b"{\"ok\":true}"] {
            assert_eq!(check(ok), Ok(()), "{ok:?}");
        }
        for bad in [&b"<html>hi</html>"[..], b"[]", b"{", b"null", b"\"x\""] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
        let long = vec![b'x'; 500];
        assert_eq!(check(&long).map_err(|e| e.start.len()), Err(80));
    }
}
