//! The Agora emulators (docs/providers/agora.md): the RTC channel management REST API and the Agora
//! Chat REST API, each on its own listener.
//!
//! **RTC** ([`RtcEmulator`]): HTTP Basic with the customer id and secret; `POST/GET/PUT/DELETE
//! /dev/v1/kicking-rule` (a `join_channel` rule with `time`/`time_in_seconds` 0 takes matching users
//! offline once; a longer one also refuses their joins until it lapses, clamped to 10..86,430 s, 60
//! minutes when neither is set); `GET /dev/v1/channel/user/{appid}/{channel}[/hosts_only]` in both
//! channel modes (communication: `users`; live broadcasting: `broadcasters`, the first 10,000 of
//! `audience` and `audience_total`). The rate windows are the account's, keyed by the customer id
//! across App IDs: 10 rule calls a second (every method of `kicking-rule` together, the conservative
//! reading) and 20 online-channel queries a second, over any sliding second; over them, HTTP 429.
//! Clients join through [`RtcEmulator::join`] (`POST /_emulator/agora/join`), which rules refuse.
//!
//! **Chat** ([`ChatEmulator`]): `Authorization: Bearer <app token>` checked as an AccessToken2 signed
//! with the App Certificate (Chat service, app privilege, not expired); `DELETE
//! .../chatrooms/{id}/users/{a,b}` (at most 60 names; one name answers an object and a non-member
//! 403 `forbidden_op`; several answer an array with `result: false` for non-members), `GET
//! .../chatrooms/{id}/users?pagenum&pagesize` (the owner first, then members, 1,000 a page at most),
//! the block list (`POST .../blocks/users/{name}`, `POST .../blocks/users {"usernames"}`, `DELETE
//! .../blocks/users/{a,b}`, `GET .../blocks/users`; blocking needs membership and removes the user),
//! 100 calls a second per App Key and API, and [`ChatEmulator::join`], which the block list refuses.
//!
//! Both have the shared [`Controls`](crate::Controls) (faults, latency, log, counters) and the admin
//! routes under `/_emulator/`.

mod chat;
mod clock;
mod ncs;
mod rtc;
mod token;
mod windows;

use std::io;
use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub use chat::ChatEmulator;
pub use ncs::{DEFAULT_CHAT_CALLBACK_SECRET, DEFAULT_NCS_SECRET, chat_security, ncs_signatures};
pub use rtc::{KickingRule, LostAnswer, RtcEmulator};

/// The RTC App ID the emulator accepts by default.
pub const DEFAULT_APP_ID: &str = "4855aa00bb11cc22dd33ee44ff55eae2";
/// A second App ID of the same account, to show that the rate is the account's.
pub const DEFAULT_SECOND_APP_ID: &str = "77aa0000bbbb1111cccc2222dddd3333";
/// The RESTful API customer id accepted by default.
pub const DEFAULT_CUSTOMER_ID: &str = "emulator-customer-id";
/// The RESTful API customer secret accepted by default.
pub const DEFAULT_CUSTOMER_SECRET: &str = "emulator-customer-secret";
/// The App Certificate Chat app tokens are checked with by default.
pub const DEFAULT_APP_CERTIFICATE: &str = "5cfd2fd1755d40ecb72977518be15d3b";
/// The Chat org name by default.
pub const DEFAULT_ORG: &str = "61000000";
/// The Chat app name by default.
pub const DEFAULT_APP: &str = "moderator";

/// Settings of both Agora emulators.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AgoraConfig {
    /// The App IDs of the account (RTC); each is accepted in rule bodies and list paths.
    pub app_ids: Vec<String>,
    /// The RESTful API customer id.
    pub customer_id: String,
    /// The RESTful API customer secret.
    pub customer_secret: String,
    /// Rule calls a second per customer id (10 by the docs); `None` turns the window off.
    pub rule_calls_per_second: Option<u32>,
    /// Online-channel queries a second per customer id (20 by the docs).
    pub query_calls_per_second: Option<u32>,
    /// The Chat project's App ID (its tokens name it).
    pub chat_app_id: String,
    /// The Chat project's App Certificate.
    pub chat_certificate: String,
    /// The Chat org name (first path segment).
    pub org: String,
    /// The Chat app name (second path segment).
    pub app: String,
    /// Chat calls a second per App Key and API (100 by the docs).
    pub chat_calls_per_second: Option<u32>,
    /// Most names in one removal or block call: 60 by Easemob's page (Agora's says 100).
    pub chat_batch_limit: usize,
    /// The secret RTC channel event notifications are signed with ([`DEFAULT_NCS_SECRET`]).
    pub ncs_secret: String,
    /// The secret Agora Chat callbacks are signed with ([`DEFAULT_CHAT_CALLBACK_SECRET`]).
    pub chat_callback_secret: String,
}

impl Default for AgoraConfig {
    fn default() -> Self {
        AgoraConfig {
            app_ids: vec![DEFAULT_APP_ID.to_owned(), DEFAULT_SECOND_APP_ID.to_owned()],
            customer_id: DEFAULT_CUSTOMER_ID.to_owned(),
            customer_secret: DEFAULT_CUSTOMER_SECRET.to_owned(),
            rule_calls_per_second: Some(10),
            query_calls_per_second: Some(20),
            chat_app_id: DEFAULT_APP_ID.to_owned(),
            chat_certificate: DEFAULT_APP_CERTIFICATE.to_owned(),
            org: DEFAULT_ORG.to_owned(),
            app: DEFAULT_APP.to_owned(),
            chat_calls_per_second: Some(100),
            chat_batch_limit: 60,
            ncs_secret: DEFAULT_NCS_SECRET.to_owned(),
            chat_callback_secret: DEFAULT_CHAT_CALLBACK_SECRET.to_owned(),
        }
    }
}

impl AgoraConfig {
    /// The Chat project: its App ID and App Certificate.
    pub fn with_chat_app(mut self, app_id: &str, certificate: &str) -> Self {
        self.chat_app_id = app_id.to_owned();
        self.chat_certificate = certificate.to_owned();
        self
    }
}

/// Both Agora emulators. Dropping it stops them.
#[derive(Debug)]
pub struct AgoraEmulator {
    rtc: RtcEmulator,
    chat: ChatEmulator,
}

impl AgoraEmulator {
    /// Starts the RTC emulator on `rtc_addr` and the Chat emulator on `chat_addr` (port 0: a free port).
    pub async fn start(
        config: AgoraConfig,
        rtc_addr: SocketAddr,
        chat_addr: SocketAddr,
    ) -> io::Result<Self> {
        let clock = clock::Clock::new();
        Ok(AgoraEmulator {
            rtc: RtcEmulator::start(&config, clock.clone(), rtc_addr).await?,
            chat: ChatEmulator::start(&config, clock, chat_addr).await?,
        })
    }

    /// The RTC channel management emulator.
    pub fn rtc(&self) -> &RtcEmulator {
        &self.rtc
    }

    /// The Agora Chat emulator.
    pub fn chat(&self) -> &ChatEmulator {
        &self.chat
    }

    /// The secrets a webhook receiver needs: `AGORA_NCS_SECRET` (RTC notifications) and
    /// `AGORA_CHAT_CALLBACK_SECRET` (Chat callbacks).
    pub fn callback_vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AGORA_NCS_SECRET", self.rtc.ncs_secret().to_owned()),
            (
                "AGORA_CHAT_CALLBACK_SECRET",
                self.chat.callback_secret().to_owned(),
            ),
        ]
    }
}

/// A JSON answer.
fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}
