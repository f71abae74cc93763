//! The ZEGOCLOUD emulator: ZIM (`KickoutRoomUser`, `QueryRoomUserList`, `QueryRoomMembers`) and
//! Express RTC (`KickoutUser`, `DescribeUserList`, `SetForbidUserRule`, `DelForbidUserRule`,
//! `DescribeForbidUserRules`), each product on its own
//! listener, speaking ZEGO's wire protocol (`GET /?Action=...&<signed public parameters>&...`, answers
//! `{"Code","Message","RequestId"}` with HTTP 200).
//!
//! It checks AppId, SignatureVersion, the signature with the configured ServerSecret and the 10-minute
//! timestamp window, the documented limits, and the per-AppID rate limit, answering the documented
//! codes. Rooms are seeded through [`ZegoService::seed_room`] or the admin API
//! (`PUT /_emulator/rooms/{room}` on either listener); a client joining goes through
//! [`ZegoService::login`] (`POST /_emulator/rooms/{room}/login`), which RTC ban rules can refuse, or,
//! presenting the login token ("token04") a real client logs in with, through
//! [`ZegoService::login_with_token`] (the same route with `"token"`), which also checks the token.
//!
//! Beyond the kick's per-AppID quota, each API's documented limit is enforced with its own code:
//! `QueryRoomMembers` 5/s per room (660300006), `DescribeUserList` 1/s per room (207) and 200/s per
//! AppID (206), `SetForbidUserRule` and `DelForbidUserRule` 10/s per AppID together (206),
//! `DescribeForbidUserRules` 1/s (206). ZIM's room APIs also draw from the kick's 20/s (UNVERIFIED;
//! the conservative reading); RTC's do not draw from `KickoutUser`'s 50/s.
//!
//! Where ZEGO's docs give two readings, a switch picks one, in [`ZegoConfig`] at start and on
//! [`ZegoService`] while running (`POST /_emulator/zego/settings` with `members_spelling`
//! `"current"|"legacy"`, `end_marker` `"empty"|"zero"`, `ban_rules_enabled`, `api_rate_limits`,
//! `max_ban_rules`).
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use room_moderator_emulator::zego::{ZegoConfig, ZegoEmulator};
//! # async fn demo() -> std::io::Result<()> {
//! let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
//! let zego = ZegoEmulator::start(ZegoConfig::default(), any, any).await?;
//! zego.zim().seed_room("lobby", ["alice", "troll"]);
//! println!("ZIM at {} (AppId {}, ServerSecret {})", zego.zim().url(), zego.app_id(), zego.server_secret());
//! # Ok(()) }
//! ```

mod auth;
pub mod callback;
mod forbid;
mod limits;
mod listing;
mod rtc;
mod service;
mod token;
mod wire;
mod zim;

use std::io;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use callback::ZegoCallbackStyle;
pub use forbid::{ForbidRule, Login, LoginRefused};
pub use service::{TokenLoginError, ZegoService};
pub use token::TokenRefusal;

use service::Product;

/// The AppId the emulator accepts by default (a fixed test credential).
pub const DEFAULT_APP_ID: u32 = 1_234_567_890;
/// The ServerSecret the emulator accepts by default (a fixed test credential).
pub const DEFAULT_SERVER_SECRET: &str = "0123456789abcdef0123456789abcdef";
/// The CallbackSecret the emulator signs room callbacks with by default (a fixed test credential,
/// distinct from the ServerSecret as in ZEGO's console).
pub const DEFAULT_CALLBACK_SECRET: &str = "emulator-zego-callback-secret-01";

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

/// How ZIM `QueryRoomMembers` spells its answer: ZEGO's docs changed the field names in 2025 and
/// which the live server sends is UNVERIFIED (docs/providers/presence.md). In JSON: `"current"` or `"legacy"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembersSpelling {
    /// `UserList: [{user_id, user_name, avatar, extra}]` and `ErrorList: [{UserId, SubCode}]`.
    #[default]
    Current,
    /// `UserList: [{UserId, UserName}]` and `ErrorUser: [{UserId, SubCode}]`.
    Legacy,
}

/// What `NextFlag` says on the last page of ZIM `QueryRoomUserList`: the docs say both (docs/providers/presence.md).
/// In JSON: `"empty"` or `"zero"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndMarker {
    /// `""`.
    #[default]
    Empty,
    /// `"0"`.
    Zero,
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
    /// How ZIM `QueryRoomMembers` spells its answer ([`MembersSpelling::Current`]).
    pub zim_members_spelling: MembersSpelling,
    /// What ends a ZIM `QueryRoomUserList` listing ([`EndMarker::Empty`]).
    pub zim_end_marker: EndMarker,
    /// Whether Express RTC's ban rule calls are enabled for the AppID (as ZEGO support does on
    /// request); when not, they answer code 9. On by default.
    pub rtc_ban_rules: bool,
    /// Whether the per-API limits of the calls other than the kicks are enforced (on by default).
    pub api_rate_limits: bool,
    /// How many Express RTC ban rules of one type may be in force at once (200, as ZEGO documents;
    /// rules by IP stay at 100 or this, whichever is lower); one more answers code 50123.
    pub rtc_max_ban_rules: usize,
    /// The CallbackSecret room callbacks are signed with ([`DEFAULT_CALLBACK_SECRET`]); both products
    /// use it (ZIM unless [`ZegoCallbackStyle::zim_key`] says ServerSecret).
    pub callback_secret: String,
    /// The readings the room callbacks take where ZEGO's docs give two.
    pub callback_style: ZegoCallbackStyle,
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
            zim_members_spelling: MembersSpelling::Current,
            zim_end_marker: EndMarker::Empty,
            rtc_ban_rules: true,
            api_rate_limits: true,
            rtc_max_ban_rules: 200,
            callback_secret: DEFAULT_CALLBACK_SECRET.to_owned(),
            callback_style: ZegoCallbackStyle::default(),
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

    /// The ZIM emulator.
    pub fn zim(&self) -> &ZegoService {
        &self.zim
    }

    /// The Express RTC emulator.
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

    /// The CallbackSecret both products sign their room callbacks with.
    pub fn callback_secret(&self) -> &str {
        &self.config.callback_secret
    }

    /// The settings it runs with.
    pub fn config(&self) -> &ZegoConfig {
        &self.config
    }

    /// The variables that point the ZIM adapter here (`ZEGO_APP_ID`, `ZEGO_SERVER_SECRET`,
    /// `ZEGO_ZIM_ENDPOINT`), for its builder's `with_vars`, and `ZEGO_CALLBACK_SECRET` for a webhook
    /// receiver.
    pub fn zim_vars(&self) -> Vec<(&'static str, String)> {
        self.vars("ZEGO_ZIM_ENDPOINT", &self.zim)
    }

    /// The variables that point the Express RTC adapter here (`ZEGO_APP_ID`, `ZEGO_SERVER_SECRET`,
    /// `ZEGO_RTC_ENDPOINT`), for its builder's `with_vars`, and `ZEGO_CALLBACK_SECRET` for a webhook
    /// receiver.
    pub fn rtc_vars(&self) -> Vec<(&'static str, String)> {
        self.vars("ZEGO_RTC_ENDPOINT", &self.rtc)
    }

    fn vars(&self, endpoint: &'static str, service: &ZegoService) -> Vec<(&'static str, String)> {
        vec![
            ("ZEGO_APP_ID", self.app_id().to_string()),
            ("ZEGO_SERVER_SECRET", self.server_secret().to_owned()),
            (endpoint, service.url()),
            ("ZEGO_CALLBACK_SECRET", self.callback_secret().to_owned()),
        ]
    }
}

#[cfg(test)]
mod tests;
