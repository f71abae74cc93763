//! A small Socket.IO 2.x client: WebSocket transport only, Engine.IO v3 keep-alive driven by the
//! client, events, and acknowledgements in both directions.
//!
//! One background task owns the WebSocket. It sends a ping `2` every `pingInterval` after the last
//! pong and gives up when no pong `3` arrives within `pingTimeout` (engine.io-client 3.x does the
//! same). Every wait is bounded: connecting by [`ClientConfig::connect_timeout`], acks by the timeout
//! given to [`Client::emit_with_ack`]. When the connection ends, every pending ack fails at once with
//! [`ClientError::Closed`] and the event stream ends; nothing waits in silence.
//!
//! Server events wait in a bounded buffer ([`ClientConfig::event_buffer`]). A reader that falls that
//! far behind has lost track of the server's state, so the connection is closed
//! ([`CloseReason::EventBufferFull`]) rather than events being dropped in silence or kept without
//! bound.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use tracing::{debug, warn};

use crate::packet::{EnginePacket, Handshake, ROOT_NAMESPACE, SocketPacket};

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// How to connect.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Bound on everything up to being connected: TCP, TLS, WebSocket upgrade, Engine.IO open and the
    /// Socket.IO connect packet.
    pub connect_timeout: Duration,
    /// Extra HTTP headers on the WebSocket upgrade request (a gateway's `X-Forwarded-Host`, say).
    pub headers: Vec<(String, String)>,
    /// TLS settings for `wss://`; `None` uses [`tls::default_config`](crate::tls::default_config).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Largest accepted WebSocket message, in bytes.
    pub max_message_size: usize,
    /// How many server events may wait unread; one more closes the connection.
    pub event_buffer: usize,
}

/// How many frames may wait to be written; the driver writes them as fast as the socket takes them.
const COMMAND_BUFFER: usize = 256;

/// Default for [`ClientConfig::event_buffer`].
pub const DEFAULT_EVENT_BUFFER: usize = 1024;

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(10),
            headers: Vec::new(),
            tls: None,
            max_message_size: 16 << 20,
            event_buffer: DEFAULT_EVENT_BUFFER,
        }
    }
}

impl ClientConfig {
    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    /// Sets how many server events may wait unread (at least 1).
    pub fn with_event_buffer(mut self, events: usize) -> Self {
        self.event_buffer = events.max(1);
        self
    }

    /// Adds a header to the upgrade request.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("connect_timeout", &self.connect_timeout)
            .field("headers", &self.headers)
            .field("custom_tls", &self.tls.is_some())
            .field("max_message_size", &self.max_message_size)
            .field("event_buffer", &self.event_buffer)
            .finish()
    }
}

/// An event the server sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The event name.
    pub name: String,
    /// Its arguments.
    pub args: Vec<Value>,
    /// Set when the server wants an acknowledgement: answer with [`Client::ack`].
    pub ack_id: Option<u64>,
}

/// Why the connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// We closed it.
    ClientClosed,
    /// The server sent a Socket.IO disconnect (`41`).
    ServerDisconnect,
    /// The server sent an Engine.IO close (`1`).
    EngineClose,
    /// The server refused the namespace connection (`44`).
    Refused(String),
    /// The WebSocket was closed, with the close frame's code and reason if any.
    WebSocketClosed(Option<String>),
    /// No pong arrived within `pingTimeout`.
    PingTimeout,
    /// The connection failed (reset, TLS error, write timeout, ...).
    Transport(String),
    /// Server events went unread until the buffer was full ([`ClientConfig::event_buffer`]).
    EventBufferFull,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::ClientClosed => f.write_str("closed by this client"),
            CloseReason::ServerDisconnect => f.write_str("the server disconnected the socket"),
            CloseReason::EngineClose => f.write_str("the server closed the Engine.IO session"),
            CloseReason::Refused(why) => write!(f, "the server refused the connection: {why}"),
            CloseReason::WebSocketClosed(Some(frame)) => {
                write!(f, "the WebSocket was closed ({frame})")
            }
            CloseReason::WebSocketClosed(None) => f.write_str("the WebSocket was closed"),
            CloseReason::PingTimeout => f.write_str("no pong within pingTimeout"),
            CloseReason::Transport(why) => write!(f, "connection failed: {why}"),
            CloseReason::EventBufferFull => {
                f.write_str("server events went unread until the buffer was full")
            }
        }
    }
}

/// What can go wrong talking to the server.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL or a header is unusable.
    InvalidRequest(String),
    /// The WebSocket could not be opened (DNS, TCP, TLS, HTTP upgrade).
    Connect(String),
    /// The server did not open the session as Engine.IO v3 does.
    Handshake(String),
    /// The server refused the namespace connection (`44` with this payload).
    Refused(Value),
    /// A bounded wait ran out; says what was awaited.
    Timeout(String),
    /// The connection is gone.
    Closed(CloseReason),
    /// Too many frames are already waiting to be written; the socket is not draining them.
    Busy,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::InvalidRequest(why) => write!(f, "invalid signalling request: {why}"),
            ClientError::Connect(why) => write!(f, "cannot open the signalling socket: {why}"),
            ClientError::Handshake(why) => write!(f, "unexpected signalling handshake: {why}"),
            ClientError::Refused(data) => write!(f, "the signalling server refused: {data}"),
            ClientError::Timeout(what) => write!(f, "timed out {what}"),
            ClientError::Closed(reason) => write!(f, "signalling socket closed: {reason}"),
            ClientError::Busy => write!(
                f,
                "{COMMAND_BUFFER} frames are already waiting to be written to the signalling socket"
            ),
        }
    }
}

impl std::error::Error for ClientError {}

enum Command {
    Send(String),
    Close(oneshot::Sender<()>),
}

#[derive(Default)]
struct State {
    pending: HashMap<u64, oneshot::Sender<Vec<Value>>>,
    closed: Option<CloseReason>,
}

/// Pending acks and the close reason share one lock, so an ack is never registered after the driver
/// has failed the pending ones.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn closed(&self) -> Option<CloseReason> {
        self.state().closed.clone()
    }
}

/// A connected Socket.IO 2.x client on the root namespace.
///
/// Dropping it closes the connection gracefully in the background.
pub struct Client {
    commands: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    next_id: AtomicU64,
    handshake: Handshake,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("sid", &self.handshake.sid)
            .field("closed", &self.shared.closed())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to `url` (`ws://` or `wss://`, path and query included, e.g.
    /// `wss://host/socket.io/?EIO=3&transport=websocket`) and waits for the root namespace's connect
    /// packet. Returns the client and the stream of server events.
    pub async fn connect(
        url: &str,
        config: ClientConfig,
    ) -> Result<(Client, mpsc::Receiver<Event>), ClientError> {
        let limit = config.connect_timeout;
        match timeout(limit, connect_inner(url, config)).await {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout(format!(
                "after {limit:?} connecting the signalling socket"
            ))),
        }
    }

    /// The server's Engine.IO handshake.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// Why the connection ended, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared.closed()
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.close_reason().is_some() || self.commands.is_closed()
    }

    /// Sends an event without asking for an acknowledgement.
    pub fn emit(&self, name: &str, args: Vec<Value>) -> Result<(), ClientError> {
        self.send(&SocketPacket::event(name, args, None))
    }

    /// Sends an event and waits at most `limit` for its acknowledgement's arguments.
    pub async fn emit_with_ack(
        &self,
        name: &str,
        args: Vec<Value>,
        limit: Duration,
    ) -> Result<Vec<Value>, ClientError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.shared.state();
            if let Some(reason) = &state.closed {
                return Err(ClientError::Closed(reason.clone()));
            }
            state.pending.insert(id, tx);
        }
        if let Err(error) = self.send(&SocketPacket::event(name, args, Some(id))) {
            self.shared.state().pending.remove(&id);
            return Err(error);
        }
        match timeout(limit, rx).await {
            Ok(Ok(args)) => Ok(args),
            Ok(Err(_)) => Err(self.closed_error()),
            Err(_) => {
                self.shared.state().pending.remove(&id);
                Err(ClientError::Timeout(format!(
                    "after {limit:?} waiting for the server to acknowledge {name:?}"
                )))
            }
        }
    }

    /// Acknowledges a server event that asked for it.
    pub fn ack(&self, id: u64, args: Vec<Value>) -> Result<(), ClientError> {
        self.send(&SocketPacket::ack(id, args))
    }

    /// Disconnects (`41`, then a WebSocket close) and waits at most `limit` for it to be done.
    pub async fn close(&self, limit: Duration) {
        let (done, finished) = oneshot::channel();
        let _ = timeout(limit, async {
            if self.commands.send(Command::Close(done)).await.is_ok() {
                let _ = finished.await;
            }
        })
        .await;
    }

    fn send(&self, packet: &SocketPacket) -> Result<(), ClientError> {
        if let Some(reason) = self.shared.closed() {
            return Err(ClientError::Closed(reason));
        }
        let frame = EnginePacket::Message(packet.encode()).encode();
        match self.commands.try_send(Command::Send(frame)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => Err(ClientError::Busy),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(self.closed_error()),
        }
    }

    fn closed_error(&self) -> ClientError {
        ClientError::Closed(
            self.shared
                .closed()
                .unwrap_or_else(|| CloseReason::Transport("the connection task ended".to_owned())),
        )
    }
}

async fn connect_inner(
    url: &str,
    config: ClientConfig,
) -> Result<(Client, mpsc::Receiver<Event>), ClientError> {
    let mut request = url
        .into_client_request()
        .map_err(|e| ClientError::InvalidRequest(e.to_string()))?;
    for (name, value) in &config.headers {
        let name = HeaderName::try_from(name.as_str())
            .map_err(|e| ClientError::InvalidRequest(format!("header {name:?}: {e}")))?;
        let value = HeaderValue::try_from(value.as_str())
            .map_err(|e| ClientError::InvalidRequest(format!("header {name}: {e}")))?;
        request.headers_mut().insert(name, value);
    }
    let connector = if request.uri().scheme_str() == Some("wss") {
        let tls = match config.tls {
            Some(tls) => tls,
            None => crate::tls::default_config().map_err(ClientError::Connect)?,
        };
        Connector::Rustls(tls)
    } else {
        Connector::Plain
    };
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(config.max_message_size))
        .max_frame_size(Some(config.max_message_size));
    let (mut ws, _response) = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(ws_config),
        true,
        Some(connector),
    )
    .await
    .map_err(|e| ClientError::Connect(e.to_string()))?;

    let handshake = read_open(&mut ws).await?;
    debug!(sid = %handshake.sid, ping_interval = ?handshake.ping_interval, "engine.io session open");

    let shared = Arc::new(Shared::default());
    let (commands, command_rx) = mpsc::channel(COMMAND_BUFFER);
    let (events, event_rx) = mpsc::channel(config.event_buffer.max(1));
    let (connected, on_connected) = oneshot::channel();
    let driver = Driver {
        shared: Arc::clone(&shared),
        events,
        connected: Some(connected),
        ping_interval: handshake.ping_interval,
        ping_timeout: handshake.ping_timeout,
    };
    tokio::spawn(driver.run(ws, command_rx));
    let client = Client {
        commands,
        shared,
        next_id: AtomicU64::new(0),
        handshake,
    };
    match on_connected.await {
        Ok(Ok(())) => Ok((client, event_rx)),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(client.closed_error()),
    }
}

/// Reads up to the Engine.IO open packet, which must come first.
async fn read_open(ws: &mut Ws) -> Result<Handshake, ClientError> {
    loop {
        let frame = ws.next().await.ok_or_else(|| {
            ClientError::Closed(CloseReason::Transport(
                "the connection ended before the Engine.IO open packet".to_owned(),
            ))
        })?;
        match frame {
            Ok(Message::Text(text)) => {
                return match EnginePacket::decode(text.as_str()) {
                    Ok(EnginePacket::Open(handshake)) => Ok(handshake),
                    Ok(other) => Err(ClientError::Handshake(format!(
                        "expected the Engine.IO open packet, got {other:?}"
                    ))),
                    Err(error) => Err(ClientError::Handshake(error.to_string())),
                };
            }
            Ok(Message::Close(frame)) => {
                return Err(ClientError::Closed(CloseReason::WebSocketClosed(
                    frame.map(|f| format!("{} {}", u16::from(f.code), f.reason)),
                )));
            }
            Ok(Message::Binary(_)) => {
                return Err(ClientError::Handshake(
                    "expected the Engine.IO open packet, got a binary frame".to_owned(),
                ));
            }
            Ok(_) => continue,
            Err(error) => {
                return Err(ClientError::Closed(CloseReason::Transport(
                    error.to_string(),
                )));
            }
        }
    }
}

/// The task that owns the socket.
struct Driver {
    shared: Arc<Shared>,
    events: mpsc::Sender<Event>,
    connected: Option<oneshot::Sender<Result<(), ClientError>>>,
    ping_interval: Duration,
    ping_timeout: Duration,
}

/// What handling one frame means for the loop.
enum Step {
    Continue,
    Reply(String),
    Pong,
    End(CloseReason),
}

impl Driver {
    async fn run(mut self, ws: Ws, mut commands: mpsc::Receiver<Command>) {
        let (mut sink, mut stream) = ws.split();
        // A write the peer does not drain for this long means the connection is dead anyway.
        let write_limit = self.ping_interval + self.ping_timeout;
        let mut next_ping = Instant::now() + self.ping_interval;
        let mut pong_deadline: Option<Instant> = None;
        let mut closing: Option<oneshot::Sender<()>> = None;
        let reason = loop {
            let mut outgoing = None;
            tokio::select! {
                _ = sleep_until(next_ping), if pong_deadline.is_none() => {
                    outgoing = Some(EnginePacket::Ping(String::new()).encode());
                    pong_deadline = Some(Instant::now() + self.ping_timeout);
                }
                _ = sleep_until(pong_deadline.unwrap_or(next_ping)), if pong_deadline.is_some() => {
                    break CloseReason::PingTimeout;
                }
                command = commands.recv() => match command {
                    Some(Command::Send(frame)) => outgoing = Some(frame),
                    Some(Command::Close(done)) => {
                        closing = Some(done);
                        break CloseReason::ClientClosed;
                    }
                    None => break CloseReason::ClientClosed,
                },
                frame = stream.next() => match self.on_frame(frame) {
                    Step::Continue => {}
                    Step::Reply(frame) => outgoing = Some(frame),
                    Step::Pong => {
                        pong_deadline = None;
                        next_ping = Instant::now() + self.ping_interval;
                    }
                    Step::End(reason) => break reason,
                },
            }
            if let Some(frame) = outgoing {
                match timeout(write_limit, sink.send(Message::text(frame))).await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => break CloseReason::Transport(error.to_string()),
                    Err(_) => break CloseReason::Transport("a write timed out".to_owned()),
                }
            }
        };
        debug!(%reason, "signalling socket closing");
        // Fail every waiter before the (bounded) goodbye, so nobody waits on a dead socket.
        self.finish(&reason);
        if reason == CloseReason::ClientClosed {
            let goodbye = async {
                let disconnect = SocketPacket::Disconnect {
                    nsp: ROOT_NAMESPACE.to_owned(),
                };
                let frame = EnginePacket::Message(disconnect.encode()).encode();
                let _ = sink.send(Message::text(frame)).await;
                let _ = sink.close().await;
                // The server's close frame (or the end of the stream) says it has seen us go.
                while let Some(Ok(message)) = stream.next().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            };
            let _ = timeout(Duration::from_secs(2), goodbye).await;
        }
        if let Some(done) = closing {
            let _ = done.send(());
        }
    }

    fn finish(&mut self, reason: &CloseReason) {
        let pending = {
            let mut state = self.shared.state();
            state.closed = Some(reason.clone());
            std::mem::take(&mut state.pending)
        };
        // Dropping the senders wakes every waiter, which then reads the reason set above.
        drop(pending);
        if let Some(connected) = self.connected.take() {
            let error = match reason {
                CloseReason::Refused(why) => ClientError::Refused(Value::String(why.clone())),
                other => ClientError::Closed(other.clone()),
            };
            let _ = connected.send(Err(error));
        }
    }

    fn on_frame(
        &mut self,
        frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Step {
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                return Step::End(CloseReason::WebSocketClosed(
                    frame.map(|f| format!("{} {}", u16::from(f.code), f.reason)),
                ));
            }
            Some(Ok(Message::Binary(_))) => {
                debug!("ignoring a binary frame (attachments are not supported)");
                return Step::Continue;
            }
            Some(Ok(_)) => return Step::Continue,
            Some(Err(error)) => return Step::End(CloseReason::Transport(error.to_string())),
            None => {
                return Step::End(CloseReason::Transport(
                    "the connection ended without a close frame".to_owned(),
                ));
            }
        };
        match EnginePacket::decode(text.as_str()) {
            Ok(EnginePacket::Pong(_)) => Step::Pong,
            // Engine.IO v4 servers ping instead; answering costs nothing and keeps them happy.
            Ok(EnginePacket::Ping(data)) => Step::Reply(EnginePacket::Pong(data).encode()),
            Ok(EnginePacket::Message(payload)) => self.on_message(&payload),
            Ok(EnginePacket::Close) => Step::End(CloseReason::EngineClose),
            Ok(other) => {
                debug!(?other, "ignoring an Engine.IO packet");
                Step::Continue
            }
            Err(error) => {
                warn!(%error, "ignoring an undecodable Engine.IO frame");
                Step::Continue
            }
        }
    }

    fn on_message(&mut self, payload: &str) -> Step {
        let packet = match SocketPacket::decode(payload) {
            Ok(packet) => packet,
            Err(error) => {
                warn!(%error, "ignoring an undecodable Socket.IO packet");
                return Step::Continue;
            }
        };
        if packet.nsp() != ROOT_NAMESPACE {
            debug!(
                nsp = packet.nsp(),
                "ignoring a packet for another namespace"
            );
            return Step::Continue;
        }
        match packet {
            SocketPacket::Connect { .. } => {
                if let Some(connected) = self.connected.take() {
                    let _ = connected.send(Ok(()));
                }
                Step::Continue
            }
            SocketPacket::Disconnect { .. } => Step::End(CloseReason::ServerDisconnect),
            SocketPacket::Event { id, name, args, .. } => {
                let event = Event {
                    name,
                    args,
                    ack_id: id,
                };
                match self.events.try_send(event) {
                    Ok(()) => Step::Continue,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        Step::End(CloseReason::EventBufferFull)
                    }
                    // Nobody reads events any more; the client may still want its acks.
                    Err(mpsc::error::TrySendError::Closed(_)) => Step::Continue,
                }
            }
            SocketPacket::Ack { id, args, .. } => {
                match self.shared.state().pending.remove(&id) {
                    Some(waiter) => {
                        let _ = waiter.send(args);
                    }
                    None => debug!(id, "ignoring an ack nobody waits for"),
                }
                Step::Continue
            }
            SocketPacket::Error { data, .. } => {
                if self.connected.is_some() {
                    let why = match data {
                        Value::String(text) => text,
                        other => other.to_string(),
                    };
                    return Step::End(CloseReason::Refused(why));
                }
                warn!(%data, "the signalling server sent an error packet");
                Step::Continue
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tokio::net::TcpListener;

    type ServerWs = WebSocketStream<tokio::net::TcpStream>;

    /// Serves one WebSocket connection with `script`; returns the URL to connect to.
    async fn serve<F, Fut>(script: F) -> String
    where
        F: FnOnce(ServerWs) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let ws = tokio_tungstenite::accept_async(stream).await.unwrap();
            script(ws).await;
        });
        format!("ws://{addr}/socket.io/?EIO=3&transport=websocket")
    }

    async fn send(ws: &mut ServerWs, frame: &str) {
        ws.send(Message::text(frame)).await.unwrap();
    }

    /// The next text frame, or `None` when the client is gone.
    async fn recv(ws: &mut ServerWs) -> Option<String> {
        loop {
            match ws.next().await? {
                Ok(Message::Text(text)) => return Some(text.as_str().to_owned()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    fn open(ping_interval_ms: u64, ping_timeout_ms: u64) -> String {
        format!(
            r#"0{{"sid":"s1","upgrades":[],"pingInterval":{ping_interval_ms},"pingTimeout":{ping_timeout_ms}}}"#
        )
    }

    fn config() -> ClientConfig {
        ClientConfig::default().with_connect_timeout(Duration::from_secs(5))
    }

    async fn wait_closed(client: &Client) -> CloseReason {
        for _ in 0..500 {
            if let Some(reason) = client.close_reason() {
                return reason;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the client did not notice the end of the connection");
    }

    #[tokio::test]
    async fn events_and_acks_both_ways() {
        let (seen_tx, seen_rx) = oneshot::channel();
        let url = serve(|mut ws| async move {
            send(&mut ws, &open(10_000, 5_000)).await;
            send(&mut ws, "40").await;
            send(&mut ws, r#"42["hello",{"n":1}]"#).await;
            send(&mut ws, r#"427["question"]"#).await;
            let mut seen = Vec::new();
            for _ in 0..2 {
                let frame = recv(&mut ws).await.unwrap();
                if let Some(rest) = frame.strip_prefix(r#"420["echo","#) {
                    send(&mut ws, &format!("430[{}", rest)).await;
                }
                seen.push(frame);
            }
            let _ = seen_tx.send(seen);
            let _ = recv(&mut ws).await;
        })
        .await;
        let (client, mut events) = Client::connect(&url, config()).await.unwrap();
        assert_eq!(client.handshake().sid, "s1");
        assert_eq!(
            events.recv().await.unwrap(),
            Event {
                name: "hello".to_owned(),
                args: vec![json!({"n": 1})],
                ack_id: None
            }
        );
        let question = events.recv().await.unwrap();
        assert_eq!(question.ack_id, Some(7));
        client.ack(7, vec![json!("answer")]).unwrap();
        let answer = client
            .emit_with_ack("echo", vec![json!({"x": [1, 2]})], Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(answer, vec![json!({"x": [1, 2]})]);
        let mut seen = seen_rx.await.unwrap();
        seen.sort();
        assert_eq!(seen[0], r#"420["echo",{"x":[1,2]}]"#);
        assert_eq!(seen[1], r#"437["answer"]"#);
        client.close(Duration::from_secs(1)).await;
        assert_eq!(client.close_reason(), Some(CloseReason::ClientClosed));
        assert!(matches!(
            client.emit("late", vec![]),
            Err(ClientError::Closed(CloseReason::ClientClosed))
        ));
    }

    #[tokio::test]
    async fn pings_every_interval_and_gives_up_without_a_pong() {
        let (pings_tx, pings_rx) = oneshot::channel();
        let url = serve(|mut ws| async move {
            send(&mut ws, &open(50, 100)).await;
            send(&mut ws, "40").await;
            let mut pings = 0;
            while let Some(frame) = recv(&mut ws).await {
                if frame == "2" {
                    pings += 1;
                    // Answer the first two pings only.
                    if pings <= 2 {
                        send(&mut ws, "3").await;
                    }
                }
            }
            let _ = pings_tx.send(pings);
        })
        .await;
        let (client, _events) = Client::connect(&url, config()).await.unwrap();
        assert_eq!(wait_closed(&client).await, CloseReason::PingTimeout);
        assert_eq!(pings_rx.await.unwrap(), 3);
    }

    #[tokio::test]
    async fn a_lost_connection_fails_pending_acks_at_once() {
        let url = serve(|mut ws| async move {
            send(&mut ws, &open(10_000, 5_000)).await;
            send(&mut ws, "40").await;
            let _ = recv(&mut ws).await;
            drop(ws);
        })
        .await;
        let (client, mut events) = Client::connect(&url, config()).await.unwrap();
        let started = Instant::now();
        let error = client
            .emit_with_ack("drop", vec![json!({})], Duration::from_secs(30))
            .await
            .unwrap_err();
        assert!(matches!(error, ClientError::Closed(_)), "{error}");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(events.recv().await.is_none(), "the event stream ends too");
    }

    #[tokio::test]
    async fn server_disconnect_packet_ends_the_session() {
        let url = serve(|mut ws| async move {
            send(&mut ws, &open(10_000, 5_000)).await;
            send(&mut ws, "40").await;
            let _ = recv(&mut ws).await;
            send(&mut ws, "41").await;
            let _ = recv(&mut ws).await;
        })
        .await;
        let (client, _events) = Client::connect(&url, config()).await.unwrap();
        let error = client
            .emit_with_ack("drop", vec![], Duration::from_secs(30))
            .await
            .unwrap_err();
        assert_eq!(error, ClientError::Closed(CloseReason::ServerDisconnect));
    }

    #[tokio::test]
    async fn ack_timeout_is_reported_and_a_late_ack_ignored() {
        let url = serve(|mut ws| async move {
            send(&mut ws, &open(10_000, 5_000)).await;
            send(&mut ws, "40").await;
            let _ = recv(&mut ws).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            send(&mut ws, r#"430[{"result":0}]"#).await;
            send(&mut ws, r#"42["after"]"#).await;
            let _ = recv(&mut ws).await;
        })
        .await;
        let (client, mut events) = Client::connect(&url, config()).await.unwrap();
        let error = client
            .emit_with_ack("slow", vec![], Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ClientError::Timeout(what) if what.contains("\"slow\"")),
            "{error}"
        );
        assert_eq!(events.recv().await.unwrap().name, "after");
        assert!(!client.is_closed());
    }

    #[tokio::test]
    async fn unread_events_beyond_the_buffer_close_the_connection() {
        let url = serve(|mut ws| async move {
            send(&mut ws, &open(10_000, 5_000)).await;
            send(&mut ws, "40").await;
            for n in 0..5 {
                send(&mut ws, &format!(r#"42["tick",{n}]"#)).await;
            }
            let _ = recv(&mut ws).await;
        })
        .await;
        let (client, mut events) = Client::connect(&url, config().with_event_buffer(2))
            .await
            .unwrap();
        assert_eq!(wait_closed(&client).await, CloseReason::EventBufferFull);
        // What was buffered is still delivered, then the stream ends.
        assert_eq!(events.recv().await.unwrap().args, vec![json!(0)]);
        assert_eq!(events.recv().await.unwrap().args, vec![json!(1)]);
        assert!(events.recv().await.is_none());
    }

    #[tokio::test]
    async fn malformed_frames_are_skipped() {
        let url = serve(|mut ws| async move {
            send(&mut ws, &open(10_000, 5_000)).await;
            send(&mut ws, "40").await;
            for junk in [
                "",
                "9",
                "4",
                "4zz",
                "42[1]",
                "42[\"x\"",
                "451-[\"b\"]",
                "4/other,[\"x\"]",
                "6",
            ] {
                send(&mut ws, junk).await;
            }
            ws.send(Message::binary(vec![4u8, 1, 2])).await.unwrap();
            send(&mut ws, r#"42["fine"]"#).await;
            let _ = recv(&mut ws).await;
        })
        .await;
        let (client, mut events) = Client::connect(&url, config()).await.unwrap();
        assert_eq!(events.recv().await.unwrap().name, "fine");
        assert!(!client.is_closed());
    }

    #[tokio::test]
    async fn refused_namespace_connection() {
        let url = serve(|mut ws| async move {
            send(&mut ws, &open(10_000, 5_000)).await;
            send(&mut ws, r#"44"Not authorized""#).await;
            let _ = recv(&mut ws).await;
        })
        .await;
        let error = Client::connect(&url, config()).await.unwrap_err();
        assert_eq!(error, ClientError::Refused(json!("Not authorized")));
    }

    #[tokio::test]
    async fn the_open_packet_must_come_first() {
        let url = serve(|mut ws| async move {
            send(&mut ws, "40").await;
            let _ = recv(&mut ws).await;
        })
        .await;
        let error = Client::connect(&url, config()).await.unwrap_err();
        assert!(matches!(error, ClientError::Handshake(_)), "{error}");
    }

    #[tokio::test]
    async fn a_silent_server_times_the_connect_out() {
        let url = serve(|mut ws| async move {
            send(&mut ws, &open(10_000, 5_000)).await;
            let _ = recv(&mut ws).await;
        })
        .await;
        let config = ClientConfig::default().with_connect_timeout(Duration::from_millis(200));
        let error = Client::connect(&url, config).await.unwrap_err();
        assert!(matches!(error, ClientError::Timeout(_)), "{error}");
    }

    #[tokio::test]
    async fn unreachable_and_invalid_urls() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let error = Client::connect(&format!("ws://{addr}/socket.io/"), config())
            .await
            .unwrap_err();
        assert!(matches!(error, ClientError::Connect(_)), "{error}");
        let error = Client::connect("not a url", config()).await.unwrap_err();
        assert!(matches!(error, ClientError::InvalidRequest(_)), "{error}");
        let bad_header = config().with_header("X-Bad", "line\nbreak");
        let error = Client::connect(&format!("ws://{addr}/"), bad_header)
            .await
            .unwrap_err();
        assert!(matches!(error, ClientError::InvalidRequest(_)), "{error}");
    }
}
