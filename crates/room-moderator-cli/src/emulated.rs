//! Adapters pointed at the embedded emulators, built once here for `demo`, `bench` and
//! `bench --compare`: each from the variables its emulator hands out, through the same key-value
//! path as `from_env`.

use room_moderator::agora::{AgoraChat, AgoraChatBuilder, AgoraRtc, AgoraRtcBuilder};
use room_moderator::enablex::{Enablex, EnablexBuilder};
use room_moderator::ivs::{IvsChat, IvsChatBuilder, IvsStages, IvsStagesBuilder};
use room_moderator::livekit::{LiveKit, LiveKitBuilder};
use room_moderator::zego::{ZegoRtc, ZegoRtcBuilder, ZegoZim, ZegoZimBuilder};
use room_moderator::{AdapterBuilder, Provider};
use room_moderator_emulator::Emulator;

use crate::Failure;

/// The adapter of `B` configured from `emulator`'s variables for `provider`.
async fn from_emulator<B: AdapterBuilder>(
    emulator: &Emulator,
    provider: Provider,
) -> Result<B::Adapter, Failure> {
    B::default()
        .with_vars(emulator.vars(provider.name()))
        .build()
        .await
        .map_err(Failure::Config)
}

/// ZEGO ZIM against the emulator.
pub async fn zim(emulator: &Emulator) -> Result<ZegoZim, Failure> {
    from_emulator::<ZegoZimBuilder>(emulator, Provider::ZegoZim).await
}

/// ZEGO Express RTC against the emulator.
pub async fn rtc(emulator: &Emulator) -> Result<ZegoRtc, Failure> {
    from_emulator::<ZegoRtcBuilder>(emulator, Provider::ZegoRtc).await
}

/// IVS Chat against the emulator, with its static test credentials.
pub async fn ivschat(emulator: &Emulator) -> Result<IvsChat, Failure> {
    from_emulator::<IvsChatBuilder>(emulator, Provider::IvsChat).await
}

/// IVS real-time stages against the emulator, with its static test credentials.
pub async fn ivs_stages(emulator: &Emulator) -> Result<IvsStages, Failure> {
    from_emulator::<IvsStagesBuilder>(emulator, Provider::IvsStages).await
}

/// EnableX against the emulator.
pub async fn enablex(emulator: &Emulator) -> Result<Enablex, Failure> {
    from_emulator::<EnablexBuilder>(emulator, Provider::Enablex).await
}

/// LiveKit against the emulator (LiveKit Cloud's 1,000 requests a minute).
pub async fn livekit(emulator: &Emulator) -> Result<LiveKit, Failure> {
    from_emulator::<LiveKitBuilder>(emulator, Provider::LiveKit).await
}

/// Agora RTC against the emulator: the account's first App ID, or `app_id` (another App ID of the
/// same account, whose rule quota it shares).
pub fn agora_rtc(emulator: &Emulator, app_id: Option<&str>) -> Result<AgoraRtc, Failure> {
    let rtc = emulator.agora().rtc();
    AgoraRtcBuilder::new(
        app_id.map_or_else(|| rtc.app_id(), str::to_owned),
        rtc.customer_id(),
        rtc.customer_secret(),
    )
    .with_endpoint(rtc.base_url())
    .build()
    .map_err(Failure::Config)
}

/// Agora Chat against the emulator.
pub fn agora_chat(emulator: &Emulator) -> Result<AgoraChat, Failure> {
    let chat = emulator.agora().chat();
    AgoraChatBuilder::new(chat.app_id(), chat.certificate())
        .with_app_key(chat.org(), chat.app())
        .with_endpoint(chat.base_url())
        .build()
        .map_err(Failure::Config)
}
