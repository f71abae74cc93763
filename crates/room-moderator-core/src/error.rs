//! One error type for every provider: a kind to match on, a retry status, and what the provider said.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What went wrong, independent of the provider. In JSON (feature `serde`): `"permission_denied"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad key, bad signature or clock skew.
    Unauthenticated,
    /// Authenticated but not allowed (EnableX 5116, IVS `AccessDeniedException`).
    PermissionDenied,
    /// The room does not exist.
    NotFound,
    /// The user is not in the room (a per-user condition).
    NotInRoom,
    /// The request is malformed: caught locally before sending, or rejected by the provider.
    InvalidInput,
    /// The provider's rate limit was hit.
    Throttled,
    /// The account or app cannot use the API yet (IVS `PendingVerification`, ZEGO app without production).
    AccountNotReady,
    /// The provider is down or busy (5xx, "server busy").
    Unavailable,
    /// A call or the whole request ran out of time.
    Timeout,
    /// The connection failed (DNS, TLS, reset).
    Transport,
    /// The provider answered something we cannot parse.
    Protocol,
    /// The provider cannot do this (e.g. `disconnect_all` where it does not exist).
    Unsupported,
    /// Missing or invalid configuration (credentials, endpoint).
    Config,
    /// The caller gave up (dropped the request's future, pressed Ctrl-C) before the user's outcome
    /// was known.
    Cancelled,
}

impl ErrorKind {
    /// Whether errors of this kind are worth retrying by default.
    pub fn default_status(self) -> RetryStatus {
        match self {
            ErrorKind::Throttled
            | ErrorKind::Unavailable
            | ErrorKind::Timeout
            | ErrorKind::Transport => RetryStatus::Temporary,
            _ => RetryStatus::Permanent,
        }
    }

    /// Whether a permanent error of this kind concerns the whole request rather than one user: bad
    /// credentials, no permission, an account not ready, configuration, an unsupported call or a
    /// missing room. The engine stops sending the rest of a request on the first such failure.
    ///
    /// ```
    /// use room_moderator_core::ErrorKind;
    /// assert!(ErrorKind::Unauthenticated.concerns_whole_request());
    /// assert!(ErrorKind::NotFound.concerns_whole_request());
    /// assert!(!ErrorKind::NotInRoom.concerns_whole_request());
    /// assert!(!ErrorKind::Throttled.concerns_whole_request());
    /// ```
    pub fn concerns_whole_request(self) -> bool {
        matches!(
            self,
            ErrorKind::Unauthenticated
                | ErrorKind::PermissionDenied
                | ErrorKind::AccountNotReady
                | ErrorKind::Config
                | ErrorKind::Unsupported
                | ErrorKind::NotFound
        )
    }

    fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::NotFound => "room not found",
            ErrorKind::NotInRoom => "user not in room",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Throttled => "throttled",
            ErrorKind::AccountNotReady => "account not ready",
            ErrorKind::Unavailable => "provider unavailable",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Transport => "transport error",
            ErrorKind::Protocol => "unexpected answer",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Config => "configuration error",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether retrying could help. In JSON (feature `serde`): `"temporary"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum RetryStatus {
    /// Retrying later may succeed.
    Temporary,
    /// Retrying will not help.
    Permanent,
    /// Was temporary, but survived every retry the engine was allowed.
    Persistent,
}

/// An error from validation, configuration or a provider.
///
/// ```
/// use room_moderator_core::{Error, ErrorKind};
/// let err = Error::new(ErrorKind::PermissionDenied, "only a moderator may drop users")
///     .with_provider("enablex")
///     .with_code("5116");
/// assert_eq!(err.kind(), ErrorKind::PermissionDenied);
/// assert_eq!(err.code(), Some("5116"));
/// assert!(!err.is_temporary());
/// assert_eq!(err.to_string(), "enablex: permission denied: only a moderator may drop users (code 5116)");
/// ```
#[derive(Clone, Debug)]
pub struct Error(Box<Inner>);

/// Boxed so that `Result<_, Error>` stays one pointer wide on the happy path.
#[derive(Clone, Debug)]
struct Inner {
    kind: ErrorKind,
    status: RetryStatus,
    retry_after: Option<Duration>,
    provider: Option<&'static str>,
    code: Option<String>,
    request_id: Option<String>,
    message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// A new error whose retry status follows from its kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            status: kind.default_status(),
            retry_after: None,
            provider: None,
            code: None,
            request_id: None,
            message: message.into(),
            source: None,
        }))
    }

    /// Shorthand for an [`ErrorKind::InvalidInput`] error.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for an [`ErrorKind::Config`] error.
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    /// Shorthand for an [`ErrorKind::Protocol`] error.
    pub fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, message)
    }

    /// An answer that is not the provider's (an HTTP 200 whose body is a captive proxy's sign-in page,
    /// `{"ok": true}` from something in the way): an [`ErrorKind::Protocol`] error with an unknown
    /// effect, **temporary**, so the engine sends the call again like after a 5xx. An adapter whose
    /// call is not safe to repeat marks it [`RetryStatus::Permanent`] instead
    /// (`Error::unreadable_answer(..).with_status(RetryStatus::Permanent)`). A streak of them stops the
    /// job (see [`Engine`](crate::Engine)).
    ///
    /// ```
    /// use room_moderator_core::{Error, ErrorKind};
    /// let error = Error::unreadable_answer("HTTP 200 but the body is not the provider's answer");
    /// assert_eq!(error.kind(), ErrorKind::Protocol);
    /// assert!(error.is_temporary());
    /// ```
    pub fn unreadable_answer(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, message).with_status(RetryStatus::Temporary)
    }

    /// Names the provider that produced the error.
    pub fn with_provider(mut self, provider: &'static str) -> Self {
        self.0.provider = Some(provider);
        self
    }

    /// Names `provider` unless a provider is named already: the engine stamps every error it
    /// returns this way, once ([`Engine`](crate::Engine)).
    pub(crate) fn name_provider(&mut self, provider: &'static str) {
        self.0.provider.get_or_insert(provider);
    }

    /// Records the provider's own code, as sent (`"5116"`, `"660300002"`, `"ThrottlingException"`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.0.code = Some(code.into());
        self
    }

    /// Records the provider's request id, for support tickets.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.0.request_id = Some(request_id.into());
        self
    }

    /// Records how long the provider asked us to wait before retrying.
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.0.retry_after = Some(retry_after);
        self
    }

    /// Overrides the retry status derived from the kind.
    pub fn with_status(mut self, status: RetryStatus) -> Self {
        self.0.status = status;
        self
    }

    /// Attaches the underlying cause. It must not carry secrets.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Arc::new(source));
        self
    }

    /// The same error with `note` after its message (what the engine tried before giving up).
    pub(crate) fn noting(mut self, note: &str) -> Error {
        self.0.message = format!("{}; {note}", self.0.message);
        self
    }

    /// The error for a user whose call was never sent because of this error elsewhere in the
    /// request: same kind, provider, code and request id; the message says it was not sent.
    pub(crate) fn not_sent(&self, why: &str) -> Error {
        let mut error = Error::new(self.0.kind, format!("{why}: {}", self.0.message))
            .with_status(RetryStatus::Permanent);
        error.0.provider = self.0.provider;
        error.0.code = self.0.code.clone();
        error.0.request_id = self.0.request_id.clone();
        error
    }

    /// The outcome of a user (or the answer of a call) not sent again because the caller stopped
    /// the operation ([`StopSignal`](crate::StopSignal)) after this failure: `Cancelled`, saying
    /// so and what the last call got, with its code and request id.
    pub(crate) fn stopped_after(&self) -> Error {
        let mut error = self.not_sent("not sent again: stopped; the last call failed");
        error.0.kind = ErrorKind::Cancelled;
        error
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Whether retrying could help.
    pub fn status(&self) -> RetryStatus {
        self.0.status
    }

    /// `true` when the status is [`RetryStatus::Temporary`].
    pub fn is_temporary(&self) -> bool {
        self.0.status == RetryStatus::Temporary
    }

    /// How long the provider asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The provider that produced the error. Every error a [`Moderator`](crate::Moderator) built by
    /// the [`Engine`](crate::Engine) returns (or puts in a report) names it; an error made before
    /// an engine exists (an adapter's builder, a ban store) may not.
    pub fn provider(&self) -> Option<&'static str> {
        self.0.provider
    }

    /// The provider's own code, as sent.
    pub fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The provider's request id.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(provider) = self.0.provider {
            write!(f, "{provider}: ")?;
        }
        write!(f, "{}: {}", self.0.kind, self.0.message)?;
        match (&self.0.code, &self.0.request_id) {
            (Some(code), Some(id)) => write!(f, " (code {code}, request {id})")?,
            (Some(code), None) => write!(f, " (code {code})")?,
            (None, Some(id)) => write!(f, " (request {id})")?,
            (None, None) => {}
        }
        if self.0.status == RetryStatus::Persistent {
            f.write_str(" [still failing after retries]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_outages_are_temporary_by_default() {
        for kind in [
            ErrorKind::Throttled,
            ErrorKind::Unavailable,
            ErrorKind::Timeout,
            ErrorKind::Transport,
        ] {
            assert!(Error::new(kind, "x").is_temporary(), "{kind:?}");
        }
        for kind in [
            ErrorKind::Unauthenticated,
            ErrorKind::PermissionDenied,
            ErrorKind::NotFound,
            ErrorKind::NotInRoom,
            ErrorKind::InvalidInput,
            ErrorKind::AccountNotReady,
            ErrorKind::Protocol,
            ErrorKind::Unsupported,
            ErrorKind::Config,
            ErrorKind::Cancelled,
        ] {
            assert!(!Error::new(kind, "x").is_temporary(), "{kind:?}");
        }
    }

    #[test]
    fn display_names_provider_code_request_and_persistence() {
        let err = Error::new(ErrorKind::Throttled, "slow down")
            .with_provider("zego-zim")
            .with_code("660300005")
            .with_request_id("42")
            .with_status(RetryStatus::Persistent);
        assert_eq!(
            err.to_string(),
            "zego-zim: throttled: slow down (code 660300005, request 42) [still failing after retries]"
        );
    }

    #[test]
    fn source_is_exposed() {
        let io = std::io::Error::other("reset");
        let err = Error::new(ErrorKind::Transport, "send failed").with_source(io);
        let source = std::error::Error::source(&err).map(|s| s.to_string());
        assert_eq!(source.as_deref(), Some("reset"));
    }
}
