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

/// The whole answer of a signed `action` call.
async fn call(service: &ZegoService, emu: &ZegoEmulator, action: &str, rest: &str) -> Value {
    let (status, body) = get(service, &signed(emu, action, 0, None, rest)).await;
    assert_eq!(status, 200);
    body
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .map(|users| {
            users
                .iter()
                .filter_map(|user| user[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn query_room_user_list_pages_to_either_end_marker() {
    for (marker, end) in [(EndMarker::Empty, ""), (EndMarker::Zero, "0")] {
        let emu = start(ZegoConfig {
            zim_end_marker: marker,
            ..ZegoConfig::default()
        })
        .await;
        let members: Vec<String> = (0..5).map(|i| format!("u{i}")).collect();
        emu.zim().seed_room("big", members.clone());
        let mut seen = Vec::new();
        let mut next = String::new();
        for page in 0.. {
            let flag = if next.is_empty() {
                String::new()
            } else {
                format!("&NextFlag={next}")
            };
            let body = call(
                emu.zim(),
                &emu,
                "QueryRoomUserList",
                &format!("RoomId=big&Mode=0&Limit=2{flag}"),
            )
            .await;
            assert_eq!(body["Code"], 0, "{body}");
            assert_eq!(body["Count"], 5, "the room's total, not the page's");
            seen.extend(ids(&body["UserList"], "UserId"));
            next = body["NextFlag"].as_str().unwrap().to_owned();
            if page == 2 {
                assert_eq!(next, end);
                break;
            }
            assert_ne!(next, end);
        }
        assert_eq!(seen, members);
        // Switched while running, the other marker.
        let other = if marker == EndMarker::Empty {
            EndMarker::Zero
        } else {
            EndMarker::Empty
        };
        emu.zim().set_end_marker(other);
        let body = call(emu.zim(), &emu, "QueryRoomUserList", "RoomId=big").await;
        assert_eq!(body["NextFlag"], if end.is_empty() { "0" } else { "" });
    }
    let emu = start(ZegoConfig::default()).await;
    let body = call(emu.zim(), &emu, "QueryRoomUserList", "RoomId=nowhere").await;
    assert_eq!(body["Code"], 660300001);
    emu.zim().seed_room("emptied", ["a"]);
    emu.zim().rooms().remove("emptied", "a");
    let body = call(emu.zim(), &emu, "QueryRoomUserList", "RoomId=emptied").await;
    assert_eq!(body["Code"], 660300008);
    let body = call(
        emu.zim(),
        &emu,
        "QueryRoomUserList",
        "RoomId=emptied&Limit=501",
    )
    .await;
    assert_eq!(body["Code"], 660000002);
    assert_eq!(emu.zim().controls().counters().requests, 3);
}

#[tokio::test]
async fn query_room_members_in_both_spellings_reads_errors_on_failure_too() {
    let emu = start(ZegoConfig::default()).await;
    emu.zim().seed_room("r", ["a", "b"]);
    let body = call(
        emu.zim(),
        &emu,
        "QueryRoomMembers",
        "RoomId=r&UserId[]=a&UserId[]=x",
    )
    .await;
    assert_eq!(body["Code"], 0);
    assert_eq!(ids(&body["UserList"], "user_id"), ["a"]);
    assert_eq!(ids(&body["ErrorList"], "UserId"), ["x"]);
    assert_eq!(body["ErrorList"][0]["SubCode"], 660300012);
    let body = call(
        emu.zim(),
        &emu,
        "QueryRoomMembers",
        "RoomId=r&UserId[]=x&UserId[]=y",
    )
    .await;
    assert_ne!(body["Code"], 0, "nobody there fails the call");
    assert_eq!(ids(&body["ErrorList"], "UserId"), ["x", "y"]);

    emu.zim().set_members_spelling(MembersSpelling::Legacy);
    let body = call(
        emu.zim(),
        &emu,
        "QueryRoomMembers",
        "RoomId=r&UserId[]=b&UserId[]=x",
    )
    .await;
    assert_eq!(ids(&body["UserList"], "UserId"), ["b"]);
    assert_eq!(ids(&body["ErrorUser"], "UserId"), ["x"]);
    assert!(body.get("ErrorList").is_none());

    let eleven = users(&["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]);
    let body = call(
        emu.zim(),
        &emu,
        "QueryRoomMembers",
        &format!("RoomId=r&{eleven}"),
    )
    .await;
    assert_eq!(body["Code"], 660000011);
    let body = call(
        emu.zim(),
        &emu,
        "QueryRoomMembers",
        "RoomId=nowhere&UserId[]=a",
    )
    .await;
    assert_eq!(body["Code"], 660300001);
}

#[tokio::test]
async fn query_room_members_is_limited_per_room() {
    let emu = start(ZegoConfig::default()).await;
    emu.zim().seed_room("r", ["a"]);
    emu.zim().seed_room("s", ["a"]);
    let mut codes = Vec::new();
    for _ in 0..6 {
        codes.push(
            call(emu.zim(), &emu, "QueryRoomMembers", "RoomId=r&UserId[]=a").await["Code"].clone(),
        );
    }
    // Six calls within a second (the window is a full second, these take milliseconds).
    assert_eq!(
        codes.iter().filter(|code| **code == 660300006).count(),
        1,
        "{codes:?}"
    );
    let body = call(emu.zim(), &emu, "QueryRoomMembers", "RoomId=s&UserId[]=a").await;
    assert_eq!(body["Code"], 0, "another room has its own budget");
    assert_eq!(emu.zim().controls().counters().throttled, 1);
    assert!(
        emu.zim()
            .controls()
            .requests()
            .iter()
            .any(|r| r.result == "throttled"),
        "logged like a throttled kick"
    );
}

#[tokio::test]
async fn describe_user_list_pages_by_marker_and_is_limited_per_room() {
    let emu = start(ZegoConfig::default()).await;
    let members: Vec<String> = (0..450).map(|i| format!("user-{i:03}")).collect();
    emu.rtc().seed_room("live", members.clone());
    emu.rtc().seed_room("other", ["z"]);
    let first = call(
        emu.rtc(),
        &emu,
        "DescribeUserList",
        "RoomId=live&Mode=0&Limit=200",
    )
    .await;
    assert_eq!(first["Code"], 0);
    assert_eq!(first["Data"]["UserList"].as_array().unwrap().len(), 200);
    let marker = first["Data"]["Marker"].as_str().unwrap().to_owned();
    assert!(!marker.is_empty());
    let throttled = call(
        emu.rtc(),
        &emu,
        "DescribeUserList",
        &format!("RoomId=live&Limit=200&Marker={marker}"),
    )
    .await;
    assert_eq!(throttled["Code"], 207, "1/s per room");
    let other = call(emu.rtc(), &emu, "DescribeUserList", "RoomId=other").await;
    assert_eq!(ids(&other["Data"]["UserList"], "UserId"), ["z"]);
    assert_eq!(other["Data"]["Marker"], "");

    emu.rtc().set_api_rate_limits(false);
    let mut seen = ids(&first["Data"]["UserList"], "UserId");
    let mut marker = marker;
    while !marker.is_empty() {
        let page = call(
            emu.rtc(),
            &emu,
            "DescribeUserList",
            &format!("RoomId=live&Limit=200&Marker={marker}"),
        )
        .await;
        seen.extend(ids(&page["Data"]["UserList"], "UserId"));
        marker = page["Data"]["Marker"].as_str().unwrap().to_owned();
    }
    assert_eq!(seen, members);
    let none = call(emu.rtc(), &emu, "DescribeUserList", "RoomId=nowhere").await;
    assert_eq!(none["Code"], 0, "a missing room lists nobody");
    assert_eq!(none["Data"]["UserList"], serde_json::json!([]));
}

#[tokio::test]
async fn ban_rules_round_trip_refuse_logins_and_lapse() {
    let emu = start(ZegoConfig::default()).await;
    emu.rtc().seed_room("live", ["troll", "fan"]);
    let set = call(
        emu.rtc(),
        &emu,
        "SetForbidUserRule",
        "RuleType=4&RoomId=live&UserId=troll&DisabledPrivilege[]=1&EffectiveTime=3600",
    )
    .await;
    assert_eq!(set["Code"], 0, "{set}");
    let expire = set["Data"]["ExpireTime"].as_i64().unwrap();
    assert!((now() + 3595..=now() + 3605).contains(&expire), "{expire}");
    let rules = emu.rtc().ban_rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        (
            rules[0].rule_type,
            rules[0].privileges.as_slice(),
            rules[0].effective_secs
        ),
        (4, &[1u8][..], 3600)
    );

    // The rule does not eject: the troll is still in the room until kicked, and cannot come back.
    assert!(emu.rtc().rooms().contains("live", "troll"));
    assert_eq!(rtc(&emu, "RoomId=live&UserId[]=troll").await, 0);
    let refused = emu.rtc().login("live", "troll").unwrap_err();
    assert!(
        refused.to_string().contains("refused by a ban rule"),
        "{refused}"
    );
    assert!(emu.rtc().login("lobby", "troll").is_ok(), "another room");
    assert!(emu.rtc().login("live", "newcomer").is_ok());
    assert_eq!(emu.rtc().refused_logins(), 1);
    assert_eq!(emu.rtc().logins().len(), 3);

    let listed = call(emu.rtc(), &emu, "DescribeForbidUserRules", "RuleType=4").await;
    let list = listed["Data"]["RuleList"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["RoomId"], "live");
    assert_eq!(list[0]["UserId"], "troll");
    assert_eq!(list[0]["DisabledPrivilegeList"], serde_json::json!([1]));
    assert_eq!(list[0]["ExpireTime"], expire);

    let deleted = call(
        emu.rtc(),
        &emu,
        "DelForbidUserRule",
        "RuleType=4&RoomId=live&UserId=troll",
    )
    .await;
    assert_eq!(deleted["Code"], 0);
    assert!(emu.rtc().login("live", "troll").is_ok());
    let again = call(
        emu.rtc(),
        &emu,
        "DelForbidUserRule",
        "RuleType=4&RoomId=live&UserId=troll",
    )
    .await;
    assert_eq!(again["Code"], 0, "deleting a missing rule is no error");

    // A rule lapses by EffectiveTime on the emulator's clock.
    let set = call(
        emu.rtc(),
        &emu,
        "SetForbidUserRule",
        "RuleType=4&RoomId=live&UserId=fan&DisabledPrivilege[]=1&EffectiveTime=60",
    )
    .await;
    assert_eq!(set["Code"], 0);
    assert!(emu.rtc().login("live", "fan").is_err());
    tokio::time::pause();
    tokio::time::advance(std::time::Duration::from_secs(61)).await;
    assert!(emu.rtc().login("live", "fan").is_ok(), "lapsed");
    assert_eq!(
        emu.rtc().ban_rules().len(),
        1,
        "a lapsed rule is still listed for a while"
    );
}

#[tokio::test]
async fn ban_rules_check_parameters_the_200_cap_and_the_permission() {
    let emu = start(ZegoConfig {
        api_rate_limits: false,
        ..ZegoConfig::default()
    })
    .await;
    for bad in [
        "RuleType=4&RoomId=r&UserId=u&DisabledPrivilege[]=1&EffectiveTime=0",
        "RuleType=4&RoomId=r&UserId=u&DisabledPrivilege[]=1&EffectiveTime=86401",
        "RuleType=4&RoomId=r&UserId=u&EffectiveTime=60",
        "RuleType=4&RoomId=r&UserId=u&DisabledPrivilege[]=3&EffectiveTime=60",
        "RuleType=4&RoomId=r&DisabledPrivilege[]=1&EffectiveTime=60",
    ] {
        let body = call(emu.rtc(), &emu, "SetForbidUserRule", bad).await;
        assert_eq!(body["Code"], 2, "{bad}");
    }
    for i in 0..200 {
        let body = call(
            emu.rtc(),
            &emu,
            "SetForbidUserRule",
            &format!("RuleType=4&RoomId=r&UserId=u{i}&DisabledPrivilege[]=1&EffectiveTime=600"),
        )
        .await;
        assert_eq!(body["Code"], 0, "{i}");
    }
    let full = call(
        emu.rtc(),
        &emu,
        "SetForbidUserRule",
        "RuleType=4&RoomId=r&UserId=one-more&DisabledPrivilege[]=1&EffectiveTime=600",
    )
    .await;
    assert_eq!(full["Code"], 50123);
    let renewed = call(
        emu.rtc(),
        &emu,
        "SetForbidUserRule",
        "RuleType=4&RoomId=r&UserId=u0&DisabledPrivilege[]=1&EffectiveTime=900",
    )
    .await;
    assert_eq!(renewed["Code"], 0, "renewing a rule in force adds none");

    let http = reqwest::Client::new();
    let switched = http
        .post(format!("{}/_emulator/zego/settings", emu.rtc().url()))
        .json(&serde_json::json!({"ban_rules_enabled": false}))
        .send()
        .await
        .unwrap();
    assert!(switched.status().is_success());
    for (action, rest) in [
        (
            "SetForbidUserRule",
            "RuleType=4&RoomId=r&UserId=u&DisabledPrivilege[]=1&EffectiveTime=60",
        ),
        ("DelForbidUserRule", "RuleType=4&RoomId=r&UserId=u"),
        ("DescribeForbidUserRules", "RuleType=4"),
    ] {
        assert_eq!(
            call(emu.rtc(), &emu, action, rest).await["Code"],
            9,
            "{action}"
        );
    }
    // Logins are refused over HTTP too, with the rule.
    let login = http
        .post(format!("{}/_emulator/rooms/r/login", emu.rtc().url()))
        .json(&serde_json::json!({"user": "u5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 403);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["rule"]["rule_type"], 4);
    let logins: Value = http
        .get(format!("{}/_emulator/logins", emu.rtc().url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(logins[0]["admitted"], false);
}

#[tokio::test]
async fn the_rule_limit_is_configurable_and_switchable() {
    let emu = start(ZegoConfig {
        api_rate_limits: false,
        rtc_max_ban_rules: 2,
        ..ZegoConfig::default()
    })
    .await;
    let rule = |user: &str| {
        format!("RuleType=4&RoomId=r&UserId={user}&DisabledPrivilege[]=1&EffectiveTime=600")
    };
    for user in ["a", "b"] {
        assert_eq!(
            call(emu.rtc(), &emu, "SetForbidUserRule", &rule(user)).await["Code"],
            0
        );
    }
    assert_eq!(
        call(emu.rtc(), &emu, "SetForbidUserRule", &rule("c")).await["Code"],
        50123
    );
    assert_eq!(emu.rtc().ban_rules().len(), 2);

    let switched = reqwest::Client::new()
        .post(format!("{}/_emulator/zego/settings", emu.rtc().url()))
        .json(&serde_json::json!({"max_ban_rules": 3}))
        .send()
        .await
        .unwrap();
    assert!(switched.status().is_success());
    assert_eq!(
        call(emu.rtc(), &emu, "SetForbidUserRule", &rule("c")).await["Code"],
        0
    );
    emu.rtc().set_max_ban_rules(1);
    assert_eq!(
        call(emu.rtc(), &emu, "SetForbidUserRule", &rule("d")).await["Code"],
        50123
    );
    assert_eq!(emu.rtc().ban_rules().len(), 3, "rules already set stay");
}

#[tokio::test(start_paused = true)]
async fn rtc_side_calls_do_not_use_the_kick_quota_and_have_their_own() {
    let emu = start(ZegoConfig {
        rtc_rate_per_second: NonZeroU32::new(1),
        ..ZegoConfig::default()
    })
    .await;
    emu.rtc().seed_room("r", ["a", "b"]);
    assert_eq!(rtc(&emu, "RoomId=r&UserId[]=a").await, 0);
    let rule = "RuleType=4&RoomId=r&UserId=a&DisabledPrivilege[]=1&EffectiveTime=60";
    assert_eq!(
        call(emu.rtc(), &emu, "SetForbidUserRule", rule).await["Code"],
        0
    );
    assert_eq!(
        call(emu.rtc(), &emu, "DescribeForbidUserRules", "RuleType=4").await["Code"],
        0
    );
    assert_eq!(
        call(emu.rtc(), &emu, "DescribeForbidUserRules", "RuleType=4").await["Code"],
        206,
        "1/s"
    );
    assert_eq!(
        rtc(&emu, "RoomId=r&UserId[]=b").await,
        206,
        "the kick's own quota"
    );
    let mut codes = Vec::new();
    for _ in 0..10 {
        codes.push(
            call(
                emu.rtc(),
                &emu,
                "DelForbidUserRule",
                "RuleType=4&RoomId=r&UserId=a",
            )
            .await["Code"]
                .clone(),
        );
    }
    assert_eq!(
        codes.iter().filter(|c| **c == 206).count(),
        1,
        "set and delete share 10/s: {codes:?}"
    );
    assert_eq!(emu.rtc().controls().counters().requests, 15);
}

/// The raw answer to a signed call: status, content type, body.
async fn raw(
    service: &ZegoService,
    emu: &ZegoEmulator,
    action: &str,
    rest: &str,
) -> (u16, String, String) {
    let response = reqwest::get(format!(
        "{}/?{}",
        service.url(),
        signed(emu, action, 0, None, rest)
    ))
    .await
    .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn a_fault_rule_throttles_one_api_for_good_and_leaves_the_others() {
    let emu = start(ZegoConfig::default()).await;
    emu.zim().seed_room("lobby", ["a", "b"]);
    emu.rtc().seed_room("stage", ["a"]);
    assert!(emu.zim().controls().add_fault(crate::FaultRule::always(
        crate::Api::ZimKick,
        Fault::Throttle {
            retry_after: Some(1)
        },
    )));
    assert!(emu.rtc().controls().add_fault(crate::FaultRule::always(
        crate::Api::RtcBan,
        Fault::Throttle { retry_after: None },
    )));
    for _ in 0..5 {
        // ZEGO's own throttled answer: HTTP 200 and the code, no Retry-After (none documented).
        let (status, _, body) = raw(
            emu.zim(),
            &emu,
            "KickoutRoomUser",
            "RoomId=lobby&UserId[]=a",
        )
        .await;
        assert_eq!(status, 200);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["Code"], 660300005);
    }
    let listing = call(
        emu.zim(),
        &emu,
        "QueryRoomUserList",
        "RoomId=lobby&Mode=0&Limit=10",
    )
    .await;
    assert_eq!(listing["Code"], 0, "another API of the listener is served");
    let ban = call(
        emu.rtc(),
        &emu,
        "SetForbidUserRule",
        "RuleType=4&RoomId=stage&UserId=a&DisabledPrivilege[]=1&EffectiveTime=60",
    )
    .await;
    assert_eq!(ban["Code"], 206, "{ban}");
    assert_eq!(
        rtc(&emu, "RoomId=stage&UserId[]=a").await,
        0,
        "the RTC kick is served"
    );
    assert_eq!(emu.zim().members("lobby").map(|m| m.len()), Some(2));
    let counters = emu.zim().controls().counters();
    assert_eq!(
        (counters.requests, counters.faults, counters.throttled),
        (6, 5, 0)
    );

    emu.zim().controls().clear_faults();
    assert_eq!(zim(&emu, "RoomId=lobby&UserId[]=a").await, 0);
}

#[tokio::test]
async fn throttle_first_n_then_normal_service() {
    let emu = start(ZegoConfig::default()).await;
    emu.zim().seed_room("lobby", ["a", "b", "c"]);
    let spec: crate::FaultSpec = "zim-kick=throttle-first:2".parse().unwrap();
    assert!(emu.zim().controls().add_fault(spec.rule()));
    // A call of another API does not count towards the two.
    let listing = call(
        emu.zim(),
        &emu,
        "QueryRoomUserList",
        "RoomId=lobby&Mode=0&Limit=10",
    )
    .await;
    assert_eq!(listing["Code"], 0);
    assert_eq!(zim(&emu, "RoomId=lobby&UserId[]=a").await, 660300005);
    assert_eq!(zim(&emu, "RoomId=lobby&UserId[]=a").await, 660300005);
    assert_eq!(zim(&emu, "RoomId=lobby&UserId[]=a").await, 0);
    assert_eq!(zim(&emu, "RoomId=lobby&UserId[]=b").await, 0);
    assert!(
        emu.zim().controls().faults().is_empty(),
        "a spent rule is gone"
    );
}

#[tokio::test]
async fn body_faults_over_the_admin_api_answer_status_type_and_body() {
    let emu = start(ZegoConfig::default()).await;
    emu.zim().seed_room("lobby", ["a"]);
    emu.rtc().seed_room("stage", ["a"]);
    let http = reqwest::Client::new();
    let post = |url: String, body: Value| {
        let http = http.clone();
        async move {
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let faults = format!("{}/_emulator/faults", emu.zim().url());
    assert_eq!(
        post(
            faults.clone(),
            serde_json::json!({"api": "zim-kick", "spec": r#"body-first:3:200:application/json:{"ok": true}"#}),
        )
        .await,
        204
    );
    for _ in 0..3 {
        let answer = raw(
            emu.zim(),
            &emu,
            "KickoutRoomUser",
            "RoomId=lobby&UserId[]=a",
        )
        .await;
        assert_eq!(
            answer,
            (
                200,
                "application/json".to_owned(),
                r#"{"ok": true}"#.to_owned()
            )
        );
    }
    assert_eq!(
        zim(&emu, "RoomId=lobby&UserId[]=a").await,
        0,
        "then the real service"
    );

    // An API this listener does not serve, or a malformed fault, is refused.
    assert_eq!(
        post(
            faults.clone(),
            serde_json::json!({"api": "ivs-token", "spec": "throttle"})
        )
        .await,
        400
    );
    assert_eq!(
        post(
            faults.clone(),
            serde_json::json!({"api": "zim-kick", "spec": "throttle-first:x"})
        )
        .await,
        400
    );

    // A captive proxy's page for every call, in the JSON form.
    assert_eq!(
        post(
            faults.clone(),
            serde_json::json!({"api": "KickoutRoomUser", "always": true, "fault": "status", "status": 200,
                "body": "<html>sign in</html>", "headers": [["content-type", "text/html"]]}),
        )
        .await,
        204
    );
    for _ in 0..4 {
        let answer = raw(
            emu.zim(),
            &emu,
            "KickoutRoomUser",
            "RoomId=lobby&UserId[]=a",
        )
        .await;
        assert_eq!(
            answer,
            (
                200,
                "text/html".to_owned(),
                "<html>sign in</html>".to_owned()
            )
        );
    }
    let cleared = http.delete(&faults).send().await.unwrap();
    assert_eq!(cleared.status().as_u16(), 204);
    assert!(emu.zim().controls().faults().is_empty());

    // A gateway's 429 with Retry-After, on RTC's ban rules only.
    let rtc_faults = format!("{}/_emulator/faults", emu.rtc().url());
    assert_eq!(
        post(
            rtc_faults,
            serde_json::json!({"api": "rtc-ban", "spec": "body:retry-after=1:429:text/plain:Too Many Requests"}),
        )
        .await,
        204
    );
    let response = reqwest::get(format!(
        "{}/?{}",
        emu.rtc().url(),
        signed(
            &emu,
            "SetForbidUserRule",
            0,
            None,
            "RuleType=4&RoomId=stage&UserId=a&DisabledPrivilege[]=1&EffectiveTime=60"
        )
    ))
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(rtc(&emu, "RoomId=stage&UserId[]=a").await, 0);
}
