//! What the adapter must never do, checked against the emulator's recording of every frame it
//! received: call users absent from a roster it did not see, send a `drop` that could reach anyone
//! not asked for, change a clientId's JSON type, or drop the moderator's own sessions.

#![allow(clippy::unwrap_used)] // tests may unwrap (helpers included)

mod common;

use std::time::Duration;

use serde_json::{Value, json};

use room_moderator_core::{DisconnectRequest, ErrorKind, Moderator, Outcome, RetryPolicy, RoomId};
use room_moderator_emulator::enablex::{EnablexConfig, EnablexEmulator, RosterWithholding};
use room_moderator_enablex::DEFAULT_MODERATOR_REF;

use common::*;

#[tokio::test]
async fn a_room_answering_without_a_roster_fails_every_user_with_protocol() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "bob"]);
    for mode in [
        RosterWithholding::Missing,
        RosterWithholding::Null,
        RosterWithholding::NotAList,
    ] {
        emulator.withhold_roster(Some(mode));
        let report = moderator(&emulator)
            .disconnect(&DisconnectRequest::new(ROOM, ["alice", "ghost"]))
            .await
            .unwrap();
        for user in ["alice", "ghost"] {
            let error = outcome(&report, user)
                .error()
                .unwrap_or_else(|| panic!("{mode:?}: {user} must fail, not be called absent"));
            assert_eq!(error.kind(), ErrorKind::Protocol, "{mode:?}: {error}");
            assert!(error.message().contains("nobody was dropped"), "{error}");
        }
        assert!(!report.all_gone());
    }
    assert!(drop_frames(&emulator).is_empty(), "nothing was dropped");
    assert_eq!(connected_users(&emulator).await, ["alice", "bob"]);
}

#[tokio::test]
async fn the_admin_route_withholds_the_roster_too() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice"]);
    let route = format!(
        "{}/_emulator/enablex/roster-withholding",
        emulator.base_url()
    );
    let http = reqwest::Client::new();
    let answer = http
        .put(&route)
        .json(&json!({"mode": "null"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let request = DisconnectRequest::new(ROOM, ["alice"]);
    let report = moderator(&emulator).disconnect(&request).await.unwrap();
    assert_eq!(
        outcome(&report, "alice").error().unwrap().kind(),
        ErrorKind::Protocol
    );
    http.delete(&route).send().await.unwrap();
    let report = moderator(&emulator).disconnect(&request).await.unwrap();
    assert!(report.all_gone(), "{report:?}");
}

#[tokio::test]
async fn a_late_roster_is_waited_for_within_the_timeout_and_never_read_as_empty() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "bob"]);
    emulator.withhold_roster(Some(RosterWithholding::Late { millis: 300 }));
    let report = moderator(&emulator)
        .disconnect(&DisconnectRequest::new(ROOM, ["alice"]))
        .await
        .unwrap();
    assert!(report.all_gone(), "{report:?}");

    // Later than the step timeout: a timeout (temporary), not an empty room.
    emulator.withhold_roster(Some(RosterWithholding::Late { millis: 3_000 }));
    let impatient = moderator_with(
        builder(&emulator)
            .with_timeout(Duration::from_millis(500))
            .build()
            .unwrap(),
        RetryPolicy::none(),
    );
    let report = impatient
        .disconnect(&DisconnectRequest::new(ROOM, ["bob", "ghost"]))
        .await
        .unwrap();
    for user in ["bob", "ghost"] {
        let error = outcome(&report, user).error().unwrap();
        assert_eq!(error.kind(), ErrorKind::Timeout, "{user}: {error}");
    }
    assert_eq!(emulator.drops().len(), 1, "only alice's drop");
}

/// `{"all": false, "clientIds": [at least one id]}`.
fn drops_listed_connections(frame: &Value) -> bool {
    let Some(object) = frame.as_object() else {
        return false;
    };
    let ids = object.get("clientIds").and_then(Value::as_array);
    object.len() == 2
        && object.get("all") == Some(&json!(false))
        && ids.is_some_and(|ids| !ids.is_empty())
}

#[tokio::test]
async fn only_safe_drop_frames_are_ever_sent_leaving_included() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "bob", "carol", "dave"]);
    let short = moderator(&emulator);
    // A drop, a batch with nobody present, a refused participant session, then kept sessions
    // (several drops, a leave on close), then disconnect_all.
    short
        .disconnect(&DisconnectRequest::new(ROOM, ["alice", "ghost"]))
        .await
        .unwrap();
    short
        .disconnect(&DisconnectRequest::new(ROOM, ["ghost"]))
        .await
        .unwrap();
    emulator.force_token_role(Some("participant"));
    short
        .disconnect(&DisconnectRequest::new(ROOM, ["bob"]))
        .await
        .unwrap();
    emulator.force_token_role(None);
    let adapter = builder(&emulator).with_kept_session(true).build().unwrap();
    let engine = room_moderator_core::Engine::builder(adapter)
        .no_pacing()
        .build();
    for user in ["bob", "carol"] {
        let report = engine
            .disconnect(&DisconnectRequest::new(ROOM, [user]))
            .await
            .unwrap();
        assert!(report.all_gone(), "{report:?}");
    }
    engine.adapter().close().await;
    eventually("the kept session leaves", || !moderator_in(&emulator, ROOM)).await;
    short
        .disconnect_all(&RoomId::new(ROOM), None)
        .await
        .unwrap();
    eventually("the last session leaves", || !moderator_in(&emulator, ROOM)).await;

    let frames = drop_frames(&emulator);
    let (listed, others): (Vec<&Value>, Vec<&Value>) =
        frames.iter().partition(|f| drops_listed_connections(f));
    assert_eq!(listed.len(), 3, "alice, bob, carol: {frames:?}");
    assert_eq!(
        others,
        [&json!({"all": true})],
        "the only other drop is disconnect_all's"
    );
    assert_eq!(emulator.controls().counters().violations, 0);
}

/// Drops alice in a one-call session; returns every `drop` payload sent.
async fn drop_alice(emulator: &EnablexEmulator) -> Vec<Value> {
    let report = moderator(emulator)
        .disconnect(&DisconnectRequest::new(ROOM, ["alice"]))
        .await
        .unwrap();
    assert!(report.all_gone(), "{report:?}");
    drop_frames(emulator)
}

#[tokio::test]
async fn numeric_client_ids_go_back_as_numbers() {
    let emulator = emulator_with(EnablexConfig {
        numeric_client_ids: true,
        ..EnablexConfig::default()
    })
    .await;
    emulator.seed_room(ROOM, ["alice", "alice", "bob"]);
    let frames = drop_alice(&emulator).await;
    assert_eq!(frames.len(), 1);
    let ids = frames[0]["clientIds"].as_array().unwrap();
    assert_eq!(ids.len(), 2);
    assert!(
        ids.iter().all(Value::is_u64),
        "numbers stay numbers: {ids:?}"
    );
    assert_eq!(connected_users(&emulator).await, ["bob"]);
}

#[tokio::test]
async fn string_client_ids_stay_strings() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice"]);
    let frames = drop_alice(&emulator).await;
    assert!(frames[0]["clientIds"][0].is_string(), "{frames:?}");
}

#[tokio::test]
async fn the_moderators_own_user_ref_is_refused_before_sending() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice"]);
    let error = moderator(&emulator)
        .disconnect(&DisconnectRequest::new(
            ROOM,
            ["alice", DEFAULT_MODERATOR_REF],
        ))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains(DEFAULT_MODERATOR_REF), "{error}");
    assert_eq!(emulator.controls().counters().requests, 0, "nothing sent");
}

#[tokio::test]
async fn concurrent_batches_never_drop_each_others_sessions() {
    let emulator = emulator().await;
    let users: Vec<String> = (0..6).map(|n| format!("user-{n}")).collect();
    emulator.seed_room(ROOM, users.iter().cloned());
    // One user per call, all at once: each call's session sees the sibling sessions in its roster.
    let adapter = builder(&emulator)
        .with_max_users_per_call(1)
        .build()
        .unwrap();
    let engine = room_moderator_core::Engine::builder(adapter)
        .no_pacing()
        .with_max_concurrency(6)
        .build();
    let report = engine
        .disconnect(&DisconnectRequest::new(ROOM, users.iter().cloned()))
        .await
        .unwrap();
    for user in &users {
        assert!(
            matches!(outcome(&report, user), Outcome::Disconnected),
            "{user}: {report:?}"
        );
    }
    for frame in drop_frames(&emulator) {
        assert_eq!(frame["clientIds"].as_array().map(Vec::len), Some(1));
    }
    assert!(connected_users(&emulator).await.is_empty());
}
