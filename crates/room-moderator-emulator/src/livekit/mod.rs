//! The LiveKit emulator: RoomService over Twirp (`POST /twirp/livekit.RoomService/<Method>`) as
//! livekit-server and LiveKit Cloud speak it, so that the official server SDKs talk to it unchanged
//! (facts and sources: docs/providers/livekit.md).
//!
//! - `ListParticipants`, `GetParticipant` and `RemoveParticipant`, in JSON (what the Node SDK sends)
//!   and protobuf (what the Rust and Python SDKs send); the other RoomService methods answer
//!   `unimplemented`, an unknown method `bad_route`, a path outside `/twirp/livekit.RoomService/`
//!   Go's text/plain `404 page not found`.
//! - The auth middleware's checks and text/plain 401 bodies (HS256 only, `iss` = API key, `exp`
//!   required, 60 s of leeway), then the service's grant check: `video.roomAdmin` and `video.room`
//!   equal to the request's room, else 401 JSON `unauthenticated` `permissions denied`.
//! - Twirp JSON errors: `not_found` for an absent participant (msg
//!   `twirp error unknown: participant does not exist`), `malformed`, `bad_route`, and
//!   `resource_exhausted` (429) over the rate: LiveKit Cloud's 1,000 requests a minute per project,
//!   every method together, counted at arrival over a sliding minute
//!   ([`LiveKitConfig::requests_per_minute`]; `None` is self-hosted, which has no limit). What a
//!   throttled answer from Cloud looks like is UNVERIFIED: [`LiveKitConfig::throttle`] picks Twirp
//!   JSON or plain text.
//! - Cloud's revocation on removal ([`LiveKitConfig::revoke_on_removal`], on by default; off is
//!   self-hosted): a removal refuses that identity's tokens for that room whose `nbf` is before
//!   now + 60 s (or before `revoke_token_ts`). Joins go through `GET /rtc/validate?access_token=`
//!   (validation only, as the server's endpoint) and `POST /_emulator/livekit/join?access_token=`
//!   (validates, then adds the participant: the emulator's stand-in for the WebSocket join), which
//!   refuse a revoked token with 401.
//!
//! Faults, latency, the request log and counters are the shared [`Controls`] (admin routes under
//! `/_emulator/`); `PUT /_emulator/rooms/{room}` seeds standard participants and
//! `PUT /_emulator/livekit/rooms/{room}/participants/{identity}` `{"kind": "AGENT", "name": ".."}`
//! one of any kind.
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use room_moderator_emulator::livekit::{LiveKitConfig, LiveKitEmulator};
//! # async fn demo() -> std::io::Result<()> {
//! let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
//! let livekit = LiveKitEmulator::start(LiveKitConfig::default(), any).await?;
//! livekit.seed_room("lobby", ["alice", "troll"]);
//! println!("LIVEKIT_URL={} LIVEKIT_API_KEY={}", livekit.url(), livekit.api_key());
//! # Ok(()) }
//! ```

mod auth;
pub mod wire;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{Admission, Api, Controls, RoomDirectory, Server, fault_response};
use wire::{Encoding, Refusal, TwirpCode};

/// The API key the emulator accepts by default (a fixed test credential).
pub const DEFAULT_API_KEY: &str = "APIemulator";
/// The API secret tokens are checked with by default (a fixed test credential).
pub const DEFAULT_API_SECRET: &str = "emulator-livekit-secret-0123456789";
/// LiveKit Cloud's Server API rate per project, all methods together.
pub const CLOUD_REQUESTS_PER_MINUTE: u32 = 1_000;
/// The request body limit (`limit.max_api_request_body_size`, 10 MiB).
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// RoomService methods that exist but are not emulated (answered `unimplemented`).
const NOT_EMULATED: &[&str] = &[
    "CreateRoom",
    "ListRooms",
    "DeleteRoom",
    "UpdateParticipant",
    "MutePublishedTrack",
    "UpdateSubscriptions",
    "SendData",
    "UpdateRoomMetadata",
    "ForwardParticipant",
    "MoveParticipant",
    "PerformRpc",
];

/// How a request over the rate is answered. Cloud's throttled answer is UNVERIFIED (the only public
/// trace is a 429 whose body was not Twirp JSON); both readings are served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleAnswer {
    /// 429 with Twirp JSON `{"code": "resource_exhausted", ...}`.
    #[default]
    TwirpJson,
    /// 429 with a text/plain `Too Many Requests`, as an intermediary would send.
    PlainText,
}

/// LiveKit emulator settings. The defaults are LiveKit Cloud's rules and fixed test credentials.
#[derive(Clone)]
pub struct LiveKitConfig {
    /// The API key accepted ([`DEFAULT_API_KEY`]).
    pub api_key: String,
    /// The API secret tokens are checked with ([`DEFAULT_API_SECRET`]).
    pub api_secret: String,
    /// The rate over a sliding minute, every method together: Cloud's 1,000 by default; `None` is
    /// self-hosted livekit-server, which has no API rate limit.
    pub requests_per_minute: Option<NonZeroU32>,
    /// How a request over the rate is answered.
    pub throttle: ThrottleAnswer,
    /// Cloud: a removal revokes the identity's tokens for the room (self-hosted: `false`).
    pub revoke_on_removal: bool,
    /// Whether a token without `exp` is refused (servers since protocol #1706: yes).
    pub require_exp: bool,
}

impl Default for LiveKitConfig {
    fn default() -> Self {
        LiveKitConfig {
            api_key: DEFAULT_API_KEY.to_owned(),
            api_secret: DEFAULT_API_SECRET.to_owned(),
            requests_per_minute: NonZeroU32::new(CLOUD_REQUESTS_PER_MINUTE),
            throttle: ThrottleAnswer::TwirpJson,
            revoke_on_removal: true,
            require_exp: true,
        }
    }
}

impl LiveKitConfig {
    /// Self-hosted livekit-server: no rate limit, no revocation on removal.
    pub fn self_hosted() -> Self {
        LiveKitConfig {
            requests_per_minute: None,
            revoke_on_removal: false,
            ..LiveKitConfig::default()
        }
    }
}

impl fmt::Debug for LiveKitConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveKitConfig")
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("requests_per_minute", &self.requests_per_minute)
            .field("throttle", &self.throttle)
            .field("revoke_on_removal", &self.revoke_on_removal)
            .field("require_exp", &self.require_exp)
            .finish()
    }
}

/// What kind of participant (LiveKit's `ParticipantInfo.Kind`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ParticipantKind {
    /// A client (0).
    #[default]
    Standard,
    /// Ingress (1).
    Ingress,
    /// Egress, e.g. a recorder (2).
    Egress,
    /// A SIP caller (3).
    Sip,
    /// An agent (4).
    Agent,
    /// A connector (7).
    Connector,
    /// A bridge (8).
    Bridge,
}

impl ParticipantKind {
    fn number(self) -> i32 {
        match self {
            ParticipantKind::Standard => 0,
            ParticipantKind::Ingress => 1,
            ParticipantKind::Egress => 2,
            ParticipantKind::Sip => 3,
            ParticipantKind::Agent => 4,
            ParticipantKind::Connector => 7,
            ParticipantKind::Bridge => 8,
        }
    }
}

/// One participant in a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Participant {
    /// `PA_...`, unique in the emulator.
    pub sid: String,
    /// The identity.
    pub identity: String,
    /// Display name.
    pub name: String,
    /// Metadata.
    pub metadata: String,
    /// Kind.
    pub kind: ParticipantKind,
    /// Join time, Unix milliseconds.
    pub joined_at_ms: i64,
}

impl Participant {
    fn info(&self) -> wire::ParticipantInfo {
        wire::ParticipantInfo {
            sid: self.sid.clone(),
            identity: self.identity.clone(),
            state: 2,
            metadata: self.metadata.clone(),
            joined_at: self.joined_at_ms / 1000,
            name: self.name.clone(),
            version: 1,
            region: "emulator".to_owned(),
            is_publisher: false,
            kind: self.kind.number(),
            joined_at_ms: self.joined_at_ms,
        }
    }
}

/// One RemoveParticipant call the emulator accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Removal {
    /// The room.
    pub room: String,
    /// The identity.
    pub identity: String,
    /// Whether the identity was in the room (absent: 404 `not_found`).
    pub was_present: bool,
    /// The request's encoding was protobuf (else JSON).
    pub protobuf: bool,
}

/// Why a join was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinRefused(pub String);

#[derive(Default)]
struct Rooms {
    /// Participants per room, in join order (a room's identities are unique: a second join with
    /// the same identity replaces the first, `DUPLICATE_IDENTITY`).
    rooms: BTreeMap<String, Vec<Participant>>,
    /// (room, identity) → tokens with `nbf` before this Unix second are refused.
    revocations: BTreeMap<(String, String), i64>,
    removals: Vec<Removal>,
}

#[derive(Clone)]
struct Service {
    config: Arc<LiveKitConfig>,
    controls: Controls,
    rooms: Arc<Mutex<Rooms>>,
    sids: Arc<AtomicU64>,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Service {
    fn rooms(&self) -> MutexGuard<'_, Rooms> {
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn join(&self, room: &str, identity: &str, name: &str, metadata: &str, kind: ParticipantKind) {
        let n = self.sids.fetch_add(1, Ordering::Relaxed) + 1;
        let participant = Participant {
            sid: format!("PA_emu{n:08}"),
            identity: identity.to_owned(),
            name: name.to_owned(),
            metadata: metadata.to_owned(),
            kind,
            joined_at_ms: unix_now(),
        };
        let mut rooms = self.rooms();
        let members = rooms.rooms.entry(room.to_owned()).or_default();
        members.retain(|p| p.identity != identity);
        members.push(participant);
    }

    fn members(&self, room: &str) -> Option<Vec<Participant>> {
        self.rooms().rooms.get(room).cloned()
    }

    /// Verifies a join token (and its revocation) and returns its claims.
    fn check_join(&self, headers: &HeaderMap, query: Option<&str>) -> Result<auth::Claims, String> {
        let token = match auth::presented(headers, query) {
            Ok(auth::Presented::Token(token)) => token,
            Ok(auth::Presented::None) => return Err("no access token".to_owned()),
            Err(text) => return Err(text.to_owned()),
        };
        let claims = auth::verify(
            token,
            &self.config.api_key,
            &self.config.api_secret,
            self.config.require_exp,
            unix_now() / 1000,
        )?;
        let video = claims.video();
        if !video.room_join || video.room.is_empty() || claims.sub.is_empty() {
            return Err("permissions denied".to_owned());
        }
        let cutoff = self
            .rooms()
            .revocations
            .get(&(video.room.clone(), claims.sub.clone()))
            .copied();
        // The wording of Cloud's refusal is not public; the emulator says what happened.
        if let Some(cutoff) = cutoff
            && claims.nbf.unwrap_or(0.0) < cutoff as f64
        {
            return Err("token has been revoked".to_owned());
        }
        Ok(claims)
    }
}

/// The admin API's view: seeding adds standard participants.
struct AdminRooms(Service);

impl RoomDirectory for AdminRooms {
    fn seed(&self, room: &str, users: &[String]) {
        self.0.rooms().rooms.entry(room.to_owned()).or_default();
        for user in users {
            self.0.join(room, user, "", "", ParticipantKind::Standard);
        }
    }

    fn members(&self, room: &str) -> Option<Vec<String>> {
        self.0.members(room).map(|members| {
            let mut identities: Vec<String> = members.into_iter().map(|p| p.identity).collect();
            identities.sort();
            identities
        })
    }

    fn clear(&self) {
        let mut rooms = self.0.rooms();
        rooms.rooms.clear();
        rooms.revocations.clear();
        rooms.removals.clear();
    }
}

const ROOM_SERVICE: &str = "/twirp/livekit.RoomService/";

/// Every request under `/twirp/`: admission, body limit, auth, route, decode, grants, operation.
async fn twirp(
    State(service): State<Service>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    // Fault rules name the RoomService method (`livekit-remove`, ...); other paths match only rules
    // for the whole listener.
    let api = match path.strip_prefix(ROOM_SERVICE) {
        Some("RemoveParticipant") => Some(Api::LivekitRemove),
        Some("ListParticipants") => Some(Api::LivekitList),
        Some("GetParticipant") => Some(Api::LivekitGet),
        _ => None,
    };
    match service.controls.admit(api, method.as_str(), &path).await {
        Admission::Proceed => {}
        Admission::Throttled { retry_after } => {
            let mut response = match service.config.throttle {
                ThrottleAnswer::TwirpJson => {
                    Refusal::new(TwirpCode::ResourceExhausted, "rate limit exceeded")
                        .into_response()
                }
                ThrottleAnswer::PlainText => {
                    wire::plain(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
                }
            };
            if let Some(seconds) = retry_after
                && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
            {
                response.headers_mut().insert("retry-after", value);
            }
            return response;
        }
        Admission::Fault(fault) => return fault_response(fault),
    }
    if body.len() > MAX_BODY {
        service.controls.record_violation("body too large");
        return wire::plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    }
    let claims = match auth::presented(&headers, uri.query()) {
        Err(text) => {
            service.controls.record_violation("authorization header");
            return wire::plain(StatusCode::UNAUTHORIZED, text);
        }
        Ok(auth::Presented::None) => None,
        Ok(auth::Presented::Token(token)) => match auth::verify(
            token,
            &service.config.api_key,
            &service.config.api_secret,
            service.config.require_exp,
            unix_now() / 1000,
        ) {
            Ok(claims) => Some(claims),
            Err(text) => {
                service.controls.record_violation("token");
                return wire::plain(StatusCode::UNAUTHORIZED, text);
            }
        },
    };
    let Some(name) = path.strip_prefix(ROOM_SERVICE) else {
        service.controls.record_violation("not a RoomService path");
        return wire::plain(StatusCode::NOT_FOUND, "404 page not found\n");
    };
    if method != Method::POST {
        service.controls.record_violation("method");
        return Refusal::bad_route(
            format!(
                "unsupported method {:?} (only POST is allowed)",
                method.as_str()
            ),
            method.as_str(),
            &path,
        )
        .into_response();
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(encoding) = Encoding::from_content_type(content_type) else {
        service.controls.record_violation("content type");
        return Refusal::bad_route(
            format!("unexpected Content-Type: {content_type:?}"),
            "POST",
            &path,
        )
        .into_response();
    };
    let claims = claims.as_ref();
    let answer = match name {
        "ListParticipants" => authorized(encoding, &body, claims)
            .and_then(|request| list_participants(&service, encoding, request)),
        "GetParticipant" => authorized(encoding, &body, claims)
            .and_then(|request| get_participant(&service, encoding, request)),
        "RemoveParticipant" => authorized(encoding, &body, claims)
            .and_then(|request| remove_participant(&service, encoding, request)),
        name if NOT_EMULATED.contains(&name) => Err(Refusal::new(
            TwirpCode::Unimplemented,
            format!("{name} is not emulated"),
        )),
        _ => Err(Refusal::bad_route(
            format!("no handler for path {path:?}"),
            "POST",
            &path,
        )),
    };
    answer.unwrap_or_else(|refusal| {
        // Refusals break the rules; an absent participant does not.
        if refusal.code != TwirpCode::NotFound {
            service.controls.record_violation(refusal.code.name());
        }
        refusal.into_response()
    })
}

/// The service's grant check: `roomAdmin` and the token's room equal to the request's.
fn room_admin(claims: Option<&auth::Claims>, room: &str) -> Result<(), Refusal> {
    let video = claims.map(auth::Claims::video).unwrap_or_default();
    if video.room_admin && video.room == room {
        Ok(())
    } else {
        Err(Refusal::new(
            TwirpCode::Unauthenticated,
            "permissions denied",
        ))
    }
}

const NOT_FOUND_MSG: &str = "twirp error unknown: participant does not exist";

/// Decodes a request and checks the admin grant for its room.
fn authorized<T: wire::Request>(
    encoding: Encoding,
    body: &[u8],
    claims: Option<&auth::Claims>,
) -> Result<T, Refusal> {
    let request: T = wire::decode(encoding, body)?;
    room_admin(claims, request.room())?;
    Ok(request)
}

fn list_participants(
    service: &Service,
    encoding: Encoding,
    request: wire::ListParticipantsRequest,
) -> Result<Response, Refusal> {
    // An unknown room lists nobody (self-hosted; Cloud UNVERIFIED).
    let participants: Vec<wire::ParticipantInfo> = service
        .members(&request.room)
        .unwrap_or_default()
        .iter()
        .map(Participant::info)
        .collect();
    let json = json!({
        "participants": participants.iter().map(wire::ParticipantInfo::to_json).collect::<Vec<_>>()
    });
    Ok(wire::answer(
        encoding,
        &wire::ListParticipantsResponse { participants },
        json,
    ))
}

fn get_participant(
    service: &Service,
    encoding: Encoding,
    request: wire::RoomParticipantIdentity,
) -> Result<Response, Refusal> {
    let info = service
        .members(&request.room)
        .unwrap_or_default()
        .into_iter()
        .find(|p| p.identity == request.identity)
        .map(|p| p.info())
        .ok_or_else(|| Refusal::new(TwirpCode::NotFound, NOT_FOUND_MSG))?;
    let json = info.to_json();
    Ok(wire::answer(encoding, &info, json))
}

fn remove_participant(
    service: &Service,
    encoding: Encoding,
    request: wire::RoomParticipantIdentity,
) -> Result<Response, Refusal> {
    let mut rooms = service.rooms();
    let was_present = rooms.rooms.get_mut(&request.room).is_some_and(|members| {
        let before = members.len();
        members.retain(|p| p.identity != request.identity);
        members.len() < before
    });
    if service.config.revoke_on_removal {
        // Cloud revokes with a cutoff of now + 60 s unless `revoke_token_ts` says otherwise. Its
        // unit is UNVERIFIED (seconds per the protocol's wording, milliseconds per the Rust SDK):
        // values beyond the year 5138 in seconds are read as milliseconds. Whether a removal of an
        // absent identity revokes is UNVERIFIED too: the emulator revokes either way (the
        // stricter reading for a client that wants to let someone back).
        let cutoff = match request.revoke_token_ts {
            0 => unix_now() / 1000 + auth::LEEWAY_SECS,
            ts if ts > 100_000_000_000 => ts / 1000,
            ts => ts,
        };
        rooms
            .revocations
            .insert((request.room.clone(), request.identity.clone()), cutoff);
    }
    rooms.removals.push(Removal {
        room: request.room,
        identity: request.identity,
        was_present,
        protobuf: encoding == Encoding::Protobuf,
    });
    drop(rooms);
    if !was_present {
        return Err(Refusal::new(TwirpCode::NotFound, NOT_FOUND_MSG));
    }
    Ok(wire::answer(
        encoding,
        &wire::RemoveParticipantResponse {},
        json!({}),
    ))
}

/// `GET /rtc/validate?access_token=`: 200 `success` or 401 with why.
async fn validate(State(service): State<Service>, uri: Uri, headers: HeaderMap) -> Response {
    match service.check_join(&headers, uri.query()) {
        Ok(_) => (StatusCode::OK, "success").into_response(),
        Err(why) => wire::plain(StatusCode::UNAUTHORIZED, why),
    }
}

/// `POST /_emulator/livekit/join?access_token=`: validates and joins the token's room.
async fn join(State(service): State<Service>, uri: Uri, headers: HeaderMap) -> Response {
    match service.check_join(&headers, uri.query()) {
        Ok(claims) => {
            let room = claims.video().room;
            service.join(
                &room,
                &claims.sub,
                &claims.name,
                &claims.metadata,
                ParticipantKind::Standard,
            );
            Json(json!({ "room": room, "identity": claims.sub })).into_response()
        }
        Err(why) => wire::plain(StatusCode::UNAUTHORIZED, why),
    }
}

#[derive(Deserialize)]
struct SeedParticipant {
    #[serde(default)]
    kind: ParticipantKind,
    #[serde(default)]
    name: String,
}

async fn put_participant(
    State(service): State<Service>,
    Path((room, identity)): Path<(String, String)>,
    Json(seed): Json<SeedParticipant>,
) -> impl IntoResponse {
    service.join(&room, &identity, &seed.name, "", seed.kind);
    StatusCode::NO_CONTENT
}

async fn get_removals(State(service): State<Service>) -> impl IntoResponse {
    Json(service.rooms().removals.clone())
}

/// A running LiveKit emulator. Dropping it stops it.
#[derive(Debug)]
pub struct LiveKitEmulator {
    server: Server,
    service: Service,
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LiveKitEmulator {
    /// Starts the emulator on `addr` (port 0 picks a free port).
    pub async fn start(config: LiveKitConfig, addr: SocketAddr) -> io::Result<Self> {
        let controls = Controls::with_window(config.requests_per_minute, Duration::from_secs(60));
        let service = Service {
            config: Arc::new(config),
            controls: controls.clone(),
            rooms: Arc::default(),
            sids: Arc::default(),
        };
        let router = Router::new()
            .route("/", get(|| async { "OK" }))
            .route("/twirp/{*rest}", any(twirp))
            .route("/rtc/validate", get(validate))
            .route("/_emulator/livekit/join", post(join))
            .route(
                "/_emulator/livekit/rooms/{room}/participants/{identity}",
                put(put_participant),
            )
            .route("/_emulator/livekit/removals", get(get_removals))
            .with_state(service.clone())
            .merge(crate::admin::router(
                controls,
                Arc::new(AdminRooms(service.clone())),
                [Api::LivekitRemove, Api::LivekitList, Api::LivekitGet]
                    .into_iter()
                    .map(|api| (api, service.controls.clone()))
                    .collect(),
            ))
            // The real server reads at most 10 MiB; axum's default limit is 2 MiB.
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY + 1))
            .fallback(|| async { wire::plain(StatusCode::NOT_FOUND, "404 page not found\n") });
        let server = Server::start(addr, router).await?;
        Ok(LiveKitEmulator { server, service })
    }

    /// `http://<addr>`: what `LIVEKIT_URL` is set to (`ws://<addr>` works too).
    pub fn url(&self) -> String {
        self.server.base_url()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Latency, faults, request log, counters and the rate limit (every method together).
    pub fn controls(&self) -> &Controls {
        &self.service.controls
    }

    /// The variables that point the LiveKit adapter here: the URL (as `ws://`, the form LiveKit's
    /// own tools take), the key and secret, and the pace of the emulated rate (Cloud's 1,000 a
    /// minute by default; the adapter would otherwise pace a loopback host as self-hosted).
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("LIVEKIT_URL", self.url().replace("http://", "ws://")),
            ("LIVEKIT_API_KEY", self.api_key().to_owned()),
            ("LIVEKIT_API_SECRET", self.api_secret().to_owned()),
        ];
        if let Some(rate) = self.service.config.requests_per_minute {
            vars.push(("LIVEKIT_REQUESTS_PER_MINUTE", rate.to_string()));
        }
        vars
    }

    /// The API key it accepts.
    pub fn api_key(&self) -> &str {
        &self.service.config.api_key
    }

    /// The API secret it checks tokens with.
    pub fn api_secret(&self) -> &str {
        &self.service.config.api_secret
    }

    /// The settings it runs with.
    pub fn config(&self) -> &LiveKitConfig {
        &self.service.config
    }

    /// Creates `room` if needed and joins `identities` to it as standard participants.
    pub fn seed_room(&self, room: &str, identities: impl IntoIterator<Item = impl Into<String>>) {
        let identities: Vec<String> = identities.into_iter().map(Into::into).collect();
        AdminRooms(self.service.clone()).seed(room, &identities);
    }

    /// Joins one participant of `kind` to `room`.
    pub fn seed_participant(&self, room: &str, identity: &str, kind: ParticipantKind) {
        self.service.join(room, identity, "", "", kind);
    }

    /// The identities in `room`, sorted, or `None` if there is no such room.
    pub fn members(&self, room: &str) -> Option<Vec<String>> {
        AdminRooms(self.service.clone()).members(room)
    }

    /// The participants of `room` in join order.
    pub fn participants(&self, room: &str) -> Option<Vec<Participant>> {
        self.service.members(room)
    }

    /// Every RemoveParticipant call that reached the operation, in order.
    pub fn removals(&self) -> Vec<Removal> {
        self.service.rooms().removals.clone()
    }

    /// Joins with a token as a client would (validation, revocation), adding the participant.
    pub fn join_with_token(&self, token: &str) -> Result<(), JoinRefused> {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| JoinRefused("invalid authorization header".to_owned()))?;
        headers.insert("authorization", value);
        let claims = self
            .service
            .check_join(&headers, None)
            .map_err(JoinRefused)?;
        self.service.join(
            &claims.video().room,
            &claims.sub,
            &claims.name,
            &claims.metadata,
            ParticipantKind::Standard,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests;
