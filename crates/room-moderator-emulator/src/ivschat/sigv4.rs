//! AWS Signature Version 4, checked the way an AWS front end checks it. Written from the public
//! specification ("Create a signed AWS API request", IAM User Guide), independently of the SDK's signer,
//! so that the adapter's requests are checked by a second implementation.
//!
//! canonical request = method \n canonical URI \n canonical query \n canonical headers \n
//!                     signed headers \n hex(SHA-256(payload))
//! string to sign    = "AWS4-HMAC-SHA256" \n x-amz-date \n scope \n hex(SHA-256(canonical request))
//! signing key       = HMAC chain "AWS4"+secret -> yyyymmdd -> region -> service -> "aws4_request"
//!
//! Non-S3 services encode the (already encoded) path once more ("double encoding"), as the SDK does for
//! IVS Chat. Path normalisation (`.`/`..` segments) is not done: DisconnectUser's path is fixed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::wire::ErrorType;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const TERMINATOR: &str = "aws4_request";

/// RFC 3986 unreserved characters, which SigV4 never encodes.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The parts of a request that the signature covers.
#[derive(Clone, Copy, Debug)]
pub(super) struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as received, still percent-encoded.
    pub path: &'a str,
    /// The query as received, without `?`.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// What a request must be signed with.
#[derive(Clone, Copy, Debug)]
pub(super) struct Expected<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    /// The session token requests must carry in `x-amz-security-token`; `None`: they must carry none.
    pub session_token: Option<&'a str>,
    pub region: &'a str,
    pub service: &'a str,
    /// How far `x-amz-date` may be from the emulator's clock (AWS: 5 minutes).
    pub max_skew: Duration,
}

/// Why a request was refused, as AWS words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Rejection {
    pub error_type: ErrorType,
    pub message: String,
}

fn reject(error_type: ErrorType, message: impl Into<String>) -> Rejection {
    Rejection {
        error_type,
        message: message.into(),
    }
}

fn mismatch() -> Rejection {
    reject(
        ErrorType::InvalidSignature,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    )
}

/// The `Authorization` header's three parts.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

impl<'a> Authorization<'a> {
    fn parse(value: &'a str) -> Result<Self, Rejection> {
        let incomplete = |what: &str| {
            reject(
                ErrorType::IncompleteSignature,
                format!("Authorization header requires '{what}' parameter. Authorization={value}"),
            )
        };
        let fields = value
            .strip_prefix(ALGORITHM)
            .filter(|rest| rest.starts_with(' '))
            .ok_or_else(|| {
                reject(
                    ErrorType::IncompleteSignature,
                    format!("Unsupported Authorization Type; expected {ALGORITHM}"),
                )
            })?;
        let field = |name: &str| {
            fields
                .split(',')
                .filter_map(|part| part.trim().split_once('='))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value)
        };
        let credential = field("Credential").ok_or_else(|| incomplete("Credential"))?;
        let signed_headers = field("SignedHeaders").ok_or_else(|| incomplete("SignedHeaders"))?;
        let signature = field("Signature").ok_or_else(|| incomplete("Signature"))?;
        let parts: Vec<&str> = credential.split('/').collect();
        let [access_key_id, date, region, service, terminator] = parts[..] else {
            return Err(reject(
                ErrorType::IncompleteSignature,
                format!(
                    "Credential should have 5 parts, found {}: {credential:?}",
                    parts.len()
                ),
            ));
        };
        Ok(Authorization {
            access_key_id,
            date,
            region,
            service,
            terminator,
            signed_headers: signed_headers.split(';').collect(),
            signature,
        })
    }

    fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

/// Checks `request`'s signature against `expected` at time `now`.
pub(super) fn verify(
    request: &SignedRequest<'_>,
    expected: &Expected<'_>,
    now: SystemTime,
) -> Result<(), Rejection> {
    let authorization = header(request.headers, "authorization").ok_or_else(|| {
        reject(
            ErrorType::MissingAuthenticationToken,
            "Missing Authentication Token",
        )
    })?;
    let auth = Authorization::parse(&authorization)?;
    let token = header(request.headers, "x-amz-security-token");
    if auth.access_key_id != expected.access_key_id || token.as_deref() != expected.session_token {
        return Err(reject(
            ErrorType::UnrecognizedClient,
            "The security token included in the request is invalid.",
        ));
    }
    let amz_date = header(request.headers, "x-amz-date").ok_or_else(|| {
        reject(
            ErrorType::IncompleteSignature,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    })?;
    let signed_at = parse_amz_date(&amz_date).ok_or_else(|| {
        reject(
            ErrorType::IncompleteSignature,
            format!("Date must be in ISO-8601 'basic format'. Got '{amz_date}'."),
        )
    })?;
    check_scope(&auth, &amz_date, expected)?;
    if !auth.signed_headers.contains(&"host") {
        return Err(reject(
            ErrorType::IncompleteSignature,
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let payload_hash = payload_hash(request)?;
    let canonical = canonical_request(request, &auth.signed_headers, &payload_hash);
    let to_sign = string_to_sign(&amz_date, &auth.scope(), &canonical);
    let key = signing_key(
        expected.secret_access_key,
        auth.date,
        auth.region,
        auth.service,
    );
    let provided = hex::decode(auth.signature).map_err(|_| mismatch())?;
    let mut mac = hmac_sha256(&key);
    mac.update(to_sign.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&provided).map_err(|_| mismatch())?;
    check_clock(&amz_date, signed_at, now, expected.max_skew)
}

fn check_scope(
    auth: &Authorization<'_>,
    amz_date: &str,
    expected: &Expected<'_>,
) -> Result<(), Rejection> {
    let day = amz_date.get(..8).unwrap_or_default();
    if auth.date != day {
        return Err(reject(
            ErrorType::InvalidSignature,
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{amz_date}'.",
                auth.date
            ),
        ));
    }
    if auth.region != expected.region {
        return Err(reject(
            ErrorType::InvalidSignature,
            format!(
                "Credential should be scoped to a valid region. Expected '{}', got '{}'.",
                expected.region, auth.region
            ),
        ));
    }
    if auth.service != expected.service {
        return Err(reject(
            ErrorType::InvalidSignature,
            format!(
                "Credential should be scoped to correct service: '{}'.",
                expected.service
            ),
        ));
    }
    if auth.terminator != TERMINATOR {
        return Err(reject(
            ErrorType::InvalidSignature,
            format!("Credential should be scoped with a valid terminator: '{TERMINATOR}'."),
        ));
    }
    Ok(())
}

/// A signature is valid for `max_skew` either side of the server's clock.
fn check_clock(
    amz_date: &str,
    signed_at: u64,
    now: SystemTime,
    max_skew: Duration,
) -> Result<(), Rejection> {
    let now = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let skew = max_skew.as_secs();
    let minutes = skew / 60;
    if signed_at.saturating_add(skew) < now {
        return Err(reject(
            ErrorType::InvalidSignature,
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - {minutes} min.)",
                format_amz_date(now - skew),
                format_amz_date(now)
            ),
        ));
    }
    if signed_at > now.saturating_add(skew) {
        return Err(reject(
            ErrorType::InvalidSignature,
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + {minutes} min.)",
                format_amz_date(now + skew),
                format_amz_date(now)
            ),
        ));
    }
    Ok(())
}

/// `x-amz-content-sha256` when sent (it must match the body unless `UNSIGNED-PAYLOAD`), else the hash
/// of the body.
fn payload_hash(request: &SignedRequest<'_>) -> Result<String, Rejection> {
    let actual = hex::encode(Sha256::digest(request.body));
    match header(request.headers, "x-amz-content-sha256") {
        Some(claimed) if claimed == "UNSIGNED-PAYLOAD" || claimed == actual => Ok(claimed),
        Some(_) => Err(reject(
            ErrorType::InvalidSignature,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )),
        None => Ok(actual),
    }
}

/// All values of a header, joined with `,` (several `Authorization` headers make no sense, but
/// joining keeps the check strict rather than picking one).
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

pub(super) fn canonical_request(
    request: &SignedRequest<'_>,
    signed_headers: &[&str],
    payload_hash: &str,
) -> String {
    let mut headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = request
            .headers
            .get_all(*name)
            .iter()
            .map(|v| {
                // Trim, and collapse runs of spaces into one.
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    format!(
        "{}\n{}\n{}\n{headers}\n{}\n{payload_hash}",
        request.method,
        canonical_uri(request.path),
        canonical_query(request.query),
        signed_headers.join(";"),
    )
}

/// Each segment of the received (encoded) path, encoded again.
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    path.split('/')
        .map(|segment| utf8_percent_encode(segment, UNRESERVED).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// Parameters decoded, re-encoded strictly, sorted by name then value.
fn canonical_query(query: Option<&str>) -> String {
    let strict = |s: &str| {
        utf8_percent_encode(&percent_decode_str(s).decode_utf8_lossy(), UNRESERVED).to_string()
    };
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (strict(name), strict(value))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub(super) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

pub(super) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    for part in [region, service, TERMINATOR] {
        key = hmac(&key, part.as_bytes());
    }
    key
}

/// hex(HMAC(signing key, string to sign)); `verify` compares the raw bytes instead, in constant time.
#[cfg(test)]
pub(super) fn signature(key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac(key, string_to_sign.as_bytes()))
}

fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = hmac_sha256(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `yyyymmddThhmmssZ` as seconds since the Unix epoch.
fn parse_amz_date(value: &str) -> Option<u64> {
    let bytes = value.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u64> {
        let digits = value.get(range)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())
            .flatten()
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

pub(super) fn format_amz_date(secs: u64) -> String {
    let (year, month, day) = civil_from_days(secs / 86_400);
    let rest = secs % 86_400;
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// `at` as ISO 8601 / RFC 3339 in UTC with milliseconds (`2024-01-31T12:00:00.000Z`), as IVS sends
/// timestamps in JSON bodies. Times before 1970 are written as 1970.
pub(super) fn format_iso8601(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let rest = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 of a Gregorian date (H. Hinnant's algorithm), for dates from 1970 on.
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    let y = if month <= 2 {
        year.checked_sub(1)?
    } else {
        year
    };
    let era = y / 400;
    let yoe = y % 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

/// The Gregorian date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests;
