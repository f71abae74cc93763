//! One signalling session as a headless moderator: join with a token, learn the roster, drop, leave.
//!
//! What is sent follows what EnableX's own SDKs send (Web `EnxRtc.js` 1.7-2.0, Android 2.3.3; the
//! protocol is not published): the first emit is `token` with an ack, answered `{result: 0, clientId}`
//! (`result` may be the string `"0"`; some SDK versions accept a Licode-style `("success", obj)`), then
//! `room-connected` with the `userList`; `user-connected` / `user-disconnected` follow. A drop is
//! `drop {"all": false, "clientIds": [..]}` with an ack `{result: 0}` (built only by
//! [`DropFrame`]). Leaving closes the namespace and the socket: the SDKs' `drop {"self": true}` is
//! never sent, because a server that ignored `self` would read it as "drop everyone".
//!
//! A `room-connected` without a readable `userList` fails the join ([`ErrorKind::Protocol`]): an
//! unreadable roster must never turn into "nobody is here".

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout_at};
use tracing::{debug, warn};

use room_moderator_core::{BatchResult, Error, ErrorKind, Member, Outcome, UserId};

use crate::PROVIDER;
use crate::codes::signalling_error;
use crate::drop_frame::DropFrame;
use crate::roster::{ClientId, Roster, field};
use crate::token::Token;
use socketio2_client::{Client, ClientConfig, ClientError, Event};

/// Sent with the token as the SDKs send them. Which values a server checks is UNVERIFIED: the protocol
/// was read from the web SDK, so this client presents itself as that SDK's version and host type.
const SDK_VERSION: &str = "2.0.0";
const HOST_TYPE: &str = "web";
const HOST_VERSION: &str = concat!("room-moderator-enablex/", env!("CARGO_PKG_VERSION"));

/// The longest a graceful leave (Socket.IO disconnect, then WebSocket close) may take.
const LEAVE_LIMIT: Duration = Duration::from_secs(1);

/// How long a kept session waits for `user-connected` before it calls a user absent: its roster is
/// only as fresh as the broadcasts it has read, and a user who joined a moment ago is still on the
/// wire. A fresh session needs no wait: `room-connected` is the server's roster of that moment.
const ROSTER_GRACE: Duration = Duration::from_secs(1);

/// How sessions behave.
#[derive(Clone, Debug)]
pub(crate) struct SessionSettings {
    /// Bound on each step: connecting, each acknowledgement, waiting for `room-connected`.
    pub timeout: Duration,
    pub allow_http: bool,
    /// Also match requested users against raw clientIds.
    pub match_client_ids: bool,
    /// The headless moderator's `user_ref`: connections with it are ours and never dropped.
    pub moderator_ref: String,
}

/// A joined signalling session.
pub(crate) struct Session {
    client: Client,
    events: mpsc::Receiver<Event>,
    own_client_id: String,
    role: String,
    roster: Roster,
    /// Set when the server said the room is gone for us (`room-disconnected`).
    ended: Option<String>,
    /// Set when a roster update could not be read: the roster may miss someone from then on.
    roster_lost: Option<String>,
    settings: SessionSettings,
}

/// What an acknowledgement says.
#[derive(Debug, PartialEq)]
enum Ack {
    Ok(Value),
    Refused { code: String, message: String },
    Unreadable(String),
}

fn code_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.trim().to_owned()),
        _ => None,
    }
}

fn message_of(body: &Value) -> String {
    for name in ["msg", "message", "error", "desc"] {
        match body.get(name) {
            Some(Value::String(s)) if !s.is_empty() => return s.clone(),
            Some(Value::Null) | None => {}
            Some(other) => return other.to_string(),
        }
    }
    match body {
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

/// Reads `{result: 0, ..}`, `{result: n, msg}` / `{result, error, desc}`, or Licode-style
/// `("success", obj)` / `("error", obj)`. An object without `result` but with a `clientId` counts as
/// success (a token ack that omits the result).
fn read_ack(args: Vec<Value>) -> Ack {
    let mut args = args.into_iter();
    let (licode, body) = match args.next() {
        Some(Value::String(word)) if word == "success" => (Some(true), args.next()),
        Some(Value::String(word)) if word == "error" => (Some(false), args.next()),
        first => (None, first),
    };
    let body = body.unwrap_or(Value::Null);
    let result = code_text(body.get("result"));
    match (licode, result) {
        (Some(false), code) => Ack::Refused {
            code: code.unwrap_or_else(|| "error".to_owned()),
            message: message_of(&body),
        },
        (_, Some(code)) if code == "0" => Ack::Ok(body),
        (_, Some(code)) => Ack::Refused {
            message: message_of(&body),
            code,
        },
        (Some(true), None) => Ack::Ok(body),
        (None, None) if body.get("clientId").is_some() => Ack::Ok(body),
        (None, None) => Ack::Unreadable(format!("no result in the acknowledgement {body}")),
    }
}

/// A signalling client error, in our kinds.
fn client_error(error: ClientError, step: &str) -> Error {
    let kind = match &error {
        ClientError::InvalidRequest(_) => ErrorKind::Config,
        ClientError::Handshake(_) => ErrorKind::Protocol,
        ClientError::Refused(_) => ErrorKind::Unavailable,
        ClientError::Timeout(_) => ErrorKind::Timeout,
        // Connect, Closed, Busy, and whatever a later version of the client adds: the socket failed.
        _ => ErrorKind::Transport,
    };
    Error::new(kind, format!("{step}: {error}"))
        .with_provider(PROVIDER)
        .with_source(error)
}

fn protocol(message: impl Into<String>) -> Error {
    Error::protocol(message).with_provider(PROVIDER)
}

/// `room-disconnected {cause: {msg}}` -> the cause's text.
fn disconnect_cause(args: &[Value]) -> String {
    let first = args.first().unwrap_or(&Value::Null);
    let cause = first
        .get("cause")
        .or_else(|| first.get("message").and_then(|m| m.get("cause")))
        .unwrap_or(first);
    match cause.get("msg").or_else(|| cause.get("message")) {
        Some(Value::String(msg)) => msg.clone(),
        _ if cause.is_null() => "room-disconnected".to_owned(),
        _ => cause.to_string(),
    }
}

impl Session {
    /// Opens the socket, sends the token, and waits for the roster.
    pub(crate) async fn join(token: &Token, settings: &SessionSettings) -> Result<Session, Error> {
        let target = token.target(settings.allow_http)?;
        let mut config = ClientConfig::default().with_connect_timeout(settings.timeout);
        for (name, value) in target.headers {
            config = config.with_header(name, value);
        }
        let (client, mut events) = Client::connect(&target.url, config)
            .await
            .map_err(|e| client_error(e, "connecting to the signalling server"))?;

        let mut payload: Map<String, Value> = token.object().clone();
        payload.insert("version".to_owned(), json!(SDK_VERSION));
        payload.insert("hostType".to_owned(), json!(HOST_TYPE));
        payload.insert("hostVersion".to_owned(), json!(HOST_VERSION));
        payload.insert("advancedOptions".to_owned(), json!([]));
        let answer = client
            .emit_with_ack("token", vec![Value::Object(payload)], settings.timeout)
            .await
            .map_err(|e| client_error(e, "joining the room"))?;
        let ack = match read_ack(answer) {
            Ack::Ok(body) => body,
            Ack::Refused { code, message } => {
                return Err(signalling_error(
                    &code,
                    &format!("the signalling server refused the token: {message}"),
                    ErrorKind::Unauthenticated,
                ));
            }
            Ack::Unreadable(why) => return Err(protocol(format!("joining the room: {why}"))),
        };

        let mut early = Vec::new();
        let connected = if ack.get("userList").is_some() {
            ack.clone()
        } else {
            wait_for_room(&mut events, &mut early, settings.timeout).await?
        };
        if let Some(code) = code_text(connected.get("result")).filter(|code| code != "0") {
            return Err(signalling_error(
                &code,
                &message_of(&connected),
                ErrorKind::Unavailable,
            ));
        }
        let own_client_id = field(&connected, "clientId")
            .or_else(|| field(&ack, "clientId"))
            .ok_or_else(|| protocol("the server did not say which clientId is ours"))?;
        let role = connected
            .get("user")
            .and_then(|user| field(user, "role"))
            .or_else(|| field(&connected, "role"))
            .or_else(|| field(&ack, "role"))
            .unwrap_or_default();
        let roster = Roster::from_user_list(connected.get("userList")).map_err(|unreadable| {
            protocol(format!(
                "cannot tell who is in the room: {}; nobody was dropped",
                unreadable.0
            ))
        })?;
        let mut session = Session {
            client,
            events,
            own_client_id,
            role,
            roster,
            ended: None,
            roster_lost: None,
            settings: settings.clone(),
        };
        for event in early {
            session.apply(event);
        }
        debug!(
            client_id = %session.own_client_id,
            role = %session.role,
            connections = session.roster.len(),
            "joined the room as a headless moderator"
        );
        Ok(session)
    }

    fn apply(&mut self, event: Event) {
        let first = event.args.first().unwrap_or(&Value::Null);
        match event.name.as_str() {
            "user-connected" => {
                if !self.roster.connected(first) {
                    warn!("user-connected named no clientId; this session's roster is out of date");
                    self.roster_lost = Some("a user-connected event named no clientId".to_owned());
                }
            }
            "user-disconnected" => self.roster.disconnected(first),
            "room-disconnected" => self.ended = Some(disconnect_cause(&event.args)),
            other => debug!(event = other, "ignoring a signalling event"),
        }
    }

    /// Applies every event received so far.
    fn sync(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            self.apply(event);
        }
    }

    /// Whether the session can still be used (socket open, still in the room, roster readable).
    pub(crate) fn is_open(&mut self) -> bool {
        self.sync();
        self.ended.is_none() && self.roster_lost.is_none() && !self.client.is_closed()
    }

    fn is_moderator(&self) -> bool {
        self.role.eq_ignore_ascii_case("moderator")
    }

    /// Checks what the SDKs check before a moderator action, with their codes.
    fn ready(&mut self) -> Result<(), Error> {
        self.sync();
        if !self.is_moderator() {
            return Err(signalling_error(
                "5116",
                &format!(
                    "the session joined with role {:?}; only a moderator may drop users",
                    self.role
                ),
                ErrorKind::PermissionDenied,
            ));
        }
        self.roster_current("nobody was dropped")
    }

    /// Whether the session is still in the room with a roster it could follow; `consequence` says
    /// what did not happen otherwise.
    fn roster_current(&mut self, consequence: &str) -> Result<(), Error> {
        self.sync();
        let gone = match (&self.ended, self.client.close_reason()) {
            (Some(cause), _) => Some(format!("the server disconnected us ({cause})")),
            (None, Some(reason)) => Some(reason.to_string()),
            (None, None) => None,
        };
        if let Some(why) = gone {
            return Err(signalling_error(
                "5086",
                &format!("room not connected: {why}"),
                ErrorKind::Unavailable,
            ));
        }
        if let Some(why) = &self.roster_lost {
            // Temporary: a new session reads a whole new roster.
            return Err(Error::new(
                ErrorKind::Unavailable,
                format!("this session's roster is out of date ({why}); {consequence}"),
            )
            .with_provider(PROVIDER));
        }
        Ok(())
    }

    /// The room's members as this session's roster holds them (`room-connected.userList`, then the
    /// broadcasts read since): one per connection, never this adapter's own sessions.
    pub(crate) fn members(&mut self) -> Result<Vec<Member>, Error> {
        self.roster_current("the room was not listed")?;
        Ok(self
            .roster
            .members(&self.own_client_id, &self.settings.moderator_ref))
    }

    /// Emits `drop` and reads its ack; `Err` carries what the users of this drop should be told.
    async fn emit_drop(&mut self, frame: DropFrame) -> Result<(), Error> {
        let answer = self
            .client
            .emit_with_ack("drop", vec![frame.into_payload()], self.settings.timeout)
            .await;
        match answer {
            Ok(args) => match read_ack(args) {
                Ack::Ok(_) => Ok(()),
                Ack::Refused { code, message } => {
                    Err(signalling_error(&code, &message, ErrorKind::Protocol))
                }
                Ack::Unreadable(why) => Err(protocol(format!("dropping users: {why}"))),
            },
            Err(ClientError::Timeout(what)) => Err(Error::new(
                ErrorKind::Timeout,
                format!("{what}; the users may or may not have been dropped"),
            )
            .with_provider(PROVIDER)),
            Err(error) => Err(Error::new(
                ErrorKind::Transport,
                format!(
                    "the drop was sent but {error}; the users may or may not have been dropped"
                ),
            )
            .with_provider(PROVIDER)
            .with_source(error)),
        }
    }

    /// Every connection of each of `users`, in order.
    fn targets(&self, users: &[UserId]) -> Vec<Vec<ClientId>> {
        users
            .iter()
            .map(|user| {
                self.roster.client_ids_for(
                    user.as_str(),
                    self.settings.match_client_ids,
                    &self.own_client_id,
                    &self.settings.moderator_ref,
                )
            })
            .collect()
    }

    /// Reads roster broadcasts for at most [`ROSTER_GRACE`] (never beyond the step timeout) until
    /// every one of `users` has a connection.
    async fn await_users(&mut self, users: &[UserId]) {
        let deadline = Instant::now() + ROSTER_GRACE.min(self.settings.timeout);
        while self.targets(users).iter().any(Vec::is_empty) {
            match timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => self.apply(event),
                Ok(None) | Err(_) => break,
            }
        }
    }

    /// Drops every connection of `users` in one `drop`, and says what happened to each user. With
    /// `recheck` (a kept session, whose roster may lag), users not found are looked for again in
    /// the broadcasts of the next moment before they are called absent.
    pub(crate) async fn drop_users(&mut self, users: &[UserId], recheck: bool) -> BatchResult {
        if let Err(error) = self.ready() {
            return BatchResult::Whole(error);
        }
        if recheck {
            self.await_users(users).await;
            // What was read while waiting may say the session is gone.
            if let Err(error) = self.ready() {
                return BatchResult::Whole(error);
            }
        }
        let targets = self.targets(users);
        let mut seen = HashSet::new();
        let client_ids: Vec<ClientId> = targets
            .iter()
            .flatten()
            .filter(|id| seen.insert(id.text.as_str()))
            .cloned()
            .collect();
        // Nobody to drop: send nothing (an empty `clientIds` would drop everyone).
        let Some(frame) = DropFrame::connections(&client_ids) else {
            return BatchResult::all(users.len(), Outcome::NotInRoom);
        };
        debug!(connections = client_ids.len(), "emitting drop");
        let result = self.emit_drop(frame).await;
        if result.is_ok() {
            self.roster.remove(&client_ids);
        }
        BatchResult::PerUser(
            targets
                .iter()
                .map(|ids| match (&result, ids.is_empty()) {
                    (_, true) => Outcome::NotInRoom,
                    (Ok(()), false) => Outcome::Disconnected,
                    (Err(error), false) => Outcome::Failed(error.clone()),
                })
                .collect(),
        )
    }

    /// Drops everyone: `drop {"all": true}`.
    pub(crate) async fn drop_all(&mut self) -> Result<(), Error> {
        self.ready()?;
        self.emit_drop(DropFrame::everyone()).await
    }

    /// Leaves: a Socket.IO disconnect of the namespace, then the WebSocket close (what the SDKs'
    /// socket does after their leave), bounded by [`LEAVE_LIMIT`]. No `drop` is sent. Dropping a
    /// session does the same in the background.
    pub(crate) async fn leave(self) {
        self.client.close(LEAVE_LIMIT).await;
        debug!("left the room");
    }
}

/// Waits for `room-connected`, keeping other events for later.
async fn wait_for_room(
    events: &mut mpsc::Receiver<Event>,
    early: &mut Vec<Event>,
    limit: Duration,
) -> Result<Value, Error> {
    let deadline = Instant::now() + limit;
    loop {
        let event = match timeout_at(deadline, events.recv()).await {
            Ok(Some(event)) => event,
            Ok(None) => {
                return Err(Error::new(
                    ErrorKind::Transport,
                    "the signalling socket closed before room-connected",
                )
                .with_provider(PROVIDER));
            }
            Err(_) => {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("timed out after {limit:?} waiting for room-connected"),
                )
                .with_provider(PROVIDER));
            }
        };
        match event.name.as_str() {
            "room-connected" => return Ok(event.args.into_iter().next().unwrap_or(Value::Null)),
            "room-disconnected" => {
                return Err(signalling_error(
                    "5086",
                    &format!(
                        "the server disconnected us while joining ({})",
                        disconnect_cause(&event.args)
                    ),
                    ErrorKind::Unavailable,
                ));
            }
            _ => early.push(event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_in_every_documented_shape() {
        assert_eq!(
            read_ack(vec![json!({"result": 0, "clientId": "c"})]),
            Ack::Ok(json!({"result": 0, "clientId": "c"}))
        );
        assert!(matches!(read_ack(vec![json!({"result": "0"})]), Ack::Ok(_)));
        assert!(matches!(
            read_ack(vec![json!({"result": " 0 "})]),
            Ack::Ok(_)
        ));
        assert!(matches!(
            read_ack(vec![json!("success"), json!({"clientId": "c"})]),
            Ack::Ok(_)
        ));
        assert!(matches!(
            read_ack(vec![json!({"clientId": "c"})]),
            Ack::Ok(_)
        ));
        assert_eq!(
            read_ack(vec![
                json!({"result": 1161, "msg": "Token validation failed"})
            ]),
            Ack::Refused {
                code: "1161".to_owned(),
                message: "Token validation failed".to_owned()
            }
        );
        assert_eq!(
            read_ack(vec![json!({"result": "4119", "error": "E", "desc": "D"})]),
            Ack::Refused {
                code: "4119".to_owned(),
                message: "E".to_owned()
            }
        );
        assert_eq!(
            read_ack(vec![json!("error"), json!({"msg": "no"})]),
            Ack::Refused {
                code: "error".to_owned(),
                message: "no".to_owned()
            }
        );
    }

    #[test]
    fn unreadable_acks() {
        for args in [
            vec![],
            vec![json!(true)],
            vec![json!({"ok": 1})],
            vec![json!({"result": true})],
        ] {
            assert!(
                matches!(read_ack(args.clone()), Ack::Unreadable(_)),
                "{args:?}"
            );
        }
    }

    #[test]
    fn disconnect_causes() {
        assert_eq!(
            disconnect_cause(&[json!({"cause": {"msg": "disconnected-by-moderator"}})]),
            "disconnected-by-moderator"
        );
        assert_eq!(
            disconnect_cause(&[json!({"message": {"cause": {"msg": "x"}}})]),
            "x"
        );
        assert_eq!(disconnect_cause(&[]), "room-disconnected");
    }

    #[test]
    fn client_errors_map_to_kinds() {
        let timeout = client_error(ClientError::Timeout("waiting".to_owned()), "joining");
        assert_eq!(timeout.kind(), ErrorKind::Timeout);
        assert!(timeout.message().starts_with("joining: "));
        assert_eq!(
            client_error(ClientError::Connect("refused".to_owned()), "x").kind(),
            ErrorKind::Transport
        );
        assert_eq!(
            client_error(ClientError::Handshake("?".to_owned()), "x").kind(),
            ErrorKind::Protocol
        );
    }
}
