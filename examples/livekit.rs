//! Remove participants from a LiveKit room, against the in-process LiveKit emulator.
//!
//! Run with `cargo run --example livekit --features livekit`. The adapter reads the same variables
//! as against a real LiveKit server or LiveKit Cloud (LIVEKIT_URL, LIVEKIT_API_KEY,
//! LIVEKIT_API_SECRET), here handed out by the emulator; against the real service, use
//! `LiveKitBuilder::from_env()` instead of `with_vars`.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use room_moderator::livekit::LiveKitBuilder;
use room_moderator::{AdapterBuilder, DisconnectRequest, Engine, Moderator, RoomId};
use room_moderator_emulator::livekit::{LiveKitConfig, LiveKitEmulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let emulator = LiveKitEmulator::start(LiveKitConfig::default(), any).await?;
    emulator.seed_room("town-hall", ["host", "alice", "troll-1", "troll-2"]);
    println!("LiveKit emulator: {}", emulator.url());

    // The application only ever sees `Arc<dyn Moderator>`; which provider is behind it is configuration.
    let livekit: Arc<dyn Moderator> = Arc::new(Engine::new(
        LiveKitBuilder::default()
            .with_vars(emulator.vars())
            .build()?,
    ));

    // One RemoveParticipant call per identity; LiveKit answers not_found for "ghost", who was
    // never there, and the report says so. RemoveParticipant carries no reason.
    let request =
        DisconnectRequest::new("town-hall", ["troll-1", "troll-2", "ghost"]).with_reason("spam");
    common::print_report(&livekit.disconnect(&request).await?);
    println!("town-hall now: {:?}", emulator.members("town-hall"));

    // The member list, as a moderation dashboard would show it.
    let members = livekit.members(&RoomId::new("town-hall")).await?;
    let ids: Vec<&str> = members.iter().map(|member| member.id.as_str()).collect();
    println!("members listed: {ids:?}");
    Ok(())
}
