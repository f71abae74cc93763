//! The Amazon IVS Chat emulator: `POST /DisconnectUser` and `POST /CreateChatToken` as the real
//! control plane speaks them (restJson1, SigV4 with signing name `ivschat`, `x-amzn-ErrorType` and
//! `x-amzn-RequestId` headers, JSON error bodies), so that the official `aws-sdk-ivschat` talks to it
//! unchanged through an endpoint override.
//!
//! It verifies SigV4 with its own implementation (unknown access key: 403 `UnrecognizedClientException`;
//! wrong signature, wrong scope or an `x-amz-date` more than 5 minutes off: 403
//! `InvalidSignatureException`, as AWS's front end answers), applies the model's field rules
//! (400 `ValidationException` with `fieldList`), knows rooms by ARN (404 `ResourceNotFoundException`),
//! and enforces DisconnectUser's 100 TPS quota (429 `ThrottlingException`). Errors it cannot produce by
//! itself (`AccessDeniedException`, `PendingVerification`, `InternalServerException`) are scripted with
//! [`error_fault`]. The WebSocket messaging API is not emulated.
//!
//! CreateChatToken has its own quota (200 TPS) and so its own [`Controls`]
//! ([`IvsChatEmulator::token_controls`]: faults, latency, log, counters): a test asserts that no
//! token was asked for with `ivs.token_controls().counters().requests == 0`, and reads the tokens
//! issued (room, user, capabilities, session duration, attributes; never the token) with
//! [`IvsChatEmulator::chat_tokens`]. Over HTTP: `GET /_emulator/ivschat/chat-tokens` (the tokens
//! issued), `GET /_emulator/ivschat/chat-tokens/counters`, `GET /_emulator/ivschat/chat-tokens/requests`;
//! `POST /_emulator/reset` clears them too. The admin `settings` route acts on DisconnectUser only,
//! and so does the `faults` route unless it names an API: `{"api": "ivs-token", ...}` aims a fault at
//! CreateChatToken.
//!
//! Fixed test credentials: access key [`DEFAULT_ACCESS_KEY_ID`] (`AKIDEMULATOR`), secret
//! [`DEFAULT_SECRET_ACCESS_KEY`] (`emulator-secret`), no session token, region [`DEFAULT_REGION`]
//! (`us-east-1`), account [`DEFAULT_ACCOUNT_ID`] (`123456789012`).
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use room_moderator_emulator::ivschat::{IvsChatConfig, IvsChatEmulator};
//! # async fn demo() -> std::io::Result<()> {
//! let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
//! let ivs = IvsChatEmulator::start(IvsChatConfig::default(), any).await?;
//! let room = ivs.room_arn("lobby");
//! ivs.seed_room(&room, ["alice", "troll"]);
//! println!("AWS_ENDPOINT_URL_IVSCHAT={} AWS_REGION={}", ivs.base_url(), ivs.region());
//! # Ok(()) }
//! ```
//!
//! Over HTTP, seed with `PUT /_emulator/rooms/{room}` where the ARN's `/` is written `%2F`.

mod chat_token;
mod disconnect;
mod sigv4;
pub mod stages;
mod validation;
mod wire;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

pub use wire::{ErrorType, SCRIPTED_REQUEST_ID, error_fault};

use crate::{Admission, Api, Controls, MemberRooms, RoomDirectory, Server, fault_response};

/// The access key id the emulator accepts by default (a fixed test credential).
pub const DEFAULT_ACCESS_KEY_ID: &str = "AKIDEMULATOR";
/// The secret access key signatures are checked with by default (a fixed test credential).
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "emulator-secret";
/// The region requests must be signed for by default.
pub const DEFAULT_REGION: &str = "us-east-1";
/// The account id in room ARNs made by [`IvsChatEmulator::room_arn`].
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// The SigV4 signing name (service) of IVS Chat.
pub const SIGNING_NAME: &str = "ivschat";
/// DisconnectUser's quota per account and region, not adjustable (IVS Chat service quotas).
pub const DISCONNECT_USER_PER_SECOND: u32 = 100;
/// CreateChatToken's quota per account and region (docs/providers/bans.md §2.1).
pub const CREATE_CHAT_TOKEN_PER_SECOND: u32 = 200;

/// IVS Chat emulator settings. The defaults are the documented limits and the fixed test credentials.
#[derive(Clone)]
pub struct IvsChatConfig {
    /// The access key id accepted ([`DEFAULT_ACCESS_KEY_ID`]).
    pub access_key_id: String,
    /// The secret access key signatures are checked with ([`DEFAULT_SECRET_ACCESS_KEY`]).
    pub secret_access_key: String,
    /// The session token requests must carry in `x-amz-security-token`; `None` (the default): none.
    pub session_token: Option<String>,
    /// The region requests must be signed for ([`DEFAULT_REGION`]).
    pub region: String,
    /// The account in ARNs made by [`IvsChatEmulator::room_arn`] ([`DEFAULT_ACCOUNT_ID`]).
    pub account_id: String,
    /// DisconnectUser's quota (100 per second); over it, 429 `ThrottlingException`.
    pub requests_per_second: Option<NonZeroU32>,
    /// CreateChatToken's quota (200 per second); over it, 429 `ThrottlingException`.
    pub create_chat_token_per_second: Option<NonZeroU32>,
    /// How far `x-amz-date` may be from the emulator's clock (5 minutes, as AWS).
    pub max_clock_skew: Duration,
}

impl Default for IvsChatConfig {
    fn default() -> Self {
        IvsChatConfig {
            access_key_id: DEFAULT_ACCESS_KEY_ID.to_owned(),
            secret_access_key: DEFAULT_SECRET_ACCESS_KEY.to_owned(),
            session_token: None,
            region: DEFAULT_REGION.to_owned(),
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            requests_per_second: NonZeroU32::new(DISCONNECT_USER_PER_SECOND),
            create_chat_token_per_second: NonZeroU32::new(CREATE_CHAT_TOKEN_PER_SECOND),
            max_clock_skew: Duration::from_secs(300),
        }
    }
}

impl fmt::Debug for IvsChatConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IvsChatConfig")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("region", &self.region)
            .field("account_id", &self.account_id)
            .field("requests_per_second", &self.requests_per_second)
            .field(
                "create_chat_token_per_second",
                &self.create_chat_token_per_second,
            )
            .field("max_clock_skew", &self.max_clock_skew)
            .finish()
    }
}

/// One DisconnectUser call the emulator accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disconnection {
    /// The room ARN.
    pub room: String,
    /// The user id.
    pub user: String,
    /// The reason, as sent.
    pub reason: Option<String>,
    /// Whether the user was a member (IVS answers 200 either way).
    pub was_member: bool,
}

/// One CreateChatToken call the emulator accepted: what the token grants. The token itself is not
/// kept (it is a secret, even a fake one, and tests have no use for it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IssuedChatToken {
    /// The room ARN.
    pub room: String,
    /// The user id.
    pub user: String,
    /// The capabilities, as sent (none: read only).
    pub capabilities: Vec<String>,
    /// `sessionDurationInMinutes` as sent; `None` means IVS's default (60).
    pub session_duration_in_minutes: Option<i64>,
    /// The attributes, as sent.
    pub attributes: BTreeMap<String, String>,
}

/// State shared by the handler and the handle.
#[derive(Clone, Debug)]
struct Service {
    config: Arc<IvsChatConfig>,
    /// DisconnectUser's controls (and its quota).
    controls: Controls,
    /// CreateChatToken's controls: its own quota, log and counters.
    token_controls: Controls,
    rooms: MemberRooms,
    disconnections: Arc<Mutex<Vec<Disconnection>>>,
    chat_tokens: Arc<Mutex<Vec<IssuedChatToken>>>,
    request_ids: Arc<AtomicU64>,
    /// Distinguishes request ids of emulators started at different times.
    id_prefix: u32,
}

impl Service {
    fn expected(&self) -> sigv4::Expected<'_> {
        sigv4::Expected {
            access_key_id: &self.config.access_key_id,
            secret_access_key: &self.config.secret_access_key,
            session_token: self.config.session_token.as_deref(),
            region: &self.config.region,
            service: SIGNING_NAME,
            max_skew: self.config.max_clock_skew,
        }
    }

    /// A UUID-shaped `x-amzn-RequestId`, unique within this emulator.
    fn next_request_id(&self) -> String {
        let n = self.request_ids.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{:08x}-0000-4000-8000-{n:012x}", self.id_prefix)
    }

    fn record(&self, disconnection: Disconnection) {
        self.disconnections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(disconnection);
    }

    fn record_token(&self, issued: IssuedChatToken) {
        self.chat_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(issued);
    }

    fn chat_tokens(&self) -> Vec<IssuedChatToken> {
        self.chat_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// What every operation does before acting on a request: a request id, then [`accept_signed`]
    /// with IVS Chat's credentials, throttling answer and `ValidationException` body.
    #[allow(clippy::too_many_arguments)]
    async fn accept<T>(
        &self,
        api: Api,
        controls: &Controls,
        limit: Option<NonZeroU32>,
        uri: &Uri,
        headers: &HeaderMap,
        body: &Bytes,
        validate: fn(&[u8]) -> Result<T, serde_json::Value>,
    ) -> Result<(String, T), Response> {
        let request_id = self.next_request_id();
        let valid = accept_signed(
            Some(api),
            controls,
            &self.expected(),
            Signed {
                request_id: &request_id,
                uri,
                headers,
                body,
            },
            || wire::throttled(&request_id, body, limit.map_or(0, NonZeroU32::get)),
            validate,
        )
        .await?;
        Ok((request_id, valid))
    }
}

/// One request as it arrived, with the request id it is answered under.
#[derive(Clone, Copy)]
struct Signed<'a> {
    request_id: &'a str,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    body: &'a Bytes,
}

/// What every IVS operation (chat and stages) does before acting on a request: admission of a call
/// of `api` (for the fault rules; `None` for the stage operations, which have none yet) through
/// `controls` (faults, latency, the quota; `throttled` makes the answer over it), SigV4 against
/// `expected` (the signing name included: a request signed for another IVS service is refused), then
/// the model's field rules by `validate` (a broken body is a violation in `controls`, answered
/// `ValidationException` with `validate`'s body). `Ok` is the valid request; `Err` the answer to send.
async fn accept_signed<T>(
    api: Option<Api>,
    controls: &Controls,
    expected: &sigv4::Expected<'_>,
    request: Signed<'_>,
    throttled: impl FnOnce() -> Response,
    validate: impl FnOnce(&[u8]) -> Result<T, serde_json::Value>,
) -> Result<T, Response> {
    match controls.admit(api, "POST", request.uri.path()).await {
        Admission::Proceed => {}
        Admission::Throttled { .. } => return Err(throttled()),
        Admission::Fault(fault) => return Err(fault_response(fault)),
    }
    let signed = sigv4::SignedRequest {
        method: "POST",
        path: request.uri.path(),
        query: request.uri.query(),
        headers: request.headers,
        body: request.body,
    };
    if let Err(rejection) = sigv4::verify(&signed, expected, SystemTime::now()) {
        controls.record_violation(rejection.error_type.name());
        return Err(wire::error(
            rejection.error_type,
            request.request_id,
            serde_json::json!({ "message": rejection.message }),
        ));
    }
    validate(request.body).map_err(|answer| {
        controls.record_violation(ErrorType::Validation.name());
        wire::error(ErrorType::Validation, request.request_id, answer)
    })
}

/// The rooms as the admin API sees them. Resetting also forgets CreateChatToken's log, counters,
/// faults and issued tokens, which live beside the admin API's own controls (`POST /_emulator/reset`
/// clears everything it documents, for both operations).
#[derive(Clone)]
struct AdminRooms(Service);

impl RoomDirectory for AdminRooms {
    fn seed(&self, room: &str, users: &[String]) {
        self.0.rooms.seed(room, users);
    }

    fn members(&self, room: &str) -> Option<Vec<String>> {
        self.0.rooms.members(room)
    }

    fn clear(&self) {
        self.0.rooms.clear();
        self.0.token_controls.reset();
        self.0
            .chat_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// `GET /_emulator/ivschat/chat-tokens`: the tokens issued, oldest first.
async fn get_chat_tokens(State(service): State<Service>) -> impl IntoResponse {
    Json(service.chat_tokens())
}

/// `GET /_emulator/ivschat/chat-tokens/counters`: CreateChatToken's counters.
async fn get_chat_token_counters(State(service): State<Service>) -> impl IntoResponse {
    Json(service.token_controls.counters())
}

/// `GET /_emulator/ivschat/chat-tokens/requests`: CreateChatToken's request log.
async fn get_chat_token_requests(State(service): State<Service>) -> impl IntoResponse {
    Json(service.token_controls.requests())
}

/// A running IVS Chat emulator. Dropping it stops it.
#[derive(Debug)]
pub struct IvsChatEmulator {
    server: Server,
    service: Service,
}

impl IvsChatEmulator {
    /// Starts the emulator on `addr` (port 0 picks a free port).
    pub async fn start(config: IvsChatConfig, addr: SocketAddr) -> io::Result<Self> {
        let controls = Controls::new(config.requests_per_second);
        let token_controls = Controls::new(config.create_chat_token_per_second);
        let rooms = MemberRooms::default();
        let service = Service {
            config: Arc::new(config),
            controls: controls.clone(),
            token_controls,
            rooms,
            disconnections: Arc::default(),
            chat_tokens: Arc::default(),
            request_ids: Arc::default(),
            id_prefix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default(),
        };
        let router = Router::new()
            .route("/DisconnectUser", post(disconnect::disconnect_user))
            .route("/CreateChatToken", post(chat_token::create_chat_token))
            .route("/_emulator/ivschat/chat-tokens", get(get_chat_tokens))
            .route(
                "/_emulator/ivschat/chat-tokens/counters",
                get(get_chat_token_counters),
            )
            .route(
                "/_emulator/ivschat/chat-tokens/requests",
                get(get_chat_token_requests),
            )
            .with_state(service.clone())
            .merge(crate::admin::router(
                controls.clone(),
                Arc::new(AdminRooms(service.clone())),
                vec![
                    (Api::IvsKick, controls),
                    (Api::IvsToken, service.token_controls.clone()),
                ],
            ));
        let server = Server::start(addr, router).await?;
        Ok(IvsChatEmulator { server, service })
    }

    /// `http://<addr>`: the endpoint override for the SDK (`AWS_ENDPOINT_URL_IVSCHAT`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// DisconnectUser's latency, faults, request log, counters and rate limit (also served by the
    /// admin routes under `/_emulator/`).
    pub fn controls(&self) -> &Controls {
        &self.service.controls
    }

    /// CreateChatToken's latency, faults, request log, counters and rate limit (200 per second):
    /// `token_controls().counters().requests == 0` says no token was asked for.
    pub fn token_controls(&self) -> &Controls {
        &self.service.token_controls
    }

    /// Every CreateChatToken call answered with a token, in order (never the token itself).
    pub fn chat_tokens(&self) -> Vec<IssuedChatToken> {
        self.service.chat_tokens()
    }

    /// The ARN of room `id` in the emulator's region and account.
    pub fn room_arn(&self, id: &str) -> String {
        format!(
            "arn:aws:ivschat:{}:{}:room/{id}",
            self.service.config.region, self.service.config.account_id
        )
    }

    /// Creates `room` (an ARN) if needed and connects `users` to it.
    pub fn seed_room(&self, room: &str, users: impl IntoIterator<Item = impl Into<String>>) {
        let users: Vec<String> = users.into_iter().map(Into::into).collect();
        self.service.rooms.seed(room, &users);
    }

    /// The users connected to `room`, sorted, or `None` if there is no such room.
    pub fn members(&self, room: &str) -> Option<Vec<String>> {
        self.service.rooms.members(room)
    }

    /// Every DisconnectUser call accepted so far, in order.
    pub fn disconnections(&self) -> Vec<Disconnection> {
        self.service
            .disconnections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The access key id it accepts.
    pub fn access_key_id(&self) -> &str {
        &self.service.config.access_key_id
    }

    /// The secret access key it checks signatures with.
    pub fn secret_access_key(&self) -> &str {
        &self.service.config.secret_access_key
    }

    /// The session token it requires, if any.
    pub fn session_token(&self) -> Option<&str> {
        self.service.config.session_token.as_deref()
    }

    /// The region requests must be signed for.
    pub fn region(&self) -> &str {
        &self.service.config.region
    }

    /// The account in its room ARNs.
    pub fn account_id(&self) -> &str {
        &self.service.config.account_id
    }

    /// The settings it runs with.
    pub fn config(&self) -> &IvsChatConfig {
        &self.service.config
    }

    /// The variables that point the IVS Chat adapter here (`AWS_REGION`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` when one is required,
    /// `AWS_ENDPOINT_URL_IVSCHAT`), for its builder's `with_vars`.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("AWS_REGION", self.region().to_owned()),
            ("AWS_ACCESS_KEY_ID", self.access_key_id().to_owned()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key().to_owned()),
        ];
        if let Some(token) = self.session_token() {
            vars.push(("AWS_SESSION_TOKEN", token.to_owned()));
        }
        vars.push(("AWS_ENDPOINT_URL_IVSCHAT", self.base_url()));
        vars
    }
}

#[cfg(test)]
mod tests;
