//! Shared state for `moderator` on real stores.
//!
//! Core defines the traits ([`Pacer`](moderator_core::Pacer)); this crate implements them on stores
//! that several processes and hosts can share. With the `redis` feature, [`RedisPacer`] holds one
//! provider quota (a ZEGO AppID, an AWS account and region, an EnableX app) across every instance
//! that uses the same Redis, so that together they never exceed it.

#[cfg(feature = "redis")]
mod redis_pacer;

#[cfg(feature = "redis")]
pub use redis_pacer::{RedisPacer, RedisPacerOptions, Unreachable};

#[cfg(feature = "testing")]
pub mod testing;
