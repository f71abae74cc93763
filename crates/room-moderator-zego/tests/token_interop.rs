//! Interop: login tokens ("token04") from an implementation this project did not write, ZEGO's
//! official web UIKit from npm (`@zegocloud/zego-uikit-prebuilt`, whose `generateKitTokenForTest`
//! builds a token04 in the older AES-CBC form), run by node from `tests/interop/kit_token.js`, are
//! taken by the emulator's token check exactly as the layout documents: its user logs in to ZIM and
//! Express RTC; another user, another project's ServerSecret and an expired token are refused.
//! ZEGO's server-side token generator (`zego_server_assistant`, the AES-GCM form this crate builds)
//! is published on neither npm nor PyPI, so that form is checked against the documented layout
//! (the emulator and this crate's unit tests) only.
//!
//! Setup: `room-moderator-node-interop` installs `tests/interop` when needed; without node the test
//! is skipped loudly, and fails under CI.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap (helpers included)

mod common;

use std::path::Path;
use std::time::Duration;

use common::{emulator, refusal};
use room_moderator_emulator::zego::{
    DEFAULT_APP_ID, DEFAULT_SERVER_SECRET, TokenRefusal, ZegoConfig,
};
use room_moderator_node_interop::NodeProject;

fn node() -> NodeProject {
    NodeProject::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop"),
        "@zegocloud/zego-uikit-prebuilt",
        "ZEGO UIKit token interop test of room-moderator-zego",
    )
}

/// The UIKit's token04 for `user` in `room`, built with `secret`, valid for `seconds`.
async fn official(secret: &str, room: &str, user: &str, seconds: u64) -> String {
    let app = DEFAULT_APP_ID.to_string();
    let seconds = seconds.to_string();
    node()
        .output(&["kit_token.js", &app, secret, room, user, &seconds])
        .await
        .expect("the official UIKit builds a token")
}

#[tokio::test]
async fn the_official_uikit_token_logs_its_user_in_and_nobody_else() {
    if !node().ready().await {
        return;
    }
    let token = official(DEFAULT_SERVER_SECRET, "stage", "troll", 60).await;
    let foreign = official("ffffffffffffffffffffffffffffffff", "stage", "troll", 60).await;
    assert!(token.starts_with("04"), "{token}");
    let emu = emulator(ZegoConfig::default()).await;
    emu.zim()
        .login_with_token("lobby", "troll", &token)
        .expect("ZIM takes the official token");
    emu.rtc()
        .login_with_token("stage", "troll", &token)
        .expect("Express RTC takes the official token");
    assert_eq!(
        refusal(emu.rtc().login_with_token("stage", "guest", &token)),
        TokenRefusal::OtherUser {
            user_id: "troll".into()
        }
    );
    assert_eq!(
        refusal(emu.zim().login_with_token("lobby", "troll", &foreign)),
        TokenRefusal::NotAuthentic
    );
    // The emulator's clock follows tokio's: a minute and a second later the token has lapsed.
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(61)).await;
    assert!(matches!(
        refusal(emu.zim().login_with_token("lobby", "troll", &token)),
        TokenRefusal::Expired { .. }
    ));
}
