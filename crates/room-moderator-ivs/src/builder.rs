//! Configuring an [`IvsChat`] adapter: from the AWS environment, from an `SdkConfig`, or by hand.

use std::fmt;
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ivschat::config::retry::RetryConfig;
use aws_sdk_ivschat::config::timeout::TimeoutConfig;
use aws_sdk_ivschat::config::{Credentials, Region};
use room_moderator_core::Error;
use room_moderator_core::toolkit::{AdapterBuilder, Connection, EnvVar, Vars};

use crate::endpoint::{self, EndpointGuard};
use crate::success_body::SuccessBodyCheck;
use crate::{IvsChat, PROVIDER};

/// How long one DisconnectUser call may take unless [`IvsChatBuilder::with_timeout`] says otherwise
/// (core's, the same for every adapter).
pub const DEFAULT_TIMEOUT: Duration = room_moderator_core::toolkit::DEFAULT_TIMEOUT;

/// The variables [`IvsChatBuilder::from_env`] reads through the AWS SDK's standard chain, as data (the
/// facade and the CLI help read them). Profiles, SSO, container and instance credentials work too.
pub const ENV_VARS: &[EnvVar] = &[
    EnvVar::new(
        "AWS_REGION",
        "the AWS region of the chat rooms (us-east-1, ...)",
    ),
    EnvVar::new(
        "AWS_ACCESS_KEY_ID",
        "access key id (or use a profile or a role)",
    ),
    EnvVar::new("AWS_SECRET_ACCESS_KEY", "secret access key").secret(),
    EnvVar::new(
        "AWS_SESSION_TOKEN",
        "session token of temporary credentials",
    )
    .secret(),
    EnvVar::new(
        "AWS_PROFILE",
        "a profile of ~/.aws/config and ~/.aws/credentials",
    ),
    EnvVar::new(
        "AWS_ENDPOINT_URL_IVSCHAT",
        "endpoint override for IVS Chat (an emulator, a proxy, a VPC endpoint)",
    ),
    EnvVar::new(
        "AWS_ENDPOINT_URL",
        "endpoint override for every AWS service",
    ),
];

/// The SDK's own default connect timeout (behaviour version 2024-03-28 and later); kept when the call
/// timeout is longer.
const SDK_CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// How long `build` waits for the AWS credential chain to produce credentials (a chain that ends in
/// instance metadata can take seconds to give up).
pub const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds an [`IvsChat`] adapter.
///
/// Start from the AWS environment ([`IvsChatBuilder::from_env`]: credential chain, region,
/// `AWS_ENDPOINT_URL_IVSCHAT`), from an [`SdkConfig`] you loaded, or from nothing
/// ([`IvsChatBuilder::new`]) and set region and credentials by hand, as the emulator and the CLI do.
/// [`IvsChatBuilder::build`] is async because loading the AWS environment is (profile files, SSO,
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
#[derive(Clone)]
pub struct IvsChatBuilder {
    base: Base,
    connection: Connection,
    region: Option<String>,
    credentials: Option<Credentials>,
}

/// Where the configuration the `with_*` overrides apply to comes from.
#[derive(Clone)]
enum Base {
    /// The AWS environment, loaded by `build`.
    Environment,
    /// A configuration in hand (boxed: the SDK's builder is large).
    Loaded {
        config: Box<aws_sdk_ivschat::config::Builder>,
        /// The endpoint an `SdkConfig` carried, checked at build time.
        inherited_endpoint: Option<String>,
        /// Whether it has a credentials provider (the SDK's `Config` cannot say).
        has_credentials: bool,
    },
}

impl fmt::Debug for IvsChatBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (base, inherited_endpoint) = match &self.base {
            Base::Environment => ("environment", None),
            Base::Loaded {
                inherited_endpoint, ..
            } => ("loaded", inherited_endpoint.as_ref()),
        };
        f.debug_struct("IvsChatBuilder")
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

impl Default for IvsChatBuilder {
    fn default() -> Self {
        IvsChatBuilder::new()
    }
}

impl IvsChatBuilder {
    fn with_base(base: Base) -> Self {
        IvsChatBuilder {
            base,
            connection: Connection::default(),
            region: None,
            credentials: None,
        }
    }

    /// A builder with no region, credentials or endpoint: set them with the `with_*` methods.
    pub fn new() -> Self {
        IvsChatBuilder::with_base(Base::Loaded {
            config: Box::new(
                aws_sdk_ivschat::Config::builder().behavior_version(BehaviorVersion::latest()),
            ),
            inherited_endpoint: None,
            has_credentials: false,
        })
    }

    /// A builder that [`build`](IvsChatBuilder::build) fills from the standard AWS configuration:
    /// credentials (environment, profile, SSO, process, container, instance metadata), region
    /// (`AWS_REGION`, profile), and the endpoint (`AWS_ENDPOINT_URL_IVSCHAT`, `AWS_ENDPOINT_URL`,
    /// profile `endpoint_url`). The `with_*` settings take precedence.
    ///
    /// Never fails: a missing region is reported by `build`, missing credentials by the first call
    /// (both as [`ErrorKind::Config`](room_moderator_core::ErrorKind::Config)).
    pub fn from_env() -> Self {
        IvsChatBuilder::with_base(Base::Environment)
    }

    /// Starts from an [`SdkConfig`] (credentials, region, endpoint, HTTP client, time source). Its retry
    /// settings are replaced: the engine owns retries (see [`IvsChatBuilder::build`]).
    pub fn from_sdk_config(sdk: &SdkConfig) -> Self {
        IvsChatBuilder::with_base(Base::Loaded {
            config: Box::new(aws_sdk_ivschat::config::Builder::from(sdk)),
            inherited_endpoint: sdk.endpoint_url().map(str::to_owned),
            has_credentials: sdk.credentials_provider().is_some(),
        })
    }

    /// Starts from an `aws_sdk_ivschat::Config` built by hand, e.g. the one of an `aws-smithy-mocks`
    /// test client. Its retry and timeout settings are replaced as in [`IvsChatBuilder::build`].
    /// Whether it holds credentials cannot be seen from outside: if it does not, the first call fails
    /// with [`ErrorKind::Config`](room_moderator_core::ErrorKind::Config).
    pub fn from_conf(config: aws_sdk_ivschat::Config) -> Self {
        IvsChatBuilder::with_base(Base::Loaded {
            config: Box::new(config.to_builder()),
            inherited_endpoint: None,
            has_credentials: true,
        })
    }

    // The endpoint replaces `https://ivschat.<region>.amazonaws.com` (the emulator, a proxy, a VPC
    // endpoint); the timeout bounds each DisconnectUser call as the SDK's operation timeout.
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
    /// [`IvsChatBuilder::from_env`].
    ///
    /// Fails with [`ErrorKind::Config`](room_moderator_core::ErrorKind::Config) when no region is known
    /// (set `AWS_REGION` or call `with_region`), when no credentials are configured, or when the
    /// endpoint breaks the http rule.
    pub async fn build(self) -> Result<IvsChat, Error> {
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
                    resolve_credentials(&sdk).await?;
                }
                IvsChatBuilder {
                    base: IvsChatBuilder::from_sdk_config(&sdk).base,
                    ..self
                }
                .finish()
            }
            Base::Loaded { .. } => self.finish(),
        }
    }

    /// Applies the overrides to a loaded configuration; nothing here waits.
    pub(crate) fn finish(self) -> Result<IvsChat, Error> {
        let Base::Loaded {
            config,
            inherited_endpoint,
            has_credentials,
        } = self.base
        else {
            return Err(Error::config("the AWS environment was not loaded").with_provider(PROVIDER));
        };
        let mut config = *config;
        let Connection {
            endpoint: given_endpoint,
            allow_http,
            timeout,
            ..
        } = self.connection;
        if timeout.is_zero() {
            return Err(
                Error::config("the request timeout must be longer than zero")
                    .with_provider(PROVIDER),
            );
        }
        let endpoint = given_endpoint.clone().or(inherited_endpoint);
        if let Some(endpoint) = &endpoint {
            endpoint::check(endpoint, allow_http)
                .map_err(|refused| Error::config(refused.to_string()).with_provider(PROVIDER))?;
        }
        if let Some(url) = &given_endpoint {
            config = config.endpoint_url(url);
        }
        if let Some(region) = &self.region {
            config = config.region(Region::new(region.clone()));
        }
        let has_credentials = has_credentials || self.credentials.is_some();
        if let Some(credentials) = self.credentials {
            config = config.credentials_provider(credentials);
        }
        // One owner for retries: the engine. With the SDK's standard mode (3 attempts) under the
        // engine's retries, one throttled user would cost 3 x 4 calls, the SDK would sleep outside the
        // engine's pacer and deadline, and reports would undercount attempts. So every
        // `send_batch` is exactly one HTTP request.
        config = config
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(timeout)
                    .operation_attempt_timeout(timeout)
                    .connect_timeout(timeout.min(SDK_CONNECT_TIMEOUT))
                    .build(),
            )
            .interceptor(EndpointGuard { allow_http })
            .interceptor(SuccessBodyCheck);
        let config = config.build();
        let region = config
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or_else(|| {
                Error::config(
                    "no AWS region: set AWS_REGION (or a profile region) or call with_region",
                )
                .with_provider(PROVIDER)
            })?;
        if !has_credentials {
            return Err(Error::config(
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile), or call with_credentials",
            )
            .with_provider(PROVIDER));
        }
        Ok(IvsChat {
            client: aws_sdk_ivschat::Client::from_conf(config),
            region,
            endpoint,
            timeout,
        })
    }
}

impl AdapterBuilder for IvsChatBuilder {
    type Adapter = IvsChat;

    const ENV_VARS: &'static [EnvVar] = ENV_VARS;

    /// The AWS SDK's own chain, which reads the environment itself (and profiles, SSO, container
    /// and instance credentials), rather than [`with_vars`](AdapterBuilder::with_vars) over it.
    fn from_env() -> Self {
        IvsChatBuilder::from_env()
    }

    /// `AWS_REGION`; static credentials from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (with
    /// `AWS_SESSION_TOKEN`) when both are given; the endpoint from `AWS_ENDPOINT_URL_IVSCHAT` or else
    /// `AWS_ENDPOINT_URL`. `AWS_PROFILE` names a profile of the SDK's files, which only
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
            .get("AWS_ENDPOINT_URL_IVSCHAT")
            .or_else(|| vars.get("AWS_ENDPOINT_URL"))
        {
            self.connection.endpoint = Some(url);
        }
        self
    }

    fn connection_mut(&mut self) -> &mut Connection {
        &mut self.connection
    }

    async fn build(self) -> Result<IvsChat, Error> {
        IvsChatBuilder::build(self).await
    }
}

/// Asks the credential chain once, with a timeout, so that missing credentials are a `Config` error
/// from `build` (the CLI exits 2 having sent nothing), not a failure of every call (each probing the
/// chain again). The chain's own error goes to debug-level logs: its `Display` is pages long.
async fn resolve_credentials(sdk: &SdkConfig) -> Result<(), Error> {
    use aws_credential_types::provider::ProvideCredentials;
    const WHAT_TO_SET: &str = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE, or run where container or instance credentials are available";
    let missing =
        |why: &str| Error::config(format!("{why}; {WHAT_TO_SET}")).with_provider(PROVIDER);
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
        let error = resolve_credentials(&sdk).await.expect_err("nothing found");
        assert_eq!(error.kind(), ErrorKind::Config);
        let text = error.to_string();
        assert!(text.contains("AWS_ACCESS_KEY_ID"), "{text}");
        assert!(!text.contains('\n') && text.len() < 400, "{text}");
        let none = SdkConfig::builder().build();
        assert!(resolve_credentials(&none).await.is_err());
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
