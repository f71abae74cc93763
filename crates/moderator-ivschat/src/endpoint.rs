//! Plain http only to loopback hosts, unless the caller opted in.
//!
//! The endpoint can come from `with_endpoint`, from the `SdkConfig`, or from `AWS_ENDPOINT_URL_IVSCHAT`
//! / `AWS_ENDPOINT_URL` / a profile, which the SDK resolves itself and does not expose. So the rule is
//! checked twice: when building (for the endpoints we can see, to fail early) and on every request,
//! before signing, on the URL the SDK actually resolved (so no route around it exists).

use std::fmt;

use aws_sdk_ivschat::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_ivschat::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ivschat::error::BoxError;
use url::Url;

/// Why an endpoint may not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefusedEndpoint(String);

impl fmt::Display for RefusedEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RefusedEndpoint {}

/// Accepts `https://` anywhere and `http://` to loopback hosts (127.0.0.0/8, ::1, localhost), or to any
/// host when `allow_http` is set.
pub(crate) fn check(endpoint: &str, allow_http: bool) -> Result<(), RefusedEndpoint> {
    let url = Url::parse(endpoint)
        .map_err(|e| RefusedEndpoint(format!("endpoint {endpoint:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http || url.host_str().is_some_and(moderator_core::is_loopback_host) => {
            Ok(())
        }
        "http" => Err(RefusedEndpoint(format!(
            "endpoint {endpoint:?} uses plain http to a host that is not loopback; use https or opt in with with_allow_http(true)"
        ))),
        other => Err(RefusedEndpoint(format!(
            "endpoint {endpoint:?} has scheme {other:?}; expected https (or http to loopback)"
        ))),
    }
}

/// Applies [`check`] to every request, after endpoint resolution and before signing.
#[derive(Debug)]
pub(crate) struct EndpointGuard {
    pub allow_http: bool,
}

impl Intercept for EndpointGuard {
    fn name(&self) -> &'static str {
        "moderator_ivschat::EndpointGuard"
    }

    fn read_before_signing(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        check(context.request().uri(), self.allow_http).map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_always_http_only_to_loopback() {
        for ok in [
            "https://ivschat.us-east-1.amazonaws.com",
            "http://127.0.0.1:4566",
            "http://127.9.9.9/",
            "http://[::1]:8080/DisconnectUser",
            "http://localhost:1234",
            "http://LOCALHOST",
        ] {
            assert_eq!(check(ok, false), Ok(()), "{ok}");
        }
        for refused in [
            "http://ivschat.us-east-1.amazonaws.com",
            "http://10.0.0.1:8080",
            "http://localhost.example.com",
            "ftp://127.0.0.1",
            "not a url",
        ] {
            assert!(check(refused, false).is_err(), "{refused}");
        }
        assert_eq!(check("http://10.0.0.1:8080", true), Ok(()));
        assert!(check("ftp://10.0.0.1", true).is_err());
    }
}
