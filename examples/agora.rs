//! Remove users from an Agora RTC channel and an Agora Chat room, against the in-process emulators.
//!
//! Run with `cargo run --example agora --features agora`. The adapters read the same variables as
//! against the real service (AGORA_APP_ID, AGORA_CUSTOMER_ID and AGORA_CUSTOMER_SECRET for RTC;
//! AGORA_APP_ID, AGORA_APP_CERTIFICATE, AGORA_CHAT_HOST, AGORA_CHAT_ORG and AGORA_CHAT_APP for
//! Chat), here handed out by the emulators; against the real service, use
//! `AgoraRtcBuilder::from_env()` / `AgoraChatBuilder::from_env()` instead of `with_vars`.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use room_moderator::agora::{AgoraChatBuilder, AgoraRtcBuilder};
use room_moderator::{AdapterBuilder, DisconnectRequest, Engine, Moderator};
use room_moderator_emulator::agora::{AgoraConfig, AgoraEmulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let emulator = AgoraEmulator::start(AgoraConfig::default(), any, any).await?;
    emulator.rtc().seed_channel("show", [1001, 1002, 4242]);
    emulator
        .chat()
        .seed_room("66213271109633", Some("host"), ["alice", "troll"]);

    // The application only ever sees `Arc<dyn Moderator>`; which provider is behind it is configuration.
    let rtc: Arc<dyn Moderator> = Arc::new(Engine::new(
        AgoraRtcBuilder::default()
            .with_vars(emulator.rtc().vars())
            .build()?,
    ));
    let chat: Arc<dyn Moderator> = Arc::new(Engine::new(
        AgoraChatBuilder::default()
            .with_vars(emulator.chat().vars())
            .build()?,
    ));

    // RTC: one kicking rule a uid (Agora's REST API knows numeric uids only), paced to the
    // account's 10 rule calls a second.
    let channel = DisconnectRequest::new("show", ["4242"]).with_reason("raid");
    common::print_report(&rtc.disconnect(&channel).await?);
    println!("show now: {:?}\n", emulator.rtc().online("show"));

    // A string account is refused before anything is sent, with what to do instead.
    match rtc
        .disconnect(&DisconnectRequest::new("show", ["troll"]))
        .await
    {
        Ok(_) => println!("unexpectedly accepted"),
        Err(error) => println!("refused locally: {error}\n"),
    }

    // Chat: members removed in batches; "ghost" is not a member and reads not_in_room.
    let room = DisconnectRequest::new("66213271109633", ["troll", "ghost"]).with_reason("spam");
    common::print_report(&chat.disconnect(&room).await?);
    println!(
        "chat room now: {:?}",
        emulator.chat().members("66213271109633")
    );
    Ok(())
}
