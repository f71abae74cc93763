//! The EnableX token: where the signalling server is, and the object sent back to join.
//!
//! The docs call it a JWT, but every SDK of 2021 parses it as base64-encoded JSON (Web SDK
//! `EnxRtc.js`, Android 2.3.3). Whether newer tokens are real JWTs is UNVERIFIED, so both are read:
//! base64 JSON first, then the payload segment of a JWT (base64url). Fields read: `host` (signalling
//! host, maybe with a port), `secure` (bool), `gateway` (optional); everything else is opaque and sent
//! back unchanged in the `token` event.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};
use url::Url;

use room_moderator_core::Error;
use room_moderator_core::toolkit::{WEBSOCKET, check_endpoint};

use crate::PROVIDER;

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const BASE64: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const BASE64_URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// A decoded token. It is a credential (single use, 15 minutes): `Debug` shows only where it points.
#[derive(Clone)]
pub(crate) struct Token {
    object: Map<String, Value>,
    host: String,
    secure: bool,
    gateway: Option<String>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("host", &self.host)
            .field("secure", &self.secure)
            .field("gateway", &self.gateway)
            .finish_non_exhaustive()
    }
}

/// Where and how to open the signalling socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

fn protocol(message: impl Into<String>) -> Error {
    Error::protocol(message).with_provider(PROVIDER)
}

fn json_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

/// `host` may come with a scheme or a path; keep `host[:port]`.
fn bare_host(value: &str) -> &str {
    let value = value.trim();
    let value = value.split_once("://").map_or(value, |(_, rest)| rest);
    value.split(['/', '?', '#']).next().unwrap_or(value)
}

impl Token {
    /// Decodes the token string the REST API returned.
    pub(crate) fn decode(raw: &str) -> Result<Token, Error> {
        let raw = raw.trim();
        let object = BASE64
            .decode(raw)
            .ok()
            .and_then(|bytes| json_object(&bytes))
            .or_else(|| {
                let mut segments = raw.split('.');
                let (_header, payload) = (segments.next()?, segments.next()?);
                json_object(&BASE64_URL.decode(payload).ok()?)
            })
            .ok_or_else(|| {
                protocol("the token is neither base64-encoded JSON nor a JWT with a JSON payload")
            })?;
        let host = match object.get("host") {
            Some(Value::String(host)) if !bare_host(host).is_empty() => bare_host(host).to_owned(),
            _ => return Err(protocol("the token names no signalling host")),
        };
        let secure = match object.get("secure") {
            Some(Value::Bool(secure)) => *secure,
            Some(Value::String(s)) => !s.eq_ignore_ascii_case("false"),
            // Missing: assume TLS, the safe reading.
            _ => true,
        };
        let gateway = match object.get("gateway") {
            Some(Value::String(gateway)) if !bare_host(gateway).is_empty() => {
                Some(bare_host(gateway).to_owned())
            }
            _ => None,
        };
        Ok(Token {
            object,
            host,
            secure,
            gateway,
        })
    }

    /// The decoded object, to send back in the `token` event.
    pub(crate) fn object(&self) -> &Map<String, Value> {
        &self.object
    }

    /// `ws(s)://{host}/socket.io/?EIO=3&transport=websocket`. With a gateway the socket goes to the
    /// gateway and names the real host in `X-Forwarded-Host`, both as a query parameter (web SDK) and as
    /// a header (Android SDK); which one a gateway reads is UNVERIFIED, so both are sent.
    pub(crate) fn target(&self, allow_http: bool) -> Result<Target, Error> {
        let scheme = if self.secure { "wss" } else { "ws" };
        let connect_to = self.gateway.as_deref().unwrap_or(&self.host);
        let mut url = Url::parse(&format!("{scheme}://{connect_to}/socket.io/"))
            .map_err(|e| protocol(format!("the token's signalling host is unusable: {e}")))?;
        let mut headers = Vec::new();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("EIO", "3")
                .append_pair("transport", "websocket");
            if self.gateway.is_some() {
                query.append_pair("X-Forwarded-Host", &self.host);
                headers.push(("X-Forwarded-Host".to_owned(), self.host.clone()));
            }
        }
        check_endpoint(
            url.as_str(),
            WEBSOCKET,
            allow_http,
            "the token's signalling URL",
        )
        .map_err(|refused| refused.with_provider(PROVIDER))?;
        Ok(Target {
            url: url.into(),
            headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use room_moderator_core::ErrorKind;
    use serde_json::json;

    fn base64_json(value: Value) -> String {
        STANDARD.encode(value.to_string())
    }

    #[test]
    fn base64_json_token() {
        let token = Token::decode(&base64_json(json!({
            "host": "rtc1.enablex.io:443", "secure": true, "logId": "L", "roomMeta": {"settings": {}}
        })))
        .unwrap();
        assert_eq!(
            token.target(false).unwrap(),
            Target {
                url: "wss://rtc1.enablex.io/socket.io/?EIO=3&transport=websocket".to_owned(),
                headers: vec![]
            }
        );
        assert_eq!(token.object()["logId"], "L");
    }

    #[test]
    fn unpadded_base64_is_accepted() {
        let raw = base64_json(json!({"host": "h.example", "secure": true}));
        let token = Token::decode(raw.trim_end_matches('=')).unwrap();
        assert_eq!(token.host, "h.example");
    }

    #[test]
    fn jwt_payload_fallback() {
        let payload = URL_SAFE_NO_PAD
            .encode(json!({"host": "sig.example:8443", "secure": true, "x": "ü?>"}).to_string());
        let token = Token::decode(&format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln")).unwrap();
        assert_eq!(
            token.target(false).unwrap().url,
            "wss://sig.example:8443/socket.io/?EIO=3&transport=websocket"
        );
    }

    #[test]
    fn gateway_gets_the_real_host_as_query_and_header() {
        let token = Token::decode(&base64_json(json!({
            "host": "media-7.enablex.io", "secure": true, "gateway": "gw.enablex.io"
        })))
        .unwrap();
        let target = token.target(false).unwrap();
        assert_eq!(
            target.url,
            "wss://gw.enablex.io/socket.io/?EIO=3&transport=websocket&X-Forwarded-Host=media-7.enablex.io"
        );
        assert_eq!(
            target.headers,
            vec![(
                "X-Forwarded-Host".to_owned(),
                "media-7.enablex.io".to_owned()
            )]
        );
    }

    #[test]
    fn insecure_tokens_only_to_loopback_unless_allowed() {
        let local = Token::decode(&base64_json(
            json!({"host": "127.0.0.1:9000", "secure": false}),
        ))
        .unwrap();
        assert_eq!(
            local.target(false).unwrap().url,
            "ws://127.0.0.1:9000/socket.io/?EIO=3&transport=websocket"
        );
        let remote = Token::decode(&base64_json(
            json!({"host": "sig.example", "secure": false}),
        ))
        .unwrap();
        assert_eq!(remote.target(false).unwrap_err().kind(), ErrorKind::Config);
        assert!(remote.target(true).is_ok());
        let missing = Token::decode(&base64_json(json!({"host": "sig.example"}))).unwrap();
        assert!(missing.secure);
    }

    #[test]
    fn host_is_cleaned_of_scheme_and_path() {
        let token = Token::decode(&base64_json(
            json!({"host": "https://sig.example:1/x?y", "secure": true}),
        ))
        .unwrap();
        assert_eq!(token.host, "sig.example:1");
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        for raw in [
            "",
            "not a token",
            "e30",
            &base64_json(json!([1, 2])),
            &base64_json(json!({"secure": true})),
            &base64_json(json!({"host": ""})),
            &base64_json(json!({"host": 5})),
            "a.b.c",
            "..",
        ] {
            assert_eq!(
                Token::decode(raw).unwrap_err().kind(),
                ErrorKind::Protocol,
                "{raw}"
            );
        }
    }

    #[test]
    fn debug_hides_the_token_body() {
        let token =
            Token::decode(&base64_json(json!({"host": "h", "signature": "s3cr3t"}))).unwrap();
        assert!(!format!("{token:?}").contains("s3cr3t"));
    }
}
