//! How the adapters classify and recover from failures the emulator scripts or detects: throttling,
//! bad credentials, clock skew, gateway pages, broken connections, timeouts.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use room_moderator_core::{
    DisconnectRequest, Engine, Error, ErrorKind, Moderator, Outcome, Report, RetryStatus,
};
use room_moderator_emulator::Fault;
use room_moderator_emulator::zego::{ZegoConfig, ZegoEmulator};

fn only_error(report: &Report) -> &Error {
    let entry = &report.users()[0];
    entry
        .outcome
        .error()
        .unwrap_or_else(|| panic!("{report:?}"))
}

/// An emulator whose ZIM and RTC both have room "r" with user "a" in it.
async fn emulator_with_a() -> ZegoEmulator {
    let emu = emulator(ZegoConfig::default()).await;
    emu.zim().seed_room("r", ["a"]);
    emu.rtc().seed_room("r", ["a"]);
    emu
}

/// Removes user "a" from room "r", without the presence check ZIM's engine makes first: these tests
/// script the kick's own answers.
async fn kick_a(moderator: Arc<dyn Moderator>) -> Report {
    moderator
        .disconnect(&DisconnectRequest::new("r", ["a"]).without_presence_check())
        .await
        .expect("a valid request is sent")
}

#[tokio::test]
async fn throttling_for_good_ends_at_the_deadline_as_a_persistent_failure_with_the_code() {
    let emu = emulator_with_a().await;
    emu.zim()
        .controls()
        .push_faults(1_000, Fault::Throttle { retry_after: None });
    let moderator = Engine::builder(zim(&emu).build().unwrap())
        .with_deadline(Duration::from_secs(3))
        .build();
    let started = std::time::Instant::now();
    let report = kick_a(Arc::new(moderator)).await;
    assert!(started.elapsed() < Duration::from_secs(4));
    let error = only_error(&report);
    assert_eq!(error.kind(), ErrorKind::Throttled);
    assert_eq!(error.status(), RetryStatus::Persistent);
    assert_eq!(error.code(), Some("660300005"));
    // Throttling does not spend the attempt budget: the call was re-sent, slowed down, until the
    // deadline, and every call was a throttled one.
    assert!(report.calls() > 1, "{report:?}");
    assert_eq!(report.throttled(), report.calls());
}

#[tokio::test]
async fn every_retry_carries_a_new_nonce_and_signature() {
    let emu = emulator_with_a().await; // also rejects reused nonces
    emu.zim().controls().push_faults(3, Fault::unavailable());
    let moderator = quick_retries(zim(&emu).build().unwrap());

    let report = kick_a(moderator).await;

    assert!(matches!(report.users()[0].outcome, Outcome::Disconnected));
    let log = emu.zim().controls().requests();
    assert_eq!(log.len(), 4);
    let nonces: HashSet<String> = log.iter().map(|r| value(r, "SignatureNonce")).collect();
    let signatures: HashSet<String> = log.iter().map(|r| value(r, "Signature")).collect();
    assert_eq!(nonces.len(), 4, "{nonces:?}");
    assert_eq!(signatures.len(), 4);
    assert!(nonces.iter().all(|n| n.len() == 16));
}

#[tokio::test]
async fn a_bad_secret_is_unauthenticated_and_not_retried() {
    let emu = emulator_with_a().await;
    let adapter = zim(&emu)
        .with_server_secret("ffffffffffffffffffffffffffffffff")
        .build()
        .unwrap();
    let report = kick_a(moderator(adapter)).await;
    let error = only_error(&report);
    assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    assert_eq!(error.code(), Some("100000005"));
    assert_eq!(error.provider(), Some("zego-zim"));
    assert_eq!(report.calls(), 1);
    assert_eq!(emu.zim().members("r"), Some(vec!["a".to_owned()]));
    assert!(!error.to_string().contains("ffffffff"), "{error}");
}

#[tokio::test]
async fn clock_skew_is_unauthenticated_with_the_expiry_code() {
    let emu = emulator_with_a().await;
    let adapter = rtc(&emu)
        .with_clock(|| SystemTime::now() - Duration::from_secs(20 * 60))
        .build()
        .unwrap();
    let report = kick_a(moderator(adapter)).await;
    let error = only_error(&report);
    assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    assert_eq!(error.code(), Some("100000004"));
}

#[tokio::test]
async fn a_wrong_app_id_is_unauthenticated() {
    let emu = emulator_with_a().await;
    let adapter = zim(&emu).with_app_id(7).build().unwrap();
    let report = kick_a(moderator(adapter)).await;
    assert_eq!(only_error(&report).kind(), ErrorKind::Unauthenticated);
}

#[tokio::test]
async fn an_html_body_with_200_is_never_success_and_the_kick_is_sent_again() {
    let emu = emulator_with_a().await;
    emu.zim().controls().push_fault(Fault::Malformed(
        "<html><body>gateway</body></html>".to_owned(),
    ));
    let report = kick_a(moderator(zim(&emu).build().unwrap())).await;
    assert!(
        matches!(report.users()[0].outcome, Outcome::Disconnected),
        "{report:?}"
    );
    assert_eq!(
        report.calls(),
        2,
        "the unreadable answer was retried like a 5xx"
    );
    assert_eq!(emu.zim().members("r"), Some(vec![]));

    // Without retries, what the caller sees is the unreadable answer itself.
    emu.zim().seed_room("r", ["a"]);
    emu.zim().controls().push_fault(Fault::Malformed(
        "<html><body>gateway</body></html>".to_owned(),
    ));
    let report = kick_a(no_retries(zim(&emu).build().unwrap())).await;
    let error = only_error(&report);
    assert_eq!(error.kind(), ErrorKind::Protocol);
    assert!(error.message().contains("gateway"), "{error}");
}

#[tokio::test]
async fn an_empty_or_truncated_body_is_a_protocol_error() {
    let emu = emulator_with_a().await;
    let moderator = no_retries(zim(&emu).build().unwrap());
    for body in ["", "{\"Code\":0,\"Mess"] {
        emu.zim()
            .controls()
            .push_fault(Fault::Malformed(body.to_owned()));
        let report = kick_a(moderator.clone()).await;
        assert_eq!(only_error(&report).kind(), ErrorKind::Protocol, "{body:?}");
    }
}

#[tokio::test]
async fn a_503_gateway_page_is_unavailable_and_retried() {
    let emu = emulator_with_a().await;
    emu.zim().controls().push_fault(Fault::unavailable());
    let report = kick_a(no_retries(zim(&emu).build().unwrap())).await;
    let error = only_error(&report);
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.message().contains("503"), "{error}");

    emu.zim().controls().push_fault(Fault::unavailable());
    let report = kick_a(quick_retries(zim(&emu).build().unwrap())).await;
    assert!(matches!(report.users()[0].outcome, Outcome::Disconnected));
    assert_eq!(emu.zim().members("r"), Some(vec![]));
}

#[tokio::test]
async fn a_reset_connection_is_a_transport_error() {
    let emu = emulator_with_a().await;
    emu.zim().controls().push_fault(Fault::Reset);
    let report = kick_a(no_retries(zim(&emu).build().unwrap())).await;
    let error = only_error(&report);
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert!(
        !error.to_string().contains("Signature="),
        "no URL in errors: {error}"
    );
}

#[tokio::test]
async fn nothing_listening_is_a_transport_error() {
    let emu = emulator(ZegoConfig::default()).await;
    let url = emu.zim().url();
    drop(emu);
    let adapter = room_moderator_zego::ZegoZimBuilder::new(1, "s")
        .with_endpoint(url)
        .build()
        .unwrap();
    let report = kick_a(no_retries(adapter)).await;
    let error = only_error(&report);
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
}
