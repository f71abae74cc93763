//! Adapters pointed at the embedded emulators, built once here for `demo`, `bench` and
//! `bench --compare`.

use room_moderator::enablex::{Enablex, EnablexBuilder};
use room_moderator::ivs::{IvsChat, IvsChatBuilder};
use room_moderator::zego::{ZegoRtc, ZegoRtcBuilder, ZegoZim, ZegoZimBuilder};
use room_moderator_emulator::Emulator;

use crate::Failure;

/// ZEGO ZIM against the emulator.
pub fn zim(emulator: &Emulator) -> Result<ZegoZim, Failure> {
    let zego = emulator.zego();
    ZegoZimBuilder::new(zego.app_id(), zego.server_secret())
        .with_endpoint(zego.zim().url())
        .build()
        .map_err(Failure::Config)
}

/// ZEGO Express RTC against the emulator.
pub fn rtc(emulator: &Emulator) -> Result<ZegoRtc, Failure> {
    let zego = emulator.zego();
    ZegoRtcBuilder::new(zego.app_id(), zego.server_secret())
        .with_endpoint(zego.rtc().url())
        .build()
        .map_err(Failure::Config)
}

/// IVS Chat against the emulator, with its static test credentials.
pub async fn ivschat(emulator: &Emulator) -> Result<IvsChat, Failure> {
    let ivs = emulator.ivschat();
    IvsChatBuilder::new()
        .with_endpoint(ivs.base_url())
        .with_region(ivs.region())
        .with_credentials(ivs.access_key_id(), ivs.secret_access_key(), None)
        .build()
        .await
        .map_err(Failure::Config)
}

/// EnableX against the emulator.
pub fn enablex(emulator: &Emulator) -> Result<Enablex, Failure> {
    let enablex = emulator.enablex();
    EnablexBuilder::new(enablex.app_id(), enablex.app_key())
        .with_endpoint(enablex.api_url())
        .build()
        .map_err(Failure::Config)
}
