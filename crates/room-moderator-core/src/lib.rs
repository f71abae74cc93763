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
//! # Where things live
//!
//! The trait and its answers (`moderator.rs`, `report.rs`, `plan.rs`, `request.rs`, `members.rs`),
//! the adapter primitive (`adapter.rs`, `capabilities.rs`), errors (`error.rs`, `retry_after.rs`),
//! bans and tokens as data (`ban/`), the adapter author's toolkit (`toolkit/`), the mock (`mock/`),
//! and the engine (`engine/`). Every operation of [`Moderator`] is a flow in the engine, entered
//! through `engine/mod.rs` (where every error leaving it is stamped with the provider's name, by
//! `engine/stamp.rs`), and
//! every provider call a flow makes takes the one call path (`engine/call/`: pacing, the
//! operation's deadline, the retry decision) under the pacers of `engine/pace/`:
//!
//! | flow | where it lives (under `engine/`) |
//! |---|---|
//! | `disconnect` | `validate.rs`, `kick/mod.rs`, the presence check in `kick/presence.rs`, the dispatch loop in `kick/dispatch.rs` (`kick/jobs.rs`, `kick/progress.rs`) |
//! | `disconnect_all` | `kick/mod.rs`: one call, or the room listed (`members.rs`) and everyone kicked as in `disconnect` |
//! | `members` | `members.rs` |
//! | presence check | `kick/presence.rs` (before a kick, and for a batch whose failure names no user) |
//! | `ban` | `bans/mod.rs`: the store first, native rules (`bans/rules.rs`), then the kick |
//! | `unban` | `bans/unban.rs` |
//! | `bans` | `bans/list.rs` |
//! | renewal and lapse of native rules | `bans/rules.rs`, on every `ban`, `bans` and `check` of the room |
//! | `check` (the join gate) | `bans/gate.rs` |
//! | `issue_token` | `bans/gate.rs`: the join gate, then the token |
//! | `plan` | `kick/mod.rs`, with `validate.rs`, `kick/presence.rs`, `call/deadline.rs` |
//!
//! The engine's module docs (`engine/mod.rs`) hold the full map: each flow's path through the
//! files and the provider calls it makes; `engine/builder.rs` holds [`EngineBuilder`].

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
mod stop;
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
pub use stop::StopSignal;
pub use toolkit::{AdapterBuilder, EnvVar};
