//! Which URLs we may talk to: TLS everywhere, plain text only to loopback unless the caller opts in.

use url::Url;

use moderator_core::Error;

use crate::PROVIDER;

/// Whether `url` points at this machine (127.0.0.0/8, ::1, `localhost`).
pub(crate) fn is_loopback(url: &Url) -> bool {
    url.host_str().is_some_and(moderator_core::is_loopback_host)
}

/// Accepts `url` if its scheme is `secure` (https / wss), or `plain` (http / ws) to loopback or with
/// `allow_plain`. `what` names the URL in the error.
pub(crate) fn check_scheme(
    url: &Url,
    secure: &str,
    plain: &str,
    allow_plain: bool,
    what: &str,
) -> Result<(), Error> {
    let scheme = url.scheme();
    if scheme == secure {
        return Ok(());
    }
    if scheme != plain {
        return Err(Error::config(format!(
            "{what} {url} must use {secure}:// (or {plain}:// to a loopback host)"
        ))
        .with_provider(PROVIDER));
    }
    if allow_plain || is_loopback(url) {
        return Ok(());
    }
    Err(Error::config(format!(
        "{what} {url} is plain {plain}:// to a non-loopback host; use {secure}:// or opt in with \
         EnablexBuilder::with_allow_http(true)"
    ))
    .with_provider(PROVIDER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn loopback_hosts() {
        for s in [
            "http://127.0.0.1:1/",
            "http://127.9.9.9/",
            "http://[::1]:8/",
            "http://localhost/",
            "http://LOCALHOST:80/",
        ] {
            assert!(is_loopback(&url(s)), "{s}");
        }
        for s in [
            "http://10.0.0.1/",
            "http://localhost.example/",
            "http://[::2]/",
        ] {
            assert!(!is_loopback(&url(s)), "{s}");
        }
    }

    #[test]
    fn plain_text_only_to_loopback_or_when_allowed() {
        let check = |s: &str, allow| check_scheme(&url(s), "https", "http", allow, "endpoint");
        assert!(check("https://api.enablex.io/video/v2/", false).is_ok());
        assert!(check("http://127.0.0.1:9/", false).is_ok());
        let error = check("http://emulator.internal/", false).unwrap_err();
        assert!(error.message().contains("with_allow_http"), "{error}");
        assert!(check("http://emulator.internal/", true).is_ok());
        assert!(check("ftp://127.0.0.1/", true).is_err());
    }
}
