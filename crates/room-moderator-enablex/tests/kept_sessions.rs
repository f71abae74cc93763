//! Kept sessions ([`EnablexBuilder::with_kept_session`]) against the emulator: one session serves
//! many calls and follows the roster, rooms do not wait for each other, idle sessions leave, and so
//! does a dropped adapter.
//!
//! [`EnablexBuilder::with_kept_session`]: room_moderator_enablex::EnablexBuilder::with_kept_session

#![allow(clippy::unwrap_used)] // tests may unwrap (helpers included)

mod common;

use std::sync::Arc;
use std::time::Duration;

use room_moderator_core::{DisconnectRequest, Engine, Moderator, Outcome};
use room_moderator_emulator::enablex::{EnablexEmulator, SignallingFault};
use room_moderator_enablex::Enablex;

use common::*;

fn kept(emulator: &EnablexEmulator) -> Engine<Enablex> {
    let adapter = builder(emulator).with_kept_session(true).build().unwrap();
    Engine::builder(adapter).no_pacing().build()
}

/// A kept-session engine that has dropped alice from a room of alice and bob: its session is open.
async fn kept_after_dropping_alice(emulator: &EnablexEmulator) -> Engine<Enablex> {
    emulator.seed_room(ROOM, ["alice", "bob"]);
    let engine = kept(emulator);
    let report = engine
        .disconnect(&DisconnectRequest::new(ROOM, ["alice"]))
        .await
        .unwrap();
    assert!(report.all_gone(), "{report:?}");
    engine
}

fn live(emulator: &EnablexEmulator, room: &str) -> usize {
    emulator
        .connections(room)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.live)
        .count()
}

#[tokio::test]
async fn a_kept_session_serves_many_drops_and_follows_the_roster() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "bob"]);
    let engine = kept(&emulator);
    let report = engine
        .disconnect(&DisconnectRequest::new(ROOM, ["alice"]))
        .await
        .unwrap();
    assert!(report.all_gone());
    // Someone joins after the session opened: the first call naming them waits for the broadcast
    // instead of calling them absent.
    emulator.seed_room(ROOM, ["carol"]);
    let report = engine
        .disconnect(&DisconnectRequest::new(ROOM, ["carol"]))
        .await
        .unwrap();
    assert!(
        matches!(outcome(&report, "carol"), Outcome::Disconnected),
        "{report:?}"
    );
    // Someone who never comes is absent after the short wait.
    let report = engine
        .disconnect(&DisconnectRequest::new(ROOM, ["ghost"]))
        .await
        .unwrap();
    assert!(matches!(outcome(&report, "ghost"), Outcome::NotInRoom));
    assert_eq!(tokens(&emulator), 1, "one session for every call");
    assert_eq!(live(&emulator, ROOM), 1, "the headless moderator stays");

    // The socket is lost mid-drop: the batch fails temporarily, and the next call reconnects.
    emulator.push_signalling_fault(SignallingFault::CloseOnDrop);
    let report = engine
        .disconnect(&DisconnectRequest::new(ROOM, ["bob"]))
        .await
        .unwrap();
    assert!(report.all_gone(), "retried on a new session: {report:?}");
    assert_eq!(tokens(&emulator), 2);

    engine.adapter().close().await;
    eventually("close() leaves the room", || live(&emulator, ROOM) == 0).await;
    assert_eq!(emulator.controls().counters().violations, 0);
}

#[tokio::test]
async fn two_rooms_proceed_concurrently() {
    let emulator = emulator().await;
    emulator.seed_room("room-a", ["a1", "a2"]);
    emulator.seed_room("room-b", ["b1", "b2"]);
    let engine = Arc::new(kept(&emulator));
    // Open both rooms' sessions first, so the next acknowledged event is room A's drop.
    for (room, user) in [("room-a", "a1"), ("room-b", "b1")] {
        let report = engine
            .disconnect(&DisconnectRequest::new(room, [user]))
            .await
            .unwrap();
        assert!(report.all_gone(), "{report:?}");
    }
    // Room A's drop is acknowledged only after a long while (well within the 5 s step timeout).
    emulator.push_signalling_fault(SignallingFault::DelayAck(Duration::from_secs(4)));
    let slow = {
        let engine = Arc::clone(&engine);
        tokio::spawn(async move {
            engine
                .disconnect(&DisconnectRequest::new("room-a", ["a2"]))
                .await
        })
    };
    eventually("room A's drop reaches the server", || {
        drop_frames(&emulator).len() == 3
    })
    .await;
    // Room B does not wait for room A's lock: it is done long before A's acknowledgement.
    let report = tokio::time::timeout(
        Duration::from_secs(2),
        engine.disconnect(&DisconnectRequest::new("room-b", ["b2"])),
    )
    .await
    .expect("room B proceeds while room A waits")
    .unwrap();
    assert!(report.all_gone(), "{report:?}");
    assert!(!slow.is_finished(), "room A is still waiting for its ack");
    let report = slow.await.unwrap().unwrap();
    assert!(report.all_gone(), "{report:?}");
    assert_eq!(tokens(&emulator), 2, "one session per room");
}

#[tokio::test]
async fn an_idle_kept_session_leaves_the_room() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "bob"]);
    let adapter = builder(&emulator)
        .with_kept_session(true)
        .with_kept_session_idle(Duration::from_millis(100))
        .build()
        .unwrap();
    let engine = Engine::builder(adapter).no_pacing().build();
    let report = engine
        .disconnect(&DisconnectRequest::new(ROOM, ["alice"]))
        .await
        .unwrap();
    assert!(report.all_gone());
    eventually("the idle session leaves", || !moderator_in(&emulator, ROOM)).await;
    assert_eq!(drop_frames(&emulator).len(), 1, "leaving sends no drop");
    // The next call opens a new session.
    let report = engine
        .disconnect(&DisconnectRequest::new(ROOM, ["bob"]))
        .await
        .unwrap();
    assert!(report.all_gone());
    assert_eq!(tokens(&emulator), 2);
}

#[tokio::test]
async fn a_dropped_adapter_leaves_its_rooms() {
    let emulator = emulator().await;
    let engine = kept_after_dropping_alice(&emulator).await;
    assert!(moderator_in(&emulator, ROOM));
    drop(engine);
    eventually("the dropped adapter's session leaves", || {
        !moderator_in(&emulator, ROOM)
    })
    .await;
    assert_eq!(connected_users(&emulator).await, ["bob"]);
    assert_eq!(drop_frames(&emulator).len(), 1);
}

#[tokio::test]
async fn disconnect_all_retires_the_kept_session_first() {
    let emulator = emulator().await;
    let engine = kept_after_dropping_alice(&emulator).await;
    engine.disconnect_all(&ROOM.into(), None).await.unwrap();
    assert!(settled_connections(&emulator).await.is_empty());
    let drops = emulator.drops();
    assert_eq!(drops.len(), 2);
    assert!(drops[1].all);
    assert_eq!(
        tokens(&emulator),
        2,
        "disconnect_all joins on its own session"
    );
}
