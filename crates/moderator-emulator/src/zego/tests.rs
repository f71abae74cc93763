//! The ZEGO emulator over real loopback HTTP, with requests signed here independently of any adapter.

use std::num::NonZeroU32;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::auth::signature;
use super::*;
use crate::Fault;

async fn start(config: ZegoConfig) -> ZegoEmulator {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    ZegoEmulator::start(config, any, any).await.unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0x1000_0000_0000_0000);
    format!("{:016x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A signed query for `action` with `rest` appended (already encoded).
fn signed(emu: &ZegoEmulator, action: &str, skew: i64, secret: Option<&str>, rest: &str) -> String {
    let app_id = emu.app_id().to_string();
    let nonce = nonce();
    let ts = (now() + skew).to_string();
    let sig = signature(&app_id, &nonce, secret.unwrap_or(emu.server_secret()), &ts);
    format!(
        "Action={action}&AppId={app_id}&SignatureNonce={nonce}&Timestamp={ts}&Signature={sig}&SignatureVersion=2.0&{rest}"
    )
}

async fn get(service: &ZegoService, query: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}/?{query}", service.url()))
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn zim(emu: &ZegoEmulator, rest: &str) -> i64 {
    let (status, body) = get(emu.zim(), &signed(emu, "KickoutRoomUser", 0, None, rest)).await;
    assert_eq!(status, 200);
    body["Code"].as_i64().unwrap()
}

async fn rtc(emu: &ZegoEmulator, rest: &str) -> i64 {
    let (status, body) = get(emu.rtc(), &signed(emu, "KickoutUser", 0, None, rest)).await;
    assert_eq!(status, 200);
    body["Code"].as_i64().unwrap()
}

fn users(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("UserId[]={id}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn zim_kick_removes_members_and_answers_the_envelope() {
    let emu = start(ZegoConfig::default()).await;
    emu.zim().seed_room("lobby", ["a", "b", "c"]);
    let (status, body) = get(
        emu.zim(),
        &signed(&emu, "KickoutRoomUser", 0, None, "RoomId=lobby&UserId[]=a&UserId%5B%5D=b&CustomReason=spam%20%26%20abuse&FromUserId=admin"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["Code"], 0);
    assert_eq!(body["Message"], "success");
    assert!(body["RequestId"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(emu.zim().members("lobby"), Some(vec!["c".to_owned()]));
    let kicks = emu.zim().kicks();
    assert_eq!(kicks.len(), 2);
    assert_eq!(kicks[0].reason.as_deref(), Some("spam & abuse"));
    assert_eq!(kicks[0].from_user_id.as_deref(), Some("admin"));
    assert_eq!(emu.zim().controls().counters().violations, 0);
}

#[tokio::test]
async fn signature_window_and_action_checks() {
    let emu = start(ZegoConfig::default()).await;
    emu.zim().seed_room("r", ["a"]);
    let code = |(_, body): (u16, Value)| body["Code"].as_i64().unwrap();
    let bad_secret = signed(
        &emu,
        "KickoutRoomUser",
        0,
        Some("wrong"),
        "RoomId=r&UserId[]=a",
    );
    assert_eq!(code(get(emu.zim(), &bad_secret).await), 100000005);
    let expired = signed(&emu, "KickoutRoomUser", -1200, None, "RoomId=r&UserId[]=a");
    assert_eq!(code(get(emu.zim(), &expired).await), 100000004);
    let wrong_action = signed(&emu, "KickoutUser", 0, None, "RoomId=r&UserId[]=a");
    assert_eq!(code(get(emu.zim(), &wrong_action).await), 100000007);
    assert_eq!(code(get(emu.zim(), "RoomId=r").await), 100000006);
    let v1 = signed(&emu, "KickoutRoomUser", 0, None, "RoomId=r&UserId[]=a")
        .replace("SignatureVersion=2.0", "SignatureVersion=1.0");
    assert_eq!(code(get(emu.zim(), &v1).await), 100000014);
    assert_eq!(
        emu.zim().members("r"),
        Some(vec!["a".to_owned()]),
        "nothing removed"
    );
    assert_eq!(emu.zim().controls().counters().violations, 5);
    let replay = signed(&emu, "KickoutUser", 0, None, "RoomId=r&UserId[]=x");
    emu.rtc().seed_room("r", ["y"]);
    assert_eq!(code(get(emu.rtc(), &replay).await), 0);
    assert_eq!(
        code(get(emu.rtc(), &replay).await),
        100000005,
        "reused nonce"
    );
}

#[tokio::test]
async fn zim_limits_and_missing_room() {
    let emu = start(ZegoConfig::default()).await;
    emu.zim().seed_room("r", ["a"]);
    let fifty_one: Vec<String> = (0..51).map(|i| format!("u{i}")).collect();
    let fifty_one: Vec<&str> = fifty_one.iter().map(String::as_str).collect();
    let long = "x".repeat(33);
    let cases = [
        (
            format!("RoomId=r&{}", users(&fifty_one)),
            660000011,
            "51 users",
        ),
        (
            format!("RoomId=r&UserId[]={long}"),
            660000012,
            "33-byte user id",
        ),
        (
            "RoomId=r&UserId[]=a%2Fb".to_owned(),
            660000002,
            "'/' is not in the charset",
        ),
        (
            format!("RoomId={long}&UserId[]=a"),
            660000002,
            "33-character room id",
        ),
        (
            "RoomId=r&UserId=a".to_owned(),
            660000002,
            "the array key needs brackets",
        ),
        (
            format!("RoomId=r&UserId[]=a&CustomReason={long}"),
            660000002,
            "33-byte reason",
        ),
    ];
    for (query, code, why) in &cases {
        assert_eq!(zim(&emu, query).await, *code, "{why}");
    }
    assert_eq!(
        emu.zim().controls().counters().violations,
        cases.len() as u64
    );
    assert_eq!(zim(&emu, "RoomId=nope&UserId[]=a").await, 660300001);
    assert_eq!(
        emu.zim().controls().counters().violations,
        cases.len() as u64,
        "an unknown room is not a violation"
    );
    assert_eq!(emu.zim().members("r"), Some(vec!["a".to_owned()]));
}

#[tokio::test]
async fn zim_partial_batch_follows_the_knob() {
    for (knob, left) in [
        (PartialBatch::FailWhole, vec!["a", "b"]),
        (PartialBatch::RemovePresent, vec!["b"]),
    ] {
        let emu = start(ZegoConfig {
            zim_partial: knob,
            ..ZegoConfig::default()
        })
        .await;
        emu.zim().seed_room("r", ["a", "b"]);
        let code = zim(&emu, "RoomId=r&UserId[]=a&UserId[]=ghost").await;
        assert_eq!(code, 660300002, "{knob:?}");
        let left: Vec<String> = left.into_iter().map(str::to_owned).collect();
        assert_eq!(emu.zim().members("r"), Some(left), "{knob:?}");
        assert_eq!(zim(&emu, "RoomId=r&UserId[]=ghost").await, 660300002);
        assert_eq!(
            emu.zim().controls().counters().violations,
            0,
            "absence is not a violation"
        );
    }
}

#[tokio::test]
async fn rtc_limits_absent_users_and_missing_room() {
    let emu = start(ZegoConfig::default()).await;
    emu.rtc().seed_room("live", ["a", "b"]);
    assert_eq!(
        rtc(
            &emu,
            &format!("RoomId=live&{}", users(&["1", "2", "3", "4", "5", "6"]))
        )
        .await,
        50011
    );
    assert_eq!(
        rtc(&emu, "RoomId=live&UserId[]=a&UserId[]=ghost&IsTest=false").await,
        0
    );
    assert_eq!(emu.rtc().members("live"), Some(vec!["b".to_owned()]));
    assert_eq!(
        rtc(&emu, "RoomId=live&UserId[]=ghost").await,
        0,
        "absent users succeed"
    );
    assert_eq!(
        rtc(
            &emu,
            &format!("RoomId=live&UserId[]=b&CustomReason={}", "x".repeat(257))
        )
        .await,
        3
    );
    assert_eq!(rtc(&emu, "RoomId=live&UserId[]=b&IsTest=maybe").await, 2);
    assert_eq!(rtc(&emu, "RoomId=gone&UserId[]=b").await, 104);
    assert_eq!(emu.rtc().kicks().len(), 1);
    assert!(
        emu.zim().members("live").is_none(),
        "products keep separate rooms"
    );
}

#[tokio::test]
async fn rate_limit_answers_each_products_throttle_code() {
    let one = NonZeroU32::new(1);
    let emu = start(ZegoConfig {
        zim_rate_per_second: one,
        rtc_rate_per_second: one,
        ..ZegoConfig::default()
    })
    .await;
    emu.zim().seed_room("r", ["a", "b"]);
    emu.rtc().seed_room("r", ["a", "b"]);
    // One request per second with a burst of one: the second of two back-to-back requests is over.
    let codes = [
        zim(&emu, "RoomId=r&UserId[]=a").await,
        zim(&emu, "RoomId=r&UserId[]=b").await,
    ];
    assert!(codes.contains(&660300005), "{codes:?}");
    let codes = [
        rtc(&emu, "RoomId=r&UserId[]=a").await,
        rtc(&emu, "RoomId=r&UserId[]=b").await,
    ];
    assert!(codes.contains(&206), "{codes:?}");
    assert!(emu.zim().controls().counters().throttled >= 1);
}

#[tokio::test]
async fn scripted_faults_and_admin_api() {
    let emu = start(ZegoConfig::default()).await;
    let http = reqwest::Client::new();
    let seeded = http
        .put(format!("{}/_emulator/rooms/lobby", emu.zim().url()))
        .json(&serde_json::json!({"members": ["a", "b"]}))
        .send()
        .await
        .unwrap();
    assert!(seeded.status().is_success());
    assert_eq!(
        emu.zim().members("lobby"),
        Some(vec!["a".to_owned(), "b".to_owned()])
    );

    emu.zim()
        .controls()
        .push_fault(Fault::Throttle { retry_after: None });
    assert_eq!(zim(&emu, "RoomId=lobby&UserId[]=a").await, 660300005);
    emu.zim().controls().push_fault(Fault::unavailable());
    let response = reqwest::get(format!(
        "{}/?{}",
        emu.zim().url(),
        signed(&emu, "KickoutRoomUser", 0, None, "RoomId=lobby&UserId[]=a")
    ))
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(zim(&emu, "RoomId=lobby&UserId[]=a").await, 0);
    assert_eq!(
        emu.zim().controls().requests().len(),
        3,
        "admin calls are not logged"
    );

    let reset = http
        .post(format!("{}/_emulator/reset", emu.zim().url()))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success());
    assert!(emu.zim().members("lobby").is_none());
    assert!(emu.zim().kicks().is_empty());
}
