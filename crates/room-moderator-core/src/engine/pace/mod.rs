//! Pacing: keeping calls under the provider's documented rate, and slowing down when it throttles.
//!
//! - `pacer.rs`: the [`Pacer`] trait (what the call path waits for) and [`RatePacer`], the
//!   documented rate as "at most N calls in any sliding second" (or minute), on an absolute schedule.
//! - `window.rs`: the log of recent call times both pacers count over.
//! - `adaptive.rs`: [`AdaptivePacer`], which treats throttling as backpressure from callers this
//!   process cannot see: it cuts to the share it was granted, grows back along a cubic curve, and
//!   probes with slow start after a throttled start; never above the documented rate.
//! - `quota.rs`: [`QuotaKey`] and the one adaptive pacer per provider account and API in the
//!   process, shared by every engine drawing on that quota.
//!
//! The kick's pacer is chosen once, by [`EngineBuilder::build`](crate::EngineBuilder::build); the
//! side APIs' pacers (member pages, presence, ban rules, tokens) are made on first use by the call
//! path (`call/side.rs`).

mod adaptive;
mod pacer;
pub(crate) mod quota;
mod window;

pub use adaptive::AdaptivePacer;
pub use pacer::{Answer, Pacer, RatePacer};
pub use quota::QuotaKey;
