//! Entry points for the fuzz targets in `fuzz/` (hidden from the docs): the crate-private check of
//! DisconnectUser's success body, reachable without a network. Not part of the API; may change at
//! any release.

/// Whether a 200 answer's `body` may be read as DisconnectUser's success (empty, blank or a JSON
/// object); otherwise the message the adapter would report.
pub fn check_success_body(body: &[u8]) -> Result<(), String> {
    crate::success_body::check(body).map_err(|unexpected| unexpected.to_string())
}
