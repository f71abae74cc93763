//! Login tokens ("token04") issued through the token gate (`Moderator::issue_token`) log their
//! user in to the emulator's ZIM and Express RTC, which check them as ZEGO does; a banned user gets
//! none, and a token for someone else, another room (RTC) or another secret is refused with the
//! reason, over the Rust API and the admin HTTP route alike.

mod common;

use std::sync::Arc;

use common::{emulator, refusal, rtc, zim};
use room_moderator_core::{
    Adapter, BanRequest, Engine, MemoryBanStore, Moderator, TokenDecision, TokenOptions,
};
use room_moderator_emulator::zego::{TokenRefusal, ZegoConfig};

/// The adapter behind an engine with a ban store (the token gate asks it).
fn moderator(adapter: impl Adapter) -> Arc<dyn Moderator> {
    Arc::new(
        Engine::builder(adapter)
            .with_ban_store(Arc::new(MemoryBanStore::new()))
            .build(),
    )
}

async fn token(moderator: &dyn Moderator, room: &str, user: &str) -> String {
    match moderator
        .issue_token(&room.into(), &user.into(), &TokenOptions::new())
        .await
        .expect("token gate")
    {
        TokenDecision::Issued(token) => token.secret().to_owned(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn zim_tokens_log_their_user_in_and_nobody_else() {
    let emu = emulator(ZegoConfig::default()).await;
    let moderator = moderator(zim(&emu).build().unwrap());
    let alice = token(moderator.as_ref(), "lobby", "alice").await;
    assert!(alice.starts_with("04"));
    emu.zim()
        .login_with_token("lobby", "alice", &alice)
        .expect("logs in");
    assert_eq!(emu.zim().members("lobby"), Some(vec!["alice".to_owned()]));
    // A ZIM token logs in to ZIM, not to one room.
    emu.zim()
        .login_with_token("elsewhere", "alice", &alice)
        .expect("any room");
    assert_eq!(
        refusal(emu.zim().login_with_token("lobby", "mallory", &alice)),
        TokenRefusal::OtherUser {
            user_id: "alice".into()
        }
    );
    assert_eq!(emu.zim().members("lobby"), Some(vec!["alice".to_owned()]));
}

#[tokio::test]
async fn rtc_tokens_are_bound_to_their_room() {
    let emu = emulator(ZegoConfig::default()).await;
    let moderator = moderator(rtc(&emu).build().unwrap());
    let bob = token(moderator.as_ref(), "stage", "bob").await;
    emu.rtc()
        .login_with_token("stage", "bob", &bob)
        .expect("logs in");
    assert_eq!(
        refusal(emu.rtc().login_with_token("backstage", "bob", &bob)),
        TokenRefusal::OtherRoom {
            room_id: "stage".into()
        }
    );
    assert_eq!(emu.rtc().members("backstage"), None);
}

#[tokio::test]
async fn a_banned_user_gets_no_token_and_another_secret_opens_none() {
    let emu = emulator(ZegoConfig::default()).await;
    let gate = moderator(zim(&emu).build().unwrap());
    gate.ban(&BanRequest::new("lobby", ["troll"]).with_reason("raiding"))
        .await
        .expect("ban");
    let refused = gate
        .issue_token(&"lobby".into(), &"troll".into(), &TokenOptions::new())
        .await
        .expect("token gate");
    assert!(
        matches!(&refused, TokenDecision::Refused { reason: Some(r), .. } if r == "raiding"),
        "{refused:?}"
    );
    // A token built with another project's ServerSecret does not open here.
    let other = emulator(ZegoConfig {
        server_secret: "ffffffffffffffffffffffffffffffff".to_owned(),
        ..ZegoConfig::default()
    })
    .await;
    let foreign = token(
        moderator(zim(&other).build().unwrap()).as_ref(),
        "lobby",
        "guest",
    )
    .await;
    assert_eq!(
        refusal(emu.zim().login_with_token("lobby", "guest", &foreign)),
        TokenRefusal::NotAuthentic
    );
}

#[tokio::test]
async fn the_login_route_checks_a_token_and_says_why_it_refused() {
    let emu = emulator(ZegoConfig::default()).await;
    let moderator = moderator(zim(&emu).build().unwrap());
    let alice = token(moderator.as_ref(), "lobby", "alice").await;
    let client = reqwest::Client::new();
    let login = |user: &'static str, token: String| {
        let request = client
            .post(format!("{}/_emulator/rooms/lobby/login", emu.zim().url()))
            .json(&serde_json::json!({ "user": user, "token": token }));
        async move {
            let answer = request.send().await.expect("answer");
            let status = answer.status().as_u16();
            (
                status,
                answer.json::<serde_json::Value>().await.expect("JSON"),
            )
        }
    };
    let (status, body) = login("alice", alice.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["members"], serde_json::json!(["alice"]));
    let (status, body) = login("mallory", alice.clone()).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["token"]["reason"], "other_user");
    let mut altered = alice.into_bytes();
    let last = altered.len() - 6;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let (status, body) = login("alice", String::from_utf8(altered).unwrap()).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["token"]["reason"], "not_authentic");
}
