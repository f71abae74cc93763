//! ZEGO login tokens ("token04"), built locally with the AppID and ServerSecret: the token a ZIM
//! client passes to `login` and an Express client to `loginRoom` (docs/providers/zego.md, "Login
//! tokens").
//!
//! `"04"` followed by the standard base64 of: the expiry (Unix seconds, big-endian i64), the nonce's
//! length (big-endian u16) and the 12-byte nonce, the ciphertext's length (big-endian u16) and the
//! AES-256-GCM ciphertext with its 16-byte tag appended, and one byte for the mode (1, GCM). The key
//! is the ServerSecret's 32 bytes as they are (not hex-decoded); the plaintext is the JSON object
//! `{"app_id", "user_id", "nonce" (a random i32), "ctime", "expire", "payload"}`, `payload` being a
//! string. Express RTC tokens carry the room in it (`{"room_id", "privilege": {"1": 1, "2": 1},
//! "stream_id_list": null}`: login and publish allowed in that room only), which ZEGO enforces where
//! its "room ID authentication" is enabled for the AppID; ZIM tokens carry none (a ZIM token logs the
//! user in to ZIM, whatever rooms they then enter).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine as _;
use room_moderator_core::{Error, ErrorKind, RoomId, Token, TokenOptions, UserId};
use serde_json::json;

use crate::product::Service;

/// A login token's lifetime when no session duration is given: it must be presented within it (an
/// Express client renews it with `renewToken` to stay past it).
pub const DEFAULT_LOGIN_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);

/// The longest login token this adapter builds (a day): a token issued before a ban keeps logging
/// in until it lapses, and only the join callback can remove the user then.
pub const MAX_LOGIN_TOKEN_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The mode byte of a GCM token (0 was the deprecated CBC form).
const GCM: u8 = 1;

/// What goes into one token: everything but the randomness.
pub(crate) struct Claims<'a> {
    pub app_id: u32,
    pub user_id: &'a str,
    pub issued: u64,
    pub expires: u64,
    pub payload: String,
}

/// Builds the token of `claims` with `secret` (32 bytes), the token's `nonce` and the cipher's
/// 12-byte `iv`. `None` when the secret is not 32 bytes or a length does not fit its u16 field.
pub(crate) fn token04(
    secret: &str,
    claims: &Claims<'_>,
    nonce: i32,
    iv: [u8; 12],
) -> Option<String> {
    let expires = i64::try_from(claims.expires).ok()?;
    let plaintext = json!({
        "app_id": claims.app_id,
        "user_id": claims.user_id,
        "nonce": nonce,
        "ctime": claims.issued,
        "expire": expires,
        "payload": claims.payload,
    });
    let mut sealed = serde_json::to_vec(&plaintext).ok()?;
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, secret.as_bytes()).ok()?);
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut sealed)
        .ok()?;
    let mut packed = Vec::with_capacity(8 + 2 + iv.len() + 2 + sealed.len() + 1);
    packed.extend_from_slice(&expires.to_be_bytes());
    packed.extend_from_slice(&u16::try_from(iv.len()).ok()?.to_be_bytes());
    packed.extend_from_slice(&iv);
    packed.extend_from_slice(&u16::try_from(sealed.len()).ok()?.to_be_bytes());
    packed.extend_from_slice(&sealed);
    packed.push(GCM);
    Some(format!(
        "04{}",
        base64::engine::general_purpose::STANDARD.encode(packed)
    ))
}

/// The `payload` of a token for `room`: Express RTC's room and privileges (login and publish), none
/// for ZIM.
fn payload(service: Service, room: &RoomId) -> String {
    match service {
        Service::Zim => String::new(),
        Service::Rtc => json!({
            "room_id": room.as_str(),
            "privilege": {"1": 1, "2": 1},
            "stream_id_list": null,
        })
        .to_string(),
    }
}

fn invalid(service: Service, message: impl Into<String>) -> Error {
    Error::invalid_input(message).with_provider(service.provider())
}

/// A login token for `user` (and, on Express RTC, `room`) made at `now`, valid for the session
/// duration asked ([`DEFAULT_LOGIN_TOKEN_TTL`] when none, at most [`MAX_LOGIN_TOKEN_TTL`]).
pub(crate) fn login_token(
    service: Service,
    (app_id, secret): (u32, &str),
    room: &RoomId,
    user: &UserId,
    options: &TokenOptions,
    now: SystemTime,
) -> Result<Token, Error> {
    if !options.capabilities.is_empty()
        || options.role.is_some()
        || options.name.is_some()
        || options.metadata.is_some()
        || !options.attributes.is_empty()
    {
        return Err(invalid(
            service,
            "ZEGO login tokens carry the user (and the RTC room) only: no capabilities, role, name, metadata or attributes",
        ));
    }
    let ttl = options.session_duration.unwrap_or(DEFAULT_LOGIN_TOKEN_TTL);
    if ttl < Duration::from_secs(1) || ttl > MAX_LOGIN_TOKEN_TTL {
        return Err(invalid(
            service,
            format!(
                "a ZEGO login token lives from 1 second to {} hours; asked for {ttl:?}",
                MAX_LOGIN_TOKEN_TTL.as_secs() / 3600
            ),
        ));
    }
    if secret.len() != 32 {
        return Err(Error::new(
            ErrorKind::Config,
            "login tokens need the 32-character ServerSecret from the ZEGO console",
        )
        .with_provider(service.provider()));
    }
    let issued = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let expires = issued + ttl.as_secs();
    let claims = Claims {
        app_id,
        user_id: user.as_str(),
        issued,
        expires,
        payload: payload(service, room),
    };
    let value = token04(secret, &claims, rand::random(), rand::random())
        .ok_or_else(|| invalid(service, "the user id or room is too long for a login token"))?;
    Ok(Token::new(value).with_expires_at(UNIX_EPOCH.checked_add(Duration::from_secs(expires))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "fa94dd0f974cf2e293728a526b028271";

    /// Opens a token with `secret` as ZEGO's server would (a reading of the layout for the tests).
    fn try_open(token: &str, secret: &str) -> Option<(i64, serde_json::Value)> {
        let packed = base64::engine::general_purpose::STANDARD
            .decode(token.strip_prefix("04").expect("version"))
            .expect("base64");
        let expires = i64::from_be_bytes(packed[..8].try_into().unwrap());
        let iv_len = usize::from(u16::from_be_bytes([packed[8], packed[9]]));
        let iv: [u8; 12] = packed[10..10 + iv_len].try_into().unwrap();
        let at = 10 + iv_len;
        let len = usize::from(u16::from_be_bytes([packed[at], packed[at + 1]]));
        let mut sealed = packed[at + 2..at + 2 + len].to_vec();
        assert_eq!(packed[at + 2 + len..], [GCM], "the mode byte ends it");
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, secret.as_bytes()).unwrap());
        let plain = key
            .open_in_place(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut sealed)
            .ok()?;
        Some((expires, serde_json::from_slice(plain).expect("JSON")))
    }

    fn open(token: &str) -> (i64, serde_json::Value) {
        try_open(token, SECRET).expect("authentic")
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    #[test]
    fn an_rtc_token_names_the_app_user_room_and_expiry() {
        let token = login_token(
            Service::Rtc,
            (1_234_567_890, SECRET),
            &RoomId::new("stage"),
            &UserId::new("troll"),
            &TokenOptions::new().with_session_duration(Duration::from_secs(600)),
            now(),
        )
        .expect("token");
        assert_eq!(
            token.expires_at,
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_600))
        );
        let (expires, claims) = open(token.secret());
        assert_eq!(expires, 1_700_000_600);
        assert_eq!(claims["app_id"], 1_234_567_890);
        assert_eq!(claims["user_id"], "troll");
        assert_eq!(claims["ctime"], 1_700_000_000);
        assert_eq!(claims["expire"], 1_700_000_600);
        assert!(claims["nonce"].is_i64());
        let payload: serde_json::Value =
            serde_json::from_str(claims["payload"].as_str().unwrap()).unwrap();
        assert_eq!(payload["room_id"], "stage");
        assert_eq!(payload["privilege"]["1"], 1);
    }

    #[test]
    fn a_zim_token_has_no_payload_and_a_default_hour() {
        let token = login_token(
            Service::Zim,
            (1, SECRET),
            &RoomId::new("lobby"),
            &UserId::new("u"),
            &TokenOptions::new(),
            now(),
        )
        .expect("token");
        let (expires, claims) = open(token.secret());
        assert_eq!(expires, 1_700_003_600);
        assert_eq!(claims["payload"], "");
    }

    #[test]
    fn refusals_before_anything_is_built() {
        let make = |secret: &str, options: TokenOptions| {
            login_token(
                Service::Zim,
                (1, secret),
                &RoomId::new("r"),
                &UserId::new("u"),
                &options,
                now(),
            )
            .map(|_| ())
            .map_err(|e| e.kind())
        };
        assert_eq!(
            make(SECRET, TokenOptions::new().with_role("host")),
            Err(ErrorKind::InvalidInput)
        );
        assert_eq!(
            make(
                SECRET,
                TokenOptions::new()
                    .with_session_duration(MAX_LOGIN_TOKEN_TTL + Duration::from_secs(1))
            ),
            Err(ErrorKind::InvalidInput)
        );
        assert_eq!(make("short", TokenOptions::new()), Err(ErrorKind::Config));
        assert_eq!(make(SECRET, TokenOptions::new()), Ok(()));
    }

    #[test]
    fn two_tokens_differ_and_a_wrong_secret_cannot_open_one() {
        let claims = Claims {
            app_id: 1,
            user_id: "u",
            issued: 1,
            expires: 2,
            payload: String::new(),
        };
        let a = token04(SECRET, &claims, 1, [1; 12]).unwrap();
        let b = token04(SECRET, &claims, 1, [2; 12]).unwrap();
        assert_ne!(a, b);
        assert!(try_open(&a, SECRET).is_some());
        assert!(try_open(&a, "00000000000000000000000000000000").is_none());
    }
}
