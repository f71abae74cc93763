//! Join tokens through CreateChatToken against the IVS Chat emulator over loopback: what the token
//! grants arrives, bad options are refused before any call, provider errors keep their kinds; and
//! `members_page` is unsupported without a call (no IVS API lists a room).

mod common;

use std::time::{Duration, SystemTime};

use common::{adapter, emulator, lobby};
use room_moderator_core::{Adapter, ErrorKind, RoomId, TokenOptions, UserId};
use room_moderator_emulator::Fault;
use room_moderator_emulator::ivschat::IssuedChatToken;
use room_moderator_ivs::IVSCHAT_CAPABILITIES;

fn ids(room: &str, user: &str) -> (RoomId, UserId) {
    (RoomId::new(room), UserId::new(user))
}

#[tokio::test]
async fn a_token_carries_capabilities_duration_and_attributes_to_create_chat_token() {
    let (ivs, room) = lobby(&[]).await;
    let adapter = adapter(&ivs).await;
    let (room_id, alice) = ids(&room, "alice");
    let options = TokenOptions::new()
        .with_capability("SEND_MESSAGE")
        .with_capability("DISCONNECT_USER")
        .with_session_duration(Duration::from_secs(30 * 60))
        .with_attribute("color", "blue");
    let asked_at = SystemTime::now();
    let token = adapter
        .issue_token(&room_id, &alice, &options)
        .await
        .expect("issued");

    assert!(!token.secret().is_empty());
    assert!(!format!("{token:?}").contains(token.secret()));
    // IVS tokens must be used within a minute; the session lasts what was asked.
    let expires = token.expires_at.expect("tokenExpirationTime");
    let session = token.session_expires_at.expect("sessionExpirationTime");
    let around = |at: SystemTime, after: Duration| {
        let low = asked_at + after - Duration::from_secs(5);
        let high = asked_at + after + Duration::from_secs(5);
        (low..=high).contains(&at)
    };
    assert!(around(expires, Duration::from_secs(60)), "{expires:?}");
    assert!(around(session, Duration::from_secs(30 * 60)), "{session:?}");

    assert_eq!(
        ivs.chat_tokens(),
        [IssuedChatToken {
            room: room.clone(),
            user: "alice".to_owned(),
            capabilities: vec!["SEND_MESSAGE".to_owned(), "DISCONNECT_USER".to_owned()],
            session_duration_in_minutes: Some(30),
            attributes: [("color".to_owned(), "blue".to_owned())].into(),
        }]
    );
    let counters = ivs.token_controls().counters();
    assert_eq!((counters.requests, counters.violations), (1, 0));
    assert_eq!(
        ivs.controls().counters().requests,
        0,
        "no DisconnectUser call"
    );

    // No options: a read-only token with IVS's default session.
    adapter
        .issue_token(&room_id, &UserId::new("bob"), &TokenOptions::new())
        .await
        .expect("issued");
    let plain = &ivs.chat_tokens()[1];
    assert!(plain.capabilities.is_empty() && plain.attributes.is_empty());
    assert_eq!(plain.session_duration_in_minutes, None);
}

#[tokio::test]
async fn bad_options_are_refused_before_any_call() {
    let (ivs, room) = lobby(&[]).await;
    let adapter = adapter(&ivs).await;
    let (room_id, alice) = ids(&room, "alice");
    let refusals = [
        (
            TokenOptions::new().with_capability("SEND_MESSAGES"),
            "SEND_MESSAGE, DISCONNECT_USER, DELETE_MESSAGE",
        ),
        (
            TokenOptions::new().with_session_duration(Duration::from_secs(181 * 60)),
            "1 to 180",
        ),
        (
            TokenOptions::new().with_session_duration(Duration::ZERO),
            "1 to 180",
        ),
        (
            TokenOptions::new().with_session_duration(Duration::from_secs(90)),
            "whole number of minutes",
        ),
        (
            TokenOptions::new().with_attribute("blob", "x".repeat(1100)),
            "1024",
        ),
        (
            TokenOptions::new().with_role("moderator"),
            "no name or role",
        ),
    ];
    for (options, says) in refusals {
        let error = adapter
            .issue_token(&room_id, &alice, &options)
            .await
            .expect_err(says);
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
        assert_eq!(error.provider(), Some("ivschat"));
        assert!(error.message().contains(says), "{says}: {error}");
    }
    for (room, user) in [
        ("lobby", "alice"),
        (room.as_str(), ""),
        (room.as_str(), &"u".repeat(129)),
    ] {
        let (room, user) = ids(room, user);
        let error = adapter
            .issue_token(&room, &user, &TokenOptions::new())
            .await
            .expect_err("invalid target");
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    }
    assert_eq!(
        ivs.token_controls().counters().requests,
        0,
        "no CreateChatToken call"
    );
    assert!(ivs.chat_tokens().is_empty());
}

#[tokio::test]
async fn provider_errors_keep_their_kinds() {
    let ivs = emulator().await;
    let adapter = adapter(&ivs).await;
    let (nowhere, alice) = ids(&ivs.room_arn("nowhere"), "alice");
    let error = adapter
        .issue_token(&nowhere, &alice, &TokenOptions::new())
        .await
        .expect_err("no such room");
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    assert_eq!(error.code(), Some("ResourceNotFoundException"));
    assert!(!error.is_temporary());
    assert!(
        error.request_id().is_some_and(|id| id.len() == 36),
        "{error}"
    );

    // CreateChatToken's model declares no ThrottlingException; the 429 still maps to Throttled.
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["alice"]);
    ivs.token_controls()
        .push_fault(Fault::Throttle { retry_after: None });
    let error = adapter
        .issue_token(&RoomId::new(&room), &alice, &TokenOptions::new())
        .await
        .expect_err("throttled");
    assert_eq!(error.kind(), ErrorKind::Throttled, "{error}");
    assert_eq!(error.code(), Some("ThrottlingException"));
    assert!(error.is_temporary());

    ivs.token_controls().push_fault(Fault::unavailable());
    let error = adapter
        .issue_token(&RoomId::new(&room), &alice, &TokenOptions::new())
        .await
        .expect_err("503");
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    assert!(ivs.chat_tokens().is_empty());
    assert_eq!(ivs.token_controls().counters().requests, 3);
}

#[tokio::test]
async fn a_success_without_a_token_is_a_protocol_error() {
    let (ivs, room) = lobby(&[]).await;
    let adapter = adapter(&ivs).await;
    ivs.token_controls()
        .push_fault(Fault::Malformed("{}".to_owned()));
    let (room_id, alice) = ids(&room, "alice");
    let error = adapter
        .issue_token(&room_id, &alice, &TokenOptions::new())
        .await
        .expect_err("no token");
    assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");
}

#[tokio::test]
async fn members_are_unsupported_without_a_call() {
    let (ivs, room) = lobby(&["alice"]).await;
    let adapter = adapter(&ivs).await;
    assert!(IVSCHAT_CAPABILITIES.members.is_none());
    assert!(adapter.capabilities().tokens.is_some());
    let error = adapter
        .members_page(&RoomId::new(&room), None)
        .await
        .expect_err("IVS cannot list a room");
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert_eq!(ivs.controls().counters().requests, 0);
    assert_eq!(ivs.token_controls().counters().requests, 0);
}

#[tokio::test]
async fn the_account_is_region_and_endpoint_as_the_quota_names_it() {
    let ivs = emulator().await;
    let adapter = adapter(&ivs).await;
    let account = adapter.account();
    assert_eq!(account, format!("us-east-1@{}", ivs.base_url()));
    assert_eq!(
        adapter.quota_key().map(|key| key.account().to_owned()),
        Some(account.clone())
    );
    assert!(!account.contains(ivs.secret_access_key()));
    assert!(!account.contains(ivs.access_key_id()));
}
