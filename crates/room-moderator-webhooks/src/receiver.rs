//! The receiver: its configuration, the axum router and the handler every route shares.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::{BodyExt, LengthLimitError};
use room_moderator_core::{Error, Moderator, wall_clock_now};
use tracing::{Instrument, info_span, warn};

use crate::enforce::{Enforcer, JoinJob, Limits};
use crate::metrics::{Metrics, Refused};
use crate::verify::{self, Refusal, Verified};
use crate::{DEFAULT_REPLAY_TTL, MemoryReplayCache, ReplayCache, Route, Secret};

/// How long reading one request body may take.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest replay TTL accepted.
const MAX_SETTING: Duration = Duration::from_secs(7 * 24 * 3600);

/// Default room in the work queue (verified joins waiting for the worker).
pub const DEFAULT_QUEUE: usize = 4096;

/// Default number of joins looked up and re-kicked at once.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// Default shortest time between two re-kicks of one user in one room.
pub const DEFAULT_REKICK_INTERVAL: Duration = Duration::from_secs(1);

/// How each route verifies its callbacks.
#[derive(Clone, Debug)]
enum Verifier {
    Zego(Vec<Secret>),
    LiveKit(Vec<(String, Secret)>),
    AgoraRtc { secret: Secret, accept_v1: bool },
    AgoraChat(Secret),
}

/// Configures a [`Webhooks`] receiver: per provider its secret(s) and the moderator that re-kicks
/// (whose ban store says who is banned: `EngineBuilder::ban_store`, the facade's
/// `Builder::with_ban_store`), plus the replay cache and the worker's limits.
///
/// ```no_run
/// # async fn run(zim: std::sync::Arc<dyn room_moderator_core::Moderator>) -> Result<(), room_moderator_core::Error> {
/// use room_moderator_webhooks::WebhooksBuilder;
/// let webhooks = WebhooksBuilder::new()
///     .zego_zim(["callback-secret"], zim)
///     .build()?;
/// let app = axum::Router::new().merge(webhooks.router());
/// # let _ = app; Ok(()) }
/// ```
#[must_use]
pub struct WebhooksBuilder {
    routes: Vec<(Route, Verifier, Arc<dyn Moderator>)>,
    replay: Option<Arc<dyn ReplayCache>>,
    replay_ttl: Duration,
    limits: Limits,
}

impl Default for WebhooksBuilder {
    fn default() -> Self {
        WebhooksBuilder::new()
    }
}

impl fmt::Debug for WebhooksBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhooksBuilder")
            .field(
                "routes",
                &self
                    .routes
                    .iter()
                    .map(|(route, ..)| *route)
                    .collect::<Vec<_>>(),
            )
            .field("replay", &self.replay)
            .finish_non_exhaustive()
    }
}

impl WebhooksBuilder {
    /// No routes yet; an in-memory replay cache unless [`replay_cache`](Self::replay_cache) is set.
    pub fn new() -> Self {
        WebhooksBuilder {
            routes: Vec::new(),
            replay: None,
            replay_ttl: DEFAULT_REPLAY_TTL,
            limits: Limits {
                queue: DEFAULT_QUEUE,
                concurrency: DEFAULT_CONCURRENCY,
                rekick_interval: DEFAULT_REKICK_INTERVAL,
                tracked: 100_000,
            },
        }
    }

    fn route(mut self, route: Route, verifier: Verifier, moderator: Arc<dyn Moderator>) -> Self {
        self.routes.retain(|(existing, ..)| *existing != route);
        self.routes.push((route, verifier, moderator));
        self
    }

    /// `POST /webhooks/zego-zim`: ZIM `room_enter`, signed with any of `secrets` (the project's
    /// CallbackSecret, not the ServerSecret; list several while rotating).
    pub fn zego_zim(
        self,
        secrets: impl IntoIterator<Item = impl Into<Secret>>,
        moderator: Arc<dyn Moderator>,
    ) -> Self {
        let secrets = secrets.into_iter().map(Into::into).collect();
        self.route(Route::ZegoZim, Verifier::Zego(secrets), moderator)
    }

    /// `POST /webhooks/zego-rtc`: Express RTC `room_login`, signed with any of `secrets`.
    pub fn zego_rtc(
        self,
        secrets: impl IntoIterator<Item = impl Into<Secret>>,
        moderator: Arc<dyn Moderator>,
    ) -> Self {
        let secrets = secrets.into_iter().map(Into::into).collect();
        self.route(Route::ZegoRtc, Verifier::Zego(secrets), moderator)
    }

    /// `POST /webhooks/livekit`: `participant_joined`, signed by any of these (API key, API secret)
    /// pairs (the token's `iss` names the key).
    pub fn livekit(
        self,
        keys: impl IntoIterator<Item = (impl Into<String>, impl Into<Secret>)>,
        moderator: Arc<dyn Moderator>,
    ) -> Self {
        let keys = keys
            .into_iter()
            .map(|(key, secret)| (key.into(), secret.into()))
            .collect();
        self.route(Route::LiveKit, Verifier::LiveKit(keys), moderator)
    }

    /// `POST /webhooks/agora-rtc`: channel events 103/105/107, `Agora-Signature-V2` (HMAC-SHA256)
    /// with the NCS secret. `accept_v1` also accepts `Agora-Signature` (HMAC-SHA1) when V2 is absent.
    pub fn agora_rtc(
        self,
        secret: impl Into<Secret>,
        accept_v1: bool,
        moderator: Arc<dyn Moderator>,
    ) -> Self {
        let verifier = Verifier::AgoraRtc {
            secret: secret.into(),
            accept_v1,
        };
        self.route(Route::AgoraRtc, verifier, moderator)
    }

    /// `POST /webhooks/agora-chat`: chat-room `JOIN`, `security` = MD5 with the rule's secret.
    pub fn agora_chat(self, secret: impl Into<Secret>, moderator: Arc<dyn Moderator>) -> Self {
        self.route(
            Route::AgoraChat,
            Verifier::AgoraChat(secret.into()),
            moderator,
        )
    }

    /// Where delivery ids are remembered (default: a [`MemoryReplayCache`] for this process; use the
    /// Redis one, feature `redis`, when several instances receive the same provider's callbacks).
    pub fn replay_cache(mut self, cache: Arc<dyn ReplayCache>) -> Self {
        self.replay = Some(cache);
        self
    }

    /// How long a delivery id is remembered (default [`DEFAULT_REPLAY_TTL`]; at least the 300 s
    /// window plus the providers' retry spans).
    pub fn replay_ttl(mut self, ttl: Duration) -> Self {
        self.replay_ttl = ttl;
        self
    }

    /// Room in the work queue (default [`DEFAULT_QUEUE`]). When it is full a callback is answered
    /// 503 so that the provider retries it.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.limits.queue = capacity;
        self
    }

    /// Joins looked up and re-kicked at once (default [`DEFAULT_CONCURRENCY`]).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.limits.concurrency = concurrency;
        self
    }

    /// Shortest time between two re-kicks of one user in one room (default
    /// [`DEFAULT_REKICK_INTERVAL`]); a join within it is kicked when it ends.
    pub fn rekick_interval(mut self, interval: Duration) -> Self {
        self.limits.rekick_interval = interval;
        self
    }

    /// Checks the configuration and starts the worker; call it inside a tokio runtime.
    pub fn build(self) -> Result<Webhooks, Error> {
        if self.routes.is_empty() {
            return Err(Error::config(
                "no provider is configured for the webhook receiver",
            ));
        }
        for (route, verifier, _) in &self.routes {
            let empty = match verifier {
                Verifier::Zego(secrets) => {
                    secrets.is_empty() || secrets.iter().any(|s| s.expose().is_empty())
                }
                Verifier::LiveKit(keys) => {
                    keys.is_empty()
                        || keys
                            .iter()
                            .any(|(key, secret)| key.is_empty() || secret.expose().is_empty())
                }
                Verifier::AgoraRtc { secret, .. } | Verifier::AgoraChat(secret) => {
                    secret.expose().is_empty()
                }
            };
            if empty {
                return Err(Error::config(format!(
                    "{route}: a callback secret is empty"
                )));
            }
        }
        if self.replay_ttl < Duration::from_secs(600) || self.replay_ttl > MAX_SETTING {
            return Err(Error::config(
                "the replay TTL must be between 10 minutes (the 300 s window both ways plus retries) and 7 days",
            ));
        }
        if self.limits.rekick_interval > Duration::from_secs(3600) {
            return Err(Error::config(
                "the re-kick interval must be at most an hour",
            ));
        }
        let metrics = Arc::new(Metrics::new());
        let moderators: HashMap<Route, Arc<dyn Moderator>> = self
            .routes
            .iter()
            .map(|(route, _, moderator)| (*route, moderator.clone()))
            .collect();
        let enforcer = Enforcer::start(moderators, metrics.clone(), self.limits);
        Ok(Webhooks {
            inner: Arc::new(Inner {
                verifiers: self
                    .routes
                    .into_iter()
                    .map(|(route, verifier, _)| (route, verifier))
                    .collect(),
                replay: self
                    .replay
                    .unwrap_or_else(|| Arc::new(MemoryReplayCache::default())),
                replay_ttl: self.replay_ttl,
                metrics,
                enforcer,
            }),
        })
    }
}

/// A running receiver: its [`router`](Self::router) to mount, its [`metrics`](Self::metrics), and
/// [`shutdown`](Self::shutdown) to finish the re-kicks in flight. Clones share everything.
#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    verifiers: HashMap<Route, Verifier>,
    replay: Arc<dyn ReplayCache>,
    replay_ttl: Duration,
    metrics: Arc<Metrics>,
    enforcer: Enforcer,
}

impl fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhooks")
            .field("routes", &self.routes())
            .field("replay", &self.inner.replay)
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    /// The configured routes, in [`Route::ALL`] order.
    pub fn routes(&self) -> Vec<Route> {
        let mut routes: Vec<Route> = self.inner.verifiers.keys().copied().collect();
        routes.sort();
        routes
    }

    /// `POST /webhooks/<provider>` for each configured provider.
    pub fn router(&self) -> Router {
        let mut router = Router::new();
        for route in self.routes() {
            router = router.route(
                route.path(),
                post(
                    move |State(inner): State<Arc<Inner>>, request: Request| async move {
                        inner.handle(route, request).await
                    },
                ),
            );
        }
        router.with_state(self.inner.clone())
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Stops taking joins (callbacks are then answered 503, so providers retry elsewhere or later)
    /// and waits until the queued and in-flight re-kicks are done.
    pub async fn shutdown(&self) {
        self.inner.enforcer.shutdown().await;
    }
}

/// An answer with no body.
fn status(code: StatusCode) -> Response {
    code.into_response()
}

impl Inner {
    async fn handle(&self, route: Route, request: Request) -> Response {
        let provider = route.name();
        let span = info_span!("webhooks.callback", provider, path = route.path());
        async {
            self.metrics.received(provider);
            let (parts, body) = request.into_parts();
            let Some(body) = read_body(&parts.headers, body, route.body_limit()).await else {
                self.metrics.refused(provider, Refused::TooBig);
                warn!(provider, path = route.path(), "callback refused: body over the limit");
                return status(StatusCode::PAYLOAD_TOO_LARGE);
            };
            let verified = match self.verify(route, &parts.headers, &body) {
                Ok(verified) => verified,
                Err(refusal) => return self.refuse(route, refusal),
            };
            match self.replay.first_sight(&verified.key, self.replay_ttl).await {
                Ok(true) => {}
                Ok(false) => {
                    // A retry or a replay: acknowledged so that a genuine retry stops, never acted on.
                    self.metrics.refused(provider, Refused::Replay);
                    return ok(route);
                }
                Err(error) => {
                    warn!(provider, %error, "callback not taken: the replay cache is unavailable");
                    self.metrics.refused(provider, Refused::ReplayCacheUnavailable);
                    return retry_later();
                }
            }
            let jobs: Vec<JoinJob> = verified
                .joins
                .into_iter()
                .map(|join| JoinJob { route, join })
                .collect();
            if !jobs.is_empty() && !self.enforcer.enqueue(jobs) {
                // Never lose a banned user's kick silently: counted, logged, and answered 503 so the
                // provider retries (ZEGO retries any non-2xx up to 5 times, LiveKit's sender retries
                // 5xx but 501, Agora retries whatever is not 200, Agora Chat retries once: see
                // docs/webhooks.md, "Answers and retries"). The id is forgotten so the retry is
                // acted on.
                warn!(provider, "callback not taken: the work queue is full");
                self.metrics.refused(provider, Refused::QueueFull);
                if let Err(error) = self.replay.forget(&verified.key).await {
                    warn!(provider, %error, "the replay cache could not forget a delivery not taken");
                }
                return retry_later();
            }
            ok(route)
        }
        .instrument(span)
        .await
    }

    fn verify(&self, route: Route, headers: &HeaderMap, body: &[u8]) -> Result<Verified, Refusal> {
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let now = wall_clock_now();
        match self.verifiers.get(&route) {
            Some(Verifier::Zego(secrets)) => {
                verify::zego::verify(route, secrets, header("content-type"), body, now)
            }
            Some(Verifier::LiveKit(keys)) => {
                verify::livekit::verify(keys, header("authorization"), body, now)
            }
            Some(Verifier::AgoraRtc { secret, accept_v1 }) => verify::agora_rtc::verify(
                secret,
                *accept_v1,
                header("agora-signature-v2"),
                header("agora-signature"),
                body,
                now,
            ),
            Some(Verifier::AgoraChat(secret)) => verify::agora_chat::verify(secret, body, now),
            None => Err(Refusal::Malformed),
        }
    }

    fn refuse(&self, route: Route, refusal: Refusal) -> Response {
        let provider = route.name();
        // Only the provider and the path: never the token, the signature or the body.
        match refusal {
            Refusal::Signature => {
                warn!(
                    provider,
                    path = route.path(),
                    "callback refused: bad or missing signature"
                );
                self.metrics.refused(provider, Refused::Signature);
                status(StatusCode::UNAUTHORIZED)
            }
            Refusal::Stale => {
                warn!(
                    provider,
                    path = route.path(),
                    "callback refused: outside the time window"
                );
                self.metrics.refused(provider, Refused::Stale);
                status(StatusCode::BAD_REQUEST)
            }
            Refusal::Malformed => {
                warn!(provider, path = route.path(), "callback refused: malformed");
                self.metrics.refused(provider, Refused::Malformed);
                status(StatusCode::BAD_REQUEST)
            }
        }
    }
}

/// 200: empty, or `{}` as JSON where the provider wants a JSON answer (Agora RTC: "The response
/// body must be in JSON"; Agora Chat: a short body).
fn ok(route: Route) -> Response {
    match route {
        Route::AgoraRtc | Route::AgoraChat => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            "{}",
        )
            .into_response(),
        _ => status(StatusCode::OK),
    }
}

/// 503 with `Retry-After: 1`.
fn retry_later() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, HeaderValue::from_static("1"))],
    )
        .into_response()
}

/// The raw body, or `None` when it is (or says it is) over `limit`. A body that cannot be read in
/// time is treated as empty (and then refused as unsigned or malformed).
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Option<Vec<u8>> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return None;
    }
    let limited = http_body_util::Limited::new(body, limit);
    match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
        Ok(Ok(collected)) => Some(collected.to_bytes().to_vec()),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => None,
        // The client stopped sending, or took too long: nothing to verify.
        Ok(Err(_)) | Err(_) => Some(Vec::new()),
    }
}
