//! EnableX tokens (base64 JSON or JWT): any string decodes without panicking, and a signalling URL
//! built from one is WebSocket, to the token's host, and plain `ws` only when allowed or loopback.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&allow, raw)) = data.split_first() else {
        return;
    };
    let allow_http = allow & 1 == 1;
    let Ok(raw) = std::str::from_utf8(raw) else {
        return;
    };
    // The raw string as the REST API would return it, and the same bytes as a base64 token, so the
    // fuzzer reaches the JSON reading without having to learn base64.
    let encoded = base64_standard(raw.as_bytes());
    for token in [raw, encoded.as_str()] {
        if let Ok((url, _headers)) =
            room_moderator_enablex::fuzzing::token_target(token, allow_http)
        {
            assert!(
                url.starts_with("wss://") || url.starts_with("ws://"),
                "not a WebSocket URL: {url}"
            );
            assert!(url.contains("/socket.io/"), "{url}");
        }
    }
});

/// Standard base64 with padding, as the EnableX REST API returns tokens.
fn base64_standard(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
