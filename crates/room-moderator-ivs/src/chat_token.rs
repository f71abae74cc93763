//! CreateChatToken: what a join token may carry, checked before anything is sent, and its answer as
//! a [`Token`].
//!
//! Source: docs/providers/bans.md §2.1 (IVS Chat, CreateChatToken; from the service model and the API
//! reference): `capabilities` are `SEND_MESSAGE | DISCONNECT_USER | DELETE_MESSAGE` (none: read
//! only), `sessionDurationInMinutes` is 1 to 180 (default 60), `attributes` at most 1 KB; the answer
//! is `{token, tokenExpirationTime, sessionExpirationTime}`; 200 TPS per account and region. The SDK
//! checks none of this, so a bad value would travel to AWS and come back as a ValidationException.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_ivschat::operation::create_chat_token::CreateChatTokenOutput;
use aws_sdk_ivschat::primitives::DateTime;
use aws_sdk_ivschat::types::ChatTokenCapability;
use room_moderator_core::{Error, Token, TokenOptions};

use crate::PROVIDER;

/// The capabilities a chat token may grant (the model's `ChatTokenCapability` enum). A token with
/// none may only read messages.
pub const TOKEN_CAPABILITIES: [&str; 3] = ["SEND_MESSAGE", "DISCONNECT_USER", "DELETE_MESSAGE"];

/// The shortest session a token may open, in minutes.
pub const MIN_SESSION_MINUTES: u64 = 1;

/// The longest session a token may open, in minutes (IVS's default is 60).
pub const MAX_SESSION_MINUTES: u64 = 180;

/// The most `attributes` a token may carry, in bytes. How IVS counts the "1 KB" is UNVERIFIED
/// (keys and values, or the JSON object); this crate counts the JSON object as sent, the strictest
/// reading, so that what passes here passes under every reading.
pub const MAX_ATTRIBUTES_BYTES: usize = 1024;

/// CreateChatToken's documented quota, per account and region.
pub const CREATE_CHAT_TOKEN_PER_SECOND: u32 = 200;

/// A CreateChatToken request's options, checked and in the SDK's types.
#[derive(Debug, PartialEq)]
pub(crate) struct ChatTokenRequest {
    /// `None` when no capability was asked for (nothing is sent: a read-only token).
    pub capabilities: Option<Vec<ChatTokenCapability>>,
    /// `None`: IVS's default (60 minutes).
    pub session_duration_in_minutes: Option<i32>,
    /// `None` when there are no attributes.
    pub attributes: Option<HashMap<String, String>>,
}

/// What one IVS token API accepts, for the checks both services share.
pub(crate) struct TokenRules {
    /// The service's name in messages ("IVS Chat").
    pub service: &'static str,
    /// The provider name on errors.
    pub provider: &'static str,
    /// The capability names the API's enum allows.
    pub capabilities: &'static [&'static str],
    /// What the duration is called in messages ("session duration").
    pub duration_name: &'static str,
    /// The shortest and longest duration, in whole minutes.
    pub minutes: (u64, u64),
}

/// The options of a token request, checked against [`TokenRules`]: names as the API spells them.
#[derive(Debug, PartialEq)]
pub(crate) struct CheckedOptions {
    /// The capabilities asked for, each once, in order.
    pub capabilities: Vec<&'static str>,
    /// The duration in minutes; `None`: the service's default.
    pub minutes: Option<i32>,
    /// `None` when there are no attributes.
    pub attributes: Option<HashMap<String, String>>,
}

const CHAT_RULES: TokenRules = TokenRules {
    service: "IVS Chat",
    provider: PROVIDER,
    capabilities: &TOKEN_CAPABILITIES,
    duration_name: "session duration",
    minutes: (MIN_SESSION_MINUTES, MAX_SESSION_MINUTES),
};

impl TokenRules {
    fn invalid(&self, message: String) -> Error {
        Error::invalid_input(message).with_provider(self.provider)
    }

    /// Checks `options`; the error says what is wrong and nothing is sent.
    pub(crate) fn check(&self, options: &TokenOptions) -> Result<CheckedOptions, Error> {
        let service = self.service;
        // IVS tokens have no display name or role: refused rather than silently dropped, so that a
        // caller relying on them learns it now (attributes carry application data).
        if options.name.is_some() || options.role.is_some() {
            return Err(self.invalid(format!(
                "{service} tokens carry no name or role; put application data in attributes"
            )));
        }
        let mut capabilities: Vec<&'static str> = Vec::new();
        for name in &options.capabilities {
            let Some(known) = self
                .capabilities
                .iter()
                .find(|known| **known == name.as_str())
            else {
                return Err(self.invalid(format!(
                    "{name:?} is not an {service} token capability; allowed: {}",
                    self.capabilities.join(", ")
                )));
            };
            if !capabilities.contains(known) {
                capabilities.push(known);
            }
        }
        let minutes = options
            .session_duration
            .map(|duration| self.minutes(duration))
            .transpose()?;
        let attributes = if options.attributes.is_empty() {
            None
        } else {
            let size = serde_json::to_vec(&options.attributes)
                .map(|json| json.len())
                .unwrap_or(usize::MAX);
            if size > MAX_ATTRIBUTES_BYTES {
                return Err(self.invalid(format!(
                    "the token attributes are {size} bytes as JSON; {service} allows {MAX_ATTRIBUTES_BYTES}"
                )));
            }
            Some(options.attributes.clone().into_iter().collect())
        };
        Ok(CheckedOptions {
            capabilities,
            minutes,
            attributes,
        })
    }

    /// A duration as whole minutes within the rules' bounds.
    fn minutes(&self, duration: Duration) -> Result<i32, Error> {
        let (service, what) = (self.service, self.duration_name);
        let (min, max) = self.minutes;
        let minutes = duration.as_secs() / 60;
        if duration.subsec_nanos() != 0 || !duration.as_secs().is_multiple_of(60) {
            return Err(self.invalid(format!(
                "the {what} {duration:?} is not a whole number of minutes ({service} takes minutes)"
            )));
        }
        if !(min..=max).contains(&minutes) {
            return Err(self.invalid(format!(
                "the {what} is {minutes} minutes; {service} allows {min} to {max}"
            )));
        }
        i32::try_from(minutes)
            .map_err(|_| self.invalid(format!("{minutes} minutes is out of range")))
    }
}

/// Checks `options` against CreateChatToken's rules; the error says what is wrong and nothing is sent.
pub(crate) fn prepare(options: &TokenOptions) -> Result<ChatTokenRequest, Error> {
    let checked = CHAT_RULES.check(options)?;
    let capabilities: Vec<ChatTokenCapability> = checked
        .capabilities
        .into_iter()
        .map(ChatTokenCapability::from)
        .collect();
    Ok(ChatTokenRequest {
        capabilities: (!capabilities.is_empty()).then_some(capabilities),
        session_duration_in_minutes: checked.minutes,
        attributes: checked.attributes,
    })
}

/// The answer as a [`Token`]: a success without a token is a protocol error (never an empty token
/// handed to a client). The token itself never appears in messages.
pub(crate) fn token_from_output(output: CreateChatTokenOutput) -> Result<Token, Error> {
    let expires_at = output.token_expiration_time().and_then(system_time);
    let session_expires_at = output.session_expiration_time().and_then(system_time);
    match output.token {
        Some(token) if !token.trim().is_empty() => Ok(Token::new(token)
            .with_expires_at(expires_at)
            .with_session_expires_at(session_expires_at)),
        _ => Err(
            Error::protocol("CreateChatToken answered success without a token")
                .with_provider(PROVIDER),
        ),
    }
}

/// A time IVS sent; one outside `SystemTime`'s range is dropped rather than trusted.
pub(crate) fn system_time(at: &DateTime) -> Option<SystemTime> {
    SystemTime::try_from(*at).ok()
}

#[cfg(test)]
mod tests {
    use room_moderator_core::ErrorKind;

    use super::*;

    fn refused(options: TokenOptions, says: &str) {
        let error = prepare(&options).expect_err(says);
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
        assert!(error.message().contains(says), "{says}: {error}");
    }

    #[test]
    fn defaults_send_nothing_optional() {
        assert_eq!(
            prepare(&TokenOptions::new()).expect("valid"),
            ChatTokenRequest {
                capabilities: None,
                session_duration_in_minutes: None,
                attributes: None,
            }
        );
    }

    #[test]
    fn capabilities_are_checked_and_deduplicated() {
        let request = prepare(
            &TokenOptions::new()
                .with_capability("SEND_MESSAGE")
                .with_capability("DELETE_MESSAGE")
                .with_capability("SEND_MESSAGE"),
        )
        .expect("valid");
        assert_eq!(
            request.capabilities,
            Some(vec![
                ChatTokenCapability::SendMessage,
                ChatTokenCapability::DeleteMessage
            ])
        );
        refused(
            TokenOptions::new().with_capability("send_message"),
            "allowed: SEND_MESSAGE, DISCONNECT_USER, DELETE_MESSAGE",
        );
        refused(
            TokenOptions::new().with_capability("VIEW_MESSAGE"),
            "VIEW_MESSAGE",
        );
    }

    #[test]
    fn session_duration_is_whole_minutes_from_1_to_180() {
        for (minutes, ok) in [(1, true), (60, true), (180, true), (0, false), (181, false)] {
            let options =
                TokenOptions::new().with_session_duration(Duration::from_secs(minutes * 60));
            match prepare(&options) {
                Ok(request) => {
                    assert!(ok, "{minutes}");
                    assert_eq!(request.session_duration_in_minutes, Some(minutes as i32));
                }
                Err(error) => {
                    assert!(!ok, "{minutes}: {error}");
                    assert!(error.message().contains("1 to 180"), "{error}");
                }
            }
        }
        refused(
            TokenOptions::new().with_session_duration(Duration::from_secs(90)),
            "whole number of minutes",
        );
        refused(
            TokenOptions::new().with_session_duration(Duration::from_millis(60_500)),
            "whole number of minutes",
        );
        refused(
            TokenOptions::new().with_session_duration(Duration::from_secs(60 * 10_000_000_000)),
            "1 to 180",
        );
    }

    #[test]
    fn attributes_up_to_1_kb_as_json() {
        let fits = TokenOptions::new().with_attribute("k", "v".repeat(MAX_ATTRIBUTES_BYTES - 8));
        let request = prepare(&fits).expect("exactly 1024 bytes as JSON");
        assert_eq!(request.attributes.map(|a| a.len()), Some(1));
        refused(
            TokenOptions::new().with_attribute("k", "v".repeat(MAX_ATTRIBUTES_BYTES - 7)),
            "1025 bytes",
        );
    }

    #[test]
    fn name_and_role_are_refused() {
        refused(TokenOptions::new().with_name("Alice"), "no name or role");
        refused(
            TokenOptions::new().with_role("participant"),
            "no name or role",
        );
    }

    #[test]
    fn the_answer_becomes_a_token_with_its_times() {
        let output = CreateChatTokenOutput::builder()
            .token("secret-token")
            .token_expiration_time(DateTime::from_secs(1_700_000_060))
            .session_expiration_time(DateTime::from_secs(1_700_003_600))
            .build();
        let token = token_from_output(output).expect("a token");
        assert_eq!(token.secret(), "secret-token");
        let at = |secs| Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(token.expires_at, at(1_700_000_060));
        assert_eq!(token.session_expires_at, at(1_700_003_600));
        assert!(!format!("{token:?}").contains("secret-token"));

        for empty in [None, Some(""), Some("  ")] {
            let output = CreateChatTokenOutput::builder()
                .set_token(empty.map(str::to_owned))
                .build();
            let error = token_from_output(output).expect_err("no token");
            assert_eq!(error.kind(), ErrorKind::Protocol);
        }
    }
}
