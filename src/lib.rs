//! Remove users from live chat and video rooms (ZEGOCLOUD, Amazon IVS Chat and real-time stages,
//! EnableX, LiveKit, Agora) through one provider-agnostic trait.
//!
//! Your application holds an `Arc<dyn` [`Moderator`]`>` and asks it to
//! [`disconnect`](Moderator::disconnect) users from a room; an adapter, compiled in by a cargo feature,
//! turns that into the provider's own calls. Between the two, the engine does what every provider
//! needs: it checks the request before anything is sent (an `Err` means nothing was sent, and an empty
//! user list is an error, never "everyone"), batches users to the provider's limit, paces calls to its
//! documented rate, retries temporary failures, and answers with a [`Report`] holding exactly one
//! [`Outcome`] per distinct user. The same trait lists members, bans users and issues join tokens where
//! the provider can, as its [`Capabilities`] say.
//!
//! # Install
//!
//! ```sh
//! cargo add room-moderator --features zego   # or ivschat, ivs-stages (ivs = both), enablex; add serde for JSON reports
//! cargo add --dev room-moderator-emulator   # local emulators of the three providers, for your tests
//! ```
//!
//! # A first removal
//!
//! With the `zego` feature, credentials in `ZEGO_APP_ID` and `ZEGO_SERVER_SECRET`:
//!
#![cfg_attr(feature = "zego", doc = "```no_run")]
#![cfg_attr(not(feature = "zego"), doc = "```ignore")]
//! use room_moderator::zego::ZegoZim;
//! use room_moderator::{AdapterExt, DisconnectRequest, Moderator, Outcome};
//!
//! # async fn run() -> Result<(), room_moderator::Error> {
//! let moderator = ZegoZim::from_env()?.into_moderator();
//! let request = DisconnectRequest::new("lobby", ["troll", "spammer"]).with_reason("spam");
//! let report = moderator.disconnect(&request).await?;
//! for entry in report.users() {
//!     match &entry.outcome {
//!         Outcome::Disconnected => println!("{} removed", entry.user),
//!         Outcome::NotInRoom => println!("{} was not in the room", entry.user),
//!         Outcome::Failed(error) => println!("{} is still there: {error}", entry.user),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! No account needed to try it: `room-moderator-emulator` runs each provider's wire protocol on
//! loopback, and the README's first example makes this removal against it. To pick the provider at
//! run time instead (`MODERATOR_PROVIDER=zego-zim|zego-rtc|ivschat|ivs-stages|enablex|livekit|agora-rtc|agora-chat` and that provider's
//! variables), use [`from_env`] or [`Builder`].
//!
//! # Features
//!
//! | feature | what it adds | provider call |
//! |---|---|---|
//! | `zego` | [`zego::ZegoZim`], [`zego::ZegoRtc`] | ZIM `KickoutRoomUser`, Express RTC `KickoutUser` |
//! | `ivschat` | [`ivs::IvsChat`] | IVS Chat `DisconnectUser` (aws-sdk-ivschat) |
//! | `ivs-stages` | `ivs::IvsStages` | IVS real-time `DisconnectParticipant` per participant, after one listing (aws-sdk-ivsrealtime) |
//! | `ivs` | both IVS adapters | |
//! | `enablex` | [`enablex::Enablex`] | signalling `drop` as a headless moderator |
//! | `livekit` | [`livekit::LiveKit`] | RoomService `RemoveParticipant` (Twirp JSON) |
//! | `agora` | [`agora::AgoraRtc`], [`agora::AgoraChat`] | RTC `kicking-rule`, Chat `DELETE .../chatrooms/{id}/users/{ids}` |
//! | `webhooks` | [`webhooks::WebhooksBuilder`]: an axum router that verifies provider "user joined" callbacks and re-kicks banned users | the adapter's kick, for banned users only |
//! | `mock` | [`mock::MockAdapter`] | none: records calls and replays scripted answers, for your tests |
//! | `serde` | `Serialize` for reports, outcomes, errors, capabilities and plans | |
//! | `sqlite` (default) | [`SqliteBanStore`], the default ban store | |
//! | `redis` | [`RedisBanStore`]; one provider quota shared through Redis ([`Builder::with_redis`]) | |
//! | `full` | `zego`, `ivschat`, `ivs-stages`, `enablex`, `livekit`, `agora`, `webhooks`, `mock` and `serde` | |
//!
//! With only `zego`, no AWS crate is compiled. Items that need a feature say so in these docs.
//!
//! # Adapters
//!
//! Each adapter's page says how it is configured, what each provider answer means and which
//! behaviours are unverified:
//!
//! - [`zego`]: ZEGOCLOUD, ZIM chat rooms ([`zego::ZegoZim`]) and Express RTC rooms ([`zego::ZegoRtc`]);
//! - [`ivs`]: Amazon IVS Chat ([`ivs::IvsChat`]) and real-time stages (`ivs::IvsStages`, feature
//!   `ivs-stages`);
//! - [`enablex`]: EnableX video rooms ([`enablex::Enablex`]);
//! - [`livekit`]: LiveKit rooms, self-hosted or Cloud ([`livekit::LiveKit`]);
//! - [`agora`]: Agora RTC channels ([`agora::AgoraRtc`]) and Agora Chat rooms ([`agora::AgoraChat`]);
//! - [`mock`]: the recording mock ([`mock::MockAdapter`]).
//!
//! Your own provider: implement [`adapter::Adapter`] (one call for one batch) and wrap it in an
//! [`Engine`]; everything an adapter author needs is in [`adapter`].
//!
//! # Bans
//!
//! Bans are kept in a ban store: by default an SQLite file under the user's data directory (feature
//! `sqlite`), or the store named by [`Builder::with_ban_store`] / `MODERATOR_BAN_STORE` (`sqlite:///path`,
//! a path, `redis://…` with the `redis` feature, `memory:`); see `open_ban_store`.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod provider;

pub use builder::{Builder, from_env};
pub use provider::Provider;
pub use room_moderator_core::{
    AbsentUsers, AdapterBuilder, AdapterExt, ApiLimits, AuditHook, BanEntry, BanOutcome, BanReport,
    BanRequest, BanRule, BanScope, BanStore, BanSupport, BanUserReport, Capabilities, CharSet,
    DisconnectRequest, DisconnectRequestBuilder, Engine, EngineBuilder, EnvVar, Error, ErrorKind,
    IdRule, JoinCheck, LengthUnit, Member, MemberPage, MemoryBanStore, Moderator, ModeratorExt,
    Operation, Outcome, Plan, Presence, PresencePlan, Reason, ReasonSupport, Report, RetryPolicy,
    RetryStatus, RoomClear, RoomCleared, RoomId, StopSignal, Summary, Target, TargetReport, Token,
    TokenDecision, TokenOptions, UnbanOutcome, UnbanReport, UnbanUserReport, UserId, UserReport,
    disconnect_everywhere,
};

/// JSON shapes of reports, outcomes, errors, capabilities and plans (feature `serde`).
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
pub use room_moderator_core::json;

/// The recording, scriptable mock adapter, for testing your moderation logic (feature `mock`).
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub use room_moderator_core::mock;

/// One sweep of a room: list its members and remove those banned there, for providers that send no
/// signed "user joined" callback (EnableX, IVS real-time).
pub use room_moderator_core::sweep;

/// What an adapter author needs, kept out of the application's namespace: the one-call
/// [`Adapter`](adapter::Adapter) primitive and its batches, quota keys and pacers, and the
/// [`toolkit`](adapter::toolkit) every adapter builds on
/// (status table, code classification, endpoint policy, body limits, the HTTP glue).
///
/// Applications need none of it: they hold a [`Moderator`] built by an adapter's
/// builder or [`Builder`]. Adapter authors may depend on `room-moderator-core`
/// directly, which exports the same items at its root.
///
/// ```
/// use room_moderator::adapter::{Adapter, Batch, BatchResult};
/// ```
pub mod adapter {
    pub use room_moderator_core::toolkit;
    pub use room_moderator_core::{
        Adapter, AdaptivePacer, Answer, Batch, BatchResult, MAX_MEMBERS, Pacer, QUERY_FIRST_CALLS,
        QuotaKey, RENEW_WITHIN, RatePacer, is_loopback_host, parse_retry_after, wall_clock_now,
    };
}

/// Ban stores on real storage (the SQLite file, Redis) and choosing one from a URL.
#[cfg(any(feature = "sqlite", feature = "redis"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "redis"))))]
pub use room_moderator_state::{UnavailableBanStore, open_ban_store};

/// Bans in Redis, shared by several hosts.
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use room_moderator_state::RedisBanStore;

/// Bans in an SQLite file, shared by the processes of one host.
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use room_moderator_state::{SqliteBanStore, default_ban_store_path};

/// ZEGOCLOUD adapters (ZIM chat rooms and Express RTC rooms).
#[cfg(feature = "zego")]
#[cfg_attr(docsrs, doc(cfg(feature = "zego")))]
#[doc(inline)]
pub use room_moderator_zego as zego;

/// Amazon IVS adapters: IVS Chat (feature `ivschat`) and real-time stages (feature `ivs-stages`).
#[cfg(any(feature = "ivschat", feature = "ivs-stages"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "ivschat", feature = "ivs-stages"))))]
#[doc(inline)]
pub use room_moderator_ivs as ivs;

/// Agora adapters (RTC channels and Agora Chat rooms).
#[cfg(feature = "agora")]
#[cfg_attr(docsrs, doc(cfg(feature = "agora")))]
pub use room_moderator_agora as agora;
/// EnableX adapter.
#[cfg(feature = "enablex")]
#[cfg_attr(docsrs, doc(cfg(feature = "enablex")))]
#[doc(inline)]
pub use room_moderator_enablex as enablex;

/// LiveKit adapter.
#[cfg(feature = "livekit")]
#[cfg_attr(docsrs, doc(cfg(feature = "livekit")))]
#[doc(inline)]
pub use room_moderator_livekit as livekit;

/// The webhook receiver: verified provider callbacks that re-kick banned users (`moderator serve`).
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
#[doc(inline)]
pub use room_moderator_webhooks as webhooks;

/// The README's Rust examples, compiled and run as doctests so they cannot rot.
#[cfg(all(
    doctest,
    feature = "zego",
    feature = "ivschat",
    feature = "enablex",
    feature = "mock"
))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
