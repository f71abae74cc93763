//! Keeping removed users out: ban requests and reports, the ban store, the join gate and tokens.
//!
//! A ban is three things at once: the user is removed now, the ban is remembered in a
//! [`BanStore`] (which the join gate [`Moderator::check`](crate::Moderator::check) and token issuing
//! consult), and, where the provider has server-side rules (ZEGO Express RTC), a native rule keeps
//! the user from logging in even if the application forgets to ask.

mod clock;
mod memory;
mod report;
mod request;
mod store;
mod support;
mod token;

pub use clock::wall_clock_now;
pub use memory::MemoryBanStore;
pub use report::{
    BanOutcome, BanReport, BanUserReport, JoinCheck, UnbanOutcome, UnbanReport, UnbanUserReport,
};
pub use request::BanRequest;
pub use store::{BanEntry, BanRule, BanScope, BanStore};
pub use support::BanSupport;
pub use token::{Token, TokenDecision, TokenOptions};
