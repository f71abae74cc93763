//! Live mode: the behaviours marked live, against a real account (docs/behavior-suite.md).
//!
//! `ROOM_MODERATOR_LIVE=<provider>` names the provider; its adapter's own variables
//! ([`Provider::env_vars`]) carry the credentials. `ROOM_MODERATOR_LIVE_ROOM` names the room (default
//! a random `rm-suite-<n>`; IVS needs an ARN), `ROOM_MODERATOR_LIVE_USERS` the users the trials may
//! remove (comma-separated; default random integer ids nobody uses, so nothing real is kicked).
//! Without `ROOM_MODERATOR_LIVE` nothing here runs. With it but without the credentials, every live
//! trial is ignored with one reason and nothing is sent.

use room_moderator::{Builder, Provider};

/// Names the provider to test live.
pub const LIVE: &str = "ROOM_MODERATOR_LIVE";
/// The room live trials use.
pub const LIVE_ROOM: &str = "ROOM_MODERATOR_LIVE_ROOM";
/// The users live trials may remove, comma-separated.
pub const LIVE_USERS: &str = "ROOM_MODERATOR_LIVE_USERS";

/// The variables that must be set before anything is built or sent: the credentials (endpoints,
/// profiles, session tokens and rates are optional). Every other variable of the adapter's table is
/// read too, as `from_env` reads it.
pub fn required(provider: Provider) -> &'static [&'static str] {
    match provider {
        Provider::ZegoZim | Provider::ZegoRtc => &["ZEGO_APP_ID", "ZEGO_SERVER_SECRET"],
        // The region too: without it the AWS chain would ask instance metadata, a network call.
        Provider::IvsChat | Provider::IvsStages => {
            &["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        }
        Provider::Enablex => &["ENABLEX_APP_ID", "ENABLEX_APP_KEY"],
        Provider::LiveKit => &["LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"],
        Provider::AgoraRtc => &["AGORA_APP_ID", "AGORA_CUSTOMER_ID", "AGORA_CUSTOMER_SECRET"],
        Provider::AgoraChat => &[
            "AGORA_APP_ID",
            "AGORA_APP_CERTIFICATE",
            "AGORA_CHAT_HOST",
            "AGORA_CHAT_ORG",
            "AGORA_CHAT_APP",
        ],
        _ => &[],
    }
}

/// What live mode runs with.
#[derive(Clone, Debug)]
pub struct LiveSettings {
    /// The provider under test.
    pub provider: Provider,
    /// The room every live trial uses.
    pub room: String,
    /// The users live trials name.
    pub users: Vec<String>,
    /// Why live trials cannot run (credentials missing or refused by the builder): each is then
    /// ignored with this reason.
    pub unusable: Option<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// A number unlikely to repeat between runs, from the clock and the process id (no RNG needed).
fn nonce() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos() ^ (elapsed.as_secs() as u32))
        .unwrap_or_default();
    nanos ^ std::process::id().rotate_left(16)
}

/// Random integer ids in 3,000,000,000..4,000,000,000: valid for every provider (Agora RTC takes
/// integer uids only) and used by nobody.
pub fn unused_users(n: usize) -> Vec<String> {
    let base = 3_000_000_000u64 + u64::from(nonce() % 900_000_000);
    (0..n as u64).map(|i| (base + i * 7).to_string()).collect()
}

/// Live settings from the environment; `None` without `ROOM_MODERATOR_LIVE`.
///
/// # Panics
/// When `ROOM_MODERATOR_LIVE` names no provider: whoever set it meant something else, and running
/// the emulators instead would hide that.
pub fn from_env() -> Option<LiveSettings> {
    let name = var(LIVE)?;
    let provider: Provider = name
        .parse()
        .unwrap_or_else(|error| panic!("{LIVE}={name}: {error}"));
    let room = var(LIVE_ROOM);
    let users = var(LIVE_USERS)
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|user| !user.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|users| !users.is_empty())
        .unwrap_or_else(|| unused_users(2));
    let missing: Vec<&str> = required(provider)
        .iter()
        .copied()
        .filter(|name| var(name).is_none())
        .collect();
    let unusable = if !missing.is_empty() {
        Some(format!(
            "{LIVE}={provider} but its credentials are not set: {}",
            missing.join(", ")
        ))
    } else if room.is_none() && matches!(provider, Provider::IvsChat | Provider::IvsStages) {
        Some(format!(
            "{LIVE}={provider}: IVS rooms and stages are ARNs; set {LIVE_ROOM}"
        ))
    } else {
        builds(provider).err()
    };
    Some(LiveSettings {
        provider,
        room: room.unwrap_or_else(|| format!("rm-suite-{}", nonce())),
        users,
        unusable,
    })
}

/// Whether the adapter builds from the environment (its `from_env`); nothing is sent.
fn builds(provider: Provider) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("runtime: {error}"))?;
    runtime
        .block_on(Builder::new(provider).with_ban_store("memory:").build())
        .map(drop)
        .map_err(|error| format!("{LIVE}={provider}: the adapter does not build: {error}"))
}
