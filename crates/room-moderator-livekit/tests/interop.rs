//! Interop: the official LiveKit server SDK for Node (`livekit-server-sdk` from npm, run by node
//! from `tests/interop/client.mjs`) drives the LiveKit emulator — list, remove, an absent identity,
//! a wrong secret — and checks this crate's join tokens with its `TokenVerifier`; the emulator then
//! admits a join token the SDK minted. The SDK's `WebhookReceiver` (`tests/interop/webhook.mjs`)
//! also verifies and decodes the webhooks the emulator posts, and refuses them altered or checked
//! with another secret.
//!
//! Setup: if `tests/interop/node_modules` is missing, the test runs `npm ci` there. Without node or
//! npm the test is skipped with a loud message, unless the `CI` environment variable is set: then
//! it fails, so CI never passes without running it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use room_moderator_core::{Adapter, RoomId, TokenOptions, UserId};
use room_moderator_emulator::livekit::{LiveKitConfig, LiveKitEmulator, ParticipantKind};
use room_moderator_livekit::LiveKitBuilder;
use room_moderator_node_interop::NodeProject;
use serde_json::{Value, json};

const ROOM: &str = "interop";

fn node() -> NodeProject {
    NodeProject::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop"),
        "livekit-server-sdk",
        "LiveKit interop test of room-moderator-livekit",
    )
}

#[tokio::test]
async fn the_official_node_sdk_drives_the_emulator_and_accepts_our_tokens() {
    if !node().ready().await {
        return;
    }
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let livekit = LiveKitEmulator::start(LiveKitConfig::default(), any)
        .await
        .unwrap();
    livekit.seed_room(ROOM, ["alice", "troll"]);
    livekit.seed_participant(ROOM, "agent-1", ParticipantKind::Agent);
    let adapter = LiveKitBuilder::new(livekit.url(), livekit.api_key(), livekit.api_secret())
        .build()
        .unwrap();
    let ours = adapter
        .issue_token(
            &RoomId::new(ROOM),
            &UserId::new("carol"),
            &TokenOptions::new()
                .with_name("Carol")
                .with_metadata("{\"seat\":3}")
                .with_attribute("team", "red")
                .with_capability("canSubscribe"),
        )
        .await
        .unwrap();

    let output = tokio::time::timeout(
        Duration::from_secs(60),
        node()
            .node(&["client.mjs"])
            .env("LIVEKIT_URL", livekit.url().replace("http://", "ws://"))
            .env("LIVEKIT_API_KEY", livekit.api_key())
            .env("LIVEKIT_API_SECRET", livekit.api_secret())
            .env("ROOM", ROOM)
            .env("OUR_TOKEN", ours.secret())
            .output(),
    )
    .await
    .expect("node finishes within a minute")
    .expect("node runs");
    assert!(
        output.status.success(),
        "client.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");

    // The SDK decoded the emulator's protojson: identities, names and kinds (AGENT = 4).
    let kinds: Vec<(String, i64)> = seen["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["identity"].as_str().unwrap().to_owned(),
                p["kind"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("alice".to_owned(), 0),
            ("troll".to_owned(), 0),
            ("agent-1".to_owned(), 4)
        ]
    );
    assert_eq!(seen["after"], json!(["alice", "agent-1"]));
    assert_eq!(seen["absent"], json!({"status": 404, "code": "not_found"}));
    assert_eq!(
        seen["unknownRoom"],
        json!({"status": 404, "code": "not_found"})
    );
    // A wrong secret: the middleware's text/plain 401, which the SDK reads without a code.
    assert_eq!(seen["wrongSecret"], json!({"status": 401, "code": null}));
    let removals = livekit.removals();
    assert!(
        removals.iter().all(|r| !r.protobuf),
        "the Node SDK sends JSON"
    );
    assert_eq!(removals.len(), 2);

    // Our join token, verified by the SDK's TokenVerifier (signature, issuer, exp).
    let claims = &seen["claims"];
    assert_eq!(claims["sub"], "carol");
    assert_eq!(claims["iss"], livekit.api_key());
    assert_eq!(claims["name"], "Carol");
    assert_eq!(claims["metadata"], "{\"seat\":3}");
    assert_eq!(claims["attributes"], json!({"team": "red"}));
    assert_eq!(
        claims["video"],
        json!({"roomJoin": true, "room": ROOM, "canPublish": false, "canSubscribe": true,
               "canPublishData": false})
    );
    assert_eq!(seen["ourTokenRejectedWithWrongSecret"], true);

    // The SDK's own join token is admitted by the emulator; so is ours.
    livekit
        .join_with_token(seen["sdkToken"].as_str().unwrap())
        .unwrap();
    livekit.join_with_token(ours.secret()).unwrap();
    assert_eq!(
        livekit.members(ROOM).unwrap(),
        ["agent-1", "alice", "bob", "carol"]
    );
}

/// Reads one HTTP/1.1 request (headers, then `Content-Length` bytes) and answers 200.
async fn capture_one(socket: &mut tokio::net::TcpStream) -> (String, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_len, body_len) = loop {
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the request ended early");
        bytes.extend_from_slice(&chunk[..n]);
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..at]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
            break (at + 4, length);
        }
    };
    while bytes.len() < head_len + body_len {
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the body ended early");
        bytes.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&bytes[..head_len]).to_string();
    let auth = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                .map(|(_, value)| value.trim().to_owned())
        })
        .expect("an Authorization header");
    let body = String::from_utf8(bytes[head_len..head_len + body_len].to_vec()).unwrap();
    socket
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    (body, auth)
}

#[tokio::test]
async fn the_official_node_webhook_receiver_accepts_the_emulators_webhooks() {
    if !node().ready().await {
        return;
    }
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let livekit = LiveKitEmulator::start(LiveKitConfig::self_hosted(), any)
        .await
        .unwrap();
    let url = format!("http://{}/", receiver.local_addr().unwrap());
    livekit
        .callbacks()
        .set_url(Some(
            room_moderator_emulator::callbacks::Url::parse(&url).unwrap(),
        ))
        .unwrap();
    livekit.seed_room(ROOM, ["troll"]);
    livekit.seed_participant(ROOM, "agent-1", ParticipantKind::Agent);
    let mut captured = Vec::new();
    for _ in 0..2 {
        let (mut socket, _) = tokio::time::timeout(Duration::from_secs(10), receiver.accept())
            .await
            .expect("a webhook within 10 s")
            .unwrap();
        let (body, auth) = tokio::time::timeout(Duration::from_secs(10), capture_one(&mut socket))
            .await
            .expect("the whole request within 10 s");
        captured.push(json!({ "body": body, "auth": auth }));
    }

    let mut node = node()
        .node(&["webhook.mjs"])
        .env("LIVEKIT_API_KEY", livekit.api_key())
        .env("LIVEKIT_API_SECRET", livekit.api_secret())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    {
        use tokio::io::AsyncWriteExt as _;
        let mut stdin = node.stdin.take().unwrap();
        stdin
            .write_all(Value::Array(captured).to_string().as_bytes())
            .await
            .unwrap();
    }
    let output = tokio::time::timeout(Duration::from_secs(60), node.wait_with_output())
        .await
        .expect("node finishes within a minute")
        .unwrap();
    assert!(
        output.status.success(),
        "webhook.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    let seen = seen.as_array().unwrap();
    assert_eq!(seen.len(), 2);
    // Verified (HS256, issuer, exp, the body's sha256) and decoded into WebhookEvent.
    let troll = &seen[0]["asSent"];
    assert_eq!(troll["ok"], true, "{troll}");
    assert_eq!(troll["event"], "participant_joined");
    assert_eq!(troll["room"], ROOM);
    assert_eq!(troll["identity"], "troll");
    assert!(troll["id"].as_str().unwrap().starts_with("EV_"));
    assert_eq!(seen[1]["asSent"]["identity"], "agent-1");
    for result in seen {
        assert_eq!(result["asSent"]["ok"], true, "{result}");
        assert_eq!(result["wrongSecret"]["ok"], false, "{result}");
    }
    // An altered body no longer matches the token's sha256.
    assert_eq!(seen[0]["altered"]["ok"], false, "{}", seen[0]);
}
