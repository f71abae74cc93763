//! The adapter against the IVS Chat emulator over loopback, through `Arc<dyn Moderator>`: outcomes,
//! error kinds with AWS codes and request ids, and who owns retries.

mod common;

use common::{adapter, builder, emulator, kick, lobby, moderator, quick_retries};
use room_moderator_core::{DisconnectRequest, ErrorKind, Outcome, RetryStatus};
use room_moderator_emulator::Fault;
use room_moderator_emulator::ivschat::{ErrorType, SCRIPTED_REQUEST_ID, error_fault};

#[tokio::test]
async fn present_and_absent_users_are_disconnected_and_the_reason_arrives() {
    let ivs = emulator().await;
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["alice", "troll", "spammer"]);
    let moderator = moderator(adapter(&ivs).await, quick_retries(3));
    let report = moderator
        .disconnect(
            &DisconnectRequest::new(&room, ["troll", "ghost", "spammer", "troll"])
                .with_reason("harassment"),
        )
        .await
        .expect("valid request");
    let users: Vec<(&str, &str)> = report
        .users()
        .iter()
        .map(|u| (u.user.as_str(), u.outcome.label()))
        .collect();
    // IVS cannot tell an absent user apart, so "ghost" is disconnected too (documented).
    assert_eq!(
        users,
        [
            ("troll", "disconnected"),
            ("ghost", "disconnected"),
            ("spammer", "disconnected")
        ]
    );
    assert!(report.reason_delivered());
    assert_eq!(report.calls(), 3);
    assert_eq!(ivs.members(&room), Some(vec!["alice".to_owned()]));
    let seen: Vec<(String, Option<String>, bool)> = ivs
        .disconnections()
        .into_iter()
        .map(|d| (d.user, d.reason, d.was_member))
        .collect();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .all(|(_, reason, _)| reason.as_deref() == Some("harassment"))
    );
    assert!(seen.iter().any(|(user, _, was)| user == "ghost" && !was));
    let counters = ivs.controls().counters();
    assert_eq!((counters.requests, counters.violations), (3, 0));
}

#[tokio::test]
async fn an_unknown_room_fails_every_user_with_not_found_and_no_retry() {
    let ivs = emulator().await;
    let room = ivs.room_arn("nowhere");
    let moderator = moderator(adapter(&ivs).await, quick_retries(3));
    let report = moderator
        .disconnect(&DisconnectRequest::new(&room, ["a", "b"]))
        .await
        .expect("valid request");
    for entry in report.users() {
        let error = entry.outcome.error().expect("failed");
        assert_eq!(error.kind(), ErrorKind::NotFound);
        assert_eq!(error.code(), Some("ResourceNotFoundException"));
        assert!(entry.attempts <= 1, "permanent errors are not retried");
    }
    let first = report.users()[0].outcome.error().expect("failed");
    assert!(
        first.request_id().is_some_and(|id| id.len() == 36),
        "{first}"
    );
    // A missing room concerns the whole request: the engine stops sending after the first answer
    // (the second call may already have been on its way).
    let requests = ivs.controls().counters().requests;
    assert!((1..=2).contains(&requests), "{requests}");
}

#[tokio::test]
async fn bad_input_never_reaches_the_emulator() {
    let ivs = emulator().await;
    let room = ivs.room_arn("lobby");
    let moderator = moderator(adapter(&ivs).await, quick_retries(3));
    for request in [
        DisconnectRequest::new("lobby", ["a"]),
        DisconnectRequest::new(format!("{room}_x"), ["a"]),
        DisconnectRequest::new(&room, ["x".repeat(129)]),
        DisconnectRequest::new(&room, ["a"]).with_reason("r".repeat(257)),
        DisconnectRequest::new(&room, Vec::<String>::new()),
    ] {
        let error = moderator
            .disconnect(&request)
            .await
            .expect_err("invalid request");
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    }
    assert_eq!(ivs.controls().counters().requests, 0);
}

#[tokio::test]
async fn scripted_ivs_errors_keep_their_code_and_request_id() {
    let (ivs, room) = lobby(&["u"]).await;
    let moderator = moderator(adapter(&ivs).await, quick_retries(3));
    for (error_type, kind) in [
        (ErrorType::AccessDenied, ErrorKind::PermissionDenied),
        (ErrorType::PendingVerification, ErrorKind::AccountNotReady),
    ] {
        ivs.controls()
            .push_fault(error_fault(error_type, "scripted"));
        let entry = kick(&*moderator, &room, "u").await;
        let error = entry.outcome.error().expect("failed");
        assert_eq!(error.kind(), kind, "{error}");
        assert_eq!(error.code(), Some(error_type.name()));
        assert_eq!(error.request_id(), Some(SCRIPTED_REQUEST_ID));
        assert_eq!(error.provider(), Some("ivschat"));
        assert_eq!(entry.attempts, 1);
    }
    assert_eq!(ivs.members(&room), Some(vec!["u".to_owned()]));
}

/// The SDK's own retries are off: each engine attempt is exactly one request at the emulator, and
/// throttled calls are sent again (not counted against the 3 attempts) until they go through.
#[tokio::test]
async fn throttling_costs_exactly_the_engines_attempts() {
    let (ivs, room) = lobby(&["u"]).await;
    ivs.controls()
        .push_faults(3, Fault::Throttle { retry_after: None });
    let moderator = moderator(adapter(&ivs).await, quick_retries(2));
    let entry = kick(&*moderator, &room, "u").await;
    assert!(matches!(entry.outcome, Outcome::Disconnected), "{entry:?}");
    assert_eq!(entry.attempts, 4);
    assert_eq!(ivs.controls().counters().requests, 4, "not 4 x the SDK's 3");
}

#[tokio::test]
async fn an_outage_is_retried_until_it_passes() {
    let (ivs, room) = lobby(&["u"]).await;
    ivs.controls().push_fault(Fault::unavailable());
    ivs.controls()
        .push_fault(error_fault(ErrorType::InternalServer, "oops"));
    let moderator = moderator(adapter(&ivs).await, quick_retries(3));
    let entry = kick(&*moderator, &room, "u").await;
    assert!(matches!(entry.outcome, Outcome::Disconnected));
    assert_eq!(entry.attempts, 3);
    assert_eq!(ivs.members(&room), Some(vec![]));
}

#[tokio::test]
async fn broken_answers_are_protocol_or_transport_errors() {
    let (ivs, room) = lobby(&["u"]).await;
    let moderator = moderator(adapter(&ivs).await, quick_retries(1));

    ivs.controls().push_fault(Fault::Malformed(
        "<html>sign in to the wifi</html>".to_owned(),
    ));
    let entry = kick(&*moderator, &room, "u").await;
    let error = entry.outcome.error().expect("not a success");
    assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");

    ivs.controls().push_fault(Fault::Reset);
    let entry = kick(&*moderator, &room, "u").await;
    let error = entry.outcome.error().expect("reset");
    // The connection closes before the answer is complete: the SDK reports a dispatch failure.
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert_eq!(ivs.members(&room), Some(vec!["u".to_owned()]));
}

#[tokio::test]
async fn wrong_credentials_are_unauthenticated() {
    let (ivs, room) = lobby(&["u"]).await;
    for (access_key, secret, code) in [
        (
            ivs.access_key_id().to_owned(),
            "wrong-secret",
            "InvalidSignatureException",
        ),
        (
            "AKIDNOBODY".to_owned(),
            ivs.secret_access_key(),
            "UnrecognizedClientException",
        ),
    ] {
        let adapter = builder(&ivs)
            .with_credentials(access_key, secret, None)
            .build()
            .await
            .expect("adapter");
        let entry = kick(&*moderator(adapter, quick_retries(3)), &room, "u").await;
        let error = entry.outcome.error().expect("refused");
        assert_eq!(error.kind(), ErrorKind::Unauthenticated, "{error}");
        assert_eq!(error.code(), Some(code));
        assert!(error.request_id().is_some());
        assert_eq!(entry.attempts, 1);
    }
    assert_eq!(ivs.controls().counters().violations, 2);
    assert_eq!(ivs.members(&room), Some(vec!["u".to_owned()]));
}

#[tokio::test]
async fn nobody_listening_is_a_transport_error() {
    let ivs = emulator().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let adapter = builder(&ivs)
        .with_endpoint(format!("http://{closed}"))
        .build()
        .await
        .expect("adapter");
    let entry = kick(
        &*moderator(adapter, quick_retries(2)),
        &ivs.room_arn("lobby"),
        "u",
    )
    .await;
    let error = entry.outcome.error().expect("unreachable");
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert_eq!(error.status(), RetryStatus::Persistent);
    assert_eq!(entry.attempts, 2);
}

/// `from_env` with every value given: the AWS environment is loaded, the given values win.
#[tokio::test]
async fn from_env_with_overrides_reaches_the_emulator() {
    let (ivs, room) = lobby(&["u"]).await;
    let adapter = room_moderator_ivs::IvsChatBuilder::from_env()
        .with_endpoint(ivs.base_url())
        .with_region(ivs.region())
        .with_credentials(ivs.access_key_id(), ivs.secret_access_key(), None)
        .build()
        .await
        .expect("adapter");
    assert_eq!(adapter.region(), ivs.region());
    let entry = kick(&*moderator(adapter, quick_retries(1)), &room, "u").await;
    assert!(matches!(entry.outcome, Outcome::Disconnected));
    assert_eq!(ivs.members(&room), Some(vec![]));
}
