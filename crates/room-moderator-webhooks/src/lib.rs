//! A webhook receiver for [`room-moderator`](https://docs.rs/room-moderator): it hears each
//! provider's "user joined" callback, verifies it exactly as the provider documents, answers at once,
//! and re-kicks the user through the engine if the ban store holds a ban for them in that room. That
//! is what makes a ban hold against a session the user already has on providers that cannot revoke
//! one (ZIM, LiveKit, Agora Chat), and bounds a banned user's stay everywhere else.
//!
//! | route | provider event | verification |
//! |---|---|---|
//! | `POST /webhooks/zego-zim` | ZIM `room_enter` | body `signature` = SHA-1 of the sorted CallbackSecret, `timestamp`, `nonce` |
//! | `POST /webhooks/zego-rtc` | Express RTC `room_login` | the same |
//! | `POST /webhooks/livekit` | `participant_joined` | `Authorization`: HS256 JWT (`iss` = API key) whose `sha256` is the body's |
//! | `POST /webhooks/agora-rtc` | NCS event types 103, 105, 107 | `Agora-Signature-V2`: HMAC-SHA256 of the raw body |
//! | `POST /webhooks/agora-chat` | chat-room `JOIN` | body `security` = MD5 of `callId`, secret, `timestamp` |
//!
//! Answers: 200 for a verified callback (whatever it leads to; `{}` as JSON to Agora), 401 for a
//! missing or wrong signature, 400 for a malformed one or one outside the ±300 s window (LiveKit: the
//! token's `exp`/`nbf` with 60 s leeway), 200 without acting for a delivery seen before, 413 over the
//! body limit (64 KiB; LiveKit 1 MiB), 503 when the work queue is full or the shared replay cache is
//! unreachable (the provider retries). Signatures are compared in constant time; nothing secret is
//! logged. Facts and sources: `docs/webhooks.md`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use room_moderator_core::Moderator;
//! use room_moderator_webhooks::WebhooksBuilder;
//!
//! # async fn run(livekit: Arc<dyn Moderator>) -> Result<(), Box<dyn std::error::Error>> {
//! // `livekit` is the application's moderator, built with its ban store.
//! let webhooks = WebhooksBuilder::new()
//!     .livekit([("APIkey", "api-secret")], livekit)
//!     .build()?;
//! let app = axum::Router::new().merge(webhooks.router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8787").await?;
//! axum::serve(listener, app).await?;
//! webhooks.shutdown().await; // finish the re-kicks in flight
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod enforce;
/// The callback verifiers for the fuzz target in `fuzz/`; not part of the API.
#[doc(hidden)]
pub mod fuzzing;
mod metrics;
mod receiver;
mod replay;
#[cfg(feature = "redis")]
mod replay_redis;
mod route;
mod secret;
pub mod sign;
mod verify;

pub use metrics::{METRICS_CONTENT_TYPE, Metrics};
pub use receiver::{
    DEFAULT_CONCURRENCY, DEFAULT_QUEUE, DEFAULT_REKICK_INTERVAL, Webhooks, WebhooksBuilder,
};
pub use replay::{DEFAULT_REPLAY_CAPACITY, DEFAULT_REPLAY_TTL, MemoryReplayCache, ReplayCache};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use replay_redis::{REDIS_KEY_PREFIX, RedisReplayCache};
pub use route::{BODY_LIMIT, LIVEKIT_BODY_LIMIT, Route};
pub use secret::Secret;
pub use verify::livekit::LEEWAY as LIVEKIT_LEEWAY;
pub use verify::{Join, TIMESTAMP_WINDOW};
