//! Remove users from a ZEGO ZIM chat room and an Express RTC room, against the in-process emulator.
//!
//! Run with `cargo run --example zego --features zego`. The adapters read the same variables as
//! against the real service (ZEGO_APP_ID, ZEGO_SERVER_SECRET, optionally ZEGO_REGION or
//! ZEGO_ENDPOINT), here handed out by the emulator; against the real service, use
//! `ZegoZimBuilder::from_env()` / `ZegoRtcBuilder::from_env()` instead of `with_vars`.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use room_moderator::zego::{ZegoRtcBuilder, ZegoZimBuilder};
use room_moderator::{AdapterBuilder, DisconnectRequest, Engine, Moderator};
use room_moderator_emulator::zego::{ZegoConfig, ZegoEmulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let emulator = ZegoEmulator::start(ZegoConfig::default(), any, any).await?;
    emulator
        .zim()
        .seed_room("lobby", ["alice", "bob", "troll-1", "troll-2"]);
    emulator.rtc().seed_room("stage", ["host", "heckler"]);
    println!(
        "ZEGO emulator: ZIM {} / RTC {} (AppId {})",
        emulator.zim().url(),
        emulator.rtc().url(),
        emulator.app_id()
    );

    // The application only ever sees `Arc<dyn Moderator>`; which provider is behind it is configuration.
    let zim: Arc<dyn Moderator> = Arc::new(Engine::new(
        ZegoZimBuilder::default()
            .with_vars(emulator.zim_vars())
            .with_from_user_id("moderation-bot")
            .build()?,
    ));
    let rtc: Arc<dyn Moderator> = Arc::new(Engine::new(
        ZegoRtcBuilder::default()
            .with_vars(emulator.rtc_vars())
            .build()?,
    ));

    let chat = DisconnectRequest::new("lobby", ["troll-1", "troll-2", "ghost"]).with_reason("spam");
    common::print_report(&zim.disconnect(&chat).await?);
    println!("lobby now: {:?}\n", emulator.zim().members("lobby"));

    // RTC answers success for users who are not in the room, so "ghost" reads as disconnected here.
    let stage = DisconnectRequest::new("stage", ["heckler", "ghost"]).with_reason("heckling");
    common::print_report(&rtc.disconnect(&stage).await?);
    println!("stage now: {:?}", emulator.rtc().members("stage"));
    Ok(())
}
