//! One configuration contract for every adapter builder.
//!
//! - `from_env()` never fails: it records what it found, and `build()` names what is missing.
//! - The same three transport setters on every builder, written once by
//!   [`connection_setters!`](crate::connection_setters) over a [`Connection`].
//! - The environment variables as data ([`EnvVar`]), so the facade, the CLI help and the README read
//!   one list.
//! - One async `build()` ([`AdapterBuilder::build`]) that checks everything it can, credentials
//!   included, before the first call.

use std::future::Future;
use std::time::Duration;

use url::Url;

use crate::toolkit::endpoint::{Schemes, check_endpoint};
use crate::{Adapter, Error};

/// The default bound on one provider call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One environment variable an adapter reads.
///
/// ```
/// use room_moderator_core::toolkit::EnvVar;
/// const VARS: &[EnvVar] = &[
///     EnvVar::new("ACME_KEY_ID", "the API key id"),
///     EnvVar::new("ACME_SECRET", "the API secret").secret(),
/// ];
/// assert!(VARS[1].secret && !VARS[0].secret);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct EnvVar {
    /// The variable's name (`ZEGO_APP_ID`).
    pub name: &'static str,
    /// What it holds, one line.
    pub meaning: &'static str,
    /// Whether its value is a secret: never print it, never echo it in help defaults.
    pub secret: bool,
}

impl EnvVar {
    /// A variable whose value is not secret.
    pub const fn new(name: &'static str, meaning: &'static str) -> Self {
        EnvVar {
            name,
            meaning,
            secret: false,
        }
    }

    /// Marks the value as a secret.
    pub const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
}

/// Where an adapter sends its calls and how: the settings every builder has.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connection {
    /// An endpoint override (an emulator, a proxy, a regional or on-premise deployment); `None` for the
    /// provider's public endpoint.
    pub endpoint: Option<String>,
    /// Whether plain `http://` (and `ws://`) may go to hosts other than loopback.
    pub allow_http: bool,
    /// The bound on one provider call.
    pub timeout: Duration,
}

impl Default for Connection {
    /// The public endpoint, https only, [`DEFAULT_TIMEOUT`].
    fn default() -> Self {
        Connection {
            endpoint: None,
            allow_http: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl Connection {
    /// The endpoint to use (the override, else `default`), checked against the scheme policy, and the
    /// timeout checked to be positive. Errors are [`ErrorKind::Config`](crate::ErrorKind::Config)
    /// naming `provider`.
    ///
    /// ```
    /// use room_moderator_core::toolkit::{Connection, HTTP};
    /// let connection = Connection::default();
    /// let url = connection.checked_endpoint("https://api.example.com/", HTTP, "acme")?;
    /// assert_eq!(url.as_str(), "https://api.example.com/");
    /// # Ok::<_, room_moderator_core::Error>(())
    /// ```
    pub fn checked_endpoint(
        &self,
        default: &str,
        schemes: Schemes,
        provider: &'static str,
    ) -> Result<Url, Error> {
        if self.timeout.is_zero() {
            return Err(
                Error::config("the request timeout must be longer than zero")
                    .with_provider(provider),
            );
        }
        let raw = self.endpoint.as_deref().unwrap_or(default);
        check_endpoint(raw, schemes, self.allow_http, "the endpoint")
            .map_err(|e| e.with_provider(provider))
    }
}

/// Writes the three transport setters every adapter builder has (`with_endpoint`, `with_allow_http`,
/// `with_timeout`) over a [`Connection`] field, inside the builder's `impl` block, so they are
/// inherent (no trait to import) and written once.
///
/// ```
/// use room_moderator_core::toolkit::Connection;
/// struct AcmeBuilder {
///     connection: Connection,
/// }
/// impl AcmeBuilder {
///     room_moderator_core::connection_setters!(connection);
/// }
/// let builder = AcmeBuilder { connection: Connection::default() }
///     .with_endpoint("http://127.0.0.1:9")
///     .with_timeout(std::time::Duration::from_secs(3));
/// assert_eq!(builder.connection.endpoint.as_deref(), Some("http://127.0.0.1:9"));
/// ```
#[macro_export]
macro_rules! connection_setters {
    ($field:ident) => {
        /// Sends calls to `url` instead of the provider's public endpoint: an emulator, a proxy, a
        /// regional or on-premise deployment. Plain `http://` is accepted for loopback hosts only,
        /// unless [`with_allow_http`](Self::with_allow_http) is set.
        pub fn with_endpoint(mut self, url: impl Into<String>) -> Self {
            self.$field.endpoint = Some(url.into());
            self
        }

        /// Allows plain `http://` (and `ws://`) to hosts other than loopback (loopback is always
        /// allowed). Off by default: requests carry signatures, credentials and user ids.
        pub fn with_allow_http(mut self, allow: bool) -> Self {
            self.$field.allow_http = allow;
            self
        }

        /// Bounds each provider call, connecting included (default 10 s). A call that runs out of
        /// time fails with [`ErrorKind::Timeout`](room_moderator_core::ErrorKind::Timeout).
        pub fn with_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field.timeout = timeout;
            self
        }
    };
}

/// The configuration contract of an adapter's builder, for code that configures any provider the
/// same way (the `room-moderator` facade's run-time provider choice, the CLI).
///
/// ```
/// # #[cfg(feature = "mock")] {
/// use room_moderator_core::toolkit::AdapterBuilder;
/// async fn build_any<B: AdapterBuilder>(endpoint: &str) -> Result<B::Adapter, room_moderator_core::Error> {
///     let mut builder = B::from_env();
///     builder.connection_mut().endpoint = Some(endpoint.to_owned());
///     builder.build().await
/// }
/// # }
/// ```
pub trait AdapterBuilder: Sized + Send {
    /// What `build` makes.
    type Adapter: Adapter;

    /// The environment variables [`from_env`](Self::from_env) reads.
    const ENV_VARS: &'static [EnvVar];

    /// A builder from the environment. Never fails: missing or malformed values are reported by
    /// [`build`](Self::build), naming the variable.
    fn from_env() -> Self;

    /// The transport settings, to override them generically.
    fn connection_mut(&mut self) -> &mut Connection;

    /// Checks everything that can be checked before the first call (credentials, endpoint policy,
    /// limits) and builds the adapter. Fails with [`ErrorKind::Config`](crate::ErrorKind::Config).
    fn build(self) -> impl Future<Output = Result<Self::Adapter, Error>> + Send;
}

/// A value that is not blank, as read from the environment: an empty variable counts as unset.
///
/// ```
/// use room_moderator_core::toolkit::non_empty;
/// assert_eq!(non_empty(Some(" ".to_owned())), None);
/// assert_eq!(non_empty(Some("42".to_owned())).as_deref(), Some("42"));
/// ```
pub fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}
