//! Remove participants from an Amazon IVS real-time stage, against the in-process emulator.
//!
//! Run with `cargo run --example ivs_stages --features ivs-stages`. Against the real service, build
//! the adapter with `IvsStages::from_env().await` instead (the standard AWS credential chain,
//! `AWS_REGION`, optionally `AWS_ENDPOINT_URL_IVS_REALTIME`), and use a real stage ARN.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use room_moderator::ivs::IvsStagesBuilder;
use room_moderator::{AdapterBuilder, DisconnectRequest, Engine, Moderator};
use room_moderator_emulator::ivschat::stages::{IvsStagesConfig, IvsStagesEmulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let emulator = IvsStagesEmulator::start(IvsStagesConfig::default(), any).await?;
    let stage = emulator.stage_arn("concert");
    // troll-1 is on two devices: each is a participant, and both are disconnected.
    emulator.seed_stage(&stage, ["host", "troll-1", "troll-1", "troll-2"]);

    // The application only ever sees `Arc<dyn Moderator>`; which provider is behind it is configuration.
    let stages: Arc<dyn Moderator> = Arc::new(Engine::new(
        IvsStagesBuilder::new()
            .with_vars(emulator.vars())
            .build()
            .await?,
    ));

    // The stage's participants are listed once, then one DisconnectParticipant per participant of
    // each user, paced to the stage API's rate.
    let request =
        DisconnectRequest::new(stage.as_str(), ["troll-1", "troll-2", "ghost"]).with_reason("raid");
    common::print_report(&stages.disconnect(&request).await?);
    println!("stage now: {:?}", emulator.members(&stage));
    Ok(())
}
