//! Which hosts count as "this machine", for the rule that plain http goes only to loopback unless the
//! caller opts in. One definition for every adapter.

use std::net::IpAddr;

/// Whether `host` (as in a URL: `127.0.0.1`, `[::1]`, `localhost`) is a loopback host:
/// 127.0.0.0/8, `::1` or `localhost`.
///
/// ```
/// use room_moderator_core::is_loopback_host;
/// assert!(is_loopback_host("127.0.0.1") && is_loopback_host("127.9.9.9"));
/// assert!(is_loopback_host("[::1]") && is_loopback_host("LOCALHOST"));
/// assert!(!is_loopback_host("10.0.0.1") && !is_loopback_host("localhost.example.com"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match unbracketed.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_counts() {
        for host in [
            "127.0.0.1",
            "127.255.0.1",
            "[::1]",
            "::1",
            "localhost",
            "LocalHost",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "",
            "0.0.0.0",
            "128.0.0.1",
            "[::2]",
            "example.com",
            "localhost.",
            "127.0.0.1.nip.io",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
