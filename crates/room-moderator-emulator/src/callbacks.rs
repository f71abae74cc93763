//! The "user joined / left" callbacks the emulated providers send to an application's webhook
//! receiver, signed as each provider documents (docs/providers/webhooks.md).
//!
//! Nothing is sent until a base URL is set: in [`EmulatorConfig`](crate::EmulatorConfig), with
//! [`Emulator::set_callbacks`](crate::Emulator::set_callbacks), per provider with
//! [`Callbacks::set_url`], over HTTP with `POST /_emulator/callbacks {"url": "http://..."}` (`null`
//! stops them) on any listener of a provider that sends callbacks, or with
//! `moderator emulate --callbacks URL`. Each provider then posts to `URL/webhooks/<provider>`,
//! `<provider>` being one of [`PROVIDERS`]. The URL is the only destination: the emulator never
//! derives one from a request.
//!
//! Delivery never holds up the API answer that caused it: an event is signed and queued (at most
//! [`QUEUE_CAPACITY`] per provider; a full queue drops the event and counts it) and one worker per
//! provider posts the queue in order, each attempt with a timeout, retried as the provider documents
//! ([`Retry`]): ZEGO 5 retries after 2, 4, 8, 16 and 32 s on anything but 2xx; LiveKit
//! go-retryablehttp's 4 retries after 1, 2, 4 and 8 s on a transport error, 429 or 5xx other than
//! 501; Agora RTC 3 retries on anything but 200 (the intervals, "gradually increasing", are not
//! published: the emulator waits 1, 2 and 4 s), each re-stamped (`notifyMs`) and re-signed as Agora
//! documents; Agora Chat one retry on anything but 200 (after 1 s, the emulator's choice).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;
pub use url::Url;

/// The provider names a callback URL ends with (`URL/webhooks/<provider>`).
pub const PROVIDERS: [&str; 5] = ["zego-zim", "zego-rtc", "livekit", "agora-rtc", "agora-chat"];

/// The most events one provider holds waiting to be posted; more are dropped and counted.
pub const QUEUE_CAPACITY: usize = 1024;

/// How a provider retries a callback the receiver did not take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// The wait before each retry, after the previous attempt; its length is the number of retries.
    pub delays: &'static [Duration],
    /// How long one attempt may take.
    pub timeout: Duration,
    /// Which answers end delivery.
    pub accepts: Accepts,
}

/// Which answers end delivery (every other answer, and a transport error or timeout, is retried).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepts {
    /// Any 2xx (ZEGO).
    AnySuccess,
    /// Exactly 200 (Agora RTC and Chat).
    Only200,
    /// Anything but 429 and 5xx other than 501 (LiveKit, go-retryablehttp's default policy).
    NotRetryable,
}

impl Accepts {
    fn done(self, status: u16) -> bool {
        match self {
            Accepts::AnySuccess => (200..300).contains(&status),
            Accepts::Only200 => status == 200,
            Accepts::NotRetryable => !(status == 429 || (status >= 500 && status != 501)),
        }
    }
}

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// ZEGO: "up to 5 retries", 2, 4, 8, 16 and 32 s after the previous request. The response timeout
/// ZEGO applies is not documented: the emulator gives 5 s.
pub const ZEGO_RETRY: Retry = Retry {
    delays: &[secs(2), secs(4), secs(8), secs(16), secs(32)],
    timeout: secs(5),
    accepts: Accepts::AnySuccess,
};

/// LiveKit self-hosted: go-retryablehttp defaults (4 retries, 1 s doubling). LiveKit sets no overall
/// timeout; the emulator gives 5 s.
pub const LIVEKIT_RETRY: Retry = Retry {
    delays: &[secs(1), secs(2), secs(4), secs(8)],
    timeout: secs(5),
    accepts: Accepts::NotRetryable,
};

/// Agora Notifications: 200 within 10 s, else "three retries" at intervals that increase (the
/// emulator's 1, 2, 4 s).
pub const AGORA_RTC_RETRY: Retry = Retry {
    delays: &[secs(1), secs(2), secs(4)],
    timeout: secs(10),
    accepts: Accepts::Only200,
};

/// Agora Chat post-delivery callbacks: retried once without a 200 within 60 s (the emulator waits
/// 1 s before the retry).
pub const AGORA_CHAT_RETRY: Retry = Retry {
    delays: &[secs(1)],
    timeout: secs(60),
    accepts: Accepts::Only200,
};

/// One attempt's request: the body bytes and the headers besides `Content-Length`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// The exact bytes posted (the ones LiveKit and Agora sign).
    pub body: Vec<u8>,
    /// Headers, `Content-Type` included.
    pub headers: Vec<(&'static str, String)>,
}

/// Builds each attempt's request (Agora re-stamps and re-signs a resend; others resend the same).
type Build = Box<dyn FnMut() -> Signed + Send>;

struct Outgoing {
    url: Url,
    build: Build,
}

/// Counts of one provider's callbacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CallbackStats {
    /// Events queued for posting.
    pub queued: u64,
    /// Events a receiver took.
    pub delivered: u64,
    /// Events given up after the last retry.
    pub failed: u64,
    /// Events dropped because the queue was full.
    pub dropped: u64,
    /// HTTP attempts made (retries included).
    pub attempts: u64,
}

#[derive(Debug, Default)]
struct Stats {
    queued: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    attempts: AtomicU64,
}

/// The base URL, shared by the providers an [`Emulator`](crate::Emulator) links.
#[derive(Default)]
struct Target {
    url: RwLock<Option<Url>>,
    peers: RwLock<Vec<Weak<Target>>>,
}

impl Target {
    fn get(&self) -> Option<Url> {
        self.url.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn put(&self, url: Option<Url>) {
        *self.url.write().unwrap_or_else(|p| p.into_inner()) = url;
    }
}

/// One provider's callback sender. Cheap to clone; clones share the URL, queue and counts.
#[derive(Clone)]
pub struct Callbacks {
    provider: &'static str,
    target: Arc<Target>,
    queue: Option<mpsc::Sender<Outgoing>>,
    stats: Arc<Stats>,
}

impl fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callbacks")
            .field("provider", &self.provider)
            .field("url", &self.url().map(|url| url.to_string()))
            .finish_non_exhaustive()
    }
}

/// Why a callback base URL was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadCallbackUrl(pub String);

impl fmt::Display for BadCallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "callback URL: {}", self.0)
    }
}

impl std::error::Error for BadCallbackUrl {}

/// Checks a base URL: `http` or `https`, a host, no credentials, query or fragment.
pub fn check_url(url: &Url) -> Result<(), BadCallbackUrl> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(BadCallbackUrl(format!(
            "{}: only http and https",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(BadCallbackUrl("no host".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BadCallbackUrl("credentials in the URL".to_owned()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BadCallbackUrl("a query or fragment".to_owned()));
    }
    Ok(())
}

impl Callbacks {
    /// A sender for `provider` (one of [`PROVIDERS`]) retrying as `retry` says. Outside a tokio
    /// runtime it can be configured but posts nothing.
    pub fn new(provider: &'static str, retry: Retry) -> Self {
        let stats = Arc::new(Stats::default());
        let queue = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
            runtime.spawn(deliver(rx, retry, Arc::clone(&stats), provider));
            tx
        });
        Callbacks {
            provider,
            target: Arc::default(),
            queue,
            stats,
        }
    }

    /// The provider name the URL ends with.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The base URL callbacks go to, if set.
    pub fn url(&self) -> Option<Url> {
        self.target.get()
    }

    /// Where this provider posts: `URL/webhooks/<provider>`, if a URL is set.
    pub fn endpoint(&self) -> Option<Url> {
        self.url().and_then(|base| endpoint(&base, self.provider))
    }

    /// Sets (or, with `None`, clears) the base URL for this provider and every provider linked to
    /// it. An event already queued still goes where it was addressed.
    pub fn set_url(&self, url: Option<Url>) -> Result<(), BadCallbackUrl> {
        if let Some(url) = &url {
            check_url(url)?;
        }
        self.target.put(url.clone());
        let peers = self
            .target
            .peers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for peer in peers.iter().filter_map(Weak::upgrade) {
            peer.put(url.clone());
        }
        Ok(())
    }

    /// Makes all of `senders` share their base URL: setting it on one sets it on all.
    pub fn link(senders: &[&Callbacks]) {
        for sender in senders {
            let peers: Vec<Weak<Target>> = senders
                .iter()
                .filter(|other| !Arc::ptr_eq(&other.target, &sender.target))
                .map(|other| Arc::downgrade(&other.target))
                .collect();
            *sender
                .target
                .peers
                .write()
                .unwrap_or_else(|p| p.into_inner()) = peers;
        }
    }

    /// Whether a URL is set (so that an event is worth building).
    pub fn enabled(&self) -> bool {
        self.queue.is_some() && self.url().is_some()
    }

    /// Queues an event whose every attempt `build` makes (so a resend can be re-stamped and
    /// re-signed). Nothing happens without a URL; a full queue drops it (counted in
    /// [`stats`](Self::stats)).
    pub fn send(&self, build: impl FnMut() -> Signed + Send + 'static) {
        let (Some(queue), Some(url)) = (&self.queue, self.endpoint()) else {
            return;
        };
        let outgoing = Outgoing {
            url,
            build: Box::new(build),
        };
        match queue.try_send(outgoing) {
            Ok(()) => {
                self.stats.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    provider = self.provider,
                    "callback queue full: event dropped"
                );
            }
        }
    }

    /// Queues an event posted the same way on every attempt.
    pub fn send_fixed(&self, signed: Signed) {
        self.send(move || signed.clone());
    }

    /// The counts so far.
    pub fn stats(&self) -> CallbackStats {
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        CallbackStats {
            queued: load(&self.stats.queued),
            delivered: load(&self.stats.delivered),
            failed: load(&self.stats.failed),
            dropped: load(&self.stats.dropped),
            attempts: load(&self.stats.attempts),
        }
    }
}

/// `base/webhooks/<provider>`.
fn endpoint(base: &Url, provider: &str) -> Option<Url> {
    let path = format!("{}/webhooks/{provider}", base.path().trim_end_matches('/'));
    let mut url = base.clone();
    url.set_path(&path);
    Some(url)
}

/// The worker: posts the queue in order, retrying each event as its provider does.
async fn deliver(
    mut rx: mpsc::Receiver<Outgoing>,
    retry: Retry,
    stats: Arc<Stats>,
    provider: &'static str,
) {
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(retry.timeout)
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::warn!(provider, %error, "no HTTP client: callbacks are not sent");
            return;
        }
    };
    while let Some(mut outgoing) = rx.recv().await {
        let mut delays = retry.delays.iter();
        loop {
            let signed = (outgoing.build)();
            stats.attempts.fetch_add(1, Ordering::Relaxed);
            let mut request = client
                .post(outgoing.url.clone())
                .timeout(retry.timeout)
                .body(signed.body);
            for (name, value) in &signed.headers {
                request = request.header(*name, value);
            }
            let status = request.send().await.map(|answer| answer.status().as_u16());
            if let Ok(status) = status
                && retry.accepts.done(status)
            {
                if (200..300).contains(&status) {
                    stats.delivered.fetch_add(1, Ordering::Relaxed);
                } else {
                    stats.failed.fetch_add(1, Ordering::Relaxed);
                }
                break;
            }
            match delays.next() {
                Some(delay) => tokio::time::sleep(*delay).await,
                None => {
                    stats.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(provider, "callback given up after the last retry");
                    break;
                }
            }
        }
    }
}

/// `POST /_emulator/callbacks {"url": "http://..."}` (or `null`) on a provider's listener: sets the
/// base URL of that provider and of every provider linked to it. 204, or 400 with the reason.
pub fn router(callbacks: Callbacks) -> Router {
    Router::new()
        .route(
            "/_emulator/callbacks",
            post(post_callbacks).get(get_callbacks),
        )
        .with_state(callbacks)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UrlBody {
    url: Option<String>,
}

async fn post_callbacks(State(callbacks): State<Callbacks>, Json(body): Json<UrlBody>) -> Response {
    let url = match body.url.as_deref().map(Url::parse).transpose() {
        Ok(url) => url,
        Err(error) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": format!("callback URL: {error}") })),
            )
                .into_response();
        }
    };
    match callbacks.set_url(url) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": error.to_string() })),
        )
            .into_response(),
    }
}

async fn get_callbacks(State(callbacks): State<Callbacks>) -> Response {
    Json(json!({
        "url": callbacks.url().map(|url| url.to_string()),
        "endpoint": callbacks.endpoint().map(|url| url.to_string()),
        "stats": callbacks.stats(),
    }))
    .into_response()
}

/// Unix time now, in milliseconds.
#[cfg(any(feature = "zego", feature = "livekit", feature = "agora"))]
pub(crate) fn unix_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_appends_the_provider_to_the_base_path() {
        let base = Url::parse("http://127.0.0.1:8787").unwrap();
        assert_eq!(
            endpoint(&base, "zego-zim").unwrap().as_str(),
            "http://127.0.0.1:8787/webhooks/zego-zim"
        );
        let base = Url::parse("http://127.0.0.1:8787/app/").unwrap();
        assert_eq!(
            endpoint(&base, "livekit").unwrap().as_str(),
            "http://127.0.0.1:8787/app/webhooks/livekit"
        );
    }

    #[test]
    fn only_plain_http_or_https_base_urls_are_taken() {
        let check = |text: &str| check_url(&Url::parse(text).unwrap());
        assert!(check("http://127.0.0.1:1/").is_ok());
        assert!(check("https://hooks.example.com/x").is_ok());
        assert!(check("ftp://127.0.0.1/").is_err());
        assert!(check("http://user:pw@127.0.0.1/").is_err());
        assert!(check("http://127.0.0.1/?a=b").is_err());
    }

    #[test]
    fn each_provider_ends_delivery_on_its_own_answers() {
        assert!(Accepts::AnySuccess.done(204));
        assert!(!Accepts::AnySuccess.done(401));
        assert!(Accepts::Only200.done(200));
        assert!(!Accepts::Only200.done(204));
        assert!(Accepts::NotRetryable.done(401));
        assert!(Accepts::NotRetryable.done(501));
        assert!(!Accepts::NotRetryable.done(503));
        assert!(!Accepts::NotRetryable.done(429));
    }

    #[tokio::test]
    async fn linked_senders_share_the_url_and_nothing_is_queued_without_one() {
        let a = Callbacks::new("zego-zim", ZEGO_RETRY);
        let b = Callbacks::new("livekit", LIVEKIT_RETRY);
        Callbacks::link(&[&a, &b]);
        a.send_fixed(Signed {
            body: Vec::new(),
            headers: Vec::new(),
        });
        assert_eq!(a.stats().queued, 0);
        b.set_url(Some(Url::parse("http://127.0.0.1:9/").unwrap()))
            .unwrap();
        assert_eq!(
            a.endpoint().unwrap().as_str(),
            "http://127.0.0.1:9/webhooks/zego-zim"
        );
        a.set_url(None).unwrap();
        assert!(b.url().is_none());
    }
}
