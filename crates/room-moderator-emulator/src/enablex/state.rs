//! The EnableX emulator's memory: rooms of connections (virtual or real sockets), issued tokens, the
//! drop log, the received frames, scripted signalling faults and roster withholding.
//!
//! clientIds are text here; on the wire they are JSON strings, or numbers when the emulator runs with
//! numeric clientIds. A `drop` matches a connection only when the id comes back in its wire type, as
//! a server comparing with `===` would.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::socket::Sid;

use super::recording::{FrameLog, ReceivedFrame};
use super::withhold::RosterWithholding;
use crate::RoomDirectory;

/// One connection in a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// The signalling clientId.
    #[serde(rename = "clientId")]
    pub client_id: String,
    /// The application's user reference.
    pub user_ref: String,
    /// Display name.
    pub name: String,
    /// `moderator`, `participant` or `viewer`.
    pub role: String,
    /// `true` for a real socket, `false` for a participant seeded through the admin API.
    pub live: bool,
}

/// One `drop` the emulator received from a joined client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DropRecord {
    /// The room.
    pub room: String,
    /// The clientId of the sender.
    pub by: String,
    /// Whether it dropped everyone (`all: true`, or an empty / missing `clientIds`).
    pub all: bool,
    /// The clientIds requested, as text (see [`ReceivedFrame`] for their JSON types).
    pub requested: Vec<String>,
    /// The clientIds actually dropped.
    pub dropped: Vec<String>,
}

/// A scripted signalling misbehaviour, used by the first matching event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignallingFault {
    /// The next `drop` closes the sender's socket without dropping anyone or acknowledging.
    CloseOnDrop,
    /// The next acknowledged event (`token` or `drop`) is acknowledged after this delay.
    DelayAck(Duration),
    /// The next `token` is refused with `{result: code, msg}`.
    RefuseToken {
        /// The `result` code.
        code: i64,
        /// The `msg`.
        msg: String,
    },
    /// The next `drop` is refused with `{result: code, msg}` (nobody is dropped).
    RefuseDrop {
        /// The `result` code.
        code: i64,
        /// The `msg`.
        msg: String,
    },
}

/// Which event is asking for a fault.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    Token,
    Drop,
}

impl SignallingFault {
    fn applies_to(&self, kind: EventKind) -> bool {
        match self {
            SignallingFault::CloseOnDrop | SignallingFault::RefuseDrop { .. } => {
                kind == EventKind::Drop
            }
            SignallingFault::RefuseToken { .. } => kind == EventKind::Token,
            SignallingFault::DelayAck(_) => true,
        }
    }
}

/// One token the REST API created, as asked for: tests read these to prove which tokens were (and
/// were not) created, e.g. none for a banned user. The token itself is not kept here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreatedToken {
    /// The room.
    pub room: String,
    /// The `name` asked for.
    pub name: String,
    /// The `role` asked for.
    pub role: String,
    /// The role the token carries (differs from `role` under
    /// [`force_token_role`](super::EnablexEmulator::force_token_role)).
    pub issued_role: String,
    /// The `user_ref` asked for.
    pub user_ref: String,
    /// The `data` object asked for (`null` when absent).
    pub data: Value,
}

/// A token we issued.
#[derive(Clone, Debug)]
pub(crate) struct IssuedToken {
    pub room: String,
    pub role: String,
    pub name: String,
    pub user_ref: String,
    pub issued: Instant,
    pub used: bool,
}

#[derive(Default)]
struct Inner {
    rooms: BTreeMap<String, Vec<Connection>>,
    tokens: HashMap<String, IssuedToken>,
    created: Vec<CreatedToken>,
    /// Joined sockets: sid -> (room, clientId).
    sockets: HashMap<Sid, (String, String)>,
    faults: VecDeque<SignallingFault>,
    drops: Vec<DropRecord>,
    frames: FrameLog,
    forced_role: Option<String>,
    withholding: Option<RosterWithholding>,
    numeric_ids: bool,
    next_id: u64,
}

/// Shared state; cheap to clone.
#[derive(Clone)]
pub(crate) struct State {
    inner: Arc<Mutex<Inner>>,
    pub io: SocketIo,
}

/// What a join produced: our ack, the `room-connected` payload (and how long to hold it back), and
/// who to tell.
pub(crate) struct Joined {
    pub client_id: Value,
    pub room_connected: Value,
    pub room_connected_delay: Duration,
    pub announce: Value,
    pub others: Vec<Sid>,
}

/// Why a token was refused.
pub(crate) enum TokenProblem {
    Unknown,
    Used,
    Expired,
    AlreadyJoined,
}

/// What a drop did.
pub(crate) struct Dropped {
    pub record: DropRecord,
    /// Dropped live sockets, to notify and disconnect.
    pub sockets: Vec<Sid>,
    /// `user-disconnected` payloads and the live sockets left to tell.
    pub announcements: Vec<Value>,
    pub remaining: Vec<Sid>,
}

impl State {
    /// Empty state; with `numeric_ids`, clientIds go on the wire as JSON numbers.
    pub(crate) fn new(io: SocketIo, numeric_ids: bool) -> Self {
        State {
            inner: Arc::new(Mutex::new(Inner {
                numeric_ids,
                ..Inner::default()
            })),
            io,
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh id: a counter mixed with the clock, hex, so ids differ across emulator restarts.
    fn next_id(inner: &mut Inner, prefix: &str) -> String {
        inner.next_id += 1;
        if inner.numeric_ids && prefix.is_empty() {
            return (1000 + inner.next_id).to_string();
        }
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        format!("{prefix}{:08x}{:08x}", inner.next_id, nanos)
    }

    pub(crate) fn room_exists(&self, room: &str) -> bool {
        self.inner().rooms.contains_key(room)
    }

    pub(crate) fn forced_role(&self) -> Option<String> {
        self.inner().forced_role.clone()
    }

    pub(crate) fn set_forced_role(&self, role: Option<String>) {
        self.inner().forced_role = role;
    }

    pub(crate) fn push_fault(&self, fault: SignallingFault) {
        self.inner().faults.push_back(fault);
    }

    pub(crate) fn take_fault(&self, kind: EventKind) -> Option<SignallingFault> {
        let mut inner = self.inner();
        let at = inner.faults.iter().position(|f| f.applies_to(kind))?;
        inner.faults.remove(at)
    }

    pub(crate) fn drops(&self) -> Vec<DropRecord> {
        self.inner().drops.clone()
    }

    /// Records a frame from `sid`, named by its clientId once it has joined.
    pub(crate) fn record_frame(&self, sid: Sid, event: &str, data: &Value) {
        let mut inner = self.inner();
        let client_id = inner.sockets.get(&sid).map(|(_, id)| id.clone());
        inner.frames.push(ReceivedFrame {
            client_id,
            event: event.to_owned(),
            data: data.clone(),
        });
    }

    pub(crate) fn frames(&self) -> Vec<ReceivedFrame> {
        self.inner().frames.all()
    }

    pub(crate) fn set_withholding(&self, withholding: Option<RosterWithholding>) {
        self.inner().withholding = withholding;
    }

    pub(crate) fn connections(&self, room: &str) -> Option<Vec<Connection>> {
        self.inner().rooms.get(room).cloned()
    }

    /// Records a token (and what was asked for) and returns its id.
    pub(crate) fn issue_token(&self, token: IssuedToken, created: CreatedToken) -> String {
        let mut inner = self.inner();
        let id = State::next_id(&mut inner, "tok-");
        inner.tokens.insert(id.clone(), token);
        inner.created.push(created);
        id
    }

    pub(crate) fn created_tokens(&self) -> Vec<CreatedToken> {
        self.inner().created.clone()
    }

    /// Spends token `id` for socket `sid` and joins its room.
    pub(crate) fn join(
        &self,
        sid: Sid,
        token_id: &str,
        lifetime: Duration,
    ) -> Result<Joined, TokenProblem> {
        let mut inner = self.inner();
        if inner.sockets.contains_key(&sid) {
            return Err(TokenProblem::AlreadyJoined);
        }
        let token = inner
            .tokens
            .get_mut(token_id)
            .ok_or(TokenProblem::Unknown)?;
        if token.used {
            return Err(TokenProblem::Used);
        }
        if token.issued.elapsed() > lifetime {
            return Err(TokenProblem::Expired);
        }
        token.used = true;
        let token = token.clone();
        let client_id = State::next_id(&mut inner, "");
        let me = Connection {
            client_id: client_id.clone(),
            user_ref: token.user_ref.clone(),
            name: token.name.clone(),
            role: token.role.clone(),
            live: true,
        };
        let numeric = inner.numeric_ids;
        let connections = inner.rooms.entry(token.room.clone()).or_default();
        let user_list: Vec<Value> = connections.iter().map(|c| user_json(c, numeric)).collect();
        let others = live_sids(&inner.sockets, &token.room, &client_id);
        let connections = inner.rooms.entry(token.room.clone()).or_default();
        connections.push(me.clone());
        inner
            .sockets
            .insert(sid, (token.room.clone(), client_id.clone()));
        let wire_id = wire_id(&client_id, numeric);
        let mut room_connected = json!({
            "result": 0,
            "id": token.room,
            "clientId": wire_id,
            "user": user_json(&me, numeric),
            "userList": user_list,
            "room": {"settings": {"mode": "group"}, "locked": false},
            "streams": [],
        });
        let room_connected_delay = inner
            .withholding
            .map_or(Duration::ZERO, |mode| mode.apply(&mut room_connected));
        Ok(Joined {
            client_id: wire_id,
            room_connected,
            room_connected_delay,
            announce: user_json(&me, numeric),
            others,
        })
    }

    /// The joined room, clientId and role of `sid`.
    pub(crate) fn member(&self, sid: Sid) -> Option<(String, String, String)> {
        let inner = self.inner();
        let (room, client_id) = inner.sockets.get(&sid)?.clone();
        let role = inner
            .rooms
            .get(&room)?
            .iter()
            .find(|c| c.client_id == client_id)?
            .role
            .clone();
        Some((room, client_id, role))
    }

    /// Removes from `room` everyone (`all`) or the connections whose wire clientId is in
    /// `requested` (never `by`), logging the drop.
    pub(crate) fn drop_connections(
        &self,
        room: &str,
        by: &str,
        all: bool,
        requested: &[Value],
    ) -> Dropped {
        let mut inner = self.inner();
        let numeric = inner.numeric_ids;
        let Inner { rooms, sockets, .. } = &mut *inner;
        let connections = rooms.entry(room.to_owned()).or_default();
        let (gone, kept): (Vec<Connection>, Vec<Connection>) =
            connections.drain(..).partition(|c| {
                c.client_id != by && (all || requested.contains(&wire_id(&c.client_id, numeric)))
            });
        *connections = kept;
        let dropped_ids: Vec<String> = gone.iter().map(|c| c.client_id.clone()).collect();
        let dropped_sockets: Vec<Sid> = sockets
            .iter()
            .filter(|(_, (r, id))| r == room && dropped_ids.contains(id))
            .map(|(sid, _)| *sid)
            .collect();
        for sid in &dropped_sockets {
            sockets.remove(sid);
        }
        let remaining = live_sids(sockets, room, "");
        let record = DropRecord {
            room: room.to_owned(),
            by: by.to_owned(),
            all,
            requested: requested.iter().map(id_text).collect(),
            dropped: dropped_ids,
        };
        inner.drops.push(record.clone());
        Dropped {
            record,
            sockets: dropped_sockets,
            announcements: gone.iter().map(|c| user_json(c, numeric)).collect(),
            remaining,
        }
    }

    /// Forgets socket `sid` (it left or was disconnected); returns the `user-disconnected` payload and
    /// who to tell, if it was still in a room.
    pub(crate) fn leave(&self, sid: Sid) -> Option<(Value, Vec<Sid>)> {
        let mut inner = self.inner();
        let (room, client_id) = inner.sockets.remove(&sid)?;
        let connections = inner.rooms.get_mut(&room)?;
        let at = connections.iter().position(|c| c.client_id == client_id)?;
        let gone = connections.remove(at);
        let others = live_sids(&inner.sockets, &room, "");
        Some((user_json(&gone, inner.numeric_ids), others))
    }

    /// Adds a virtual connection; returns its `user-connected` payload and who to tell.
    fn add_virtual(&self, room: &str, user_ref: &str) -> (Value, Vec<Sid>) {
        let mut inner = self.inner();
        let client_id = State::next_id(&mut inner, "");
        let connection = Connection {
            client_id,
            user_ref: user_ref.to_owned(),
            name: user_ref.to_owned(),
            role: "participant".to_owned(),
            live: false,
        };
        let payload = user_json(&connection, inner.numeric_ids);
        inner
            .rooms
            .entry(room.to_owned())
            .or_default()
            .push(connection);
        (payload, live_sids(&inner.sockets, room, ""))
    }

    /// Tells `sids` about `event`.
    pub(crate) fn tell(&self, sids: &[Sid], event: &str, payload: &Value) {
        for sid in sids {
            if let Some(socket) = self.io.get_socket(*sid) {
                let _ = socket.emit(event, payload);
            }
        }
    }
}

/// The live sockets in `room`, except the one with clientId `except`.
fn live_sids(sockets: &HashMap<Sid, (String, String)>, room: &str, except: &str) -> Vec<Sid> {
    sockets
        .iter()
        .filter(|(_, (r, id))| r == room && id != except)
        .map(|(sid, _)| *sid)
        .collect()
}

/// A clientId as it goes on the wire.
fn wire_id(client_id: &str, numeric: bool) -> Value {
    match client_id.parse::<u64>() {
        Ok(number) if numeric => Value::from(number),
        _ => Value::String(client_id.to_owned()),
    }
}

/// A requested clientId as text, whatever its JSON type.
fn id_text(id: &Value) -> String {
    match id {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A roster entry as the signalling server sends it.
fn user_json(connection: &Connection, numeric: bool) -> Value {
    json!({
        "clientId": wire_id(&connection.client_id, numeric),
        "name": connection.name,
        "user_ref": connection.user_ref,
        "role": connection.role,
        "permissions": {"publish": true, "subscribe": true, "record": false, "stats": true, "controlhandlers": connection.role == "moderator"},
        "audioMuted": false,
        "videoMuted": false,
    })
}

impl RoomDirectory for State {
    /// Every listed `user_ref` adds one connection (a user listed twice is on two devices).
    fn seed(&self, room: &str, users: &[String]) {
        if users.is_empty() {
            self.inner().rooms.entry(room.to_owned()).or_default();
        }
        for user in users {
            let (payload, others) = self.add_virtual(room, user);
            self.tell(&others, "user-connected", &payload);
        }
    }

    /// The distinct `user_ref`s connected, sorted.
    fn members(&self, room: &str) -> Option<Vec<String>> {
        let inner = self.inner();
        let mut users: Vec<String> = inner
            .rooms
            .get(room)?
            .iter()
            .map(|c| c.user_ref.clone())
            .collect();
        users.sort();
        users.dedup();
        Some(users)
    }

    fn clear(&self) {
        let mut inner = self.inner();
        inner.rooms.clear();
        inner.sockets.clear();
        inner.tokens.clear();
        inner.created.clear();
        inner.drops.clear();
        inner.frames.clear();
        inner.faults.clear();
        inner.forced_role = None;
        inner.withholding = None;
    }
}
