//! The TLS configuration for `wss://` signalling connections.
//!
//! Built explicitly with the aws-lc-rs provider and the platform verifier (what reqwest uses for the
//! REST calls), so it never depends on a process-wide default crypto provider: when several rustls
//! providers are compiled into one binary, rustls refuses to pick one and `ClientConfig::builder()`
//! would panic.

use std::sync::{Arc, OnceLock};

use rustls_platform_verifier::BuilderVerifierExt;

/// The shared client configuration, built on first use.
pub fn default_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .and_then(|builder| builder.with_platform_verifier())
                .map(|builder| Arc::new(builder.with_no_client_auth()))
                .map_err(|error| format!("cannot set up TLS: {error}"))
        })
        .clone()
}

#[cfg(test)]
mod tests {
    #[test]
    fn builds_without_a_process_default_provider() {
        assert!(super::default_config().is_ok());
    }
}
