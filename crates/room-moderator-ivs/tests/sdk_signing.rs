//! The emulator's SigV4 verifier against the real SDK signer: the official `aws-sdk-ivschat` client,
//! unchanged but for the endpoint, is accepted; the same client with a wrong secret, a skewed clock, a
//! missing session token or a body changed after signing is refused as AWS refuses it.

mod common;

use std::time::{Duration, SystemTime};

use aws_sdk_ivschat::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_ivschat::config::retry::RetryConfig;
use aws_sdk_ivschat::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_ivschat::error::{BoxError, ProvideErrorMetadata};
use aws_sdk_ivschat::operation::RequestId;
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_smithy_types::body::SdkBody;
use common::{emulator, emulator_with};
use room_moderator_emulator::ivschat::{IvsChatConfig, IvsChatEmulator};

/// The plain SDK client for the emulator, with `secret` and an optional session token.
fn sdk_config(
    ivs: &IvsChatEmulator,
    secret: &str,
    session_token: Option<&str>,
) -> aws_sdk_ivschat::config::Builder {
    aws_sdk_ivschat::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(ivs.base_url())
        .region(Region::new(ivs.region().to_owned()))
        .credentials_provider(Credentials::new(
            ivs.access_key_id(),
            secret,
            session_token.map(str::to_owned),
            None,
            "test",
        ))
        .retry_config(RetryConfig::disabled())
}

async fn disconnect(
    config: aws_sdk_ivschat::config::Builder,
    room: &str,
    user: &str,
) -> Result<(), (String, String)> {
    aws_sdk_ivschat::Client::from_conf(config.build())
        .disconnect_user()
        .room_identifier(room)
        .user_id(user)
        .reason("test")
        .send()
        .await
        .map(|output| assert!(output.request_id().is_some()))
        .map_err(|err| {
            let err = err.into_service_error();
            (
                err.code().unwrap_or_default().to_owned(),
                err.message().unwrap_or_default().to_owned(),
            )
        })
}

async fn seeded() -> (IvsChatEmulator, String) {
    let ivs = emulator().await;
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["troll", "alice"]);
    (ivs, room)
}

#[tokio::test]
async fn requests_signed_by_the_sdk_are_accepted() {
    let (ivs, room) = seeded().await;
    let config = sdk_config(&ivs, ivs.secret_access_key(), None);
    assert_eq!(disconnect(config, &room, "troll").await, Ok(()));
    assert_eq!(ivs.members(&room), Some(vec!["alice".to_owned()]));
    assert_eq!(ivs.controls().counters().violations, 0);
}

#[tokio::test]
async fn a_wrong_secret_is_an_invalid_signature() {
    let (ivs, room) = seeded().await;
    let config = sdk_config(&ivs, "not-the-secret", None);
    let (code, message) = disconnect(config, &room, "troll")
        .await
        .expect_err("refused");
    assert_eq!(code, "InvalidSignatureException");
    assert!(message.contains("does not match"), "{message}");
    assert_eq!(ivs.members(&room).map(|m| m.len()), Some(2));
}

/// A clock `offset` ahead of (or behind) the real one.
#[derive(Debug)]
struct Skewed {
    offset: Duration,
    ahead: bool,
}

impl TimeSource for Skewed {
    fn now(&self) -> SystemTime {
        if self.ahead {
            SystemTime::now() + self.offset
        } else {
            SystemTime::now() - self.offset
        }
    }
}

#[tokio::test]
async fn a_clock_more_than_five_minutes_off_is_refused() {
    let (ivs, room) = seeded().await;
    for (minutes, ahead, expected) in [
        (10, false, Some("Signature expired")),
        (10, true, Some("Signature not yet current")),
        (4, false, None),
    ] {
        let config = sdk_config(&ivs, ivs.secret_access_key(), None).time_source(
            SharedTimeSource::new(Skewed {
                offset: Duration::from_secs(minutes * 60),
                ahead,
            }),
        );
        let result = disconnect(config, &room, "troll").await;
        match expected {
            Some(start) => {
                let (code, message) = result.expect_err("skewed");
                assert_eq!(code, "InvalidSignatureException");
                assert!(message.starts_with(start), "{message}");
            }
            None => assert_eq!(result, Ok(()), "4 minutes is within the window"),
        }
    }
}

#[tokio::test]
async fn the_session_token_must_match() {
    let ivs = emulator_with(IvsChatConfig {
        session_token: Some("token-123".to_owned()),
        ..IvsChatConfig::default()
    })
    .await;
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["troll", "alice"]);
    let secret = ivs.secret_access_key().to_owned();
    let (code, _) = disconnect(sdk_config(&ivs, &secret, None), &room, "troll")
        .await
        .expect_err("no token");
    assert_eq!(code, "UnrecognizedClientException");
    let (code, _) = disconnect(sdk_config(&ivs, &secret, Some("other")), &room, "troll")
        .await
        .expect_err("wrong token");
    assert_eq!(code, "UnrecognizedClientException");
    assert_eq!(
        disconnect(sdk_config(&ivs, &secret, Some("token-123")), &room, "troll").await,
        Ok(())
    );
}

/// Changes the body after the SDK signed it, keeping its length (`trol` -> `troL`).
#[derive(Debug)]
struct TamperBody;

impl Intercept for TamperBody {
    fn name(&self) -> &'static str {
        "TamperBody"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).replace("\"troll\"", "\"troLl\""))
            .ok_or("the body is not in memory")?;
        *request.body_mut() = SdkBody::from(body);
        Ok(())
    }
}

#[tokio::test]
async fn a_body_changed_after_signing_is_refused() {
    let (ivs, room) = seeded().await;
    let config = sdk_config(&ivs, ivs.secret_access_key(), None).interceptor(TamperBody);
    let (code, _) = disconnect(config, &room, "troll")
        .await
        .expect_err("tampered");
    assert_eq!(code, "InvalidSignatureException");
    assert_eq!(ivs.members(&room).map(|m| m.len()), Some(2));
    assert!(ivs.disconnections().is_empty());
}
