//! `moderator`: remove users from live chat and video rooms through one provider-agnostic trait.
//!
//! Applications depend on [`Moderator`] (usually as `Arc<dyn Moderator>`); adapters for ZEGOCLOUD,
//! Amazon IVS Chat and EnableX are compiled in by the `zego`, `ivschat` and `enablex` features. The
//! `mock` feature adds [`mock::MockAdapter`] for unit-testing moderation logic.
//!
//! | feature | adapter | provider call |
//! |---|---|---|
//! | `zego` | [`zego::ZegoZim`], [`zego::ZegoRtc`] | ZIM `KickoutRoomUser`, RTC `KickoutUser` |
//! | `ivschat` | [`ivschat::IvsChat`] | IVS Chat `DisconnectUser` |
//! | `enablex` | [`enablex::Enablex`] | signalling `drop` as a headless moderator |
//! | `mock` | [`mock::MockAdapter`] | none: records and replays |
//!
//! Pick the provider in code with its adapter's builder, or at run time with [`Builder`] /
//! [`from_env`] (`MODERATOR_PROVIDER=zego-zim|zego-rtc|ivschat|enablex`).
//!
//! The `serde` feature serializes reports, outcomes, errors, capabilities and plans to a stable,
//! snake_case JSON shape (documented in the `json` module, present with the feature).

#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod provider;

pub use builder::{Builder, from_env};
pub use moderator_core::*;
pub use provider::Provider;

/// ZEGOCLOUD adapters (ZIM chat rooms and Express RTC rooms).
#[cfg(feature = "zego")]
#[cfg_attr(docsrs, doc(cfg(feature = "zego")))]
pub use moderator_zego as zego;

/// Amazon IVS Chat adapter.
#[cfg(feature = "ivschat")]
#[cfg_attr(docsrs, doc(cfg(feature = "ivschat")))]
pub use moderator_ivschat as ivschat;

/// EnableX adapter.
#[cfg(feature = "enablex")]
#[cfg_attr(docsrs, doc(cfg(feature = "enablex")))]
pub use moderator_enablex as enablex;

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
