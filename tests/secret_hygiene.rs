//! Secrets never leave the process except on the wire to their provider: not in `Debug`, not in
//! `Display`, not in errors, not in `tracing` output at any level. Every adapter is driven against
//! its emulator through success and failure paths with a TRACE subscriber capturing everything
//! (every thread, the SDKs' and HTTP stacks' events included), then the capture is searched.
//!
//! Secrets looked for: the ZEGO ServerSecret, the EnableX APP_KEY (also as the HTTP Basic credential
//! it travels in), the AWS secret access key and session token, and every EnableX token the emulator
//! issued (the base64 string and its `tokenId`).

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use room_moderator::enablex::EnablexBuilder;
use room_moderator::ivs::IvsChatBuilder;
use room_moderator::zego::{ZegoRtcBuilder, ZegoZimBuilder};
use room_moderator::{DisconnectRequest, Engine, Moderator, RetryPolicy, RoomId};
use room_moderator_emulator::{Emulator, EmulatorConfig, Fault};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

/// Everything every subscriber event wrote, from every test in this file.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn bytes(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// Everything at TRACE, except tungstenite's frame dumps: at TRACE, tungstenite (the WebSocket
/// library under the Socket.IO client, and under the emulator's server) logs every frame's payload,
/// and the EnableX `token` event carries the token. That is outside this library's control; SECURITY.md
/// tells applications to keep `tungstenite` at DEBUG or below. Everything else, every crate of ours and
/// every other dependency (reqwest, hyper, the AWS SDK), is captured at TRACE.
const CAPTURED: &str = "trace,tungstenite=debug,tokio_tungstenite=debug";

/// The one global subscriber (global, so spawned tasks on every worker thread are captured).
fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(CAPTURED))
            .with_ansi(false)
            .with_writer(capture.clone())
            .finish()
            .try_init()
            .expect("the only subscriber in this test binary");
        capture
    })
}

/// Fails naming where a secret showed up, without printing the secret itself.
fn assert_absent(secrets: &[(&str, String)], place: &str, text: &str) {
    for (name, secret) in secrets {
        assert!(!secret.is_empty(), "{name}: an empty secret proves nothing");
        if let Some(at) = text.find(secret.as_str()) {
            let start = text[..at]
                .char_indices()
                .rev()
                .nth(
                    std::env::var("LEAK_CONTEXT")
                        .ok()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(120),
                )
                .map_or(0, |(i, _)| i);
            panic!("{name} appears in {place}, after: {:?}", &text[start..at]);
        }
    }
}

/// `Debug` and `Display` of an error, with its source chain.
fn describe(error: &room_moderator::Error) -> String {
    let mut text = format!("{error}\n{error:?}\n");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!("{cause}\n{cause:?}\n"));
        source = cause.source();
    }
    text
}

/// Every outcome of a report, in `Debug` and `Display`.
fn describe_report(report: &room_moderator::Report) -> String {
    let mut text = format!("{report:?}\n");
    for entry in report.users() {
        if let room_moderator::Outcome::Failed(error) = &entry.outcome {
            text.push_str(&describe(error));
        }
    }
    text
}

/// Quick retries, so fault paths finish fast.
fn quick() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(2)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .with_jitter(false)
}

fn fault_500() -> Fault {
    Fault::Status {
        status: 500,
        body: "internal error".to_owned(),
        headers: Vec::new(),
    }
}

/// Runs one kick and returns everything an application could print about it.
async fn kick(moderator: &dyn Moderator, room: &str, users: &[&str]) -> String {
    match moderator
        .disconnect(&DisconnectRequest::new(room, users.iter().copied()))
        .await
    {
        Ok(report) => describe_report(&report),
        Err(error) => describe(&error),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zego_server_secret_stays_secret() {
    let capture = capture();
    let emulator = Emulator::start().await.expect("emulators start");
    let zego = emulator.zego();
    let secret = zego.server_secret().to_owned();
    let wrong = "0123456789abcdef0123456789abcdef".to_owned();
    zego.zim().seed_room("lobby", ["a", "b"]);
    zego.rtc().seed_room("lobby", ["a", "b"]);
    let mut said = String::new();

    let zim_builder = ZegoZimBuilder::new(zego.app_id(), secret.clone())
        .with_endpoint(zego.zim().url())
        .with_timeout(Duration::from_millis(300));
    said.push_str(&format!("{zim_builder:?}\n"));
    let zim = zim_builder.build().expect("ZIM builds");
    said.push_str(&format!("{zim:?}\n"));
    let zim = Engine::builder(zim).with_retry(quick()).build();
    said.push_str(&format!("{zim:?}\n"));
    let rtc = ZegoRtcBuilder::new(zego.app_id(), secret.clone())
        .with_endpoint(zego.rtc().url())
        .build()
        .expect("RTC builds");
    said.push_str(&format!("{rtc:?}\n"));
    let rtc = Engine::builder(rtc).with_retry(quick()).build();

    // Success, absent users, then every fault the emulator scripts.
    said.push_str(&kick(&zim, "lobby", &["a", "ghost"]).await);
    said.push_str(&kick(&rtc, "lobby", &["a"]).await);
    for fault in [
        fault_500(),
        Fault::Throttle { retry_after: None },
        Fault::Malformed("<html>oops</html>".to_owned()),
        Fault::Reset,
        Fault::Delay(Duration::from_secs(2)),
    ] {
        zego.zim().controls().push_faults(2, fault);
        said.push_str(&kick(&zim, "lobby", &["b"]).await);
        zego.zim().controls().reset();
    }
    // Invalid input (nothing sent), then a wrong secret (the provider refuses the signature).
    said.push_str(&kick(&zim, "bad room!", &["b"]).await);
    let refused = ZegoZimBuilder::new(zego.app_id(), wrong.clone())
        .with_endpoint(zego.zim().url())
        .build()
        .expect("ZIM builds");
    said.push_str(&format!("{refused:?}\n"));
    said.push_str(&kick(&Engine::new(refused), "lobby", &["b"]).await);
    // A builder that fails to build (plain http to a host that is not loopback).
    if let Err(error) = ZegoZimBuilder::new(zego.app_id(), secret.clone())
        .with_endpoint("http://zim.example.invalid")
        .build()
    {
        said.push_str(&describe(&error));
    }

    let secrets = [("ServerSecret", secret), ("the wrong ServerSecret", wrong)];
    assert_absent(&secrets, "Debug, Display or errors", &said);
    assert_absent(&secrets, "tracing output", &capture.text());
    assert!(capture.text().contains("zego-zim"), "the capture works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_secret_key_and_session_token_stay_secret() {
    let capture = capture();
    let session_token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789abcdefXYZ".to_owned();
    // Both configs are non-exhaustive: start from the defaults and set the field.
    let mut config = EmulatorConfig::default();
    config.ivschat.session_token = Some(session_token.clone());
    let emulator = Emulator::start_with(config).await.expect("emulators start");
    let ivs = emulator.ivschat();
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["a", "b"]);
    let secret = ivs.secret_access_key().to_owned();
    let wrong = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGKEY".to_owned();
    let mut said = String::new();

    let builder = IvsChatBuilder::new()
        .with_endpoint(ivs.base_url())
        .with_region(ivs.region())
        .with_credentials(
            ivs.access_key_id(),
            secret.clone(),
            Some(session_token.clone()),
        )
        .with_timeout(Duration::from_millis(300));
    said.push_str(&format!("{builder:?}\n"));
    let adapter = builder.build().await.expect("IVS Chat builds");
    said.push_str(&format!("{adapter:?}\n"));
    let moderator = Engine::builder(adapter).with_retry(quick()).build();

    said.push_str(&kick(&moderator, &room, &["a", "ghost"]).await);
    for fault in [
        fault_500(),
        Fault::Throttle {
            retry_after: Some(0),
        },
        Fault::Malformed("<html>oops</html>".to_owned()),
        Fault::Reset,
        Fault::Delay(Duration::from_secs(2)),
    ] {
        ivs.controls().push_faults(2, fault);
        said.push_str(&kick(&moderator, &room, &["b"]).await);
        ivs.controls().reset();
    }
    said.push_str(&kick(&moderator, "not-an-arn", &["b"]).await);
    // The wrong secret key: the emulator refuses the signature.
    let refused = IvsChatBuilder::new()
        .with_endpoint(ivs.base_url())
        .with_region(ivs.region())
        .with_credentials(
            ivs.access_key_id(),
            wrong.clone(),
            Some(session_token.clone()),
        )
        .build()
        .await;
    match refused {
        Ok(adapter) => {
            said.push_str(&format!("{adapter:?}\n"));
            said.push_str(&kick(&Engine::new(adapter), &room, &["b"]).await);
        }
        Err(error) => said.push_str(&describe(&error)),
    }

    let secrets = [
        ("the AWS secret access key", secret),
        ("the wrong AWS secret access key", wrong),
        ("the AWS session token", session_token),
    ];
    assert_absent(&secrets, "Debug, Display or errors", &said);
    assert_absent(&secrets, "tracing output", &capture.text());
    assert!(
        capture.text().contains("DisconnectUser"),
        "the capture works"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enablex_app_key_and_tokens_stay_secret() {
    let capture = capture();
    let emulator = Emulator::start().await.expect("emulators start");
    let enablex = emulator.enablex();
    enablex.seed_room("stage", ["a", "b", "c"]);
    let app_key = enablex.app_key().to_owned();
    let wrong = "wrong-app-key-0123456789abcdef".to_owned();
    let mut said = String::new();

    let builder = EnablexBuilder::new(enablex.app_id(), app_key.clone())
        .with_endpoint(enablex.api_url())
        .with_timeout(Duration::from_millis(500));
    said.push_str(&format!("{builder:?}\n"));
    let adapter = builder.build().expect("EnableX builds");
    said.push_str(&format!("{adapter:?}\n"));
    let moderator = Engine::builder(adapter).with_retry(quick()).build();

    said.push_str(&kick(&moderator, "stage", &["a", "ghost"]).await);
    for fault in [
        fault_500(),
        Fault::Throttle { retry_after: None },
        Fault::Malformed("<html>oops</html>".to_owned()),
        Fault::Reset,
    ] {
        enablex.controls().push_faults(2, fault);
        said.push_str(&kick(&moderator, "stage", &["b"]).await);
        enablex.controls().reset();
    }
    said.push_str(&kick(&moderator, "no such room", &["b"]).await);
    if let Err(error) = moderator.disconnect_all(&RoomId::new("stage"), None).await {
        said.push_str(&describe(&error));
    }
    let refused = EnablexBuilder::new(enablex.app_id(), wrong.clone())
        .with_endpoint(enablex.api_url())
        .build()
        .expect("EnableX builds");
    said.push_str(&format!("{refused:?}\n"));
    said.push_str(&kick(&Engine::new(refused), "stage", &["c"]).await);

    let basic = |key: &str| base64(format!("{}:{key}", enablex.app_id()).as_bytes());
    let mut secrets = vec![
        ("APP_KEY", app_key.clone()),
        ("the APP_KEY's Basic credential", basic(&app_key)),
        ("a wrong APP_KEY", wrong.clone()),
        ("a wrong APP_KEY's Basic credential", basic(&wrong)),
    ];
    // The tokens the emulator issued: their ids, and the encoded token strings.
    let tokens = issued_tokens(&enablex.frames());
    assert!(!tokens.is_empty(), "the adapter joined with a token");
    for (id, encoded) in &tokens {
        secrets.push(("an EnableX token id", format!("\"{id}\"")));
        secrets.push(("an EnableX token", encoded.clone()));
    }
    let secrets: Vec<(&str, String)> = secrets.into_iter().collect();
    assert_absent(&secrets, "Debug, Display or errors", &said);
    assert_absent(&secrets, "tracing output", &capture.text());
    assert!(capture.text().contains("enablex"), "the capture works");
}

/// Every token the adapter sent back in a `token` event: its `tokenId`, and the base64 text the REST
/// API returned (the emulator encodes the object's JSON text, which the object re-serializes to).
fn issued_tokens(
    frames: &[room_moderator_emulator::enablex::ReceivedFrame],
) -> Vec<(String, String)> {
    let mut tokens = Vec::new();
    for frame in frames.iter().filter(|frame| frame.event == "token") {
        let objects = match frame.data.as_array() {
            Some(items) => items.iter().collect::<Vec<_>>(),
            None => vec![&frame.data],
        };
        for object in objects {
            if let Some(id) = object.get("tokenId").and_then(|id| id.as_str()) {
                tokens.push((id.to_owned(), base64(object.to_string().as_bytes())));
            }
        }
    }
    tokens
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
