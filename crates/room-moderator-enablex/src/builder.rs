//! Configuring the adapter, in code or from the environment.

use std::fmt;
use std::time::Duration;

use room_moderator_core::Error;
use room_moderator_core::toolkit::http::HttpClient;
use room_moderator_core::toolkit::{AdapterBuilder, Connection, EnvVar, Vars, non_empty};

use crate::adapter::Enablex;
use crate::rest::RestClient;
use crate::session::SessionSettings;
use crate::{ENABLEX_CAPABILITIES, PROVIDER};

/// The public Video v2 server API.
pub const DEFAULT_ENDPOINT: &str = "https://api.enablex.io/video/v2/";

/// Default bound on each step: the REST call, connecting the socket, each acknowledgement (core's,
/// the same for every adapter).
pub const DEFAULT_TIMEOUT: Duration = room_moderator_core::toolkit::DEFAULT_TIMEOUT;

/// Environment variable holding the APP ID.
pub const ENV_APP_ID: &str = "ENABLEX_APP_ID";
/// Environment variable holding the APP KEY.
pub const ENV_APP_KEY: &str = "ENABLEX_APP_KEY";
/// Environment variable overriding the REST base URL ([`DEFAULT_ENDPOINT`]).
pub const ENV_API_URL: &str = "ENABLEX_API_URL";

/// The variables [`EnablexBuilder::from_env`] reads, as data (the facade and the CLI help read them).
pub const ENV_VARS: &[EnvVar] = &[
    EnvVar::new(ENV_APP_ID, "APP ID from the EnableX portal"),
    EnvVar::new(ENV_APP_KEY, "APP KEY from the EnableX portal").secret(),
    EnvVar::new(
        ENV_API_URL,
        "REST base URL override (default https://api.enablex.io/video/v2/; an emulator, on-premise)",
    ),
];

/// The name the headless moderator joins with; participants may see it in their user list.
pub const DEFAULT_MODERATOR_NAME: &str = "Moderator";

/// The `user_ref` the headless moderator joins with.
pub const DEFAULT_MODERATOR_REF: &str = "moderator-bot";

/// How long a kept session may stay unused before it leaves the room
/// ([`EnablexBuilder::with_kept_session_idle`]).
pub const DEFAULT_KEPT_SESSION_IDLE: Duration = Duration::from_secs(60);

/// Builds an [`Enablex`] adapter.
///
/// ```
/// use std::time::Duration;
/// use room_moderator_enablex::EnablexBuilder;
/// let adapter = EnablexBuilder::new("my-app-id", "my-app-key")
///     .with_timeout(Duration::from_secs(5))
///     .with_max_users_per_call(50)
///     .with_moderator_name("Trust & Safety")
///     .build()?;
/// # let _ = adapter;
/// # Ok::<_, room_moderator_core::Error>(())
/// ```
#[derive(Clone)]
pub struct EnablexBuilder {
    app_id: Option<String>,
    app_key: Option<String>,
    connection: Connection,
    max_users_per_call: usize,
    moderator_name: String,
    moderator_ref: String,
    keep_session: bool,
    kept_session_idle: Duration,
    match_client_ids: bool,
}

impl fmt::Debug for EnablexBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnablexBuilder")
            .field("app_id", &self.app_id)
            .field("app_key", &self.app_key.as_ref().map(|_| "<redacted>"))
            .field("connection", &self.connection)
            .field("max_users_per_call", &self.max_users_per_call)
            .field("moderator_name", &self.moderator_name)
            .field("moderator_ref", &self.moderator_ref)
            .field("keep_session", &self.keep_session)
            .field("kept_session_idle", &self.kept_session_idle)
            .field("match_client_ids", &self.match_client_ids)
            .finish()
    }
}

impl Default for EnablexBuilder {
    /// No credentials, the public endpoint and the default settings.
    fn default() -> Self {
        EnablexBuilder::with_credentials(None, None)
    }
}

impl EnablexBuilder {
    fn with_credentials(app_id: Option<String>, app_key: Option<String>) -> Self {
        EnablexBuilder {
            app_id,
            app_key,
            connection: Connection::default(),
            max_users_per_call: ENABLEX_CAPABILITIES.max_users_per_call.get(),
            moderator_name: DEFAULT_MODERATOR_NAME.to_owned(),
            moderator_ref: DEFAULT_MODERATOR_REF.to_owned(),
            keep_session: false,
            kept_session_idle: DEFAULT_KEPT_SESSION_IDLE,
            match_client_ids: false,
        }
    }

    /// A builder with the application's credentials (EnableX portal: APP ID and APP KEY).
    pub fn new(app_id: impl Into<String>, app_key: impl Into<String>) -> Self {
        EnablexBuilder::with_credentials(
            non_empty(Some(app_id.into())),
            non_empty(Some(app_key.into())),
        )
    }

    /// A builder from `ENABLEX_APP_ID`, `ENABLEX_APP_KEY` and optionally `ENABLEX_API_URL`; the same as
    /// [`AdapterBuilder::from_env`] (`Self::default().with_vars(std::env::vars())`). Never fails by
    /// itself: [`build`](Self::build) names whatever is missing.
    pub fn from_env() -> Self {
        <Self as AdapterBuilder>::from_env()
    }

    // The endpoint replaces [`DEFAULT_ENDPOINT`] for REST calls; the signalling host always comes
    // from the token, and allow-http covers its `ws://` too. The timeout bounds each step: the REST
    // call, connecting the socket, each acknowledgement.
    room_moderator_core::connection_setters!(connection);

    /// Most users per `drop` (default 100; EnableX documents no limit).
    pub fn with_max_users_per_call(mut self, max: usize) -> Self {
        self.max_users_per_call = max;
        self
    }

    /// The name the headless moderator joins with.
    pub fn with_moderator_name(mut self, name: impl Into<String>) -> Self {
        self.moderator_name = name.into();
        self
    }

    /// The `user_ref` the headless moderator joins with. Connections with it are never dropped, and
    /// a request naming it is refused before anything is sent.
    pub fn with_moderator_ref(mut self, user_ref: impl Into<String>) -> Self {
        self.moderator_ref = user_ref.into();
        self
    }

    /// Keeps one session per room open across calls instead of join -> drop -> leave per call.
    /// A lost socket is replaced with a new session (and a new token: tokens are single use).
    /// Batches in one room take turns; rooms do not wait for each other. A session leaves after
    /// [`with_kept_session_idle`](Self::with_kept_session_idle) without use, on [`Enablex::close`],
    /// or when the adapter is dropped.
    pub fn with_kept_session(mut self, keep: bool) -> Self {
        self.keep_session = keep;
        self
    }

    /// How long a kept session may stay unused before it leaves the room (default
    /// [`DEFAULT_KEPT_SESSION_IDLE`]).
    pub fn with_kept_session_idle(mut self, idle: Duration) -> Self {
        self.kept_session_idle = idle;
        self
    }

    /// Also treats a requested user id as a raw signalling clientId (one connection), in addition
    /// to matching it against every connection's `user_ref`.
    pub fn with_client_id_matching(mut self, enabled: bool) -> Self {
        self.match_client_ids = enabled;
        self
    }

    /// Checks the settings and builds the adapter. Synchronous: there is nothing to wait for (the
    /// credentials are checked by EnableX on the first token request). Code generic over providers
    /// uses the async [`AdapterBuilder::build`], which runs the same checks. Fails with
    /// [`ErrorKind::Config`](room_moderator_core::ErrorKind::Config) naming what is missing or wrong.
    pub fn build(self) -> Result<Enablex, Error> {
        let config = |message: String| Error::config(message).with_provider(PROVIDER);
        let app_id = self.app_id.ok_or_else(|| {
            config(format!(
                "{ENV_APP_ID} is not set (or pass the APP ID to EnablexBuilder::new)"
            ))
        })?;
        let app_key = self.app_key.ok_or_else(|| {
            config(format!(
                "{ENV_APP_KEY} is not set (or pass the APP KEY to EnablexBuilder::new)"
            ))
        })?;
        if self.max_users_per_call == 0 {
            return Err(config("max_users_per_call must be at least 1".to_owned()));
        }
        if self.kept_session_idle.is_zero() {
            return Err(config(
                "the kept session idle time must be positive".to_owned(),
            ));
        }
        if self.moderator_name.trim().is_empty() || self.moderator_ref.trim().is_empty() {
            return Err(config(
                "the moderator's name and user_ref must not be empty".to_owned(),
            ));
        }
        let http = HttpClient::new(&self.connection, DEFAULT_ENDPOINT, PROVIDER)?;
        let Connection {
            allow_http,
            timeout,
            ..
        } = self.connection;
        let rest = RestClient::new(http, &app_id, &app_key);
        let settings = SessionSettings {
            timeout,
            allow_http,
            match_client_ids: self.match_client_ids,
            moderator_ref: self.moderator_ref.clone(),
        };
        Ok(Enablex::new(
            rest,
            settings,
            self.moderator_name,
            self.moderator_ref,
            ENABLEX_CAPABILITIES.with_max_users_per_call(self.max_users_per_call),
            self.keep_session.then_some(self.kept_session_idle),
        ))
    }
}

impl AdapterBuilder for EnablexBuilder {
    type Adapter = Enablex;

    const ENV_VARS: &'static [EnvVar] = ENV_VARS;
    const CAPABILITIES: room_moderator_core::Capabilities = crate::ENABLEX_CAPABILITIES;

    /// The credentials and the REST base URL, each where given.
    fn apply_vars(mut self, vars: &Vars) -> Self {
        vars.read_into(ENV_APP_ID, &mut self.app_id);
        vars.read_into(ENV_APP_KEY, &mut self.app_key);
        vars.read_into(ENV_API_URL, &mut self.connection.endpoint);
        self
    }

    fn connection_mut(&mut self) -> &mut Connection {
        &mut self.connection
    }

    async fn build(self) -> Result<Enablex, Error> {
        EnablexBuilder::build(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use room_moderator_core::ErrorKind;

    #[test]
    fn missing_credentials_name_the_variable() {
        let error = EnablexBuilder::new("", "key").build().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.message().contains("ENABLEX_APP_ID"), "{error}");
        let error = EnablexBuilder::new("id", " ").build().unwrap_err();
        assert!(error.message().contains("ENABLEX_APP_KEY"), "{error}");
    }

    #[test]
    fn environment_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| pairs.iter().copied();
        let builder = EnablexBuilder::default().with_vars(env(&[
            ("ENABLEX_APP_ID", "id"),
            ("ENABLEX_APP_KEY", "key"),
            ("ENABLEX_API_URL", "http://127.0.0.1:1/video/v2/"),
        ]));
        assert_eq!(builder.app_id.as_deref(), Some("id"));
        assert_eq!(
            builder.connection.endpoint.as_deref(),
            Some("http://127.0.0.1:1/video/v2/")
        );
        assert!(builder.build().is_ok());
        let error = EnablexBuilder::default()
            .with_vars(env(&[("ENABLEX_APP_ID", "id")]))
            .build()
            .unwrap_err();
        assert!(error.message().contains("ENABLEX_APP_KEY"), "{error}");
        let error = EnablexBuilder::default()
            .with_vars(env(&[("ENABLEX_APP_ID", "")]))
            .build()
            .unwrap_err();
        assert!(error.message().contains("ENABLEX_APP_ID"), "{error}");
    }

    #[test]
    fn endpoint_rules() {
        let build = |url: &str, allow| {
            EnablexBuilder::new("id", "key")
                .with_endpoint(url)
                .with_allow_http(allow)
                .build()
        };
        assert!(build("https://api.enablex.io/video/v2/", false).is_ok());
        assert!(build("http://127.0.0.1:4000/video/v2", false).is_ok());
        assert_eq!(
            build("http://enablex.internal/", false).unwrap_err().kind(),
            ErrorKind::Config
        );
        assert!(build("http://enablex.internal/", true).is_ok());
        assert_eq!(
            build("not a url", true).unwrap_err().kind(),
            ErrorKind::Config
        );
        assert_eq!(
            build("mailto:a@b", true).unwrap_err().kind(),
            ErrorKind::Config
        );
    }

    #[test]
    fn limits_are_checked() {
        let builder = EnablexBuilder::new("id", "key");
        assert!(builder.clone().with_max_users_per_call(0).build().is_err());
        assert!(
            builder
                .clone()
                .with_timeout(Duration::ZERO)
                .build()
                .is_err()
        );
        assert!(builder.clone().with_moderator_ref("").build().is_err());
        assert!(
            builder
                .clone()
                .with_kept_session_idle(Duration::ZERO)
                .build()
                .is_err()
        );
        let adapter = builder.with_max_users_per_call(7).build().unwrap();
        use room_moderator_core::Adapter;
        assert_eq!(adapter.capabilities().max_users_per_call.get(), 7);
    }

    #[test]
    fn debug_redacts_the_key() {
        let builder = EnablexBuilder::new("app", "very-secret-key");
        let debug = format!("{builder:?}");
        assert!(
            debug.contains("app") && !debug.contains("very-secret-key"),
            "{debug}"
        );
        let adapter = builder.build().unwrap();
        assert!(!format!("{adapter:?}").contains("very-secret-key"));
    }
}
