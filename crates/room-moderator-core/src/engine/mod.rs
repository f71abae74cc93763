//! The engine: turns an [`Adapter`] into a [`Moderator`].
//!
//! # The map
//!
//! Every public operation is a flow; every provider call a flow makes goes through the one call path.
//!
//! | operation | flow (file) | provider calls it makes |
//! |---|---|---|
//! | `disconnect` | validate (`validate.rs`) -> presence check where an absent user fails a call (`presence.rs`) -> the dispatch loop (`dispatch.rs`): batches in flight, retries, splits, fail-fast, one outcome per user | kick batches; presence queries or member pages |
//! | `disconnect_all` | one call (`mod.rs` `clear_room`) or list and kick (`rooms.rs` `list_and_kick`, then `disconnect`'s flow) | kick-all; member pages, kick batches |
//! | `members` | every page, each member once, bounded (`rooms.rs`) | member pages |
//! | `ban`, `unban`, `bans`, `check`, `issue_token` | the store first, native rules and their renewal, the kick, the join gate (`bans.rs`) | ban rules, the rule list, kick batches, tokens |
//!
//! The machinery under the flows:
//!
//! - **The one call path** (`call.rs`): wait for the pacers, send under the operation's deadline, feed
//!   the answer to the pacers, and ask the one retry decision ([`RetryPolicy`], `next_step`) what next.
//!   Kick batches go through it from the dispatch loop; every other call through `Engine::call`,
//!   reached by way of `side_calls.rs`, which picks the pacers of each side API.
//! - **Pacing** (`pacer.rs`, `window.rs`, `adaptive.rs`, `quota.rs`): the documented rate as "at most N
//!   in any sliding second", the adaptive layer that treats throttling as backpressure (cubic growth,
//!   slow-start probing after a throttled start), and one adaptive pacer per provider account and API
//!   in the process.
//! - **Deadlines** (`deadline.rs`): every operation has one ([`Operation`]).
//! - **Hooks** (`audit.rs`): one outcome per user to the [`AuditHook`].

mod adaptive;
mod audit;
mod bans;
mod call;
mod deadline;
mod dispatch;
mod pacer;
mod presence;
mod quota;
mod retry;
mod rooms;
mod side_calls;
mod validate;
mod window;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tracing::{Instrument, info_span};

pub use adaptive::AdaptivePacer;
pub use audit::AuditHook;
pub use deadline::Operation;
pub use pacer::{Answer, Pacer, RatePacer};
pub use quota::QuotaKey;
pub use retry::RetryPolicy;

pub use bans::RENEW_WITHIN;
pub use presence::{PresencePlan, QUERY_FIRST_CALLS};
pub use rooms::MAX_MEMBERS;

use crate::{
    Adapter, BanEntry, BanReport, BanRequest, BanStore, Capabilities, DisconnectRequest, Error,
    ErrorKind, JoinCheck, Member, Moderator, Outcome, Plan, Reason, Report, RoomClear, RoomCleared,
    RoomId, TokenDecision, TokenOptions, UnbanReport, UserId,
};

/// Settings shared by every clone of an [`Engine`].
#[derive(Clone)]
struct Config {
    retry: RetryPolicy,
    max_concurrency: usize,
    deadlines: deadline::Deadlines,
    audit: Option<Arc<dyn AuditHook>>,
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
    side_pacers: Arc<side_calls::SidePacers>,
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
        EngineBuilder {
            caps: adapter.capabilities(),
            adapter,
            pacer: PacerChoice::FromCapabilities,
            config: Config {
                retry: RetryPolicy::default(),
                max_concurrency: 8,
                deadlines: deadline::Deadlines::default(),
                audit: None,
            },
            adaptive: true,
            margin: RatePacer::DEFAULT_MARGIN,
            store: None,
        }
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

    /// How long `operation` may take: `requested` (the request's own), else the configured one,
    /// else its default for calls that need `paced`. `Err` when a deadline that was set is shorter
    /// than pacing alone needs.
    fn deadline_of(
        &self,
        operation: Operation,
        requested: Option<Duration>,
        plan: &Plan,
        paced: Duration,
    ) -> Result<Duration, Error> {
        self.config
            .deadlines
            .resolve(operation, requested, plan, paced)
            .map_err(|error| error.with_provider(self.adapter.provider()))
    }

    /// The instant `operation` must be done by, for a plan of one call.
    fn one_call_deadline(&self, operation: Operation) -> Result<tokio::time::Instant, Error> {
        let plan = Plan::new(&self.caps, 1);
        let deadline = self.deadline_of(operation, None, &plan, plan.min_duration)?;
        Ok(deadline::instant_after(deadline))
    }

    /// The adapter inside.
    pub fn adapter(&self) -> &A {
        &self.adapter
    }
}

enum PacerChoice {
    FromCapabilities,
    Given(Arc<dyn Pacer>),
    None,
}

/// Configures an [`Engine`].
pub struct EngineBuilder<A> {
    adapter: A,
    caps: Capabilities,
    pacer: PacerChoice,
    config: Config,
    adaptive: bool,
    margin: Duration,
    store: Option<Arc<dyn BanStore>>,
}

impl<A: Adapter> EngineBuilder<A> {
    /// Where bans are remembered (and the join gate looks). Without one, `ban`, `unban`, `bans`,
    /// `check` and `issue_token` fail with [`ErrorKind::Config`] before sending anything. The
    /// `room-moderator` facade sets the embedded file store by default.
    pub fn with_ban_store(mut self, store: Arc<dyn BanStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Overrides the adapter's capabilities (a smaller batch size or rate in tests, a negotiated
    /// higher quota in production).
    pub fn with_capabilities(mut self, caps: Capabilities) -> Self {
        self.caps = caps;
        self
    }

    /// Sets the retry policy for temporary failures.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// How many provider calls may be in flight at once (at least 1).
    pub fn with_max_concurrency(mut self, max: usize) -> Self {
        self.config.max_concurrency = max.max(1);
        self
    }

    /// The longest any one operation may take, retries and throttling included (a request's own
    /// deadline, [`DisconnectRequest::with_deadline`], and [`EngineBuilder::with_operation_deadline`]
    /// come first). No call starts after it; a user never sent gets an [`ErrorKind::Timeout`]
    /// outcome that says so, one whose calls kept failing gets the last failure; an operation that
    /// returns one answer returns the last failure, saying what was tried. A request whose calls
    /// need longer than this at the documented rate is refused with `Err` before anything is sent.
    /// Without it each operation gets its default ([`Operation`]).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.config.deadlines.set_all(deadline);
        self
    }

    /// The longest `operation` may take, over [`EngineBuilder::with_deadline`].
    pub fn with_operation_deadline(mut self, operation: Operation, deadline: Duration) -> Self {
        self.config.deadlines.set(operation, deadline);
        self
    }

    /// Uses `pacer` instead of an in-process limiter at the documented rate (to share a quota between
    /// processes, say). Unless [`EngineBuilder::with_adaptive`] is off, an [`AdaptivePacer`] still runs
    /// in front of it.
    pub fn with_pacer(mut self, pacer: Arc<dyn Pacer>) -> Self {
        self.pacer = PacerChoice::Given(pacer);
        self
    }

    /// Widens the window the in-process pacer counts calls over to one second plus `margin` (default
    /// [`RatePacer::DEFAULT_MARGIN`], 10 ms), to absorb more jitter between sending a call and its
    /// arrival at the provider, for a little less of the quota.
    pub fn with_pacing_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Whether to slow down when the provider throttles and speed up again towards the documented
    /// rate (on by default). Off, throttled calls are still sent again, at the documented rate.
    pub fn with_adaptive(mut self, adaptive: bool) -> Self {
        self.adaptive = adaptive;
        self
    }

    /// Sends as fast as concurrency allows, ignoring the documented rate.
    pub fn no_pacing(mut self) -> Self {
        self.pacer = PacerChoice::None;
        self
    }

    /// Sends every final outcome to `hook`.
    pub fn with_audit(mut self, hook: Arc<dyn AuditHook>) -> Self {
        self.config.audit = Some(hook);
        self
    }

    /// Builds the engine.
    ///
    /// Pacing: with a documented rate and adaptive pacing on, an adapter that names its quota
    /// ([`Adapter::quota_key`]) gets the process's one [`AdaptivePacer`] for that quota, shared with
    /// every other engine on the same account and API; otherwise the engine gets its own.
    pub fn build(self) -> Engine<A> {
        let window = self.caps.rate_window();
        let provider = self.adapter.provider();
        let pacer = match (self.pacer, window) {
            (PacerChoice::None, _) | (PacerChoice::FromCapabilities, None) => None,
            (PacerChoice::FromCapabilities, Some((rate, window))) if self.adaptive => {
                Some(match self.adapter.quota_key() {
                    Some(key) => {
                        quota::shared_pacer(&key, rate, window, self.margin) as Arc<dyn Pacer>
                    }
                    None => Arc::new(quota::adaptive_over_rate(
                        provider.to_owned(),
                        rate,
                        window,
                        self.margin,
                    )),
                })
            }
            (PacerChoice::FromCapabilities, Some((rate, window))) => {
                Some(Arc::new(RatePacer::over_window(rate, window, self.margin)) as Arc<dyn Pacer>)
            }
            (PacerChoice::Given(pacer), Some((rate, window))) if self.adaptive => Some(Arc::new(
                AdaptivePacer::new(provider, pacer, quota::per_second_ceiling(rate, window))
                    .with_margin(self.margin),
            )
                as Arc<dyn Pacer>),
            (PacerChoice::Given(pacer), _) => Some(pacer),
        };
        Engine {
            adapter: Arc::new(self.adapter),
            caps: self.caps,
            pacer,
            side_pacers: Arc::default(),
            store: self.store,
            config: self.config,
        }
    }
}

/// Turns any adapter into a [`Moderator`] with default engine settings.
pub trait AdapterExt: Adapter + Sized {
    /// Same as [`Engine::new`].
    fn into_moderator(self) -> Engine<Self> {
        Engine::new(self)
    }
}

impl<A: Adapter> AdapterExt for A {}

#[async_trait]
impl<A: Adapter> Moderator for Engine<A> {
    fn provider(&self) -> &'static str {
        self.adapter.provider()
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn plan(&self, request: &DisconnectRequest) -> Result<Plan, Error> {
        let valid = validate::validate(self.adapter.as_ref(), &self.caps, request)?;
        let plan = Plan::new(&self.caps, valid.users.len())
            .with_presence(self.presence_plan(valid.users.len(), request.presence_check()));
        let deadline = self.deadline_of(
            Operation::Disconnect,
            request.deadline(),
            &plan,
            plan.min_duration,
        )?;
        Ok(plan.with_deadline(Some(deadline)))
    }

    async fn disconnect(&self, request: &DisconnectRequest) -> Result<Report, Error> {
        self.kick_until(request, None).await
    }

    async fn disconnect_all(
        &self,
        room: &RoomId,
        reason: Option<&Reason>,
    ) -> Result<RoomCleared, Error> {
        let provider = self.adapter.provider();
        validate::check_room(provider, &self.caps, room)?;
        let reason = validate::reason_to_send(provider, &self.caps, reason)?;
        match self.caps.room_clear() {
            RoomClear::Unsupported => Err(Error::new(
                ErrorKind::Unsupported,
                "this provider can neither remove everyone at once nor list a room's members",
            )
            .with_provider(provider)),
            RoomClear::ListAndKick => {
                let span = info_span!("moderator.disconnect_all", provider, %room, method = "list_and_kick");
                self.list_and_kick(room, reason).instrument(span).await
            }
            RoomClear::Native => {
                let span = info_span!("moderator.disconnect_all", provider, %room);
                let result = self.clear_room(room, reason).instrument(span).await;
                if let Some(audit) = &self.config.audit {
                    audit.room_cleared(provider, room, result.as_ref().copied());
                }
                result.map(|()| RoomCleared::Native)
            }
        }
    }

    async fn members(&self, room: &RoomId) -> Result<Vec<Member>, Error> {
        let span = info_span!("moderator.members", provider = self.adapter.provider(), %room);
        let deadline = self.one_call_deadline(Operation::Members)?;
        self.list_members(room, deadline).instrument(span).await.0
    }

    async fn ban(&self, request: &BanRequest) -> Result<BanReport, Error> {
        self.ban_users(request).await
    }

    async fn unban(&self, room: &RoomId, users: &[UserId]) -> Result<UnbanReport, Error> {
        self.unban_users(room, users).await
    }

    async fn bans(&self, room: &RoomId) -> Result<Vec<BanEntry>, Error> {
        self.list_bans(room).await
    }

    async fn check(&self, room: &RoomId, user: &UserId) -> Result<JoinCheck, Error> {
        self.join_check(room, user).await
    }

    async fn issue_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<TokenDecision, Error> {
        self.token_for(room, user, options).await
    }
}

impl<A: Adapter> Engine<A> {
    /// A kick, finished by `until` when given (the deadline of the operation it is part of: a ban,
    /// kick-all by listing), else by its own deadline.
    pub(crate) async fn kick_until(
        &self,
        request: &DisconnectRequest,
        until: Option<tokio::time::Instant>,
    ) -> Result<Report, Error> {
        let provider = self.adapter.provider();
        let valid = validate::validate(self.adapter.as_ref(), &self.caps, request)?;
        let deadline = match until {
            Some(until) => until,
            None => {
                let plan = Plan::new(&self.caps, valid.users.len());
                let deadline = self.deadline_of(
                    Operation::Disconnect,
                    request.deadline(),
                    &plan,
                    plan.min_duration,
                )?;
                deadline::instant_after(deadline)
            }
        };
        let span = info_span!("moderator.disconnect", provider, room = %request.room(), users = valid.users.len());
        let started = tokio::time::Instant::now();
        let dispatched = self
            .dispatch(
                request.room(),
                &valid.users,
                valid.reason,
                deadline,
                request.presence_check(),
            )
            .instrument(span)
            .await;
        dispatch::log_failures(provider, &dispatched.users);
        let reason_delivered = valid.reason.is_some()
            && dispatched
                .users
                .iter()
                .any(|entry| matches!(entry.outcome, Outcome::Disconnected));
        Ok(Report::new(
            request.room().clone(),
            dispatched.users,
            dispatched.calls,
            reason_delivered,
        )
        .with_throttled(dispatched.throttled)
        .with_elapsed(started.elapsed()))
    }

    /// `disconnect_all` in one provider call, through the one call path with the kick's pacer.
    async fn clear_room(&self, room: &RoomId, reason: Option<&Reason>) -> Result<(), Error> {
        let deadline = self.one_call_deadline(Operation::DisconnectAll)?;
        let pacing = call::Pacing {
            kick: self.pacer.as_deref(),
            own: None,
        };
        self.call("kick-all", &pacing, deadline, || {
            self.adapter.disconnect_all(room, reason)
        })
        .await
        .result
    }
}

/// A temporary error that no retry follows becomes persistent.
pub(crate) fn persistent(error: Error) -> Error {
    if error.is_temporary() {
        error.with_status(crate::RetryStatus::Persistent)
    } else {
        error
    }
}
