//! REST behaviour of the EnableX emulator (the signalling side is exercised by room-moderator-enablex's
//! tests, which speak Socket.IO 2).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::*;

async fn start() -> EnablexEmulator {
    EnablexEmulator::start(EnablexConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn create_token(
    emulator: &EnablexEmulator,
    room: &str,
    auth: Option<(&str, &str)>,
    body: Value,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}rooms/{room}/tokens", emulator.api_url()))
        .json(&body);
    if let Some((id, key)) = auth {
        request = request.basic_auth(id, Some(key));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn moderator() -> Value {
    json!({"name": "Mod", "role": "moderator", "user_ref": "mod-1"})
}

#[tokio::test]
async fn issues_a_base64_json_token_pointing_at_itself() {
    let emulator = start().await;
    emulator.seed_room("lobby", ["alice"]);
    let (status, body) = create_token(
        &emulator,
        "lobby",
        Some((DEFAULT_APP_ID, DEFAULT_APP_KEY)),
        moderator(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"], 0);
    let token: Value =
        serde_json::from_slice(&STANDARD.decode(body["token"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(token["host"], emulator.addr().to_string());
    assert_eq!(token["secure"], false);
    assert_eq!(token["role"], "moderator");
    assert_eq!(token["roomId"], "lobby");
    assert_eq!(emulator.controls().counters().violations, 0);
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_401() {
    let emulator = start().await;
    emulator.seed_room("lobby", ["alice"]);
    for auth in [
        None,
        Some((DEFAULT_APP_ID, "wrong")),
        Some(("other", DEFAULT_APP_KEY)),
    ] {
        let (status, body) = create_token(&emulator, "lobby", auth, moderator()).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(body["error_code"], "UNAUTHORIZED");
    }
    assert_eq!(emulator.controls().counters().violations, 3);
}

#[tokio::test]
async fn validates_the_body_and_the_room() {
    let emulator = start().await;
    emulator.seed_room("lobby", ["alice"]);
    let auth = Some((DEFAULT_APP_ID, DEFAULT_APP_KEY));
    let (status, body) = create_token(&emulator, "lobby", auth, json!({"role": "moderator"})).await;
    assert_eq!((status, body["result"].clone()), (400, json!(10002)));
    let (status, body) = create_token(
        &emulator,
        "lobby",
        auth,
        json!({"name": "x", "role": "admin"}),
    )
    .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (400, json!("INVALID_PARAM"))
    );
    let (status, _) = create_token(&emulator, "nowhere", auth, moderator()).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after() {
    let emulator = start().await;
    emulator.seed_room("lobby", ["alice"]);
    emulator.controls().push_fault(crate::Fault::Throttle {
        retry_after: Some(3),
    });
    let response = reqwest::Client::new()
        .post(format!("{}rooms/lobby/tokens", emulator.api_url()))
        .basic_auth(DEFAULT_APP_ID, Some(DEFAULT_APP_KEY))
        .json(&moderator())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], "RATE_LIMITED");
}

#[tokio::test]
async fn seeding_adds_one_connection_per_listed_user() {
    let emulator = start().await;
    emulator.seed_room("lobby", ["alice", "alice", "bob"]);
    let connections = emulator.connections("lobby").unwrap();
    assert_eq!(connections.len(), 3);
    assert_ne!(connections[0].client_id, connections[1].client_id);
    assert!(
        connections
            .iter()
            .all(|c| !c.live && c.role == "participant")
    );
    assert_eq!(
        emulator.members("lobby"),
        Some(vec!["alice".to_owned(), "bob".to_owned()])
    );
    let users: Value = reqwest::Client::new()
        .get(format!("{}rooms/lobby/users", emulator.api_url()))
        .basic_auth(DEFAULT_APP_ID, Some(DEFAULT_APP_KEY))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users["total"], 3);
    assert!(users["users"][0].get("clientId").is_none());
}

#[tokio::test]
async fn admin_api_seeds_rooms() {
    let emulator = start().await;
    let response = reqwest::Client::new()
        .put(format!("{}/_emulator/rooms/lobby", emulator.base_url()))
        .json(&json!({"members": ["x", "y"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(emulator.connections("lobby").unwrap().len(), 2);
}

#[tokio::test]
async fn over_the_rate_limit_answers_429_rate_limited() {
    let emulator = EnablexEmulator::start(
        EnablexConfig {
            requests_per_second: std::num::NonZeroU32::new(1),
            ..EnablexConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    emulator.seed_room("lobby", ["alice"]);
    let auth = Some((DEFAULT_APP_ID, DEFAULT_APP_KEY));
    // At one request a second, a burst of loopback requests meets the limit at the second one
    // (unless each took over a second); the loop ends at the first 429.
    let mut throttled = None;
    for _ in 0..20 {
        let (status, body) = create_token(&emulator, "lobby", auth, moderator()).await;
        if status == 429 {
            throttled = Some(body);
            break;
        }
        assert_eq!(status, 200, "{body}");
    }
    let body = throttled.expect("the rate limit answered 429");
    assert_eq!(body["error_code"], "RATE_LIMITED");
    assert_eq!(emulator.controls().counters().throttled, 1);
    assert_eq!(
        EnablexConfig::default()
            .requests_per_second
            .map(|r| r.get()),
        Some(DEFAULT_REQUESTS_PER_SECOND)
    );
}

#[tokio::test]
async fn every_created_token_is_recorded_with_what_was_asked() {
    let emulator = start().await;
    emulator.seed_room("lobby", ["alice"]);
    let auth = Some((DEFAULT_APP_ID, DEFAULT_APP_KEY));
    let (status, _) = create_token(&emulator, "lobby", auth, moderator()).await;
    assert_eq!(status, 200);
    emulator.force_token_role(Some("participant"));
    let asked =
        json!({"name": "Alice", "role": "viewer", "user_ref": "alice", "data": {"team": "red"}});
    let (status, _) = create_token(&emulator, "lobby", auth, asked).await;
    assert_eq!(status, 200);
    // Refused requests create nothing: more than 5 data keys, an unknown room.
    let six: serde_json::Map<String, Value> = (0..6).map(|i| (format!("k{i}"), json!(i))).collect();
    let too_much = json!({"name": "B", "role": "participant", "user_ref": "b", "data": six});
    let (status, body) = create_token(&emulator, "lobby", auth, too_much).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "INVALID_PARAM");
    let (status, _) = create_token(&emulator, "nowhere", auth, moderator()).await;
    assert_eq!(status, 404);

    let created = emulator.tokens();
    assert_eq!(created.len(), 2);
    assert_eq!(
        (created[0].role.as_str(), created[0].user_ref.as_str()),
        ("moderator", "mod-1")
    );
    assert_eq!(created[0].data, Value::Null);
    assert_eq!(
        created[1],
        CreatedToken {
            room: "lobby".to_owned(),
            name: "Alice".to_owned(),
            role: "viewer".to_owned(),
            issued_role: "participant".to_owned(),
            user_ref: "alice".to_owned(),
            data: json!({"team": "red"}),
        }
    );
    let listed: Value = reqwest::get(format!("{}/_emulator/enablex/tokens", emulator.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[1]["user_ref"], "alice");
    assert!(listed[1].get("token").is_none());
    assert_eq!(
        emulator.controls().counters().requests,
        4,
        "every call is logged"
    );
}

#[tokio::test]
async fn fault_rules_aim_at_one_rest_api() {
    let emulator = start().await;
    emulator.seed_room("lobby", ["alice"]);
    let auth = Some((DEFAULT_APP_ID, DEFAULT_APP_KEY));
    let spec: crate::FaultSpec = "enablex-token=throttle-first:2:retry-after=2"
        .parse()
        .unwrap();
    assert!(emulator.controls().add_fault(spec.rule()));
    let users = || async {
        reqwest::Client::new()
            .get(format!("{}rooms/lobby/users", emulator.api_url()))
            .basic_auth(DEFAULT_APP_ID, Some(DEFAULT_APP_KEY))
            .send()
            .await
            .unwrap()
    };
    assert_eq!(
        users().await.status().as_u16(),
        200,
        "listing is not concerned"
    );
    for _ in 0..2 {
        let response = reqwest::Client::new()
            .post(format!("{}rooms/lobby/tokens", emulator.api_url()))
            .basic_auth(DEFAULT_APP_ID, Some(DEFAULT_APP_KEY))
            .json(&moderator())
            .send()
            .await
            .unwrap();
        // EnableX's own throttled answer: 429 RATE_LIMITED with Retry-After.
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers()["retry-after"], "2");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error_code"], "RATE_LIMITED");
    }
    let (status, _) = create_token(&emulator, "lobby", auth, moderator()).await;
    assert_eq!(status, 200, "then served");

    // Every listing a captive proxy's page, over the admin API.
    let posted = reqwest::Client::new()
        .post(format!("{}/_emulator/faults", emulator.base_url()))
        .json(&json!({"api": "enablex-users", "spec": "body:200:text/html:<html>sign in</html>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 204);
    for _ in 0..3 {
        let response = users().await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "text/html");
        assert_eq!(response.text().await.unwrap(), "<html>sign in</html>");
    }
    let (status, _) = create_token(&emulator, "lobby", auth, moderator()).await;
    assert_eq!(status, 200);
}
