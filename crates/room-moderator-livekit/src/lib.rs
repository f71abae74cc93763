//! LiveKit adapter for `room-moderator`: remove participants from LiveKit rooms (self-hosted
//! livekit-server or LiveKit Cloud) through RoomService over Twirp, with JSON bodies.
//!
//! - A kick is one `RemoveParticipant` per identity (LiveKit has no batch form); an absent identity
//!   (404 `not_found`) is [`NotInRoom`](room_moderator_core::Outcome::NotInRoom), never retried.
//! - Members come from one `ListParticipants` (no pages), each identity once; by default only
//!   standard participants are members, so a kick-all by listing keeps agents, egress, ingress,
//!   SIP, connector and bridge participants ([`LiveKitBuilder::with_member_kinds`],
//!   `LIVEKIT_MEMBER_KINDS`).
//! - Every call carries an HS256 admin token minted locally with the API secret (`video.roomAdmin`
//!   and `video.room` for that room, 10 minutes, reused while it has over 2 minutes left).
//! - Pacing: LiveKit Cloud allows 1,000 Server API requests a minute per project, every method
//!   together, so on `*.livekit.cloud` hosts the calls are spaced 60 ms apart and every method
//!   draws from one quota ([`QuotaKey`](room_moderator_core::QuotaKey) per project host).
//!   Self-hosted livekit-server has no API rate limit; the default pace is
//!   [`SELF_HOSTED_REQUESTS_PER_MINUTE`] (50 a second), configurable.
//! - Bans live in the ban store (LiveKit has no ban rule); [`issue_token`] mints join tokens
//!   locally and the engine refuses banned identities before minting.
//! - Answers are classified by status, `Content-Type` and the Twirp `code`, never by `msg`:
//!   text/plain 401 is bad credentials (its body is never logged: older servers echo the token),
//!   JSON `unauthenticated` is a missing grant, `bad_route` a wrong URL, 429 throttling, 5xx and
//!   `unavailable` temporary.
//!
//! Facts and sources: `docs/providers/livekit.md` in the repository.
//!
//! [`issue_token`]: room_moderator_core::Moderator::issue_token
//!
//! ```no_run
//! # async fn run() -> Result<(), room_moderator_core::Error> {
//! use room_moderator_core::{AdapterExt, DisconnectRequest, Moderator};
//! use room_moderator_livekit::LiveKitBuilder;
//! // LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET
//! let moderator = LiveKitBuilder::from_env().build()?.into_moderator();
//! let report = moderator
//!     .disconnect(&DisconnectRequest::new("standup", ["troll-1", "troll-2"]))
//!     .await?;
//! for (user, error) in report.failures() {
//!     eprintln!("{user}: {error}");
//! }
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod adapter;
mod builder;
mod codes;
/// Decoders of provider input for the fuzz targets in `fuzz/`; not part of the API.
#[doc(hidden)]
pub mod fuzzing;
mod token;
mod twirp;

use room_moderator_core::{ApiLimits, Capabilities, IdRule};

pub use adapter::LiveKit;
pub use builder::{
    CLOUD_REQUESTS_PER_MINUTE, DEFAULT_TIMEOUT, ENV_API_KEY, ENV_API_SECRET, ENV_MEMBER_KINDS,
    ENV_URL, ENV_VARS, LiveKitBuilder, SELF_HOSTED_REQUESTS_PER_MINUTE,
};
pub use token::{ADMIN_TOKEN_TTL, DEFAULT_JOIN_TOKEN_TTL, JOIN_GRANTS, MAX_JOIN_TOKEN_TTL};
pub use twirp::ParticipantKind;

/// The provider name in errors, traces, reports and the CLI.
pub const PROVIDER: &str = "livekit";

/// Identities and room names: at most 256 bytes (livekit-server's defaults; no character set is
/// documented).
pub const ID_RULE: IdRule = IdRule::max_bytes(256);

/// The most participants one listing is planned for: `ListParticipants` has no pages, so this is a
/// bound for planning, not a page size.
pub const MAX_LISTED_PARTICIPANTS: usize = 100_000;

/// Listing draws from the same per-project quota as removals (Cloud counts every method together).
pub const MEMBERS_LIMITS: ApiLimits = ApiLimits::new(MAX_LISTED_PARTICIPANTS).sharing_kick_quota();

/// Join tokens are minted locally: no provider call, no rate.
pub const TOKEN_LIMITS: ApiLimits = ApiLimits::new(1);

/// What the adapter can do on LiveKit Cloud: one identity a call, 1,000 calls a minute, reasons
/// not carried (LiveKit only tells the client `PARTICIPANT_REMOVED`), members by listing, bans in
/// the store, tokens minted locally. Self-hosted, the rate is the builder's (see
/// [`SELF_HOSTED_REQUESTS_PER_MINUTE`]).
pub const LIVEKIT_CAPABILITIES: Capabilities = Capabilities::new(1)
    .with_rate_per_minute(CLOUD_REQUESTS_PER_MINUTE)
    .with_room_id(ID_RULE)
    .with_user_id(ID_RULE)
    .with_members(MEMBERS_LIMITS)
    .with_tokens(TOKEN_LIMITS);
