//! One builder for both products, object_store style: from code or from the environment, checked once
//! in `build()`.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use room_moderator_core::toolkit::http::HttpClient;
use room_moderator_core::toolkit::{AdapterBuilder, Connection, EnvVar, Vars};
use room_moderator_core::{Error, UserId};

use crate::adapter::ZegoAdapter;
use crate::product::{Product, ProductOptions, Rtc, Service, Zim};
use crate::signer::{self, ClockFn, NonceFn, ServerSecret, Signer};

/// Environment variable holding the AppId (a uint32 from the ZEGO console).
pub const ENV_APP_ID: &str = "ZEGO_APP_ID";
/// Environment variable holding the ServerSecret.
pub const ENV_SERVER_SECRET: &str = "ZEGO_SERVER_SECRET";
/// Environment variable choosing a region: `sha`, `hkg`, `fra`, `lax`, `bom`, `sgp` (unset: unified).
pub const ENV_REGION: &str = "ZEGO_REGION";
/// Environment variable overriding the endpoint of both products (an emulator, a proxy).
pub const ENV_ENDPOINT: &str = "ZEGO_ENDPOINT";
/// Environment variable overriding the ZIM endpoint only; wins over [`ENV_ENDPOINT`].
pub const ENV_ZIM_ENDPOINT: &str = "ZEGO_ZIM_ENDPOINT";
/// Environment variable overriding the Express RTC endpoint only; wins over [`ENV_ENDPOINT`].
pub const ENV_RTC_ENDPOINT: &str = "ZEGO_RTC_ENDPOINT";

/// The default timeout of one HTTP request (core's, the same for every adapter).
pub const DEFAULT_TIMEOUT: Duration = room_moderator_core::toolkit::DEFAULT_TIMEOUT;

/// The variables [`ZegoZimBuilder::from_env`] reads, as data (the facade and the CLI help read them).
pub const ZIM_ENV_VARS: &[EnvVar] = &[
    EnvVar::new(ENV_APP_ID, "AppId (a uint32) from the ZEGO console"),
    EnvVar::new(ENV_SERVER_SECRET, "ServerSecret from the ZEGO console").secret(),
    EnvVar::new(
        ENV_REGION,
        "sha, hkg, fra, lax, bom or sgp for a regional host; unset: the unified host",
    ),
    EnvVar::new(
        ENV_ENDPOINT,
        "endpoint override for ZIM and RTC (an emulator, a proxy)",
    ),
    EnvVar::new(
        ENV_ZIM_ENDPOINT,
        "endpoint override for ZIM only; wins over ZEGO_ENDPOINT",
    ),
];

/// The variables [`ZegoRtcBuilder::from_env`] reads, as data.
pub const RTC_ENV_VARS: &[EnvVar] = &[
    ZIM_ENV_VARS[0],
    ZIM_ENV_VARS[1],
    ZIM_ENV_VARS[2],
    ZIM_ENV_VARS[3],
    EnvVar::new(
        ENV_RTC_ENDPOINT,
        "endpoint override for Express RTC only; wins over ZEGO_ENDPOINT",
    ),
];

/// Where ZEGO serves its server APIs: the unified address or a regional one
/// (`{product}-api-{sha|hkg|fra|lax|bom|sgp}.zego.im`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Region {
    /// `{product}-api.zego.im`, routed by ZEGO.
    #[default]
    Unified,
    /// Shanghai (`sha`).
    Shanghai,
    /// Hong Kong (`hkg`).
    HongKong,
    /// Frankfurt (`fra`).
    Frankfurt,
    /// California (`lax`).
    California,
    /// Mumbai (`bom`).
    Mumbai,
    /// Singapore (`sgp`).
    Singapore,
}

impl Region {
    /// The code in the host name, `None` for the unified address.
    pub fn code(self) -> Option<&'static str> {
        match self {
            Region::Unified => None,
            Region::Shanghai => Some("sha"),
            Region::HongKong => Some("hkg"),
            Region::Frankfurt => Some("fra"),
            Region::California => Some("lax"),
            Region::Mumbai => Some("bom"),
            Region::Singapore => Some("sgp"),
        }
    }

    /// The endpoint of `service` in this region.
    ///
    /// ```
    /// use room_moderator_zego::{Region, Service};
    /// assert_eq!(Region::Unified.endpoint(Service::Zim), "https://zim-api.zego.im/");
    /// assert_eq!(Region::Frankfurt.endpoint(Service::Rtc), "https://rtc-api-fra.zego.im/");
    /// ```
    pub fn endpoint(self, service: Service) -> String {
        match self.code() {
            Some(code) => format!("https://{}-api-{code}.zego.im/", service.label()),
            None => format!("https://{}-api.zego.im/", service.label()),
        }
    }
}

impl FromStr for Region {
    type Err = Error;

    /// Parses a region code (`sha`, `hkg`, `fra`, `lax`, `bom`, `sgp`; `unified` or empty for the
    /// unified address), ignoring case.
    fn from_str(s: &str) -> Result<Self, Error> {
        let region = match s.trim().to_ascii_lowercase().as_str() {
            "" | "unified" => Region::Unified,
            "sha" => Region::Shanghai,
            "hkg" => Region::HongKong,
            "fra" => Region::Frankfurt,
            "lax" => Region::California,
            "bom" => Region::Mumbai,
            "sgp" => Region::Singapore,
            other => {
                return Err(Error::config(format!(
                    "unknown ZEGO region {other:?}; use sha, hkg, fra, lax, bom, sgp or leave {ENV_REGION} unset"
                )));
            }
        };
        Ok(region)
    }
}

/// Builds a [`ZegoAdapter`] for one product; use the aliases [`ZegoZimBuilder`] and [`ZegoRtcBuilder`].
///
/// ```
/// use std::time::Duration;
/// use room_moderator_zego::{Region, ZegoZimBuilder};
/// let zim = ZegoZimBuilder::new(12345, "server-secret")
///     .with_region(Region::Singapore)
///     .with_timeout(Duration::from_secs(5))
///     .with_from_user_id("moderation-bot")
///     .build()?;
/// assert_eq!(zim.endpoint().as_str(), "https://zim-api-sgp.zego.im/");
/// # Ok::<_, room_moderator_core::Error>(())
/// ```
pub struct ZegoBuilder<P: Product> {
    /// As given; parsed in `build()` so that `from_env()` never fails.
    app_id: Option<String>,
    server_secret: Option<ServerSecret>,
    region: Option<String>,
    connection: Connection,
    clock: ClockFn,
    nonce: NonceFn,
    options: P::Options,
    product: PhantomData<fn() -> P>,
}

/// Builds a ZIM adapter ([`crate::ZegoZim`]).
pub type ZegoZimBuilder = ZegoBuilder<Zim>;
/// Builds an Express RTC adapter ([`crate::ZegoRtc`]).
pub type ZegoRtcBuilder = ZegoBuilder<Rtc>;

impl<P: Product> Default for ZegoBuilder<P> {
    /// No credentials, the unified endpoint, a 10-second timeout, the system clock and a CSPRNG nonce.
    fn default() -> Self {
        ZegoBuilder {
            app_id: None,
            server_secret: None,
            region: None,
            connection: Connection::default(),
            clock: signer::system_clock(),
            nonce: signer::random_nonce(),
            options: P::Options::default(),
            product: PhantomData,
        }
    }
}

impl<P: Product> ZegoBuilder<P> {
    /// A builder with the AppId and ServerSecret from the ZEGO console.
    pub fn new(app_id: u32, server_secret: impl Into<String>) -> Self {
        Self::default()
            .with_app_id(app_id)
            .with_server_secret(server_secret)
    }

    /// A builder from the environment: [`ENV_APP_ID`], [`ENV_SERVER_SECRET`], [`ENV_REGION`], and
    /// [`ENV_ZIM_ENDPOINT`] / [`ENV_RTC_ENDPOINT`] or else [`ENV_ENDPOINT`]; the same as
    /// [`AdapterBuilder::from_env`] (`Self::default().with_vars(std::env::vars())`). Never fails by
    /// itself: missing or malformed values are reported by [`build`](Self::build), naming the
    /// variable.
    pub fn from_env() -> Self {
        <Self as AdapterBuilder>::from_env()
    }

    /// Sets the AppId.
    pub fn with_app_id(mut self, app_id: u32) -> Self {
        self.app_id = Some(app_id.to_string());
        self
    }

    /// Sets the ServerSecret. It is never printed.
    pub fn with_server_secret(mut self, server_secret: impl Into<String>) -> Self {
        self.server_secret = Some(ServerSecret::new(server_secret));
        self
    }

    /// Uses a regional endpoint (ignored when [`with_endpoint`](Self::with_endpoint) is set).
    pub fn with_region(mut self, region: Region) -> Self {
        self.region = Some(region.code().unwrap_or("unified").to_owned());
        self
    }

    // An endpoint's path is kept; the query is replaced by each call's.
    room_moderator_core::connection_setters!(connection);

    /// Reads the time from `clock` instead of the system clock (for tests: a fixed or skewed instant).
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Takes the 8 random bytes of each `SignatureNonce` from `nonce` instead of the CSPRNG. For tests
    /// only: ZEGO expects a fresh random nonce on every request.
    pub fn with_nonce_source(
        mut self,
        nonce: impl Fn() -> [u8; 8] + Send + Sync + 'static,
    ) -> Self {
        self.nonce = Arc::new(nonce);
        self
    }

    /// Checks the settings and builds the adapter. Synchronous: there is nothing to wait for (no
    /// credential chain to ask). Code generic over providers uses the async
    /// [`AdapterBuilder::build`], which runs the same checks.
    ///
    /// Fails with [`ErrorKind::Config`](room_moderator_core::ErrorKind::Config) naming what is missing or
    /// wrong: AppId, ServerSecret, region, endpoint (https is required except for loopback hosts or
    /// with [`with_allow_http`](Self::with_allow_http)), product options.
    pub fn build(self) -> Result<ZegoAdapter<P>, Error> {
        let provider = P::SERVICE.provider();
        let config = |message: String| Error::config(message).with_provider(provider);
        let app_id = match &self.app_id {
            None => {
                return Err(config(format!(
                    "no AppId: set {ENV_APP_ID} or call with_app_id"
                )));
            }
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .map_err(|_| config(format!("{ENV_APP_ID} {raw:?} is not a uint32 AppId")))?,
        };
        let secret = match self.server_secret {
            Some(secret) if !secret.is_empty() => secret,
            _ => {
                return Err(config(format!(
                    "no ServerSecret: set {ENV_SERVER_SECRET} or call with_server_secret"
                )));
            }
        };
        let regional = match (&self.connection.endpoint, &self.region) {
            (None, Some(raw)) => raw
                .parse::<Region>()
                .map_err(|e| e.with_provider(provider))?,
            _ => Region::Unified,
        };
        let http = HttpClient::new(&self.connection, &regional.endpoint(P::SERVICE), provider)?;
        self.options.check()?;
        Ok(ZegoAdapter::new(
            http,
            Signer::new(app_id, secret, self.clock, self.nonce),
            self.options,
        ))
    }
}

impl ZegoBuilder<Zim> {
    /// Names `operator` as `FromUserId`, the registered ZIM user the removal comes from. Checked in
    /// `build()` against ZIM's user id rules.
    pub fn with_from_user_id(mut self, operator: impl Into<UserId>) -> Self {
        self.options.from_user_id = Some(operator.into());
        self
    }
}

impl ZegoBuilder<Rtc> {
    /// Sends `IsTest` (only projects created on or before 2021-11-16 need it; `true` targets their
    /// testing environment).
    pub fn with_is_test(mut self, is_test: bool) -> Self {
        self.options.is_test = Some(is_test);
        self
    }
}

impl<P: Product> fmt::Debug for ZegoBuilder<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZegoBuilder")
            .field("service", &P::SERVICE)
            .field("app_id", &self.app_id)
            .field("server_secret", &self.server_secret)
            .field("region", &self.region)
            .field("connection", &self.connection)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<P: Product> AdapterBuilder for ZegoBuilder<P> {
    type Adapter = ZegoAdapter<P>;
    const CAPABILITIES: room_moderator_core::Capabilities = P::CAPABILITIES;

    const ENV_VARS: &'static [EnvVar] = match P::SERVICE {
        Service::Zim => ZIM_ENV_VARS,
        Service::Rtc => RTC_ENV_VARS,
    };

    /// The credentials, the region and the endpoint (the product's own variable before
    /// [`ENV_ENDPOINT`]), each where given.
    fn apply_vars(mut self, vars: &Vars) -> Self {
        let product_endpoint = match P::SERVICE {
            Service::Zim => ENV_ZIM_ENDPOINT,
            Service::Rtc => ENV_RTC_ENDPOINT,
        };
        vars.read_into(ENV_APP_ID, &mut self.app_id);
        if let Some(secret) = vars.get(ENV_SERVER_SECRET) {
            self.server_secret = Some(ServerSecret::new(secret));
        }
        vars.read_into(ENV_REGION, &mut self.region);
        if let Some(endpoint) = vars
            .get(product_endpoint)
            .or_else(|| vars.get(ENV_ENDPOINT))
        {
            self.connection.endpoint = Some(endpoint);
        }
        self
    }

    fn connection_mut(&mut self) -> &mut Connection {
        &mut self.connection
    }

    /// Nothing to wait for: the same checks as the inherent, synchronous [`ZegoBuilder::build`].
    async fn build(self) -> Result<ZegoAdapter<P>, Error> {
        ZegoBuilder::build(self)
    }
}

#[cfg(test)]
mod tests {
    use room_moderator_core::ErrorKind;

    use super::*;

    #[test]
    fn regions_make_product_hosts() {
        let cases = [
            ("", "https://zim-api.zego.im/"),
            ("sha", "https://zim-api-sha.zego.im/"),
            ("HKG", "https://zim-api-hkg.zego.im/"),
            ("fra", "https://zim-api-fra.zego.im/"),
            ("lax", "https://zim-api-lax.zego.im/"),
            ("bom", "https://zim-api-bom.zego.im/"),
            ("sgp", "https://zim-api-sgp.zego.im/"),
        ];
        for (code, host) in cases {
            let region: Region = code.parse().unwrap();
            assert_eq!(region.endpoint(Service::Zim), host);
            let zim = ZegoZimBuilder::new(1, "s")
                .with_region(region)
                .build()
                .unwrap();
            assert_eq!(zim.endpoint().as_str(), host);
        }
        assert_eq!(
            Region::Mumbai.endpoint(Service::Rtc),
            "https://rtc-api-bom.zego.im/"
        );
        let err = "mars".parse::<Region>().unwrap_err();
        assert!(err.message().contains(ENV_REGION), "{err}");
    }

    #[test]
    fn missing_and_malformed_credentials_name_the_variable() {
        let err = ZegoZimBuilder::default().build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains(ENV_APP_ID), "{err}");
        let err = ZegoRtcBuilder::default()
            .with_app_id(1)
            .build()
            .unwrap_err();
        assert!(err.message().contains(ENV_SERVER_SECRET), "{err}");
        let mut builder = ZegoZimBuilder::new(1, "s");
        builder.app_id = Some("12ab".to_owned());
        let err = builder.build().unwrap_err();
        assert!(
            err.message().contains(ENV_APP_ID) && err.message().contains("12ab"),
            "{err}"
        );
        let err = ZegoZimBuilder::new(1, "").build().unwrap_err();
        assert!(err.message().contains(ENV_SERVER_SECRET), "{err}");
    }

    #[test]
    fn http_only_to_loopback_unless_allowed() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9/",
            "http://[::1]:1/",
            "http://localhost:3000/zim/",
            "https://zim.example.com/",
        ] {
            assert!(
                ZegoZimBuilder::new(1, "s")
                    .with_endpoint(ok)
                    .build()
                    .is_ok(),
                "{ok}"
            );
        }
        let err = ZegoZimBuilder::new(1, "s")
            .with_endpoint("http://zim.example.com/")
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("with_allow_http"), "{err}");
        assert!(
            ZegoZimBuilder::new(1, "s")
                .with_endpoint("http://zim.example.com/")
                .with_allow_http(true)
                .build()
                .is_ok()
        );
        for bad in ["ftp://127.0.0.1/", "not a url", "http://192.168.1.1/"] {
            assert!(
                ZegoRtcBuilder::new(1, "s")
                    .with_endpoint(bad)
                    .build()
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        let secret = "9193cc662a4c0ec135ec71fb57194b38";
        let builder = ZegoZimBuilder::new(12345, secret);
        let text = format!("{builder:?}");
        assert!(!text.contains(secret), "{text}");
        let adapter = builder.build().unwrap();
        let text = format!("{adapter:?}");
        assert!(!text.contains(secret), "{text}");
        assert!(text.contains("12345"), "{text}");
    }

    #[test]
    fn environment_variables_configure_the_builder() {
        let env = |vars: &'static [(&'static str, &'static str)]| vars.iter().copied();
        let zim = ZegoZimBuilder::default()
            .with_vars(env(&[
                (ENV_APP_ID, " 42 "),
                (ENV_SERVER_SECRET, "s"),
                (ENV_REGION, "fra"),
            ]))
            .build()
            .unwrap();
        assert_eq!(zim.app_id(), 42);
        assert_eq!(zim.endpoint().as_str(), "https://zim-api-fra.zego.im/");

        let vars: &[(&str, &str)] = &[
            (ENV_APP_ID, "42"),
            (ENV_SERVER_SECRET, "s"),
            (ENV_ENDPOINT, "http://127.0.0.1:1/"),
            (ENV_RTC_ENDPOINT, "http://127.0.0.1:2/"),
            (ENV_ZIM_ENDPOINT, ""),
        ];
        let zim = ZegoZimBuilder::default()
            .with_vars(env(vars))
            .build()
            .unwrap();
        assert_eq!(zim.endpoint().as_str(), "http://127.0.0.1:1/");
        let rtc = ZegoRtcBuilder::default()
            .with_vars(env(vars))
            .build()
            .unwrap();
        assert_eq!(rtc.endpoint().as_str(), "http://127.0.0.1:2/");

        let err = ZegoRtcBuilder::default()
            .with_vars(env(&[
                (ENV_APP_ID, "1"),
                (ENV_SERVER_SECRET, "s"),
                (ENV_REGION, "xx"),
            ]))
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        let err = ZegoRtcBuilder::default()
            .with_vars(env(&[]))
            .build()
            .unwrap_err();
        assert!(err.message().contains(ENV_APP_ID), "{err}");
    }

    #[test]
    fn zero_timeout_and_bad_operator_are_config_errors() {
        let err = ZegoZimBuilder::new(1, "s")
            .with_timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        let err = ZegoZimBuilder::new(1, "s")
            .with_from_user_id("no/slashes")
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }
}
