//! `ban`, `unban`, `bans` and the join gate (`check`): the ban store everywhere, the provider's own
//! rules where the capabilities say it has them.

use std::time::Duration;

use room_moderator::{BanOutcome, BanRequest, BanSupport, Capabilities, JoinCheck, RoomId, UserId};

use crate::fixture::Fixture;
use crate::{Behavior, Checked, behavior, ensure};

pub fn behaviors() -> Vec<Behavior> {
    vec![
        behavior!(ban_removes_and_the_gate_refuses, bans),
        behavior!(unban_lets_the_user_back, bans),
        behavior!(timed_ban_lapses, bans),
        behavior!(native_rule_refuses_the_join, native),
        behavior!(an_unbanned_user_may_join, bans, live),
    ]
}

pub fn bans(caps: &Capabilities) -> Result<(), &'static str> {
    match caps.bans {
        BanSupport::Unsupported => Err("the provider cannot ban"),
        _ => Ok(()),
    }
}

fn native(caps: &Capabilities) -> Result<(), &'static str> {
    match caps.bans {
        BanSupport::Native { .. } => Ok(()),
        _ => Err("no native ban rules: the ban store and the join gate keep users out"),
    }
}

/// A room with a troll and a fan, the troll banned for `duration` (`None`: for good); the room and
/// both users.
pub async fn banned(
    f: &Fixture,
    duration: Option<Duration>,
) -> Result<(RoomId, String, String), String> {
    let (room, users) = f.seeded("bans", 2)?;
    let (troll, fan) = (users[0].clone(), users[1].clone());
    let mut request = BanRequest::new(room.clone(), [troll.as_str()]).with_reason("spam");
    if let Some(duration) = duration {
        request = request.with_duration(duration);
    }
    let report = f
        .moderator()
        .await?
        .ban(&request)
        .await
        .map_err(|error| format!("ban: {error}"))?;
    let outcome = &report
        .users
        .first()
        .ok_or("the ban report names nobody")?
        .outcome;
    ensure!(
        matches!(outcome, BanOutcome::Banned { .. }),
        "ban came out {outcome:?}"
    );
    Ok((room, troll, fan))
}

async fn check(f: &Fixture, room: &RoomId, user: &str) -> Result<JoinCheck, String> {
    f.moderator()
        .await?
        .check(room, &UserId::new(user))
        .await
        .map_err(|error| format!("check: {error}"))
}

async fn listed(f: &Fixture, room: &RoomId) -> Result<Vec<String>, String> {
    let entries = f
        .moderator()
        .await?
        .bans(room)
        .await
        .map_err(|error| format!("bans: {error}"))?;
    Ok(entries.iter().map(|e| e.user.as_str().to_owned()).collect())
}

/// The troll may join again: the gate allows, no ban is listed, and the provider's own join (where
/// the emulator has one) is admitted.
async fn back_in(f: &Fixture, room: &RoomId, troll: &str) -> Checked {
    let gate = check(f, room, troll).await?;
    ensure!(gate == JoinCheck::Allowed, "the gate says {gate:?}");
    let listed = listed(f, room).await?;
    ensure!(
        !listed.iter().any(|u| u == troll),
        "still listed: {listed:?}"
    );
    if let Some(joined) = f.emulator()?.join(room.as_str(), troll) {
        joined.map_err(|why| format!("the provider refuses the join: {why}"))?;
    }
    Ok(())
}

async fn ban_removes_and_the_gate_refuses(f: &Fixture) -> Checked {
    let (room, troll, fan) = banned(f, Some(Duration::from_secs(3600))).await?;
    let present = f.present(&room)?;
    ensure!(
        present == [fan.clone()],
        "in the room after the ban: {present:?}"
    );
    let gate = check(f, &room, &troll).await?;
    ensure!(
        matches!(gate, JoinCheck::Banned { .. }),
        "the gate lets the banned user in: {gate:?}"
    );
    let gate = check(f, &room, &fan).await?;
    ensure!(
        gate == JoinCheck::Allowed,
        "the gate refuses a bystander: {gate:?}"
    );
    let listed = listed(f, &room).await?;
    ensure!(listed == [troll], "bans listed: {listed:?}");
    Ok(())
}

async fn unban_lets_the_user_back(f: &Fixture) -> Checked {
    let (room, troll, _) = banned(f, None).await?;
    f.moderator()
        .await?
        .unban(&room, &[UserId::new(troll.as_str())])
        .await
        .map_err(|error| format!("unban: {error}"))?;
    back_in(f, &room, &troll).await
}

async fn timed_ban_lapses(f: &Fixture) -> Checked {
    let (room, troll, _) = banned(f, Some(Duration::from_secs(60))).await?;
    let gate = check(f, &room, &troll).await?;
    ensure!(
        matches!(gate, JoinCheck::Banned { .. }),
        "not banned: {gate:?}"
    );
    tokio::time::advance(Duration::from_secs(61)).await;
    back_in(f, &room, &troll).await
}

async fn native_rule_refuses_the_join(f: &Fixture) -> Checked {
    let (room, troll, fan) = banned(f, Some(Duration::from_secs(3600))).await?;
    let emulator = f.emulator()?;
    let Some(joined) = emulator.join(room.as_str(), &troll) else {
        return Err("the emulator has no join to refuse".to_owned());
    };
    ensure!(joined.is_err(), "the provider let the banned user join");
    if let Some(joined) = emulator.join(room.as_str(), &fan) {
        joined.map_err(|why| format!("the provider refuses a bystander: {why}"))?;
    }
    Ok(())
}

async fn an_unbanned_user_may_join(f: &Fixture) -> Checked {
    let room = f.room("gate");
    for user in f.users(2) {
        let gate = check(f, &room, &user).await?;
        ensure!(gate == JoinCheck::Allowed, "{user}: {gate:?}");
    }
    Ok(())
}
