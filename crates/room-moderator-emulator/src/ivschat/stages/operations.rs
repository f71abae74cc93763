//! The four stage operations the adapter uses, as IVS real-time answers them (restJson1, every
//! operation `POST /<Name>`, errors as `x-amzn-ErrorType` plus a body whose text is in
//! `exceptionMessage`), each admitted through its own [`Controls`](crate::Controls) (its own quota).
//!
//! Follows the service model as `docs/providers/ivs-stages.md` reports it. UNVERIFIED and chosen
//! here: a throttled call answers 429 `ThrottlingException` with `exceptionMessage` (the sibling IVS
//! model's form; IVS real-time models none); an unknown stage or session lists no participants
//! (ListParticipants declares no 404); two filters at once, a bad `nextToken`, or a broken field are
//! one `ValidationException` whose `exceptionMessage` names every broken field.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::chat_token::random_token;
use super::super::sigv4::format_iso8601;
use super::super::validation::{self, Problems, is_arn};
use super::super::wire::{self, ErrorType};
use super::state::{Disconnect, IssuedParticipantToken, Participant};
use super::{Operation, ParticipantDisconnection, StagesService};

/// An error answer with its text in `exceptionMessage`, as every IVS real-time error carries it.
pub(super) fn error(error_type: ErrorType, request_id: &str, message: &str) -> Response {
    wire::error(
        error_type,
        request_id,
        json!({ "exceptionMessage": message }),
    )
}

/// 429 over an operation's quota.
pub(super) fn throttled(request_id: &str) -> Response {
    error(
        ErrorType::Throttling,
        request_id,
        "Request was denied due to request throttling.",
    )
}

/// The field rules' answer in IVS real-time's form: one sentence in `exceptionMessage`.
fn invalid(problems: Problems) -> Result<(), Value> {
    problems.into_answer().map_err(|answer| {
        let fields: Vec<String> = answer["fieldList"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|f| {
                        format!(
                            "{}: {}",
                            f["name"].as_str().unwrap_or_default(),
                            f["message"].as_str().unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        json!({ "exceptionMessage": format!(
            "{}: {}",
            answer["message"].as_str().unwrap_or_default(),
            fields.join("; ")
        ) })
    })
}

/// A body that is not the request's JSON, in IVS real-time's form.
fn unparsable<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Value> {
    validation::parse(body).map_err(
        |answer| json!({ "exceptionMessage": answer["message"].as_str().unwrap_or_default() }),
    )
}

/// A stage ARN member: required, 1..128, the model's pattern.
fn stage_arn(problems: &mut Problems, name: &str, value: Option<&str>) {
    problems.length(name, value, 128, true);
    if let Some(arn) = value
        && !arn.is_empty()
        && !is_arn(arn, "ivs", "stage")
    {
        problems.push(
            name,
            "Member must satisfy regular expression pattern: arn:aws:ivs:[a-z0-9-]+:[0-9]+:stage/[a-zA-Z0-9-]+",
        );
    }
}

fn stage_not_found(request_id: &str, stage: &str) -> Response {
    error(
        ErrorType::ResourceNotFound,
        request_id,
        &format!("Stage {stage} not found"),
    )
}

#[derive(Deserialize)]
struct GetStageRequest {
    arn: Option<String>,
}

pub(super) async fn get_stage(
    State(service): State<StagesService>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (request_id, stage) = service
        .accept(Operation::GetStage, &uri, &headers, &body, |body| {
            let request: GetStageRequest = unparsable(body)?;
            let mut problems = Problems::default();
            stage_arn(&mut problems, "arn", request.arn.as_deref());
            invalid(problems)?;
            Ok(request.arn.unwrap_or_default())
        })
        .await?;
    let Some(active) = service.stages().active_session(&stage) else {
        return Err(stage_not_found(&request_id, &stage));
    };
    let name = stage.rsplit('/').next().unwrap_or_default();
    let mut answer = json!({
        "arn": stage,
        "name": name,
        "tags": {},
        "endpoints": {
            "events": "wss://global.events.live-video.net",
            "whip": "https://global.whip.live-video.net",
        },
    });
    if let Some(session) = active {
        answer["activeSessionId"] = json!(session);
    }
    Ok(wire::success_json(&request_id, &json!({ "stage": answer })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListParticipantsRequest {
    stage_arn: Option<String>,
    session_id: Option<String>,
    filter_by_user_id: Option<String>,
    filter_by_published: Option<bool>,
    filter_by_state: Option<String>,
    filter_by_recording_state: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// What a ListParticipants request asks for, checked.
#[derive(Debug)]
struct ListQuery {
    stage: String,
    session: String,
    filter: Option<Filter>,
    max: usize,
    offset: usize,
}

#[derive(Debug)]
enum Filter {
    User(String),
    Published(bool),
    State(bool),
    Recording(String),
}

/// Page tokens: `<session>-<offset>`, within the model's `[a-zA-Z0-9+/=_-]*`.
fn page_token(session: &str, offset: usize) -> String {
    format!("{session}-{offset}")
}

fn validate_list(body: &[u8]) -> Result<ListQuery, Value> {
    let request: ListParticipantsRequest = unparsable(body)?;
    let mut problems = Problems::default();
    stage_arn(&mut problems, "stageArn", request.stage_arn.as_deref());
    let session = request.session_id.clone().unwrap_or_default();
    match request.session_id.as_deref() {
        None => problems.push("sessionId", "Member must not be null"),
        Some(id) if id.chars().count() != 16 || !id.starts_with("st-") => problems.push(
            "sessionId",
            "Member must satisfy regular expression pattern: st-[a-zA-Z0-9]+ and have length 16",
        ),
        Some(_) => {}
    }
    problems.at_most("filterByUserId", request.filter_by_user_id.as_deref(), 128);
    problems.range("maxResults", request.max_results, 1, 100);
    problems.at_most("nextToken", request.next_token.as_deref(), 1024);
    let state = match request.filter_by_state.as_deref() {
        None => None,
        Some("CONNECTED") => Some(true),
        Some("DISCONNECTED") => Some(false),
        Some(_) => {
            problems.push(
                "filterByState",
                "Member must satisfy enum value set: [CONNECTED, DISCONNECTED]",
            );
            None
        }
    };
    let filters = [
        request.filter_by_user_id.is_some(),
        request.filter_by_published.is_some(),
        request.filter_by_state.is_some(),
        request.filter_by_recording_state.is_some(),
    ];
    if filters.iter().filter(|given| **given).count() > 1 {
        problems.push(
            "filterByUserId",
            "Only one of filterByUserId, filterByPublished, filterByState, or filterByRecordingState can be provided per request",
        );
    }
    let offset = match request.next_token.as_deref().filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => match token
            .rsplit_once('-')
            .filter(|(of, _)| *of == session)
            .and_then(|(_, offset)| offset.parse().ok())
        {
            Some(offset) => offset,
            None => {
                problems.push("nextToken", "The nextToken is not valid for this request");
                0
            }
        },
    };
    invalid(problems)?;
    let filter = if let Some(user) = request.filter_by_user_id {
        Some(Filter::User(user))
    } else if let Some(published) = request.filter_by_published {
        Some(Filter::Published(published))
    } else if let Some(connected) = state {
        Some(Filter::State(connected))
    } else {
        request.filter_by_recording_state.map(Filter::Recording)
    };
    Ok(ListQuery {
        stage: request.stage_arn.unwrap_or_default(),
        session,
        filter,
        max: request
            .max_results
            .and_then(|m| usize::try_from(m).ok())
            .unwrap_or(50),
        offset,
    })
}

fn summary(participant: &Participant) -> Value {
    json!({
        "participantId": participant.participant_id,
        "userId": participant.user_id,
        "state": if participant.connected { "CONNECTED" } else { "DISCONNECTED" },
        "firstJoinTime": format_iso8601(participant.first_join),
        "published": false,
        "recordingState": "STOPPED",
    })
}

pub(super) async fn list_participants(
    State(service): State<StagesService>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (request_id, query) = service
        .accept(
            Operation::ListParticipants,
            &uri,
            &headers,
            &body,
            validate_list,
        )
        .await?;
    let matching: Vec<Participant> = service
        .stages()
        .participants(&query.stage, &query.session)
        .into_iter()
        .filter(|p| match &query.filter {
            None => true,
            Some(Filter::User(user)) => &p.user_id == user,
            Some(Filter::Published(published)) => !published,
            Some(Filter::State(connected)) => p.connected == *connected,
            Some(Filter::Recording(state)) => state == "STOPPED",
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(query.offset)
        .take(query.max)
        .map(summary)
        .collect();
    let end = query.offset.saturating_add(query.max);
    let mut answer = json!({ "participants": page });
    if end < matching.len() {
        answer["nextToken"] = json!(page_token(&query.session, end));
    }
    Ok(wire::success_json(&request_id, &answer))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DisconnectParticipantRequest {
    stage_arn: Option<String>,
    participant_id: Option<String>,
    reason: Option<String>,
}

fn validate_disconnect(body: &[u8]) -> Result<ParticipantDisconnection, Value> {
    let request: DisconnectParticipantRequest = unparsable(body)?;
    let mut problems = Problems::default();
    stage_arn(&mut problems, "stageArn", request.stage_arn.as_deref());
    match request.participant_id.as_deref() {
        None => problems.push("participantId", "Member must not be null"),
        Some(id)
            if id.chars().count() > 64
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            problems.push(
                "participantId",
                "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]* and have length less than or equal to 64",
            );
        }
        Some(_) => {}
    }
    problems.at_most("reason", request.reason.as_deref(), 128);
    invalid(problems)?;
    Ok(ParticipantDisconnection {
        stage: request.stage_arn.unwrap_or_default(),
        participant_id: request.participant_id.unwrap_or_default(),
        user_id: String::new(),
        reason: request.reason,
        was_connected: false,
    })
}

pub(super) async fn disconnect_participant(
    State(service): State<StagesService>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (request_id, mut disconnection) = service
        .accept(
            Operation::DisconnectParticipant,
            &uri,
            &headers,
            &body,
            validate_disconnect,
        )
        .await?;
    let mut stages = service.stages();
    let user = stages
        .current(&disconnection.stage)
        .into_iter()
        .flatten()
        .find(|p| p.participant_id == disconnection.participant_id)
        .map(|p| p.user_id);
    let found = stages.disconnect(&disconnection.stage, &disconnection.participant_id);
    drop(stages);
    match found {
        Disconnect::NoStage => Err(stage_not_found(&request_id, &disconnection.stage)),
        Disconnect::UnknownParticipant => Err(error(
            ErrorType::ResourceNotFound,
            &request_id,
            &format!(
                "Participant {} not found on stage {}",
                disconnection.participant_id, disconnection.stage
            ),
        )),
        found => {
            disconnection.was_connected = found == Disconnect::Disconnected;
            disconnection.user_id = user.unwrap_or_default();
            service.record(disconnection);
            Ok(wire::success(&request_id))
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateParticipantTokenRequest {
    stage_arn: Option<String>,
    duration: Option<i64>,
    user_id: Option<String>,
    attributes: Option<BTreeMap<String, String>>,
    capabilities: Option<Vec<String>>,
}

/// The token lifetime when the request names none, in minutes.
const DEFAULT_DURATION_MINUTES: i64 = 720;

fn validate_token(body: &[u8]) -> Result<IssuedParticipantToken, Value> {
    let request: CreateParticipantTokenRequest = unparsable(body)?;
    let mut problems = Problems::default();
    stage_arn(&mut problems, "stageArn", request.stage_arn.as_deref());
    problems.range("duration", request.duration, 1, 20_160);
    problems.at_most("userId", request.user_id.as_deref(), 128);
    let capabilities = request.capabilities.unwrap_or_default();
    if capabilities.len() > 2 {
        problems.push(
            "capabilities",
            "Member must have length less than or equal to 2",
        );
    }
    for (at, capability) in capabilities.iter().enumerate() {
        if !["PUBLISH", "SUBSCRIBE"].contains(&capability.as_str()) {
            problems.push(
                &format!("capabilities.{at}.member"),
                "Member must satisfy enum value set: [PUBLISH, SUBSCRIBE]",
            );
        }
    }
    let attributes = request.attributes.unwrap_or_default();
    let size = serde_json::to_vec(&attributes).map_or(usize::MAX, |json| json.len());
    if !attributes.is_empty() && size > 1024 {
        problems.push(
            "attributes",
            "Member must have a total size of at most 1 KB",
        );
    }
    invalid(problems)?;
    Ok(IssuedParticipantToken {
        stage: request.stage_arn.unwrap_or_default(),
        participant_id: String::new(),
        user_id: request.user_id.unwrap_or_default(),
        capabilities,
        duration: request.duration,
        attributes,
    })
}

pub(super) async fn create_participant_token(
    State(service): State<StagesService>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (request_id, grant) = service
        .accept(
            Operation::CreateParticipantToken,
            &uri,
            &headers,
            &body,
            validate_token,
        )
        .await?;
    let minutes = grant
        .duration
        .unwrap_or(DEFAULT_DURATION_MINUTES)
        .unsigned_abs();
    let expires = SystemTime::now() + Duration::from_secs(minutes * 60);
    let token = random_token(&request_id);
    let stage = grant.stage.clone();
    let Some(issued) = service.stages().issue(grant, token.clone(), expires) else {
        return Err(stage_not_found(&request_id, &stage));
    };
    let capabilities = if issued.capabilities.is_empty() {
        vec!["PUBLISH".to_owned(), "SUBSCRIBE".to_owned()]
    } else {
        issued.capabilities.clone()
    };
    let answer = json!({ "participantToken": {
        "participantId": issued.participant_id,
        "token": token,
        "userId": issued.user_id,
        "attributes": issued.attributes,
        "duration": minutes,
        "capabilities": capabilities,
        "expirationTime": format_iso8601(expires),
    }});
    Ok(wire::success_json(&request_id, &answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAGE: &str = "arn:aws:ivs:us-east-1:123456789012:stage/abcDEF123";

    fn says(answer: &Value, what: &str) -> bool {
        answer["exceptionMessage"]
            .as_str()
            .is_some_and(|m| m.contains(what))
    }

    #[test]
    fn list_requests_follow_the_model() {
        let ok = json!({"stageArn": STAGE, "sessionId": "st-0123456789abc", "filterByState": "CONNECTED", "maxResults": 100, "nextToken": "st-0123456789abc-200"});
        let query = validate_list(ok.to_string().as_bytes()).expect("valid");
        assert_eq!((query.max, query.offset), (100, 200));
        for (body, what) in [
            (
                json!({"stageArn": STAGE, "sessionId": "st-0123456789abc", "filterByState": "CONNECTED", "filterByUserId": "u"}),
                "Only one of",
            ),
            (
                json!({"stageArn": STAGE, "sessionId": "st-0123456789abc", "maxResults": 101}),
                "maxResults",
            ),
            (json!({"stageArn": STAGE, "sessionId": "st-1"}), "sessionId"),
            (
                json!({"stageArn": "arn:aws:ivschat:us-east-1:1:room/a", "sessionId": "st-0123456789abc"}),
                "stageArn",
            ),
            (
                json!({"stageArn": STAGE, "sessionId": "st-0123456789abc", "nextToken": "st-other0000000-5"}),
                "nextToken",
            ),
        ] {
            let answer = validate_list(body.to_string().as_bytes()).expect_err("invalid");
            assert!(says(&answer, what), "{what}: {answer}");
        }
    }

    #[test]
    fn disconnect_and_token_requests_follow_the_model() {
        let ok =
            json!({"stageArn": STAGE, "participantId": "jFpWmveENolS", "reason": "r".repeat(128)});
        assert!(validate_disconnect(ok.to_string().as_bytes()).is_ok());
        for (body, what) in [
            (
                json!({"stageArn": STAGE, "participantId": "a b"}),
                "participantId",
            ),
            (
                json!({"stageArn": STAGE, "participantId": "p", "reason": "r".repeat(129)}),
                "reason",
            ),
            (json!({"participantId": "p"}), "stageArn"),
        ] {
            let answer = validate_disconnect(body.to_string().as_bytes()).expect_err("invalid");
            assert!(says(&answer, what), "{what}: {answer}");
        }
        let grant = json!({"stageArn": STAGE, "userId": "u", "duration": 20160, "capabilities": ["SUBSCRIBE"]});
        assert!(validate_token(grant.to_string().as_bytes()).is_ok());
        let bad = json!({"stageArn": STAGE, "duration": 0, "capabilities": ["SEND_MESSAGE"]});
        let answer = validate_token(bad.to_string().as_bytes()).expect_err("invalid");
        assert!(
            says(&answer, "duration") && says(&answer, "capabilities.0.member"),
            "{answer}"
        );
        assert!(says(
            &unparsable::<GetStageRequest>(b"<xml/>")
                .err()
                .expect("invalid"),
            "parse"
        ));
    }
}
