//! Adapters pointed at the embedded emulators, built once here for `demo`, `bench` and
//! `bench --compare`: each from the variables its emulator hands out, through the same key-value
//! path as `from_env`.

use room_moderator::enablex::{Enablex, EnablexBuilder};
use room_moderator::ivs::{IvsChat, IvsChatBuilder, IvsStages, IvsStagesBuilder};
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
