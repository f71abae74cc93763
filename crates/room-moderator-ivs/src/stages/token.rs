//! CreateParticipantToken: what a stage token may carry, checked before anything is sent, and its
//! answer as a [`Token`].
//!
//! Source (`docs/providers/ivs-stages.md`, CreateParticipantToken; from the service model and the API
//! reference): `capabilities` 0..2 of `PUBLISH | SUBSCRIBE` (none sent: IVS's default, both);
//! `duration` 1..20160 minutes (default 720); `userId` 0..128 and optional, but always set here
//! (a token without it cannot be found by user, so the user could not be kicked); `attributes` at
//! most 1 KB (counted as the JSON object, the strictest reading: UNVERIFIED how IVS counts); 50 TPS
//! per account and region. The answer's `participantToken.token` is opaque and secret.

use aws_sdk_ivsrealtime::operation::create_participant_token::CreateParticipantTokenOutput;
use aws_sdk_ivsrealtime::types::ParticipantTokenCapability;
use room_moderator_core::{Error, Token, TokenOptions};

use super::PROVIDER;
use crate::chat_token::{CheckedOptions, TokenRules, system_time};

/// The capabilities a stage token may grant (the model's `ParticipantTokenCapability`); none asked
/// for leaves IVS's default, both.
pub const PARTICIPANT_TOKEN_CAPABILITIES: [&str; 2] = ["PUBLISH", "SUBSCRIBE"];

/// The shortest token lifetime, in minutes.
pub const MIN_TOKEN_MINUTES: u64 = 1;

/// The longest token lifetime, in minutes (14 days; IVS's default is 720, 12 hours).
pub const MAX_TOKEN_MINUTES: u64 = 20_160;

/// CreateParticipantToken's documented quota, per account and region.
pub const CREATE_PARTICIPANT_TOKEN_PER_SECOND: u32 = 50;

const RULES: TokenRules = TokenRules {
    service: "IVS real-time",
    provider: PROVIDER,
    capabilities: &PARTICIPANT_TOKEN_CAPABILITIES,
    duration_name: "token duration",
    minutes: (MIN_TOKEN_MINUTES, MAX_TOKEN_MINUTES),
};

/// A CreateParticipantToken request's options, checked and in the SDK's types.
#[derive(Debug, PartialEq)]
pub(crate) struct ParticipantTokenRequest {
    /// `None`: IVS's default (PUBLISH and SUBSCRIBE).
    pub capabilities: Option<Vec<ParticipantTokenCapability>>,
    /// Minutes; `None`: IVS's default (720).
    pub duration: Option<i32>,
    /// `None` when there are no attributes.
    pub attributes: Option<std::collections::HashMap<String, String>>,
}

/// Checks `options` against CreateParticipantToken's rules (`session_duration` is the token's
/// `duration`); the error says what is wrong and nothing is sent.
pub(crate) fn prepare(options: &TokenOptions) -> Result<ParticipantTokenRequest, Error> {
    let CheckedOptions {
        capabilities,
        minutes,
        attributes,
    } = RULES.check(options)?;
    let capabilities: Vec<ParticipantTokenCapability> = capabilities
        .into_iter()
        .map(ParticipantTokenCapability::from)
        .collect();
    Ok(ParticipantTokenRequest {
        capabilities: (!capabilities.is_empty()).then_some(capabilities),
        duration: minutes,
        attributes,
    })
}

/// The answer as a [`Token`] expiring at `expirationTime`: a success without a token is a protocol
/// error (never an empty token handed to a client). The token never appears in messages.
pub(crate) fn token_from_output(output: CreateParticipantTokenOutput) -> Result<Token, Error> {
    let issued = output.participant_token;
    let expires_at = issued
        .as_ref()
        .and_then(|t| t.expiration_time())
        .and_then(system_time);
    match issued.and_then(|t| t.token) {
        Some(token) if !token.trim().is_empty() => {
            Ok(Token::new(token).with_expires_at(expires_at))
        }
        _ => Err(
            Error::protocol("CreateParticipantToken answered success without a token")
                .with_provider(PROVIDER),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_sdk_ivsrealtime::primitives::DateTime;
    use aws_sdk_ivsrealtime::types::ParticipantToken;
    use room_moderator_core::ErrorKind;

    use super::*;

    #[test]
    fn options_follow_the_model() {
        let request = prepare(
            &TokenOptions::new()
                .with_capability("SUBSCRIBE")
                .with_capability("SUBSCRIBE")
                .with_session_duration(Duration::from_secs(20_160 * 60))
                .with_attribute("team", "red"),
        )
        .expect("valid");
        assert_eq!(
            request.capabilities,
            Some(vec![ParticipantTokenCapability::Subscribe])
        );
        assert_eq!(request.duration, Some(20_160));
        assert_eq!(request.attributes.map(|a| a.len()), Some(1));
        let defaults = prepare(&TokenOptions::new()).expect("valid");
        assert_eq!(
            (defaults.capabilities, defaults.duration),
            (None, None),
            "IVS's defaults"
        );
        for (options, says) in [
            (
                TokenOptions::new().with_capability("SEND_MESSAGE"),
                "allowed: PUBLISH, SUBSCRIBE",
            ),
            (
                TokenOptions::new().with_session_duration(Duration::from_secs(20_161 * 60)),
                "1 to 20160",
            ),
            (
                TokenOptions::new().with_session_duration(Duration::from_secs(30)),
                "whole number of minutes",
            ),
            (TokenOptions::new().with_name("Alice"), "no name or role"),
            (
                TokenOptions::new().with_attribute("k", "v".repeat(1024)),
                "IVS real-time allows 1024",
            ),
        ] {
            let error = prepare(&options).expect_err(says);
            assert_eq!(error.kind(), ErrorKind::InvalidInput);
            assert!(error.message().contains(says), "{says}: {error}");
        }
    }

    #[test]
    fn the_answer_becomes_a_token() {
        let output = CreateParticipantTokenOutput::builder()
            .participant_token(
                ParticipantToken::builder()
                    .participant_id("jFpWmveENolS")
                    .token("secret-token")
                    .expiration_time(DateTime::from_secs(1_700_043_200))
                    .build(),
            )
            .build();
        let token = token_from_output(output).expect("a token");
        assert_eq!(token.secret(), "secret-token");
        assert_eq!(
            token.expires_at,
            Some(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_043_200))
        );
        for empty in [None, Some(ParticipantToken::builder().token(" ").build())] {
            let output = CreateParticipantTokenOutput::builder()
                .set_participant_token(empty)
                .build();
            assert_eq!(
                token_from_output(output).map_err(|e| e.kind()).err(),
                Some(ErrorKind::Protocol)
            );
        }
    }
}
