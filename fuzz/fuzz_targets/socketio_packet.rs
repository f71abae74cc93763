//! Engine.IO 3 / Socket.IO 2 frames as a server sends them: any text decodes without panicking, and a
//! decoded packet encodes to a frame that decodes to the same packet (what the client sends back is
//! what it read).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use socketio2_client::{EnginePacket, SocketPacket};

/// JSON equality, with floats equal when they agree to 12 significant digits: serde_json's default
/// float parsing is not correctly rounded, so `1.7377777e119` may come back one unit off in the last
/// place (found by this target; not a fault of the packet code).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            _ if x == y => true,
            (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

fn same_args(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_json(x, y))
}

/// The packets are the same, up to float precision in their arguments.
fn same_packet(a: &SocketPacket, b: &SocketPacket) -> bool {
    match (a, b) {
        (
            SocketPacket::Event {
                nsp,
                id,
                name,
                args,
            },
            SocketPacket::Event {
                nsp: nsp2,
                id: id2,
                name: name2,
                args: args2,
            },
        ) => nsp == nsp2 && id == id2 && name == name2 && same_args(args, args2),
        (
            SocketPacket::Ack { nsp, id, args },
            SocketPacket::Ack {
                nsp: nsp2,
                id: id2,
                args: args2,
            },
        ) => nsp == nsp2 && id == id2 && same_args(args, args2),
        _ => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(packet) = EnginePacket::decode(frame) else {
        return;
    };
    if !matches!(packet, EnginePacket::Open(_)) {
        let again = EnginePacket::decode(&packet.encode());
        assert_eq!(
            again.as_ref(),
            Ok(&packet),
            "Engine.IO round trip of {frame:?}"
        );
    }
    let EnginePacket::Message(payload) = packet else {
        return;
    };
    let Ok(socket) = SocketPacket::decode(&payload) else {
        return;
    };
    // An error packet's data is free-form (a bare number there reads as an ack id), so only the
    // packets the client answers or acts on must round-trip.
    if !matches!(socket, SocketPacket::Error { .. }) {
        let encoded = socket.encode();
        let again = SocketPacket::decode(&encoded);
        assert!(
            again
                .as_ref()
                .is_ok_and(|again| same_packet(again, &socket)),
            "Socket.IO round trip of {payload:?} via {encoded:?}: {again:?}"
        );
    }
});
