//! `moderator`: remove users from live chat and video rooms through one provider-agnostic trait.
//!
//! Applications depend on [`Moderator`]; adapters for ZEGOCLOUD, Amazon IVS Chat and EnableX are
//! compiled in by the `zego`, `ivschat` and `enablex` features. The `mock` feature adds
//! [`mock::MockAdapter`] for unit-testing moderation logic.

pub use moderator_core::*;

/// ZEGOCLOUD adapters (ZIM chat rooms and Express RTC rooms).
#[cfg(feature = "zego")]
pub use moderator_zego as zego;

/// Amazon IVS Chat adapter.
#[cfg(feature = "ivschat")]
pub use moderator_ivschat as ivschat;

/// EnableX adapter.
#[cfg(feature = "enablex")]
pub use moderator_enablex as enablex;
