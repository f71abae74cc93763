//! One builder for both products, object_store style: from code or from the environment, checked once
//! in `build()`.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use moderator_core::{Error, UserId};
use url::Url;

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

/// The default timeout of one HTTP request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// use moderator_zego::{Region, Service};
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
/// use moderator_zego::{Region, ZegoZimBuilder};
/// let zim = ZegoZimBuilder::new(12345, "server-secret")
///     .with_region(Region::Singapore)
///     .with_timeout(Duration::from_secs(5))
///     .with_from_user_id("moderation-bot")
///     .build()?;
/// assert_eq!(zim.endpoint().as_str(), "https://zim-api-sgp.zego.im/");
/// # Ok::<_, moderator_core::Error>(())
/// ```
pub struct ZegoBuilder<P: Product> {
    /// As given; parsed in `build()` so that `from_env()` never fails.
    app_id: Option<String>,
    server_secret: Option<ServerSecret>,
    region: Option<String>,
    endpoint: Option<String>,
    allow_http: bool,
    timeout: Duration,
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
            endpoint: None,
            allow_http: false,
            timeout: DEFAULT_TIMEOUT,
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
    /// [`ENV_ZIM_ENDPOINT`] / [`ENV_RTC_ENDPOINT`] or else [`ENV_ENDPOINT`]. Never fails by itself:
    /// missing or malformed values are reported by [`build`](Self::build), naming the variable.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any variable lookup (tests cannot safely set the process
    /// environment). Empty values count as unset.
    fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let product_endpoint = match P::SERVICE {
            Service::Zim => ENV_ZIM_ENDPOINT,
            Service::Rtc => ENV_RTC_ENDPOINT,
        };
        ZegoBuilder {
            app_id: var(ENV_APP_ID),
            server_secret: var(ENV_SERVER_SECRET).map(ServerSecret::new),
            region: var(ENV_REGION),
            endpoint: var(product_endpoint).or_else(|| var(ENV_ENDPOINT)),
            ..Self::default()
        }
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

    /// Sends to `endpoint` instead of ZEGO's host: an emulator, a proxy, an on-premise gateway.
    /// Its path is kept; the query is replaced by each call's.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Allows plain `http` to hosts other than loopback (loopback is always allowed). Off by default:
    /// the query carries a signature and user ids.
    pub fn with_allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Sets the timeout of one HTTP request (default 10 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

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

    /// Checks the settings and builds the adapter.
    ///
    /// Fails with [`ErrorKind::Config`](moderator_core::ErrorKind::Config) naming what is missing or
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
        let endpoint = match &self.endpoint {
            Some(endpoint) => endpoint.clone(),
            None => {
                let region = match &self.region {
                    Some(raw) => raw
                        .parse::<Region>()
                        .map_err(|e| e.with_provider(provider))?,
                    None => Region::Unified,
                };
                region.endpoint(P::SERVICE)
            }
        };
        let endpoint = check_endpoint(&endpoint, self.allow_http).map_err(config)?;
        if self.timeout.is_zero() {
            return Err(config(
                "the request timeout must be longer than zero".to_owned(),
            ));
        }
        self.options.check()?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            // A redirect could take the signed query elsewhere, possibly over plain http.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| config(format!("cannot set up the HTTP client: {e}")).with_source(e))?;
        Ok(ZegoAdapter::new(
            http,
            endpoint,
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
            .field("endpoint", &self.endpoint)
            .field("allow_http", &self.allow_http)
            .field("timeout", &self.timeout)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Parses the endpoint: `https`, or `http` to a loopback host or with the opt-in.
fn check_endpoint(raw: &str, allow_http: bool) -> Result<Url, String> {
    let mut url =
        Url::parse(raw.trim()).map_err(|e| format!("endpoint {raw:?} is not a URL: {e}"))?;
    let Some(host) = url.host_str() else {
        return Err(format!("endpoint {raw:?} has no host"));
    };
    let loopback = moderator_core::is_loopback_host(host);
    match url.scheme() {
        "https" => {}
        "http" if loopback || allow_http => {}
        "http" => {
            return Err(format!(
                "endpoint {raw:?} is plain http to a non-loopback host; use https or with_allow_http(true)"
            ));
        }
        other => return Err(format!("endpoint {raw:?} has unsupported scheme {other:?}")),
    }
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use moderator_core::ErrorKind;

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
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let zim = ZegoZimBuilder::from_vars(env(&[
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
        let zim = ZegoZimBuilder::from_vars(env(vars)).build().unwrap();
        assert_eq!(zim.endpoint().as_str(), "http://127.0.0.1:1/");
        let rtc = ZegoRtcBuilder::from_vars(env(vars)).build().unwrap();
        assert_eq!(rtc.endpoint().as_str(), "http://127.0.0.1:2/");

        let err = ZegoRtcBuilder::from_vars(env(&[
            (ENV_APP_ID, "1"),
            (ENV_SERVER_SECRET, "s"),
            (ENV_REGION, "xx"),
        ]))
        .build()
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        let err = ZegoRtcBuilder::from_vars(env(&[])).build().unwrap_err();
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
