//! The access token check of livekit-server's auth middleware: `Authorization: Bearer <jwt>` (or
//! `?access_token=`), HS256 only, `iss` naming the API key, `exp` required, 60 s of leeway on `exp`
//! and `nbf`, and the text/plain 401 bodies it answers (docs/providers/livekit.md, "Auth").

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// The leeway livekit's verifier gives `exp` and `nbf` (`tokenLeeway = time.Minute`).
pub(super) const LEEWAY_SECS: i64 = 60;

/// The grants of a token that matter to the emulator (the `video` claim, camelCase as minted).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct VideoGrant {
    pub room_admin: bool,
    pub room_create: bool,
    pub room_join: bool,
    pub room: String,
}

/// The claims of a verified token.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Claims {
    pub iss: String,
    pub sub: String,
    pub name: String,
    pub metadata: String,
    pub nbf: Option<f64>,
    pub exp: Option<f64>,
    pub video: Option<VideoGrant>,
}

impl Claims {
    pub(super) fn video(&self) -> VideoGrant {
        self.video.clone().unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
}

/// Where a request's token was found.
pub(super) enum Presented<'a> {
    /// No token at all (or `Bearer ` and nothing): the middleware lets it through without grants.
    None,
    /// A token to verify.
    Token(&'a str),
}

/// The token a request presents; `Err` is the 401 text for a malformed `Authorization` header.
pub(super) fn presented<'a>(
    headers: &'a HeaderMap,
    query: Option<&'a str>,
) -> Result<Presented<'a>, &'static str> {
    if let Some(value) = headers.get("authorization") {
        let value = value
            .to_str()
            .map_err(|_| "invalid authorization header. Must start with Bearer ")?;
        let token = value
            .strip_prefix("Bearer ")
            .ok_or("invalid authorization header. Must start with Bearer ")?;
        return Ok(if token.is_empty() {
            Presented::None
        } else {
            Presented::Token(token)
        });
    }
    let from_query = query.and_then(|query| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == "access_token")
            .map(|(_, value)| value)
    });
    Ok(match from_query {
        Some(token) if !token.is_empty() => Presented::Token(token),
        _ => Presented::None,
    })
}

/// Verifies `token` as livekit-server does at Unix time `now`; `Err` is the text/plain 401 body.
pub(super) fn verify(
    token: &str,
    api_key: &str,
    secret: &str,
    require_exp: bool,
    now: i64,
) -> Result<Claims, String> {
    const UNPARSEABLE: &str = "invalid authorization token";
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(UNPARSEABLE.to_owned());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part.trim_end_matches('='));
    let header: Header = decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(UNPARSEABLE)?;
    let alg = header.alg.ok_or(UNPARSEABLE)?;
    if !KNOWN_ALGORITHMS.contains(&alg.as_str()) {
        return Err(UNPARSEABLE.to_owned());
    }
    let claims: Claims = decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(UNPARSEABLE)?;
    let signature = decode(signature).map_err(|_| UNPARSEABLE.to_owned())?;
    if claims.iss != api_key {
        return Err("invalid API key".to_owned());
    }
    if alg != "HS256" {
        return Err(format!(
            "invalid authorization token: token signature is invalid: signing method {alg} is invalid"
        ));
    }
    let Some(signed_len) = token.rfind('.') else {
        return Err(UNPARSEABLE.to_owned());
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| UNPARSEABLE.to_owned())?;
    mac.update(&token.as_bytes()[..signed_len]);
    if mac.verify_slice(&signature).is_err() {
        return Err(
            "invalid authorization token: token signature is invalid: signature is invalid"
                .to_owned(),
        );
    }
    let mut problems = Vec::new();
    let now = now as f64;
    let leeway = LEEWAY_SECS as f64;
    match claims.exp {
        Some(exp) if now - leeway >= exp => problems.push("token is expired"),
        None if require_exp => {
            problems.push("token is missing required claim: exp claim is required")
        }
        _ => {}
    }
    if claims.nbf.is_some_and(|nbf| now + leeway < nbf) {
        problems.push("token is not valid yet");
    }
    if !problems.is_empty() {
        return Err(format!(
            "invalid authorization token: token has invalid claims: {}",
            problems.join(", ")
        ));
    }
    Ok(claims)
}

/// Algorithms golang-jwt knows; another name makes the token unparseable.
const KNOWN_ALGORITHMS: &[&str] = &[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256",
    "PS384", "PS512", "EdDSA", "none",
];

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Signs `claims` with `secret` under `alg` (the signature is HS256 whatever `alg` says).
    pub(crate) fn sign(claims: &serde_json::Value, secret: &str, alg: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(format!("{header}.{payload}").as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{header}.{payload}.{signature}")
    }

    fn claims(exp: Option<i64>, nbf: i64) -> serde_json::Value {
        let mut value = serde_json::json!({"iss": "key", "sub": "", "nbf": nbf,
            "video": {"roomAdmin": true, "room": "r"}});
        if let Some(exp) = exp {
            value["exp"] = exp.into();
        }
        value
    }

    #[test]
    fn every_refusal_has_the_servers_words() {
        let now = 1_000_000;
        let good = sign(&claims(Some(now + 600), now), "secret", "HS256");
        let verified = verify(&good, "key", "secret", true, now).expect("valid");
        assert!(verified.video().room_admin);
        let cases = [
            ("a.b", "key", "secret", "invalid authorization token"),
            (good.as_str(), "other", "secret", "invalid API key"),
            (
                good.as_str(),
                "key",
                "wrong",
                "invalid authorization token: token signature is invalid: signature is invalid",
            ),
        ];
        for (token, key, secret, expected) in cases {
            assert_eq!(verify(token, key, secret, true, now).unwrap_err(), expected);
        }
        let hs512 = sign(&claims(Some(now + 600), now), "secret", "HS512");
        assert!(
            verify(&hs512, "key", "secret", true, now)
                .unwrap_err()
                .ends_with("signing method HS512 is invalid")
        );
        let expired = sign(&claims(Some(now - 61), now - 600), "secret", "HS256");
        assert!(
            verify(&expired, "key", "secret", true, now)
                .unwrap_err()
                .ends_with("token has invalid claims: token is expired")
        );
        let within_leeway = sign(&claims(Some(now - 59), now - 600), "secret", "HS256");
        assert!(verify(&within_leeway, "key", "secret", true, now).is_ok());
        let early = sign(&claims(Some(now + 600), now + 61), "secret", "HS256");
        assert!(
            verify(&early, "key", "secret", true, now)
                .unwrap_err()
                .ends_with("token is not valid yet")
        );
        let no_exp = sign(&claims(None, now), "secret", "HS256");
        assert!(
            verify(&no_exp, "key", "secret", true, now)
                .unwrap_err()
                .ends_with("exp claim is required")
        );
        assert!(verify(&no_exp, "key", "secret", false, now).is_ok());
    }
}
