//! Reading answers of both APIs: JSON bodies, failures mapped through core's toolkit by HTTP status
//! and the provider's own code (never by message text), and the ISO 8601 times of the rule list.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use room_moderator_core::toolkit::CodeMeaning;
use room_moderator_core::toolkit::http::HttpAnswer;
use room_moderator_core::{Error, ErrorKind};
use serde_json::{Map, Value};

/// The JSON object of a 2xx answer, or the error it means: RTC failures carry `message` (and maybe
/// `reason`), Chat failures `error` (the code, looked up in `codes`) and `error_description`.
pub(crate) fn success_object(
    answer: &HttpAnswer,
    codes: fn(u16, &str) -> Option<CodeMeaning>,
) -> Result<Map<String, Value>, Error> {
    if answer.is_success() {
        return answer.json::<Map<String, Value>>();
    }
    let body: Option<Map<String, Value>> = answer.try_json();
    let text = |key: &str| {
        body.as_ref()
            .and_then(|b| b.get(key))
            .and_then(Value::as_str)
    };
    let code = text("error");
    let said = text("error_description")
        .or_else(|| text("message"))
        .or_else(|| text("reason"))
        .unwrap_or("");
    Err(answer.failure(
        code,
        code.and_then(|code| codes(answer.status(), code)),
        said,
    ))
}

/// A protocol error naming what is wrong with an answer.
pub(crate) fn protocol(provider: &'static str, what: impl Into<String>) -> Error {
    Error::protocol(what).with_provider(provider)
}

/// Whether an error leaves it open whether a POST took effect: no complete answer, or a 5xx.
pub(crate) fn effect_unknown(error: &Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::Unavailable
    )
}

/// `2026-01-09T07:23:06.000Z` (or without fractions, or with `+00:00`) as a time.
pub(crate) fn parse_iso8601(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let text = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))?;
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: i64 = date_parts.next()?.parse().ok()?;
    let day: i64 = date_parts.next()?.parse().ok()?;
    let (clock, fraction) = match time.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (time, None),
    };
    let mut clock_parts = clock.splitn(3, ':');
    let hour: u64 = clock_parts.next()?.parse().ok()?;
    let minute: u64 = clock_parts.next()?.parse().ok()?;
    let second: u64 = clock_parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let millis: u64 = match fraction {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{f:0<3}")[..3].parse().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = u64::try_from(era * 146_097 + doe - 719_468).ok()?;
    let secs = days
        .checked_mul(86_400)?
        .checked_add(hour * 3600 + minute * 60 + second)?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs) + Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rule_list_times() {
        let at = parse_iso8601("2026-01-09T07:23:06.000Z").unwrap();
        assert_eq!(
            at.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_767_943_386
        );
        let leap = parse_iso8601("2000-02-29T00:59:59.5Z").unwrap();
        assert_eq!(
            leap.duration_since(UNIX_EPOCH).unwrap().as_millis(),
            951_785_999_500
        );
        assert!(parse_iso8601("2026-01-09T07:23:06+00:00").is_some());
        for bad in [
            "",
            "2026-01-09",
            "2026-13-09T00:00:00Z",
            "x-1-1T0:0:0Z",
            "1969-01-01T00:00:00Z",
            "2026-01-09T07:23:06.Z",
        ] {
            assert!(parse_iso8601(bad).is_none(), "{bad}");
        }
    }
}
