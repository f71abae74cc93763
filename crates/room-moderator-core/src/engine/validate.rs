//! Checking a request against the provider's rules before anything is sent.

use std::collections::HashSet;

use crate::{
    Adapter, Capabilities, DisconnectRequest, Error, Reason, ReasonSupport, RoomId, UserId,
};

/// A request that passed validation: distinct users in input order, and the reason to send.
pub(crate) struct Validated<'a> {
    pub users: Vec<UserId>,
    pub reason: Option<&'a Reason>,
}

pub(crate) fn validate<'a, A: Adapter>(
    adapter: &A,
    caps: &Capabilities,
    request: &'a DisconnectRequest,
) -> Result<Validated<'a>, Error> {
    if request.users().is_empty() {
        return Err(Error::invalid_input(
            "the user list is empty; an empty list never means everyone (use disconnect_all for that)",
        ));
    }
    check_room(caps, request.room())?;
    for (index, user) in request.users().iter().enumerate() {
        check_user(caps, user, &format!("user id #{}", index + 1))?;
    }
    let reason = reason_to_send(caps, request.reason())?;
    adapter.check(request)?;

    let mut seen = HashSet::with_capacity(request.users().len());
    let users = request
        .users()
        .iter()
        .filter(|user| seen.insert(*user))
        .cloned()
        .collect();
    Ok(Validated { users, reason })
}

pub(crate) fn check_room(caps: &Capabilities, room: &RoomId) -> Result<(), Error> {
    caps.room_id
        .check(room.as_str())
        .map_err(|problem| Error::invalid_input(format!("room id {:?} {problem}", room.as_str())))
}

/// Checks one user id against the provider's rule; `label` names it in the error ("user id #3").
pub(crate) fn check_user(caps: &Capabilities, user: &UserId, label: &str) -> Result<(), Error> {
    caps.user_id
        .check(user.as_str())
        .map_err(|problem| Error::invalid_input(format!("{label} {:?} {problem}", user.as_str())))
}

/// The reason to put on the wire: `None` when absent or when the provider has nowhere to carry it.
pub(crate) fn reason_to_send<'a>(
    caps: &Capabilities,
    reason: Option<&'a Reason>,
) -> Result<Option<&'a Reason>, Error> {
    let Some(reason) = reason else {
        return Ok(None);
    };
    if reason.as_str().is_empty() {
        return Err(Error::invalid_input(
            "the reason is empty; leave it out instead",
        ));
    }
    match caps.reason {
        ReasonSupport::NotCarried => Ok(None),
        ReasonSupport::Limited { max_len, unit } => {
            let len = unit.measure(reason.as_str());
            if len > max_len {
                Err(Error::invalid_input(format!(
                    "the reason is {len} {} long; this provider accepts at most {max_len}",
                    unit.name()
                )))
            } else {
                Ok(Some(reason))
            }
        }
    }
}
