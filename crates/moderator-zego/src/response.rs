//! The one response decoder for both products. ZEGO answers HTTP 200 with
//! `{"Code": 0, "Message": "success", "RequestId": "..."}`; `Code != 0` is the failure signal.
//! Whether errors ever come with another HTTP status is UNVERIFIED, so the status is mapped first and a
//! recognised body code refines it (core's toolkit writes that rule and the status table once for every
//! adapter). Anything that is not the envelope is a protocol error, never a success.

use std::time::Duration;

use moderator_core::Error;
use moderator_core::toolkit::{FailedAnswer, snippet};
use serde_json::Value;

use crate::Service;
use crate::codes::{self, Blame, CodeRow};

/// What one call's answer means.
#[derive(Debug)]
pub(crate) enum Answer {
    /// `Code` 0 with a 2xx status: every user in the call was removed (ZIM), or is not in the room
    /// any more (RTC also answers success for users who were not there).
    Success,
    /// The call failed; `blame` says whether the failure belongs to the whole call or to an unnamed user.
    Failure { error: Error, blame: Blame },
}

/// ZEGO's answer envelope, as far as it could be read.
#[derive(Debug, PartialEq, Eq)]
struct Envelope {
    code: i64,
    message: String,
    request_id: Option<String>,
}

/// Decodes one HTTP answer of `service`: the status first, a known `Code` refining it (core's
/// [`FailedAnswer`] rule: a 429 stays throttling, a body never turns an error status into success).
pub(crate) fn decode(
    service: Service,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Answer {
    let provider = service.provider();
    let envelope = parse(body);
    let success_status = (200..300).contains(&status);
    let (error, blame) = match &envelope {
        Ok(envelope) if success_status && envelope.code == 0 => return Answer::Success,
        Ok(envelope) => code_error(service, status, envelope),
        Err(why) if success_status => (
            Error::protocol(format!(
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
    Answer::Failure { error, blame }
}

/// An envelope that is not a success: `Code` 0 under an error status names no failure, so the status
/// decides; a code the table does not know is kept on the error for operators to look up. The row's
/// blame counts only when its code decided the kind.
fn code_error(service: Service, status: u16, envelope: &Envelope) -> (Error, Blame) {
    let failed = envelope.code != 0;
    let row = failed
        .then(|| codes::lookup(service, envelope.code))
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
    (answer.into_error(service.provider()), blame)
}

/// Reads the envelope: a JSON object with an integer `Code` (a numeric string is tolerated), an
/// optional `Message` and an optional `RequestId` (string or number).
fn parse(body: &[u8]) -> Result<Envelope, &'static str> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty");
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| "not JSON")?;
    let object = value.as_object().ok_or("not a JSON object")?;
    let code = match object.get("Code") {
        Some(Value::Number(n)) => n.as_i64().ok_or("Code is not an integer")?,
        Some(Value::String(s)) => s.trim().parse().map_err(|_| "Code is not an integer")?,
        Some(_) => return Err("Code is not an integer"),
        None => return Err("no Code"),
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
    Ok(Envelope {
        code,
        message,
        request_id,
    })
}

#[cfg(test)]
mod tests {
    use moderator_core::ErrorKind;

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
            assert!(!error.is_temporary());
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
