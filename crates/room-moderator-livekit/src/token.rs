//! LiveKit access tokens, minted locally: HS256 JWTs signed with the API secret, `iss` = the API
//! key, `nbf` and `exp` always set (servers since protocol #1706 refuse a token without `exp`).
//!
//! - Admin tokens: `video.roomAdmin` and `video.room` (the server checks the room exactly), one per
//!   room, [`ADMIN_TOKEN_TTL`] long and reused while more than [`RENEW_WITHIN`] is left.
//! - Join tokens ([`issue_token`](room_moderator_core::Moderator::issue_token)): `sub` = the
//!   identity, `video.roomJoin` and `video.room`, the grants asked for, `name`, `metadata`,
//!   `attributes`, a TTL of [`DEFAULT_JOIN_TOKEN_TTL`] unless a session duration is given.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use room_moderator_core::{Error, RoomId, Token, TokenOptions, UserId};
use serde::Serialize;

use crate::PROVIDER;

/// How long an admin token is valid: short, so a leaked one is soon useless, and long enough to be
/// reused across a kick of many users.
pub const ADMIN_TOKEN_TTL: Duration = Duration::from_secs(10 * 60);

/// An admin token with less than this left is replaced (a call may sit in the pacer's queue and the
/// server's clock may be ahead).
const RENEW_WITHIN: Duration = Duration::from_secs(2 * 60);

/// Admin tokens kept at most (one per room); expired ones are dropped first.
const MAX_CACHED_ADMIN_TOKENS: usize = 1024;

/// A join token's lifetime when no session duration is given. It bounds when the client may
/// connect, not how long it stays (LiveKit keeps a connection past its token's expiry and refreshes
/// the token itself), so it is short.
pub const DEFAULT_JOIN_TOKEN_TTL: Duration = Duration::from_secs(10 * 60);

/// The longest join token this adapter mints (a day): a long-lived token keeps working on a
/// self-hosted server after a kick.
pub const MAX_JOIN_TOKEN_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The video grants a join token may be given by name, as LiveKit spells them. With none named,
/// LiveKit's defaults apply (publish, subscribe and data allowed); naming some grants those and
/// denies the other three basic ones (`canPublish`, `canSubscribe`, `canPublishData`).
pub const JOIN_GRANTS: [&str; 6] = [
    "canPublish",
    "canSubscribe",
    "canPublishData",
    "canUpdateOwnMetadata",
    "hidden",
    "canSubscribeMetrics",
];

fn is_false(value: &bool) -> bool {
    !*value
}

/// The `video` claim.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct VideoGrant<'a> {
    #[serde(skip_serializing_if = "is_false")]
    room_admin: bool,
    #[serde(skip_serializing_if = "is_false")]
    room_join: bool,
    room: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    can_publish: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    can_subscribe: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    can_publish_data: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    can_update_own_metadata: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hidden: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    can_subscribe_metrics: Option<bool>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    nbf: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attributes: &'a BTreeMap<String, String>,
    video: VideoGrant<'a>,
}

/// The clock tokens are dated by (a function, so tests can move it).
pub(crate) type Clock = fn() -> SystemTime;

/// Mints tokens with the API key and secret. `Debug` never shows the secret.
pub(crate) struct Signer {
    api_key: String,
    key: EncodingKey,
    clock: Clock,
    admin: Mutex<HashMap<String, (String, SystemTime)>>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

fn unix(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn invalid(message: String) -> Error {
    Error::invalid_input(message).with_provider(PROVIDER)
}

impl Signer {
    pub(crate) fn new(api_key: &str, api_secret: &str, clock: Clock) -> Self {
        Signer {
            api_key: api_key.to_owned(),
            key: EncodingKey::from_secret(api_secret.as_bytes()),
            clock,
            admin: Mutex::new(HashMap::new()),
        }
    }

    fn sign(&self, claims: &Claims<'_>) -> Result<String, Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.key).map_err(|e| {
            Error::config(format!("cannot sign a LiveKit token: {e}")).with_provider(PROVIDER)
        })
    }

    /// The admin token for `room`: the cached one while it has over [`RENEW_WITHIN`] left, else a
    /// new one.
    pub(crate) fn admin_token(&self, room: &str) -> Result<String, Error> {
        let now = (self.clock)();
        let mut cache = self.admin.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((token, expires)) = cache.get(room)
            && *expires > now + RENEW_WITHIN
        {
            return Ok(token.clone());
        }
        let expires = now + ADMIN_TOKEN_TTL;
        let token = self.sign(&Claims {
            iss: &self.api_key,
            sub: None,
            nbf: unix(now),
            exp: unix(expires),
            name: None,
            metadata: None,
            attributes: &BTreeMap::new(),
            video: VideoGrant {
                room_admin: true,
                room,
                ..VideoGrant::default()
            },
        })?;
        if cache.len() >= MAX_CACHED_ADMIN_TOKENS {
            cache.retain(|_, (_, at)| *at > now + RENEW_WITHIN);
            if cache.len() >= MAX_CACHED_ADMIN_TOKENS {
                cache.clear();
            }
        }
        cache.insert(room.to_owned(), (token.clone(), expires));
        Ok(token)
    }

    /// A join token for `user` in `room`.
    pub(crate) fn join_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<Token, Error> {
        if options.role.is_some() {
            return Err(invalid(
                "LiveKit tokens have no roles; name the grants instead (capabilities: canPublish, canSubscribe, canPublishData, canUpdateOwnMetadata, hidden, canSubscribeMetrics)"
                    .to_owned(),
            ));
        }
        let ttl = options.session_duration.unwrap_or(DEFAULT_JOIN_TOKEN_TTL);
        if ttl < Duration::from_secs(1) || ttl > MAX_JOIN_TOKEN_TTL {
            return Err(invalid(format!(
                "a LiveKit join token lives from 1 second to {} hours; asked for {ttl:?}",
                MAX_JOIN_TOKEN_TTL.as_secs() / 3600
            )));
        }
        let mut video = VideoGrant {
            room_join: true,
            room: room.as_str(),
            ..VideoGrant::default()
        };
        if !options.capabilities.is_empty() {
            video.can_publish = Some(false);
            video.can_subscribe = Some(false);
            video.can_publish_data = Some(false);
        }
        for grant in &options.capabilities {
            let slot = match grant.as_str() {
                "canPublish" => &mut video.can_publish,
                "canSubscribe" => &mut video.can_subscribe,
                "canPublishData" => &mut video.can_publish_data,
                "canUpdateOwnMetadata" => &mut video.can_update_own_metadata,
                "hidden" => &mut video.hidden,
                "canSubscribeMetrics" => &mut video.can_subscribe_metrics,
                other => {
                    return Err(invalid(format!(
                        "{other:?} is not a LiveKit join grant; allowed: {}",
                        JOIN_GRANTS.join(", ")
                    )));
                }
            };
            *slot = Some(true);
        }
        let now = (self.clock)();
        let expires = now + ttl;
        let value = self.sign(&Claims {
            iss: &self.api_key,
            sub: Some(user.as_str()),
            nbf: unix(now),
            exp: unix(expires),
            name: options.name.as_deref(),
            metadata: options.metadata.as_deref(),
            attributes: &options.attributes,
            video,
        })?;
        Ok(Token::new(value).with_expires_at(Some(expires)))
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation};
    use room_moderator_core::ErrorKind;
    use serde_json::{Value, json};

    use super::*;

    /// Checks a token's HS256 signature with `secret` and returns its claims (dates not checked:
    /// the tests' clock is fixed).
    fn verified(token: &str, secret: &str) -> Value {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(
            token,
            &DecodingKey::from_secret(secret.as_bytes()),
            &validation,
        )
        .expect("a valid HS256 token")
        .claims
    }

    fn payload(token: &str) -> Value {
        verified(token, "secret")
    }

    fn clock() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn later() -> SystemTime {
        clock() + Duration::from_secs(9 * 60)
    }

    #[test]
    fn admin_tokens_grant_the_room_and_are_reused_while_valid() {
        let signer = Signer::new("APIkey", "secret", clock);
        let token = signer.admin_token("standup").expect("signs");
        let claims = payload(&token);
        assert_eq!(
            claims,
            json!({"iss": "APIkey", "nbf": 1_800_000_000u64, "exp": 1_800_000_600u64,
                   "video": {"roomAdmin": true, "room": "standup"}})
        );
        assert_eq!(signer.admin_token("standup").expect("signs"), token);
        assert_ne!(signer.admin_token("other").expect("signs"), token);
        // With less than two minutes left, a new one.
        let renewing = Signer::new("APIkey", "secret", later);
        renewing.admin.lock().expect("lock").insert(
            "standup".to_owned(),
            (token.clone(), clock() + ADMIN_TOKEN_TTL),
        );
        assert_ne!(renewing.admin_token("standup").expect("signs"), token);
        assert!(!format!("{signer:?}").contains("secret\""));
    }

    #[test]
    fn join_tokens_carry_identity_room_grants_ttl_name_metadata_and_attributes() {
        let signer = Signer::new("APIkey", "secret", clock);
        let options = TokenOptions::new()
            .with_capability("canSubscribe")
            .with_session_duration(Duration::from_secs(300))
            .with_name("Alice")
            .with_metadata("{\"team\":\"red\"}")
            .with_attribute("seat", "3");
        let token = signer
            .join_token(&RoomId::new("standup"), &UserId::new("alice"), &options)
            .expect("signs");
        assert_eq!(token.expires_at, Some(clock() + Duration::from_secs(300)));
        let claims = payload(token.secret());
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["name"], "Alice");
        assert_eq!(claims["metadata"], "{\"team\":\"red\"}");
        assert_eq!(claims["attributes"], json!({"seat": "3"}));
        assert_eq!(
            claims["video"],
            json!({"roomJoin": true, "room": "standup", "canPublish": false,
                   "canSubscribe": true, "canPublishData": false})
        );
        let plain = signer
            .join_token(&RoomId::new("r"), &UserId::new("bob"), &TokenOptions::new())
            .expect("signs");
        let claims = payload(plain.secret());
        assert_eq!(claims["exp"].as_u64(), Some(1_800_000_600));
        assert_eq!(claims["video"], json!({"roomJoin": true, "room": "r"}));
        assert!(claims.get("name").is_none_or(Value::is_null));
    }

    #[test]
    fn what_livekit_cannot_carry_is_refused() {
        let signer = Signer::new("k", "secret", clock);
        let refuse = |options: TokenOptions, says: &str| {
            let error = signer
                .join_token(&RoomId::new("r"), &UserId::new("u"), &options)
                .expect_err(says);
            assert_eq!(error.kind(), ErrorKind::InvalidInput);
            assert!(error.message().contains(says), "{error}");
        };
        refuse(TokenOptions::new().with_role("moderator"), "no roles");
        refuse(
            TokenOptions::new().with_capability("roomAdmin"),
            "not a LiveKit join grant",
        );
        refuse(
            TokenOptions::new().with_session_duration(Duration::from_secs(2 * 86_400)),
            "24 hours",
        );
    }
}
