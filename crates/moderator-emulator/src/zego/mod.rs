//! The ZEGOCLOUD emulator: ZIM `KickoutRoomUser` and Express RTC `KickoutUser`, each on its own
//! listener, speaking ZEGO's wire protocol (`GET /?Action=...&<signed public parameters>&...`, answers
//! `{"Code","Message","RequestId"}` with HTTP 200).
//!
//! It checks AppId, SignatureVersion, the signature with the configured ServerSecret and the 10-minute
//! timestamp window, the documented limits, and the per-AppID rate limit, answering the documented
//! codes. Rooms are seeded through [`ZegoService::seed_room`] or the admin API
//! (`PUT /_emulator/rooms/{room}` on either listener).
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use moderator_emulator::zego::{ZegoConfig, ZegoEmulator};
//! # async fn demo() -> std::io::Result<()> {
//! let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
//! let zego = ZegoEmulator::start(ZegoConfig::default(), any, any).await?;
//! zego.zim().seed_room("lobby", ["alice", "troll"]);
//! println!("ZIM at {} (AppId {}, ServerSecret {})", zego.zim().url(), zego.app_id(), zego.server_secret());
//! # Ok(()) }
//! ```

mod auth;
mod rtc;
mod service;
mod wire;
mod zim;

use std::io;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use serde::Serialize;

pub use service::ZegoService;

use service::Product;

/// The AppId the emulator accepts by default (a fixed test credential).
pub const DEFAULT_APP_ID: u32 = 1_234_567_890;
/// The ServerSecret the emulator accepts by default (a fixed test credential).
pub const DEFAULT_SERVER_SECRET: &str = "0123456789abcdef0123456789abcdef";

/// What a ZIM call with several users answers when some of them are not in the room. ZEGO's docs do
/// not say (UNVERIFIED); both readings can be emulated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PartialBatch {
    /// Nobody is removed and the call fails with 660300002, naming no user.
    #[default]
    FailWhole,
    /// The users present are removed, and the call still answers 660300002.
    RemovePresent,
}

/// ZEGO emulator settings. The defaults are the documented values and the fixed test credentials.
#[derive(Clone, Debug)]
pub struct ZegoConfig {
    /// The AppId accepted ([`DEFAULT_APP_ID`]).
    pub app_id: u32,
    /// The ServerSecret signatures are checked with ([`DEFAULT_SERVER_SECRET`]).
    pub server_secret: String,
    /// ZIM's answer to a multi-user call where some users are absent.
    pub zim_partial: PartialBatch,
    /// ZIM's per-AppID rate limit (20/s); over it, code 660300005.
    pub zim_rate_per_second: Option<NonZeroU32>,
    /// RTC's per-AppID rate limit (50/s); over it, code 206.
    pub rtc_rate_per_second: Option<NonZeroU32>,
    /// How far `Timestamp` may be from the emulator's clock (10 minutes); beyond it, code 100000004.
    pub max_clock_skew: Duration,
    /// Whether a `SignatureNonce` seen within `max_clock_skew` is rejected with 100000005. Whether ZEGO
    /// does this is UNVERIFIED; on by default so that clients reusing signatures are caught.
    pub reject_reused_nonce: bool,
}

impl Default for ZegoConfig {
    fn default() -> Self {
        ZegoConfig {
            app_id: DEFAULT_APP_ID,
            server_secret: DEFAULT_SERVER_SECRET.to_owned(),
            zim_partial: PartialBatch::FailWhole,
            zim_rate_per_second: NonZeroU32::new(20),
            rtc_rate_per_second: NonZeroU32::new(50),
            max_clock_skew: Duration::from_secs(600),
            reject_reused_nonce: true,
        }
    }
}

/// One removal the emulator performed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Kick {
    /// The room.
    pub room: String,
    /// The removed user.
    pub user: String,
    /// `CustomReason`, decoded.
    pub reason: Option<String>,
    /// ZIM `FromUserId`, decoded.
    pub from_user_id: Option<String>,
}

/// The running ZEGO emulators: ZIM and Express RTC. Dropping it stops them.
#[derive(Debug)]
pub struct ZegoEmulator {
    config: ZegoConfig,
    zim: ZegoService,
    rtc: ZegoService,
}

impl ZegoEmulator {
    /// Starts ZIM on `zim_addr` and RTC on `rtc_addr` (port 0 picks a free port).
    pub async fn start(
        config: ZegoConfig,
        zim_addr: SocketAddr,
        rtc_addr: SocketAddr,
    ) -> io::Result<Self> {
        let zim = ZegoService::start(Product::Zim, config.clone(), zim_addr).await?;
        let rtc = ZegoService::start(Product::Rtc, config.clone(), rtc_addr).await?;
        Ok(ZegoEmulator { config, zim, rtc })
    }

    /// The ZIM (`KickoutRoomUser`) emulator.
    pub fn zim(&self) -> &ZegoService {
        &self.zim
    }

    /// The Express RTC (`KickoutUser`) emulator.
    pub fn rtc(&self) -> &ZegoService {
        &self.rtc
    }

    /// The AppId both products accept.
    pub fn app_id(&self) -> u32 {
        self.config.app_id
    }

    /// The ServerSecret both products check signatures with.
    pub fn server_secret(&self) -> &str {
        &self.config.server_secret
    }

    /// The settings it runs with.
    pub fn config(&self) -> &ZegoConfig {
        &self.config
    }
}

#[cfg(test)]
mod tests;
