//! `disconnect`: who is removed, who is reported absent, one outcome per user, the reason, batches,
//! and what is refused before anything is sent.

use room_moderator::{
    AbsentUsers, Capabilities, DisconnectRequest, ErrorKind, Moderator, ReasonSupport, Report,
    RoomId,
};

use crate::fixture::Fixture;
use crate::{Behavior, Checked, all_are, always, behavior, ensure, labels, one_outcome_each};

pub fn behaviors() -> Vec<Behavior> {
    vec![
        behavior!(present_users_are_disconnected, always),
        behavior!(absent_user_is_not_in_room, tells_absence),
        behavior!(absent_users_are_never_failed, always, live),
        behavior!(duplicates_get_one_outcome_each, always),
        behavior!(reason_is_delivered_where_carried, always),
        behavior!(more_users_than_one_call_are_split, always),
        behavior!(
            invalid_user_id_is_refused_before_sending,
            has_id_rules,
            live
        ),
        behavior!(empty_list_is_refused_before_sending, always, live),
        behavior!(unknown_room_removes_nobody, always),
    ]
}

/// Whether the capabilities say the engine learns who is absent before kicking: a presence query,
/// or a kick that fails whole for an absent user (so the engine checks first). Providers whose kick
/// answers per user (LiveKit, EnableX, Agora Chat) tell too, but their capabilities do not say so:
/// `absent_users_are_never_failed` covers them.
fn tells_absence(caps: &Capabilities) -> Result<(), &'static str> {
    if caps.presence.is_some() || caps.absent_users == AbsentUsers::FailTheCall {
        Ok(())
    } else {
        Err("no presence check declared (an absent user's kick may answer success)")
    }
}

fn has_id_rules(caps: &Capabilities) -> Result<(), &'static str> {
    if caps.user_id.max_len.is_some() || caps.user_id.charset.is_some() {
        Ok(())
    } else {
        Err("no user id rules documented, so any id is sent")
    }
}

/// Kicks `users` from `room` (with `reason`, if any) with the trial's moderator; `Err` if the request
/// was refused or the report breaks `one_outcome_each`.
pub async fn kick(
    fixture: &Fixture,
    room: &RoomId,
    users: &[String],
    reason: Option<&str>,
) -> Result<Report, String> {
    kick_with(&*fixture.moderator().await?, room, users, reason).await
}

/// [`kick`] with a given moderator.
pub async fn kick_with(
    moderator: &dyn Moderator,
    room: &RoomId,
    users: &[String],
    reason: Option<&str>,
) -> Result<Report, String> {
    let mut request = DisconnectRequest::new(room.clone(), users.iter().map(String::as_str));
    if let Some(reason) = reason {
        request = request.with_reason(reason);
    }
    let report = moderator
        .disconnect(&request)
        .await
        .map_err(|error| format!("refused: {error}"))?;
    one_outcome_each(&report, users)?;
    Ok(report)
}

async fn present_users_are_disconnected(f: &Fixture) -> Checked {
    let (room, users) = f.seeded("present", 3)?;
    let report = kick(f, &room, &users, None).await?;
    all_are(&report, "disconnected")?;
    let left = f.present(&room)?;
    ensure!(left.is_empty(), "still in the room: {left:?}");
    Ok(())
}

async fn absent_user_is_not_in_room(f: &Fixture) -> Checked {
    let (room, _) = f.seeded("absent", 1)?;
    let absent = f.users(1);
    let report = kick(f, &room, &absent, None).await?;
    all_are(&report, "not_in_room")
}

async fn absent_users_are_never_failed(f: &Fixture) -> Checked {
    let (room, stays) = if f.is_live() {
        (f.room("absent"), Vec::new())
    } else {
        f.seeded("absent", 1)?
    };
    let absent = f.users(2);
    let report = kick(f, &room, &absent, None).await?;
    for label in labels(&report) {
        // Live, the room itself may not exist: a request-wide NotFound.
        let room_missing = f.is_live() && label == "failed:NotFound";
        ensure!(
            label == "not_in_room" || label == "disconnected" || room_missing,
            "an absent user came out {label}"
        );
    }
    if !f.is_live() {
        ensure!(f.present(&room)? == stays, "a bystander was removed");
    }
    Ok(())
}

async fn duplicates_get_one_outcome_each(f: &Fixture) -> Checked {
    let (room, users) = f.seeded("dupes", 2)?;
    let asked: Vec<String> = [0, 1, 0, 1, 0].map(|i| users[i].clone()).to_vec();
    // `kick` checks one outcome per distinct user, in first-given order.
    let report = kick(f, &room, &asked, None).await?;
    all_are(&report, "disconnected")
}

async fn reason_is_delivered_where_carried(f: &Fixture) -> Checked {
    let (room, users) = f.seeded("reason", 1)?;
    let report = kick(f, &room, &users, Some("spam")).await?;
    all_are(&report, "disconnected")?;
    let carried = !matches!(f.caps.reason, ReasonSupport::NotCarried);
    ensure!(
        report.reason_delivered() == carried,
        "reason delivered: {}, the capabilities say carried: {carried}",
        report.reason_delivered()
    );
    Ok(())
}

async fn more_users_than_one_call_are_split(f: &Fixture) -> Checked {
    let per_call = f.caps.max_users_per_call.get();
    let (room, users) = f.seeded("bulk", per_call + 1)?;
    let report = kick(f, &room, &users, None).await?;
    all_are(&report, "disconnected")?;
    ensure!(
        report.calls() >= 2,
        "{} users in {} call(s); one call holds {per_call}",
        users.len(),
        report.calls()
    );
    ensure!(f.present(&room)?.is_empty(), "users left in the room");
    Ok(())
}

/// `users` are refused with `InvalidInput` and (on the emulator) nothing reaches the provider.
async fn refused_before_sending(f: &Fixture, users: &[String]) -> Checked {
    let before = if f.is_live() { 0 } else { f.requests()? };
    let moderator = f.moderator().await?;
    let request = DisconnectRequest::new(f.room("refused"), users.iter().map(String::as_str));
    match moderator.disconnect(&request).await {
        Err(error) if error.kind() == ErrorKind::InvalidInput => {}
        Err(error) => return Err(format!("refused as {:?}: {error}", error.kind())),
        Ok(report) => return Err(format!("sent: {:?}", labels(&report))),
    }
    if !f.is_live() {
        let sent = f.requests()? - before;
        ensure!(sent == 0, "{sent} request(s) reached the provider");
    }
    Ok(())
}

async fn invalid_user_id_is_refused_before_sending(f: &Fixture) -> Checked {
    refused_before_sending(f, &["x".repeat(300)]).await
}

async fn empty_list_is_refused_before_sending(f: &Fixture) -> Checked {
    refused_before_sending(f, &[]).await
}

async fn unknown_room_removes_nobody(f: &Fixture) -> Checked {
    let (_, elsewhere) = f.seeded("elsewhere", 1)?;
    let room = f.room("nowhere");
    let report = kick(f, &room, &elsewhere, None).await?;
    for label in labels(&report) {
        // A missing room is the request-wide NotFound where the provider knows its rooms. LiveKit's
        // rooms appear when someone joins, so its answer is the absent user's not_in_room; Agora
        // RTC's kicking rule takes any channel name and cannot tell an absent user
        // (docs/providers/agora.md, "What the adapters promise"), so it is disconnected. Either
        // way nobody anywhere is removed, which is checked below.
        ensure!(
            ["failed:NotFound", "not_in_room", "disconnected"].contains(&label.as_str()),
            "a kick in an unknown room came out {label}"
        );
    }
    ensure!(
        f.present(&f.room("elsewhere"))? == elsewhere,
        "the user was removed from another room"
    );
    Ok(())
}
