//! Shared setup for the adapter tests: an emulator on loopback ports, adapters pointed at it, and
//! readers for the emulator's request log.

#![allow(dead_code)] // each test file uses a different subset

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use room_moderator_core::{Adapter, AdapterBuilder, Engine, Moderator, RetryPolicy};
use room_moderator_emulator::LoggedRequest;
use room_moderator_emulator::zego::{TokenLoginError, TokenRefusal, ZegoConfig, ZegoEmulator};
use room_moderator_zego::{ZegoRtcBuilder, ZegoZimBuilder};

pub async fn emulator(config: ZegoConfig) -> ZegoEmulator {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    ZegoEmulator::start(config, any, any)
        .await
        .expect("the emulator starts on loopback")
}

pub fn zim(emu: &ZegoEmulator) -> ZegoZimBuilder {
    ZegoZimBuilder::default().with_vars(emu.zim_vars())
}

pub fn rtc(emu: &ZegoEmulator) -> ZegoRtcBuilder {
    ZegoRtcBuilder::default().with_vars(emu.rtc_vars())
}

/// Why a login with a token was refused, when the token was (anything else fails the test).
pub fn refusal(result: Result<(), TokenLoginError>) -> TokenRefusal {
    match result {
        Err(TokenLoginError::Token(refusal)) => refusal,
        other => panic!("a token refusal, not {other:?}"),
    }
}

/// The adapter behind the default engine, as an application holds it.
pub fn moderator(adapter: impl Adapter) -> Arc<dyn Moderator> {
    Arc::new(Engine::new(adapter))
}

/// The default engine but with short backoffs, so retry tests stay quick.
pub fn quick_retries(adapter: impl Adapter) -> Arc<dyn Moderator> {
    Arc::new(
        Engine::builder(adapter)
            .with_retry(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(10), Duration::from_millis(40)),
            )
            .build(),
    )
}

/// The engine without retries, to see how one answer is classified.
pub fn no_retries(adapter: impl Adapter) -> Arc<dyn Moderator> {
    Arc::new(
        Engine::builder(adapter)
            .with_retry(RetryPolicy::none())
            .build(),
    )
}

/// The decoded query parameters of a logged request.
pub fn params(request: &LoggedRequest) -> Vec<(String, String)> {
    let query = request.target.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Every value of `key` in a logged request.
pub fn values(request: &LoggedRequest, key: &str) -> Vec<String> {
    params(request)
        .into_iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
        .collect()
}

/// The single value of `key` in a logged request.
pub fn value(request: &LoggedRequest, key: &str) -> String {
    let mut all = values(request, key);
    assert_eq!(all.len(), 1, "{key} in {}", request.target);
    all.remove(0)
}
