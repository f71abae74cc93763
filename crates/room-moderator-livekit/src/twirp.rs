//! RoomService's JSON messages and answers, as protojson writes them: requests with proto names,
//! answers with every field emitted, int64 as strings, enums as names (numbers accepted too).
//!
//! Failed answers are classified by status, `Content-Type` and the Twirp `code` only. A body that is
//! not Twirp JSON (the auth middleware's text/plain 401, a proxy's 429 or 502 page) is never quoted:
//! older servers wrote the token itself into the 401 text.

use std::collections::HashSet;

use room_moderator_core::toolkit::CodeMeaning;
use room_moderator_core::toolkit::http::HttpAnswer;
use room_moderator_core::{Error, ErrorKind, Member};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codes;

/// The path segments of a RoomService method under the project URL.
pub(crate) fn path(method: &'static str) -> [&'static str; 3] {
    ["twirp", "livekit.RoomService", method]
}

/// `RoomParticipantIdentity` (RemoveParticipant). `revoke_token_ts` is never sent: its unit is
/// UNVERIFIED (seconds per the protocol's comment, milliseconds per the Rust SDK), and Cloud's
/// default (now + 60 s) already revokes the identity's tokens.
#[derive(Serialize)]
pub(crate) struct RoomParticipantIdentity<'a> {
    pub room: &'a str,
    pub identity: &'a str,
}

/// `ListParticipantsRequest`.
#[derive(Serialize)]
pub(crate) struct ListParticipantsRequest<'a> {
    pub room: &'a str,
}

/// A Twirp error body.
#[derive(Deserialize)]
struct TwirpError {
    code: String,
    #[serde(default)]
    msg: Option<String>,
}

/// What kind of participant LiveKit says one is (`ParticipantInfo.Kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParticipantKind {
    /// A client (web, mobile): the only kind that is a member by default.
    Standard,
    /// An ingress stream.
    Ingress,
    /// An egress (recorder, streamer).
    Egress,
    /// A SIP caller.
    Sip,
    /// A LiveKit agent.
    Agent,
    /// A connector.
    Connector,
    /// A bridge.
    Bridge,
    /// A kind this adapter does not know (a newer server): never a member unless asked with
    /// [`LiveKitBuilder::with_all_member_kinds`](crate::LiveKitBuilder::with_all_member_kinds).
    Unknown,
}

impl ParticipantKind {
    /// Every known kind, with its protojson name and number.
    pub const KNOWN: [(ParticipantKind, &'static str, i64); 7] = [
        (ParticipantKind::Standard, "STANDARD", 0),
        (ParticipantKind::Ingress, "INGRESS", 1),
        (ParticipantKind::Egress, "EGRESS", 2),
        (ParticipantKind::Sip, "SIP", 3),
        (ParticipantKind::Agent, "AGENT", 4),
        (ParticipantKind::Connector, "CONNECTOR", 7),
        (ParticipantKind::Bridge, "BRIDGE", 8),
    ];

    /// The kind a protojson value names (a name or a number; absent is STANDARD, proto3's zero).
    fn from_json(value: Option<&Value>) -> ParticipantKind {
        let known = |matches: &dyn Fn(&str, i64) -> bool| {
            ParticipantKind::KNOWN
                .iter()
                .find(|(_, name, number)| matches(name, *number))
                .map_or(ParticipantKind::Unknown, |(kind, _, _)| *kind)
        };
        match value {
            None | Some(Value::Null) => ParticipantKind::Standard,
            Some(Value::String(name)) => known(&|known, _| known == name),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(value) => known(&|_, number| number == value),
                None => ParticipantKind::Unknown,
            },
            Some(_) => ParticipantKind::Unknown,
        }
    }

    /// Parses a name (case-insensitive): `standard`, `ingress`, `egress`, `sip`, `agent`,
    /// `connector`, `bridge`.
    pub fn parse(name: &str) -> Option<ParticipantKind> {
        ParticipantKind::KNOWN
            .iter()
            .find(|(_, known, _)| known.eq_ignore_ascii_case(name.trim()))
            .map(|(kind, _, _)| *kind)
    }
}

#[derive(Deserialize)]
struct ParticipantInfo {
    identity: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    kind: Option<Value>,
}

#[derive(Deserialize)]
struct ListParticipantsResponse {
    #[serde(default)]
    participants: Option<Vec<ParticipantInfo>>,
}

/// Which participants count as members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MemberKinds {
    /// These kinds only.
    Only(Vec<ParticipantKind>),
    /// Every participant, unknown kinds included.
    All,
}

impl MemberKinds {
    fn admits(&self, kind: ParticipantKind) -> bool {
        match self {
            MemberKinds::All => true,
            MemberKinds::Only(kinds) => kinds.contains(&kind),
        }
    }
}

/// The members in a successful `ListParticipants` answer: each identity once (however many
/// connections it shows), of the kinds asked for, in the server's order.
pub(crate) fn members(answer: &HttpAnswer, kinds: &MemberKinds) -> Result<Vec<Member>, Error> {
    let listed: ListParticipantsResponse = answer.json()?;
    let mut seen = HashSet::new();
    let mut members = Vec::new();
    for participant in listed.participants.unwrap_or_default() {
        let kind = ParticipantKind::from_json(participant.kind.as_ref());
        if participant.identity.is_empty()
            || !kinds.admits(kind)
            || !seen.insert(participant.identity.clone())
        {
            continue;
        }
        let mut member = Member::new(participant.identity);
        if let Some(name) = participant.name.filter(|n| !n.is_empty()) {
            member = member.with_name(name);
        }
        if let Some(sid) = participant.sid.filter(|s| !s.is_empty()) {
            member = member.with_handle(sid);
        }
        members.push(member);
    }
    Ok(members)
}

/// The meaning of a text/plain 401: the auth middleware refused the token itself.
const BAD_CREDENTIALS: CodeMeaning = CodeMeaning::new(
    ErrorKind::Unauthenticated,
    "LIVEKIT_API_KEY or LIVEKIT_API_SECRET was refused (or this machine's clock is over a minute off)",
);

/// The error of a failed answer, and its Twirp code if it had one.
pub(crate) fn failure(answer: &HttpAnswer) -> (Error, Option<String>) {
    let is_json = answer
        .header("content-type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    let twirp = if is_json {
        answer.try_json::<TwirpError>()
    } else {
        None
    };
    match twirp {
        Some(twirp) => {
            let said = twirp.msg.as_deref().unwrap_or_default();
            let error = answer.failure(Some(&twirp.code), codes::lookup(&twirp.code), said);
            (error, Some(twirp.code))
        }
        // Not Twirp JSON: the status decides and the body is not quoted.
        None if answer.status() == 401 => (answer.failure(None, Some(BAD_CREDENTIALS), ""), None),
        None => (answer.status_failure(), None),
    }
}

/// A successful answer must be a JSON object (`{}` for RemoveParticipant): a 200 page from
/// something that is not LiveKit is not a removal.
pub(crate) fn expect_object(answer: &HttpAnswer) -> Result<(), Error> {
    answer.json::<serde_json::Map<String, Value>>().map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PROVIDER;

    fn json(status: u16, body: &str) -> HttpAnswer {
        HttpAnswer::new(PROVIDER, status, body.as_bytes().to_vec())
            .with_header("content-type", "application/json")
    }

    #[test]
    fn members_are_standard_identities_once_unless_asked() {
        let answer = json(
            200,
            r#"{"participants": [
                {"identity": "a", "name": "A", "sid": "PA_1", "kind": "STANDARD", "joined_at": "1"},
                {"identity": "a", "kind": 0},
                {"identity": "bot", "kind": "AGENT"},
                {"identity": "rec", "kind": 2},
                {"identity": "new", "kind": "FUTURE_KIND"},
                {"identity": "b"}
            ]}"#,
        );
        let standard = MemberKinds::Only(vec![ParticipantKind::Standard]);
        let ids = |members: Vec<Member>| -> Vec<String> {
            members
                .into_iter()
                .map(|m| m.id.as_str().to_owned())
                .collect()
        };
        let listed = members(&answer, &standard).expect("decodes");
        assert_eq!(listed[0].name.as_deref(), Some("A"));
        assert_eq!(listed[0].handle.as_deref(), Some("PA_1"));
        assert_eq!(ids(listed), ["a", "b"]);
        assert_eq!(
            ids(members(&answer, &MemberKinds::All).expect("decodes")),
            ["a", "bot", "rec", "new", "b"]
        );
        let empty = json(200, r#"{"participants": null}"#);
        assert!(members(&empty, &standard).expect("decodes").is_empty());
        assert_eq!(
            members(&json(200, "<html>"), &standard)
                .expect_err("not JSON")
                .kind(),
            ErrorKind::Protocol
        );
    }

    #[test]
    fn failures_are_classified_by_code_and_status_never_by_message() {
        let (error, code) = failure(&json(
            404,
            r#"{"code": "not_found", "msg": "twirp error unknown: participant does not exist"}"#,
        ));
        assert_eq!(
            (error.kind(), code.as_deref()),
            (ErrorKind::NotFound, Some("not_found"))
        );
        let (error, _) = failure(&json(
            404,
            r#"{"code": "not_found", "msg": "anything else"}"#,
        ));
        assert_eq!(error.kind(), ErrorKind::NotFound);
        let (error, _) = failure(&json(
            401,
            r#"{"code": "unauthenticated", "msg": "permissions denied"}"#,
        ));
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.message().contains("video.roomAdmin"), "{error}");
        let (error, _) = failure(&json(404, r#"{"code": "bad_route", "msg": "no handler"}"#));
        assert_eq!(error.kind(), ErrorKind::Config);
        let (error, _) = failure(&json(429, r#"{"code": "resource_exhausted", "msg": "x"}"#));
        assert_eq!(error.kind(), ErrorKind::Throttled);
        let (error, _) = failure(&json(503, r#"{"code": "unavailable", "msg": "x"}"#));
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        assert!(error.is_temporary());
    }

    #[test]
    fn plain_text_answers_are_classified_by_status_and_never_quoted() {
        let token_echo = "invalid token: eyJhbGciOiJIUzI1NiJ9.secret-payload.sig, error: expired";
        let answer = HttpAnswer::new(PROVIDER, 401, token_echo.as_bytes().to_vec())
            .with_header("content-type", "text/plain; charset=utf-8");
        let (error, code) = failure(&answer);
        assert_eq!((error.kind(), code), (ErrorKind::Unauthenticated, None));
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("secret-payload"), "{shown}");
        // A JSON-looking body sent as text is not trusted as Twirp either.
        let answer = HttpAnswer::new(PROVIDER, 404, br#"{"code":"not_found"}"#.to_vec())
            .with_header("content-type", "text/plain");
        assert_eq!(failure(&answer).0.kind(), ErrorKind::Config);
        let proxy = HttpAnswer::new(PROVIDER, 429, b"Too Many Requests".to_vec())
            .with_header("retry-after", "3");
        let (error, _) = failure(&proxy);
        assert_eq!(error.kind(), ErrorKind::Throttled);
        assert_eq!(error.retry_after(), Some(std::time::Duration::from_secs(3)));
    }
}
