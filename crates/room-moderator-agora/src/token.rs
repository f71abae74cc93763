//! The Agora Chat app token: an AccessToken2 (`007...`) with one Chat service holding the app
//! privilege, built locally from the App ID and App Certificate (docs/providers/agora.md, "App token").
//!
//! The layout follows Agora's official builders (`AccessToken2` and `ChatTokenBuilder` in the npm
//! package `agora-token` and its Python twin): integers little-endian, strings with a u16 length, and
//!
//! ```text
//! signing_info = str(app_id) u32(issue_ts) u32(expire) u32(salt) u16(1)
//!                u16(5) u16(1) u16(2) u32(expire) str("")        -- the Chat service, app privilege
//! key          = HMAC(u32(salt), HMAC(u32(issue_ts), app_certificate))
//! token        = "007" base64(zlib(str(HMAC(key, signing_info)) signing_info))
//! ```
//!
//! `expire` is seconds from `issue_ts` (the builders' reading, not a Unix time).

use std::fmt;
use std::io::{Read, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use hmac::{Hmac, Mac};
use room_moderator_core::Error;
use sha2::Sha256;

/// The version prefix of every AccessToken2.
pub const VERSION: &str = "007";
/// The service type of Agora Chat in an AccessToken2.
pub const SERVICE_CHAT: u16 = 5;
/// The Chat privilege of an app (server) token.
pub const PRIVILEGE_APP: u16 = 2;
/// The longest validity the Chat REST API accepts for an app token (24 hours).
pub const MAX_VALIDITY: Duration = Duration::from_secs(24 * 3600);
/// The most a token is inflated to when read: a real one is under 200 bytes.
const MAX_INFLATED: u64 = 4096;

/// An App ID or App Certificate as the builders accept them: 32 hexadecimal characters.
pub fn is_agora_hex32(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The App ID and App Certificate a Chat app token is signed with. Debug never shows the certificate.
#[derive(Clone)]
pub struct AppCredentials {
    app_id: String,
    certificate: String,
}

impl AppCredentials {
    /// Both values must be 32 hexadecimal characters (Agora's builders refuse anything else).
    pub fn new(app_id: &str, certificate: &str) -> Result<Self, Error> {
        if !is_agora_hex32(app_id) {
            return Err(Error::config(
                "the Agora App ID must be 32 hexadecimal characters (Console > Project management)",
            ));
        }
        if !is_agora_hex32(certificate) {
            return Err(Error::config(
                "the Agora App Certificate must be 32 hexadecimal characters (Console > Project management > Security)",
            ));
        }
        Ok(AppCredentials {
            app_id: app_id.to_owned(),
            certificate: certificate.to_owned(),
        })
    }

    /// The App ID (not a secret).
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// A Chat app token issued at `issued` (whole Unix seconds), valid for `validity` (whole seconds,
    /// at most [`MAX_VALIDITY`]), with the builders' random `salt` injected.
    pub fn app_token_at(&self, issued: u32, validity: u32, salt: u32) -> String {
        let mut service = Vec::with_capacity(16);
        put_u16(&mut service, SERVICE_CHAT);
        put_u16(&mut service, 1);
        put_u16(&mut service, PRIVILEGE_APP);
        put_u32(&mut service, validity);
        put_str(&mut service, b"");

        let mut signing_info = Vec::with_capacity(64);
        put_str(&mut signing_info, self.app_id.as_bytes());
        put_u32(&mut signing_info, issued);
        put_u32(&mut signing_info, validity);
        put_u32(&mut signing_info, salt);
        put_u16(&mut signing_info, 1);
        signing_info.extend_from_slice(&service);

        let signature = signature(self.certificate.as_bytes(), issued, salt, &signing_info);
        let mut content = Vec::with_capacity(signing_info.len() + 34);
        put_str(&mut content, &signature);
        content.extend_from_slice(&signing_info);
        format!("{VERSION}{}", STANDARD.encode(zlib(&content)))
    }

    /// A fresh app token valid for `validity` from now (a random salt in 1..=99,999,999, as the
    /// builders draw it).
    pub fn app_token(&self, validity: Duration) -> String {
        let issued = unix_now();
        let validity = validity.min(MAX_VALIDITY).as_secs();
        let salt = rand::random_range(1..=99_999_999);
        self.app_token_at(issued, u32::try_from(validity).unwrap_or(u32::MAX), salt)
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("certificate", &"<redacted>")
            .finish()
    }
}

/// The current Unix time in whole seconds, saturated into a u32.
pub(crate) fn unix_now() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// `HMAC(HMAC(HMAC(u32 issued, certificate) as key u32 salt) , signing_info)`.
fn signature(certificate: &[u8], issued: u32, salt: u32, signing_info: &[u8]) -> [u8; 32] {
    let k1 = hmac(&issued.to_le_bytes(), certificate);
    let k2 = hmac(&salt.to_le_bytes(), &k1);
    hmac(&k2, signing_info)
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn zlib(content: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(content);
    encoder.finish().unwrap_or_default()
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, value: &[u8]) {
    put_u16(out, u16::try_from(value.len()).unwrap_or(u16::MAX));
    out.extend_from_slice(value);
}

/// An AccessToken2 taken apart (not verified): what a token carries, for tests, the fuzz target and
/// diagnostics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedToken {
    /// The HMAC-SHA256 signature.
    pub signature: Vec<u8>,
    /// The App ID.
    pub app_id: String,
    /// When it was issued (Unix seconds).
    pub issued: u32,
    /// Validity in seconds from `issued`.
    pub expire: u32,
    /// The salt.
    pub salt: u32,
    /// The services, in order.
    pub services: Vec<TokenService>,
    /// The signed bytes.
    pub signing_info: Vec<u8>,
}

/// One service of an AccessToken2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenService {
    /// The service type ([`SERVICE_CHAT`] for Agora Chat).
    pub kind: u16,
    /// The privileges: (privilege, seconds).
    pub privileges: Vec<(u16, u32)>,
    /// The rest of the service's bytes (Chat: the user id, empty for an app token).
    pub rest: Vec<u8>,
}

/// Reads an AccessToken2 (`007` + base64 of zlib). Errors say what is wrong in words; no part of
/// the input is trusted for sizes beyond its own length.
pub fn parse_token(token: &str) -> Result<ParsedToken, String> {
    let body = token
        .strip_prefix(VERSION)
        .ok_or("the token does not start with 007")?;
    let compressed = STANDARD
        .decode(body.trim())
        .map_err(|e| format!("the token is not base64: {e}"))?;
    let mut content = Vec::new();
    ZlibDecoder::new(compressed.as_slice())
        .take(MAX_INFLATED)
        .read_to_end(&mut content)
        .map_err(|e| format!("the token does not inflate: {e}"))?;
    let mut reader = Reader(&content);
    let signature = reader.bytes()?.to_vec();
    let signing_info = reader.0.to_vec();
    let app_id =
        String::from_utf8(reader.bytes()?.to_vec()).map_err(|_| "the App ID is not UTF-8")?;
    let issued = reader.u32()?;
    let expire = reader.u32()?;
    let salt = reader.u32()?;
    let count = reader.u16()?;
    let mut services = Vec::new();
    for _ in 0..count {
        let kind = reader.u16()?;
        let privileges = reader.u16()?;
        let mut list = Vec::new();
        for _ in 0..privileges {
            list.push((reader.u16()?, reader.u32()?));
        }
        // Chat, RTM and the user-keyed services end with one string; other layouts are kept whole.
        let rest = if kind == SERVICE_CHAT {
            reader.bytes()?.to_vec()
        } else {
            std::mem::take(&mut reader.0).to_vec()
        };
        services.push(TokenService {
            kind,
            privileges: list,
            rest,
        });
    }
    Ok(ParsedToken {
        signature,
        app_id,
        issued,
        expire,
        salt,
        services,
        signing_info,
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("the token is truncated".to_owned());
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = usize::from(self.u16()?);
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Agora's own vector (`AccessToken2Test.test_service_chat_app` in AgoraIO/Tools, python3).
    const VECTOR: &str = "007eJxTYNDNaz3snC8huEfHWdz6s98qltq4zqy9fl99Uh0FDvy6F6DAYGlu4OxobJqSamaQbGJiZmKalJSYapFoZGhqYGaYZGzs/kWAIYKJgYGRAYRZgZgJzGdgAACt8hhr";

    fn credentials() -> AppCredentials {
        AppCredentials::new(
            "970CA35de60c44645bbae8a215061b33",
            "5CFd2fd1755d40ecb72977518be15d3b",
        )
        .unwrap()
    }

    #[test]
    fn the_official_vector_signs_the_same_content() {
        let ours = parse_token(&credentials().app_token_at(1_111_111, 600, 1)).unwrap();
        let theirs = parse_token(VECTOR).unwrap();
        // Compressors may differ in bytes; what is compressed must not.
        assert_eq!(ours, theirs);
        // With zlib itself (flate2's `zlib` backend, as CPython's builder uses) the bytes agree too.
        assert_eq!(credentials().app_token_at(1_111_111, 600, 1), VECTOR);
        assert_eq!(theirs.app_id, "970CA35de60c44645bbae8a215061b33");
        assert_eq!(
            (theirs.issued, theirs.expire, theirs.salt),
            (1_111_111, 600, 1)
        );
        let chat = TokenService {
            kind: SERVICE_CHAT,
            privileges: vec![(PRIVILEGE_APP, 600)],
            rest: Vec::new(),
        };
        assert_eq!(theirs.services, [chat]);
    }

    #[test]
    fn credentials_are_checked_and_never_shown() {
        assert!(AppCredentials::new("short", "5CFd2fd1755d40ecb72977518be15d3b").is_err());
        assert!(AppCredentials::new("970CA35de60c44645bbae8a215061b33", "zz").is_err());
        let shown = format!("{:?}", credentials());
        assert!(!shown.contains("5CFd2fd1"), "{shown}");
    }

    #[test]
    fn broken_tokens_are_errors() {
        for bad in ["", "006abc", "007!!!", "007eJw=", "007eJxLTEoGAAJNASc="] {
            assert!(parse_token(bad).is_err(), "{bad}");
        }
        let fresh = credentials().app_token(Duration::from_secs(3600));
        let parsed = parse_token(&fresh).unwrap();
        assert_eq!(parsed.expire, 3600);
        assert!((1..=99_999_999).contains(&parsed.salt));
    }
}
