//! `room-moderator`: remove users from live chat and video rooms through one provider-agnostic trait.
//!
//! Applications depend on [`Moderator`] (usually as `Arc<dyn Moderator>`); adapters for ZEGOCLOUD,
//! Amazon IVS Chat, EnableX and Agora are compiled in by the `zego`, `ivschat`, `enablex` and `agora`
//! features. The
//! `mock` feature adds [`mock::MockAdapter`] for unit-testing moderation logic.
//!
//! | feature | adapter | provider call |
//! |---|---|---|
//! | `zego` | [`zego::ZegoZim`], [`zego::ZegoRtc`] | ZIM `KickoutRoomUser`, RTC `KickoutUser` |
//! | `ivschat` | [`ivs::IvsChat`] | IVS Chat `DisconnectUser` |
//! | `enablex` | [`enablex::Enablex`] | signalling `drop` as a headless moderator |
//! | `agora` | [`agora::AgoraRtc`], [`agora::AgoraChat`] | RTC `kicking-rule`, Chat `DELETE .../chatrooms/{id}/users/{ids}` |
//! | `mock` | [`mock::MockAdapter`] | none: records and replays |
//!
//! Pick the provider in code with its adapter's builder, or at run time with [`Builder`] /
//! [`from_env`] (`MODERATOR_PROVIDER=zego-zim|zego-rtc|ivschat|enablex|agora-rtc|agora-chat`).
//!
//! Bans are kept in a ban store: by default an SQLite file under the user's data directory (feature
//! `sqlite`, on by default), or the store named by [`Builder::ban_store`] / `MODERATOR_BAN_STORE`
//! (`sqlite:///path`, a path, `redis://…` with the `redis` feature, `memory:`); see
//! `open_ban_store`.
//!
//! The `serde` feature serializes reports, outcomes, errors, capabilities and plans to a stable,
//! snake_case JSON shape (documented in the `json` module, present with the feature).

#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod provider;

pub use builder::{Builder, from_env};
pub use provider::Provider;
pub use room_moderator_core::*;

/// Ban stores on real storage (the SQLite file, Redis) and choosing one from a URL.
#[cfg(any(feature = "sqlite", feature = "redis"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "redis"))))]
pub use room_moderator_state::{UnavailableBanStore, open_ban_store};

/// Bans in Redis, shared by several hosts.
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use room_moderator_state::RedisBanStore;

/// Bans in an SQLite file, shared by the processes of one host.
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use room_moderator_state::{SqliteBanStore, default_ban_store_path};

/// ZEGOCLOUD adapters (ZIM chat rooms and Express RTC rooms).
#[cfg(feature = "zego")]
#[cfg_attr(docsrs, doc(cfg(feature = "zego")))]
pub use room_moderator_zego as zego;

/// Amazon IVS Chat adapter.
#[cfg(feature = "ivschat")]
#[cfg_attr(docsrs, doc(cfg(feature = "ivschat")))]
pub use room_moderator_ivs as ivs;

/// Agora adapters (RTC channels and Agora Chat rooms).
#[cfg(feature = "agora")]
#[cfg_attr(docsrs, doc(cfg(feature = "agora")))]
pub use room_moderator_agora as agora;
/// EnableX adapter.
#[cfg(feature = "enablex")]
#[cfg_attr(docsrs, doc(cfg(feature = "enablex")))]
pub use room_moderator_enablex as enablex;

/// The README's Rust examples, compiled and run as doctests so they cannot rot.
#[cfg(all(
    doctest,
    feature = "zego",
    feature = "ivschat",
    feature = "enablex",
    feature = "mock"
))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
