//! Configuring an IVS adapter ([`IvsChat`], and with feature `stages` [`IvsStages`](crate::IvsStages)):
//! from the AWS environment, from an `SdkConfig`, or by hand. One builder serves both services
//! ([`IvsBuilder`]); each service's SDK is plugged in by [`IvsService`].

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ivschat::config::retry::RetryConfig;
use aws_sdk_ivschat::config::timeout::TimeoutConfig;
use aws_sdk_ivschat::config::{Credentials, Region};
use room_moderator_core::Error;
use room_moderator_core::toolkit::{AdapterBuilder, Connection, EnvVar, Vars};

use crate::IvsChat;
use crate::endpoint::{self, EndpointGuard};
use crate::success_body::SuccessBodyCheck;

/// How long one IVS call may take unless [`IvsBuilder::with_timeout`] says otherwise (core's, the
/// same for every adapter).
pub const DEFAULT_TIMEOUT: Duration = room_moderator_core::toolkit::DEFAULT_TIMEOUT;

const REGION: EnvVar = EnvVar::new("AWS_REGION", "the AWS region of the rooms (us-east-1, ...)");
const ACCESS_KEY_ID: EnvVar = EnvVar::new(
    "AWS_ACCESS_KEY_ID",
    "access key id (or use a profile or a role)",
);
const SECRET_ACCESS_KEY: EnvVar =
    EnvVar::new("AWS_SECRET_ACCESS_KEY", "secret access key").secret();
const SESSION_TOKEN: EnvVar = EnvVar::new(
    "AWS_SESSION_TOKEN",
    "session token of temporary credentials",
)
.secret();
const PROFILE: EnvVar = EnvVar::new(
    "AWS_PROFILE",
    "a profile of ~/.aws/config and ~/.aws/credentials",
);
const ENDPOINT_ALL: EnvVar = EnvVar::new(
    "AWS_ENDPOINT_URL",
    "endpoint override for every AWS service",
);

/// The variables [`IvsChatBuilder::from_env`] reads through the AWS SDK's standard chain, as data (the
/// facade and the CLI help read them). Profiles, SSO, container and instance credentials work too.
pub const ENV_VARS: &[EnvVar] = &[
    REGION,
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    PROFILE,
    EnvVar::new(
        "AWS_ENDPOINT_URL_IVSCHAT",
        "endpoint override for IVS Chat (an emulator, a proxy, a VPC endpoint)",
    ),
    ENDPOINT_ALL,
];

/// The variables the stages adapter's builder reads: [`ENV_VARS`] with IVS real-time's endpoint
/// variable (`AWS_ENDPOINT_URL_IVS_REALTIME`: the SDK's service id "IVS RealTime", uppercased, spaces
/// to `_`) in place of IVS Chat's.
pub const STAGES_ENV_VARS: &[EnvVar] = &[
    REGION,
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    PROFILE,
    EnvVar::new(
        "AWS_ENDPOINT_URL_IVS_REALTIME",
        "endpoint override for IVS real-time stages (an emulator, a proxy, a VPC endpoint)",
    ),
    ENDPOINT_ALL,
];

/// The SDK's own default connect timeout (behaviour version 2024-03-28 and later); kept when the call
/// timeout is longer.
const SDK_CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// How long `build` waits for the AWS credential chain to produce credentials (a chain that ends in
/// instance metadata can take seconds to give up).
pub const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) mod sealed {
    /// Only this crate's adapters are IVS services.
    pub trait Sealed {}
}

/// What the shared builder applies to a service's SDK configuration.
#[doc(hidden)]
pub struct Settings {
    /// The endpoint given to the builder, applied to the SDK's configuration.
    endpoint: Option<String>,
    /// That endpoint, or the one the `SdkConfig` carried: what the adapter reports.
    known_endpoint: Option<String>,
    region: Option<String>,
    credentials: Option<Credentials>,
    allow_http: bool,
    timeout: Duration,
}

/// What a built adapter is made of besides its SDK client.
#[derive(Clone, Debug)]
pub(crate) struct Parts {
    /// The region requests go to.
    pub region: String,
    /// The endpoint override, if any.
    pub endpoint: Option<String>,
    /// The per-call timeout.
    pub timeout: Duration,
}

/// One IVS service's SDK, as [`IvsBuilder`] drives it: implemented by [`IvsChat`] and
/// [`IvsStages`](crate::IvsStages) only (sealed).
pub trait IvsService: sealed::Sealed + Sized + Send + 'static {
    /// The service SDK's configuration builder (`aws_sdk_ivschat::config::Builder`, ...).
    type ConfigBuilder: Clone + Send;
    /// The service SDK's configuration (`aws_sdk_ivschat::Config`, ...).
    type Config;
    /// The adapter's type name, for `Debug`.
    #[doc(hidden)]
    const NAME: &'static str;
    /// The provider name in errors.
    #[doc(hidden)]
    const PROVIDER: &'static str;
    /// The variables `from_env` reads.
    #[doc(hidden)]
    const ENV_VARS: &'static [EnvVar];
    /// The capabilities the adapter publishes.
    #[doc(hidden)]
    const CAPABILITIES: room_moderator_core::Capabilities;
    /// The service's own endpoint variable (`AWS_ENDPOINT_URL_IVSCHAT`, ...).
    #[doc(hidden)]
    const ENDPOINT_VAR: &'static str;
    #[doc(hidden)]
    fn fresh_config() -> Self::ConfigBuilder;
    #[doc(hidden)]
    fn config_from_sdk(sdk: &SdkConfig) -> Self::ConfigBuilder;
    #[doc(hidden)]
    fn config_to_builder(config: Self::Config) -> Self::ConfigBuilder;
    /// Applies the settings (engine-owned retries, timeouts, the endpoint and success-body checks)
    /// and builds the adapter; `Err` when no region is known.
    #[doc(hidden)]
    fn finish(config: Self::ConfigBuilder, settings: Settings) -> Result<Self, Error>;
}

/// Implements [`IvsService`] for an adapter over one IVS SDK crate (each SDK's configuration
/// builder has the same methods under its own types).
macro_rules! ivs_service {
    ($adapter:ty, $sdk:ident, $name:literal, $provider:expr, $vars:expr, $capabilities:expr, $endpoint_var:literal) => {
        impl crate::builder::sealed::Sealed for $adapter {}

        impl crate::builder::IvsService for $adapter {
            type ConfigBuilder = $sdk::config::Builder;
            type Config = $sdk::Config;
            const NAME: &'static str = $name;
            const PROVIDER: &'static str = $provider;
            const ENV_VARS: &'static [room_moderator_core::toolkit::EnvVar] = $vars;
            const CAPABILITIES: room_moderator_core::Capabilities = $capabilities;
            const ENDPOINT_VAR: &'static str = $endpoint_var;

            fn fresh_config() -> Self::ConfigBuilder {
                $sdk::Config::builder().behavior_version(aws_config::BehaviorVersion::latest())
            }

            fn config_from_sdk(sdk: &aws_config::SdkConfig) -> Self::ConfigBuilder {
                $sdk::config::Builder::from(sdk)
            }

            fn config_to_builder(config: Self::Config) -> Self::ConfigBuilder {
                config.to_builder()
            }

            fn finish(
                mut config: Self::ConfigBuilder,
                settings: crate::builder::Settings,
            ) -> Result<Self, room_moderator_core::Error> {
                let (parts, applied) = settings.split();
                if let Some(url) = &applied.endpoint {
                    config = config.endpoint_url(url);
                }
                if let Some(region) = applied.region {
                    config = config.region(region);
                }
                if let Some(credentials) = applied.credentials {
                    config = config.credentials_provider(credentials);
                }
                let config = config
                    .retry_config(applied.retry)
                    .timeout_config(applied.timeout)
                    .interceptor(applied.endpoint_guard)
                    .interceptor(applied.success_body)
                    .build();
                let region =
                    crate::builder::region_of(config.region().map(|r| r.as_ref()), $provider)?;
                Ok(<$adapter>::from_parts(
                    $sdk::Client::from_conf(config),
                    parts.with_region(region),
                ))
            }
        }
    };
}
#[cfg(feature = "stages")]
pub(crate) use ivs_service;

ivs_service!(
    IvsChat,
    aws_sdk_ivschat,
    "IvsChat",
    crate::PROVIDER,
    ENV_VARS,
    crate::IVSCHAT_CAPABILITIES,
    "AWS_ENDPOINT_URL_IVSCHAT"
);

/// [`Settings`] in the SDK's types, for [`ivs_service!`].
pub(crate) struct Applied {
    pub endpoint: Option<String>,
    pub region: Option<Region>,
    pub credentials: Option<Credentials>,
    pub retry: RetryConfig,
    pub timeout: TimeoutConfig,
    pub endpoint_guard: EndpointGuard,
    pub success_body: SuccessBodyCheck,
}

impl Settings {
    /// The adapter's parts (the region still to be read from the built configuration) and what to
    /// apply to the SDK's configuration.
    ///
    /// One owner for retries: the engine. With the SDK's standard mode (3 attempts) under the
    /// engine's retries, one throttled user would cost 3 x 4 calls, the SDK would sleep outside the
    /// engine's pacer and deadline, and reports would undercount attempts. So every SDK call is
    /// exactly one HTTP request.
    pub(crate) fn split(self) -> (Parts, Applied) {
        let parts = Parts {
            region: String::new(),
            endpoint: self.known_endpoint,
            timeout: self.timeout,
        };
        let applied = Applied {
            endpoint: self.endpoint,
            region: self.region.map(Region::new),
            credentials: self.credentials,
            retry: RetryConfig::disabled(),
            timeout: TimeoutConfig::builder()
                .operation_timeout(self.timeout)
                .operation_attempt_timeout(self.timeout)
                .connect_timeout(self.timeout.min(SDK_CONNECT_TIMEOUT))
                .build(),
            endpoint_guard: EndpointGuard {
                allow_http: self.allow_http,
            },
            success_body: SuccessBodyCheck,
        };
        (parts, applied)
    }
}

impl Parts {
    pub(crate) fn with_region(mut self, region: String) -> Self {
        self.region = region;
        self
    }
}

/// The region of a built configuration, or the error that says how to set one.
pub(crate) fn region_of(region: Option<&str>, provider: &'static str) -> Result<String, Error> {
    region.map(str::to_owned).ok_or_else(|| {
        Error::config("no AWS region: set AWS_REGION (or a profile region) or call with_region")
            .with_provider(provider)
    })
}

/// Builds an [`IvsChat`] adapter (see [`IvsBuilder`]).
pub type IvsChatBuilder = IvsBuilder<IvsChat>;

/// Builds an IVS adapter: [`IvsChatBuilder`], or with feature `stages` `IvsStagesBuilder`.
///
/// Start from the AWS environment ([`IvsBuilder::from_env`]: credential chain, region,
/// `AWS_ENDPOINT_URL_IVSCHAT` / `AWS_ENDPOINT_URL_IVS_REALTIME`), from an [`SdkConfig`] you loaded, or
/// from nothing ([`IvsBuilder::new`]) and set region and credentials by hand, as the emulator and the
/// CLI do. [`IvsBuilder::build`] is async because loading the AWS environment is (profile files, SSO,
/// instance metadata), as with `aws_config::from_env().load().await`.
///
/// ```
/// use std::time::Duration;
/// use room_moderator_ivs::IvsChatBuilder;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let adapter = IvsChatBuilder::new()
///     .with_region("us-east-1")
///     .with_credentials("AKIDEMULATOR", "emulator-secret", None)
///     .with_endpoint("http://127.0.0.1:4510")
///     .with_timeout(Duration::from_secs(5))
///     .build()
///     .await?;
/// # let _ = adapter;
/// # Ok::<_, room_moderator_core::Error>(()) }).unwrap();
/// ```
pub struct IvsBuilder<S: IvsService> {
    base: Base<S>,
    connection: Connection,
    region: Option<String>,
    credentials: Option<Credentials>,
    service: PhantomData<fn() -> S>,
}

impl<S: IvsService> Clone for IvsBuilder<S> {
    fn clone(&self) -> Self {
        IvsBuilder {
            base: self.base.clone(),
            connection: self.connection.clone(),
            region: self.region.clone(),
            credentials: self.credentials.clone(),
            service: PhantomData,
        }
    }
}

/// Where the configuration the `with_*` overrides apply to comes from.
enum Base<S: IvsService> {
    /// The AWS environment, loaded by `build`.
    Environment,
    /// A configuration in hand (boxed: the SDK's builder is large).
    Loaded {
        config: Box<S::ConfigBuilder>,
        /// The endpoint an `SdkConfig` carried, checked at build time.
        inherited_endpoint: Option<String>,
        /// Whether it has a credentials provider (the SDK's `Config` cannot say).
        has_credentials: bool,
    },
}

impl<S: IvsService> Clone for Base<S> {
    fn clone(&self) -> Self {
        match self {
            Base::Environment => Base::Environment,
            Base::Loaded {
                config,
                inherited_endpoint,
                has_credentials,
            } => Base::Loaded {
                config: config.clone(),
                inherited_endpoint: inherited_endpoint.clone(),
                has_credentials: *has_credentials,
            },
        }
    }
}

impl<S: IvsService> fmt::Debug for IvsBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (base, inherited_endpoint) = match &self.base {
            Base::Environment => ("environment", None),
            Base::Loaded {
                inherited_endpoint, ..
            } => ("loaded", inherited_endpoint.as_ref()),
        };
        f.debug_struct(&format!("{}Builder", S::NAME))
            .field("base", &base)
            .field(
                "endpoint",
                &self.connection.endpoint.as_ref().or(inherited_endpoint),
            )
            .field("region", &self.region)
            // Never the keys, not even the access key id: only whether they were given.
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .field("timeout", &self.connection.timeout)
            .field("allow_http", &self.connection.allow_http)
            .finish_non_exhaustive()
    }
}

impl<S: IvsService> Default for IvsBuilder<S> {
    fn default() -> Self {
        IvsBuilder::new()
    }
}

impl<S: IvsService> IvsBuilder<S> {
    fn with_base(base: Base<S>) -> Self {
        IvsBuilder {
            base,
            connection: Connection::default(),
            region: None,
            credentials: None,
            service: PhantomData,
        }
    }

    /// A builder with no region, credentials or endpoint: set them with the `with_*` methods.
    pub fn new() -> Self {
        IvsBuilder::with_base(Base::Loaded {
            config: Box::new(S::fresh_config()),
            inherited_endpoint: None,
            has_credentials: false,
        })
    }

    /// A builder that [`build`](IvsBuilder::build) fills from the standard AWS configuration:
    /// credentials (environment, profile, SSO, process, container, instance metadata), region
    /// (`AWS_REGION`, profile), and the endpoint (`AWS_ENDPOINT_URL_IVSCHAT` or
    /// `AWS_ENDPOINT_URL_IVS_REALTIME`, `AWS_ENDPOINT_URL`, profile `endpoint_url`). The `with_*`
    /// settings take precedence.
    ///
    /// Never fails: a missing region or missing credentials are reported by `build` (as
    /// [`ErrorKind::Config`](room_moderator_core::ErrorKind::Config)).
    pub fn from_env() -> Self {
        IvsBuilder::with_base(Base::Environment)
    }

    /// Starts from an [`SdkConfig`] (credentials, region, endpoint, HTTP client, time source): one
    /// `SdkConfig` serves both IVS adapters. Its retry settings are replaced: the engine owns retries
    /// (see [`IvsBuilder::build`]).
    pub fn from_sdk_config(sdk: &SdkConfig) -> Self {
        IvsBuilder::with_base(Base::Loaded {
            config: Box::new(S::config_from_sdk(sdk)),
            inherited_endpoint: sdk.endpoint_url().map(str::to_owned),
            has_credentials: sdk.credentials_provider().is_some(),
        })
    }

    /// Starts from the service SDK's `Config` built by hand, e.g. the one of an `aws-smithy-mocks`
    /// test client. Its retry and timeout settings are replaced as in [`IvsBuilder::build`].
    /// Whether it holds credentials cannot be seen from outside: if it does not, the first call fails
    /// with [`ErrorKind::Config`](room_moderator_core::ErrorKind::Config).
    pub fn from_conf(config: S::Config) -> Self {
        IvsBuilder::with_base(Base::Loaded {
            config: Box::new(S::config_to_builder(config)),
            inherited_endpoint: None,
            has_credentials: true,
        })
    }

    // The endpoint replaces `https://ivschat.<region>.amazonaws.com` or
    // `https://ivsrealtime.<region>.amazonaws.com` (the emulator, a proxy, a VPC endpoint); the
    // timeout bounds each call as the SDK's operation timeout.
    room_moderator_core::connection_setters!(connection);

    /// Sets the AWS region (`us-east-1`, ...).
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Uses these static credentials instead of the credential chain.
    pub fn with_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        self.credentials = Some(Credentials::new(
            access_key_id,
            secret_access_key,
            session_token,
            None,
            "room-moderator-ivs",
        ));
        self
    }

    /// Builds the adapter, loading the AWS environment first if the builder came from
    /// [`IvsBuilder::from_env`].
    ///
    /// Fails with [`ErrorKind::Config`](room_moderator_core::ErrorKind::Config) when no region is known
    /// (set `AWS_REGION` or call `with_region`), when no credentials are configured, or when the
    /// endpoint breaks the http rule.
    pub async fn build(self) -> Result<S, Error> {
        match self.base {
            Base::Environment => {
                let mut loader = aws_config::defaults(BehaviorVersion::latest());
                // Given values are not looked up (no instance-metadata round trip for a region we
                // already have).
                if let Some(region) = &self.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                if let Some(credentials) = &self.credentials {
                    loader = loader.credentials_provider(credentials.clone());
                }
                let sdk = loader.load().await;
                if self.credentials.is_none() {
                    resolve_credentials(&sdk, S::PROVIDER).await?;
                }
                IvsBuilder {
                    base: IvsBuilder::<S>::from_sdk_config(&sdk).base,
                    ..self
                }
                .finish()
            }
            Base::Loaded { .. } => self.finish(),
        }
    }

    /// Applies the overrides to a loaded configuration; nothing here waits.
    pub(crate) fn finish(self) -> Result<S, Error> {
        let provider = S::PROVIDER;
        let Base::Loaded {
            config,
            inherited_endpoint,
            has_credentials,
        } = self.base
        else {
            return Err(Error::config("the AWS environment was not loaded").with_provider(provider));
        };
        let Connection {
            endpoint: given_endpoint,
            allow_http,
            timeout,
            ..
        } = self.connection;
        if timeout.is_zero() {
            return Err(
                Error::config("the request timeout must be longer than zero")
                    .with_provider(provider),
            );
        }
        let endpoint = given_endpoint.clone().or(inherited_endpoint);
        if let Some(endpoint) = &endpoint {
            endpoint::check(endpoint, allow_http)
                .map_err(|refused| Error::config(refused.to_string()).with_provider(provider))?;
        }
        let has_credentials = has_credentials || self.credentials.is_some();
        // The region is checked first (by `S::finish`), then credentials, as before.
        let settings = Settings {
            endpoint: given_endpoint,
            known_endpoint: endpoint,
            region: self.region,
            credentials: self.credentials,
            allow_http,
            timeout,
        };
        let adapter = S::finish(*config, settings)?;
        if !has_credentials {
            return Err(Error::config(
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile), or call with_credentials",
            )
            .with_provider(provider));
        }
        Ok(adapter)
    }
}

impl<S: IvsService + room_moderator_core::Adapter> AdapterBuilder for IvsBuilder<S> {
    type Adapter = S;

    const ENV_VARS: &'static [EnvVar] = S::ENV_VARS;
    const CAPABILITIES: room_moderator_core::Capabilities = S::CAPABILITIES;

    /// The AWS SDK's own chain, which reads the environment itself (and profiles, SSO, container
    /// and instance credentials), rather than [`with_vars`](AdapterBuilder::with_vars) over it.
    fn from_env() -> Self {
        IvsBuilder::from_env()
    }

    /// `AWS_REGION`; static credentials from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (with
    /// `AWS_SESSION_TOKEN`) when both are given; the endpoint from the service's variable
    /// (`AWS_ENDPOINT_URL_IVSCHAT`, `AWS_ENDPOINT_URL_IVS_REALTIME`) or else `AWS_ENDPOINT_URL`. `AWS_PROFILE` names a profile of the SDK's files, which only
    /// [`from_env`](IvsChatBuilder::from_env) reads: it is ignored here.
    fn apply_vars(mut self, vars: &Vars) -> Self {
        if let Some(region) = vars.get("AWS_REGION") {
            self = self.with_region(region);
        }
        if let (Some(id), Some(secret)) = (
            vars.get("AWS_ACCESS_KEY_ID"),
            vars.get("AWS_SECRET_ACCESS_KEY"),
        ) {
            self = self.with_credentials(id, secret, vars.get("AWS_SESSION_TOKEN"));
        }
        if let Some(url) = vars
            .get(S::ENDPOINT_VAR)
            .or_else(|| vars.get("AWS_ENDPOINT_URL"))
        {
            self.connection.endpoint = Some(url);
        }
        self
    }

    fn connection_mut(&mut self) -> &mut Connection {
        &mut self.connection
    }

    async fn build(self) -> Result<S, Error> {
        IvsBuilder::build(self).await
    }
}

/// Asks the credential chain once, with a timeout, so that missing credentials are a `Config` error
/// from `build` (the CLI exits 2 having sent nothing), not a failure of every call (each probing the
/// chain again). The chain's own error goes to debug-level logs: its `Display` is pages long.
async fn resolve_credentials(sdk: &SdkConfig, provider: &'static str) -> Result<(), Error> {
    use aws_credential_types::provider::ProvideCredentials;
    const WHAT_TO_SET: &str = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE, or run where container or instance credentials are available";
    let missing =
        |why: &str| Error::config(format!("{why}; {WHAT_TO_SET}")).with_provider(provider);
    let Some(chain) = sdk.credentials_provider() else {
        return Err(missing("no AWS credentials are configured"));
    };
    match tokio::time::timeout(CREDENTIALS_TIMEOUT, chain.provide_credentials()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => {
            tracing::debug!(error = %aws_sdk_ivschat::error::DisplayErrorContext(&error), "the AWS credential chain found nothing");
            Err(missing(&format!(
                "no AWS credentials found ({})",
                crate::sdk_error::short_cause(&error)
            )))
        }
        Err(_) => Err(missing(&format!(
            "the AWS credential chain gave no answer within {CREDENTIALS_TIMEOUT:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use room_moderator_core::ErrorKind;

    use super::*;

    fn emulator_like() -> IvsChatBuilder {
        IvsChatBuilder::new()
            .with_region("us-east-1")
            .with_credentials(
                "AKIDEXAMPLE",
                "very-secret-key",
                Some("session-tok".to_owned()),
            )
    }

    #[tokio::test]
    async fn a_credential_chain_that_finds_nothing_is_one_short_config_error() {
        use aws_credential_types::provider::SharedCredentialsProvider;
        use aws_credential_types::provider::error::CredentialsError;
        let chain = aws_credential_types::credential_fn::provide_credentials_fn(|| async {
            Err(CredentialsError::not_loaded(
                "no providers in chain provided credentials",
            ))
        });
        let sdk = SdkConfig::builder()
            .credentials_provider(SharedCredentialsProvider::new(chain))
            .build();
        let error = resolve_credentials(&sdk, "ivschat")
            .await
            .expect_err("nothing found");
        assert_eq!(error.kind(), ErrorKind::Config);
        let text = error.to_string();
        assert!(text.contains("AWS_ACCESS_KEY_ID"), "{text}");
        assert!(!text.contains('\n') && text.len() < 400, "{text}");
        let none = SdkConfig::builder().build();
        assert!(resolve_credentials(&none, "ivschat").await.is_err());
    }

    #[tokio::test]
    async fn region_and_credentials_are_required() {
        let error = IvsChatBuilder::new()
            .with_credentials("AKID", "secret", None)
            .build()
            .await
            .expect_err("no region");
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.message().contains("AWS_REGION"), "{error}");

        let error = IvsChatBuilder::new()
            .with_region("us-east-1")
            .build()
            .await
            .expect_err("no credentials");
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.message().contains("AWS_ACCESS_KEY_ID"), "{error}");

        assert!(emulator_like().build().await.is_ok());
    }

    #[tokio::test]
    async fn sdk_config_supplies_region_credentials_and_endpoint() {
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_ivschat::config::SharedCredentialsProvider::new(
                Credentials::for_tests(),
            ))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        let adapter = IvsChat::from_sdk_config(&sdk).expect("complete config");
        assert_eq!(adapter.region(), "eu-west-1");
        assert_eq!(adapter.endpoint(), Some("http://127.0.0.1:9"));

        let remote = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .endpoint_url("http://ivs.internal.example:80")
            .build();
        let error = IvsChat::from_sdk_config(&remote).expect_err("plain http to a remote host");
        assert_eq!(error.kind(), ErrorKind::Config);
    }

    #[tokio::test]
    async fn plain_http_needs_loopback_or_the_opt_in() {
        let error = emulator_like()
            .with_endpoint("http://ivs.internal.example:8080")
            .build()
            .await
            .expect_err("remote http");
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.message().contains("with_allow_http"), "{error}");
        assert!(
            emulator_like()
                .with_endpoint("http://ivs.internal.example:8080")
                .with_allow_http(true)
                .build()
                .await
                .is_ok()
        );
        assert!(
            emulator_like()
                .with_endpoint("http://localhost:4510")
                .build()
                .await
                .is_ok()
        );
        assert!(
            emulator_like()
                .with_endpoint("https://ivschat.us-west-2.amazonaws.com")
                .build()
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn debug_never_shows_keys() {
        let builder = emulator_like().with_endpoint("http://127.0.0.1:1");
        let adapter = builder.clone().build().await.expect("complete");
        for shown in [format!("{builder:?}"), format!("{adapter:?}")] {
            for secret in ["very-secret-key", "session-tok", "AKIDEXAMPLE"] {
                assert!(!shown.contains(secret), "{shown}");
            }
            assert!(shown.contains("127.0.0.1:1"), "{shown}");
        }
    }
}
