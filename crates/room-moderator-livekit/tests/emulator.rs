//! The adapter through the engine against the LiveKit emulator over loopback HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use room_moderator_core::{
    AdapterExt, BanRequest, DisconnectRequest, Engine, ErrorKind, MemoryBanStore, Moderator,
    Outcome, RoomId, TokenDecision, TokenOptions, UserId,
};
use room_moderator_emulator::livekit::{
    LiveKitConfig, LiveKitEmulator, ParticipantKind, ThrottleAnswer,
};
use room_moderator_livekit::{LiveKit, LiveKitBuilder};

async fn emulator(config: LiveKitConfig) -> LiveKitEmulator {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    LiveKitEmulator::start(config, any).await.unwrap()
}

/// The adapter for `emulator`, at Cloud's pace (the emulator is a loopback host, which would
/// otherwise get the self-hosted default).
fn adapter(emulator: &LiveKitEmulator, secret: &str) -> LiveKit {
    LiveKitBuilder::new(
        emulator.url().replace("http://", "ws://"),
        emulator.api_key(),
        secret,
    )
    .with_requests_per_minute(1000)
    .build()
    .unwrap()
}

#[tokio::test]
async fn kicks_list_and_keep_agents_out_of_a_kick_all() {
    let livekit = emulator(LiveKitConfig::default()).await;
    livekit.seed_room("standup", ["alice", "troll", "spammer"]);
    livekit.seed_participant("standup", "agent-1", ParticipantKind::Agent);
    livekit.seed_participant("standup", "recorder", ParticipantKind::Egress);
    let moderator = adapter(&livekit, livekit.api_secret()).into_moderator();

    let report = moderator
        .disconnect(&DisconnectRequest::new("standup", ["troll", "ghost"]))
        .await
        .unwrap();
    let outcomes: Vec<(&str, &str, u32)> = report
        .users()
        .iter()
        .map(|u| (u.user.as_str(), u.outcome.label(), u.attempts))
        .collect();
    assert_eq!(
        outcomes,
        [("troll", "disconnected", 1), ("ghost", "not_in_room", 1)],
        "an absent identity is not_in_room without a retry"
    );
    assert_eq!(livekit.controls().counters().requests, 2);

    let members = moderator.members(&RoomId::new("standup")).await.unwrap();
    let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["alice", "spammer"], "standard participants only");

    moderator
        .disconnect_all(&RoomId::new("standup"), None)
        .await
        .unwrap();
    assert_eq!(
        livekit.members("standup").unwrap(),
        ["agent-1", "recorder"],
        "agents and egress stay"
    );
    assert!(livekit.removals().iter().all(|r| !r.protobuf));

    let everyone = LiveKitBuilder::new(livekit.url(), livekit.api_key(), livekit.api_secret())
        .with_all_member_kinds()
        .build()
        .unwrap()
        .into_moderator();
    everyone
        .disconnect_all(&RoomId::new("standup"), None)
        .await
        .unwrap();
    assert_eq!(livekit.members("standup").unwrap(), Vec::<String>::new());
    assert_eq!(livekit.controls().counters().violations, 0);
}

/// A refused signature is `Unauthenticated` and never quotes the middleware's text. (That a wrong
/// secret fails every user within the in-flight calls is the behaviour suite's
/// `behavior::faults::wrong_secret_is_unauthenticated_without_retry::livekit`.)
#[tokio::test]
async fn a_wrong_secret_is_unauthenticated_without_the_middlewares_text() {
    let livekit = emulator(LiveKitConfig::default()).await;
    livekit.seed_room("r", ["user-0"]);
    let moderator = Engine::builder(adapter(&livekit, "not-the-secret")).build();
    let report = moderator
        .disconnect(&DisconnectRequest::new("r", ["user-0"]))
        .await
        .unwrap();
    let error = report.users()[0].outcome.error().expect("failed");
    assert_eq!(error.kind(), ErrorKind::Unauthenticated, "{error}");
    assert!(!error.message().contains("signature is invalid"), "{error}");
}

#[tokio::test]
async fn throttling_in_either_form_is_throttled() {
    for throttle in [ThrottleAnswer::TwirpJson, ThrottleAnswer::PlainText] {
        let livekit = emulator(LiveKitConfig {
            requests_per_minute: NonZeroU32::new(1),
            throttle,
            ..LiveKitConfig::default()
        })
        .await;
        livekit.seed_room("r", ["a", "b"]);
        let adapter = LiveKitBuilder::new(livekit.url(), livekit.api_key(), livekit.api_secret())
            .with_requests_per_minute(0)
            .build()
            .unwrap();
        use room_moderator_core::Adapter;
        adapter.members_page(&RoomId::new("r"), None).await.unwrap();
        let error = adapter
            .members_page(&RoomId::new("r"), None)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Throttled, "{throttle:?}: {error}");
    }
}

#[tokio::test]
async fn a_banned_identity_gets_no_token_and_others_get_one_the_server_accepts() {
    let livekit = emulator(LiveKitConfig::default()).await;
    livekit.seed_room("r", ["troll"]);
    let moderator = Engine::builder(adapter(&livekit, livekit.api_secret()))
        .with_ban_store(Arc::new(MemoryBanStore::new()))
        .build();
    let room = RoomId::new("r");
    moderator
        .ban(&BanRequest::new("r", ["troll"]).with_reason("spam"))
        .await
        .unwrap();
    assert_eq!(livekit.members("r").unwrap(), Vec::<String>::new());
    let requests = livekit.controls().counters().requests;
    let decision = moderator
        .issue_token(&room, &UserId::new("troll"), &TokenOptions::new())
        .await
        .unwrap();
    assert!(matches!(decision, TokenDecision::Refused { .. }));
    assert_eq!(livekit.controls().counters().requests, requests, "no call");

    let TokenDecision::Issued(token) = moderator
        .issue_token(
            &room,
            &UserId::new("alice"),
            &TokenOptions::new().with_name("Alice"),
        )
        .await
        .unwrap()
    else {
        panic!("alice is not banned");
    };
    livekit.join_with_token(token.secret()).unwrap();
    assert_eq!(livekit.members("r").unwrap(), ["alice"]);
    // Cloud revokes on removal: the token alice holds no longer joins after a kick.
    let report = moderator
        .disconnect(&DisconnectRequest::new("r", ["alice"]))
        .await
        .unwrap();
    assert!(matches!(report.users()[0].outcome, Outcome::Disconnected));
    assert!(livekit.join_with_token(token.secret()).is_err());
}
