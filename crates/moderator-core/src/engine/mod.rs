//! The engine: turns an [`Adapter`] into a [`Moderator`].
//!
//! validate -> de-duplicate -> chunk to the capability -> pace -> send with bounded concurrency ->
//! classify -> retry temporary failures (only the users still unresolved) -> split batches whose
//! failure names no user -> assemble the report -> audit.

mod audit;
mod dispatch;
mod pacer;
mod retry;
mod validate;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tracing::{Instrument, info_span};

pub use audit::AuditHook;
pub use pacer::{Pacer, RatePacer};
pub use retry::RetryPolicy;

use crate::{
    Adapter, Capabilities, DisconnectRequest, Error, ErrorKind, Moderator, Outcome, Plan, Reason,
    Report, RoomId,
};

/// Settings shared by every clone of an [`Engine`].
#[derive(Clone)]
struct Config {
    retry: RetryPolicy,
    max_concurrency: usize,
    deadline: Option<Duration>,
    audit: Option<Arc<dyn AuditHook>>,
}

/// A [`Moderator`] built from an [`Adapter`]. Cheap to clone; clones share the adapter and the pacer, so
/// they stay under the provider's rate together.
///
/// ```
/// # #[cfg(feature = "mock")] {
/// use std::time::Duration;
/// use moderator_core::{Engine, RetryPolicy, mock::MockAdapter};
/// let engine = Engine::builder(MockAdapter::new())
///     .retry(RetryPolicy::default().with_max_attempts(3))
///     .max_concurrency(4)
///     .deadline(Duration::from_secs(30))
///     .build();
/// # let _ = engine;
/// # }
/// ```
pub struct Engine<A> {
    adapter: Arc<A>,
    caps: Capabilities,
    pacer: Option<Arc<dyn Pacer>>,
    config: Config,
}

impl<A> Clone for Engine<A> {
    fn clone(&self) -> Self {
        Engine {
            adapter: Arc::clone(&self.adapter),
            caps: self.caps,
            pacer: self.pacer.clone(),
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
            .field("deadline", &self.config.deadline)
            .finish_non_exhaustive()
    }
}

impl<A: Adapter> Engine<A> {
    /// An engine with default settings: the adapter's capabilities, pacing to its documented rate,
    /// [`RetryPolicy::default`], 8 calls in flight, a 60-second deadline per request.
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
                deadline: Some(Duration::from_secs(60)),
                audit: None,
            },
        }
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
}

impl<A: Adapter> EngineBuilder<A> {
    /// Overrides the adapter's capabilities (a smaller batch size or rate in tests, a negotiated
    /// higher quota in production).
    pub fn capabilities(mut self, caps: Capabilities) -> Self {
        self.caps = caps;
        self
    }

    /// Sets the retry policy for temporary failures.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// How many provider calls may be in flight at once (at least 1).
    pub fn max_concurrency(mut self, max: usize) -> Self {
        self.config.max_concurrency = max.max(1);
        self
    }

    /// The longest one `disconnect` may take, retries included; users still unresolved then get a
    /// [`ErrorKind::Timeout`] outcome.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.config.deadline = Some(deadline);
        self
    }

    /// Removes the overall deadline (each call still has the adapter's own timeout).
    pub fn no_deadline(mut self) -> Self {
        self.config.deadline = None;
        self
    }

    /// Uses `pacer` instead of an in-process limiter at the documented rate (to share a quota between
    /// processes, say).
    pub fn pacer(mut self, pacer: Arc<dyn Pacer>) -> Self {
        self.pacer = PacerChoice::Given(pacer);
        self
    }

    /// Sends as fast as concurrency allows, ignoring the documented rate.
    pub fn no_pacing(mut self) -> Self {
        self.pacer = PacerChoice::None;
        self
    }

    /// Sends every final outcome to `hook`.
    pub fn audit(mut self, hook: Arc<dyn AuditHook>) -> Self {
        self.config.audit = Some(hook);
        self
    }

    /// Builds the engine.
    pub fn build(self) -> Engine<A> {
        let pacer = match self.pacer {
            PacerChoice::FromCapabilities => self
                .caps
                .requests_per_second
                .map(|rate| Arc::new(RatePacer::per_second(rate)) as Arc<dyn Pacer>),
            PacerChoice::Given(pacer) => Some(pacer),
            PacerChoice::None => None,
        };
        Engine {
            adapter: Arc::new(self.adapter),
            caps: self.caps,
            pacer,
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
        Ok(Plan::new(&self.caps, valid.users.len()))
    }

    async fn disconnect(&self, request: &DisconnectRequest) -> Result<Report, Error> {
        let provider = self.adapter.provider();
        let valid = validate::validate(self.adapter.as_ref(), &self.caps, request)?;
        let span = info_span!("moderator.disconnect", provider, room = %request.room(), users = valid.users.len());
        let (users, calls) = self
            .dispatch(request.room(), &valid.users, valid.reason)
            .instrument(span)
            .await;
        let reason_delivered = valid.reason.is_some()
            && users
                .iter()
                .any(|entry| matches!(entry.outcome, Outcome::Disconnected));
        Ok(Report::new(
            request.room().clone(),
            users,
            calls,
            reason_delivered,
        ))
    }

    async fn disconnect_all(&self, room: &RoomId, reason: Option<&Reason>) -> Result<(), Error> {
        let provider = self.adapter.provider();
        if !self.caps.disconnect_all {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "this provider cannot remove everyone at once",
            )
            .with_provider(provider));
        }
        validate::check_room(provider, &self.caps, room)?;
        let reason = validate::reason_to_send(provider, &self.caps, reason)?;
        let span = info_span!("moderator.disconnect_all", provider, %room);
        let result = self.clear_room(room, reason).instrument(span).await;
        if let Some(audit) = &self.config.audit {
            audit.room_cleared(provider, room, result.as_ref().copied());
        }
        result
    }
}

impl<A: Adapter> Engine<A> {
    /// `disconnect_all` with the same pacing, retries and deadline as batches.
    async fn clear_room(&self, room: &RoomId, reason: Option<&Reason>) -> Result<(), Error> {
        let started = tokio::time::Instant::now();
        let deadline = self.config.deadline.map(|d| started + d);
        let mut tries = 1;
        loop {
            if let Some(pacer) = &self.pacer {
                pacer.acquire().await;
            }
            let error = match self.adapter.disconnect_all(room, reason).await {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            if !error.is_temporary() || !self.config.retry.allows_another(tries) {
                return Err(persistent(error));
            }
            let at =
                tokio::time::Instant::now() + self.config.retry.delay(tries, error.retry_after());
            if deadline.is_some_and(|deadline| at >= deadline) {
                return Err(persistent(error));
            }
            tokio::time::sleep_until(at).await;
            tries += 1;
        }
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
