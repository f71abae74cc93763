//! The stages emulator over loopback HTTP with hand-signed requests: the signing name `ivs` is
//! required (one signed for `ivschat` is refused as AWS refuses it), pages, per-operation quotas,
//! and the join check honouring revocation.

use std::net::SocketAddr;
use std::time::SystemTime;

use axum::http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::super::sigv4::{
    SignedRequest, canonical_request, format_amz_date, signature, signing_key, string_to_sign,
};
use super::*;

async fn emulator() -> IvsStagesEmulator {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    IvsStagesEmulator::start(IvsStagesConfig::default(), any)
        .await
        .expect("starts")
}

/// POSTs `body` to `/<operation>` signed for `service` as the SDK signs it.
async fn call(
    ivs: &IvsStagesEmulator,
    service: &str,
    operation: &str,
    body: &Value,
) -> (u16, HeaderMap, Value) {
    let body = body.to_string();
    let now = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let amz_date = format_amz_date(now);
    let host = ivs.addr().to_string();
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("host", HeaderValue::from_str(&host).expect("host"));
    headers.insert(
        "x-amz-date",
        HeaderValue::from_str(&amz_date).expect("date"),
    );
    let path = format!("/{operation}");
    let signed = ["content-type", "host", "x-amz-date"];
    let request = SignedRequest {
        method: "POST",
        path: &path,
        query: None,
        headers: &headers,
        body: body.as_bytes(),
    };
    let payload = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()));
    let canonical = canonical_request(&request, &signed, &payload);
    let day = &amz_date[..8];
    let scope = format!("{day}/{}/{service}/aws4_request", ivs.region());
    let key = signing_key(ivs.secret_access_key(), day, ivs.region(), service);
    let signature = signature(&key, &string_to_sign(&amz_date, &scope, &canonical));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        ivs.access_key_id(),
        signed.join(";")
    );
    let response = reqwest::Client::new()
        .post(format!("{}{path}", ivs.base_url()))
        .header("content-type", "application/json")
        .header("x-amz-date", &amz_date)
        .header("authorization", authorization)
        .body(body)
        .send()
        .await
        .expect("answered");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn only_requests_signed_for_ivs_are_served() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("studio");
    ivs.seed_stage(&stage, ["alice"]);
    let (status, headers, body) = call(&ivs, "ivschat", "GetStage", &json!({"arn": stage})).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        headers["x-amzn-errortype"]
            .to_str()
            .is_ok_and(|t| t.starts_with("InvalidSignatureException")),
        "{headers:?}"
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("'ivs'")),
        "{body}"
    );
    let (status, _, body) = call(&ivs, "ivs", "GetStage", &json!({"arn": stage})).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["stage"]["activeSessionId"]
            .as_str()
            .is_some_and(|s| s.len() == 16)
    );
    let counters = ivs.operation_controls(Operation::GetStage).counters();
    assert_eq!((counters.requests, counters.violations), (2, 1));
}

#[tokio::test]
async fn participants_come_in_pages_and_errors_carry_exception_message() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("studio");
    let users: Vec<String> = (0..7).map(|i| format!("u{i}")).collect();
    ivs.seed_stage(&stage, &users);
    let (_, _, got) = call(&ivs, "ivs", "GetStage", &json!({"arn": stage})).await;
    let session = got["stage"]["activeSessionId"].clone();
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"stageArn": stage, "sessionId": session, "filterByState": "CONNECTED", "maxResults": 3});
        if let Some(token) = &token {
            body["nextToken"] = json!(token);
        }
        let (status, _, page) = call(&ivs, "ivs", "ListParticipants", &body).await;
        assert_eq!(status, 200, "{page}");
        for p in page["participants"].as_array().expect("list") {
            seen.push(p["userId"].as_str().unwrap_or_default().to_owned());
        }
        match page["nextToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, users);
    let (status, headers, body) = call(
        &ivs,
        "ivs",
        "DisconnectParticipant",
        &json!({"stageArn": stage, "participantId": "nobody"}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(headers["x-amzn-errortype"], "ResourceNotFoundException");
    assert!(
        body["exceptionMessage"]
            .as_str()
            .is_some_and(|m| m.contains("nobody"))
    );
    assert!(body.get("message").is_none(), "{body}");
}

#[tokio::test]
async fn each_operation_has_its_own_quota() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("studio");
    ivs.seed_stage(&stage, ["alice"]);
    for _ in 0..5 {
        let (status, _, _) = call(&ivs, "ivs", "GetStage", &json!({"arn": stage})).await;
        assert_eq!(status, 200);
    }
    let (status, headers, body) = call(&ivs, "ivs", "GetStage", &json!({"arn": stage})).await;
    assert_eq!(status, 429);
    assert_eq!(headers["x-amzn-errortype"], "ThrottlingException");
    assert!(body["exceptionMessage"].is_string(), "{body}");
    // Another operation's quota is untouched.
    let session = ivs.participants(&stage).map(|p| p.len());
    assert_eq!(session, Some(1));
    let (status, _, _) = call(
        &ivs,
        "ivs",
        "CreateParticipantToken",
        &json!({"stageArn": stage, "userId": "bob"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        ivs.operation_controls(Operation::GetStage)
            .counters()
            .throttled,
        1
    );
}

#[tokio::test]
async fn a_disconnected_participant_s_token_cannot_join_again() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("studio");
    ivs.create_stage(&stage);
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let (status, _, body) = call(
            &ivs,
            "ivs",
            "CreateParticipantToken",
            &json!({"stageArn": stage, "userId": "troll", "capabilities": ["PUBLISH"], "duration": 60}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let issued = &body["participantToken"];
        assert_eq!(issued["userId"], "troll");
        tokens.push(issued["token"].as_str().expect("token").to_owned());
    }
    let phone = ivs.join(&stage, &tokens[0]).expect("joins");
    let (status, _, _) = call(
        &ivs,
        "ivs",
        "DisconnectParticipant",
        &json!({"stageArn": stage, "participantId": phone, "reason": "spam"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        ivs.join(&stage, &tokens[0]),
        Err(JoinRefusal::ParticipantDisconnected)
    );
    // Revocation is per token: the same user's other token still joins.
    assert!(ivs.join(&stage, &tokens[1]).is_ok());
    let disconnections = ivs.disconnections();
    assert_eq!(disconnections.len(), 1);
    assert_eq!(disconnections[0].user_id, "troll");
    assert_eq!(disconnections[0].reason.as_deref(), Some("spam"));
    assert_eq!(ivs.participant_tokens().len(), 2);
}
