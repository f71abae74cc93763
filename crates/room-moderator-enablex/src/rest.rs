//! The EnableX Video v2 server API: creating tokens, the headless moderator's own and the ones
//! issued to users.
//!
//! `POST {base}rooms/{room_id}/tokens` with HTTP Basic `APP_ID:APP_KEY` and
//! `{"name", "role", "user_ref", "data"?}` answers `{"result": 0, "token": "..."}`
//! (EnableX "Create Token" server API). Tokens are single use and valid for 15 minutes, so one is
//! created per signalling session.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::Value;

use room_moderator_core::toolkit::http::{HttpAnswer, HttpClient};
use room_moderator_core::{Error, RoomId};

use crate::PROVIDER;
use crate::codes;

/// Body of the token request.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct TokenRequest<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub user_ref: &'a str,
    /// Application data carried by the token (at most 5 keys); not sent when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<&'a BTreeMap<String, String>>,
}

/// The REST client. Its `Debug` never shows the key.
#[derive(Clone)]
pub(crate) struct RestClient {
    http: HttpClient,
    app_id: String,
    authorization: String,
}

impl fmt::Debug for RestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestClient")
            .field("base", &self.http.endpoint().as_str())
            .field("app_id", &self.app_id)
            .field("app_key", &"<redacted>")
            .finish()
    }
}

impl RestClient {
    /// A client over `http` (its endpoint is the API base, `.../video/v2/`), authenticating with HTTP
    /// Basic `app_id:app_key`.
    pub(crate) fn new(http: HttpClient, app_id: &str, app_key: &str) -> Self {
        RestClient {
            http,
            app_id: app_id.to_owned(),
            authorization: format!("Basic {}", STANDARD.encode(format!("{app_id}:{app_key}"))),
        }
    }

    /// The APP ID (not a secret: it names the account).
    pub(crate) fn app_id(&self) -> &str {
        &self.app_id
    }

    /// `{base}rooms/{room}/tokens`, the room percent-encoded as one path segment.
    fn tokens_url(&self, room: &RoomId) -> Result<url::Url, Error> {
        self.http.url(["rooms", room.as_str(), "tokens"])
    }

    /// Creates a token for `room`.
    pub(crate) async fn create_token(
        &self,
        room: &RoomId,
        request_body: &TokenRequest<'_>,
    ) -> Result<String, Error> {
        // A redirect would resend the Basic credentials wherever it points: the client follows none.
        let request = self
            .http
            .post(self.tokens_url(room)?)
            .header("authorization", &self.authorization)
            .json(request_body);
        parse_token_answer(&self.http.send(request).await?)
    }
}

/// What an answer body says, in either documented envelope.
#[derive(Debug, PartialEq)]
enum Envelope {
    Success(serde_json::Map<String, Value>),
    Failure {
        code: Option<String>,
        message: String,
        request_id: Option<String>,
    },
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Reads `{result: 0, ..}` / `{result: n, error, desc}` / `{status: "error", error_code, message,
/// request_id}`; `None` when the body is not a JSON object.
fn read_envelope(body: &[u8]) -> Option<Envelope> {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    let request_id = text(object.get("request_id"));
    let is_error_status = object
        .get("status")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("error"));
    if is_error_status || object.contains_key("error_code") {
        return Some(Envelope::Failure {
            code: text(object.get("error_code")),
            message: text(object.get("message"))
                .or_else(|| text(object.get("error")))
                .unwrap_or_default(),
            request_id,
        });
    }
    match text(object.get("result")) {
        Some(result) if result.trim() != "0" => {
            let error = text(object.get("error"));
            let desc = text(object.get("desc"));
            let message = match (error, desc) {
                (Some(error), Some(desc)) if error != desc => format!("{error}: {desc}"),
                (Some(message), _) | (None, Some(message)) => message,
                (None, None) => text(object.get("message")).unwrap_or_default(),
            };
            Some(Envelope::Failure {
                code: Some(result.trim().to_owned()),
                message,
                request_id,
            })
        }
        _ => Some(Envelope::Success(object)),
    }
}

/// The token of a token request's answer, or the error it means (`Retry-After` and the request id
/// from the body or the `x-request-id` header included).
pub(crate) fn parse_token_answer(answer: &HttpAnswer) -> Result<String, Error> {
    let header_request_id = answer.header("x-request-id").map(str::to_owned);
    let envelope = read_envelope(answer.body());
    let status = answer.status();
    let success = answer.is_success();
    let (error, request_id) = match envelope {
        Some(Envelope::Success(object)) if success => {
            return match object.get("token").and_then(Value::as_str) {
                Some(token) if !token.trim().is_empty() => Ok(token.trim().to_owned()),
                _ => {
                    Err(Error::protocol("the token answer holds no token").with_provider(PROVIDER))
                }
            };
        }
        None if success => {
            return Err(
                // Not EnableX's answer: asking for another token is safe.
                Error::unreadable_answer(format!("the token answer is not JSON (HTTP {status})"))
                    .with_provider(PROVIDER),
            );
        }
        Some(Envelope::Failure {
            code,
            message,
            request_id,
        }) => (
            answer.failure(
                code.as_deref(),
                code.as_deref().and_then(codes::rest_meaning),
                &message,
            ),
            request_id.or(header_request_id),
        ),
        // An error status with an unreadable or success-looking body: the status says it all.
        Some(Envelope::Success(_)) | None => (answer.status_failure(), header_request_id),
    };
    Err(match request_id {
        Some(id) => error.with_request_id(id),
        None => error,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use room_moderator_core::ErrorKind;
    use room_moderator_core::toolkit::{Connection, MAX_BODY};
    use url::Url;

    fn answer(status: u16, body: &str) -> Result<String, Error> {
        parse_token_answer(&HttpAnswer::new(PROVIDER, status, body))
    }

    /// A client for `base` with the key `app_key`, as the builder makes it.
    fn rest_client(base: Url, app_id: &str, app_key: &str, timeout: Duration) -> RestClient {
        let mut connection = Connection::default();
        connection.endpoint = Some(base.to_string());
        connection.timeout = timeout;
        let http = HttpClient::new(&connection, crate::DEFAULT_ENDPOINT, PROVIDER).unwrap();
        RestClient::new(http, app_id, app_key)
    }

    #[test]
    fn success_returns_the_token() {
        assert_eq!(answer(200, r#"{"result":0,"token":"abc"}"#).unwrap(), "abc");
        assert_eq!(
            answer(200, r#"{"result":"0","token":" abc "}"#).unwrap(),
            "abc"
        );
        assert_eq!(answer(201, r#"{"token":"t"}"#).unwrap(), "t");
    }

    #[test]
    fn success_without_a_token_or_json_is_a_protocol_error() {
        for body in [
            r#"{"result":0}"#,
            r#"{"result":0,"token":""}"#,
            r#"{"result":0,"token":5}"#,
            "<html>ok</html>",
            "",
            "[1]",
        ] {
            assert_eq!(
                answer(200, body).unwrap_err().kind(),
                ErrorKind::Protocol,
                "{body}"
            );
        }
    }

    #[test]
    fn legacy_envelope_is_read() {
        let error = answer(
            200,
            r#"{"result":10001,"error":"Invalid Parameter","desc":"room_id missing"}"#,
        )
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert_eq!(error.code(), Some("10001"));
        assert!(error.message().contains("room_id missing"), "{error}");
    }

    #[test]
    fn newer_envelope_is_read_with_its_request_id() {
        let error = answer(
            403,
            r#"{"status":"error","error_code":"PROJECT_SUSPENDED","message":"Suspended","request_id":"req-9"}"#,
        )
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AccountNotReady);
        assert_eq!(error.code(), Some("PROJECT_SUSPENDED"));
        assert_eq!(error.request_id(), Some("req-9"));
    }

    #[test]
    fn throttling_carries_retry_after() {
        let error = parse_token_answer(
            &HttpAnswer::new(
                PROVIDER,
                429,
                r#"{"status":"error","error_code":"RATE_LIMITED","message":"slow"}"#,
            )
            .with_header("retry-after", "7")
            .with_header("x-request-id", "h-1"),
        )
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Throttled);
        assert!(error.is_temporary());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(error.request_id(), Some("h-1"));
    }

    #[test]
    fn error_statuses_with_unreadable_bodies_follow_the_status() {
        assert_eq!(
            answer(503, "<html>503</html>").unwrap_err().kind(),
            ErrorKind::Unavailable
        );
        assert_eq!(
            answer(401, "").unwrap_err().kind(),
            ErrorKind::Unauthenticated
        );
        assert_eq!(
            answer(404, r#"{"result":0}"#).unwrap_err().kind(),
            ErrorKind::Config
        );
    }

    #[test]
    fn tokens_url_encodes_the_room_as_one_segment() {
        let client = rest_client(
            Url::parse("https://api.enablex.io/video/v2/").unwrap(),
            "id",
            "key",
            Duration::from_secs(1),
        );
        assert_eq!(
            client.tokens_url(&RoomId::new("abc")).unwrap().as_str(),
            "https://api.enablex.io/video/v2/rooms/abc/tokens"
        );
        assert_eq!(
            client.tokens_url(&RoomId::new("a/b?c")).unwrap().as_str(),
            "https://api.enablex.io/video/v2/rooms/a%2Fb%3Fc/tokens"
        );
    }

    /// Reads one whole HTTP request (headers and `Content-Length` body) from `stream`, so that
    /// closing it afterwards cannot reset the connection under the client.
    async fn read_request(stream: &mut tokio::net::TcpStream) {
        use tokio::io::AsyncReadExt;
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let Ok(n) = stream.read(&mut buffer).await else {
                return;
            };
            if n == 0 {
                return;
            }
            request.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .and_then(|value| value.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if request.len() >= end + 4 + length {
                    return;
                }
            }
        }
    }

    /// A server that answers one request with `response`; returns a client pointed at it.
    async fn client_answered_with(response: Vec<u8>) -> RestClient {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/video/v2/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            read_request(&mut stream).await;
            // The client may stop reading early (that is the point of one test).
            let _ = stream.write_all(&response).await;
            let _ = stream.shutdown().await;
        });
        rest_client(
            Url::parse(&base).unwrap(),
            "id",
            "key",
            Duration::from_secs(5),
        )
    }

    /// The error of a token request answered with `response`.
    async fn token_error(response: String) -> Error {
        let request = TokenRequest {
            name: "Moderator",
            role: "moderator",
            user_ref: "moderator-bot",
            data: None,
        };
        client_answered_with(response.into_bytes())
            .await
            .create_token(&RoomId::new("lobby"), &request)
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        // Where the redirect points: nobody may connect to it.
        let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        elsewhere.set_nonblocking(true).unwrap();
        let location = format!(
            "http://{}/video/v2/rooms/lobby/tokens",
            elsewhere.local_addr().unwrap()
        );
        let error = token_error(format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        ))
        .await;
        assert_eq!(error.kind(), ErrorKind::Config, "{error}");
        // Had the client followed it, the connection would be queued by now.
        let followed = elsewhere.accept();
        assert!(
            matches!(&followed, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "the redirect was followed: {followed:?}"
        );
    }

    #[tokio::test]
    async fn bodies_are_read_up_to_64_kib() {
        // A valid answer whose JSON only ends after the cap: read whole, it would yield the token.
        let body = format!(
            r#"{{"result":0,"token":"dG9rZW4=","padding":"{}"}}"#,
            "x".repeat(2 * MAX_BODY)
        );
        let error = token_error(format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ))
        .await;
        assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");
        assert!(error.message().contains("not JSON"), "{error}");
    }

    #[test]
    fn the_request_body_sends_data_only_when_given() {
        let data: BTreeMap<String, String> = [("team".to_owned(), "red".to_owned())].into();
        let mut request = TokenRequest {
            name: "Alice",
            role: "participant",
            user_ref: "alice",
            data: None,
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"name": "Alice", "role": "participant", "user_ref": "alice"})
        );
        request.data = Some(&data);
        assert_eq!(
            serde_json::to_value(&request).unwrap()["data"]["team"],
            "red"
        );
    }

    #[test]
    fn debug_redacts_the_key() {
        let client = rest_client(
            Url::parse("https://api.enablex.io/video/v2/").unwrap(),
            "my-app",
            "super-secret",
            Duration::from_secs(1),
        );
        let debug = format!("{client:?}");
        assert!(
            debug.contains("my-app") && !debug.contains("super-secret"),
            "{debug}"
        );
        assert!(!debug.contains(&STANDARD.encode("my-app:super-secret")));
    }
}
