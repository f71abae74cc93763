//! An IVS Chat emulator on loopback and adapters configured for it.

#![allow(dead_code)] // Each test file uses its own subset.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use room_moderator_core::{
    AdapterBuilder, DisconnectRequest, Engine, Moderator, RetryPolicy, UserReport,
};
use room_moderator_emulator::ivschat::{IvsChatConfig, IvsChatEmulator};
use room_moderator_ivs::{IvsChat, IvsChatBuilder};

pub async fn emulator() -> IvsChatEmulator {
    emulator_with(IvsChatConfig::default()).await
}

pub async fn emulator_with(config: IvsChatConfig) -> IvsChatEmulator {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    IvsChatEmulator::start(config, any)
        .await
        .expect("emulator starts")
}

/// An emulator with room `lobby` holding `users`, and the room's ARN.
pub async fn lobby(users: &[&str]) -> (IvsChatEmulator, String) {
    let ivs = emulator().await;
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, users.iter().copied());
    (ivs, room)
}

/// Disconnects `user` from `room` and returns that user's line of the report.
pub async fn kick(moderator: &dyn Moderator, room: &str, user: &str) -> UserReport {
    let report = moderator
        .disconnect(&DisconnectRequest::new(room, [user]))
        .await
        .expect("valid request");
    report.users()[0].clone()
}

/// A builder with the emulator's endpoint, region and credentials.
pub fn builder(ivs: &IvsChatEmulator) -> IvsChatBuilder {
    IvsChatBuilder::new().with_vars(ivs.vars())
}

pub async fn adapter(ivs: &IvsChatEmulator) -> IvsChat {
    builder(ivs).build().await.expect("adapter builds")
}

/// Retries without jitter and with short backoffs, so that tests reason about exact attempt counts.
pub fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(max_attempts)
        .with_backoff(Duration::from_millis(10), Duration::from_millis(40))
        .with_jitter(false)
}

/// The adapter as applications hold it.
pub fn moderator(adapter: IvsChat, retry: RetryPolicy) -> Arc<dyn Moderator> {
    Arc::new(Engine::builder(adapter).with_retry(retry).build())
}
