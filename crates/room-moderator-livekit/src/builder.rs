//! Configuring the adapter, in code or from the environment (`LIVEKIT_URL`, `LIVEKIT_API_KEY`,
//! `LIVEKIT_API_SECRET`: the names LiveKit's own CLI and SDKs read).

use std::fmt;
use std::time::Duration;

use room_moderator_core::Error;
use room_moderator_core::toolkit::http::HttpClient;
use room_moderator_core::toolkit::{AdapterBuilder, Connection, EnvVar, Vars, non_empty};
use url::Url;

use crate::adapter::LiveKit;
use crate::token::{Clock, Signer};
use crate::twirp::{MemberKinds, ParticipantKind};
use crate::{LIVEKIT_CAPABILITIES, PROVIDER};

/// The project URL: `wss://<project>.livekit.cloud` or a self-hosted server's `wss://`/`https://`
/// address (`ws://`/`http://` on loopback).
pub const ENV_URL: &str = "LIVEKIT_URL";
/// The API key (names the secret; not itself a secret).
pub const ENV_API_KEY: &str = "LIVEKIT_API_KEY";
/// The API secret tokens are signed with.
pub const ENV_API_SECRET: &str = "LIVEKIT_API_SECRET";
/// Optional: the pace in requests a minute, every method together (default: 1,000 on
/// `*.livekit.cloud`, [`SELF_HOSTED_REQUESTS_PER_MINUTE`] elsewhere; 0: unpaced).
pub const ENV_REQUESTS_PER_MINUTE: &str = "LIVEKIT_REQUESTS_PER_MINUTE";
/// Optional: which participant kinds are members (and so removed by a kick-all), comma-separated
/// (`standard`, `agent`, `egress`, `ingress`, `sip`, `connector`, `bridge`) or `all`; default
/// `standard`.
pub const ENV_MEMBER_KINDS: &str = "LIVEKIT_MEMBER_KINDS";

/// The default timeout of one call (core's, the same for every adapter).
pub const DEFAULT_TIMEOUT: Duration = room_moderator_core::toolkit::DEFAULT_TIMEOUT;

/// LiveKit Cloud's Server API limit: 1,000 requests a minute per project, every method together.
pub const CLOUD_REQUESTS_PER_MINUTE: u32 = 1_000;

/// The pace on a self-hosted server, which has no API rate limit: 3,000 a minute (50 a second),
/// gentle on a server that also carries media, and 1,000 users removed in 20 seconds.
pub const SELF_HOSTED_REQUESTS_PER_MINUTE: u32 = 3_000;

/// The variables [`LiveKitBuilder::from_env`] reads, as data (the facade and the CLI help read them).
pub const ENV_VARS: &[EnvVar] = &[
    EnvVar::new(
        ENV_URL,
        "project URL, wss://<project>.livekit.cloud or your server's wss:// or https:// address",
    ),
    EnvVar::new(ENV_API_KEY, "API key"),
    EnvVar::new(ENV_API_SECRET, "API secret").secret(),
    EnvVar::new(
        ENV_REQUESTS_PER_MINUTE,
        "pace in requests a minute (default 1000 on *.livekit.cloud, 3000 self-hosted; 0: unpaced)",
    ),
    EnvVar::new(
        ENV_MEMBER_KINDS,
        "participant kinds that are members and removed by kick-all: standard (default), agent, egress, ingress, sip, connector, bridge, or all",
    ),
];

/// Builds a [`LiveKit`] adapter.
///
/// ```
/// use room_moderator_livekit::LiveKitBuilder;
/// let livekit = LiveKitBuilder::new("wss://acme.livekit.cloud", "APIkey", "secret").build()?;
/// assert_eq!(livekit.endpoint().as_str(), "https://acme.livekit.cloud/");
/// assert_eq!(livekit.requests_per_minute(), Some(1000));
/// # Ok::<_, room_moderator_core::Error>(())
/// ```
#[derive(Clone)]
pub struct LiveKitBuilder {
    api_key: Option<String>,
    api_secret: Option<String>,
    connection: Connection,
    requests_per_minute: Option<String>,
    member_kinds: Option<String>,
    clock: Clock,
}

impl fmt::Debug for LiveKitBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveKitBuilder")
            .field("api_key", &self.api_key)
            .field(
                "api_secret",
                &self.api_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("connection", &self.connection)
            .field("requests_per_minute", &self.requests_per_minute)
            .field("member_kinds", &self.member_kinds)
            .finish()
    }
}

impl Default for LiveKitBuilder {
    fn default() -> Self {
        LiveKitBuilder {
            api_key: None,
            api_secret: None,
            connection: Connection::default(),
            requests_per_minute: None,
            member_kinds: None,
            clock: std::time::SystemTime::now,
        }
    }
}

impl LiveKitBuilder {
    /// A builder for the project at `url` with its API key and secret.
    pub fn new(
        url: impl Into<String>,
        api_key: impl Into<String>,
        api_secret: impl Into<String>,
    ) -> Self {
        let mut builder = LiveKitBuilder {
            api_key: non_empty(Some(api_key.into())),
            api_secret: non_empty(Some(api_secret.into())),
            ..LiveKitBuilder::default()
        };
        builder.connection.endpoint = non_empty(Some(url.into()));
        builder
    }

    /// A builder from [`ENV_VARS`] ([`AdapterBuilder::from_env`]). Never fails by itself:
    /// [`build`](Self::build) names what is missing or malformed.
    pub fn from_env() -> Self {
        <Self as AdapterBuilder>::from_env()
    }

    // `with_endpoint` sets the project URL (what LIVEKIT_URL holds); `wss://` and `ws://` are read
    // as `https://` and `http://`.
    room_moderator_core::connection_setters!(connection);

    /// Paces calls at `requests` a minute, every method together (0: unpaced). Default: Cloud's
    /// 1,000 on `*.livekit.cloud` hosts (raise it if your plan allows more),
    /// [`SELF_HOSTED_REQUESTS_PER_MINUTE`] elsewhere.
    pub fn with_requests_per_minute(mut self, requests: u32) -> Self {
        self.requests_per_minute = Some(requests.to_string());
        self
    }

    /// Which participant kinds are members (listed, and removed by a kick-all). Default: standard
    /// participants only, so agents, egress, ingress, SIP, connector and bridge participants stay.
    /// An empty list is refused by [`build`](Self::build).
    pub fn with_member_kinds(mut self, kinds: &[ParticipantKind]) -> Self {
        let names: Vec<&str> = kinds
            .iter()
            .filter_map(|kind| {
                ParticipantKind::KNOWN
                    .iter()
                    .find(|(known, _, _)| known == kind)
                    .map(|(_, name, _)| *name)
            })
            .collect();
        self.member_kinds = Some(names.join(","));
        self
    }

    /// Every participant is a member, kinds this adapter does not know included.
    pub fn with_all_member_kinds(mut self) -> Self {
        self.member_kinds = Some("all".to_owned());
        self
    }

    /// Dates tokens by `clock` instead of the system clock (tests).
    #[doc(hidden)]
    pub fn with_clock(mut self, clock: fn() -> std::time::SystemTime) -> Self {
        self.clock = clock;
        self
    }

    /// Checks everything and builds the adapter. Fails with
    /// [`ErrorKind::Config`](room_moderator_core::ErrorKind::Config) naming the variable.
    pub fn build(self) -> Result<LiveKit, Error> {
        let config = |message: String| Error::config(message).with_provider(PROVIDER);
        let raw_url = self.connection.endpoint.clone().ok_or_else(|| {
            config(format!(
                "{ENV_URL} is not set (or pass the project URL to LiveKitBuilder::new)"
            ))
        })?;
        let api_key = self.api_key.ok_or_else(|| {
            config(format!(
                "{ENV_API_KEY} is not set (or pass it to LiveKitBuilder::new)"
            ))
        })?;
        let api_secret = self.api_secret.ok_or_else(|| {
            config(format!(
                "{ENV_API_SECRET} is not set (or pass it to LiveKitBuilder::new)"
            ))
        })?;
        let mut connection = self.connection.clone();
        connection.endpoint = Some(http_url(&raw_url)?);
        let http = HttpClient::new(&connection, "", PROVIDER)?;
        let host = http
            .endpoint()
            .host_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let cloud = is_cloud_host(&host);
        let requests_per_minute = match self.requests_per_minute.as_deref() {
            None if cloud => CLOUD_REQUESTS_PER_MINUTE,
            None => SELF_HOSTED_REQUESTS_PER_MINUTE,
            Some(raw) => raw.trim().parse::<u32>().map_err(|_| {
                config(format!(
                    "{ENV_REQUESTS_PER_MINUTE} must be a whole number of requests a minute, not {raw:?}"
                ))
            })?,
        };
        let member_kinds = parse_member_kinds(self.member_kinds.as_deref())?;
        let project = match http.endpoint().port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        let caps = LIVEKIT_CAPABILITIES
            .with_rate_per_minute(requests_per_minute)
            .with_rate_per_second(0);
        Ok(LiveKit::new(
            http,
            Signer::new(&api_key, &api_secret, self.clock),
            project,
            caps,
            member_kinds,
        ))
    }
}

/// LiveKit Cloud project hosts.
fn is_cloud_host(host: &str) -> bool {
    host.ends_with(".livekit.cloud")
}

/// The HTTP base of a project URL: `wss://` → `https://`, `ws://` → `http://`, the rest as given
/// (the endpoint policy then refuses plain http beyond loopback).
fn http_url(raw: &str) -> Result<String, Error> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        Error::config(format!("{ENV_URL} is not a URL ({e})")).with_provider(PROVIDER)
    })?;
    let scheme = match url.scheme() {
        "wss" => "https",
        "ws" => "http",
        other => other,
    };
    let rest = &url.as_str()[url.scheme().len()..];
    Ok(format!("{scheme}{rest}"))
}

fn parse_member_kinds(raw: Option<&str>) -> Result<MemberKinds, Error> {
    let Some(raw) = raw else {
        return Ok(MemberKinds::Only(vec![ParticipantKind::Standard]));
    };
    if raw.trim().eq_ignore_ascii_case("all") {
        return Ok(MemberKinds::All);
    }
    let mut kinds = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let kind = ParticipantKind::parse(name).ok_or_else(|| {
            Error::config(format!(
                "{ENV_MEMBER_KINDS}: {name:?} is not a participant kind; use standard, agent, egress, ingress, sip, connector, bridge or all"
            ))
            .with_provider(PROVIDER)
        })?;
        kinds.push(kind);
    }
    if kinds.is_empty() {
        return Err(Error::config(format!(
            "{ENV_MEMBER_KINDS} names no participant kind (an empty set would list nobody)"
        ))
        .with_provider(PROVIDER));
    }
    Ok(MemberKinds::Only(kinds))
}

impl AdapterBuilder for LiveKitBuilder {
    type Adapter = LiveKit;

    const ENV_VARS: &'static [EnvVar] = ENV_VARS;
    const CAPABILITIES: room_moderator_core::Capabilities = crate::LIVEKIT_CAPABILITIES;

    /// The URL, credentials, pace and member kinds, each where given.
    fn apply_vars(mut self, vars: &Vars) -> Self {
        vars.read_into(ENV_URL, &mut self.connection.endpoint);
        vars.read_into(ENV_API_KEY, &mut self.api_key);
        vars.read_into(ENV_API_SECRET, &mut self.api_secret);
        vars.read_into(ENV_REQUESTS_PER_MINUTE, &mut self.requests_per_minute);
        vars.read_into(ENV_MEMBER_KINDS, &mut self.member_kinds);
        self
    }

    fn connection_mut(&mut self) -> &mut Connection {
        &mut self.connection
    }

    async fn build(self) -> Result<LiveKit, Error> {
        LiveKitBuilder::build(self)
    }
}

#[cfg(test)]
mod tests {
    use room_moderator_core::ErrorKind;

    use super::*;

    fn from_pairs(pairs: &[(&str, &str)]) -> LiveKitBuilder {
        LiveKitBuilder::default().with_vars(pairs.iter().copied())
    }

    #[test]
    fn the_environment_names_what_is_missing() {
        for (pairs, missing) in [
            (
                &[("LIVEKIT_API_KEY", "k"), ("LIVEKIT_API_SECRET", "s")][..],
                "LIVEKIT_URL",
            ),
            (
                &[
                    ("LIVEKIT_URL", "wss://a.livekit.cloud"),
                    ("LIVEKIT_API_SECRET", "s"),
                ][..],
                "LIVEKIT_API_KEY",
            ),
            (
                &[
                    ("LIVEKIT_URL", "wss://a.livekit.cloud"),
                    ("LIVEKIT_API_KEY", "k"),
                    ("LIVEKIT_API_SECRET", " "),
                ][..],
                "LIVEKIT_API_SECRET",
            ),
        ] {
            let error = from_pairs(pairs).build().expect_err(missing);
            assert_eq!(error.kind(), ErrorKind::Config);
            assert!(error.message().contains(missing), "{error}");
        }
    }

    #[test]
    fn wss_and_https_both_work_and_the_rate_follows_the_host() {
        let cloud = LiveKitBuilder::new("wss://acme.livekit.cloud", "k", "s")
            .build()
            .expect("builds");
        assert_eq!(cloud.endpoint().as_str(), "https://acme.livekit.cloud/");
        assert_eq!(cloud.requests_per_minute(), Some(1000));
        let own = LiveKitBuilder::new("https://livekit.example.com", "k", "s")
            .build()
            .expect("builds");
        assert_eq!(own.requests_per_minute(), Some(3000));
        let local = LiveKitBuilder::new("ws://127.0.0.1:7880", "k", "s")
            .with_requests_per_minute(1000)
            .build()
            .expect("loopback ws");
        assert_eq!(local.endpoint().as_str(), "http://127.0.0.1:7880/");
        assert_eq!(local.requests_per_minute(), Some(1000));
        let unpaced = LiveKitBuilder::new("https://lk.example.com", "k", "s")
            .with_requests_per_minute(0)
            .build()
            .expect("builds");
        assert_eq!(unpaced.requests_per_minute(), None);
        let error = LiveKitBuilder::new("ws://livekit.example.com", "k", "s")
            .build()
            .expect_err("plain ws beyond loopback");
        assert_eq!(error.kind(), ErrorKind::Config);
    }

    #[test]
    fn member_kinds_and_the_rate_are_checked() {
        let error = from_pairs(&[
            ("LIVEKIT_URL", "https://lk.example.com"),
            ("LIVEKIT_API_KEY", "k"),
            ("LIVEKIT_API_SECRET", "s"),
            ("LIVEKIT_MEMBER_KINDS", "standard,robot"),
        ])
        .build()
        .expect_err("unknown kind");
        assert!(error.message().contains("robot"), "{error}");
        let error = from_pairs(&[
            ("LIVEKIT_URL", "https://lk.example.com"),
            ("LIVEKIT_API_KEY", "k"),
            ("LIVEKIT_API_SECRET", "s"),
            ("LIVEKIT_REQUESTS_PER_MINUTE", "fast"),
        ])
        .build()
        .expect_err("not a number");
        assert!(
            error.message().contains("LIVEKIT_REQUESTS_PER_MINUTE"),
            "{error}"
        );
        assert!(
            LiveKitBuilder::new("https://lk.example.com", "k", "s")
                .with_member_kinds(&[])
                .build()
                .is_err()
        );
        assert_eq!(
            parse_member_kinds(Some("Standard, AGENT")).expect("parses"),
            MemberKinds::Only(vec![ParticipantKind::Standard, ParticipantKind::Agent])
        );
        let shown = format!(
            "{:?}",
            LiveKitBuilder::new("https://lk.example.com", "k", "very-secret")
        );
        assert!(!shown.contains("very-secret"), "{shown}");
    }
}
