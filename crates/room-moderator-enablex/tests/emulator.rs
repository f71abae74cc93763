//! The adapter against the EnableX emulator, over real loopback HTTP and Socket.IO 2, through
//! `Arc<dyn Moderator>`.

#![allow(clippy::unwrap_used)] // tests may unwrap (helpers included)

mod common;

use std::time::Duration;

use room_moderator_core::{
    Adapter, Batch, BatchResult, DisconnectRequest, ErrorKind, Outcome, RetryPolicy, RoomId, UserId,
};
use room_moderator_emulator::enablex::{EnablexConfig, SignallingFault};
use room_moderator_enablex::EnablexBuilder;
use socketio2_client::{Client, ClientConfig};

use common::*;

#[tokio::test]
async fn drops_several_users_and_reports_absent_ones() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "bob", "carol", "dave"]);
    let report = moderator(&emulator)
        .disconnect(&DisconnectRequest::new(ROOM, ["alice", "bob", "ghost"]))
        .await
        .unwrap();
    assert!(matches!(outcome(&report, "alice"), Outcome::Disconnected));
    assert!(matches!(outcome(&report, "bob"), Outcome::Disconnected));
    assert!(matches!(outcome(&report, "ghost"), Outcome::NotInRoom));
    assert_eq!(report.calls(), 1);
    assert!(!report.reason_delivered());
    assert_eq!(connected_users(&emulator).await, ["carol", "dave"]);
    let drops = emulator.drops();
    assert_eq!(drops.len(), 1, "one drop for the whole batch");
    assert!(!drops[0].all);
    assert_eq!(drops[0].requested.len(), 2);
    assert_eq!(drops[0].dropped, drops[0].requested);
    // The session left afterwards: nobody but the seeded participants remains, and nothing broke a rule.
    assert!(settled_connections(&emulator).await.iter().all(|c| !c.live));
    assert_eq!(emulator.controls().counters().violations, 0);
}

#[tokio::test]
async fn a_user_on_two_devices_loses_both_connections() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "alice", "bob"]);
    let alice: Vec<String> = emulator
        .connections(ROOM)
        .unwrap()
        .into_iter()
        .filter(|c| c.user_ref == "alice")
        .map(|c| c.client_id)
        .collect();
    assert_eq!(alice.len(), 2);
    let report = moderator(&emulator)
        .disconnect(&DisconnectRequest::new(ROOM, ["alice"]))
        .await
        .unwrap();
    assert!(report.all_gone());
    let mut requested = emulator.drops()[0].requested.clone();
    requested.sort();
    let mut expected = alice;
    expected.sort();
    assert_eq!(requested, expected);
    assert_eq!(connected_users(&emulator).await, ["bob"]);
}

#[tokio::test]
async fn raw_client_ids_match_only_when_enabled() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "alice"]);
    let second = emulator.connections(ROOM).unwrap()[1].client_id.clone();
    let report = moderator(&emulator)
        .disconnect(&DisconnectRequest::new(ROOM, [second.as_str()]))
        .await
        .unwrap();
    assert!(matches!(outcome(&report, &second), Outcome::NotInRoom));
    assert_eq!(emulator.drops().len(), 0);

    let by_client_id = moderator_with(
        builder(&emulator)
            .with_client_id_matching(true)
            .build()
            .unwrap(),
        RetryPolicy::none(),
    );
    let report = by_client_id
        .disconnect(&DisconnectRequest::new(ROOM, [second.as_str()]))
        .await
        .unwrap();
    assert!(matches!(outcome(&report, &second), Outcome::Disconnected));
    assert_eq!(
        settled_connections(&emulator).await.len(),
        1,
        "only that device"
    );
}

#[tokio::test]
async fn nobody_present_means_no_drop_is_sent() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice"]);
    let report = moderator(&emulator)
        .disconnect(&DisconnectRequest::new(ROOM, ["ghost", "phantom"]))
        .await
        .unwrap();
    assert!(matches!(outcome(&report, "ghost"), Outcome::NotInRoom));
    assert!(matches!(outcome(&report, "phantom"), Outcome::NotInRoom));
    assert_eq!(
        emulator.drops().len(),
        0,
        "an empty clientIds would drop everyone"
    );
    assert_eq!(connected_users(&emulator).await, ["alice"]);
}

#[tokio::test]
async fn a_participant_token_is_refused_with_5116_before_sending() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice"]);
    emulator.force_token_role(Some("participant"));
    let report = moderator(&emulator)
        .disconnect(&DisconnectRequest::new(ROOM, ["alice"]))
        .await
        .unwrap();
    let error = outcome(&report, "alice").error().unwrap();
    assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    assert_eq!(error.code(), Some("5116"));
    assert!(!error.is_temporary());
    assert_eq!(emulator.drops().len(), 0);
    assert_eq!(
        emulator.controls().counters().violations,
        0,
        "no drop reached the server"
    );
    assert_eq!(connected_users(&emulator).await, ["alice"]);
}

#[tokio::test]
async fn dropping_everyone_only_through_disconnect_all() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "bob", "bob"]);
    let moderator = moderator(&emulator);
    let error = moderator
        .disconnect(&DisconnectRequest::new(ROOM, Vec::<String>::new()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        emulator.controls().counters().requests,
        0,
        "nothing was sent"
    );
    assert!(moderator.capabilities().disconnect_all);
    moderator
        .disconnect_all(&RoomId::new(ROOM), None)
        .await
        .unwrap();
    let drops = emulator.drops();
    assert_eq!(drops.len(), 1);
    assert!(drops[0].all);
    assert!(drops[0].requested.is_empty());
    assert!(settled_connections(&emulator).await.is_empty());
}

#[tokio::test]
async fn socket_closed_mid_drop_fails_that_batch_temporarily() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "bob"]);
    emulator.push_signalling_fault(SignallingFault::CloseOnDrop);
    let report = moderator(&emulator)
        .disconnect(&DisconnectRequest::new(ROOM, ["alice", "bob", "ghost"]))
        .await
        .unwrap();
    for user in ["alice", "bob"] {
        let error = outcome(&report, user).error().unwrap();
        assert_eq!(error.kind(), ErrorKind::Transport, "{user}: {error}");
        assert!(error.message().contains("may or may not"), "{error}");
    }
    assert!(matches!(outcome(&report, "ghost"), Outcome::NotInRoom));
    assert_eq!(connected_users(&emulator).await, ["alice", "bob"]);
}

#[tokio::test]
async fn socket_closed_mid_drop_is_retried_with_a_new_session() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "bob"]);
    emulator.push_signalling_fault(SignallingFault::CloseOnDrop);
    let moderator = moderator_with(builder(&emulator).build().unwrap(), RetryPolicy::default());
    let report = moderator
        .disconnect(&DisconnectRequest::new(ROOM, ["alice", "bob"]))
        .await
        .unwrap();
    assert!(report.all_gone(), "{report:?}");
    assert_eq!(report.calls(), 2);
    assert_eq!(report.users()[0].attempts, 2);
    assert!(settled_connections(&emulator).await.is_empty());
    assert_eq!(tokens(&emulator), 2, "a new single-use token per session");
}

#[tokio::test]
async fn a_slow_ack_times_out_with_a_clear_error() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice"]);
    emulator.push_signalling_fault(SignallingFault::DelayAck(Duration::from_secs(3)));
    let adapter = builder(&emulator)
        .with_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let report = moderator_with(adapter, RetryPolicy::none())
        .disconnect(&DisconnectRequest::new(ROOM, ["alice"]))
        .await
        .unwrap();
    let error = outcome(&report, "alice").error().unwrap();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
}

#[tokio::test]
async fn a_refused_token_and_a_refused_drop_keep_their_codes() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice"]);
    emulator.push_signalling_fault(SignallingFault::RefuseToken {
        code: 1161,
        msg: "Token validation failed".to_owned(),
    });
    let moderator = moderator(&emulator);
    let request = DisconnectRequest::new(ROOM, ["alice"]);
    let report = moderator.disconnect(&request).await.unwrap();
    let error = outcome(&report, "alice").error().unwrap();
    assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    assert_eq!(error.code(), Some("1161"));

    emulator.push_signalling_fault(SignallingFault::RefuseDrop {
        code: 1155,
        msg: "invalid client ids".to_owned(),
    });
    let report = moderator.disconnect(&request).await.unwrap();
    let error = outcome(&report, "alice").error().unwrap();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(error.code(), Some("1155"));
    assert_eq!(error.message(), "invalid client ids");
}

#[tokio::test]
async fn rest_failures_map_to_kinds() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice"]);
    let wrong_key = moderator_with(
        EnablexBuilder::new(emulator.app_id(), "wrong")
            .with_endpoint(emulator.api_url())
            .build()
            .unwrap(),
        RetryPolicy::none(),
    );
    let report = wrong_key
        .disconnect(&DisconnectRequest::new(ROOM, ["alice"]))
        .await
        .unwrap();
    let error = outcome(&report, "alice").error().unwrap();
    assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    assert_eq!(error.code(), Some("UNAUTHORIZED"));
    assert!(!error.to_string().contains("wrong"), "no secret in errors");

    let report = moderator(&emulator)
        .disconnect(&DisconnectRequest::new("no-such-room", ["alice"]))
        .await
        .unwrap();
    assert_eq!(
        outcome(&report, "alice").error().unwrap().kind(),
        ErrorKind::NotFound
    );

    // Straight to the adapter: whether and when to retry is the engine's business.
    emulator
        .controls()
        .push_fault(room_moderator_emulator::Fault::Throttle {
            retry_after: Some(1),
        });
    let adapter = builder(&emulator).build().unwrap();
    let users = [UserId::from("alice")];
    let batch = Batch {
        room: &RoomId::new(ROOM),
        users: &users,
        reason: None,
        attempt: 1,
    };
    let BatchResult::Whole(error) = adapter.send_batch(batch).await else {
        panic!("a throttled token request fails the whole batch");
    };
    assert_eq!(error.kind(), ErrorKind::Throttled);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
}

#[tokio::test]
async fn a_live_participant_receives_room_disconnected() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice"]);
    let (eve, mut events) = participant(&emulator, "eve").await;
    let report = moderator(&emulator)
        .disconnect(&DisconnectRequest::new(ROOM, ["eve"]))
        .await
        .unwrap();
    assert!(matches!(outcome(&report, "eve"), Outcome::Disconnected));
    let mut names = Vec::new();
    let disconnected = loop {
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .unwrap()
            .expect("room-disconnected before the socket closed");
        names.push(event.name.clone());
        if event.name == "room-disconnected" {
            break event;
        }
    };
    assert_eq!(
        disconnected.args[0]["cause"]["msg"], "disconnected-by-moderator",
        "{names:?}"
    );
    assert!(
        names.contains(&"user-connected".to_owned()),
        "eve saw the moderator join: {names:?}"
    );
    // The server then closes eve's socket.
    assert!(
        tokio::time::timeout(Duration::from_secs(5), async {
            while events.recv().await.is_some() {}
        })
        .await
        .is_ok()
    );
    assert!(eve.is_closed());
    assert_eq!(connected_users(&emulator).await, ["alice"]);
}

#[tokio::test]
async fn behind_a_gateway_the_socket_names_the_signalling_host() {
    let config = EnablexConfig {
        gateway: true,
        ..EnablexConfig::default()
    };
    let emulator = emulator_with(config).await;
    emulator.seed_room(ROOM, ["alice", "bob"]);
    let report = moderator(&emulator)
        .disconnect(&DisconnectRequest::new(ROOM, ["alice"]))
        .await
        .unwrap();
    assert!(report.all_gone(), "{report:?}");
    assert_eq!(connected_users(&emulator).await, ["bob"]);

    // Without X-Forwarded-Host the gateway turns the socket away (during or right after connecting).
    if let Ok((client, _events)) =
        Client::connect(&emulator.signalling_url(), ClientConfig::default()).await
    {
        tokio::time::timeout(Duration::from_secs(5), async {
            while !client.is_closed() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the gateway disconnects a socket that names no host");
    }
}
