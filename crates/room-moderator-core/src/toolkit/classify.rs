//! "429 wins, then the provider's body code refines the status": one rule for every adapter.
//!
//! Code tables stay data in each adapter (they differ in shape: ZEGO's integers per product, AWS
//! error names, EnableX's two REST envelopes). An adapter looks its code up and hands the row's
//! [`CodeMeaning`] here; this module decides what wins and writes the error.
//!
//! The rule: a 429 is throttling whatever the body says (so it is never made permanent); otherwise a
//! code the adapter knows is the provider's own, more precise word and decides; otherwise the status
//! decides ([`status_meaning`]). A body never turns an error status into a success.

use crate::toolkit::status::status_meaning;
use crate::{Error, ErrorKind};

/// What one provider code means, as an adapter's table says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeMeaning {
    /// The kind.
    pub kind: ErrorKind,
    /// A short sentence for messages.
    pub meaning: &'static str,
}

impl CodeMeaning {
    /// A row's meaning, for `const` tables.
    pub const fn new(kind: ErrorKind, meaning: &'static str) -> Self {
        CodeMeaning { kind, meaning }
    }
}

/// The outcome of [`classify()`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classified {
    /// The kind.
    pub kind: ErrorKind,
    /// What the deciding row says.
    pub meaning: &'static str,
    /// Whether the provider's code decided (rather than the status). Adapters whose rows say more
    /// than a kind (ZEGO: whether a user or the call is to blame) use the row only when it decided.
    pub by_code: bool,
}

/// Decides the kind of a failed answer with HTTP `status` whose body carried a code the adapter's
/// table knows as `code` (or no known code).
///
/// ```
/// use room_moderator_core::ErrorKind;
/// use room_moderator_core::toolkit::{CodeMeaning, classify};
/// let room_missing = CodeMeaning::new(ErrorKind::NotFound, "no such room");
/// assert_eq!(classify(404, Some(room_missing)).kind, ErrorKind::NotFound);
/// assert_eq!(classify(404, None).kind, ErrorKind::Config); // a wrong base URL
/// assert_eq!(classify(429, Some(room_missing)).kind, ErrorKind::Throttled);
/// ```
pub fn classify(status: u16, code: Option<CodeMeaning>) -> Classified {
    let by_status = status_meaning(status);
    match code {
        Some(row) if status != 429 => Classified {
            kind: row.kind,
            meaning: row.meaning,
            by_code: true,
        },
        _ => Classified {
            kind: by_status.kind,
            meaning: by_status.meaning,
            by_code: false,
        },
    }
}

/// A failed answer as the adapter read it, turned into an [`Error`] the same way for every provider.
///
/// ```
/// use room_moderator_core::ErrorKind;
/// use room_moderator_core::toolkit::{CodeMeaning, FailedAnswer};
/// const UNAUTHORIZED: CodeMeaning = CodeMeaning::new(ErrorKind::Unauthenticated, "bad APP_ID or APP_KEY");
/// let error = FailedAnswer {
///     status: 401,
///     code: Some("UNAUTHORIZED"),
///     known: Some(UNAUTHORIZED),
///     said: "Invalid credentials",
/// }
/// .into_error("enablex");
/// assert_eq!(error.kind(), ErrorKind::Unauthenticated);
/// assert_eq!(error.code(), Some("UNAUTHORIZED"));
/// assert_eq!(error.message(), "HTTP 401: bad APP_ID or APP_KEY: Invalid credentials");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct FailedAnswer<'a> {
    /// The HTTP status (200 when the provider signals failures in a 200 body).
    pub status: u16,
    /// The provider's code as sent, if the body had one (kept on the error even when unknown).
    pub code: Option<&'a str>,
    /// The adapter table's row for `code`, if it knows it.
    pub known: Option<CodeMeaning>,
    /// What the provider said in words (empty if nothing), for the message.
    pub said: &'a str,
}

impl FailedAnswer<'_> {
    /// The kind this answer means (see [`classify()`]).
    pub fn classify(&self) -> Classified {
        classify(self.status, self.known)
    }

    /// The error: kind by [`classify()`], message `HTTP <status>: <meaning>: <said>` (no status for
    /// a 2xx, whose number says nothing; `said` on one line, at most 200 characters), the code as sent, and the provider. Request id and
    /// `Retry-After` are the adapter's to add.
    pub fn into_error(self, provider: &'static str) -> Error {
        let decided = self.classify();
        let mut message = String::new();
        if !(200..300).contains(&self.status) {
            message.push_str(&format!("HTTP {}: ", self.status));
        }
        message.push_str(decided.meaning);
        let said = self.said.trim();
        if !said.is_empty() && !said.eq_ignore_ascii_case(decided.meaning) {
            message.push_str(": ");
            message.push_str(&shorten(said));
        }
        let mut error = Error::new(decided.kind, message).with_provider(provider);
        if let Some(code) = self.code.filter(|code| !code.is_empty()) {
            error = error.with_code(code);
        }
        error
    }
}

/// At most 200 characters of what a provider said: messages stay one readable line.
fn shorten(said: &str) -> String {
    const MAX: usize = 200;
    let flat: String = said
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match flat.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorKind::*;

    const MISSING: CodeMeaning = CodeMeaning::new(NotFound, "no such room");
    const BAD_PARAM: CodeMeaning = CodeMeaning::new(InvalidInput, "bad parameter");

    #[test]
    fn a_429_wins_over_any_code() {
        for code in [None, Some(MISSING), Some(BAD_PARAM)] {
            let decided = classify(429, code);
            assert_eq!(decided.kind, Throttled, "{code:?}");
            assert!(!decided.by_code);
        }
    }

    #[test]
    fn a_known_code_refines_any_other_status() {
        for status in [200, 400, 403, 404, 500, 503] {
            let decided = classify(status, Some(MISSING));
            assert_eq!(decided.kind, NotFound, "{status}");
            assert!(decided.by_code);
        }
    }

    #[test]
    fn without_a_known_code_the_status_decides() {
        assert_eq!(classify(404, None).kind, Config);
        assert_eq!(classify(302, None).kind, Config);
        assert_eq!(classify(503, None).kind, Unavailable);
        assert_eq!(classify(200, None).kind, Protocol);
    }

    #[test]
    fn errors_keep_code_provider_and_a_short_quote() {
        let error = FailedAnswer {
            status: 200,
            code: Some("424242"),
            known: None,
            said: &"x\n".repeat(500),
        }
        .into_error("zego-zim");
        assert_eq!(error.kind(), Protocol);
        assert!(!error.is_temporary());
        assert_eq!(error.code(), Some("424242"));
        assert_eq!(error.provider(), Some("zego-zim"));
        assert!(!error.message().contains('\n'));
        assert!(error.message().len() < 300, "{}", error.message());
        assert!(!error.message().starts_with("HTTP"), "{error}");

        let error = FailedAnswer {
            status: 404,
            ..FailedAnswer::default()
        }
        .into_error("ivschat");
        assert_eq!(error.kind(), Config);
        assert_eq!(error.code(), None);
        assert!(error.message().starts_with("HTTP 404: "), "{error}");
        assert!(error.message().contains("base URL"), "{error}");
    }
}
