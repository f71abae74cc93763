//! Which URLs an adapter may talk to: the secure scheme anywhere, the plain one only to this machine
//! unless the caller opted in (requests carry signatures, credentials and user ids).

use url::Url;

use crate::{Error, is_loopback_host};

/// A secure scheme and its plain counterpart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schemes {
    /// Accepted for any host (`https`, `wss`).
    pub secure: &'static str,
    /// Accepted for loopback hosts, or any host with the opt-in (`http`, `ws`).
    pub plain: &'static str,
}

/// `https`, or `http` to loopback.
pub const HTTP: Schemes = Schemes {
    secure: "https",
    plain: "http",
};

/// `wss`, or `ws` to loopback.
pub const WEBSOCKET: Schemes = Schemes {
    secure: "wss",
    plain: "ws",
};

/// Parses `raw` and applies the policy; `what` names the URL in the error ("the endpoint", "the
/// token's signalling URL"). The fragment is dropped. Errors are [`ErrorKind::Config`](crate::ErrorKind::Config)
/// without a provider: the adapter adds its own.
///
/// ```
/// use room_moderator_core::toolkit::{HTTP, check_endpoint};
/// assert!(check_endpoint("https://api.example.com/v2/", HTTP, false, "the endpoint").is_ok());
/// assert!(check_endpoint("http://127.0.0.1:8080/", HTTP, false, "the endpoint").is_ok());
/// assert!(check_endpoint("http://api.example.com/", HTTP, false, "the endpoint").is_err());
/// assert!(check_endpoint("http://api.example.com/", HTTP, true, "the endpoint").is_ok());
/// ```
pub fn check_endpoint(
    raw: &str,
    schemes: Schemes,
    allow_plain: bool,
    what: &str,
) -> Result<Url, Error> {
    let mut url = Url::parse(raw.trim())
        .map_err(|e| Error::config(format!("{what} {raw:?} is not a URL: {e}")))?;
    let Some(host) = url.host_str().filter(|host| !host.is_empty()) else {
        return Err(Error::config(format!("{what} {raw:?} has no host")));
    };
    let scheme = url.scheme();
    if scheme == schemes.plain && !allow_plain && !is_loopback_host(host) {
        return Err(Error::config(format!(
            "{what} {raw:?} is plain {plain}:// to a host that is not loopback; use {secure}:// or opt in with with_allow_http(true)",
            plain = schemes.plain,
            secure = schemes.secure,
        )));
    }
    if scheme != schemes.secure && scheme != schemes.plain {
        return Err(Error::config(format!(
            "{what} {raw:?} has scheme {scheme:?}; expected {secure}:// (or {plain}:// to a loopback host)",
            plain = schemes.plain,
            secure = schemes.secure,
        )));
    }
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn secure_anywhere_plain_only_to_loopback_or_when_allowed() {
        for ok in [
            "https://zim-api.zego.im/",
            "http://127.0.0.1:8080",
            "http://127.9.9.9/",
            "http://[::1]:1/",
            "http://localhost:3000/zim/",
            "http://LOCALHOST",
        ] {
            assert!(check_endpoint(ok, HTTP, false, "endpoint").is_ok(), "{ok}");
        }
        for refused in [
            "http://zim.example.com/",
            "http://10.0.0.1:8080",
            "http://localhost.example.com",
            "ftp://127.0.0.1/",
            "not a url",
            "mailto:a@b",
            "wss://127.0.0.1/",
        ] {
            let error = check_endpoint(refused, HTTP, false, "endpoint").unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Config, "{refused}");
        }
        let error = check_endpoint("http://zim.example.com/", HTTP, false, "endpoint").unwrap_err();
        assert!(error.message().contains("with_allow_http"), "{error}");
        assert!(check_endpoint("http://10.0.0.1:8080", HTTP, true, "endpoint").is_ok());
        assert!(check_endpoint("ftp://10.0.0.1", HTTP, true, "endpoint").is_err());
    }

    #[test]
    fn websocket_schemes() {
        assert!(check_endpoint("wss://signal.example.com/", WEBSOCKET, false, "url").is_ok());
        assert!(check_endpoint("ws://127.0.0.1:9/", WEBSOCKET, false, "url").is_ok());
        assert!(check_endpoint("ws://signal.example.com/", WEBSOCKET, false, "url").is_err());
        assert!(check_endpoint("https://signal.example.com/", WEBSOCKET, true, "url").is_err());
    }

    #[test]
    fn the_fragment_is_dropped() {
        let url = check_endpoint(" https://a.example/x#frag ", HTTP, false, "url").unwrap();
        assert_eq!(url.as_str(), "https://a.example/x");
    }
}
