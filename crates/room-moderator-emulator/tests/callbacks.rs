//! The emulators' signed "user joined / left" callbacks, captured by a receiver on loopback and
//! checked against the documented signatures with hashes computed here, independently of the
//! emulator's own code: sha1 of the sorted ZEGO values, LiveKit's HS256 JWT with the body's
//! SHA-256, Agora's HMAC-SHA1/SHA256 of the raw body, Agora Chat's md5 `security`.
//!
//! No test sleeps: each waits on the capture channel with a timeout. That nothing was posted for a
//! refused join is shown by posting something else after it and seeing that arrive first (one
//! worker per provider posts in order).

#![cfg(all(feature = "zego", feature = "livekit", feature = "agora"))]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use md5::Md5;
use room_moderator_emulator::livekit::{LiveKitConfig, LiveKitEmulator};
use room_moderator_emulator::zego::ZegoCallbackStyle;
use room_moderator_emulator::zego::callback::{TimestampUnit, ValueStyle};
use room_moderator_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use tokio::sync::mpsc;

/// One captured callback.
#[derive(Debug)]
struct Hook {
    provider: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Hook {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
}

#[derive(Clone)]
struct Capture {
    tx: mpsc::UnboundedSender<Hook>,
    /// Statuses to answer first (then 200).
    answers: Arc<Mutex<VecDeque<u16>>>,
}

async fn hook(
    State(capture): State<Capture>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let status = capture.answers.lock().unwrap().pop_front().unwrap_or(200);
    let _ = capture.tx.send(Hook {
        provider,
        headers,
        body,
    });
    (StatusCode::from_u16(status).unwrap(), "{}")
}

struct Receiver {
    url: url::Url,
    rx: mpsc::UnboundedReceiver<Hook>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let (tx, rx) = mpsc::unbounded_channel();
        let answers = Arc::new(Mutex::new(VecDeque::new()));
        let router = axum::Router::new()
            .route("/hooks/webhooks/{provider}", post(hook))
            .with_state(Capture {
                tx,
                answers: Arc::clone(&answers),
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver {
            url: url::Url::parse(&format!("http://{addr}/hooks")).unwrap(),
            rx,
            answers,
        }
    }

    async fn next(&mut self) -> Hook {
        tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
            .await
            .expect("a callback within 10 s")
            .expect("the receiver is running")
    }
}

async fn emulator(receiver: &Receiver, livekit: LiveKitConfig) -> Emulator {
    let mut config = EmulatorConfig::default();
    config.livekit = livekit;
    config.callbacks = Some(receiver.url.clone());
    Emulator::start_with(config).await.unwrap()
}

fn zego_signature_ok(body: &Value, secret: &str) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut parts = [
        secret.to_owned(),
        text(&body["timestamp"]),
        text(&body["nonce"]),
    ];
    parts.sort();
    let mut sha = Sha1::new();
    sha.update(parts.concat().as_bytes());
    hex::encode(sha.finalize()) == body["signature"].as_str().unwrap()
}

/// A ZEGO server API call signed with the ServerSecret.
async fn zego_call(base: &str, secret: &str, app_id: u32, action: &str, rest: &str) -> Value {
    let nonce = format!("{:016x}", rand::random::<u64>());
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut md5 = Md5::new();
    md5.update(format!("{app_id}{nonce}{secret}{ts}"));
    let sig = hex::encode(md5.finalize());
    let url = format!(
        "{base}/?Action={action}&AppId={app_id}&SignatureNonce={nonce}&Timestamp={ts}&Signature={sig}&SignatureVersion=2.0&{rest}"
    );
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn zim_room_enter_and_exit_are_signed_with_the_callback_secret() {
    let mut receiver = Receiver::start().await;
    let emu = emulator(&receiver, LiveKitConfig::default()).await;
    let zego = emu.zego();
    let secret = zego.callback_secret().to_owned();
    assert_ne!(secret, zego.server_secret());
    assert!(
        emu.vars("zego-zim")
            .contains(&("ZEGO_CALLBACK_SECRET", secret.clone()))
    );

    zego.zim().seed_room("lobby", ["alice"]);
    let hook = receiver.next().await;
    assert_eq!(hook.provider, "zego-zim");
    assert_eq!(hook.header("content-type"), "application/json");
    let body = hook.json();
    assert_eq!(body["event"], "room_enter");
    assert_eq!(body["room_id"], "lobby");
    assert_eq!(body["operator_account"], "alice");
    assert_eq!(body["appid"], zego.app_id().to_string());
    assert!(body["timestamp"].as_u64().unwrap() > 100_000_000_000, "ms");
    assert!(zego_signature_ok(&body, &secret));
    assert!(!zego_signature_ok(&body, zego.server_secret()));

    // Kicked by the API: room_exit Kickout naming the kicker.
    let answer = zego_call(
        &zego.zim().url(),
        zego.server_secret(),
        zego.app_id(),
        "KickoutRoomUser",
        "RoomId=lobby&UserId[]=alice&FromUserId=mod1",
    )
    .await;
    assert_eq!(answer["Code"], 0, "{answer}");
    let body = receiver.next().await.json();
    assert_eq!(body["event"], "room_exit");
    assert_eq!(body["exit_type"], "Kickout");
    assert_eq!(body["operator_account"], "mod1");
    assert_eq!(body["exit_user_ids"], json!(["alice"]));
    assert!(zego_signature_ok(&body, &secret));

    // ZIM has no native ban: the kicked user logs in again and room_enter fires.
    zego.zim().login("lobby", "alice").unwrap();
    let body = receiver.next().await.json();
    assert_eq!(body["event"], "room_enter");
    assert_eq!(body["operator_account"], "alice");

    // The other reading of the timestamp unit, switched while running.
    zego.zim().set_callback_style(ZegoCallbackStyle {
        zim_timestamp: TimestampUnit::Seconds,
        ..ZegoCallbackStyle::default()
    });
    assert!(zego.zim().leave("lobby", "alice"));
    let body = receiver.next().await.json();
    assert_eq!(body["event"], "room_exit");
    assert_eq!(body["exit_type"], "Quit");
    assert!(body["timestamp"].as_u64().unwrap() < 100_000_000_000, "s");
    assert!(zego_signature_ok(&body, &secret));
}

#[tokio::test]
async fn rtc_login_and_kick_logout_and_a_forbidden_login_posts_nothing() {
    let mut receiver = Receiver::start().await;
    let emu = emulator(&receiver, LiveKitConfig::default()).await;
    let zego = emu.zego();
    let rtc = zego.rtc();
    let secret = zego.callback_secret().to_owned();

    rtc.login("stage", "troll").unwrap();
    let hook = receiver.next().await;
    assert_eq!(hook.provider, "zego-rtc");
    let body = hook.json();
    assert_eq!(body["event"], "room_login");
    assert_eq!(body["user_account"], "troll");
    assert_eq!(body["room_id"], "stage");
    assert!(
        body["timestamp"].is_string(),
        "the current sample quotes it"
    );
    assert!(body["login_time"].is_string());
    assert!(zego_signature_ok(&body, &secret));

    let answer = zego_call(
        &rtc.url(),
        zego.server_secret(),
        zego.app_id(),
        "KickoutUser",
        "RoomId=stage&UserId[]=troll",
    )
    .await;
    assert_eq!(answer["Code"], 0, "{answer}");
    let body = receiver.next().await.json();
    assert_eq!(body["event"], "room_logout");
    assert_eq!(body["reason"], "3");
    assert!(zego_signature_ok(&body, &secret));

    // A Login ban rule refuses the rejoin: nothing is posted for it, so the next callback is
    // someone else's.
    let answer = zego_call(
        &rtc.url(),
        zego.server_secret(),
        zego.app_id(),
        "SetForbidUserRule",
        "RuleType=4&RoomId=stage&UserId=troll&DisabledPrivilege[]=1&EffectiveTime=600",
    )
    .await;
    assert_eq!(answer["Code"], 0, "{answer}");
    assert!(rtc.login("stage", "troll").is_err());
    rtc.set_callback_style(ZegoCallbackStyle {
        rtc_values: ValueStyle::Numbers,
        ..ZegoCallbackStyle::default()
    });
    rtc.login("stage", "bob").unwrap();
    let body = receiver.next().await.json();
    assert_eq!(body["user_account"], "bob");
    assert!(body["timestamp"].is_number(), "the 2023 page's numbers");
    assert!(zego_signature_ok(&body, &secret));
}

fn hs256_claims(token: &str, key: &str, secret: &str) -> Value {
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let (header, claims) = signing_input.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signing_input.as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap())
        .expect("HS256 with the API secret");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["iss"], key);
    claims
}

/// A token as an application mints it: admin or join grants for `room`.
fn livekit_token(key: &str, secret: &str, room: &str, identity: &str, admin: bool) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let video = if admin {
        json!({ "roomAdmin": true, "room": room })
    } else {
        json!({ "roomJoin": true, "room": room })
    };
    let claims =
        json!({ "iss": key, "sub": identity, "nbf": now - 5, "exp": now + 600, "video": video });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{header}.{claims}").as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{header}.{claims}.{sig}")
}

/// RemoveParticipant over Twirp JSON with an admin token; the HTTP status.
async fn remove(livekit: &LiveKitEmulator, room: &str, identity: &str) -> u16 {
    let admin = livekit_token(
        livekit.api_key(),
        livekit.api_secret(),
        room,
        "moderator",
        true,
    );
    reqwest::Client::new()
        .post(format!(
            "{}/twirp/livekit.RoomService/RemoveParticipant",
            livekit.url()
        ))
        .bearer_auth(admin)
        .json(&json!({ "room": room, "identity": identity }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn check_livekit(hook: &Hook, key: &str, secret: &str) -> Value {
    assert_eq!(hook.provider, "livekit");
    assert_eq!(hook.header("content-type"), "application/webhook+json");
    assert_eq!(hook.header("user-agent"), "LiveKit");
    let auth = hook.header("authorization");
    assert!(!auth.starts_with("Bearer "));
    let claims = hs256_claims(auth, key, secret);
    assert_eq!(
        claims["sha256"].as_str().unwrap(),
        STANDARD.encode(Sha256::digest(&hook.body))
    );
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["nbf"].as_u64().unwrap(),
        300
    );
    let body = hook.json();
    assert!(body["id"].as_str().unwrap().starts_with("EV_"));
    body
}

/// `troll` joins `party` with a join token and is removed; the token, the join and leave events.
async fn livekit_join_and_remove(config: LiveKitConfig) -> (Receiver, Emulator, String, Value) {
    let mut receiver = Receiver::start().await;
    let emu = emulator(&receiver, config).await;
    let livekit = emu.livekit();
    let (key, secret) = (livekit.api_key(), livekit.api_secret());
    let join = livekit_token(key, secret, "party", "troll", false);
    livekit.join_with_token(&join).unwrap();
    let first = check_livekit(&receiver.next().await, key, secret);
    assert_eq!(first["event"], "participant_joined");
    assert_eq!(first["room"]["name"], "party");
    assert_eq!(first["participant"]["identity"], "troll");
    assert_eq!(first["participant"]["state"], "ACTIVE");
    assert!(
        first["participant"]["joinedAt"].is_string(),
        "int64 as a string"
    );
    assert_eq!(remove(livekit, "party", "troll").await, 200);
    let left = check_livekit(&receiver.next().await, key, secret);
    assert_eq!(left["event"], "participant_left");
    assert_eq!(left["participant"]["state"], "DISCONNECTED");
    (receiver, emu, join, first)
}

#[tokio::test]
async fn livekit_self_hosted_rejoin_with_a_valid_token_fires_participant_joined() {
    let (mut receiver, emu, join, first) =
        livekit_join_and_remove(LiveKitConfig::self_hosted()).await;
    let livekit = emu.livekit();
    // Self-hosted revokes nothing: the same token joins again, and the event fires again.
    livekit.join_with_token(&join).unwrap();
    let again = check_livekit(
        &receiver.next().await,
        livekit.api_key(),
        livekit.api_secret(),
    );
    assert_eq!(again["event"], "participant_joined");
    assert_eq!(again["participant"]["identity"], "troll");
    assert_ne!(again["id"], first["id"]);
}

#[tokio::test]
async fn livekit_cloud_refuses_the_revoked_token_and_posts_nothing() {
    let (mut receiver, emu, join, _) = livekit_join_and_remove(LiveKitConfig::default()).await;
    let livekit = emu.livekit();
    assert!(livekit.join_with_token(&join).is_err());
    livekit.seed_room("party", ["bob"]);
    let body = check_livekit(
        &receiver.next().await,
        livekit.api_key(),
        livekit.api_secret(),
    );
    assert_eq!(body["participant"]["identity"], "bob");
}

fn hmac_hex<M: Mac + hmac::digest::KeyInit>(secret: &str, body: &[u8]) -> String {
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn check_agora(hook: &Hook, secret: &str) -> Value {
    assert_eq!(hook.provider, "agora-rtc");
    assert_eq!(hook.header("content-type"), "application/json");
    assert_eq!(
        hook.header("agora-signature"),
        hmac_hex::<Hmac<Sha1>>(secret, &hook.body)
    );
    assert_eq!(
        hook.header("agora-signature-v2"),
        hmac_hex::<Hmac<Sha256>>(secret, &hook.body)
    );
    let body = hook.json();
    assert_eq!(body["productId"], 1);
    assert!(body["noticeId"].is_string());
    assert!(body["notifyMs"].as_u64().unwrap() > 100_000_000_000);
    body
}

#[tokio::test]
async fn agora_rtc_join_kick_and_refused_rejoin_and_a_resend_is_restamped() {
    let mut receiver = Receiver::start().await;
    let emu = emulator(&receiver, LiveKitConfig::default()).await;
    let rtc = emu.agora().rtc();
    let vars = emu.agora().callback_vars();
    let secret = vars
        .iter()
        .find(|(name, _)| *name == "AGORA_NCS_SECRET")
        .map(|(_, value)| value.clone())
        .unwrap();
    assert_eq!(secret, rtc.ncs_secret());

    // The first answer is a 500: Agora resends, with a new notifyMs and new signatures.
    receiver.answers.lock().unwrap().push_back(500);
    rtc.join("news", 42).unwrap();
    let first = check_agora(&receiver.next().await, &secret);
    let resent = check_agora(&receiver.next().await, &secret);
    assert_eq!(first["noticeId"], resent["noticeId"]);
    assert!(resent["notifyMs"].as_u64() > first["notifyMs"].as_u64());
    assert_eq!(first["eventType"], 107);
    assert_eq!(first["payload"]["channelName"], "news");
    assert_eq!(first["payload"]["uid"], 42);
    assert_eq!(first["payload"]["account"], "42");

    // A kicking rule takes the user out (108, reason 3) and refuses the rejoin (nothing posted).
    let answer = reqwest::Client::new()
        .post(format!("{}/dev/v1/kicking-rule", rtc.base_url()))
        .basic_auth(rtc.customer_id(), Some(rtc.customer_secret()))
        .json(&json!({ "appid": rtc.app_id(), "cname": "news", "uid": 42, "time_in_seconds": 600, "privileges": ["join_channel"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let left = check_agora(&receiver.next().await, &secret);
    assert_eq!(left["eventType"], 108);
    assert_eq!(left["payload"]["reason"], 3);
    assert_eq!(left["sid"], first["sid"]);
    assert!(rtc.join("news", 42).is_err());
    rtc.seed_live("show", [7], [8]);
    let host = check_agora(&receiver.next().await, &secret);
    assert_eq!(host["eventType"], 103);
    assert_eq!(host["payload"]["uid"], 7);
    let audience = check_agora(&receiver.next().await, &secret);
    assert_eq!(audience["eventType"], 105);
    assert_eq!(rtc.callbacks().stats().attempts, 5);
}

#[tokio::test]
async fn agora_chat_join_carries_the_md5_security() {
    let mut receiver = Receiver::start().await;
    let emu = emulator(&receiver, LiveKitConfig::default()).await;
    let chat = emu.agora().chat();
    chat.seed_room("lounge", None, Vec::<String>::new());
    chat.join("lounge", "troll").unwrap();
    let hook = receiver.next().await;
    assert_eq!(hook.provider, "agora-chat");
    let body = hook.json();
    assert_eq!(body["event"], "group_op_event");
    assert_eq!(body["type"], "CHATROOM");
    assert_eq!(body["operation"], "JOIN");
    assert_eq!(body["id"], "lounge");
    assert_eq!(body["payload"]["member"], json!(["troll"]));
    let call_id = body["callId"].as_str().unwrap();
    assert!(call_id.starts_with(&format!("{}#{}_", chat.org(), chat.app())));
    let mut md5 = Md5::new();
    md5.update(format!(
        "{call_id}{}{}",
        chat.callback_secret(),
        body["timestamp"]
    ));
    assert_eq!(body["security"], hex::encode(md5.finalize()));
}

#[tokio::test]
async fn the_admin_route_sets_and_clears_every_providers_url() {
    let mut receiver = Receiver::start().await;
    let emu = Emulator::start().await.unwrap();
    assert!(emu.livekit().callbacks().url().is_none());
    let client = reqwest::Client::new();
    let bad = client
        .post(format!("{}/_emulator/callbacks", emu.zego().zim().url()))
        .json(&json!({ "url": "ftp://127.0.0.1/" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let set = client
        .post(format!("{}/_emulator/callbacks", emu.zego().zim().url()))
        .json(&json!({ "url": receiver.url.as_str() }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 204);
    // Set through ZIM's listener, it reaches LiveKit's sender too.
    emu.livekit().seed_room("r", ["u"]);
    assert_eq!(receiver.next().await.provider, "livekit");
    let cleared = client
        .post(format!("{}/_emulator/callbacks", emu.livekit().url()))
        .json(&json!({ "url": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    assert!(emu.agora().rtc().callbacks().url().is_none());
    emu.agora().rtc().join("c", 1).unwrap();
    assert_eq!(emu.agora().rtc().callbacks().stats().queued, 0);
}
