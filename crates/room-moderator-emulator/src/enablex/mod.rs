//! The EnableX emulator: the Video v2 REST API (token creation with HTTP Basic auth) and a Socket.IO 2
//! signalling server on the same listener, so that a headless moderator can join a room, read its
//! roster and `drop` participants, as it would against EnableX.
//!
//! Tokens are base64 JSON pointing back at this listener (`host` = the address the client used,
//! `secure: false`), single use, valid 15 minutes. Rooms hold connections: virtual participants seeded
//! with [`EnablexEmulator::seed_room`] or `PUT /_emulator/rooms/{room}` (every listed `user_ref` is one
//! connection with its own clientId; list a user twice for two devices), and real sockets that joined
//! with a token. Dropped real sockets receive `room-disconnected` with cause
//! `disconnected-by-moderator`.
//!
//! For tests of clients: every token created is recorded with what was asked for
//! ([`EnablexEmulator::tokens`], `GET /_emulator/enablex/tokens`); every signalling event received is
//! recorded as received ([`EnablexEmulator::frames`]); the roster can be withheld from joiners
//! ([`EnablexEmulator::withhold_roster`], or `PUT /_emulator/enablex/roster-withholding` with
//! `{"mode": "missing" | "null" | "not-a-list" | "late", "millis": ..}`, `DELETE` to stop);
//! clientIds can be JSON numbers ([`EnablexConfig::numeric_client_ids`]); REST calls and
//! signalling events share a rate limit ([`EnablexConfig::requests_per_second`]).
//!
//! ```no_run
//! use room_moderator_emulator::enablex::{EnablexConfig, EnablexEmulator};
//! # async fn demo() -> std::io::Result<()> {
//! let enablex = EnablexEmulator::start(EnablexConfig::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! enablex.seed_room("lobby", ["alice", "alice", "troll"]);
//! println!(
//!     "ENABLEX_API_URL={} ENABLEX_APP_ID={} ENABLEX_APP_KEY={}",
//!     enablex.api_url(),
//!     enablex.app_id(),
//!     enablex.app_key()
//! );
//! # Ok(()) }
//! ```

mod recording;
mod rest;
mod signalling;
mod state;
#[cfg(test)]
mod tests;
mod withhold;

use std::io;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::routing::{get, post, put};
use socketioxide::SocketIo;
use socketioxide::extract::SocketRef;

pub use recording::{MAX_RECORDED_FRAMES, ReceivedFrame};
pub use state::{Connection, CreatedToken, DropRecord, SignallingFault};
pub use withhold::RosterWithholding;

use crate::{Api, Controls, RoomDirectory, Server};
use state::State;

/// The APP ID the emulator accepts by default (a fixed test credential).
pub const DEFAULT_APP_ID: &str = "emulator-app-id";
/// The APP KEY the emulator accepts by default (a fixed test credential).
pub const DEFAULT_APP_KEY: &str = "emulator-app-key";
/// The signalling host named in tokens in gateway mode; only reachable through the gateway.
pub const GATEWAY_HOST: &str = "signalling.enablex-emulator.invalid";
/// Where the REST API lives on the listener.
pub const API_PATH: &str = "/video/v2/";
/// The default of [`EnablexConfig::requests_per_second`]. EnableX documents no number (only that
/// 429 `RATE_LIMITED` exists); this one is an assumption, low enough that clients meet it in tests
/// and high enough for a moderator paced at its default 2 calls a second (3 requests each).
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 20;

/// EnableX emulator settings.
#[derive(Clone, Debug)]
pub struct EnablexConfig {
    /// The APP ID accepted ([`DEFAULT_APP_ID`]).
    pub app_id: String,
    /// The APP KEY accepted ([`DEFAULT_APP_KEY`]).
    pub app_key: String,
    /// Issue tokens that name a `gateway` (this listener) and an unreachable signalling `host`, as
    /// EnableX does behind its gateway: sockets must then name the host in `X-Forwarded-Host` (header or
    /// query parameter) or are disconnected.
    pub gateway: bool,
    /// Requests per second over REST calls and signalling events together
    /// ([`DEFAULT_REQUESTS_PER_SECOND`]); over it, REST answers 429 `RATE_LIMITED` with
    /// `Retry-After` and signalling acks `{result: 429}`. `None`: no limit.
    pub requests_per_second: Option<NonZeroU32>,
    /// Send clientIds as JSON numbers instead of strings (and match `drop` ids only as numbers).
    pub numeric_client_ids: bool,
}

impl Default for EnablexConfig {
    fn default() -> Self {
        EnablexConfig {
            app_id: DEFAULT_APP_ID.to_owned(),
            app_key: DEFAULT_APP_KEY.to_owned(),
            gateway: false,
            requests_per_second: NonZeroU32::new(DEFAULT_REQUESTS_PER_SECOND),
            numeric_client_ids: false,
        }
    }
}

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct Service {
    config: Arc<EnablexConfig>,
    controls: Controls,
    state: State,
    /// The bound address, known once the listener is up; tokens fall back to it without a `Host`.
    addr: Arc<OnceLock<SocketAddr>>,
}

/// A running EnableX emulator. Dropping it stops it.
pub struct EnablexEmulator {
    server: Server,
    config: EnablexConfig,
    controls: Controls,
    state: State,
}

impl std::fmt::Debug for EnablexEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnablexEmulator")
            .field("server", &self.server)
            .field("app_id", &self.config.app_id)
            .field("controls", &self.controls)
            .finish_non_exhaustive()
    }
}

impl EnablexEmulator {
    /// Starts the REST API and the signalling server on `addr` (port 0 picks a free port).
    pub async fn start(config: EnablexConfig, addr: SocketAddr) -> io::Result<Self> {
        // socketioxide's `v4` feature serves Engine.IO v3 clients (`EIO=3`), as Socket.IO 2 does.
        let (layer, io) = SocketIo::builder().build_layer();
        let controls = Controls::new(config.requests_per_second);
        let state = State::new(io.clone(), config.numeric_client_ids);
        let service = Service {
            config: Arc::new(config.clone()),
            controls: controls.clone(),
            state: state.clone(),
            addr: Arc::new(OnceLock::new()),
        };
        let bound = Arc::clone(&service.addr);
        let on_connect = service.clone();
        io.ns("/", move |socket: SocketRef| {
            signalling::on_connect(on_connect.clone(), socket);
            async {}
        });
        let rooms: Arc<dyn RoomDirectory> = Arc::new(state.clone());
        let router = Router::new()
            .route("/video/v2/rooms/{room_id}/tokens", post(rest::create_token))
            .route("/video/v2/rooms/{room_id}/users", get(rest::list_users))
            .route("/_emulator/enablex/tokens", get(rest::list_created_tokens))
            .route(
                "/_emulator/enablex/roster-withholding",
                put(rest::withhold_roster).delete(rest::stop_withholding_roster),
            )
            .with_state(service)
            .merge(crate::admin::router(
                controls.clone(),
                rooms,
                [
                    Api::EnablexToken,
                    Api::EnablexUsers,
                    Api::EnablexJoin,
                    Api::EnablexDrop,
                ]
                .map(|api| (api, controls.clone()))
                .into(),
            ))
            .layer(layer);
        let server = Server::start(addr, router).await?;
        let _ = bound.set(server.addr());
        Ok(EnablexEmulator {
            server,
            config,
            controls,
            state,
        })
    }

    /// `http://<addr>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The REST base to configure the adapter with (`ENABLEX_API_URL`): `http://<addr>/video/v2/`.
    pub fn api_url(&self) -> String {
        format!("{}{API_PATH}", self.server.base_url())
    }

    /// The signalling URL real clients connect to.
    pub fn signalling_url(&self) -> String {
        format!(
            "ws://{}/socket.io/?EIO=3&transport=websocket",
            self.server.addr()
        )
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The APP ID accepted.
    pub fn app_id(&self) -> &str {
        &self.config.app_id
    }

    /// The APP KEY accepted.
    pub fn app_key(&self) -> &str {
        &self.config.app_key
    }

    /// The variables that point the EnableX adapter here (`ENABLEX_APP_ID`, `ENABLEX_APP_KEY`,
    /// `ENABLEX_API_URL`), for its builder's `with_vars`.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ENABLEX_APP_ID", self.app_id().to_owned()),
            ("ENABLEX_APP_KEY", self.app_key().to_owned()),
            ("ENABLEX_API_URL", self.api_url()),
        ]
    }

    /// Latency, faults, request log (REST calls and signalling events, the latter with method `SIO`)
    /// and counters.
    pub fn controls(&self) -> &Controls {
        &self.controls
    }

    /// Creates `room` if needed and adds one virtual participant connection per listed `user_ref`
    /// (list a user twice for two devices). Joined sockets get `user-connected`.
    pub fn seed_room<I, S>(&self, room: &str, users: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let users: Vec<String> = users.into_iter().map(Into::into).collect();
        self.state.seed(room, &users);
    }

    /// The distinct `user_ref`s connected to `room`, sorted, or `None` for an unknown room.
    pub fn members(&self, room: &str) -> Option<Vec<String>> {
        self.state.members(room)
    }

    /// Every connection in `room`, in join order.
    pub fn connections(&self, room: &str) -> Option<Vec<Connection>> {
        self.state.connections(room)
    }

    /// Every token the REST API created, in order: what was asked for (room, name, role, user_ref,
    /// data) and the role issued, never the token. Also `GET /_emulator/enablex/tokens`. Token
    /// requests that were refused (bad role, unknown room, throttled) are not here; they are in
    /// [`controls`](EnablexEmulator::controls)' log as `POST /video/v2/rooms/{room}/tokens`.
    ///
    /// A test that no token was created for a banned user:
    /// `emulator.tokens().iter().all(|t| t.user_ref != "troll")`.
    pub fn tokens(&self) -> Vec<CreatedToken> {
        self.state.created_tokens()
    }

    /// Every `drop` received from a joined moderator, in order.
    pub fn drops(&self) -> Vec<DropRecord> {
        self.state.drops()
    }

    /// Every signalling event received, as received, oldest first (the newest
    /// [`MAX_RECORDED_FRAMES`]): every `drop` a client sent, leaves and refused ones included.
    pub fn frames(&self) -> Vec<ReceivedFrame> {
        self.state.frames()
    }

    /// Withholds the roster from every joiner from now on (`None`: send it again).
    pub fn withhold_roster(&self, withholding: Option<RosterWithholding>) {
        self.state.set_withholding(withholding);
    }

    /// Queues a signalling fault for the next matching event.
    pub fn push_signalling_fault(&self, fault: SignallingFault) {
        self.state.push_fault(fault);
    }

    /// Issues every new token with `role` whatever was requested (`None`: as requested), e.g. to see a
    /// client refuse to drop with a participant token.
    pub fn force_token_role(&self, role: Option<&str>) {
        self.state.set_forced_role(role.map(str::to_owned));
    }
}
