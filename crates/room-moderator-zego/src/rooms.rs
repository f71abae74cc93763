//! Who is in a room, decoded (docs/providers/presence.md): ZIM `QueryRoomUserList` and Express RTC
//! `DescribeUserList` pages, and ZIM `QueryRoomMembers` presence answers.

use std::collections::HashSet;

use room_moderator_core::{Error, ErrorKind, Member, MemberPage, Presence, UserId};
use serde_json::{Map, Value};

use crate::Service;
use crate::codes;
use crate::response::{Answer, Decoded, integer};

/// ZIM: the room user list is empty because the room is being destroyed.
const ROOM_USER_LIST_EMPTY: i64 = 660300008;
/// ZIM SubCodes (and codes) that mean "not in the room": not in the specified room; not registered
/// or logged out.
const ABSENT_CODES: [i64; 2] = [660300012, 660200001];
/// ZIM codes that, answering a one-user `QueryRoomMembers` without a list, say that user is absent.
const ABSENT_CALL_CODES: [i64; 3] = [660300012, 660200001, 660300002];

/// A protocol error of `service`, carrying the request id when the answer had one.
fn protocol(service: Service, object: &Map<String, Value>, message: String) -> Error {
    let error = Error::protocol(message).with_provider(service.provider());
    match object.get("RequestId") {
        Some(Value::String(id)) if !id.is_empty() => error.with_request_id(id.clone()),
        Some(Value::Number(id)) => error.with_request_id(id.to_string()),
        _ => error,
    }
}

/// A string field, `None` when absent, null or empty.
fn text<'a>(entry: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|key| entry.get(*key).and_then(Value::as_str))
        .filter(|value| !value.is_empty())
}

/// The members of a `UserList`: objects whose id is under one of `id_keys` (a bare string is taken
/// as an id). Absent or null is an empty list.
fn members(
    service: Service,
    object: &Map<String, Value>,
    list: Option<&Value>,
    id_keys: &[&str],
    name_keys: &[&str],
) -> Result<Vec<Member>, Error> {
    let entries = match list {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            return Err(protocol(
                service,
                object,
                "UserList is not a list".to_owned(),
            ));
        }
    };
    entries
        .iter()
        .map(|entry| match entry {
            Value::String(id) if !id.is_empty() => Ok(Member::new(id.as_str())),
            Value::Object(fields) => match text(fields, id_keys) {
                Some(id) => {
                    let member = Member::new(id);
                    Ok(match text(fields, name_keys) {
                        Some(name) => member.with_name(name),
                        None => member,
                    })
                }
                None => Err(protocol(
                    service,
                    object,
                    format!("a UserList entry has no {}", id_keys.join(" or ")),
                )),
            },
            _ => Err(protocol(
                service,
                object,
                "a UserList entry is not an object".to_owned(),
            )),
        })
        .collect()
}

/// A page cursor: a string, or a number written as one; `None` at the end (absent, null, or one of
/// `ends`).
fn cursor(
    service: Service,
    object: &Map<String, Value>,
    key: &str,
    ends: &[&str],
) -> Result<Option<String>, Error> {
    let raw = match object.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(protocol(service, object, format!("{key} is not a string"))),
    };
    Ok((!ends.contains(&raw.as_str())).then_some(raw))
}

/// ZIM `QueryRoomUserList`: `{Count, NextFlag, UserList: [{UserId, UserName}]}`. The docs give both
/// `""` and `"0"` as the end of the list (docs/providers/presence.md): both end it. 660300008 (the room is being
/// destroyed and its user list is empty) is an empty last page, not an error.
pub(crate) fn zim_user_list(decoded: Decoded) -> Result<MemberPage, Error> {
    let service = Service::Zim;
    if decoded.success_status && decoded.code == Some(ROOM_USER_LIST_EMPTY) {
        return Ok(MemberPage::new(Vec::new(), None).with_total(Some(0)));
    }
    let object = decoded.into_success()?;
    let members = members(
        service,
        &object,
        object.get("UserList"),
        &["UserId", "user_id"],
        &["UserName", "user_name"],
    )?;
    let next = cursor(service, &object, "NextFlag", &["", "0"])?;
    let total = match integer(&object, "Count") {
        Ok(count) => count
            .map(usize::try_from)
            .transpose()
            .map_err(|_| protocol(service, &object, "Count is negative".to_owned()))?,
        Err(why) => return Err(protocol(service, &object, why)),
    };
    Ok(MemberPage::new(members, next).with_total(total))
}

/// Express RTC `DescribeUserList`: `{Data: {Marker, UserList: [{UserId, UserName, UserRole}]}}`;
/// an empty `Marker` ends the list (a room that does not exist lists nobody).
pub(crate) fn rtc_user_list(decoded: Decoded) -> Result<MemberPage, Error> {
    let service = Service::Rtc;
    let object = decoded.into_success()?;
    let data = match object.get("Data") {
        None | Some(Value::Null) => return Ok(MemberPage::new(Vec::new(), None)),
        Some(Value::Object(data)) => data,
        Some(_) => {
            return Err(protocol(
                service,
                &object,
                "Data is not an object".to_owned(),
            ));
        }
    };
    let members = members(
        service,
        &object,
        data.get("UserList"),
        &["UserId"],
        &["UserName"],
    )?;
    let next = cursor(service, data, "Marker", &[""])?;
    Ok(MemberPage::new(members, next))
}

/// The users an answer lists under the first of `keys` present, with each entry's `SubCode` (0 if
/// none); `None` when no key is present.
type Listed = Option<Vec<(String, i64)>>;

fn listed(object: &Map<String, Value>, keys: &[&str], id_keys: &[&str]) -> Result<Listed, String> {
    let Some((key, list)) = keys
        .iter()
        .find_map(|key| object.get(*key).map(|list| (*key, list)))
    else {
        return Ok(None);
    };
    let entries = match list {
        Value::Null => return Ok(Some(Vec::new())),
        Value::Array(entries) => entries,
        _ => return Err(format!("{key} is not a list")),
    };
    entries
        .iter()
        .map(|entry| match entry {
            Value::String(id) => Ok((id.clone(), 0)),
            Value::Object(fields) => {
                let id = text(fields, id_keys)
                    .ok_or_else(|| format!("a {key} entry has no {}", id_keys.join(" or ")))?;
                let sub = integer(fields, "SubCode")?.unwrap_or(0);
                Ok((id.to_owned(), sub))
            }
            _ => Err(format!("a {key} entry is not an object")),
        })
        .collect::<Result<Vec<_>, String>>()
        .map(Some)
}

/// ZIM `QueryRoomMembers`, one answer per queried user in order (docs/providers/presence.md).
///
/// - `UserList` holds the users in the room, as `{user_id, ...}` (docs since 2025) or `{UserId,
///   ...}` (older docs); `ErrorList` (or the older `ErrorUser`) the others as `{UserId, SubCode}`,
///   SubCode 660300012 (not in the room) or 660200001 (not registered, logged out): both absent.
/// - `Code` != 0 with a non-empty list of absent users means nobody queried is in the room: every
///   user not in `UserList` is absent, not an error. A one-user query failing with a "not in the
///   room" code and no list means that user is absent.
/// - A user in neither list, in an answer that has the lists: counted present. The docs promise
///   every queried user is in one list, so this should not happen; if it does, "present" only
///   costs the kick that follows (ZIM then fails it with 660300002 and the engine's split pins the
///   user), while "absent" would report someone still in the room as gone.
/// - Incoherent answers are protocol errors: a `Code` 0 answer with neither list, or a user listed
///   both present and absent. A SubCode meaning something else fails the call with that code.
pub(crate) fn zim_presence(users: &[UserId], decoded: Decoded) -> Result<Vec<Presence>, Error> {
    let service = Service::Zim;
    let failure = match decoded.answer {
        Answer::Success => None,
        // A failed HTTP status, or a body that is not the envelope: nothing else to read.
        Answer::Failure { error, .. } if !decoded.success_status || decoded.code.is_none() => {
            return Err(error);
        }
        Answer::Failure { error, .. } => Some(error),
    };
    let object = decoded.object;
    let read = listed(&object, &["UserList"], &["user_id", "UserId"]).and_then(|present| {
        listed(&object, &["ErrorList", "ErrorUser"], &["UserId", "user_id"])
            .map(|absent| (present, absent))
    });
    let (present, absent) = match read {
        Ok(lists) => lists,
        Err(why) => return Err(failure.unwrap_or_else(|| protocol(service, &object, why))),
    };
    if let Some((user, sub)) = absent
        .iter()
        .flatten()
        .find(|(_, sub)| !ABSENT_CODES.contains(sub))
    {
        // Something other than absence about one user: the call cannot answer for everyone.
        if let Some(error) = failure {
            return Err(error);
        }
        let (kind, meaning) = codes::lookup(service, *sub)
            .map_or((ErrorKind::Protocol, "unknown SubCode"), |row| {
                (row.kind, row.meaning)
            });
        return Err(Error::new(
            kind,
            format!("QueryRoomMembers could not answer for {user:?}: {meaning}"),
        )
        .with_provider(service.provider())
        .with_code(sub.to_string()));
    }
    let present: HashSet<&str> = present
        .iter()
        .flatten()
        .map(|(id, _)| id.as_str())
        .collect();
    let absent_ids: HashSet<&str> = absent.iter().flatten().map(|(id, _)| id.as_str()).collect();
    if let Some(both) = present.intersection(&absent_ids).next() {
        return Err(protocol(
            service,
            &object,
            format!("QueryRoomMembers lists {both:?} both in and not in the room"),
        ));
    }
    if let Some(error) = failure {
        let nobody_there = !absent_ids.is_empty();
        let one_absent = users.len() == 1
            && absent_ids.is_empty()
            && present.is_empty()
            && decoded
                .code
                .is_some_and(|code| ABSENT_CALL_CODES.contains(&code));
        if !(nobody_there || one_absent) {
            return Err(error);
        }
        return Ok(users
            .iter()
            .map(|user| {
                if present.contains(user.as_str()) {
                    Presence::Present
                } else {
                    Presence::Absent
                }
            })
            .collect());
    }
    if absent.is_none() && !object.contains_key("UserList") {
        return Err(protocol(
            service,
            &object,
            "QueryRoomMembers answered success with neither UserList nor ErrorList".to_owned(),
        ));
    }
    Ok(users
        .iter()
        .map(|user| {
            if absent_ids.contains(user.as_str()) {
                Presence::Absent
            } else {
                Presence::Present
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use room_moderator_core::ErrorKind;

    use super::*;
    use crate::api::Api;
    use crate::response::decode_api;

    fn zim(api: Api, body: &str) -> Decoded {
        decode_api(api, 200, None, body.as_bytes())
    }

    fn ids(page: &MemberPage) -> Vec<&str> {
        page.members.iter().map(|m| m.id.as_str()).collect()
    }

    fn users(ids: &[&str]) -> Vec<UserId> {
        ids.iter().map(|id| UserId::new(*id)).collect()
    }

    #[test]
    fn zim_pages_end_on_empty_or_zero_and_keep_the_total() {
        let body = r#"{"Code":0,"Count":3,"NextFlag":"abc","UserList":[{"UserId":"a","UserName":"A"},{"UserId":"b"}]}"#;
        let page = zim_user_list(zim(Api::QueryRoomUserList, body)).unwrap();
        assert_eq!(ids(&page), ["a", "b"]);
        assert_eq!(page.members[0].name.as_deref(), Some("A"));
        assert_eq!(page.next.as_deref(), Some("abc"));
        assert_eq!(page.total, Some(3));
        for end in [r#""""#, r#""0""#, "0", "null"] {
            let body = format!(
                r#"{{"Code":0,"Count":"3","NextFlag":{end},"UserList":[{{"UserId":"c"}}]}}"#
            );
            let page = zim_user_list(zim(Api::QueryRoomUserList, &body)).unwrap();
            assert_eq!(page.next, None, "{end}");
            assert_eq!(page.total, Some(3));
        }
        let page = zim_user_list(zim(Api::QueryRoomUserList, r#"{"Code":0}"#)).unwrap();
        assert_eq!((page.members.len(), page.next, page.total), (0, None, None));
    }

    #[test]
    fn zim_list_codes() {
        let page = zim_user_list(zim(Api::QueryRoomUserList, r#"{"Code":660300008}"#)).unwrap();
        assert_eq!(
            (page.members.len(), page.next, page.total),
            (0, None, Some(0))
        );
        for (code, kind) in [
            (660300001, ErrorKind::NotFound),
            (660300006, ErrorKind::Throttled),
            (660300007, ErrorKind::Unavailable),
            (660000002, ErrorKind::InvalidInput),
        ] {
            let body = format!(r#"{{"Code":{code},"Message":"m"}}"#);
            let error = zim_user_list(zim(Api::QueryRoomUserList, &body)).unwrap_err();
            assert_eq!(error.kind(), kind, "{code}");
        }
        assert!(
            zim(Api::QueryRoomUserList, r#"{"Code":660300007}"#)
                .into_success()
                .unwrap_err()
                .is_temporary()
        );
        for bad in [
            r#"{"Code":0,"UserList":{}}"#,
            r#"{"Code":0,"UserList":[{"UserName":"x"}]}"#,
            r#"{"Code":0,"UserList":[7]}"#,
            r#"{"Code":0,"Count":-1}"#,
            r#"{"Code":0,"NextFlag":[]}"#,
        ] {
            let error = zim_user_list(zim(Api::QueryRoomUserList, bad)).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Protocol, "{bad}");
        }
    }

    #[test]
    fn rtc_pages_end_on_an_empty_marker() {
        let body = r#"{"Code":0,"Data":{"Marker":"m1","UserList":[{"UserId":"a","UserName":"A","UserRole":0}]}}"#;
        let page = rtc_user_list(decode_api(
            Api::DescribeUserList,
            200,
            None,
            body.as_bytes(),
        ))
        .unwrap();
        assert_eq!((ids(&page), page.next.as_deref()), (vec!["a"], Some("m1")));
        let body = r#"{"Code":0,"Data":{"Marker":"","UserList":[]}}"#;
        let page = rtc_user_list(decode_api(
            Api::DescribeUserList,
            200,
            None,
            body.as_bytes(),
        ))
        .unwrap();
        assert_eq!(page.next, None);
        for (code, kind) in [(206, ErrorKind::Throttled), (207, ErrorKind::Throttled)] {
            let body = format!(r#"{{"Code":{code}}}"#);
            let error = rtc_user_list(decode_api(
                Api::DescribeUserList,
                200,
                None,
                body.as_bytes(),
            ))
            .unwrap_err();
            assert_eq!(error.kind(), kind);
        }
    }

    #[test]
    fn presence_reads_both_spellings_with_code_zero() {
        let queried = users(&["a", "b", "c"]);
        for body in [
            r#"{"Code":0,"UserList":[{"user_id":"a","user_name":"","avatar":"","extra":""}],"ErrorList":[{"UserId":"b","SubCode":660300012},{"UserId":"c","SubCode":660200001}]}"#,
            r#"{"Code":0,"UserList":[{"UserId":"a","UserName":"A"}],"ErrorUser":[{"UserId":"b","SubCode":660300012},{"UserId":"c","SubCode":"660200001"}]}"#,
        ] {
            let answer = zim_presence(&queried, zim(Api::QueryRoomMembers, body)).unwrap();
            assert_eq!(
                answer,
                [Presence::Present, Presence::Absent, Presence::Absent],
                "{body}"
            );
        }
    }

    #[test]
    fn presence_reads_the_error_list_of_a_failed_call() {
        let queried = users(&["a", "b"]);
        for body in [
            r#"{"Code":660300012,"Message":"x","UserList":[],"ErrorList":[{"UserId":"a","SubCode":660300012},{"UserId":"b","SubCode":660300012}]}"#,
            r#"{"Code":660000001,"ErrorUser":[{"UserId":"a","SubCode":660200001}]}"#,
        ] {
            let answer = zim_presence(&queried, zim(Api::QueryRoomMembers, body)).unwrap();
            assert_eq!(answer, [Presence::Absent, Presence::Absent], "{body}");
        }
        let one = users(&["a"]);
        let answer =
            zim_presence(&one, zim(Api::QueryRoomMembers, r#"{"Code":660300012}"#)).unwrap();
        assert_eq!(answer, [Presence::Absent]);
        let error = zim_presence(
            &queried,
            zim(Api::QueryRoomMembers, r#"{"Code":660300012}"#),
        )
        .unwrap_err();
        assert_eq!(
            error.kind(),
            ErrorKind::NotInRoom,
            "two users, no list: cannot say who"
        );
        for (code, kind) in [
            (660300006, ErrorKind::Throttled),
            (660000011, ErrorKind::InvalidInput),
            (660300001, ErrorKind::NotFound),
        ] {
            let body = format!(r#"{{"Code":{code},"ErrorList":[]}}"#);
            let error = zim_presence(&queried, zim(Api::QueryRoomMembers, &body)).unwrap_err();
            assert_eq!(error.kind(), kind, "{code}");
        }
        let error = zim_presence(
            &queried,
            decode_api(Api::QueryRoomMembers, 503, None, b"<html>"),
        )
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unavailable);
    }

    #[test]
    fn presence_unlisted_users_are_present_and_incoherent_answers_are_errors() {
        let queried = users(&["a", "b"]);
        let body = r#"{"Code":0,"UserList":[],"ErrorList":[{"UserId":"b","SubCode":660300012}]}"#;
        let answer = zim_presence(&queried, zim(Api::QueryRoomMembers, body)).unwrap();
        assert_eq!(
            answer,
            [Presence::Present, Presence::Absent],
            "a is in neither list"
        );
        for bad in [
            r#"{"Code":0}"#,
            r#"{"Code":0,"UserList":[{"user_id":"a"}],"ErrorList":[{"UserId":"a","SubCode":660300012}]}"#,
            r#"{"Code":0,"UserList":"a"}"#,
            r#"{"Code":0,"ErrorList":[{"SubCode":660300012}]}"#,
        ] {
            let error = zim_presence(&queried, zim(Api::QueryRoomMembers, bad)).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Protocol, "{bad}");
        }
        let body = r#"{"Code":0,"UserList":[],"ErrorList":[{"UserId":"b","SubCode":660000012}]}"#;
        let error = zim_presence(&queried, zim(Api::QueryRoomMembers, body)).unwrap_err();
        assert_eq!(
            (error.kind(), error.code()),
            (ErrorKind::InvalidInput, Some("660000012"))
        );
    }
}
