//! Tokens issued through the adapter, refused to banned users.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

/// A join token the provider issued. Its value is a secret: `Debug` never shows it.
#[derive(Clone)]
#[non_exhaustive]
pub struct Token {
    value: String,
    /// When the token must have been used by (IVS: one minute; EnableX: 15 minutes).
    pub expires_at: Option<SystemTime>,
    /// When the session it opens ends, where the provider says (IVS `sessionExpirationTime`).
    pub session_expires_at: Option<SystemTime>,
}

impl Token {
    /// Wraps a token the provider returned.
    pub fn new(value: impl Into<String>) -> Self {
        Token {
            value: value.into(),
            expires_at: None,
            session_expires_at: None,
        }
    }

    /// Records the token's expiry.
    pub fn with_expires_at(mut self, at: Option<SystemTime>) -> Self {
        self.expires_at = at;
        self
    }

    /// Records the session's expiry.
    pub fn with_session_expires_at(mut self, at: Option<SystemTime>) -> Self {
        self.session_expires_at = at;
        self
    }

    /// The token itself, to hand to the client. Do not log it.
    pub fn secret(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("session_expires_at", &self.session_expires_at)
            .finish()
    }
}

/// What the token grants, where the provider lets the issuer choose.
///
/// ```
/// use std::time::Duration;
/// use room_moderator_core::TokenOptions;
/// let options = TokenOptions::new()
///     .with_capability("SEND_MESSAGE")
///     .with_session_duration(Duration::from_secs(30 * 60))
///     .with_name("Alice");
/// assert_eq!(options.capabilities, ["SEND_MESSAGE"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenOptions {
    /// Provider capabilities (IVS Chat: `SEND_MESSAGE`, `DISCONNECT_USER`, `DELETE_MESSAGE`; none
    /// means read-only).
    pub capabilities: Vec<String>,
    /// How long the session may last (IVS Chat: 1 to 180 minutes, default 60).
    pub session_duration: Option<Duration>,
    /// Display name (EnableX `name`; defaults to the user id).
    pub name: Option<String>,
    /// Role (EnableX: `participant` by default, `moderator`, `viewer`).
    pub role: Option<String>,
    /// Attributes carried with the token (IVS `attributes`, EnableX `data`, LiveKit `attributes`).
    pub attributes: BTreeMap<String, String>,
    /// Free-form metadata the client and the room see (LiveKit `metadata`).
    pub metadata: Option<String>,
}

impl TokenOptions {
    /// No capabilities, the provider's default session, name and role.
    pub fn new() -> Self {
        TokenOptions::default()
    }

    /// Adds a capability.
    pub fn with_capability(mut self, capability: impl Into<String>) -> Self {
        self.capabilities.push(capability.into());
        self
    }

    /// Sets the session duration.
    pub fn with_session_duration(mut self, duration: Duration) -> Self {
        self.session_duration = Some(duration);
        self
    }

    /// Sets the display name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the role.
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Sets the metadata.
    pub fn with_metadata(mut self, metadata: impl Into<String>) -> Self {
        self.metadata = Some(metadata.into());
        self
    }

    /// Adds an attribute.
    pub fn with_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }
}

/// The answer of [`Moderator::issue_token`](crate::Moderator::issue_token).
#[derive(Clone, Debug)]
pub enum TokenDecision {
    /// The user may join: here is the token.
    Issued(Token),
    /// The user is banned from the room; nothing was asked of the provider.
    Refused {
        /// When the ban ends; `None` until lifted.
        until: Option<SystemTime>,
        /// Why, if a reason was given.
        reason: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let token = Token::new("AQICAH-very-secret").with_expires_at(Some(SystemTime::UNIX_EPOCH));
        let shown = format!("{token:?} {:?}", TokenDecision::Issued(token.clone()));
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert_eq!(token.secret(), "AQICAH-very-secret");
    }
}
