//! ZEGO login tokens ("token04"), checked as a ZIM `login` or Express `loginRoom` would check them
//! (docs/providers/zego.md, "Login tokens").
//!
//! A token is `"04"` and the standard base64 of: the expiry (Unix seconds, big-endian i64), a
//! length-prefixed (big-endian u16) nonce, a length-prefixed ciphertext and, in the current form, one
//! mode byte: 1 for AES-GCM (12-byte nonce, 16-byte tag after the ciphertext), 0 for the deprecated
//! AES-CBC with PKCS#7 padding (16-byte IV; the oldest tokens end without the mode byte and are CBC
//! too). The key is the ServerSecret's bytes as they are (32 characters: AES-256). The plaintext is
//! JSON `{"app_id", "user_id", "nonce", "ctime", "expire", "payload"}`.
//!
//! Checked, each with its own refusal: the layout, the ciphertext (a GCM tag that does not match
//! means the token was altered or built with another ServerSecret; CBC has no tag, so there a wrong
//! key shows as bad padding or a plaintext that is not the JSON above), the AppID, the user, the
//! expiry (the sealed one; the clear-text copy must agree with it), and, when the payload names a
//! room (Express RTC room authentication), that room and its login privilege. ZEGO applies the room
//! check only where support enabled room authentication for the AppID (UNVERIFIED which AppIDs); the
//! emulator applies it whenever the payload names a room. The client error codes ZEGO answers are not
//! emulated: the refusal says why in words.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{AES_256, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey};
use aws_lc_rs::iv::FixedLength;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a login token was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenRefusal {
    /// Not `"04"` followed by the token04 layout.
    Malformed {
        /// What is wrong with it.
        detail: String,
    },
    /// The ciphertext does not open with this AppID's ServerSecret: altered, or built with another
    /// secret.
    NotAuthentic,
    /// Built for another AppID.
    OtherApp {
        /// The AppID it names.
        app_id: u64,
    },
    /// Built for another user.
    OtherUser {
        /// The user it names.
        user_id: String,
    },
    /// Past its expiry.
    Expired {
        /// When it expired (Unix seconds).
        expire: i64,
    },
    /// Its payload names another room (Express RTC room authentication).
    OtherRoom {
        /// The room it names.
        room_id: String,
    },
    /// Its payload denies logging in to the room (privilege 1 is 0).
    NoLoginPrivilege,
}

impl fmt::Display for TokenRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenRefusal::Malformed { detail } => write!(f, "not a token04: {detail}"),
            TokenRefusal::NotAuthentic => f.write_str(
                "the token does not decrypt with this AppID's ServerSecret (altered, or built with another secret)",
            ),
            TokenRefusal::OtherApp { app_id } => write!(f, "the token is for AppID {app_id}"),
            TokenRefusal::OtherUser { user_id } => {
                write!(f, "the token is for another user ({user_id:?})")
            }
            TokenRefusal::Expired { expire } => {
                write!(f, "the token expired at Unix time {expire}")
            }
            TokenRefusal::OtherRoom { room_id } => {
                write!(f, "the token is for another room ({room_id:?})")
            }
            TokenRefusal::NoLoginPrivilege => f.write_str("the token denies logging in to the room"),
        }
    }
}

impl std::error::Error for TokenRefusal {}

/// The sealed part of a token.
#[derive(Debug, Deserialize)]
struct Sealed {
    app_id: u64,
    user_id: String,
    expire: i64,
    #[serde(default)]
    payload: String,
}

fn malformed(detail: &str) -> TokenRefusal {
    TokenRefusal::Malformed {
        detail: detail.to_owned(),
    }
}

/// Reads the big-endian u16-prefixed field at `at`; the position after it.
fn field(bytes: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let len = usize::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
    let start = at + 2;
    Some((bytes.get(start..start + len)?, start + len))
}

fn open_gcm(secret: &[u8], nonce: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, secret).ok()?);
    let mut buffer = sealed.to_vec();
    let plain = key.open_in_place(nonce, Aad::empty(), &mut buffer).ok()?;
    Some(plain.to_vec())
}

fn open_cbc(secret: &[u8], iv: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let iv: [u8; 16] = iv.try_into().ok()?;
    let key =
        PaddedBlockDecryptingKey::cbc_pkcs7(UnboundCipherKey::new(&AES_256, secret).ok()?).ok()?;
    let mut buffer = sealed.to_vec();
    let plain = key
        .decrypt(&mut buffer, DecryptionContext::Iv128(FixedLength::from(iv)))
        .ok()?;
    Some(plain.to_vec())
}

/// Checks `token` for a login of `user` to `room` at `now` (Unix seconds), for AppID `app_id` whose
/// ServerSecret is `secret`.
pub(crate) fn check(
    token: &str,
    (app_id, secret): (u32, &str),
    room: &str,
    user: &str,
    now: u64,
) -> Result<(), TokenRefusal> {
    let encoded = token
        .trim()
        .strip_prefix("04")
        .ok_or_else(|| malformed("it does not start with the version \"04\""))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| malformed("not base64 after the version"))?;
    let short = || malformed("shorter than its fields say");
    let expire = i64::from_be_bytes(
        bytes
            .get(..8)
            .ok_or_else(short)?
            .try_into()
            .map_err(|_| short())?,
    );
    let (nonce, at) = field(&bytes, 8).ok_or_else(short)?;
    let (sealed, at) = field(&bytes, at).ok_or_else(short)?;
    let opened = match &bytes[at..] {
        [1] => open_gcm(secret.as_bytes(), nonce, sealed),
        [] | [0] => open_cbc(secret.as_bytes(), nonce, sealed),
        [_] => return Err(malformed("unknown encryption mode")),
        _ => return Err(malformed("bytes after the mode")),
    };
    let claims: Sealed = opened
        .and_then(|plain| serde_json::from_slice(&plain).ok())
        .ok_or(TokenRefusal::NotAuthentic)?;
    if claims.expire != expire {
        // The clear-text copy is not covered by the cipher: a disagreement is an edit.
        return Err(TokenRefusal::NotAuthentic);
    }
    if claims.app_id != u64::from(app_id) {
        return Err(TokenRefusal::OtherApp {
            app_id: claims.app_id,
        });
    }
    if claims.user_id != user {
        return Err(TokenRefusal::OtherUser {
            user_id: claims.user_id,
        });
    }
    if i64::try_from(now).map_or(true, |now| now >= claims.expire) {
        return Err(TokenRefusal::Expired {
            expire: claims.expire,
        });
    }
    room_grant(&claims.payload, room)
}

/// The room check of a payload that names one (`{"room_id", "privilege": {"1": 0|1, "2": 0|1}}`);
/// an empty payload, or one without a room, grants any room.
fn room_grant(payload: &str, room: &str) -> Result<(), TokenRefusal> {
    if payload.trim().is_empty() {
        return Ok(());
    }
    let payload: Value =
        serde_json::from_str(payload).map_err(|_| malformed("the payload is not JSON"))?;
    match payload.get("room_id").and_then(Value::as_str) {
        Some(named) if !named.is_empty() && named != room => {
            return Err(TokenRefusal::OtherRoom {
                room_id: named.to_owned(),
            });
        }
        _ => {}
    }
    let login = payload.pointer("/privilege/1").and_then(Value::as_i64);
    if login == Some(0) {
        return Err(TokenRefusal::NoLoginPrivilege);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::cipher::{EncryptionContext, PaddedBlockEncryptingKey};
    use serde_json::json;

    use super::*;

    const SECRET: &str = "fa94dd0f974cf2e293728a526b028271";
    const APP: u32 = 1_234_567_890;
    const NOW: u64 = 1_700_000_000;

    fn plaintext(user: &str, expire: i64, payload: &str) -> Vec<u8> {
        json!({"app_id": APP, "user_id": user, "nonce": -5, "ctime": NOW, "expire": expire, "payload": payload})
            .to_string()
            .into_bytes()
    }

    fn pack(expire: i64, nonce: &[u8], sealed: &[u8], mode: Option<u8>) -> String {
        let mut bytes = expire.to_be_bytes().to_vec();
        bytes.extend((nonce.len() as u16).to_be_bytes());
        bytes.extend(nonce);
        bytes.extend((sealed.len() as u16).to_be_bytes());
        bytes.extend(sealed);
        bytes.extend(mode);
        format!(
            "04{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    /// A GCM token (the current form), sealed with `secret`.
    fn gcm(secret: &str, user: &str, expire: i64, payload: &str) -> String {
        let nonce = [7u8; 12];
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, secret.as_bytes()).unwrap());
        let mut sealed = plaintext(user, expire, payload);
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut sealed,
        )
        .unwrap();
        pack(expire, &nonce, &sealed, Some(1))
    }

    /// A CBC token (the deprecated form), with or without the mode byte.
    fn cbc(user: &str, expire: i64, mode: Option<u8>) -> String {
        let iv = *b"0123456789abcdef";
        let key = PaddedBlockEncryptingKey::cbc_pkcs7(
            UnboundCipherKey::new(&AES_256, SECRET.as_bytes()).unwrap(),
        )
        .unwrap();
        let mut sealed = plaintext(user, expire, "");
        key.less_safe_encrypt(&mut sealed, EncryptionContext::Iv128(FixedLength::from(iv)))
            .unwrap();
        pack(expire, &iv, &sealed, mode)
    }

    fn check_now(token: &str, room: &str, user: &str) -> Result<(), TokenRefusal> {
        check(token, (APP, SECRET), room, user, NOW)
    }

    #[test]
    fn a_genuine_token_logs_its_user_in_in_both_forms() {
        let later = NOW as i64 + 60;
        assert_eq!(
            check_now(&gcm(SECRET, "troll", later, ""), "any", "troll"),
            Ok(())
        );
        assert_eq!(
            check_now(&cbc("troll", later, Some(0)), "any", "troll"),
            Ok(())
        );
        assert_eq!(
            check_now(&cbc("troll", later, None), "any", "troll"),
            Ok(())
        );
    }

    #[test]
    fn each_refusal_says_why() {
        let later = NOW as i64 + 60;
        let token = gcm(SECRET, "troll", later, "");
        assert_eq!(
            check_now(&token, "r", "guest"),
            Err(TokenRefusal::OtherUser {
                user_id: "troll".into()
            })
        );
        assert_eq!(
            check(&token, (APP + 1, SECRET), "r", "troll", NOW),
            Err(TokenRefusal::OtherApp {
                app_id: u64::from(APP)
            })
        );
        assert_eq!(
            check(&token, (APP, SECRET), "r", "troll", NOW + 60),
            Err(TokenRefusal::Expired { expire: later })
        );
        let other_secret = gcm("00000000000000000000000000000000", "troll", later, "");
        assert_eq!(
            check_now(&other_secret, "r", "troll"),
            Err(TokenRefusal::NotAuthentic)
        );
        assert!(matches!(
            check_now("03abc", "r", "troll"),
            Err(TokenRefusal::Malformed { .. })
        ));
        assert!(matches!(
            check_now("04!!", "r", "troll"),
            Err(TokenRefusal::Malformed { .. })
        ));
        assert!(matches!(
            check_now("04AAAA", "r", "troll"),
            Err(TokenRefusal::Malformed { .. })
        ));
    }

    #[test]
    fn an_altered_byte_or_expiry_is_caught() {
        let later = NOW as i64 + 60;
        let token = gcm(SECRET, "troll", later, "");
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(&token[2..])
            .unwrap();
        let mut flipped = bytes.clone();
        flipped[30] ^= 1;
        let flipped = format!(
            "04{}",
            base64::engine::general_purpose::STANDARD.encode(flipped)
        );
        assert_eq!(
            check_now(&flipped, "r", "troll"),
            Err(TokenRefusal::NotAuthentic)
        );
        bytes[..8].copy_from_slice(&(later + 3600).to_be_bytes());
        let extended = format!(
            "04{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
        assert_eq!(
            check_now(&extended, "r", "troll"),
            Err(TokenRefusal::NotAuthentic)
        );
    }

    #[test]
    fn garbage_and_truncations_are_refused_without_a_panic() {
        let genuine = base64::engine::general_purpose::STANDARD
            .decode(&gcm(SECRET, "u", NOW as i64 + 60, "")[2..])
            .unwrap();
        for cut in 0..genuine.len() {
            let token = format!(
                "04{}",
                base64::engine::general_purpose::STANDARD.encode(&genuine[..cut])
            );
            assert!(check_now(&token, "r", "u").is_err(), "cut at {cut}");
        }
        for _ in 0..2000 {
            let len = rand::random::<u8>() as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rand::random()).collect();
            let token = format!(
                "04{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            );
            assert!(check_now(&token, "r", "u").is_err());
        }
    }

    #[test]
    fn an_rtc_payload_binds_the_room_and_its_login_privilege() {
        let later = NOW as i64 + 60;
        let room = r#"{"room_id":"stage","privilege":{"1":1,"2":0},"stream_id_list":null}"#;
        assert_eq!(
            check_now(&gcm(SECRET, "u", later, room), "stage", "u"),
            Ok(())
        );
        assert_eq!(
            check_now(&gcm(SECRET, "u", later, room), "lobby", "u"),
            Err(TokenRefusal::OtherRoom {
                room_id: "stage".into()
            })
        );
        let denied = r#"{"room_id":"stage","privilege":{"1":0,"2":1}}"#;
        assert_eq!(
            check_now(&gcm(SECRET, "u", later, denied), "stage", "u"),
            Err(TokenRefusal::NoLoginPrivilege)
        );
    }
}
