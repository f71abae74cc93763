//! EnableX adapter for `room-moderator`.
//!
//! Applications usually reach this crate through the facade, [`room-moderator`](https://docs.rs/room-moderator/latest/room_moderator/)
//! with its `enablex` feature, as `room_moderator::enablex`; its front page has the install line, a
//! first removal and the other providers.
//!
//! EnableX has no server REST call that drops a participant: its SDKs drop users by emitting `drop`
//! over the signalling socket as a moderator. This adapter does exactly that, headless, per batch:
//!
//! 1. `POST {ENABLEX_API_URL}rooms/{room_id}/tokens` (HTTP Basic `APP_ID:APP_KEY`) creates a
//!    single-use moderator token;
//! 2. the token (base64 JSON, or a JWT payload) names the signalling host; the adapter opens
//!    `wss://{host}/socket.io/?EIO=3&transport=websocket` (Socket.IO 2 over Engine.IO v3, with the
//!    `socketio2-client` crate), emits `token`, and reads `room-connected` for its own role and the room's
//!    `userList`;
//! 3. each requested user id is matched against every connection's `user_ref` (a user on two devices
//!    has two clientIds; both are dropped), optionally also against raw clientIds;
//! 4. one `drop {"all": false, "clientIds": [..]}` with an ack removes them (the clientIds in the
//!    JSON type the server gave them); users with no connection are
//!    [`NotInRoom`](room_moderator_core::Outcome::NotInRoom) and, if nobody is present, nothing is
//!    emitted at all (an empty `clientIds` would drop EVERYONE);
//! 5. the session leaves by closing its Socket.IO namespace and socket (never with a `drop`).
//!
//! A `room-connected` without a readable `userList` fails the whole batch with
//! [`Protocol`](room_moderator_core::ErrorKind::Protocol): nobody is called absent from a roster that was
//! not seen. A session whose role is not `moderator` fails with
//! [`PermissionDenied`](room_moderator_core::ErrorKind) code `5116` and never sends `drop`; a session no
//! longer in the room fails with code `5086`. A request naming the moderator's own `user_ref` is
//! refused before anything is sent.
//! [`Moderator::disconnect_all`](room_moderator_core::Moderator::disconnect_all) is the only path to
//! `drop {"all": true}`. EnableX carries no reason to the dropped user
//! ([`ReasonSupport::NotCarried`]); they receive `room-disconnected` with cause
//! `disconnected-by-moderator`.
//!
//! Caveats: the headless moderator is visible to others while it is in the room, may take a moderator
//! slot, may start a session in a room that waits for a moderator, and may count in usage records.
//! Sessions are therefore short by default; [`EnablexBuilder::with_kept_session`] keeps one open per
//! room for many drops.
//!
//! ```no_run
//! # async fn run() -> Result<(), room_moderator_core::Error> {
//! use room_moderator_core::{AdapterExt, DisconnectRequest, Moderator};
//! use room_moderator_enablex::EnablexBuilder;
//! let moderator = EnablexBuilder::from_env().build()?.into_moderator();
//! let report = moderator
//!     .disconnect(&DisconnectRequest::new("6123abcd6123abcd6123abcd", ["troll-1", "troll-2"]))
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
mod drop_frame;
/// Decoders of provider input for the fuzz targets in `fuzz/`; not part of the API.
#[doc(hidden)]
pub mod fuzzing;
mod join_token;
mod kept;
mod rest;
mod roster;
mod session;
mod token;

use room_moderator_core::{ApiLimits, Capabilities, CharSet, IdRule, ReasonSupport};

pub use adapter::Enablex;
pub use builder::{
    DEFAULT_ENDPOINT, DEFAULT_KEPT_SESSION_IDLE, DEFAULT_MODERATOR_NAME, DEFAULT_MODERATOR_REF,
    DEFAULT_TIMEOUT, ENV_API_URL, ENV_APP_ID, ENV_APP_KEY, ENV_VARS, EnablexBuilder,
};
pub use join_token::{DEFAULT_TOKEN_ROLE, MAX_TOKEN_DATA_KEYS, TOKEN_LIFETIME, TOKEN_ROLES};

/// The provider name in errors, traces and reports.
pub const PROVIDER: &str = "enablex";

/// Room ids: EnableX issues 24-character hexadecimal ids; the documented limit is UNVERIFIED, so any
/// id of letters, digits, `-` and `_` up to 128 characters is accepted (it travels in a URL path).
pub const ROOM_ID_RULE: IdRule = IdRule::max_chars(128).with_charset(CharSet {
    description: "ASCII letters, digits, '-' and '_'",
    allows: |c| c.is_ascii_alphanumeric() || c == '-' || c == '_',
});

/// User ids are the application's own `user_ref`s (any text; the 255-character bound is ours).
pub const USER_REF_RULE: IdRule = IdRule::max_chars(255);

/// The most connections one member listing is planned for. The listing is not paged: one
/// signalling join returns the whole roster (`room-connected.userList`), so this is a bound for
/// planning, far above any EnableX room, not a page size.
pub const MAX_LISTED_CONNECTIONS: usize = 100_000;

/// How members are listed: one headless session (a REST token plus a signalling join), as a drop
/// costs, so the listing is paced with the kick's 2 calls a second (EnableX documents no rate for
/// either; this is the conservative reading `ApiLimits` asks for).
pub const MEMBERS_LIMITS: ApiLimits = ApiLimits::new(MAX_LISTED_CONNECTIONS).sharing_kick_quota();

/// How tokens are issued: one REST call each (`POST /video/v2/rooms/{room}/tokens`). EnableX
/// documents no rate for it, only that 429 `RATE_LIMITED` exists; tokens are asked for one at a time
/// as clients join, so they are not paced with the kicks (a 429 is backpressure all the same).
pub const TOKEN_LIMITS: ApiLimits = ApiLimits::new(1);

/// What the adapter can do with default settings.
///
/// - 100 users per `drop` by default (EnableX documents no limit on `clientIds`; configurable with
///   [`EnablexBuilder::with_max_users_per_call`]).
/// - 2 calls per second: EnableX documents no numeric rate limit, only that 429 `RATE_LIMITED` exists.
///   Each call costs a REST token and a whole signalling session (join, drop, leave), so the default
///   is conservative; at 100 users per call that still removes 200 users a second.
/// - `disconnect_all` exists (`drop {"all": true}`, native); no reason is carried.
/// - Members are listed from the signalling roster ([`MEMBERS_LIMITS`]); bans are kept in the ban
///   store (EnableX has no ban rules); tokens are issued over REST.
pub const ENABLEX_CAPABILITIES: Capabilities = Capabilities::new(100)
    .with_rate_per_second(2)
    .with_disconnect_all(true)
    .with_reason(ReasonSupport::NotCarried)
    .with_room_id(ROOM_ID_RULE)
    .with_user_id(USER_REF_RULE)
    .with_members(MEMBERS_LIMITS)
    .with_tokens(TOKEN_LIMITS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_as_documented() {
        assert_eq!(ENABLEX_CAPABILITIES.max_users_per_call.get(), 100);
        assert_eq!(
            ENABLEX_CAPABILITIES.requests_per_second.map(|r| r.get()),
            Some(2)
        );
        const { assert!(ENABLEX_CAPABILITIES.disconnect_all) };
        assert_eq!(ENABLEX_CAPABILITIES.reason, ReasonSupport::NotCarried);
        assert_eq!(
            ENABLEX_CAPABILITIES.room_clear(),
            room_moderator_core::RoomClear::Native
        );
        assert_eq!(ENABLEX_CAPABILITIES.members, Some(MEMBERS_LIMITS));
        assert!(MEMBERS_LIMITS.shares_kick_quota && MEMBERS_LIMITS.requests_per_second.is_none());
        assert_eq!(
            ENABLEX_CAPABILITIES.bans,
            room_moderator_core::BanSupport::Store
        );
        const { assert!(ENABLEX_CAPABILITIES.tokens.is_some()) };
    }

    #[test]
    fn id_rules() {
        assert!(ROOM_ID_RULE.check("6123abcd6123abcd6123abcd").is_ok());
        assert!(ROOM_ID_RULE.check("lobby_1-a").is_ok());
        assert!(ROOM_ID_RULE.check("a/b").is_err());
        assert!(ROOM_ID_RULE.check(&"a".repeat(129)).is_err());
        assert!(USER_REF_RULE.check("any text, even ü").is_ok());
        assert!(USER_REF_RULE.check(&"u".repeat(256)).is_err());
    }
}
