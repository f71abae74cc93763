//! LiveKit webhooks as livekit-server sends them (docs/providers/webhooks.md §2): `POST`, the
//! `WebhookEvent` as protojson (lowerCamelCase, int64 as strings, enum names, zero values left out),
//! `Content-Type: application/webhook+json`, `User-Agent: LiveKit`, and `Authorization: <JWT>` (no
//! `Bearer `): HS256 with the API secret, claims `iss` (the API key), `nbf`, `iat`, `exp` (5 minutes)
//! and `sha256` = standard base64 (padded) of the body's SHA-256. A retry resends the same bytes and
//! token, so the same event `id` (`EV_...`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::Participant;
use crate::callbacks::{Callbacks, Signed, unix_millis};

/// How long the token is valid (`SetValidFor(5 * time.Minute)`).
const VALID_SECS: u64 = 300;

/// The webhook token for `body`, signed at Unix second `now`.
pub fn token(api_key: &str, api_secret: &str, body: &[u8], now: u64) -> String {
    let sha256 = STANDARD.encode(Sha256::digest(body));
    let header = json!({ "alg": "HS256", "typ": "JWT" });
    let claims = json!({
        "iss": api_key,
        "nbf": now,
        "iat": now,
        "exp": now + VALID_SECS,
        "sha256": sha256,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = match Hmac::<Sha256>::new_from_slice(api_secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(signing_input.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        // HMAC takes a key of any length: unreachable.
        Err(_) => String::new(),
    };
    format!("{signing_input}.{signature}")
}

/// A `room` object: its sid (stable per name in the emulator) and name.
fn room(name: &str) -> Value {
    let digest = Sha256::digest(name.as_bytes());
    json!({ "sid": format!("RM_{}", &hex::encode(digest)[..12]), "name": name })
}

/// `ParticipantInfo` as protojson: zero values (empty strings, the STANDARD kind) left out.
fn participant(p: &Participant, state: &str) -> Value {
    let mut fields = Map::new();
    fields.insert("sid".to_owned(), json!(p.sid));
    fields.insert("identity".to_owned(), json!(p.identity));
    fields.insert("state".to_owned(), json!(state));
    fields.insert(
        "joinedAt".to_owned(),
        json!((p.joined_at_ms / 1000).to_string()),
    );
    fields.insert("joinedAtMs".to_owned(), json!(p.joined_at_ms.to_string()));
    if !p.name.is_empty() {
        fields.insert("name".to_owned(), json!(p.name));
    }
    if !p.metadata.is_empty() {
        fields.insert("metadata".to_owned(), json!(p.metadata));
    }
    fields.insert("version".to_owned(), json!(1));
    fields.insert("region".to_owned(), json!("emulator"));
    if p.kind != super::ParticipantKind::Standard {
        let kind = serde_json::to_value(p.kind).unwrap_or(Value::Null);
        fields.insert("kind".to_owned(), kind);
    }
    Value::Object(fields)
}

/// Signs and queues `event` (`participant_joined`, `participant_left`) about `p` in `room_name`.
pub(super) fn send(
    callbacks: &Callbacks,
    api_key: &str,
    api_secret: &str,
    event: &str,
    room_name: &str,
    p: &Participant,
) {
    if !callbacks.enabled() {
        return;
    }
    let state = if event == "participant_left" {
        "DISCONNECTED"
    } else {
        "ACTIVE"
    };
    let now = unix_millis() / 1000;
    let body = json!({
        "event": event,
        "room": room(room_name),
        "participant": participant(p, state),
        "id": format!("EV_{}", random_id(12)),
        "createdAt": now.to_string(),
    });
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let token = token(api_key, api_secret, &body, now);
    callbacks.send_fixed(Signed {
        body,
        headers: vec![
            ("content-type", "application/webhook+json".to_owned()),
            ("authorization", token),
            ("user-agent", "LiveKit".to_owned()),
        ],
    });
}

/// `n` random characters from `[0-9A-Za-z]`.
fn random_id(n: usize) -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}
