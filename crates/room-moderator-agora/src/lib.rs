//! Agora adapters for `room-moderator`: remove users from RTC channels through the channel
//! management REST API ([`AgoraRtc`]: kicking rules, which also give native timed bans) and from Agora
//! Chat chat rooms through the Chat REST API ([`AgoraChat`]: member removal and the room's block
//! list). Facts and sources: `docs/providers/agora.md`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use room_moderator_core::{DisconnectRequest, Engine, Moderator};
//! use room_moderator_agora::AgoraRtc;
//! # async fn demo() -> Result<(), room_moderator_core::Error> {
//! // AGORA_APP_ID, AGORA_CUSTOMER_ID, AGORA_CUSTOMER_SECRET and optionally AGORA_ENDPOINT.
//! let moderator: Arc<dyn Moderator> = Arc::new(Engine::new(AgoraRtc::from_env()?));
//! let report = moderator.disconnect(&DisconnectRequest::new("channel-1", ["589517928"])).await?;
//! # let _ = report;
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod answer;
mod chat;
/// Decoders of provider input for the fuzz targets in `fuzz/`; not part of the API.
#[doc(hidden)]
pub mod fuzzing;
mod rtc;
pub mod token;

pub use chat::{
    AgoraChat, AgoraChatBuilder, CHAT_BANS, CHAT_CAPABILITIES, CHAT_ENV_VARS, CHAT_MEMBERS,
    CHAT_PROVIDER, ENV_APP_CERTIFICATE, ENV_CHAT_APP, ENV_CHAT_HOST, ENV_CHAT_ORG,
};
pub use rtc::{
    AgoraRtc, AgoraRtcBuilder, CHANNEL_CHARSET, ENV_APP_ID, ENV_CUSTOMER_ID, ENV_CUSTOMER_SECRET,
    ENV_ENDPOINT, RTC_BANS, RTC_CAPABILITIES, RTC_DEFAULT_ENDPOINT, RTC_ENV_VARS, RTC_MAX_RULE,
    RTC_MEMBERS, RTC_MIN_RULE, RTC_PROVIDER, UID_CHARSET, parse_uid,
};
