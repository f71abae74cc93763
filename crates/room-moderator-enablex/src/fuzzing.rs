//! Entry points for the fuzz targets in `fuzz/` (hidden from the docs): the crate-private decoders of
//! what EnableX sends (REST envelopes, the token, the `room-connected` roster), reachable without a
//! network. Not part of the API; may change at any release.

use room_moderator_core::Error;
use room_moderator_core::toolkit::http::HttpAnswer;
use serde_json::Value;

use crate::roster::Roster;
use crate::token::Token;

/// Reads a token request's answer as the REST client does: the token on success, the error otherwise.
/// `retry_after` and `request_id` become those headers when they are valid header values.
pub fn token_answer(
    status: u16,
    retry_after: Option<&str>,
    request_id: Option<&str>,
    body: &[u8],
) -> Result<String, Error> {
    let mut answer = HttpAnswer::new(crate::PROVIDER, status, body);
    if let Some(value) = retry_after {
        answer = answer.with_header("retry-after", value);
    }
    if let Some(value) = request_id {
        answer = answer.with_header("x-request-id", value);
    }
    crate::rest::parse_token_answer(&answer)
}

/// Decodes a token string and works out where its signalling socket goes: the URL and the extra
/// headers, or the error the adapter would report.
pub fn token_target(raw: &str, allow_http: bool) -> Result<(String, Vec<(String, String)>), Error> {
    let target = Token::decode(raw)?.target(allow_http)?;
    Ok((target.url, target.headers))
}

/// Reads `room-connected.userList` (`None`: the field is missing) as the session does; the number of
/// connections on success, why the roster is unreadable otherwise.
pub fn roster(user_list: Option<&Value>) -> Result<usize, String> {
    Roster::from_user_list(user_list)
        .map(|roster| roster.len())
        .map_err(|unreadable| unreadable.0)
}
