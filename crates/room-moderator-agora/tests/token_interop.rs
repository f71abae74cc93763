//! Interop: Agora Chat app tokens against Agora's official builder from npm (`agora-token`), run by
//! node from `tests/interop/token.js`.
//!
//! - For the same App ID, certificate, issue time, salt and validity, the token this crate builds
//!   carries exactly the bytes the official one does (signature included). The compressed strings
//!   depend on the zlib build: node bundles its own zlib, whose output differs from zlib's own (which
//!   CPython's builder and this crate use, and which reproduces Agora's Python test vector byte for
//!   byte: see the unit test in `src/token.rs`), so only the inflated bytes must agree here.
//! - A fresh token from the official builder is accepted by the emulator's token check, and one for
//!   another certificate is refused.
//!
//! Setup: if `tests/interop/node_modules` is missing, the test runs `npm ci` there. Without node or
//! npm the test is skipped with a loud message, unless the `CI` environment variable is set: then it
//! fails, so CI never passes without running it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap (helpers included)

use std::path::Path;

use room_moderator_agora::token::{AppCredentials, parse_token};
use room_moderator_emulator::agora::{AgoraConfig, AgoraEmulator};
use room_moderator_node_interop::NodeProject;

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERTIFICATE: &str = "5CFd2fd1755d40ecb72977518be15d3b";

fn node() -> NodeProject {
    NodeProject::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop"),
        "agora-token",
        "agora-token interop test of room-moderator-agora",
    )
}

async fn official(args: &[&str]) -> String {
    let mut all = vec!["token.js"];
    all.extend_from_slice(args);
    node()
        .output(&all)
        .await
        .expect("the official builder runs")
}

#[tokio::test]
async fn tokens_match_the_official_builder_and_the_emulator_accepts_its_tokens() {
    if !node().ready().await {
        return;
    }
    let ours = AppCredentials::new(APP_ID, CERTIFICATE).unwrap();
    for (issued, salt, expire) in [
        (1_111_111u32, 1u32, 600u32),
        (1_764_000_000, 99_999_999, 86_400),
        (1_700_000_123, 4_242, 3600),
    ] {
        let theirs = official(&[
            APP_ID,
            CERTIFICATE,
            &expire.to_string(),
            &issued.to_string(),
            &salt.to_string(),
        ])
        .await;
        let mine = ours.app_token_at(issued, expire, salt);
        let (a, b) = (parse_token(&mine).unwrap(), parse_token(&theirs).unwrap());
        assert_eq!(a, b, "issued {issued}, salt {salt}");
        assert_eq!(a.signature.len(), 32);
        if mine != theirs {
            eprintln!(
                "compressed strings differ (zlib builds differ), content is equal:\n ours   {mine}\n theirs {theirs}"
            );
        }
    }

    // The emulator checks tokens with the project's certificate.
    let emulator = AgoraEmulator::start(
        AgoraConfig::default().with_chat_app(APP_ID, CERTIFICATE),
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let chat = emulator.chat();
    let fresh = official(&[APP_ID, CERTIFICATE, "3600"]).await;
    assert_eq!(chat.check_token(&fresh), Ok(()), "{fresh}");
    let other = official(&[APP_ID, "0123456789abcdef0123456789abcdef", "3600"]).await;
    assert!(chat.check_token(&other).is_err());
    let expired = official(&[APP_ID, CERTIFICATE, "600", "1111111", "1"]).await;
    assert!(chat.check_token(&expired).is_err());
    // And this crate's own token, through the HTTP route, as the adapter sends it.
    assert_eq!(
        chat.check_token(&ours.app_token(std::time::Duration::from_secs(600))),
        Ok(())
    );
}
