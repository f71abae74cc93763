//! The engine: turns an [`Adapter`] into a [`Moderator`].
//!
//! # The map
//!
//! Every public operation is a flow; every provider call a flow makes goes through the one call
//! path (`call/`). The folders hold three kinds of thing: the flows (`kick/`, `members.rs`,
//! `bans/`), the call path every flow's calls take (`call/`), and the rate machinery under it
//! (`pace/`). This file holds [`Engine`] and the [`Moderator`] implementation, the one door every
//! flow is entered by; `builder.rs` holds [`EngineBuilder`].
//!
//! | operation | path through the files | provider calls |
//! |---|---|---|
//! | `disconnect` | `validate.rs` -> `kick/mod.rs` (`kick_until`) -> `kick/presence.rs` (the presence check) -> `kick/dispatch.rs` (the loop: batches in flight, retries, splits, fail-fast; its jobs in `kick/jobs.rs`, one outcome per user in `kick/progress.rs`) -> `call/` for each batch | kick batches; presence queries or member pages |
//! | `disconnect_all` | `validate.rs` -> `kick/mod.rs` (`remove_everyone`): one call (`clear_room`), or list the room (`members.rs`) and take `disconnect`'s path for everyone listed (`list_and_kick`) | kick-all; or member pages, then kick batches |
//! | `members` | `members.rs` (`members_of`: every page, each member once, bounded) -> `call/side.rs` for each page | member pages |
//! | presence check | `kick/presence.rs`: before a kick, where a kick naming an absent user fails the whole call, ask about the users or list the room, whichever is cheaper; again from `kick/dispatch.rs` for a batch whose failure names no user | presence queries or member pages |
//! | `ban` | `bans/mod.rs` (`ban_users`): validate, the store first, then `bans/rules.rs` (set native rules, renew the room's lapsing ones), then `disconnect`'s path, all under the ban's deadline | ban rules, kick batches |
//! | `unban` | `bans/unban.rs`: the store, then delete the native rules this library set | rule deletions |
//! | `bans` | `bans/list.rs`: the store, renewal of lapsing rules (`bans/rules.rs`), merged with the provider's rule list | ban rules, the rule list |
//! | renewal and lapse | `bans/rules.rs` (`renew_rules`): a native rule lapsing within [`RENEW_WITHIN`] on a ban that outlasts it is renewed by the next `ban`, `bans` or `check` of the room; between those calls the join gate keeps the user out | ban rules |
//! | `check` (the join gate) | `bans/gate.rs` (`join_check`): the store, renewing that user's lapsing rule | ban rules |
//! | `issue_token` | `bans/gate.rs` (`token_for`): the join gate first, then the token through `call/side.rs` | ban rules, tokens |
//! | `plan` | `kick/mod.rs` (`plan_kick`): `validate.rs`, `kick/presence.rs` (`presence_plan`), `call/deadline.rs`; nothing is sent | none |
//!
//! The machinery under the flows:
//!
//! - **The one call path** (`call/mod.rs`): wait for the pacers, send under the operation's
//!   deadline, feed the answer to the pacers, and ask the one retry decision ([`RetryPolicy`] in
//!   `call/retry.rs`, `next_step`) what next. Kick batches go through it from the dispatch loop;
//!   every other call through `Engine::call`, by way of `call/side.rs`, which picks the pacers of
//!   each side API. Deadlines (`call/deadline.rs`): every operation has one ([`Operation`]).
//! - **The caller's graceful stop** (`call/stop.rs`, [`StopSignal`]): the engine's signals
//!   (`EngineBuilder::with_stop`) and the request's own (`DisconnectRequest::with_stop`,
//!   `BanRequest::with_stop`: the entry below makes an engine that watches it too) are read by the
//!   one call path, so every flow stops alike: no call sent once stopped, the calls on the wire
//!   answered, the kick's unsent users `Cancelled` (`kick/dispatch.rs`, `kick/progress.rs`).
//! - **Pacing** (`pace/`): the documented rate as "at most N in any sliding second"
//!   (`pace/pacer.rs`, `pace/window.rs`), the adaptive layer that treats throttling as backpressure
//!   (`pace/adaptive.rs`: cubic growth, slow-start probing after a throttled start), and one
//!   adaptive pacer per provider account and API in the process (`pace/quota.rs`).
//! - **Validation** (`validate.rs`): every flow checks its input against the provider's rules
//!   before anything is sent.
//! - **Hooks** (`audit.rs`): one outcome per user to the [`AuditHook`].
//! - **Errors** (`stamp.rs`): every error leaving the [`Moderator`] implementation below, or
//!   reaching the audit hook, names the adapter's provider, stamped there once
//!   ([`Error::provider`]); the flows, the adapter and the ban store need not name it.

mod audit;
mod bans;
mod builder;
mod call;
mod kick;
mod members;
mod pace;
mod stamp;
mod validate;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use audit::AuditHook;
pub use bans::RENEW_WITHIN;
pub use builder::{AdapterExt, EngineBuilder};
pub use call::RetryPolicy;
pub use call::deadline::Operation;
pub use kick::{PresencePlan, QUERY_FIRST_CALLS};
pub use members::MAX_MEMBERS;
pub use pace::{AdaptivePacer, Answer, Pacer, QuotaKey, RatePacer};

use crate::{
    Adapter, BanEntry, BanReport, BanRequest, BanStore, Capabilities, DisconnectRequest, Error,
    JoinCheck, Member, Moderator, Plan, Reason, Report, RoomCleared, RoomId, StopSignal,
    TokenDecision, TokenOptions, UnbanReport, UserId,
};

/// Settings shared by every clone of an [`Engine`].
#[derive(Clone)]
struct Config {
    retry: RetryPolicy,
    max_concurrency: usize,
    deadlines: call::deadline::Deadlines,
    audit: Option<Arc<dyn AuditHook>>,
    /// The caller's graceful stops every operation watches (`call/stop.rs`).
    stops: call::stop::Stops,
}

/// A [`Moderator`] built from an [`Adapter`]. Cheap to clone; clones share the adapter and the pacer, so
/// they stay under the provider's rate together.
///
/// ```
/// # #[cfg(feature = "mock")] {
/// use std::time::Duration;
/// use room_moderator_core::{Engine, RetryPolicy, mock::MockAdapter};
/// let engine = Engine::builder(MockAdapter::new())
///     .with_retry(RetryPolicy::default().with_max_attempts(3))
///     .with_max_concurrency(4)
///     .with_deadline(Duration::from_secs(30))
///     .build();
/// # let _ = engine;
/// # }
/// ```
pub struct Engine<A> {
    adapter: Arc<A>,
    caps: Capabilities,
    pacer: Option<Arc<dyn Pacer>>,
    side_pacers: Arc<call::side::SidePacers>,
    store: Option<Arc<dyn BanStore>>,
    config: Config,
}

impl<A> Clone for Engine<A> {
    fn clone(&self) -> Self {
        Engine {
            adapter: Arc::clone(&self.adapter),
            caps: self.caps,
            pacer: self.pacer.clone(),
            side_pacers: Arc::clone(&self.side_pacers),
            store: self.store.clone(),
            config: self.config.clone(),
        }
    }
}

impl<A: Adapter> fmt::Debug for Engine<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("provider", &self.adapter.provider())
            .field("capabilities", &self.caps)
            .field("pacer", &self.pacer)
            .field("retry", &self.config.retry)
            .field("max_concurrency", &self.config.max_concurrency)
            .field("deadlines", &self.config.deadlines)
            .field("ban_store", &self.store)
            .finish_non_exhaustive()
    }
}

impl<A: Adapter> Engine<A> {
    /// An engine with default settings: the adapter's capabilities, adaptive pacing to its documented
    /// rate, [`RetryPolicy::default`], 8 calls in flight, and a deadline sized to each request
    /// ([`Engine::default_deadline`]).
    pub fn new(adapter: A) -> Self {
        Engine::builder(adapter).build()
    }

    /// Starts configuring an engine.
    pub fn builder(adapter: A) -> EngineBuilder<A> {
        EngineBuilder::new(adapter)
    }

    /// The deadline a `disconnect` gets when none was set: ten times what pacing alone needs for
    /// its calls, plus a minute. Enough for the job to finish at a tenth of the documented rate (when
    /// others share the quota and throttling slows this process down) with room for retries, and
    /// still an end for a job that is throttled for good. Other operations: [`Operation`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use room_moderator_core::{Capabilities, Engine, Plan};
    /// let plan = Plan::new(&Capabilities::new(1).with_rate_per_second(100), 7_000);
    /// assert_eq!(Engine::<room_moderator_core::mock::MockAdapter>::default_deadline(&plan), Duration::from_millis(60_000 + 699_900));
    /// ```
    pub fn default_deadline(plan: &Plan) -> Duration {
        Operation::Disconnect.default_deadline(plan.min_duration)
    }

    /// `answer`, every error in it naming this engine's provider (`stamp.rs`).
    fn stamped<T: stamp::Stamp>(&self, answer: T) -> T {
        stamp::stamped(answer, self.adapter.provider())
    }

    /// The instant `operation` must be done by, for a plan of one call.
    fn one_call_deadline(&self, operation: Operation) -> Result<tokio::time::Instant, Error> {
        let plan = Plan::new(&self.caps, 1);
        let deadline = self
            .config
            .deadlines
            .resolve(operation, None, &plan, plan.min_duration)?;
        Ok(call::deadline::instant_after(deadline))
    }

    /// This engine, also stopping on the request's own signal, if it has one: every flow reads
    /// the signals from `config.stops` (`call/stop.rs`).
    fn stopping_on(&self, stop: Option<&StopSignal>) -> Cow<'_, Self> {
        match stop {
            None => Cow::Borrowed(self),
            Some(stop) => {
                let mut engine = self.clone();
                engine.config.stops = engine.config.stops.and(stop);
                Cow::Owned(engine)
            }
        }
    }

    /// The adapter inside.
    pub fn adapter(&self) -> &A {
        &self.adapter
    }
}

/// The trait boundary: every operation enters its flow here, and what it returns leaves here, its
/// errors stamped with the provider's name (`stamp.rs`).
#[async_trait]
impl<A: Adapter> Moderator for Engine<A> {
    fn provider(&self) -> &'static str {
        self.adapter.provider()
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn plan(&self, request: &DisconnectRequest) -> Result<Plan, Error> {
        self.stamped(self.plan_kick(request))
    }

    async fn disconnect(&self, request: &DisconnectRequest) -> Result<Report, Error> {
        let engine = self.stopping_on(request.stop());
        self.stamped(engine.kick_until(request, None).await)
    }

    async fn disconnect_all(
        &self,
        room: &RoomId,
        reason: Option<&Reason>,
    ) -> Result<RoomCleared, Error> {
        self.stamped(self.remove_everyone(room, reason).await)
    }

    async fn members(&self, room: &RoomId) -> Result<Vec<Member>, Error> {
        self.stamped(self.members_of(room).await)
    }

    async fn ban(&self, request: &BanRequest) -> Result<BanReport, Error> {
        let engine = self.stopping_on(request.stop());
        self.stamped(engine.ban_users(request).await)
    }

    async fn unban(&self, room: &RoomId, users: &[UserId]) -> Result<UnbanReport, Error> {
        self.stamped(self.unban_users(room, users).await)
    }

    async fn bans(&self, room: &RoomId) -> Result<Vec<BanEntry>, Error> {
        self.stamped(self.list_bans(room).await)
    }

    async fn check(&self, room: &RoomId, user: &UserId) -> Result<JoinCheck, Error> {
        self.stamped(self.join_check(room, user).await)
    }

    async fn issue_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<TokenDecision, Error> {
        self.stamped(self.token_for(room, user, options).await)
    }
}
