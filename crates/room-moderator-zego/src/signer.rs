//! ZEGO's request signature (zegocloud.com/docs/zim-server/accessing-server-apis, shared by Express RTC):
//! `md5(AppId + SignatureNonce + ServerSecret + Timestamp)` in lowercase hex, with a fresh nonce and the
//! current time for every request, retries included.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};
use rand::Rng;

/// Computes a ZEGO signature: `md5(app_id + nonce + server_secret + timestamp)`, the four values written
/// as plain decimal/strings with no separators, in lowercase hex.
///
/// Only these four values are signed; `Action` and the business parameters are not.
///
/// ```
/// // The official test vector (ZEGO's Go sample).
/// let signature = room_moderator_zego::sign(12345, "4fd24687296dd9f3", "9193cc662a4c0ec135ec71fb57194b38", 1615186943);
/// assert_eq!(signature, "43e5cfcca828314675f91b001390566a");
/// ```
pub fn sign(app_id: u32, nonce: &str, server_secret: &str, timestamp: u64) -> String {
    let mut md5 = Md5::new();
    md5.update(app_id.to_string());
    md5.update(nonce);
    md5.update(server_secret);
    md5.update(timestamp.to_string());
    hex::encode(md5.finalize())
}

/// The ServerSecret from the ZEGO console. Never printed: `Debug` shows `"<redacted>"`.
#[derive(Clone)]
pub(crate) struct ServerSecret(String);

impl ServerSecret {
    pub(crate) fn new(secret: impl Into<String>) -> Self {
        ServerSecret(secret.into())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// Where the signer reads the time; injectable so that tests can sign at a fixed or skewed instant.
pub(crate) type ClockFn = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Where the signer gets the 8 random bytes of each nonce; injectable for the official test vector.
pub(crate) type NonceFn = Arc<dyn Fn() -> [u8; 8] + Send + Sync>;

/// The system clock.
pub(crate) fn system_clock() -> ClockFn {
    Arc::new(SystemTime::now)
}

/// 8 bytes from a CSPRNG: rand's thread-local generator is a ChaCha12 stream reseeded from the OS.
pub(crate) fn random_nonce() -> NonceFn {
    Arc::new(|| rand::rng().random())
}

/// The public parameters of one signed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Signed {
    pub app_id: u32,
    pub nonce: String,
    pub timestamp: u64,
    pub signature: String,
}

/// Signs requests for one AppId.
#[derive(Clone)]
pub(crate) struct Signer {
    app_id: u32,
    secret: ServerSecret,
    clock: ClockFn,
    nonce: NonceFn,
}

impl Signer {
    pub(crate) fn new(app_id: u32, secret: ServerSecret, clock: ClockFn, nonce: NonceFn) -> Self {
        Signer {
            app_id,
            secret,
            clock,
            nonce,
        }
    }

    pub(crate) fn app_id(&self) -> u32 {
        self.app_id
    }

    /// The ServerSecret, for the login tokens it also keys.
    pub(crate) fn secret(&self) -> &str {
        &self.secret.0
    }

    /// The signer's clock.
    pub(crate) fn now(&self) -> SystemTime {
        (self.clock)()
    }

    /// A fresh nonce, the current time and their signature; call once per request sent.
    pub(crate) fn sign_now(&self) -> Signed {
        let nonce = hex::encode((self.nonce)());
        // A clock before 1970 is broken; 0 makes the server answer "expired" rather than us panic.
        let timestamp = (self.clock)()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let signature = sign(self.app_id, &nonce, &self.secret.0, timestamp);
        Signed {
            app_id: self.app_id,
            nonce,
            timestamp,
            signature,
        }
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("app_id", &self.app_id)
            .field("server_secret", &self.secret)
            .finish_non_exhaustive()
    }
}

/// The official test vector's public parameters, for tests of what is built from them.
#[cfg(test)]
pub(crate) fn official_vector() -> Signed {
    Signed {
        app_id: 12345,
        nonce: "4fd24687296dd9f3".to_owned(),
        timestamp: 1615186943,
        signature: "43e5cfcca828314675f91b001390566a".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Duration;

    use super::*;

    const SECRET: &str = "9193cc662a4c0ec135ec71fb57194b38";

    fn vector_signer() -> Signer {
        Signer::new(
            12345,
            ServerSecret::new(SECRET),
            Arc::new(|| UNIX_EPOCH + Duration::from_secs(1615186943)),
            Arc::new(|| [0x4f, 0xd2, 0x46, 0x87, 0x29, 0x6d, 0xd9, 0xf3]),
        )
    }

    #[test]
    fn the_official_vector() {
        assert_eq!(
            sign(12345, "4fd24687296dd9f3", SECRET, 1615186943),
            "43e5cfcca828314675f91b001390566a"
        );
    }

    #[test]
    fn injected_clock_and_nonce_reproduce_the_vector() {
        assert_eq!(vector_signer().sign_now(), official_vector());
    }

    #[test]
    fn every_signing_draws_a_fresh_nonce() {
        let signer = Signer::new(1, ServerSecret::new("s"), system_clock(), random_nonce());
        let nonces: HashSet<String> = (0..100).map(|_| signer.sign_now().nonce).collect();
        assert_eq!(nonces.len(), 100);
        for nonce in &nonces {
            assert_eq!(nonce.len(), 16);
            assert!(
                nonce
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
        }
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        let text = format!("{:?}", vector_signer());
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }

    #[test]
    fn a_clock_before_the_epoch_signs_zero() {
        let signer = Signer::new(
            1,
            ServerSecret::new("s"),
            Arc::new(|| UNIX_EPOCH - Duration::from_secs(5)),
            random_nonce(),
        );
        assert_eq!(signer.sign_now().timestamp, 0);
    }
}
