//! Fixtures shared by the tests that run the adapter against the EnableX emulator.

#![allow(clippy::unwrap_used, dead_code)] // tests may unwrap; not every test binary uses every helper

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tokio::sync::mpsc::Receiver;

use room_moderator_core::{AdapterBuilder, Engine, Moderator, Outcome, Report, RetryPolicy};
use room_moderator_emulator::enablex::{Connection, EnablexConfig, EnablexEmulator};
use room_moderator_enablex::{DEFAULT_MODERATOR_REF, Enablex, EnablexBuilder};
use socketio2_client::{Client, ClientConfig, Event};

/// The room most tests use.
pub const ROOM: &str = "lobby";

/// How long a test waits for something the emulator does asynchronously (a socket it sees close, a
/// broadcast): generous, because the wait ends as soon as the condition holds.
pub const EVENTUALLY: Duration = Duration::from_secs(10);

pub async fn emulator() -> EnablexEmulator {
    emulator_with(EnablexConfig::default()).await
}

pub async fn emulator_with(config: EnablexConfig) -> EnablexEmulator {
    EnablexEmulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

pub fn builder(emulator: &EnablexEmulator) -> EnablexBuilder {
    EnablexBuilder::default()
        .with_vars(emulator.vars())
        .with_timeout(Duration::from_secs(5))
}

pub fn moderator_with(adapter: Enablex, retry: RetryPolicy) -> Arc<dyn Moderator> {
    Arc::new(
        Engine::builder(adapter)
            .with_retry(retry.with_backoff(Duration::from_millis(10), Duration::from_millis(50)))
            .no_pacing()
            .build(),
    )
}

pub fn moderator(emulator: &EnablexEmulator) -> Arc<dyn Moderator> {
    moderator_with(builder(emulator).build().unwrap(), RetryPolicy::none())
}

pub fn outcome<'a>(report: &'a Report, user: &str) -> &'a Outcome {
    report.outcome(&user.into()).unwrap()
}

/// Waits until `condition` holds, or fails the test after [`EVENTUALLY`].
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(EVENTUALLY, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "still waiting after {EVENTUALLY:?}: {what}");
}

/// Whether a headless moderator (ours, by its default `user_ref`) is connected to `room`.
pub fn moderator_in(emulator: &EnablexEmulator, room: &str) -> bool {
    emulator
        .connections(room)
        .unwrap_or_default()
        .iter()
        .any(|c| c.user_ref == DEFAULT_MODERATOR_REF)
}

/// The room's connections once the headless moderator has left (the server sees its socket close a
/// moment after the call returns).
pub async fn settled_connections(emulator: &EnablexEmulator) -> Vec<Connection> {
    eventually("the headless moderator leaves", || {
        !moderator_in(emulator, ROOM)
    })
    .await;
    emulator.connections(ROOM).unwrap()
}

/// The `user_ref`s in the room once the headless moderator has left, sorted.
pub async fn connected_users(emulator: &EnablexEmulator) -> Vec<String> {
    let mut users: Vec<String> = settled_connections(emulator)
        .await
        .into_iter()
        .map(|c| c.user_ref)
        .collect();
    users.sort();
    users
}

/// How many tokens were requested (one per session).
pub fn tokens(emulator: &EnablexEmulator) -> usize {
    emulator
        .controls()
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .count()
}

/// Every `drop` payload the emulator received, as sent.
pub fn drop_frames(emulator: &EnablexEmulator) -> Vec<Value> {
    emulator
        .frames()
        .into_iter()
        .filter(|frame| frame.event == "drop")
        .map(|frame| frame.data)
        .collect()
}

/// A real participant on a socket: joins with its own token, sees itself dropped.
pub async fn participant(emulator: &EnablexEmulator, user_ref: &str) -> (Client, Receiver<Event>) {
    let body: Value = reqwest::Client::new()
        .post(format!("{}rooms/{ROOM}/tokens", emulator.api_url()))
        .basic_auth(emulator.app_id(), Some(emulator.app_key()))
        .json(&json!({"name": user_ref, "role": "participant", "user_ref": user_ref}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    join_with(emulator, body["token"].as_str().unwrap()).await
}

/// Joins the room on a real socket with `token` (as EnableX issues it, base64 JSON), as a web
/// client of SDK 2.0.0 would; the room says it is connected.
pub async fn join_with(emulator: &EnablexEmulator, token: &str) -> (Client, Receiver<Event>) {
    let mut token: Value = serde_json::from_slice(&STANDARD.decode(token).unwrap()).unwrap();
    token["version"] = json!("2.0.0");
    token["hostType"] = json!("web");
    let (client, mut events) = Client::connect(&emulator.signalling_url(), ClientConfig::default())
        .await
        .unwrap();
    let ack = client
        .emit_with_ack("token", vec![token], Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(ack[0]["result"], 0, "{ack:?}");
    let connected = events.recv().await.unwrap();
    assert_eq!(connected.name, "room-connected");
    (client, events)
}
