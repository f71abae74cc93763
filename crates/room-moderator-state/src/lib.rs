//! Shared state for [`room-moderator`](https://docs.rs/room-moderator/latest/room_moderator/) on real stores (the facade's
//! `sqlite` and `redis` features).
//!
//! Core defines the traits ([`Pacer`](room_moderator_core::Pacer), [`BanStore`](room_moderator_core::BanStore));
//! this crate implements them on stores that several processes and hosts can share.
//!
//! - With the `redis` feature, [`RedisPacer`] holds one provider quota (a ZEGO AppID, an AWS account
//!   and region, an EnableX app) across every instance that uses the same Redis, so that together
//!   they never exceed it; and [`RedisBanStore`] keeps bans for applications on several hosts.
//! - With the `sqlite` feature, [`SqliteBanStore`] keeps bans in one file that every process of a
//!   host shares (by default `<data dir>/moderator/bans.sqlite3`).
//! - [`open_ban_store`] picks a ban store from a URL (`sqlite:///path`, a path, `redis://…`,
//!   `memory:`), as the `room-moderator` facade does with `MODERATOR_BAN_STORE`.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod ban;
#[cfg(feature = "redis")]
mod redis_link;
#[cfg(feature = "redis")]
mod redis_pacer;

#[cfg(feature = "redis")]
pub use ban::RedisBanStore;
#[cfg(feature = "sqlite")]
pub use ban::SqliteBanStore;
#[cfg(feature = "sqlite")]
pub use ban::default_ban_store_path;
pub use ban::{UnavailableBanStore, open_ban_store};
#[cfg(feature = "redis")]
pub use redis_pacer::{RedisPacer, RedisPacerOptions, Unreachable};

#[cfg(feature = "testing")]
pub mod testing;
