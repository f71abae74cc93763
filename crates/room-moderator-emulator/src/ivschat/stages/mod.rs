//! The Amazon IVS real-time stages emulator: `GetStage`, `ListParticipants`,
//! `DisconnectParticipant` and `CreateParticipantToken` as the real control plane speaks them
//! (restJson1, SigV4 under the signing name `ivs`, errors with `x-amzn-ErrorType`, `x-amzn-RequestId`
//! and `exceptionMessage`), so that the official `aws-sdk-ivsrealtime` talks to it unchanged through
//! an endpoint override (`AWS_ENDPOINT_URL_IVS_REALTIME`).
//!
//! It checks SigV4 with IVS Chat's checker but under the name `ivs` (a request signed for `ivschat`
//! is refused with 403 `InvalidSignatureException`, as AWS would), keeps stages with one active
//! session each and their participants (a user on two devices is two participants), pages
//! `ListParticipants` (`maxResults` up to 100, default 50), enforces each operation's quota on its
//! own [`Controls`] (5 per second, CreateParticipantToken 50: 429 `ThrottlingException`), and has a
//! join check that honours revocation: a disconnected participant's token cannot join again, other
//! tokens of the same user can ([`IvsStagesEmulator::join`], `POST /_emulator/ivs-stages/join`).
//!
//! Seeding: [`IvsStagesEmulator::seed_stage`] (or `PUT /_emulator/rooms/{stage}` with the ARN's `/`
//! as `%2F`) connects one participant per entry; a user listed twice is on two devices. The admin
//! `faults` and `settings` routes act on DisconnectParticipant; the other operations have their own
//! [`Controls`] ([`IvsStagesEmulator::operation_controls`]) and counters at
//! `GET /_emulator/ivs-stages/counters`.
//!
//! Same fixed test credentials, region and account as the IVS Chat emulator.

mod operations;
mod state;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use state::{IssuedParticipantToken, JoinRefusal, Participant};

use super::sigv4;
use super::{DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCOUNT_ID, DEFAULT_REGION, DEFAULT_SECRET_ACCESS_KEY};
use super::{Signed, accept_signed};
use crate::{Api, Controls, Counters, RoomDirectory, Server};
use state::Stages;

/// The SigV4 signing name of IVS real-time (its endpoint prefix is `ivsrealtime`).
pub const SIGNING_NAME: &str = "ivs";

/// Every stage operation's quota per account and region, not adjustable.
pub const STAGE_OPERATIONS_PER_SECOND: u32 = 5;

/// CreateParticipantToken's quota per account and region.
pub const CREATE_PARTICIPANT_TOKEN_PER_SECOND: u32 = 50;

/// A stage operation the emulator serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /GetStage`.
    GetStage,
    /// `POST /ListParticipants`.
    ListParticipants,
    /// `POST /DisconnectParticipant`.
    DisconnectParticipant,
    /// `POST /CreateParticipantToken`.
    CreateParticipantToken,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 4] = [
        Operation::GetStage,
        Operation::ListParticipants,
        Operation::DisconnectParticipant,
        Operation::CreateParticipantToken,
    ];

    /// The name fault rules give it (`ivs-stages-disconnect`, ...).
    pub fn api(self) -> Api {
        match self {
            Operation::GetStage => Api::StagesGet,
            Operation::ListParticipants => Api::StagesList,
            Operation::DisconnectParticipant => Api::StagesDisconnect,
            Operation::CreateParticipantToken => Api::StagesToken,
        }
    }

    /// The operation's name (its path without `/`).
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetStage => "GetStage",
            Operation::ListParticipants => "ListParticipants",
            Operation::DisconnectParticipant => "DisconnectParticipant",
            Operation::CreateParticipantToken => "CreateParticipantToken",
        }
    }
}

/// IVS real-time emulator settings: the documented limits and IVS Chat's fixed test credentials.
#[derive(Clone)]
pub struct IvsStagesConfig {
    /// The access key id accepted.
    pub access_key_id: String,
    /// The secret access key signatures are checked with.
    pub secret_access_key: String,
    /// The session token requests must carry; `None`: none.
    pub session_token: Option<String>,
    /// The region requests must be signed for.
    pub region: String,
    /// The account in ARNs made by [`IvsStagesEmulator::stage_arn`].
    pub account_id: String,
    /// Each of GetStage, ListParticipants and DisconnectParticipant: 5 per second.
    pub operations_per_second: Option<NonZeroU32>,
    /// CreateParticipantToken: 50 per second.
    pub create_participant_token_per_second: Option<NonZeroU32>,
    /// How far `x-amz-date` may be from the emulator's clock (5 minutes, as AWS).
    pub max_clock_skew: Duration,
}

impl Default for IvsStagesConfig {
    fn default() -> Self {
        IvsStagesConfig {
            access_key_id: DEFAULT_ACCESS_KEY_ID.to_owned(),
            secret_access_key: DEFAULT_SECRET_ACCESS_KEY.to_owned(),
            session_token: None,
            region: DEFAULT_REGION.to_owned(),
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            operations_per_second: NonZeroU32::new(STAGE_OPERATIONS_PER_SECOND),
            create_participant_token_per_second: NonZeroU32::new(
                CREATE_PARTICIPANT_TOKEN_PER_SECOND,
            ),
            max_clock_skew: Duration::from_secs(300),
        }
    }
}

impl fmt::Debug for IvsStagesConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IvsStagesConfig")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("region", &self.region)
            .field("account_id", &self.account_id)
            .field("operations_per_second", &self.operations_per_second)
            .field(
                "create_participant_token_per_second",
                &self.create_participant_token_per_second,
            )
            .finish_non_exhaustive()
    }
}

/// One DisconnectParticipant call the emulator accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParticipantDisconnection {
    /// The stage ARN.
    pub stage: String,
    /// The participant id.
    pub participant_id: String,
    /// The user id of that participant (empty if unknown).
    pub user_id: String,
    /// The reason, as sent.
    pub reason: Option<String>,
    /// Whether it was connected (a participant that had left answers success too).
    pub was_connected: bool,
}

/// State shared by the handlers and the handle.
#[derive(Clone, Debug)]
struct StagesService {
    config: Arc<IvsStagesConfig>,
    controls: Arc<BTreeMap<&'static str, Controls>>,
    stages: Arc<Mutex<Stages>>,
    disconnections: Arc<Mutex<Vec<ParticipantDisconnection>>>,
    request_ids: Arc<AtomicU64>,
    id_prefix: u32,
}

impl StagesService {
    fn controls(&self, operation: Operation) -> &Controls {
        // Every operation has its controls from the start (see `IvsStagesEmulator::start`).
        &self.controls[operation.name()]
    }

    fn stages(&self) -> MutexGuard<'_, Stages> {
        self.stages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, disconnection: ParticipantDisconnection) {
        self.disconnections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(disconnection);
    }

    /// Admission, SigV4 under `ivs`, then `validate` (whose `Err` is the `ValidationException`
    /// body): the request id and the valid request, or the answer to send.
    async fn accept<T>(
        &self,
        operation: Operation,
        uri: &Uri,
        headers: &HeaderMap,
        body: &Bytes,
        validate: impl FnOnce(&[u8]) -> Result<T, Value>,
    ) -> Result<(String, T), Response> {
        let n = self.request_ids.fetch_add(1, Ordering::Relaxed) + 1;
        let request_id = format!("{:08x}-0000-4000-9000-{n:012x}", self.id_prefix);
        let expected = sigv4::Expected {
            access_key_id: &self.config.access_key_id,
            secret_access_key: &self.config.secret_access_key,
            session_token: self.config.session_token.as_deref(),
            region: &self.config.region,
            service: SIGNING_NAME,
            max_skew: self.config.max_clock_skew,
        };
        let valid = accept_signed(
            Some(operation.api()),
            self.controls(operation),
            &expected,
            Signed {
                request_id: &request_id,
                uri,
                headers,
                body,
            },
            || operations::throttled(&request_id),
            validate,
        )
        .await?;
        Ok((request_id, valid))
    }
}

/// The stages as the admin API sees them: seeding connects one participant per entry.
#[derive(Clone)]
struct AdminStages(StagesService);

impl RoomDirectory for AdminStages {
    fn seed(&self, room: &str, users: &[String]) {
        let mut stages = self.0.stages();
        stages.create(room);
        for user in users {
            stages.connect(room, user);
        }
    }

    fn members(&self, room: &str) -> Option<Vec<String>> {
        connected_users(&self.0.stages(), room)
    }

    fn clear(&self) {
        self.0.stages().clear();
        for controls in self.0.controls.values() {
            controls.reset();
        }
        self.0
            .disconnections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// The users with a connected participant on `stage`, sorted, each once; `None` for no stage.
fn connected_users(stages: &Stages, stage: &str) -> Option<Vec<String>> {
    let mut users: Vec<String> = stages
        .current(stage)?
        .into_iter()
        .filter(|p| p.connected)
        .map(|p| p.user_id)
        .collect();
    users.sort();
    users.dedup();
    Some(users)
}

#[derive(Deserialize)]
struct JoinRequest {
    stage: String,
    token: String,
}

/// `POST /_emulator/ivs-stages/join` `{"stage", "token"}`: a client joining with a participant token
/// (200 `{"participantId"}`, or 403 `{"error": "PARTICIPANT_DISCONNECTED" | ...}`).
async fn post_join(
    State(service): State<StagesService>,
    Json(request): Json<JoinRequest>,
) -> Response {
    match service
        .stages()
        .join(&request.stage, &request.token, SystemTime::now())
    {
        Ok(participant) => Json(json!({ "participantId": participant })).into_response(),
        Err(refusal) => (StatusCode::FORBIDDEN, Json(json!({ "error": refusal }))).into_response(),
    }
}

/// `GET /_emulator/ivs-stages/counters`: every operation's counters by name.
async fn get_counters(State(service): State<StagesService>) -> impl IntoResponse {
    let counters: BTreeMap<&str, Counters> = service
        .controls
        .iter()
        .map(|(name, controls)| (*name, controls.counters()))
        .collect();
    Json(counters)
}

/// `GET /_emulator/ivs-stages/tokens`: the participant tokens issued (never the tokens).
async fn get_tokens(State(service): State<StagesService>) -> impl IntoResponse {
    Json(service.stages().issued())
}

/// A running IVS real-time stages emulator. Dropping it stops it.
#[derive(Debug)]
pub struct IvsStagesEmulator {
    server: Server,
    service: StagesService,
}

impl IvsStagesEmulator {
    /// Starts the emulator on `addr` (port 0 picks a free port).
    pub async fn start(config: IvsStagesConfig, addr: SocketAddr) -> io::Result<Self> {
        let controls: BTreeMap<&'static str, Controls> = Operation::ALL
            .into_iter()
            .map(|operation| {
                let rate = match operation {
                    Operation::CreateParticipantToken => config.create_participant_token_per_second,
                    _ => config.operations_per_second,
                };
                (operation.name(), Controls::new(rate))
            })
            .collect();
        let service = StagesService {
            config: Arc::new(config),
            controls: Arc::new(controls),
            stages: Arc::default(),
            disconnections: Arc::default(),
            request_ids: Arc::default(),
            id_prefix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default(),
        };
        let router = Router::new()
            .route("/GetStage", post(operations::get_stage))
            .route("/ListParticipants", post(operations::list_participants))
            .route(
                "/DisconnectParticipant",
                post(operations::disconnect_participant),
            )
            .route(
                "/CreateParticipantToken",
                post(operations::create_participant_token),
            )
            .route("/_emulator/ivs-stages/join", post(post_join))
            .route("/_emulator/ivs-stages/counters", get(get_counters))
            .route("/_emulator/ivs-stages/tokens", get(get_tokens))
            .with_state(service.clone())
            .merge(crate::admin::router(
                service.controls(Operation::DisconnectParticipant).clone(),
                Arc::new(AdminStages(service.clone())),
                Operation::ALL
                    .into_iter()
                    .map(|operation| (operation.api(), service.controls(operation).clone()))
                    .collect(),
            ));
        let server = Server::start(addr, router).await?;
        Ok(IvsStagesEmulator { server, service })
    }

    /// `http://<addr>`: the endpoint override for the SDK (`AWS_ENDPOINT_URL_IVS_REALTIME`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// DisconnectParticipant's latency, faults, log, counters and quota (also the admin routes').
    pub fn controls(&self) -> &Controls {
        self.service.controls(Operation::DisconnectParticipant)
    }

    /// One operation's latency, faults, log, counters and quota.
    pub fn operation_controls(&self, operation: Operation) -> &Controls {
        self.service.controls(operation)
    }

    /// The ARN of stage `id` in the emulator's region and account.
    pub fn stage_arn(&self, id: &str) -> String {
        format!(
            "arn:aws:ivs:{}:{}:stage/{id}",
            self.service.config.region, self.service.config.account_id
        )
    }

    /// Creates `stage` (an ARN) if needed and connects one participant per entry of `users` (a user
    /// listed twice is on two devices).
    pub fn seed_stage(&self, stage: &str, users: impl IntoIterator<Item = impl Into<String>>) {
        let users: Vec<String> = users.into_iter().map(Into::into).collect();
        AdminStages(self.service.clone()).seed(stage, &users);
    }

    /// Creates `stage` with no session (nobody connected).
    pub fn create_stage(&self, stage: &str) {
        self.service.stages().create(stage);
    }

    /// Connects one more participant of `user` to `stage`; returns its participant id.
    pub fn connect(&self, stage: &str, user: &str) -> String {
        self.service.stages().connect(stage, user)
    }

    /// A client joining `stage` with a participant `token`: its participant id, or why not.
    pub fn join(&self, stage: &str, token: &str) -> Result<String, JoinRefusal> {
        self.service.stages().join(stage, token, SystemTime::now())
    }

    /// The users connected to `stage` (each once, sorted), or `None` for no such stage.
    pub fn members(&self, stage: &str) -> Option<Vec<String>> {
        connected_users(&self.service.stages(), stage)
    }

    /// The active session's participants, connected or not, in joining order (`None`: no stage).
    pub fn participants(&self, stage: &str) -> Option<Vec<Participant>> {
        self.service.stages().current(stage)
    }

    /// Every DisconnectParticipant call accepted, in order.
    pub fn disconnections(&self) -> Vec<ParticipantDisconnection> {
        self.service
            .disconnections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every participant token issued, oldest first (never the token itself).
    pub fn participant_tokens(&self) -> Vec<IssuedParticipantToken> {
        self.service.stages().issued()
    }

    /// The access key id it accepts.
    pub fn access_key_id(&self) -> &str {
        &self.service.config.access_key_id
    }

    /// The secret access key it checks signatures with.
    pub fn secret_access_key(&self) -> &str {
        &self.service.config.secret_access_key
    }

    /// The region requests must be signed for.
    pub fn region(&self) -> &str {
        &self.service.config.region
    }

    /// The settings it runs with.
    pub fn config(&self) -> &IvsStagesConfig {
        &self.service.config
    }

    /// The variables that point the stages adapter here: region, credentials and
    /// `AWS_ENDPOINT_URL_IVS_REALTIME`.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("AWS_REGION", self.region().to_owned()),
            ("AWS_ACCESS_KEY_ID", self.access_key_id().to_owned()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key().to_owned()),
        ];
        if let Some(token) = &self.service.config.session_token {
            vars.push(("AWS_SESSION_TOKEN", token.clone()));
        }
        vars.push(("AWS_ENDPOINT_URL_IVS_REALTIME", self.base_url()));
        vars
    }
}

#[cfg(test)]
mod tests;
