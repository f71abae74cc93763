//! Interop: login tokens ("token04") from an implementation this project did not write, ZEGO's
//! official UIKit from npm (`@zegocloud/zego-uikit-prebuilt`, whose `generateKitTokenForTest`
//! builds a token04 in the older AES-CBC form), run by node from `tests/interop/kit_token.js`, are
//! taken by the emulator's token check exactly as the layout documents: its user logs in to ZIM and
//! Express RTC; another user, another project's ServerSecret and an expired token are refused.
//! ZEGO's server-side token generator (`zego_server_assistant`, the AES-GCM form this crate builds)
//! is published on neither npm nor PyPI, so that form is checked against the documented layout
//! (the emulator and this crate's unit tests) only.
//!
//! Setup: if `tests/interop/node_modules` is missing, the test runs `npm ci` there. Without node or
//! npm the test is skipped with a loud message, unless the `CI` environment variable is set: then it
//! fails, so CI never passes without running it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap (helpers included)

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::emulator;
use room_moderator_emulator::zego::{
    DEFAULT_APP_ID, DEFAULT_SERVER_SECRET, TokenLoginError, TokenRefusal, ZegoConfig,
};

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// Skips (outside CI) or fails (in CI) when the node side cannot be set up.
fn unavailable(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("the ZEGO UIKit token interop test cannot run in CI: {why}");
    }
    let bar = "!".repeat(88);
    let message = format!(
        "\n{bar}\n!! SKIPPED: ZEGO UIKit token interop test of room-moderator-zego: {why}\n\
         !! Install node and npm to run it (CI=1 turns this skip into a failure).\n{bar}\n\n"
    );
    let _ = std::io::stderr().write_all(message.as_bytes());
}

/// Runs `program` to its end (a blocking wait: the test's runtime has nothing else to do).
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .current_dir(interop_dir())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{program} {}` failed: {}: {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// node is present and the UIKit is installed.
fn prepare() -> Result<(), String> {
    run("node", &["--version"])?;
    if interop_dir()
        .join("node_modules/@zegocloud/zego-uikit-prebuilt/package.json")
        .exists()
    {
        return Ok(());
    }
    run("npm", &["ci", "--no-audit", "--no-fund"]).map(drop)
}

/// The UIKit's token04 for `user` in `room`, built with `secret`, valid for `seconds`.
fn official(secret: &str, room: &str, user: &str, seconds: u64) -> String {
    let app = DEFAULT_APP_ID.to_string();
    let seconds = seconds.to_string();
    run(
        "node",
        &["kit_token.js", &app, secret, room, user, &seconds],
    )
    .expect("the official UIKit builds a token")
}

fn refusal(result: Result<(), TokenLoginError>) -> TokenRefusal {
    match result {
        Err(TokenLoginError::Token(refusal)) => refusal,
        other => panic!("a token refusal, not {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_official_uikit_token_logs_its_user_in_and_nobody_else() {
    if let Err(why) = prepare() {
        unavailable(&why);
        return;
    }
    let emu = emulator(ZegoConfig::default()).await;
    let token = official(DEFAULT_SERVER_SECRET, "stage", "troll", 60);
    assert!(token.starts_with("04"), "{token}");
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
    let foreign = official("ffffffffffffffffffffffffffffffff", "stage", "troll", 60);
    assert_eq!(
        refusal(emu.zim().login_with_token("lobby", "troll", &foreign)),
        TokenRefusal::NotAuthentic
    );
    // The emulator's clock is tokio's: a minute and a second later the token has lapsed.
    tokio::time::advance(Duration::from_secs(61)).await;
    assert!(matches!(
        refusal(emu.zim().login_with_token("lobby", "troll", &token)),
        TokenRefusal::Expired { .. }
    ));
}
