//! The provider-agnostic core of [`room-moderator`](https://docs.rs/room-moderator/latest/room_moderator/), which re-exports
//! all of it: applications depend on the facade, adapter authors on this crate.
//!
//! Applications depend on the [`Moderator`] trait. Adapters implement the one-call [`Adapter`]
//! primitive, and the [`Engine`] turns an adapter into a `Moderator`: validation, de-duplication,
//! batching to [`Capabilities`], pacing, retries, splitting and a [`Report`] with exactly one
//! [`Outcome`] per distinct user.
//!
//! With the `mock` feature, [`mock::MockAdapter`] records calls and replays scripted answers so that
//! application logic can be tested without a network. With the `serde` feature, reports, outcomes,
//! errors, capabilities and plans serialize to a stable JSON shape (the `json` module).
//!
//! Adapter authors: [`toolkit`] holds what every adapter needs around its transport (the status table,
//! code classification, endpoint policy, body limits, transport errors, the builder contract, and with
//! the `http` feature the reqwest glue).
//!
//! Where things live: the trait and its answers (`moderator.rs`, `report.rs`, `plan.rs`,
//! `request.rs`, `members.rs`), the adapter primitive (`adapter.rs`, `capabilities.rs`), errors
//! (`error.rs`, `retry_after.rs`), bans and tokens as data (`ban/`), and the engine (`engine/`, whose
//! module docs hold the map of every flow and the one call path each provider call takes).

#![cfg_attr(docsrs, feature(doc_cfg))]

mod adapter;
mod ban;
mod capabilities;
mod engine;
mod error;
mod fan_out;
mod id;
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
pub mod json;
mod loopback;
mod members;
#[cfg(any(test, feature = "mock"))]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;
mod moderator;
mod plan;
mod report;
mod request;
mod retry_after;
pub mod sweep;
pub mod toolkit;

pub use adapter::{Adapter, Batch, BatchResult};
pub use ban::{
    BanEntry, BanOutcome, BanReport, BanRequest, BanRule, BanScope, BanStore, BanSupport,
    BanUserReport, JoinCheck, MemoryBanStore, Token, TokenDecision, TokenOptions, UnbanOutcome,
    UnbanReport, UnbanUserReport, wall_clock_now,
};
pub use capabilities::{Capabilities, CharSet, IdRule, LengthUnit, ReasonSupport};
pub use engine::{
    AdapterExt, AdaptivePacer, Answer, AuditHook, Engine, EngineBuilder, MAX_MEMBERS, Operation,
    Pacer, PresencePlan, QUERY_FIRST_CALLS, QuotaKey, RENEW_WITHIN, RatePacer, RetryPolicy,
};
pub use error::{Error, ErrorKind, RetryStatus};
pub use fan_out::{Target, TargetReport, disconnect_everywhere};
pub use id::{Reason, RoomId, UserId};
pub use loopback::is_loopback_host;
pub use members::{AbsentUsers, ApiLimits, Member, MemberPage, Presence, RoomClear};
pub use moderator::{Moderator, ModeratorExt, RoomCleared};
pub use plan::Plan;
pub use report::{Outcome, Report, Summary, UserReport};
pub use request::{DisconnectRequest, DisconnectRequestBuilder};
pub use retry_after::parse_retry_after;
pub use toolkit::{AdapterBuilder, EnvVar};
