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
use room_moderator_core::toolkit::{HTTP, check_endpoint};

/// Why an endpoint may not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefusedEndpoint(String);

impl fmt::Display for RefusedEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RefusedEndpoint {}

/// Core's endpoint policy: `https://` anywhere, `http://` to loopback hosts or with `allow_http`.
pub(crate) fn check(endpoint: &str, allow_http: bool) -> Result<(), RefusedEndpoint> {
    check_endpoint(endpoint, HTTP, allow_http, "the endpoint")
        .map(drop)
        .map_err(|refused| RefusedEndpoint(refused.message().to_owned()))
}

/// Applies [`check`] to every request, after endpoint resolution and before signing.
#[derive(Debug)]
pub(crate) struct EndpointGuard {
    pub allow_http: bool,
}

impl Intercept for EndpointGuard {
    fn name(&self) -> &'static str {
        "room_moderator_ivs::EndpointGuard"
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
    fn core_policy_with_a_reason() {
        assert_eq!(
            check("https://ivschat.us-east-1.amazonaws.com", false),
            Ok(())
        );
        assert_eq!(check("http://127.0.0.1:4566", false), Ok(()));
        let refused = check("http://ivschat.us-east-1.amazonaws.com", false).unwrap_err();
        assert!(refused.to_string().contains("with_allow_http"), "{refused}");
        assert_eq!(check("http://10.0.0.1:8080", true), Ok(()));
    }
}
