//! The emulator over real loopback HTTP, with requests signed by hand (the SDK's own requests are
//! tested in `room-moderator-ivs`).

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::sigv4::{self, SignedRequest};
use super::*;
use crate::Fault;

async fn emulator() -> IvsChatEmulator {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    IvsChatEmulator::start(IvsChatConfig::default(), any)
        .await
        .expect("emulator starts")
}

/// POSTs `body` to `/DisconnectUser`, signed with the emulator's key id and `secret` at time `at`.
async fn call(ivs: &IvsChatEmulator, body: &Value, secret: &str, at: SystemTime) -> Answer {
    call_as(ivs, body, ivs.access_key_id(), secret, at).await
}

/// POSTs `body` to `/DisconnectUser`, signed as the SDK would with these credentials at time `at`.
async fn call_as(
    ivs: &IvsChatEmulator,
    body: &Value,
    access_key_id: &str,
    secret: &str,
    at: SystemTime,
) -> Answer {
    call_operation(ivs, "/DisconnectUser", body, access_key_id, secret, at).await
}

/// POSTs `body` to `/CreateChatToken`, signed with the emulator's credentials now.
async fn create_chat_token(ivs: &IvsChatEmulator, body: &Value) -> Answer {
    call_operation(
        ivs,
        "/CreateChatToken",
        body,
        ivs.access_key_id(),
        DEFAULT_SECRET_ACCESS_KEY,
        SystemTime::now(),
    )
    .await
}

/// POSTs `body` to `path`, signed as the SDK would with these credentials at time `at`.
async fn call_operation(
    ivs: &IvsChatEmulator,
    path: &str,
    body: &Value,
    access_key_id: &str,
    secret: &str,
    at: SystemTime,
) -> Answer {
    let body = body.to_string();
    let host = ivs.addr().to_string();
    let amz_date = sigv4::format_amz_date(
        at.duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
    );
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().expect("ascii"));
    headers.insert("host", host.parse().expect("ascii"));
    headers.insert("x-amz-date", amz_date.parse().expect("ascii"));
    let signed_headers = ["content-type", "host", "x-amz-date"];
    let payload_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()));
    let canonical = sigv4::canonical_request(
        &SignedRequest {
            method: "POST",
            path,
            query: None,
            headers: &headers,
            body: body.as_bytes(),
        },
        &signed_headers,
        &payload_hash,
    );
    let scope = format!("{}/{}/ivschat/aws4_request", &amz_date[..8], ivs.region());
    let key = sigv4::signing_key(secret, &amz_date[..8], ivs.region(), "ivschat");
    let signature = sigv4::signature(&key, &sigv4::string_to_sign(&amz_date, &scope, &canonical));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={signature}",
        signed_headers.join(";")
    );
    let response = reqwest::Client::new()
        .post(format!("{}{path}", ivs.base_url()))
        .headers(headers)
        .header("authorization", authorization)
        .body(body)
        .send()
        .await
        .expect("emulator answers");
    Answer::read(response).await
}

async fn call_now(ivs: &IvsChatEmulator, body: &Value) -> Answer {
    call(ivs, body, DEFAULT_SECRET_ACCESS_KEY, SystemTime::now()).await
}

#[derive(Debug)]
struct Answer {
    status: u16,
    error_type: Option<String>,
    request_id: Option<String>,
    body: String,
}

impl Answer {
    async fn read(response: reqwest::Response) -> Self {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (error_type, request_id) = (header("x-amzn-errortype"), header("x-amzn-requestid"));
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        Answer {
            status,
            error_type,
            request_id,
            body,
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }

    /// The error type without the front end's `:<url>` suffix.
    fn error(&self) -> Option<&str> {
        self.error_type
            .as_deref()
            .map(|t| t.split(':').next().unwrap_or(t))
    }
}

#[tokio::test]
async fn disconnects_a_member_and_answers_200_with_an_empty_body() {
    let ivs = emulator().await;
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["alice", "troll"]);
    let answer = call_now(
        &ivs,
        &json!({"roomIdentifier": room, "userId": "troll", "reason": "spam"}),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body, "");
    assert!(answer.request_id.is_some());
    assert_eq!(ivs.members(&room), Some(vec!["alice".to_owned()]));
    assert_eq!(
        ivs.disconnections(),
        [Disconnection {
            room: room.clone(),
            user: "troll".to_owned(),
            reason: Some("spam".to_owned()),
            was_member: true,
        }]
    );

    // IVS does not say whether the user was there: the same 200 for an absent user.
    let again = call_now(&ivs, &json!({"roomIdentifier": room, "userId": "troll"})).await;
    assert_eq!(again.status, 200);
    assert_ne!(again.request_id, answer.request_id);
    assert!(!ivs.disconnections()[1].was_member);
    assert_eq!(ivs.controls().counters().violations, 0);
}

#[tokio::test]
async fn an_unknown_room_is_resource_not_found() {
    let ivs = emulator().await;
    let room = ivs.room_arn("nowhere");
    let answer = call_now(&ivs, &json!({"roomIdentifier": room, "userId": "u"})).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.error(), Some("ResourceNotFoundException"));
    let body = answer.json();
    assert_eq!(body["resourceType"], "ROOM");
    assert_eq!(body["resourceId"], room.as_str());
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn bad_fields_are_a_validation_exception_with_a_field_list() {
    let ivs = emulator().await;
    let answer = call_now(
        &ivs,
        &json!({"roomIdentifier": "lobby", "userId": "u".repeat(129)}),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error(), Some("ValidationException"));
    let body = answer.json();
    assert_eq!(body["reason"], "FIELD_VALIDATION_FAILED");
    assert_eq!(
        super::validation::testing::fields(&body),
        ["userId", "roomIdentifier"]
    );
    assert_eq!(ivs.controls().counters().violations, 1);
}

#[tokio::test]
async fn signatures_are_checked() {
    let ivs = emulator().await;
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["troll"]);
    let body = json!({"roomIdentifier": room, "userId": "troll"});

    let wrong_secret = call(&ivs, &body, "not-the-secret", SystemTime::now()).await;
    assert_eq!(wrong_secret.status, 403);
    assert_eq!(wrong_secret.error(), Some("InvalidSignatureException"));
    assert!(
        wrong_secret
            .error_type
            .as_deref()
            .is_some_and(|t| t.contains(":http://internal.amazon.com/"))
    );

    let skewed = call(
        &ivs,
        &body,
        DEFAULT_SECRET_ACCESS_KEY,
        SystemTime::now() - Duration::from_secs(400),
    )
    .await;
    assert_eq!(skewed.status, 403);
    assert_eq!(skewed.error(), Some("InvalidSignatureException"));
    assert!(
        skewed.json()["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Signature expired")),
        "{skewed:?}"
    );

    let unsigned = reqwest::Client::new()
        .post(format!("{}/DisconnectUser", ivs.base_url()))
        .body(body.to_string())
        .send()
        .await
        .expect("answer");
    let unsigned = Answer::read(unsigned).await;
    assert_eq!(unsigned.status, 403);
    assert_eq!(
        unsigned.error(),
        Some("MissingAuthenticationTokenException")
    );

    assert_eq!(ivs.members(&room), Some(vec!["troll".to_owned()]));
    assert_eq!(ivs.controls().counters().violations, 3);
}

#[tokio::test]
async fn an_unknown_access_key_is_unrecognized() {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let ivs = IvsChatEmulator::start(
        IvsChatConfig {
            access_key_id: "AKIDSOMEONEELSE".to_owned(),
            ..IvsChatConfig::default()
        },
        any,
    )
    .await
    .expect("starts");
    // Signed with the default key id, which this emulator does not know.
    let room = ivs.room_arn("lobby");
    let answer = call_as(
        &ivs,
        &json!({"roomIdentifier": room, "userId": "u"}),
        DEFAULT_ACCESS_KEY_ID,
        DEFAULT_SECRET_ACCESS_KEY,
        SystemTime::now(),
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.error(), Some("UnrecognizedClientException"));
}

#[tokio::test]
async fn over_the_rate_limit_is_a_throttling_exception() {
    let ivs = emulator().await;
    // One request per second, burst of one: of five quick requests, at most a few get through.
    ivs.controls().set_rate_limit(NonZeroU32::new(1));
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["u"]);
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(call_now(&ivs, &json!({"roomIdentifier": room, "userId": "u"})).await);
    }
    let throttled: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert!(!throttled.is_empty(), "{answers:?}");
    assert!(answers.iter().all(|a| a.status == 200 || a.status == 429));
    assert_eq!(throttled[0].error(), Some("ThrottlingException"));
    let body = throttled[0].json();
    assert_eq!(body["limit"], 100);
    assert_eq!(body["resourceId"], room.as_str());
    assert_eq!(ivs.controls().counters().throttled, throttled.len() as u64);
}

#[tokio::test]
async fn scripted_errors_answer_like_ivs() {
    let ivs = emulator().await;
    ivs.controls().push_fault(error_fault(
        ErrorType::PendingVerification,
        "Your account is pending verification.",
    ));
    ivs.controls().push_fault(Fault::unavailable());
    let room = ivs.room_arn("lobby");
    let body = json!({"roomIdentifier": room, "userId": "u"});
    let pending = call_now(&ivs, &body).await;
    assert_eq!(pending.status, 403);
    assert_eq!(pending.error(), Some("PendingVerification"));
    assert_eq!(pending.request_id.as_deref(), Some(SCRIPTED_REQUEST_ID));
    let unavailable = call_now(&ivs, &body).await;
    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.error(), None);
}

#[tokio::test]
async fn the_admin_api_seeds_rooms_by_arn() {
    let ivs = emulator().await;
    let room = ivs.room_arn("lobby");
    let client = reqwest::Client::new();
    let url = format!(
        "{}/_emulator/rooms/{}",
        ivs.base_url(),
        room.replace('/', "%2F")
    );
    let put = client
        .put(&url)
        .json(&json!({"members": ["a", "b"]}))
        .send()
        .await
        .expect("answer");
    assert!(put.status().is_success());
    assert_eq!(
        ivs.members(&room),
        Some(vec!["a".to_owned(), "b".to_owned()])
    );
    let answer = call_now(&ivs, &json!({"roomIdentifier": room, "userId": "a"})).await;
    assert_eq!(answer.status, 200);
    let got: Value = client
        .get(&url)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(got, json!({"members": ["b"]}));
}

#[test]
fn debug_hides_the_secret() {
    let shown = format!(
        "{:?}",
        IvsChatConfig {
            session_token: Some("tok-123".to_owned()),
            ..IvsChatConfig::default()
        }
    );
    assert!(!shown.contains(DEFAULT_SECRET_ACCESS_KEY), "{shown}");
    assert!(!shown.contains("tok-123"), "{shown}");
}

#[tokio::test]
async fn create_chat_token_issues_a_token_and_records_what_it_grants() {
    let ivs = emulator().await;
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, Vec::<String>::new());
    let before = SystemTime::now();
    let answer = create_chat_token(
        &ivs,
        &json!({
            "roomIdentifier": room,
            "userId": "alice",
            "capabilities": ["SEND_MESSAGE"],
            "sessionDurationInMinutes": 30,
            "attributes": {"color": "blue"},
        }),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let body = answer.json();
    let token = body["token"].as_str().expect("a token");
    assert!(token.len() > 32, "{token}");
    for time in ["tokenExpirationTime", "sessionExpirationTime"] {
        let text = body[time].as_str().expect(time);
        assert!(text.ends_with('Z') && text.len() == 24, "{time}: {text}");
    }
    let year = sigv4::format_iso8601(before);
    assert_eq!(
        body["tokenExpirationTime"].as_str().map(|t| &t[..4]),
        Some(&year[..4])
    );
    assert_eq!(
        ivs.chat_tokens(),
        [IssuedChatToken {
            room: room.clone(),
            user: "alice".to_owned(),
            capabilities: vec!["SEND_MESSAGE".to_owned()],
            session_duration_in_minutes: Some(30),
            attributes: [("color".to_owned(), "blue".to_owned())].into(),
        }]
    );
    // Counted on CreateChatToken's own controls, not DisconnectUser's.
    assert_eq!(ivs.token_controls().counters().requests, 1);
    assert_eq!(ivs.controls().counters().requests, 0);
    let logged = ivs.token_controls().requests();
    assert_eq!(logged[0].target, "/CreateChatToken");
    assert_eq!(logged[0].result, "ok");

    let second = create_chat_token(&ivs, &json!({"roomIdentifier": room, "userId": "alice"})).await;
    assert_ne!(second.json()["token"], body["token"], "every token is new");
}

#[tokio::test]
async fn create_chat_token_refuses_unknown_rooms_and_bad_fields_without_a_token() {
    let ivs = emulator().await;
    let nowhere = ivs.room_arn("nowhere");
    let answer = create_chat_token(&ivs, &json!({"roomIdentifier": nowhere, "userId": "u"})).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.error(), Some("ResourceNotFoundException"));
    assert_eq!(answer.json()["resourceId"], nowhere.as_str());

    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["u"]);
    let answer = create_chat_token(
        &ivs,
        &json!({"roomIdentifier": room, "userId": "u", "capabilities": ["KICK"], "sessionDurationInMinutes": 0}),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error(), Some("ValidationException"));
    assert_eq!(answer.json()["fieldList"].as_array().map(Vec::len), Some(2));
    assert!(ivs.chat_tokens().is_empty());
    let counters = ivs.token_controls().counters();
    assert_eq!((counters.requests, counters.violations), (2, 1));
}

#[tokio::test]
async fn create_chat_token_has_its_own_quota_and_checks_signatures() {
    let ivs = emulator().await;
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["u"]);
    ivs.token_controls().set_rate_limit(NonZeroU32::new(1));
    let body = json!({"roomIdentifier": room, "userId": "u"});
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(create_chat_token(&ivs, &body).await);
    }
    let throttled: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert!(!throttled.is_empty(), "{answers:?}");
    assert_eq!(throttled[0].error(), Some("ThrottlingException"));
    assert_eq!(throttled[0].json()["limit"], 200);
    // DisconnectUser's quota is untouched.
    let kick = call_now(&ivs, &json!({"roomIdentifier": room, "userId": "u"})).await;
    assert_eq!(kick.status, 200);

    ivs.token_controls().set_rate_limit(None);
    let forged = call_operation(
        &ivs,
        "/CreateChatToken",
        &body,
        ivs.access_key_id(),
        "not-the-secret",
        SystemTime::now(),
    )
    .await;
    assert_eq!(forged.error(), Some("InvalidSignatureException"));
    assert_eq!(ivs.chat_tokens().len(), answers.len() - throttled.len());
}

#[tokio::test]
async fn the_admin_api_reads_and_resets_issued_chat_tokens() {
    let ivs = emulator().await;
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["u"]);
    create_chat_token(&ivs, &json!({"roomIdentifier": room, "userId": "u"})).await;
    let client = reqwest::Client::new();
    let get = |path: &'static str| {
        let url = format!("{}{path}", ivs.base_url());
        let client = client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .expect("answer")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let tokens = get("/_emulator/ivschat/chat-tokens").await;
    assert_eq!(tokens[0]["user"], "u");
    assert_eq!(tokens[0]["capabilities"], json!([]));
    assert!(tokens[0].get("token").is_none(), "the token is never kept");
    assert_eq!(
        get("/_emulator/ivschat/chat-tokens/counters").await["requests"],
        1
    );
    let requests = get("/_emulator/ivschat/chat-tokens/requests").await;
    assert_eq!(requests[0]["target"], "/CreateChatToken");
    let reset = client
        .post(format!("{}/_emulator/reset", ivs.base_url()))
        .send()
        .await
        .expect("answer");
    assert!(reset.status().is_success());
    assert!(ivs.chat_tokens().is_empty());
    assert_eq!(ivs.token_controls().counters().requests, 0);
    assert_eq!(get("/_emulator/ivschat/chat-tokens").await, json!([]));
}

#[tokio::test]
async fn fault_rules_aim_at_create_chat_token_or_disconnect_user() {
    let ivs = emulator().await;
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["alice", "troll"]);
    let token = json!({"roomIdentifier": room, "userId": "alice"});
    // Throttled for good: IVS's own 429 ThrottlingException, every time.
    let spec: crate::FaultSpec = "ivs-token=throttle".parse().expect("spec");
    assert!(ivs.token_controls().add_fault(spec.rule()));
    for _ in 0..3 {
        let answer = create_chat_token(&ivs, &token).await;
        assert_eq!(answer.status, 429, "{answer:?}");
        assert_eq!(answer.error(), Some("ThrottlingException"));
    }
    assert!(ivs.chat_tokens().is_empty());
    // DisconnectUser is not concerned.
    let answer = call_now(&ivs, &json!({"roomIdentifier": room, "userId": "troll"})).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    ivs.token_controls().clear_faults();
    assert_eq!(create_chat_token(&ivs, &token).await.status, 200);

    // The first two DisconnectUser calls throttled, then served; a junk 200 next, over the admin API.
    let http = reqwest::Client::new();
    let faults = format!("{}/_emulator/faults", ivs.base_url());
    for spec in [
        json!({"api": "ivs-kick", "spec": "throttle-first:2"}),
        json!({"api": "DisconnectUser", "spec": r#"body-first:1:200:application/json:{"ok": true}"#}),
    ] {
        let posted = http.post(&faults).json(&spec).send().await.expect("admin");
        assert_eq!(posted.status().as_u16(), 204);
    }
    let body = json!({"roomIdentifier": room, "userId": "alice"});
    for _ in 0..2 {
        assert_eq!(
            call_now(&ivs, &body).await.error(),
            Some("ThrottlingException")
        );
    }
    let junk = call_now(&ivs, &body).await;
    assert_eq!((junk.status, junk.body.as_str()), (200, r#"{"ok": true}"#));
    assert_eq!(ivs.members(&room), Some(vec!["alice".to_owned()]));
    assert_eq!(call_now(&ivs, &body).await.status, 200);
    assert_eq!(ivs.members(&room), Some(vec![]));

    // Over the admin API, a rule for CreateChatToken lands in its own controls.
    let posted = http
        .post(&faults)
        .json(&json!({"api": "ivs-token", "spec": "body:200:text/html:<html>sign in</html>"}))
        .send()
        .await
        .expect("admin");
    assert_eq!(posted.status().as_u16(), 204);
    let page = create_chat_token(&ivs, &token).await;
    assert_eq!(
        (page.status, page.body.as_str()),
        (200, "<html>sign in</html>")
    );
    assert_eq!(ivs.token_controls().faults().len(), 1);
    assert!(ivs.controls().faults().is_empty());
}
