//! Engine.IO v3 and Socket.IO protocol v4 packets as Socket.IO 2.x frames them over WebSocket.
//!
//! Over the WebSocket transport every text frame is one Engine.IO packet: a type digit followed by its
//! data (`0{..}` open, `1` close, `2` ping, `3` pong, `4<socket.io packet>` message, `5` upgrade,
//! `6` noop). A Socket.IO packet is `<type>[<nsp>,][<ack id>][<json>]`: `0` connect, `1` disconnect,
//! `2` event, `3` ack, `4` error; the binary types `5` / `6` carry attachments in later frames, which
//! this client does not support, so they are reported as unsupported (EnableX, its first user, sends none).
//!
//! Sources: the engine.io-protocol v3 and socket.io-protocol v4 specifications, and socket.io-parser
//! 3.x (what Socket.IO 2.x servers run). Decoding never panics: every malformed input is a
//! [`PacketError`].

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// The root namespace, the only one this client speaks.
pub const ROOT_NAMESPACE: &str = "/";

/// Longest ping interval or timeout accepted from a server; longer values are clamped, so a bogus
/// handshake cannot switch keep-alive off.
const MAX_KEEPALIVE: Duration = Duration::from_secs(600);

/// Why a frame could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketError {
    /// The frame was empty.
    Empty,
    /// The Engine.IO packet type is not one of `0`..=`6`.
    UnknownEngineType(char),
    /// The Socket.IO packet type is not one of `0`..=`6`.
    UnknownSocketType(char),
    /// The open packet's handshake is not the expected JSON.
    BadHandshake(String),
    /// The acknowledgement id is not a number that fits in 64 bits.
    BadAckId,
    /// The payload is not valid JSON.
    BadJson(String),
    /// An event's payload is not an array starting with the event name.
    NotAnEvent,
    /// An ack packet without an ack id.
    MissingAckId,
    /// A binary event or ack (types `5`, `6`): attachments are not supported.
    BinaryUnsupported,
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketError::Empty => f.write_str("empty frame"),
            PacketError::UnknownEngineType(c) => write!(f, "unknown Engine.IO packet type {c:?}"),
            PacketError::UnknownSocketType(c) => write!(f, "unknown Socket.IO packet type {c:?}"),
            PacketError::BadHandshake(why) => write!(f, "bad Engine.IO handshake: {why}"),
            PacketError::BadAckId => f.write_str("bad acknowledgement id"),
            PacketError::BadJson(why) => write!(f, "bad JSON payload: {why}"),
            PacketError::NotAnEvent => {
                f.write_str("event payload is not an array starting with the event name")
            }
            PacketError::MissingAckId => f.write_str("ack packet without an id"),
            PacketError::BinaryUnsupported => {
                f.write_str("binary Socket.IO packets (attachments) are not supported")
            }
        }
    }
}

impl std::error::Error for PacketError {}

/// The server's Engine.IO v3 open packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handshake {
    /// Engine.IO session id.
    pub sid: String,
    /// How often the CLIENT must ping (Engine.IO v3: the client pings, the server pongs).
    pub ping_interval: Duration,
    /// How long to wait for the pong before the connection counts as lost.
    pub ping_timeout: Duration,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHandshake {
    sid: String,
    ping_interval: u64,
    ping_timeout: u64,
}

impl Handshake {
    fn parse(json: &str) -> Result<Handshake, PacketError> {
        let raw: RawHandshake =
            serde_json::from_str(json).map_err(|e| PacketError::BadHandshake(e.to_string()))?;
        if raw.ping_interval == 0 || raw.ping_timeout == 0 {
            return Err(PacketError::BadHandshake(
                "pingInterval and pingTimeout must be positive".to_owned(),
            ));
        }
        let clamp = |ms: u64| Duration::from_millis(ms).min(MAX_KEEPALIVE);
        Ok(Handshake {
            sid: raw.sid,
            ping_interval: clamp(raw.ping_interval),
            ping_timeout: clamp(raw.ping_timeout),
        })
    }
}

/// One Engine.IO v3 packet (one WebSocket text frame).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnginePacket {
    /// `0`: the server's handshake.
    Open(Handshake),
    /// `1`: the peer closes the connection.
    Close,
    /// `2`: ping, with optional data (`2probe` during upgrades).
    Ping(String),
    /// `3`: pong, echoing the ping's data.
    Pong(String),
    /// `4`: a Socket.IO packet, still encoded.
    Message(String),
    /// `5`: transport upgrade (unused on a WebSocket-only connection).
    Upgrade,
    /// `6`: no-op.
    Noop,
}

impl EnginePacket {
    /// Decodes one text frame.
    pub fn decode(frame: &str) -> Result<EnginePacket, PacketError> {
        let mut chars = frame.chars();
        let kind = chars.next().ok_or(PacketError::Empty)?;
        let data = chars.as_str();
        Ok(match kind {
            '0' => EnginePacket::Open(Handshake::parse(data)?),
            '1' => EnginePacket::Close,
            '2' => EnginePacket::Ping(data.to_owned()),
            '3' => EnginePacket::Pong(data.to_owned()),
            '4' => EnginePacket::Message(data.to_owned()),
            '5' => EnginePacket::Upgrade,
            '6' => EnginePacket::Noop,
            other => return Err(PacketError::UnknownEngineType(other)),
        })
    }

    /// Encodes the packet as one text frame. (`Open` is server-only and encodes its ping settings for
    /// tests.)
    pub fn encode(&self) -> String {
        match self {
            EnginePacket::Open(handshake) => format!(
                "0{}",
                serde_json::json!({
                    "sid": handshake.sid,
                    "upgrades": [],
                    "pingInterval": handshake.ping_interval.as_millis() as u64,
                    "pingTimeout": handshake.ping_timeout.as_millis() as u64,
                })
            ),
            EnginePacket::Close => "1".to_owned(),
            EnginePacket::Ping(data) => format!("2{data}"),
            EnginePacket::Pong(data) => format!("3{data}"),
            EnginePacket::Message(data) => format!("4{data}"),
            EnginePacket::Upgrade => "5".to_owned(),
            EnginePacket::Noop => "6".to_owned(),
        }
    }
}

/// One Socket.IO protocol v4 packet (the payload of an Engine.IO message).
#[derive(Clone, Debug, PartialEq)]
pub enum SocketPacket {
    /// `0`: connected to (server) or connect to (client) a namespace.
    Connect {
        /// The namespace, `/` by default.
        nsp: String,
    },
    /// `1`: disconnected from a namespace.
    Disconnect {
        /// The namespace.
        nsp: String,
    },
    /// `2`: an event, `["name", args..]`, optionally asking for an ack.
    Event {
        /// The namespace.
        nsp: String,
        /// Set when the sender wants an acknowledgement with this id.
        id: Option<u64>,
        /// The event name.
        name: String,
        /// The arguments after the name.
        args: Vec<Value>,
    },
    /// `3`: the acknowledgement of event `id`.
    Ack {
        /// The namespace.
        nsp: String,
        /// The id of the acknowledged event.
        id: u64,
        /// The acknowledgement's arguments.
        args: Vec<Value>,
    },
    /// `4`: an error, e.g. a refused namespace connection.
    Error {
        /// The namespace.
        nsp: String,
        /// Whatever the server sent (usually a string).
        data: Value,
    },
}

impl SocketPacket {
    /// An event on the root namespace.
    pub fn event(name: impl Into<String>, args: Vec<Value>, id: Option<u64>) -> Self {
        SocketPacket::Event {
            nsp: ROOT_NAMESPACE.to_owned(),
            id,
            name: name.into(),
            args,
        }
    }

    /// An ack on the root namespace.
    pub fn ack(id: u64, args: Vec<Value>) -> Self {
        SocketPacket::Ack {
            nsp: ROOT_NAMESPACE.to_owned(),
            id,
            args,
        }
    }

    /// The packet's namespace.
    pub fn nsp(&self) -> &str {
        match self {
            SocketPacket::Connect { nsp }
            | SocketPacket::Disconnect { nsp }
            | SocketPacket::Event { nsp, .. }
            | SocketPacket::Ack { nsp, .. }
            | SocketPacket::Error { nsp, .. } => nsp,
        }
    }

    /// Decodes the payload of an Engine.IO message.
    pub fn decode(payload: &str) -> Result<SocketPacket, PacketError> {
        let mut chars = payload.chars();
        let kind = chars.next().ok_or(PacketError::Empty)?;
        let rest = chars.as_str();
        if matches!(kind, '5' | '6') {
            return Err(PacketError::BinaryUnsupported);
        }
        if !matches!(kind, '0'..='4') {
            return Err(PacketError::UnknownSocketType(kind));
        }
        let (nsp, rest) = split_namespace(rest);
        let (id, rest) = split_id(rest)?;
        let data = if rest.is_empty() {
            None
        } else {
            Some(
                serde_json::from_str::<Value>(rest)
                    .map_err(|e| PacketError::BadJson(e.to_string()))?,
            )
        };
        Ok(match kind {
            '0' => SocketPacket::Connect { nsp },
            '1' => SocketPacket::Disconnect { nsp },
            '2' => {
                let Some(Value::Array(mut items)) = data else {
                    return Err(PacketError::NotAnEvent);
                };
                if items.is_empty() {
                    return Err(PacketError::NotAnEvent);
                }
                let Value::String(name) = items.remove(0) else {
                    return Err(PacketError::NotAnEvent);
                };
                SocketPacket::Event {
                    nsp,
                    id,
                    name,
                    args: items,
                }
            }
            '3' => {
                let id = id.ok_or(PacketError::MissingAckId)?;
                let args = match data {
                    None => Vec::new(),
                    Some(Value::Array(items)) => items,
                    Some(_) => {
                        return Err(PacketError::BadJson(
                            "ack payload is not an array".to_owned(),
                        ));
                    }
                };
                SocketPacket::Ack { nsp, id, args }
            }
            _ => SocketPacket::Error {
                nsp,
                data: data.unwrap_or(Value::Null),
            },
        })
    }

    /// Encodes the packet as an Engine.IO message payload (without the leading `4`).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let (kind, id, data) = match self {
            SocketPacket::Connect { .. } => ('0', None, None),
            SocketPacket::Disconnect { .. } => ('1', None, None),
            SocketPacket::Event { id, name, args, .. } => {
                let mut items = Vec::with_capacity(args.len() + 1);
                items.push(Value::String(name.clone()));
                items.extend(args.iter().cloned());
                ('2', *id, Some(Value::Array(items)))
            }
            SocketPacket::Ack { id, args, .. } => {
                ('3', Some(*id), Some(Value::Array(args.clone())))
            }
            SocketPacket::Error { data, .. } => ('4', None, Some(data.clone())),
        };
        out.push(kind);
        let nsp = self.nsp();
        if nsp != ROOT_NAMESPACE && !nsp.is_empty() {
            out.push_str(nsp);
            out.push(',');
        }
        if let Some(id) = id {
            out.push_str(&id.to_string());
        }
        if let Some(data) = data {
            out.push_str(&data.to_string());
        }
        out
    }
}

/// `"/chat,rest"` -> (`"/chat"`, `"rest"`); anything not starting with `/` is on the root namespace.
fn split_namespace(rest: &str) -> (String, &str) {
    if !rest.starts_with('/') {
        return (ROOT_NAMESPACE.to_owned(), rest);
    }
    match rest.split_once(',') {
        Some((nsp, rest)) => (nsp.to_owned(), rest),
        None => (rest.to_owned(), ""),
    }
}

/// Leading ASCII digits are the ack id.
fn split_id(rest: &str) -> Result<(Option<u64>, &str), PacketError> {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Ok((None, rest));
    }
    // `digits` counts ASCII bytes, so it is a char boundary.
    let (id, rest) = rest.split_at(digits);
    let id = id.parse::<u64>().map_err(|_| PacketError::BadAckId)?;
    Ok((Some(id), rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn open_packet_carries_the_keepalive_settings() {
        let packet = EnginePacket::decode(
            r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":5000}"#,
        )
        .unwrap();
        assert_eq!(
            packet,
            EnginePacket::Open(Handshake {
                sid: "abc".to_owned(),
                ping_interval: Duration::from_secs(25),
                ping_timeout: Duration::from_secs(5),
            })
        );
    }

    #[test]
    fn open_packet_round_trips() {
        let open = EnginePacket::Open(Handshake {
            sid: "s".to_owned(),
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
        });
        assert_eq!(EnginePacket::decode(&open.encode()).unwrap(), open);
    }

    #[test]
    fn bad_handshakes_are_errors() {
        for frame in [
            "0",
            "0{}",
            "0not json",
            r#"0{"sid":"a","pingInterval":0,"pingTimeout":5}"#,
            r#"0{"sid":"a","pingInterval":-1,"pingTimeout":5}"#,
            r#"0{"sid":1,"pingInterval":1,"pingTimeout":5}"#,
        ] {
            assert!(
                matches!(
                    EnginePacket::decode(frame),
                    Err(PacketError::BadHandshake(_))
                ),
                "{frame}"
            );
        }
    }

    #[test]
    fn huge_keepalive_values_are_clamped() {
        let Ok(EnginePacket::Open(handshake)) = EnginePacket::decode(
            r#"0{"sid":"a","pingInterval":18446744073709551615,"pingTimeout":99999999}"#,
        ) else {
            panic!("expected an open packet");
        };
        assert_eq!(handshake.ping_interval, MAX_KEEPALIVE);
        assert_eq!(handshake.ping_timeout, MAX_KEEPALIVE);
    }

    #[test]
    fn engine_packets_round_trip() {
        for packet in [
            EnginePacket::Close,
            EnginePacket::Ping(String::new()),
            EnginePacket::Ping("probe".to_owned()),
            EnginePacket::Pong(String::new()),
            EnginePacket::Message("2[\"x\"]".to_owned()),
            EnginePacket::Upgrade,
            EnginePacket::Noop,
        ] {
            assert_eq!(EnginePacket::decode(&packet.encode()).unwrap(), packet);
        }
        assert_eq!(EnginePacket::Ping(String::new()).encode(), "2");
        assert_eq!(EnginePacket::Pong(String::new()).encode(), "3");
    }

    #[test]
    fn engine_decode_rejects_empty_and_unknown_types() {
        assert_eq!(EnginePacket::decode(""), Err(PacketError::Empty));
        assert_eq!(
            EnginePacket::decode("7"),
            Err(PacketError::UnknownEngineType('7'))
        );
        assert_eq!(
            EnginePacket::decode("é"),
            Err(PacketError::UnknownEngineType('é'))
        );
    }

    #[test]
    fn event_with_and_without_ack_id() {
        assert_eq!(
            SocketPacket::decode(r#"2["room-connected",{"clientId":"c1"}]"#).unwrap(),
            SocketPacket::event("room-connected", vec![json!({"clientId": "c1"})], None)
        );
        assert_eq!(
            SocketPacket::decode(r#"212["token",{"a":1}]"#).unwrap(),
            SocketPacket::event("token", vec![json!({"a": 1})], Some(12))
        );
    }

    #[test]
    fn encodes_exactly_what_socket_io_2_sends() {
        assert_eq!(
            SocketPacket::event("drop", vec![json!({"all": false})], Some(3)).encode(),
            r#"23["drop",{"all":false}]"#
        );
        assert_eq!(
            SocketPacket::event("hello", vec![], None).encode(),
            r#"2["hello"]"#
        );
        assert_eq!(
            SocketPacket::ack(7, vec![json!({"result": 0})]).encode(),
            r#"37[{"result":0}]"#
        );
        assert_eq!(
            SocketPacket::Connect {
                nsp: "/".to_owned()
            }
            .encode(),
            "0"
        );
        assert_eq!(
            SocketPacket::Disconnect {
                nsp: "/".to_owned()
            }
            .encode(),
            "1"
        );
        assert_eq!(
            SocketPacket::Connect {
                nsp: "/admin".to_owned()
            }
            .encode(),
            "0/admin,"
        );
    }

    #[test]
    fn socket_packets_round_trip() {
        for packet in [
            SocketPacket::Connect {
                nsp: "/".to_owned(),
            },
            SocketPacket::Disconnect {
                nsp: "/x".to_owned(),
            },
            SocketPacket::event("e", vec![json!(1), json!("two"), json!(null)], Some(0)),
            SocketPacket::Event {
                nsp: "/chat".to_owned(),
                id: Some(u64::MAX),
                name: "é".to_owned(),
                args: vec![],
            },
            SocketPacket::ack(42, vec![]),
            SocketPacket::Error {
                nsp: "/".to_owned(),
                data: json!("Not authorized"),
            },
        ] {
            assert_eq!(SocketPacket::decode(&packet.encode()).unwrap(), packet);
        }
    }

    #[test]
    fn namespaces_are_read_up_to_the_comma() {
        assert_eq!(
            SocketPacket::decode(r#"2/chat,5["m"]"#).unwrap(),
            SocketPacket::Event {
                nsp: "/chat".to_owned(),
                id: Some(5),
                name: "m".to_owned(),
                args: vec![]
            }
        );
        assert_eq!(
            SocketPacket::decode("0/chat").unwrap(),
            SocketPacket::Connect {
                nsp: "/chat".to_owned()
            }
        );
        assert_eq!(
            SocketPacket::decode(r#"4"Invalid namespace""#).unwrap(),
            SocketPacket::Error {
                nsp: "/".to_owned(),
                data: json!("Invalid namespace")
            }
        );
    }

    #[test]
    fn acks_accept_missing_data_but_need_an_id() {
        assert_eq!(
            SocketPacket::decode("31").unwrap(),
            SocketPacket::ack(1, vec![])
        );
        assert_eq!(SocketPacket::decode("3[]"), Err(PacketError::MissingAckId));
        assert!(matches!(
            SocketPacket::decode(r#"31{"result":0}"#),
            Err(PacketError::BadJson(_))
        ));
    }

    #[test]
    fn malformed_socket_packets_are_errors_not_panics() {
        let cases: &[(&str, PacketError)] = &[
            ("", PacketError::Empty),
            ("9", PacketError::UnknownSocketType('9')),
            ("x", PacketError::UnknownSocketType('x')),
            ("2", PacketError::NotAnEvent),
            ("2[]", PacketError::NotAnEvent),
            ("2[1,2]", PacketError::NotAnEvent),
            (r#"2{"a":1}"#, PacketError::NotAnEvent),
            ("299999999999999999999999[\"x\"]", PacketError::BadAckId),
            (
                r#"51-["x",{"_placeholder":true,"num":0}]"#,
                PacketError::BinaryUnsupported,
            ),
            ("6", PacketError::BinaryUnsupported),
        ];
        for (input, expected) in cases {
            assert_eq!(
                &SocketPacket::decode(input).unwrap_err(),
                expected,
                "{input}"
            );
        }
        for input in ["2[\"x\"", "2[\"x\"]]", "3\u{0}", "2é", "2/ns,é"] {
            assert!(
                matches!(SocketPacket::decode(input), Err(PacketError::BadJson(_))),
                "{input}"
            );
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // An exhaustive sweep over every 3-character input built from the characters that steer
        // the parser.
        let alphabet = [
            '0', '2', '3', '4', '9', '/', ',', '[', ']', '"', '{', '}', 'é', '-',
        ];
        let mut input = String::new();
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    input.clear();
                    input.extend([a, b, c]);
                    let _ = SocketPacket::decode(&input);
                    let _ = EnginePacket::decode(&input);
                }
            }
        }
    }
}
