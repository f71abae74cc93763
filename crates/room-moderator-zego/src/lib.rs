//! ZEGOCLOUD adapters for `room-moderator`: remove users from ZIM chat rooms (`KickoutRoomUser`) and from
//! Express RTC audio/video rooms (`KickoutUser`); list room members (ZIM `QueryRoomUserList`, RTC
//! `DescribeUserList`), ask who is in a ZIM room (`QueryRoomMembers`), and keep users out of an RTC
//! room with ban rules (`SetForbidUserRule`, `DelForbidUserRule`, `DescribeForbidUserRules`).
//!
//! Both products share one signing scheme ([`sign`]), one request builder and one response decoder;
//! what differs (action, host, limits, extra parameters, the code space) is data in [`Service`].
//!
//! Applications usually reach this crate through the facade, [`room-moderator`](https://docs.rs/room-moderator/latest/room_moderator/)
//! with its `zego` feature, as `room_moderator::zego`; its front page has the install line, a first
//! removal and the other providers.
//!
//! ```no_run
//! use std::sync::Arc;
//! use room_moderator_core::{DisconnectRequest, Engine, Moderator};
//! use room_moderator_zego::ZegoZim;
//! # async fn demo() -> Result<(), room_moderator_core::Error> {
//! // ZEGO_APP_ID, ZEGO_SERVER_SECRET and optionally ZEGO_REGION / ZEGO_ENDPOINT.
//! let moderator: Arc<dyn Moderator> = Arc::new(Engine::new(ZegoZim::from_env()?));
//! let report = moderator
//!     .disconnect(&DisconnectRequest::new("room-1", ["spammer"]).with_reason("spam"))
//!     .await?;
//! for entry in report.users() {
//!     println!("{}: {}", entry.user, entry.outcome.label());
//! }
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod adapter;
mod api;
mod builder;
mod codes;
/// Decoders of provider input for the fuzz targets in `fuzz/`; not part of the API.
#[doc(hidden)]
pub mod fuzzing;
mod product;
mod request;
mod response;
mod rooms;
mod rules;
mod signer;
mod token;

pub use adapter::{ZegoAdapter, ZegoRtc, ZegoZim};
pub use builder::{
    DEFAULT_TIMEOUT, ENV_APP_ID, ENV_ENDPOINT, ENV_REGION, ENV_RTC_ENDPOINT, ENV_SERVER_SECRET,
    ENV_ZIM_ENDPOINT, RTC_ENV_VARS, Region, ZIM_ENV_VARS, ZegoBuilder, ZegoRtcBuilder,
    ZegoZimBuilder,
};
pub use codes::{
    BAN_RULE_LIMIT_REACHED, BAN_RULES_NOT_ENABLED, is_ban_rule_limit_reached,
    is_ban_rules_not_enabled,
};
pub use product::{
    LOGIN_TOKENS, Product, ProductOptions, RTC_BANS, RTC_CAPABILITIES, RTC_MAX_RULE_DURATION,
    RTC_MEMBERS, Rtc, RtcOptions, Service, ZIM_CAPABILITIES, ZIM_ID_CHARSET, ZIM_MEMBERS,
    ZIM_PRESENCE, Zim, ZimOptions,
};
pub use signer::sign;
pub use token::{DEFAULT_LOGIN_TOKEN_TTL, MAX_LOGIN_TOKEN_TTL};
