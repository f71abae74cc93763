//! The Agora Chat REST emulator: chat room members, their removal and the room's block list.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::clock::Clock;
use super::token::{Refusal, check};
use super::windows::Windows;
use super::{AgoraConfig, reply};
use crate::{Admission, Api, Controls, Listener, RoomDirectory, Server, admin, fault_response};

#[derive(Clone, Debug, Default)]
struct Room {
    owner: Option<String>,
    members: BTreeSet<String>,
    blocked: BTreeSet<String>,
}

#[derive(Clone)]
struct Shared {
    config: Arc<AgoraConfig>,
    clock: Clock,
    controls: Controls,
    windows: Windows,
    rooms: Arc<Mutex<BTreeMap<String, Room>>>,
    notifier: Arc<super::ncs::ChatNotifier>,
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    reply(
        status,
        json!({
            "error": code,
            "exception": "EasemobException",
            "timestamp": 0,
            "duration": 0,
            "error_description": description,
        }),
    )
}

fn envelope(shared: &Shared, action: &str, uri: &Uri, data: Value) -> Response {
    reply(
        StatusCode::OK,
        json!({
            "action": action,
            "application": "8be024f0-0000-0000-0000-000000000000",
            "uri": uri.to_string(),
            "entities": [],
            "data": data,
            "timestamp": shared.clock.unix_now() * 1000,
            "duration": 0,
            "organization": shared.config.org,
            "applicationName": shared.config.app,
        }),
    )
}

impl Shared {
    fn rooms(&self) -> MutexGuard<'_, BTreeMap<String, Room>> {
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Controls, the App Key's window for `api`, the path's org and app, then the token.
    async fn accept(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        org: &str,
        app: &str,
        api: &'static str,
    ) -> Result<(), Response> {
        let key = format!("{org}#{app}");
        let windows = self.windows.clone();
        let rate = self.config.chat_calls_per_second;
        // Fault rules name the API by its Agora action (`remove_member`, ...).
        let named = Api::ALL
            .into_iter()
            .find(|named| named.listener() == Listener::AgoraChat && named.operation() == api);
        match self
            .controls
            .admit_with(named, method.as_str(), &uri.to_string(), false, |now| {
                windows.admit(&key, api, rate, now)
            })
            .await
        {
            Admission::Proceed => {}
            Admission::Throttled { .. } => {
                return Err(error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "reach_limit",
                    "This request has reached API limit.",
                ));
            }
            Admission::Fault(fault) => return Err(fault_response(fault)),
        }
        if org != self.config.org || app != self.config.app {
            self.controls.record_violation("unknown org or app");
            return Err(error(
                StatusCode::NOT_FOUND,
                "organization_application_not_found",
                &format!("Could not find application for {org} from URI: {app}/token."),
            ));
        }
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let checked = match token {
            None => Err(Refusal::Expired),
            Some(token) => check(
                token.trim(),
                &self.config.chat_app_id,
                &self.config.chat_certificate,
                self.clock.unix_now(),
            ),
        };
        match checked {
            Ok(()) => Ok(()),
            Err(Refusal::Expired) => {
                self.controls.record_violation("token missing or expired");
                Err(error(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Unable to authenticate due to expired access token.",
                ))
            }
            Err(Refusal::Bad) => {
                self.controls.record_violation("bad token");
                Err(error(
                    StatusCode::UNAUTHORIZED,
                    "auth_bad_access_token",
                    "Unable to authenticate.",
                ))
            }
        }
    }

    fn no_room(&self) -> Response {
        error(
            StatusCode::NOT_FOUND,
            "service_resource_not_found",
            "Service resource not found.",
        )
    }

    fn names(&self, raw: &str) -> Result<Vec<String>, Box<Response>> {
        let names: Vec<String> = raw
            .split(',')
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
        if names.len() > self.config.chat_batch_limit {
            self.controls.record_violation("batch too large");
            return Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                &format!(
                    "kickMember: kickMembers number more than maxSize : {}",
                    self.config.chat_batch_limit
                ),
            )));
        }
        if names.is_empty() {
            return Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                "illegal_argument",
                "This is an invalid request.",
            )));
        }
        Ok(names)
    }
}

fn not_members(names: &[String]) -> Response {
    error(
        StatusCode::FORBIDDEN,
        "forbidden_op",
        &format!("Users {} are not members of this group!", names.join(",")),
    )
}

async fn remove_members(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path((org, app, room, names)): Path<(String, String, String, String)>,
) -> Response {
    if let Err(answer) = shared
        .accept(&method, &uri, &headers, &org, &app, "remove_member")
        .await
    {
        return answer;
    }
    let names = match shared.names(&names) {
        Ok(names) => names,
        Err(answer) => return *answer,
    };
    let mut rooms = shared.rooms();
    let Some(chat_room) = rooms.get_mut(&room) else {
        drop(rooms);
        return shared.no_room();
    };
    if names.len() == 1 {
        let user = &names[0];
        if !chat_room.members.remove(user) {
            return not_members(&names);
        }
        drop(rooms);
        let data = json!({ "result": true, "action": "remove_member", "user": user, "id": room });
        return envelope(&shared, "delete", &uri, data);
    }
    let data: Vec<Value> = names
        .iter()
        .map(|user| {
            if chat_room.members.remove(user) {
                json!({ "result": true, "action": "remove_member", "user": user, "id": room })
            } else {
                json!({
                    "result": false,
                    "action": "remove_member",
                    "reason": format!("user: {user} doesn't exist in group: {room}"),
                    "user": user,
                    "id": room,
                })
            }
        })
        .collect();
    drop(rooms);
    envelope(&shared, "delete", &uri, Value::Array(data))
}

#[derive(Deserialize)]
struct Paging {
    pagenum: Option<usize>,
    pagesize: Option<usize>,
}

async fn list_members(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path((org, app, room)): Path<(String, String, String)>,
    Query(paging): Query<Paging>,
) -> Response {
    if let Err(answer) = shared
        .accept(&method, &uri, &headers, &org, &app, "list_members")
        .await
    {
        return answer;
    }
    let page = paging.pagenum.unwrap_or(1).max(1);
    let size = paging.pagesize.unwrap_or(1000).min(1000);
    let rooms = shared.rooms();
    let Some(chat_room) = rooms.get(&room) else {
        drop(rooms);
        return shared.no_room();
    };
    let everyone: Vec<Value> = chat_room
        .owner
        .iter()
        .map(|owner| json!({ "owner": owner }))
        .chain(
            chat_room
                .members
                .iter()
                .filter(|m| Some(*m) != chat_room.owner.as_ref())
                .map(|m| json!({ "member": m })),
        )
        .collect();
    let data: Vec<Value> = everyone
        .into_iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .collect();
    drop(rooms);
    let count = data.len();
    let mut answer = json!({
        "action": "get",
        "data": data,
        "count": count,
        "params": { "pagenum": [page.to_string()], "pagesize": [size.to_string()] },
        "timestamp": shared.clock.unix_now() * 1000,
        "duration": 0,
    });
    answer["uri"] = Value::String(uri.to_string());
    reply(StatusCode::OK, answer)
}

/// Blocks `names` in `room`: each must be a member (not the owner); a blocked user leaves the room.
fn block(chat_room: &mut Room, room: &str, user: &str) -> Value {
    if chat_room.owner.as_deref() == Some(user) {
        return json!({ "result": false, "action": "add_blocks", "reason": "forbidden operation on group owner", "user": user, "chatroomid": room });
    }
    if !chat_room.members.remove(user) {
        return json!({ "result": false, "action": "add_blocks", "reason": format!("user: {user} doesn't exist in chatroom: {room}"), "user": user, "chatroomid": room });
    }
    chat_room.blocked.insert(user.to_owned());
    json!({ "result": true, "action": "add_blocks", "user": user, "chatroomid": room })
}

async fn block_one(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path((org, app, room, user)): Path<(String, String, String, String)>,
) -> Response {
    if let Err(answer) = shared
        .accept(&method, &uri, &headers, &org, &app, "add_blocks")
        .await
    {
        return answer;
    }
    let mut rooms = shared.rooms();
    let Some(chat_room) = rooms.get_mut(&room) else {
        drop(rooms);
        return shared.no_room();
    };
    if chat_room.owner.as_deref() == Some(user.as_str()) {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden_op",
            "Forbidden operation on group owner!",
        );
    }
    if !chat_room.members.contains(&user) {
        return not_members(std::slice::from_ref(&user));
    }
    let data = block(chat_room, &room, &user);
    drop(rooms);
    envelope(&shared, "post", &uri, data)
}

#[derive(Deserialize)]
struct Usernames {
    usernames: Vec<String>,
}

async fn block_many(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path((org, app, room)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    if let Err(answer) = shared
        .accept(&method, &uri, &headers, &org, &app, "add_blocks")
        .await
    {
        return answer;
    }
    let Ok(body) = serde_json::from_slice::<Usernames>(&body) else {
        shared.controls.record_violation("bad block body");
        return error(
            StatusCode::BAD_REQUEST,
            "json_parse",
            "Unexpected character.",
        );
    };
    if body.usernames.is_empty() || body.usernames.len() > shared.config.chat_batch_limit {
        shared.controls.record_violation("bad block batch");
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            &format!(
                "userNames is more than max limit : {}",
                shared.config.chat_batch_limit
            ),
        );
    }
    let mut rooms = shared.rooms();
    let Some(chat_room) = rooms.get_mut(&room) else {
        drop(rooms);
        return shared.no_room();
    };
    let data: Vec<Value> = body
        .usernames
        .iter()
        .map(|user| block(chat_room, &room, user))
        .collect();
    drop(rooms);
    envelope(&shared, "post", &uri, Value::Array(data))
}

async fn unblock(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path((org, app, room, names)): Path<(String, String, String, String)>,
) -> Response {
    if let Err(answer) = shared
        .accept(&method, &uri, &headers, &org, &app, "remove_blocks")
        .await
    {
        return answer;
    }
    let names = match shared.names(&names) {
        Ok(names) => names,
        Err(answer) => return *answer,
    };
    let mut rooms = shared.rooms();
    let Some(chat_room) = rooms.get_mut(&room) else {
        drop(rooms);
        return shared.no_room();
    };
    let mut data: Vec<Value> = names
        .iter()
        .map(|user| {
            let was = chat_room.blocked.remove(user);
            json!({ "result": was, "action": "remove_blocks", "user": user, "chatroomid": room })
        })
        .collect();
    drop(rooms);
    let data = if data.len() == 1 {
        data.remove(0)
    } else {
        Value::Array(data)
    };
    envelope(&shared, "delete", &uri, data)
}

async fn list_blocks(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path((org, app, room)): Path<(String, String, String)>,
) -> Response {
    if let Err(answer) = shared
        .accept(&method, &uri, &headers, &org, &app, "list_blocks")
        .await
    {
        return answer;
    }
    let rooms = shared.rooms();
    let Some(chat_room) = rooms.get(&room) else {
        drop(rooms);
        return shared.no_room();
    };
    let data: Vec<&String> = chat_room.blocked.iter().collect();
    let answer = json!({ "action": "get", "data": data, "count": data.len() });
    drop(rooms);
    reply(StatusCode::OK, answer)
}

#[derive(Deserialize)]
struct JoinBody {
    room: String,
    user: String,
}

async fn post_join(State(shared): State<Shared>, Json(body): Json<JoinBody>) -> Response {
    match join(&shared, &body.room, &body.user) {
        Ok(()) => reply(StatusCode::OK, json!({ "joined": true })),
        Err(why) => reply(
            StatusCode::FORBIDDEN,
            json!({ "joined": false, "reason": why }),
        ),
    }
}

fn join(shared: &Shared, room: &str, user: &str) -> Result<(), String> {
    let mut rooms = shared.rooms();
    let Some(chat_room) = rooms.get_mut(room) else {
        return Err(format!("no chat room {room}"));
    };
    if chat_room.blocked.contains(user) {
        return Err(format!("{user} is on the block list of {room}"));
    }
    let new = chat_room.members.insert(user.to_owned());
    drop(rooms);
    if new {
        shared.notifier.joined(room, user);
    }
    Ok(())
}

impl RoomDirectory for Shared {
    fn seed(&self, room: &str, users: &[String]) {
        let mut rooms = self.rooms();
        let chat_room = rooms.entry(room.to_owned()).or_default();
        let new: Vec<String> = users
            .iter()
            .filter(|user| chat_room.members.insert((*user).clone()))
            .cloned()
            .collect();
        drop(rooms);
        for user in new {
            self.notifier.joined(room, &user);
        }
    }

    fn members(&self, room: &str) -> Option<Vec<String>> {
        self.rooms()
            .get(room)
            .map(|r| r.members.iter().cloned().collect())
    }

    fn clear(&self) {
        self.rooms().clear();
        self.windows.clear();
    }
}

/// The running Agora Chat emulator.
#[derive(Clone)]
pub struct ChatEmulator {
    shared: Shared,
    server: Arc<Server>,
}

impl std::fmt::Debug for ChatEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatEmulator")
            .field("url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl ChatEmulator {
    pub(super) async fn start(
        config: &AgoraConfig,
        clock: Clock,
        addr: SocketAddr,
    ) -> io::Result<Self> {
        let shared = Shared {
            config: Arc::new(config.clone()),
            clock,
            controls: Controls::new(None),
            windows: Windows::default(),
            rooms: Arc::default(),
            notifier: Arc::new(super::ncs::ChatNotifier::new(
                config.chat_callback_secret.clone(),
                &config.org,
                &config.app,
            )),
        };
        let router = Router::new()
            .route("/{org}/{app}/chatrooms/{room}/users", get(list_members))
            .route(
                "/{org}/{app}/chatrooms/{room}/users/{names}",
                delete(remove_members),
            )
            .route(
                "/{org}/{app}/chatrooms/{room}/blocks/users",
                get(list_blocks).post(block_many),
            )
            .route(
                "/{org}/{app}/chatrooms/{room}/blocks/users/{names}",
                post(block_one).delete(unblock),
            )
            .route("/_emulator/agora/chat/join", post(post_join))
            .with_state(shared.clone())
            .merge(crate::callbacks::router(shared.notifier.callbacks.clone()))
            .merge(admin::router(
                shared.controls.clone(),
                Arc::new(shared.clone()),
                Api::ALL
                    .into_iter()
                    .filter(|api| api.listener() == Listener::AgoraChat)
                    .map(|api| (api, shared.controls.clone()))
                    .collect(),
            ));
        let server = Server::start(addr, router).await?;
        Ok(ChatEmulator {
            shared,
            server: Arc::new(server),
        })
    }

    /// `http://<addr>` (for `AGORA_CHAT_HOST`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The project's App ID.
    pub fn app_id(&self) -> &str {
        &self.shared.config.chat_app_id
    }

    /// The project's App Certificate.
    pub fn certificate(&self) -> &str {
        &self.shared.config.chat_certificate
    }

    /// The org name.
    pub fn org(&self) -> &str {
        &self.shared.config.org
    }

    /// The app name.
    pub fn app(&self) -> &str {
        &self.shared.config.app
    }

    /// Faults, latency, log and counters.
    pub fn controls(&self) -> &Controls {
        &self.shared.controls
    }

    /// The variables that point the Chat adapter here (`AGORA_APP_ID`, `AGORA_APP_CERTIFICATE`,
    /// `AGORA_CHAT_HOST`, `AGORA_CHAT_ORG`, `AGORA_CHAT_APP`), for its builder's `with_vars`.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AGORA_APP_ID", self.app_id().to_owned()),
            ("AGORA_APP_CERTIFICATE", self.certificate().to_owned()),
            ("AGORA_CHAT_HOST", self.base_url()),
            ("AGORA_CHAT_ORG", self.org().to_owned()),
            ("AGORA_CHAT_APP", self.app().to_owned()),
        ]
    }

    /// Creates `room` (owned by `owner`, if given) with these members.
    pub fn seed_room(
        &self,
        room: &str,
        owner: Option<&str>,
        members: impl IntoIterator<Item = impl Into<String>>,
    ) {
        let mut rooms = self.shared.rooms();
        let chat_room = rooms.entry(room.to_owned()).or_default();
        let mut new = Vec::new();
        if let Some(owner) = owner {
            chat_room.owner = Some(owner.to_owned());
            if chat_room.members.insert(owner.to_owned()) {
                new.push(owner.to_owned());
            }
        }
        for member in members.into_iter().map(Into::into) {
            if chat_room.members.insert(member.clone()) {
                new.push(member);
            }
        }
        drop(rooms);
        for user in new {
            self.shared.notifier.joined(room, &user);
        }
    }

    /// The chat-room join callbacks it sends ([`crate::callbacks`]): the URL, counts.
    pub fn callbacks(&self) -> &crate::callbacks::Callbacks {
        &self.shared.notifier.callbacks
    }

    /// The secret its callbacks' `security` field is made with (`AGORA_CHAT_CALLBACK_SECRET`).
    pub fn callback_secret(&self) -> &str {
        self.shared.notifier.secret()
    }

    /// The room's members (owner included), or `None` without the room.
    pub fn members(&self, room: &str) -> Option<Vec<String>> {
        self.shared.members(room)
    }

    /// The room's block list.
    pub fn blocked(&self, room: &str) -> Vec<String> {
        self.shared
            .rooms()
            .get(room)
            .map(|r| r.blocked.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Takes `user` off `room`'s block list without an API call, as an operator in Agora Console
    /// would; `true` if they were on it.
    pub fn unblock(&self, room: &str, user: &str) -> bool {
        self.shared
            .rooms()
            .get_mut(room)
            .is_some_and(|chat_room| chat_room.blocked.remove(user))
    }

    /// `user` joining `room`: refused while on its block list.
    pub fn join(&self, room: &str, user: &str) -> Result<(), String> {
        join(&self.shared, room, user)
    }

    /// Whether the server would accept `token` as an app token now (`Err` says which 401).
    pub fn check_token(&self, token: &str) -> Result<(), String> {
        check(
            token,
            &self.shared.config.chat_app_id,
            &self.shared.config.chat_certificate,
            self.shared.clock.unix_now(),
        )
        .map_err(|refusal| format!("{refusal:?}"))
    }
}
