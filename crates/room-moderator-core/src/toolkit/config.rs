//! One configuration contract for every adapter builder.
//!
//! - One key-value path: `with_vars(pairs)` reads the adapter's [`EnvVar`]s from any pairs (an
//!   emulator's, a test's, a configuration file's), and `from_env()` is `with_vars(std::env::vars())`
//!   on the default builder ([`Vars`]).
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

/// The configuration variables an adapter builder reads: its [`EnvVar`]s found among some
/// `(name, value)` pairs, blank values counted as unset. `Debug` shows names only (values may be
/// secrets).
///
/// ```
/// use room_moderator_core::toolkit::{EnvVar, Vars};
/// const VARS: &[EnvVar] = &[EnvVar::new("ACME_KEY_ID", "key id"), EnvVar::new("ACME_URL", "endpoint")];
/// let vars = Vars::known(VARS, [("ACME_KEY_ID", "k1"), ("ACME_URL", " "), ("PATH", "/bin")]);
/// assert_eq!(vars.get("ACME_KEY_ID").as_deref(), Some("k1"));
/// assert_eq!(vars.get("ACME_URL"), None);
/// assert_eq!(vars.get("PATH"), None); // not one of VARS
/// ```
#[derive(Clone, Default)]
pub struct Vars(Vec<(&'static str, String)>);

impl Vars {
    /// The pairs of `pairs` named in `known` (exact names; a later pair wins), blank values dropped.
    pub fn known<K, V>(known: &[EnvVar], pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut vars: Vec<(&'static str, String)> = Vec::new();
        for (name, value) in pairs {
            let Some(var) = known.iter().find(|var| var.name == name.as_ref()) else {
                continue;
            };
            let value = value.into();
            vars.retain(|(kept, _)| *kept != var.name);
            if !value.trim().is_empty() {
                vars.push((var.name, value));
            }
        }
        Vars(vars)
    }

    /// The value of `name`, if given and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(kept, _)| *kept == name)
            .map(|(_, value)| value.clone())
    }

    /// Sets `field` to the value of `name` when it is given (a builder's `apply_vars` reads each of
    /// its variables this way: a variable that is unset or blank leaves the field as it was).
    ///
    /// ```
    /// use room_moderator_core::toolkit::{EnvVar, Vars};
    /// const VARS: &[EnvVar] = &[EnvVar::new("ACME_URL", "endpoint")];
    /// let mut endpoint = Some("https://default".to_owned());
    /// Vars::known(VARS, [("ACME_URL", " ")]).read_into("ACME_URL", &mut endpoint);
    /// assert_eq!(endpoint.as_deref(), Some("https://default"));
    /// Vars::known(VARS, [("ACME_URL", "http://127.0.0.1:9")]).read_into("ACME_URL", &mut endpoint);
    /// assert_eq!(endpoint.as_deref(), Some("http://127.0.0.1:9"));
    /// ```
    pub fn read_into(&self, name: &str, field: &mut Option<String>) {
        if let Some(value) = self.get(name) {
            *field = Some(value);
        }
    }
}

impl std::fmt::Debug for Vars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

/// The configuration contract of an adapter's builder, for code that configures any provider the
/// same way (the `room-moderator` facade's run-time provider choice, the CLI, tests against the
/// emulators).
///
/// One key-value path, after object_store's `with_config`: [`with_vars`](Self::with_vars) applies
/// the [`ENV_VARS`](Self::ENV_VARS) found among any `(name, value)` pairs, and
/// [`from_env`](Self::from_env) is `Self::default().with_vars(std::env::vars())`.
///
/// ```
/// # #[cfg(feature = "mock")] {
/// use room_moderator_core::toolkit::AdapterBuilder;
/// async fn build_any<B: AdapterBuilder>(vars: Vec<(String, String)>) -> Result<B::Adapter, room_moderator_core::Error> {
///     B::default().with_vars(vars).build().await
/// }
/// # }
/// ```
pub trait AdapterBuilder: Sized + Send + Default {
    /// What `build` makes.
    type Adapter: Adapter;

    /// The variables [`with_vars`](Self::with_vars) and [`from_env`](Self::from_env) read.
    const ENV_VARS: &'static [EnvVar];

    /// The capabilities the adapter publishes, known without building it (the facade's run-time
    /// provider choice and the CLI read them).
    const CAPABILITIES: crate::Capabilities;

    /// Sets what `vars` say over this builder's settings (the adapter's reading of its variables).
    /// Call [`with_vars`](Self::with_vars) instead.
    fn apply_vars(self, vars: &Vars) -> Self;

    /// Applies the [`ENV_VARS`](Self::ENV_VARS) found among `pairs` (other names are ignored, blank
    /// values count as unset). Never fails: malformed values are reported by
    /// [`build`](Self::build), naming the variable.
    fn with_vars<K, V>(self, pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        let vars = Vars::known(Self::ENV_VARS, pairs);
        self.apply_vars(&vars)
    }

    /// A builder from the environment: `Self::default().with_vars(std::env::vars())` (a variable
    /// whose name or value is not Unicode counts as unset). Never fails: missing or malformed values
    /// are reported by [`build`](Self::build), naming the variable.
    fn from_env() -> Self {
        Self::default().with_vars(env_vars())
    }

    /// The transport settings, to override them generically.
    fn connection_mut(&mut self) -> &mut Connection;

    /// Checks everything that can be checked before the first call (credentials, endpoint policy,
    /// limits) and builds the adapter. Fails with [`ErrorKind::Config`](crate::ErrorKind::Config).
    fn build(self) -> impl Future<Output = Result<Self::Adapter, Error>> + Send;
}

/// The process environment as text pairs; a pair that is not Unicode is skipped (`std::env::vars`
/// would panic on it).
pub fn env_vars() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
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
