//! Drop participants from an EnableX video room, against the in-process emulator.
//!
//! Run with `cargo run --example enablex --features enablex`. Against EnableX itself, build the adapter
//! with `Enablex::from_env()` instead (ENABLEX_APP_ID, ENABLEX_APP_KEY, optionally ENABLEX_API_URL).
//!
//! EnableX has no REST call that drops a user: for each call the adapter creates a moderator token over
//! REST, joins the room's signalling session as a headless moderator, emits `drop` for every
//! connection of the requested users, and leaves.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use room_moderator::enablex::EnablexBuilder;
use room_moderator::{AdapterBuilder, DisconnectRequest, Engine, Moderator, RoomId};
use room_moderator_emulator::enablex::{EnablexConfig, EnablexEmulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = EnablexEmulator::start(
        EnablexConfig::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await?;
    // "troll" is on two devices: two connections, two clientIds.
    emulator.seed_room("town-hall", ["alice", "bob", "troll", "troll", "spammer"]);
    println!(
        "EnableX emulator: ENABLEX_API_URL={} ENABLEX_APP_ID={} ENABLEX_APP_KEY={}",
        emulator.api_url(),
        emulator.app_id(),
        emulator.app_key()
    );
    println!("town-hall: {} connections\n", connections(&emulator));

    // The application only ever sees `Arc<dyn Moderator>`; which provider is behind it is configuration.
    let moderator: Arc<dyn Moderator> = Arc::new(Engine::new(
        EnablexBuilder::default()
            .with_vars(emulator.vars())
            .with_moderator_name("Trust & Safety")
            .build()?,
    ));

    let request =
        DisconnectRequest::new("town-hall", ["troll", "spammer", "ghost"]).with_reason("spam");
    // EnableX's `drop` carries no reason: "reason delivered: false".
    common::print_report(&moderator.disconnect(&request).await?);
    for drop in emulator.drops() {
        println!(
            "  the emulator saw one drop of {} clientIds: {:?}",
            drop.dropped.len(),
            drop.dropped
        );
    }
    println!(
        "town-hall now: {:?} ({} connections)\n",
        emulator.members("town-hall").unwrap_or_default(),
        connections(&emulator)
    );

    // Dropping everyone is a separate, explicit call; an empty user list is refused.
    let empty = DisconnectRequest::new("town-hall", Vec::<String>::new());
    if let Err(error) = moderator.disconnect(&empty).await {
        println!("empty user list: {error}");
    }
    moderator
        .disconnect_all(&RoomId::new("town-hall"), None)
        .await?;
    println!(
        "after disconnect_all: {} connections",
        connections(&emulator)
    );
    Ok(())
}

fn connections(emulator: &EnablexEmulator) -> usize {
    emulator
        .connections("town-hall")
        .map_or(0, |connections| connections.len())
}
