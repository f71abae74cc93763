//! LiveKit webhooks (`participant_joined`).
//!
//! The `Authorization` header holds a JWT (no `Bearer ` prefix; one is tolerated) signed HS256 with
//! the API secret of the key named in `iss`, valid five minutes, whose `sha256` claim is the standard
//! base64 (padded) SHA-256 of the raw body. As LiveKit's Go receiver does: HS256 only (one official
//! SDK also accepts HS512; we do not), `exp` required, 60 s leeway, the body hashed as received and
//! compared in constant time, and JSON parsed only after all of that (docs/webhooks.md, LiveKit).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Join, Refusal, Verified, text};
use crate::Secret;

/// Clock skew tolerated on `exp` and `nbf`, as LiveKit's own verifier allows.
pub const LEEWAY: Duration = Duration::from_secs(60);

/// Verifies one LiveKit webhook against the configured (API key, secret) pairs.
pub(crate) fn verify(
    keys: &[(String, Secret)],
    authorization: Option<&str>,
    body: &[u8],
    now: SystemTime,
) -> Result<Verified, Refusal> {
    let token = authorization
        .map(|value| value.trim())
        .map(|value| value.strip_prefix("Bearer ").unwrap_or(value))
        .filter(|value| !value.is_empty())
        .ok_or(Refusal::Signature)?;
    let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::Signature)?;
    if header.alg != Algorithm::HS256 {
        return Err(Refusal::Signature);
    }
    let issuer = unverified_issuer(token).ok_or(Refusal::Signature)?;
    let (key, secret) = keys
        .iter()
        .find(|(key, _)| key.as_bytes().ct_eq(issuer.as_bytes()).into())
        .ok_or(Refusal::Signature)?;
    let mut validation = Validation::new(Algorithm::HS256);
    // Times are checked below against our clock (tests run it paused), with LiveKit's leeway.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.set_issuer(&[key]);
    let claims = jsonwebtoken::decode::<Value>(
        token,
        &DecodingKey::from_secret(secret.expose().as_bytes()),
        &validation,
    )
    .map_err(|_| Refusal::Signature)?
    .claims;
    let seconds = |name: &str| claims.get(name).and_then(Value::as_u64);
    let exp = seconds("exp").ok_or(Refusal::Signature)?;
    // A time beyond what the clock holds: an `exp` that far is not stale, an `nbf` never comes.
    let at = |secs: u64| UNIX_EPOCH.checked_add(Duration::from_secs(secs));
    if at(exp)
        .and_then(|exp| exp.checked_add(LEEWAY))
        .is_some_and(|exp| exp < now)
    {
        return Err(Refusal::Stale);
    }
    if let Some(nbf) = seconds("nbf")
        && at(nbf).is_none_or(|nbf| nbf > now + LEEWAY)
    {
        return Err(Refusal::Stale);
    }
    let claimed = claims
        .get("sha256")
        .and_then(Value::as_str)
        .and_then(|hash| STANDARD.decode(hash).ok())
        .ok_or(Refusal::Signature)?;
    let actual: [u8; 32] = Sha256::digest(body).into();
    if !bool::from(claimed.ct_eq(&actual)) {
        return Err(Refusal::Signature);
    }
    let event: Value = serde_json::from_slice(body).map_err(|_| Refusal::Malformed)?;
    let id = event
        .get("id")
        .and_then(text)
        .filter(|id| !id.is_empty())
        .ok_or(Refusal::Malformed)?;
    let mut joins = Vec::new();
    if event.get("event").and_then(Value::as_str) == Some("participant_joined") {
        let room = event.pointer("/room/name").and_then(Value::as_str);
        let user = event
            .pointer("/participant/identity")
            .and_then(Value::as_str);
        match (room, user) {
            (Some(room), Some(user)) if !room.is_empty() && !user.is_empty() => {
                joins.push(Join::new(room, user));
            }
            _ => return Err(Refusal::Malformed),
        }
    }
    Ok(Verified {
        key: format!("livekit:{id}"),
        joins,
    })
}

/// The `iss` claim read before verification, only to pick the secret that verifies it.
fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;

    const BODY: &[u8] = br#"{"event":"participant_joined","room":{"sid":"RM_1","name":"standup"},"participant":{"sid":"PA_1","identity":"troll"},"id":"EV_abc","createdAt":"1800000000"}"#;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn keys() -> Vec<(String, Secret)> {
        vec![(
            "APIkey".to_owned(),
            Secret::new("s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"),
        )]
    }

    fn token(alg: Algorithm, secret: &str, claims: Value) -> String {
        jsonwebtoken::encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("token")
    }

    fn claims(body: &[u8], exp: u64) -> Value {
        json!({"iss": "APIkey", "exp": exp, "nbf": exp - 300, "iat": exp - 300, "sha256": STANDARD.encode(Sha256::digest(body))})
    }

    fn good(body: &[u8]) -> String {
        token(
            Algorithm::HS256,
            "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t",
            claims(body, 1_800_000_300),
        )
    }

    #[test]
    fn genuine_join() {
        let verified = verify(&keys(), Some(&good(BODY)), BODY, now()).expect("verified");
        assert_eq!(verified.key, "livekit:EV_abc");
        assert_eq!(verified.joins, vec![Join::new("standup", "troll")]);
    }

    #[test]
    fn refusals() {
        let secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t";
        assert_eq!(
            verify(&keys(), None, BODY, now()).err(),
            Some(Refusal::Signature)
        );
        let hs512 = token(Algorithm::HS512, secret, claims(BODY, 1_800_000_300));
        assert_eq!(
            verify(&keys(), Some(&hs512), BODY, now()).err(),
            Some(Refusal::Signature)
        );
        let wrong_secret = token(Algorithm::HS256, "another", claims(BODY, 1_800_000_300));
        assert_eq!(
            verify(&keys(), Some(&wrong_secret), BODY, now()).err(),
            Some(Refusal::Signature)
        );
        let mut other_key = claims(BODY, 1_800_000_300);
        other_key["iss"] = json!("other");
        let other_key = token(Algorithm::HS256, secret, other_key);
        assert_eq!(
            verify(&keys(), Some(&other_key), BODY, now()).err(),
            Some(Refusal::Signature)
        );
        let tampered = br#"{"event":"participant_joined","room":{"name":"standup"},"participant":{"identity":"victim"},"id":"EV_abc"}"#;
        assert_eq!(
            verify(&keys(), Some(&good(BODY)), tampered, now()).err(),
            Some(Refusal::Signature)
        );
        let mut no_exp = claims(BODY, 1_800_000_300);
        no_exp.as_object_mut().expect("object").remove("exp");
        let no_exp = token(Algorithm::HS256, secret, no_exp);
        assert_eq!(
            verify(&keys(), Some(&no_exp), BODY, now()).err(),
            Some(Refusal::Signature)
        );
    }

    #[test]
    fn expiry_with_leeway() {
        let token = good(BODY);
        let just = UNIX_EPOCH + Duration::from_secs(1_800_000_360);
        assert!(verify(&keys(), Some(&token), BODY, just).is_ok());
        let late = just + Duration::from_secs(1);
        assert_eq!(
            verify(&keys(), Some(&token), BODY, late).err(),
            Some(Refusal::Stale)
        );
        let early = UNIX_EPOCH + Duration::from_secs(1_800_000_000 - 361);
        assert_eq!(
            verify(&keys(), Some(&token), BODY, early).err(),
            Some(Refusal::Stale)
        );
    }

    #[test]
    fn times_beyond_the_clock_do_not_panic() {
        let secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t";
        let mut far = claims(BODY, 1_800_000_300);
        far["exp"] = json!(u64::MAX);
        let far = token(Algorithm::HS256, secret, far);
        assert!(verify(&keys(), Some(&far), BODY, now()).is_ok());
        let mut never = claims(BODY, 1_800_000_300);
        never["nbf"] = json!(u64::MAX);
        let never = token(Algorithm::HS256, secret, never);
        assert_eq!(
            verify(&keys(), Some(&never), BODY, now()).err(),
            Some(Refusal::Stale)
        );
    }

    #[test]
    fn bearer_prefix_is_tolerated() {
        let header = format!("Bearer {}", good(BODY));
        assert!(verify(&keys(), Some(&header), BODY, now()).is_ok());
    }

    #[test]
    fn other_events_report_no_join() {
        let body = br#"{"event":"participant_left","room":{"name":"standup"},"participant":{"identity":"troll"},"id":"EV_def"}"#;
        let verified = verify(&keys(), Some(&good(body)), body, now()).expect("verified");
        assert!(verified.joins.is_empty());
    }
}
