//! The callback verifiers and decoders for the fuzz target in `fuzz/`; not part of the API.

use std::time::{Duration, UNIX_EPOCH};

use crate::verify::{agora_chat, agora_rtc, livekit, zego};
use crate::{Route, Secret};

/// Runs one verifier on arbitrary input: `selector` picks the route, `header` is the signature
/// header (LiveKit `Authorization`, Agora `Agora-Signature-V2` and V1, ZEGO's `Content-Type`), `body`
/// the raw body. Nothing may panic, whatever the bytes.
pub fn verify(selector: u8, header: &[u8], body: &[u8]) {
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let header = String::from_utf8_lossy(header);
    let secret = Secret::new("secret");
    let _ = match selector % 5 {
        0 => zego::verify(Route::ZegoZim, &[secret], Some(&header), body, now),
        1 => zego::verify(Route::ZegoRtc, &[secret], None, body, now),
        2 => livekit::verify(&[("key".to_owned(), secret)], Some(&header), body, now),
        3 => agora_rtc::verify(&secret, true, Some(&header), Some(&header), body, now),
        _ => agora_chat::verify(&secret, body, now),
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn arbitrary_input_is_refused_quietly() {
        for selector in 0..5 {
            super::verify(
                selector,
                b"\xff\x00garbage",
                b"{\"timestamp\":[],\"nonce\":{}}",
            );
            super::verify(selector, b"", b"");
        }
    }
}
