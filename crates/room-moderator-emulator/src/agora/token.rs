//! Checking a Chat app token as the server would (docs/providers/agora.md, "App token"): inflate the
//! AccessToken2, recompute its signature with the App Certificate, and require the Chat service with
//! the app privilege, the project's App ID and a validity not yet over. Written apart from the
//! adapter's builder on purpose: the interop test holds both to Agora's official builder.

use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::read::ZlibDecoder;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a token is refused, as the Chat server's two 401 codes tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `auth_bad_access_token`: unreadable, or not signed for this project.
    Bad,
    /// `unauthorized`: missing or expired.
    Expired,
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        (self.0.len() >= n).then(|| {
            let (head, tail) = self.0.split_at(n);
            self.0 = tail;
            head
        })
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn string(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u16()?);
        self.take(n)
    }
}

fn hmac(key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(mac.finalize().into_bytes().to_vec())
}

/// Checks `token` for `app_id` and `certificate` at `now` (Unix seconds).
pub(crate) fn check(token: &str, app_id: &str, certificate: &str, now: u64) -> Result<(), Refusal> {
    let encoded = token.strip_prefix("007").ok_or(Refusal::Bad)?;
    let compressed = STANDARD.decode(encoded).map_err(|_| Refusal::Bad)?;
    let mut content = Vec::new();
    ZlibDecoder::new(compressed.as_slice())
        .take(4096)
        .read_to_end(&mut content)
        .map_err(|_| Refusal::Bad)?;
    let mut reader = Reader(&content);
    let signature = reader.string().ok_or(Refusal::Bad)?;
    let signing_info = reader.0;
    let token_app_id = reader.string().ok_or(Refusal::Bad)?;
    let issued = reader.u32().ok_or(Refusal::Bad)?;
    let expire = reader.u32().ok_or(Refusal::Bad)?;
    let salt = reader.u32().ok_or(Refusal::Bad)?;
    let services = reader.u16().ok_or(Refusal::Bad)?;
    let mut app_privilege = None;
    for _ in 0..services {
        let kind = reader.u16().ok_or(Refusal::Bad)?;
        if kind != 5 {
            // Another product's service: its layout is not read here, and a Chat app token has none.
            return Err(Refusal::Bad);
        }
        for _ in 0..reader.u16().ok_or(Refusal::Bad)? {
            let (privilege, secs) = (
                reader.u16().ok_or(Refusal::Bad)?,
                reader.u32().ok_or(Refusal::Bad)?,
            );
            if privilege == 2 {
                app_privilege = Some(secs);
            }
        }
        reader.string().ok_or(Refusal::Bad)?;
    }
    if token_app_id != app_id.as_bytes() {
        return Err(Refusal::Bad);
    }
    let k1 = hmac(&issued.to_le_bytes(), certificate.as_bytes()).ok_or(Refusal::Bad)?;
    let k2 = hmac(&salt.to_le_bytes(), &k1).ok_or(Refusal::Bad)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&k2).map_err(|_| Refusal::Bad)?;
    mac.update(signing_info);
    mac.verify_slice(signature).map_err(|_| Refusal::Bad)?;
    let privilege = app_privilege.ok_or(Refusal::Bad)?;
    let issued = u64::from(issued);
    if now >= issued + u64::from(expire) || now >= issued + u64::from(privilege) {
        return Err(Refusal::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agora's own vector (`AccessToken2Test.test_service_chat_app`, AgoraIO/Tools python3).
    const VECTOR: &str = "007eJxTYNDNaz3snC8huEfHWdz6s98qltq4zqy9fl99Uh0FDvy6F6DAYGlu4OxobJqSamaQbGJiZmKalJSYapFoZGhqYGaYZGzs/kWAIYKJgYGRAYRZgZgJzGdgAACt8hhr";
    const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
    const CERTIFICATE: &str = "5CFd2fd1755d40ecb72977518be15d3b";

    #[test]
    fn the_official_vector_is_accepted_while_valid() {
        assert_eq!(check(VECTOR, APP_ID, CERTIFICATE, 1_111_111), Ok(()));
        assert_eq!(
            check(VECTOR, APP_ID, CERTIFICATE, 1_111_711),
            Err(Refusal::Expired)
        );
        assert_eq!(
            check(
                VECTOR,
                APP_ID,
                "0123456789abcdef0123456789abcdef",
                1_111_111
            ),
            Err(Refusal::Bad)
        );
        assert_eq!(
            check(
                VECTOR,
                "0123456789abcdef0123456789abcdef",
                CERTIFICATE,
                1_111_111
            ),
            Err(Refusal::Bad)
        );
        for bad in ["", "007", "007abc", "YWMtabc", &VECTOR[..60]] {
            assert_eq!(
                check(bad, APP_ID, CERTIFICATE, 1_111_111),
                Err(Refusal::Bad),
                "{bad}"
            );
        }
    }
}
