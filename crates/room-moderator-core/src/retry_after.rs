//! `Retry-After`, read once for every adapter (RFC 9110, section 10.2.3).

use std::time::{Duration, SystemTime};

/// Reads a `Retry-After` value: delay-seconds (`"120"`) or an HTTP date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`, relative to `now`). A date in the past is zero; a number too
/// large for a `u64` is the longest duration (the engine clamps what it honours, see
/// [`RetryPolicy::max_retry_after`](crate::RetryPolicy::max_retry_after)); anything else is `None`.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use room_moderator_core::parse_retry_after;
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_470);
/// assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(10)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(
            value
                .parse::<u64>()
                .map_or(Duration::MAX, Duration::from_secs),
        );
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    #[test]
    fn every_form_and_every_oddity() {
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        let cases: &[(&str, Option<Duration>)] = &[
            ("0", Some(Duration::ZERO)),
            (" 30 ", Some(Duration::from_secs(30))),
            ("18446744073709551615", Some(Duration::from_secs(u64::MAX))),
            ("99999999999999999999999", Some(Duration::MAX)),
            ("Wed, 21 Oct 2015 07:28:00 GMT", Some(Duration::ZERO)),
            (
                "Wed, 21 Oct 2015 07:29:00 GMT",
                Some(Duration::from_secs(60)),
            ),
            ("-1", None),
            ("1.5", None),
            ("", None),
            ("tomorrow", None),
            ("\u{1b}[31m", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_retry_after(value, now), *expected, "{value:?}");
        }
    }
}
