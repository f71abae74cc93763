//! Interop: the signalling client against the reference Socket.IO 2 server from npm (`socket.io@2`,
//! Engine.IO 3), run by node from `tests/interop/server.js`.
//!
//! Setup: if `tests/interop/node_modules` is missing, the test runs `npm ci` (or `npm install`) there.
//! Without node or npm the test is skipped with a loud message, unless the `CI` environment variable
//! is set: then it fails, so CI never passes without running it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap (helpers included)

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;

use room_moderator_node_interop::NodeProject;
use socketio2_client::{Client, ClientConfig, CloseReason, Event};

const WAIT: Duration = Duration::from_secs(10);

fn node() -> NodeProject {
    NodeProject::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop"),
        "socket.io",
        "Socket.IO 2 interop test of socketio2-client",
    )
}

/// Starts the server; returns it and its port.
async fn start_server() -> (Child, u16) {
    let mut child = node()
        .node(&["server.js"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start node");
    let stdout = child.stdout.take().expect("node stdout");
    let line = timeout(WAIT, BufReader::new(stdout).lines().next_line())
        .await
        .expect("node printed its port in time")
        .expect("read node's stdout")
        .expect("node printed a line");
    let port = serde_json::from_str::<Value>(&line).expect("a JSON line")["port"]
        .as_u64()
        .expect("a port") as u16;
    (child, port)
}

async fn next_event(events: &mut Receiver<Event>) -> Event {
    timeout(WAIT, events.recv())
        .await
        .expect("an event in time")
        .expect("the connection is open")
}

#[tokio::test]
async fn speaks_socket_io_2_with_the_reference_server() {
    if !node().ready().await {
        return;
    }
    let (_server, port) = start_server().await;
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=3&transport=websocket");

    // Connect: Engine.IO v3 open packet, then the root namespace's `40`.
    let (client, mut events) = Client::connect(&url, ClientConfig::default())
        .await
        .expect("connected");
    assert_eq!(client.handshake().ping_interval, Duration::from_millis(200));
    assert_eq!(client.handshake().ping_timeout, Duration::from_millis(5000));

    // A server-initiated event.
    let welcome = next_event(&mut events).await;
    assert_eq!(welcome.name, "welcome");
    assert_eq!(
        welcome.args,
        vec![json!({"eio": "3", "transport": "websocket"})]
    );

    // An event with an ack, several arguments of several types.
    let args = vec![
        json!({"a": [1, 2, {"b": null}]}),
        json!("two"),
        json!(3.5),
        json!(true),
    ];
    let answer = client
        .emit_with_ack("echo", args.clone(), WAIT)
        .await
        .expect("echo acknowledged");
    assert_eq!(answer, args);

    // Keep-alive: the client pings every pingInterval by itself. The server acknowledges once it
    // has counted three pings; nothing here depends on how fast this machine is, only that three
    // pings arrive within WAIT (they are due every 200 ms).
    let counted = client
        .emit_with_ack("await-pings", vec![json!(3)], WAIT)
        .await
        .expect("three pings counted by the server");
    let pings = counted[0]["pings"].as_u64().expect("a ping count");
    assert!(pings >= 3, "the server counted {pings} pings");
    assert_eq!(client.close_reason(), None, "still connected");

    // A server event asking for an ack; the ack reaches the server.
    client.emit("ask", vec![]).expect("ask sent");
    let question = next_event(&mut events).await;
    assert_eq!(question.name, "question");
    assert_eq!(question.args, vec![json!("ping?")]);
    let id = question.ack_id.expect("the server asked for an ack");
    client.ack(id, vec![json!("pong!")]).expect("ack sent");
    let answered = next_event(&mut events).await;
    assert_eq!(answered.name, "answered");
    assert_eq!(answered.args, vec![json!("pong!")]);

    // A server-side disconnect ends the session and fails later emits at once.
    client.emit("bye", vec![]).expect("bye sent");
    assert!(
        timeout(WAIT, async { while events.recv().await.is_some() {} })
            .await
            .is_ok(),
        "the event stream ends"
    );
    assert_eq!(client.close_reason(), Some(CloseReason::ServerDisconnect));
    assert!(client.emit_with_ack("echo", vec![], WAIT).await.is_err());
}
