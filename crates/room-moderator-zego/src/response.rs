//! The one response decoder for every API of both products. ZEGO answers HTTP 200 with
//! `{"Code": 0, "Message": "success", "RequestId": "..."}` plus the API's own fields; `Code != 0` is
//! the failure signal. Whether errors ever come with another HTTP status is UNVERIFIED, so the status
//! is mapped first and a recognised body code refines it (core's toolkit writes that rule and the
//! status table once for every adapter). Anything that is not the envelope is a protocol error, never
//! a success.

use std::time::Duration;

use room_moderator_core::Error;
use room_moderator_core::toolkit::{FailedAnswer, snippet};
use serde_json::{Map, Value};

use crate::Service;
use crate::api::Api;
use crate::codes::{self, Blame, CodeRow};

/// What one call's answer means.
#[derive(Debug)]
pub(crate) enum Answer {
    /// `Code` 0 with a 2xx status. For a kick: every user in the call was removed (ZIM), or is not
    /// in the room any more (RTC also answers success for users who were not there).
    Success,
    /// The call failed; `blame` says whether the failure belongs to the whole call or to an unnamed user.
    Failure { error: Error, blame: Blame },
}

/// One answer, decoded.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// What it means.
    pub answer: Answer,
    /// The envelope's `Code`, when the body was the envelope.
    pub code: Option<i64>,
    /// The whole JSON object, when the body was the envelope: the API's own fields are read from
    /// it (on failures too: `QueryRoomMembers` names absent users in a failed answer).
    pub object: Map<String, Value>,
    /// Whether the HTTP status was 2xx.
    pub success_status: bool,
}

impl Decoded {
    /// The object of a successful answer, or the failure's error.
    pub(crate) fn into_success(self) -> Result<Map<String, Value>, Error> {
        match self.answer {
            Answer::Success => Ok(self.object),
            Answer::Failure { error, .. } => Err(error),
        }
    }
}

/// ZEGO's answer envelope, as far as it could be read.
#[derive(Debug, PartialEq, Eq)]
struct Envelope {
    code: i64,
    message: String,
    request_id: Option<String>,
}

/// Decodes one HTTP answer to `service`'s kick.
pub(crate) fn decode(
    service: Service,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Answer {
    decode_api(Api::kick(service), status, retry_after, body).answer
}

/// Decodes one HTTP answer of `api`: the status first, a known `Code` refining it (core's
/// [`FailedAnswer`] rule: a 429 stays throttling, a body never turns an error status into success).
pub(crate) fn decode_api(
    api: Api,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Decoded {
    let provider = api.service().provider();
    let parsed = parse(body);
    let success_status = (200..300).contains(&status);
    let (envelope, object) = match parsed {
        Ok((envelope, object)) => (Ok(envelope), object),
        Err(why) => (Err(why), Map::new()),
    };
    let code = envelope.as_ref().ok().map(|envelope| envelope.code);
    let (error, blame) = match &envelope {
        Ok(envelope) if success_status && envelope.code == 0 => {
            return Decoded {
                answer: Answer::Success,
                code,
                object,
                success_status,
            };
        }
        Ok(envelope) => code_error(api, status, envelope),
        // Not ZEGO's answer (a proxy's page, `{"ok": true}`): every ZEGO call this adapter makes
        // (kicks, listings, presence, forbid rules set or deleted by user) is safe to repeat.
        Err(why) if success_status => (
            Error::unreadable_answer(format!(
                "HTTP {status} but the body is not ZEGO's answer ({why}): {}",
                snippet(body)
            ))
            .with_provider(provider),
            Blame::Call,
        ),
        Err(_) => (
            FailedAnswer {
                status,
                ..FailedAnswer::default()
            }
            .into_error(provider),
            Blame::Call,
        ),
    };
    let mut error = error;
    if let Ok(Envelope {
        request_id: Some(id),
        ..
    }) = &envelope
    {
        error = error.with_request_id(id.clone());
    }
    if let Some(wait) = retry_after {
        error = error.with_retry_after(wait);
    }
    Decoded {
        answer: Answer::Failure { error, blame },
        code,
        object,
        success_status,
    }
}

/// An envelope that is not a success: `Code` 0 under an error status names no failure, so the status
/// decides; a code the table does not know is kept on the error for operators to look up. The row's
/// blame counts only when its code decided the kind.
fn code_error(api: Api, status: u16, envelope: &Envelope) -> (Error, Blame) {
    let failed = envelope.code != 0;
    let row = failed
        .then(|| codes::lookup_for(api, envelope.code))
        .flatten();
    let code = failed.then(|| envelope.code.to_string());
    let answer = FailedAnswer {
        status,
        code: code.as_deref(),
        known: row.map(CodeRow::meaning),
        said: &envelope.message,
    };
    let blame = match row {
        Some(row) if answer.classify().by_code => row.blame,
        _ => Blame::Call,
    };
    (answer.into_error(api.service().provider()), blame)
}

/// An integer field that ZEGO may send as a number or a numeric string (`Code`, `Count`,
/// `ExpireTime`, `SubCode`): `None` when absent or null, `Err` when it is something else.
pub(crate) fn integer(object: &Map<String, Value>, key: &str) -> Result<Option<i64>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("{key} is not an integer")),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{key} is not an integer")),
        Some(_) => Err(format!("{key} is not an integer")),
    }
}

/// Reads the envelope: a JSON object with an integer `Code` (a numeric string is tolerated), an
/// optional `Message` and an optional `RequestId` (string or number); the object is kept whole.
fn parse(body: &[u8]) -> Result<(Envelope, Map<String, Value>), &'static str> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty");
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| "not JSON")?;
    let Value::Object(object) = value else {
        return Err("not a JSON object");
    };
    let code = match integer(&object, "Code") {
        Ok(Some(code)) => code,
        Ok(None) => return Err("no Code"),
        Err(_) => return Err("Code is not an integer"),
    };
    let message = match object.get("Message") {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let request_id = match object.get("RequestId") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Ok((
        Envelope {
            code,
            message,
            request_id,
        },
        object,
    ))
}

#[cfg(test)]
mod tests {
    use room_moderator_core::ErrorKind;

    use super::*;

    fn failure(answer: Answer) -> (Error, Blame) {
        match answer {
            Answer::Failure { error, blame } => (error, blame),
            Answer::Success => panic!("expected a failure"),
        }
    }

    fn body(code: i64) -> String {
        format!(r#"{{"Code":{code},"Message":"m","RequestId":"rid-1"}}"#)
    }

    #[test]
    fn code_zero_with_200_is_success() {
        let answer = decode(
            Service::Zim,
            200,
            None,
            br#"{"Code": 0, "Message": "success", "RequestId": "343649807833778782"}"#,
        );
        assert!(matches!(answer, Answer::Success));
    }

    #[test]
    fn known_codes_keep_code_request_id_and_provider() {
        let (error, blame) = failure(decode(Service::Zim, 200, None, body(100000005).as_bytes()));
        assert_eq!(error.kind(), ErrorKind::Unauthenticated);
        assert_eq!(error.code(), Some("100000005"));
        assert_eq!(error.request_id(), Some("rid-1"));
        assert_eq!(error.provider(), Some("zego-zim"));
        assert_eq!(blame, Blame::Call);
        assert!(error.message().ends_with(": m"), "{error}");
    }

    #[test]
    fn not_in_room_is_blamed_on_an_unnamed_user() {
        let (error, blame) = failure(decode(Service::Zim, 200, None, body(660300002).as_bytes()));
        assert_eq!(error.kind(), ErrorKind::NotInRoom);
        assert_eq!(blame, Blame::SomeUser);
    }

    #[test]
    fn unknown_codes_are_permanent_protocol_errors_with_the_code() {
        let (error, blame) = failure(decode(Service::Rtc, 200, None, body(424242).as_bytes()));
        assert_eq!(error.kind(), ErrorKind::Protocol);
        assert!(!error.is_temporary());
        assert_eq!(error.code(), Some("424242"));
        assert_eq!(blame, Blame::Call);
    }

    #[test]
    fn bodies_that_are_not_the_envelope_are_never_success() {
        for bad in [
            &b""[..],
            b"   \n",
            b"<html><body>502 Bad Gateway</body></html>",
            b"{\"Code\":0",
            b"[0]",
            b"{\"Message\":\"success\"}",
            b"{\"Code\":\"zero\"}",
            b"{\"Code\":1.5}",
            b"null",
            &[0xff, 0xfe, 0x00],
        ] {
            let (error, _) = failure(decode(Service::Zim, 200, None, bad));
            assert_eq!(error.kind(), ErrorKind::Protocol, "{bad:?}");
            assert!(
                error.is_temporary(),
                "not ZEGO's answer: sent again, like a 5xx"
            );
        }
    }

    #[test]
    fn lenient_about_field_types_that_carry_the_same_meaning() {
        assert!(matches!(
            decode(Service::Zim, 200, None, br#"{"Code":"0"}"#),
            Answer::Success
        ));
        let (error, _) = failure(decode(
            Service::Rtc,
            200,
            None,
            br#"{"Code":206,"RequestId":12345}"#,
        ));
        assert_eq!(error.kind(), ErrorKind::Throttled);
        assert_eq!(error.request_id(), Some("12345"));
    }

    #[test]
    fn statuses_map_first() {
        let html = b"<html>busy</html>";
        let cases = [
            (400, ErrorKind::InvalidInput),
            (401, ErrorKind::Unauthenticated),
            (403, ErrorKind::PermissionDenied),
            (404, ErrorKind::Config),
            (408, ErrorKind::Timeout),
            (429, ErrorKind::Throttled),
            (500, ErrorKind::Unavailable),
            (502, ErrorKind::Unavailable),
            (503, ErrorKind::Unavailable),
            (504, ErrorKind::Unavailable),
            (302, ErrorKind::Config),
            (418, ErrorKind::InvalidInput),
        ];
        for (status, kind) in cases {
            let (error, blame) = failure(decode(Service::Zim, status, None, html));
            assert_eq!(error.kind(), kind, "{status}");
            assert_eq!(blame, Blame::Call);
            assert!(error.message().contains(&status.to_string()), "{error}");
        }
    }

    #[test]
    fn a_body_code_refines_the_status_but_never_turns_it_into_success() {
        let (error, _) = failure(decode(Service::Zim, 500, None, body(660300001).as_bytes()));
        assert_eq!(error.kind(), ErrorKind::NotFound);
        let (error, _) = failure(decode(Service::Zim, 503, None, body(0).as_bytes()));
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        let (error, _) = failure(decode(Service::Zim, 500, None, body(31337).as_bytes()));
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        assert_eq!(error.code(), Some("31337"));
    }

    #[test]
    fn a_429_is_throttling_whatever_the_body_says_and_honours_retry_after() {
        let wait = Some(Duration::from_secs(3));
        for body in [body(100000005), String::new(), "<html/>".to_owned()] {
            let (error, _) = failure(decode(Service::Rtc, 429, wait, body.as_bytes()));
            assert_eq!(error.kind(), ErrorKind::Throttled, "{body}");
            assert!(error.is_temporary());
            assert_eq!(error.retry_after(), wait);
        }
    }

    #[test]
    fn long_bodies_are_cut_in_messages() {
        let long = "x".repeat(10_000);
        let (error, _) = failure(decode(Service::Zim, 200, None, long.as_bytes()));
        assert!(error.message().len() < 400, "{}", error.message().len());
    }
}
