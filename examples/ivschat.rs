//! Remove users from an Amazon IVS Chat room, against the in-process IVS Chat emulator.
//!
//! Run with `cargo run --example ivschat --features ivschat`. Against the real service, build the
//! adapter with `IvsChat::from_env().await` instead (the standard AWS credential chain, `AWS_REGION`,
//! optionally `AWS_ENDPOINT_URL_IVSCHAT`), and use a real room ARN.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use room_moderator::ivs::IvsChatBuilder;
use room_moderator::{AdapterBuilder, DisconnectRequest, Engine, Moderator};
use room_moderator_emulator::ivschat::{IvsChatConfig, IvsChatEmulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let emulator = IvsChatEmulator::start(IvsChatConfig::default(), any).await?;
    let room = emulator.room_arn("town-hall");
    emulator.seed_room(&room, ["alice", "bob", "troll-1", "troll-2"]);
    println!(
        "IVS Chat emulator: {} (region {}, access key {})",
        emulator.base_url(),
        emulator.region(),
        emulator.access_key_id()
    );

    // The application only ever sees `Arc<dyn Moderator>`; which provider is behind it is configuration.
    let ivs: Arc<dyn Moderator> = Arc::new(Engine::new(
        IvsChatBuilder::new()
            .with_vars(emulator.vars())
            .build()
            .await?,
    ));

    // One DisconnectUser call per user, paced to IVS's 100 requests per second. IVS does not say whether
    // a user was connected, so "ghost" reads as disconnected too.
    let request =
        DisconnectRequest::new(&room, ["troll-1", "troll-2", "ghost"]).with_reason("spam");
    common::print_report(&ivs.disconnect(&request).await?);
    println!("{room} now: {:?}\n", emulator.members(&room));

    // A room the account does not have: every user fails with NotFound and the AWS code.
    let missing = DisconnectRequest::new(emulator.room_arn("nowhere"), ["alice"]);
    common::print_report(&ivs.disconnect(&missing).await?);

    // Not an ARN: refused before anything is sent.
    match ivs
        .disconnect(&DisconnectRequest::new("town-hall", ["alice"]))
        .await
    {
        Ok(_) => println!("unexpectedly accepted"),
        Err(error) => println!("\nrefused locally: {error}"),
    }
    println!(
        "emulator saw {} request(s)",
        emulator.controls().counters().requests
    );
    Ok(())
}
