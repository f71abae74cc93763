//! The emulator over real loopback HTTP, with tokens signed by hand (the official Node SDK drives it
//! in room-moderator-livekit's interop test).

use std::net::SocketAddr;

use prost::Message as _;
use serde_json::{Value, json};

use super::auth::tests::sign;
use super::*;

async fn emulator(config: LiveKitConfig) -> LiveKitEmulator {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    LiveKitEmulator::start(config, any)
        .await
        .expect("emulator starts")
}

fn now() -> i64 {
    unix_now() / 1000
}

/// An admin token for `room`, signed with `secret`.
fn admin_token(room: &str, secret: &str) -> String {
    sign(
        &json!({"iss": DEFAULT_API_KEY, "sub": "", "nbf": now(), "exp": now() + 600,
            "video": {"roomAdmin": true, "room": room}}),
        secret,
        "HS256",
    )
}

struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn post(
    livekit: &LiveKitEmulator,
    method: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> Answer {
    let mut request = reqwest::Client::new()
        .post(format!(
            "{}/twirp/livekit.RoomService/{method}",
            livekit.url()
        ))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    Answer {
        status: response.status().as_u16(),
        content_type: response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

async fn json_call(livekit: &LiveKitEmulator, method: &str, token: &str, body: Value) -> Answer {
    post(
        livekit,
        method,
        Some(token),
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

#[tokio::test]
async fn json_lists_and_removes_and_an_absent_identity_is_not_found() {
    let livekit = emulator(LiveKitConfig::default()).await;
    livekit.seed_room("r", ["alice", "troll"]);
    livekit.seed_participant("r", "bot", ParticipantKind::Agent);
    let token = admin_token("r", DEFAULT_API_SECRET);
    let list = json_call(&livekit, "ListParticipants", &token, json!({"room": "r"})).await;
    assert_eq!(list.status, 200);
    let participants = list.json()["participants"].clone();
    let kinds: Vec<(&str, &str)> = participants
        .as_array()
        .expect("array")
        .iter()
        .map(|p| {
            (
                p["identity"].as_str().expect("identity"),
                p["kind"].as_str().expect("kind"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("alice", "STANDARD"),
            ("troll", "STANDARD"),
            ("bot", "AGENT")
        ]
    );
    assert!(
        participants[0]["joined_at_ms"].is_string(),
        "int64 as string"
    );

    let removed = json_call(
        &livekit,
        "RemoveParticipant",
        &token,
        json!({"room": "r", "identity": "troll"}),
    )
    .await;
    assert_eq!((removed.status, removed.json()), (200, json!({})));
    let again = json_call(
        &livekit,
        "RemoveParticipant",
        &token,
        json!({"room": "r", "identity": "troll"}),
    )
    .await;
    assert_eq!(again.status, 404);
    assert_eq!(again.content_type, "application/json");
    assert_eq!(again.json()["code"], "not_found");
    assert_eq!(
        livekit.members("r"),
        Some(vec!["alice".to_owned(), "bot".to_owned()])
    );
    assert_eq!(livekit.controls().counters().violations, 0);
}

#[tokio::test]
async fn protobuf_requests_get_protobuf_answers() {
    let livekit = emulator(LiveKitConfig::default()).await;
    livekit.seed_room("r", ["alice", "troll"]);
    let token = admin_token("r", DEFAULT_API_SECRET);
    let request = wire::RoomParticipantIdentity {
        room: "r".to_owned(),
        identity: "troll".to_owned(),
        revoke_token_ts: 0,
    };
    let removed = post(
        &livekit,
        "RemoveParticipant",
        Some(&token),
        "application/protobuf",
        request.encode_to_vec(),
    )
    .await;
    assert_eq!((removed.status, removed.body.len()), (200, 0));
    assert_eq!(removed.content_type, "application/protobuf");
    let list = post(
        &livekit,
        "ListParticipants",
        Some(&token),
        "application/protobuf",
        wire::ListParticipantsRequest {
            room: "r".to_owned(),
        }
        .encode_to_vec(),
    )
    .await;
    let decoded =
        wire::ListParticipantsResponse::decode(list.body.as_slice()).expect("protobuf answer");
    let identities: Vec<&str> = decoded
        .participants
        .iter()
        .map(|p| p.identity.as_str())
        .collect();
    assert_eq!(identities, ["alice"]);
    assert!(livekit.removals()[0].protobuf);
    // An empty protobuf body is a valid empty message: room "" is not the token's room.
    let empty = post(
        &livekit,
        "ListParticipants",
        Some(&token),
        "application/protobuf",
        Vec::new(),
    )
    .await;
    assert_eq!(empty.json()["code"], "unauthenticated");
}

#[tokio::test]
async fn grants_and_tokens_are_checked_with_the_servers_answers() {
    let livekit = emulator(LiveKitConfig::default()).await;
    livekit.seed_room("r", ["alice"]);
    let body = json!({"room": "r", "identity": "alice"});
    // The token is for another room: JSON unauthenticated, permissions denied.
    let other_room = json_call(
        &livekit,
        "RemoveParticipant",
        &admin_token("R", DEFAULT_API_SECRET),
        body.clone(),
    )
    .await;
    assert_eq!(other_room.status, 401);
    assert_eq!(
        other_room.json(),
        json!({"code": "unauthenticated", "msg": "permissions denied"})
    );
    // No token: the same.
    let none = post(
        &livekit,
        "RemoveParticipant",
        None,
        "application/json",
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!(none.json()["code"], "unauthenticated");
    // A wrong secret: text/plain from the middleware.
    let wrong = json_call(
        &livekit,
        "RemoveParticipant",
        &admin_token("r", "not-the-secret"),
        body.clone(),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.content_type.starts_with("text/plain"));
    assert_eq!(
        wrong.text(),
        "invalid authorization token: token signature is invalid: signature is invalid"
    );
    // Join-only grants are not admin grants.
    let joiner = sign(
        &json!({"iss": DEFAULT_API_KEY, "sub": "alice", "nbf": now(), "exp": now() + 60,
            "video": {"roomJoin": true, "room": "r"}}),
        DEFAULT_API_SECRET,
        "HS256",
    );
    let join_only = json_call(&livekit, "RemoveParticipant", &joiner, body).await;
    assert_eq!(join_only.json()["code"], "unauthenticated");
    assert_eq!(livekit.members("r"), Some(vec!["alice".to_owned()]));
    assert_eq!(livekit.controls().counters().violations, 4);
}

#[tokio::test]
async fn routes_content_types_and_bodies_are_checked() {
    let livekit = emulator(LiveKitConfig::default()).await;
    let token = admin_token("r", DEFAULT_API_SECRET);
    let unknown = json_call(&livekit, "KickEveryone", &token, json!({})).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["code"], "bad_route");
    assert_eq!(
        unknown.json()["meta"]["twirp_invalid_route"],
        "POST /twirp/livekit.RoomService/KickEveryone"
    );
    let text = post(
        &livekit,
        "ListParticipants",
        Some(&token),
        "text/plain",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(text.json()["code"], "bad_route");
    let malformed = post(
        &livekit,
        "ListParticipants",
        Some(&token),
        "application/json",
        Vec::new(),
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.json()["code"], "malformed");
    let get = reqwest::get(format!(
        "{}/twirp/livekit.RoomService/ListParticipants",
        livekit.url()
    ))
    .await
    .expect("sent");
    assert_eq!(get.status(), 404);
    let outside = reqwest::Client::new()
        .post(format!("{}/twirp/livekit.EgressService/X", livekit.url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(outside.status(), 404);
    assert_eq!(outside.text().await.expect("text"), "404 page not found\n");
    let basic = reqwest::Client::new()
        .post(format!(
            "{}/twirp/livekit.RoomService/ListParticipants",
            livekit.url()
        ))
        .header("authorization", "Basic abc")
        .send()
        .await
        .expect("sent");
    assert_eq!(basic.status(), 401);
    assert_eq!(
        basic.text().await.expect("text"),
        "invalid authorization header. Must start with Bearer "
    );
}

#[tokio::test]
async fn the_rate_is_counted_at_arrival_over_a_minute_for_every_method_together() {
    let livekit = emulator(LiveKitConfig {
        requests_per_minute: NonZeroU32::new(2),
        ..LiveKitConfig::default()
    })
    .await;
    livekit.seed_room("r", ["a", "b"]);
    let token = admin_token("r", DEFAULT_API_SECRET);
    let list = json_call(&livekit, "ListParticipants", &token, json!({"room": "r"})).await;
    assert_eq!(list.status, 200);
    let kick = json_call(
        &livekit,
        "RemoveParticipant",
        &token,
        json!({"room": "r", "identity": "a"}),
    )
    .await;
    assert_eq!(kick.status, 200);
    let over = json_call(
        &livekit,
        "RemoveParticipant",
        &token,
        json!({"room": "r", "identity": "b"}),
    )
    .await;
    assert_eq!(over.status, 429);
    assert_eq!(over.json()["code"], "resource_exhausted");
    assert_eq!(livekit.controls().counters().throttled, 1);

    let livekit = emulator(LiveKitConfig {
        requests_per_minute: NonZeroU32::new(1),
        throttle: ThrottleAnswer::PlainText,
        ..LiveKitConfig::self_hosted()
    })
    .await;
    json_call(&livekit, "ListParticipants", &token, json!({"room": "r"})).await;
    let over = json_call(&livekit, "ListParticipants", &token, json!({"room": "r"})).await;
    assert_eq!(
        (over.status, over.text()),
        (429, "Too Many Requests".to_owned())
    );
}

fn join_token(room: &str, identity: &str, nbf: i64) -> String {
    sign(
        &json!({"iss": DEFAULT_API_KEY, "sub": identity, "nbf": nbf, "exp": nbf + 3600,
            "video": {"roomJoin": true, "room": room}}),
        DEFAULT_API_SECRET,
        "HS256",
    )
}

#[tokio::test]
async fn cloud_revokes_on_removal_and_self_hosted_does_not() {
    let cloud = emulator(LiveKitConfig::default()).await;
    let held = join_token("r", "troll", now() - 10);
    cloud.join_with_token(&held).expect("joins");
    assert_eq!(cloud.members("r"), Some(vec!["troll".to_owned()]));
    let token = admin_token("r", DEFAULT_API_SECRET);
    json_call(
        &cloud,
        "RemoveParticipant",
        &token,
        json!({"room": "r", "identity": "troll"}),
    )
    .await;
    let refused = cloud.join_with_token(&held).expect_err("revoked");
    assert_eq!(refused.0, "token has been revoked");
    // A token minted now is refused too (the cutoff is now + 60 s); one from the cutoff on is not.
    assert!(
        cloud
            .join_with_token(&join_token("r", "troll", now()))
            .is_err()
    );
    assert!(
        cloud
            .join_with_token(&join_token("r", "troll", now() + 60))
            .is_ok()
    );
    let validate = reqwest::get(format!("{}/rtc/validate?access_token={held}", cloud.url()))
        .await
        .expect("sent");
    assert_eq!(validate.status(), 401);

    let own = emulator(LiveKitConfig::self_hosted()).await;
    own.join_with_token(&held).expect("joins");
    json_call(
        &own,
        "RemoveParticipant",
        &token,
        json!({"room": "r", "identity": "troll"}),
    )
    .await;
    own.join_with_token(&held)
        .expect("self-hosted does not revoke");
}

#[tokio::test]
async fn faults_and_admin_routes_work_as_for_every_provider() {
    let livekit = emulator(LiveKitConfig::default()).await;
    let client = reqwest::Client::new();
    client
        .put(format!("{}/_emulator/rooms/r", livekit.url()))
        .json(&json!({"members": ["a"]}))
        .send()
        .await
        .expect("seeded");
    client
        .put(format!(
            "{}/_emulator/livekit/rooms/r/participants/rec",
            livekit.url()
        ))
        .json(&json!({"kind": "EGRESS"}))
        .send()
        .await
        .expect("seeded");
    assert_eq!(
        livekit
            .participants("r")
            .expect("room")
            .iter()
            .map(|p| p.kind)
            .collect::<Vec<_>>(),
        [ParticipantKind::Standard, ParticipantKind::Egress]
    );
    livekit.controls().push_fault(crate::Fault::unavailable());
    let token = admin_token("r", DEFAULT_API_SECRET);
    let faulted = json_call(&livekit, "ListParticipants", &token, json!({"room": "r"})).await;
    assert_eq!(faulted.status, 503);
    let counters: Value = client
        .get(format!("{}/_emulator/counters", livekit.url()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(counters["faults"], 1);
    assert_eq!(counters["requests"], 1);
}
