//! [`EngineBuilder`]: every setting of an [`Engine`], and how [`EngineBuilder::build`] picks its
//! pacer. Setters that take a value are `with_*`; [`EngineBuilder::no_pacing`], which takes none,
//! is a verb.

use std::sync::Arc;
use std::time::Duration;

use super::call::stop::Stops;
use super::call::{RetryPolicy, deadline};
use super::pace::{AdaptivePacer, Pacer, RatePacer, quota};
use super::{AuditHook, Config, Engine, Operation};
use crate::{Adapter, BanStore, Capabilities, StopSignal};

#[cfg(doc)]
use crate::{DisconnectRequest, ErrorKind, Moderator};

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
    /// The defaults [`Engine::builder`] starts from.
    pub(super) fn new(adapter: A) -> Self {
        EngineBuilder {
            caps: adapter.capabilities(),
            adapter,
            pacer: PacerChoice::FromCapabilities,
            config: Config {
                retry: RetryPolicy::default(),
                max_concurrency: 8,
                deadlines: deadline::Deadlines::default(),
                audit: None,
                stops: Stops::default(),
            },
            adaptive: true,
            margin: RatePacer::DEFAULT_MARGIN,
            store: None,
        }
    }
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

    /// Stops every operation of the engine gracefully once `stop` is stopped, those running and
    /// those to come: nothing more is sent, the calls in flight are answered, and users never sent
    /// are reported `cancelled` ("not sent: stopped"); a one-call operation (`disconnect_all`
    /// natively, `members`, `check`, ...) not yet sent fails with
    /// [`ErrorKind::Cancelled`]. For one request only, give the request the signal
    /// ([`DisconnectRequest::with_stop`]). See [`StopSignal`].
    pub fn with_stop(mut self, stop: &StopSignal) -> Self {
        self.config.stops = self.config.stops.and(stop);
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
