//! Building an `Arc<dyn Moderator>` for a provider chosen at run time.

// With no provider compiled in, `build` can only say so: the build path is never reached.
#![cfg_attr(
    not(any(
        feature = "zego",
        feature = "ivschat",
        feature = "ivs-stages",
        feature = "enablex",
        feature = "livekit",
        feature = "agora"
    )),
    allow(dead_code)
)]

use std::sync::Arc;
use std::time::Duration;

use std::future::Future;
use std::pin::Pin;

use room_moderator_core::{AdapterBuilder, AuditHook, Error, Moderator, RetryPolicy, StopSignal};

use crate::Provider;
use crate::provider::WithBuilder;

/// Builds a ready [`Moderator`] for a provider chosen at run time, reading credentials from the
/// provider's environment variables (see [`Provider::env_vars`]).
///
/// ```no_run
/// # async fn run() -> Result<(), room_moderator::Error> {
/// use room_moderator::{Builder, DisconnectRequest, Provider};
/// let moderator = Builder::new(Provider::ZegoZim).build().await?;
/// let report = moderator.disconnect(&DisconnectRequest::new("lobby", ["spammer"])).await?;
/// # let _ = report; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Builder {
    provider: Provider,
    endpoint: Option<String>,
    allow_http: bool,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    deadline: Option<Duration>,
    audit: Option<Arc<dyn AuditHook>>,
    stop: Option<StopSignal>,
    redis: Option<String>,
    ban_store: Option<String>,
    vars: Option<Vec<(String, String)>>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("provider", &self.provider)
            .field("endpoint", &self.endpoint)
            .field("allow_http", &self.allow_http)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("deadline", &self.deadline)
            // The URL may hold a password.
            .field("redis", &self.redis.as_ref().map(|_| "<set>"))
            .field("ban_store", &self.ban_store.as_ref().map(|_| "<set>"))
            // Names only: values may be secrets.
            .field(
                "vars",
                &self
                    .vars
                    .as_ref()
                    .map(|vars| vars.iter().map(|(name, _)| name).collect::<Vec<_>>()),
            )
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// A builder for `provider`.
    pub fn new(provider: Provider) -> Self {
        Builder {
            provider,
            endpoint: None,
            allow_http: false,
            timeout: None,
            retry: None,
            deadline: None,
            audit: None,
            stop: None,
            redis: None,
            ban_store: None,
            vars: None,
        }
    }

    /// A builder for the provider named by `MODERATOR_PROVIDER`.
    pub fn from_env() -> Result<Self, Error> {
        let name = std::env::var("MODERATOR_PROVIDER").map_err(|_| {
            Error::config(
                "MODERATOR_PROVIDER is not set; set it to zego-zim, zego-rtc, ivschat, ivs-stages, enablex, livekit, agora-rtc or agora-chat",
            )
        })?;
        Ok(Builder::new(name.parse()?))
    }

    /// The provider this builder is for.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Reads the provider's configuration from `vars` instead of the process environment: the
    /// adapter's variables ([`Provider::env_vars`]), `MODERATOR_REDIS_URL` and `MODERATOR_BAN_STORE`.
    /// Other names are ignored; blank values count as unset. The `with_*` settings of this builder
    /// still take precedence. An emulator hands out the pairs that point an adapter at it.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), room_moderator::Error> {
    /// use room_moderator::{Builder, Provider};
    /// let moderator = Builder::new(Provider::Enablex)
    ///     .with_vars([("ENABLEX_APP_ID", "app"), ("ENABLEX_APP_KEY", "key")])
    ///     .build()
    ///     .await?;
    /// # let _ = moderator; Ok(()) }
    /// ```
    pub fn with_vars<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.vars = Some(
            vars.into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
        );
        self
    }

    /// The value of `name` from [`with_vars`](Self::with_vars), else from the environment; blank is
    /// unset.
    fn var(&self, name: &str) -> Option<String> {
        let value = match &self.vars {
            Some(vars) => vars
                .iter()
                .rev()
                .find(|(kept, _)| kept == name)
                .map(|(_, value)| value.clone()),
            None => std::env::var(name).ok(),
        };
        value.filter(|value| !value.trim().is_empty())
    }

    /// Sends to `url` instead of the provider's public endpoint (an emulator, a regional or on-premise
    /// deployment).
    pub fn with_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Allows plain `http://` to hosts other than loopback.
    pub fn with_allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Bounds each provider call (default: the adapter's, 10 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Overrides the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Overrides the per-request deadline.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Paces calls on a quota shared through the Redis at `url` (`redis://host:port/db`) with every
    /// other process and host that uses it for the same provider account, instead of in this process
    /// only. Without this, `MODERATOR_REDIS_URL` is read. Needs the `redis` feature. While Redis
    /// cannot be reached, this process paces itself at half the quota (see
    /// `room_moderator_state::Unreachable`).
    pub fn with_redis(mut self, url: impl Into<String>) -> Self {
        self.redis = Some(url.into());
        self
    }

    /// Keeps bans in the store at `url` instead of the default file: `sqlite:///abs/path` or a plain
    /// path (feature `sqlite`), `redis://host:port/db` or `rediss://` (feature `redis`, for several
    /// hosts), or `memory:` (this process only). Without this, `MODERATOR_BAN_STORE` is read, and
    /// without that the default is `<data dir>/moderator/bans.sqlite3` (feature `sqlite`, on by
    /// default; without it there is no store and bans fail with
    /// [`ErrorKind::Config`](crate::ErrorKind::Config)).
    ///
    /// The store is opened on first use: a moderator that only kicks never touches it, and one
    /// that cannot reach it gets [`ErrorKind::Unavailable`](crate::ErrorKind::Unavailable) from
    /// `ban`, `unban`, `bans`, `check` and `issue_token`. A URL that names no store fails
    /// [`build`](Self::build) with [`ErrorKind::Config`](crate::ErrorKind::Config).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), room_moderator::Error> {
    /// use room_moderator::{Builder, Provider};
    /// let moderator = Builder::new(Provider::ZegoRtc)
    ///     .with_ban_store("redis://bans.internal:6379/2")
    ///     .build()
    ///     .await?;
    /// # let _ = moderator; Ok(()) }
    /// ```
    pub fn with_ban_store(mut self, url: impl Into<String>) -> Self {
        self.ban_store = Some(url.into());
        self
    }

    /// Sends every outcome to `hook` as soon as it is final.
    pub fn with_audit(mut self, hook: Arc<dyn AuditHook>) -> Self {
        self.audit = Some(hook);
        self
    }

    /// Stops every operation of the moderator gracefully once `stop` is stopped: nothing more is
    /// sent, the calls in flight are answered, and users never sent are reported `cancelled`
    /// ("not sent: stopped"). See [`StopSignal`] and
    /// [`EngineBuilder::with_stop`](room_moderator_core::EngineBuilder::with_stop); for one request
    /// only, [`DisconnectRequest::with_stop`](room_moderator_core::DisconnectRequest::with_stop).
    pub fn with_stop(mut self, stop: &StopSignal) -> Self {
        self.stop = Some(stop.clone());
        self
    }

    /// Reads the provider's configuration and builds the moderator. Fails with
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) naming what is missing.
    pub async fn build(self) -> Result<Arc<dyn Moderator>, Error> {
        /// Builds with the chosen provider's builder type.
        struct Build(Builder);
        impl WithBuilder for Build {
            type Output = Pin<Box<dyn Future<Output = Result<Arc<dyn Moderator>, Error>> + Send>>;
            fn with<B: AdapterBuilder + 'static>(self) -> Self::Output {
                Box::pin(self.0.build_with::<B>())
            }
        }
        self.provider.with_builder(Build(self))?.await
    }

    /// The one path for every provider: its builder from the environment, this builder's transport
    /// overrides, its checks, then the engine with this builder's settings.
    async fn build_with<B: AdapterBuilder>(self) -> Result<Arc<dyn Moderator>, Error> {
        let mut builder = match &self.vars {
            Some(vars) => B::default().with_vars(vars.iter().map(|(k, v)| (k, v.clone()))),
            None => B::from_env(),
        };
        let connection = builder.connection_mut();
        connection.allow_http = self.allow_http;
        if let Some(url) = &self.endpoint {
            connection.endpoint = Some(url.clone());
        }
        if let Some(timeout) = self.timeout {
            connection.timeout = timeout;
        }
        let adapter = builder.build().await?;
        let redis = self
            .redis
            .clone()
            .or_else(|| self.var("MODERATOR_REDIS_URL"));
        let shared = match redis {
            Some(url) => shared_pacer(&adapter, &url)?,
            None => None,
        };
        let ban_url = self
            .ban_store
            .clone()
            .or_else(|| self.var("MODERATOR_BAN_STORE"));
        let bans = ban_store(ban_url.as_deref()).map_err(|error| {
            error.with_provider(room_moderator_core::Adapter::provider(&adapter))
        })?;
        let mut engine = room_moderator_core::Engine::builder(adapter);
        if let Some(pacer) = shared {
            engine = engine.with_pacer(pacer);
        }
        if let Some(store) = bans {
            engine = engine.with_ban_store(store);
        }
        if let Some(retry) = self.retry {
            engine = engine.with_retry(retry);
        }
        if let Some(deadline) = self.deadline {
            engine = engine.with_deadline(deadline);
        }
        if let Some(audit) = self.audit {
            engine = engine.with_audit(audit);
        }
        if let Some(stop) = &self.stop {
            engine = engine.with_stop(stop);
        }
        Ok(Arc::new(engine.build()))
    }
}

/// The Redis pacer for `adapter`'s quota at its documented rate (`None` for a provider without one).
#[cfg(feature = "redis")]
fn shared_pacer<A: room_moderator_core::Adapter>(
    adapter: &A,
    url: &str,
) -> Result<Option<Arc<dyn room_moderator_core::Pacer>>, Error> {
    let Some(rate) = adapter.capabilities().requests_per_second else {
        return Ok(None);
    };
    let key = adapter.quota_key().unwrap_or_else(|| {
        room_moderator_core::QuotaKey::new(adapter.provider(), "default", "calls")
    });
    // Processes sharing a quota each send a moment after their slot (scheduling, the Redis round
    // trip), and an early slot followed by a late one can land `rate` calls within one window at the
    // provider. Half a slot's spacing of margin (10 to 50 ms: 50 ms at Agora RTC's 10/s, 25 ms at
    // ZIM's 20/s) absorbs that jitter for 5% of the quota at most (docs/benchmarks.md).
    let spacing = Duration::from_secs(1) / rate.get();
    let margin = (spacing / 2).clamp(
        room_moderator_core::RatePacer::DEFAULT_MARGIN,
        Duration::from_millis(50),
    );
    let pacer = room_moderator_state::RedisPacer::connect(
        url,
        &key,
        rate,
        room_moderator_state::RedisPacerOptions::default().margin(margin),
    )
    .map_err(|error| error.with_provider(adapter.provider()))?;
    Ok(Some(Arc::new(pacer)))
}

#[cfg(not(feature = "redis"))]
fn shared_pacer<A: room_moderator_core::Adapter>(
    adapter: &A,
    _url: &str,
) -> Result<Option<Arc<dyn room_moderator_core::Pacer>>, Error> {
    Err(Error::config(
        "a Redis URL is set (with_redis or MODERATOR_REDIS_URL) but the `redis` feature of the room-moderator crate is not compiled in",
    )
    .with_provider(adapter.provider()))
}

/// The ban store named by `url` (`None`: the default file, or no store without the `sqlite`
/// feature). A store that cannot be opened (no data directory) still builds: it answers
/// `Unavailable` with the reason to every ban call, so kicking works regardless.
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) fn ban_store(
    url: Option<&str>,
) -> Result<Option<Arc<dyn room_moderator_core::BanStore>>, Error> {
    if url.is_none() && !cfg!(feature = "sqlite") {
        return Ok(None);
    }
    match room_moderator_state::open_ban_store(url) {
        Ok(store) => Ok(Some(store)),
        Err(error) if error.kind() == room_moderator_core::ErrorKind::Unavailable => Ok(Some(
            Arc::new(room_moderator_state::UnavailableBanStore::new(error)),
        )),
        Err(error) => Err(error),
    }
}

/// Without the `sqlite` and `redis` features: no store by default, process memory on `memory:`.
#[cfg(not(any(feature = "sqlite", feature = "redis")))]
pub(crate) fn ban_store(
    url: Option<&str>,
) -> Result<Option<Arc<dyn room_moderator_core::BanStore>>, Error> {
    match url.map(str::trim) {
        None => Ok(None),
        Some(url)
            if url.eq_ignore_ascii_case("memory:") || url.eq_ignore_ascii_case("memory://") =>
        {
            Ok(Some(Arc::new(room_moderator_core::MemoryBanStore::new())))
        }
        Some(_) => Err(Error::config(
            "a ban store URL is set (Builder::with_ban_store or MODERATOR_BAN_STORE) but neither the `sqlite` nor the `redis` feature of the room-moderator crate is compiled in; only memory: is available",
        )),
    }
}

/// The moderator for the provider named by `MODERATOR_PROVIDER`, configured from its environment
/// variables.
pub async fn from_env() -> Result<Arc<dyn Moderator>, Error> {
    Builder::from_env()?.build().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use room_moderator_core::ErrorKind;

    #[test]
    fn memory_is_always_available() {
        let store = ban_store(Some("memory:"))
            .expect("memory:")
            .expect("a store");
        assert_eq!(store.location(), "process memory");
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn the_default_is_the_data_dir_file_opened_on_first_use() {
        let store = ban_store(None).expect("the default").expect("a store");
        // Either the file under the data directory (not created yet) or, without a home
        // directory, a store that says why it is unavailable: building never fails here.
        let location = store.location();
        assert!(
            location.ends_with("bans.sqlite3") || location.starts_with("unavailable"),
            "{location}"
        );
    }

    #[cfg(not(feature = "sqlite"))]
    #[test]
    fn without_sqlite_there_is_no_default_store() {
        assert!(ban_store(None).expect("no store").is_none());
    }

    #[test]
    fn a_url_naming_no_store_fails_without_echoing_it() {
        let err = ban_store(Some("postgres://admin:hunter2@db/bans")).expect_err("no such store");
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[cfg(not(feature = "redis"))]
    #[test]
    fn a_redis_url_without_the_redis_feature_is_a_config_error() {
        let err = ban_store(Some("redis://127.0.0.1/")).expect_err("not compiled in");
        assert_eq!(err.kind(), ErrorKind::Config);
    }

    #[test]
    fn debug_hides_the_ban_store_url() {
        let builder = Builder::new(Provider::ZegoZim).with_ban_store("redis://u:hunter2@host/0");
        assert!(!format!("{builder:?}").contains("hunter2"));
    }
}
