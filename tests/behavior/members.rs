//! `members`: who is in a room, as the provider lists it.

use room_moderator::{Capabilities, ErrorKind};

use crate::fixture::Fixture;
use crate::{Behavior, Checked, behavior, ensure};

pub fn behaviors() -> Vec<Behavior> {
    vec![
        behavior!(members_are_who_is_in_the_room, lists),
        behavior!(an_unknown_room_lists_nobody, lists, live),
        behavior!(members_are_unsupported_without_a_call, cannot_list),
    ]
}

pub fn lists(caps: &Capabilities) -> Result<(), &'static str> {
    caps.members
        .map(drop)
        .ok_or("the provider cannot list a room's members")
}

fn cannot_list(caps: &Capabilities) -> Result<(), &'static str> {
    match caps.members {
        Some(_) => Err("the provider lists members"),
        None => Ok(()),
    }
}

async fn members_are_who_is_in_the_room(f: &Fixture) -> Checked {
    let (room, mut users) = f.seeded("members", 3)?;
    let moderator = f.moderator().await?;
    let members = moderator
        .members(&room)
        .await
        .map_err(|error| format!("members: {error}"))?;
    let mut listed: Vec<String> = members.iter().map(|m| m.id.as_str().to_owned()).collect();
    listed.sort();
    users.sort();
    ensure!(listed == users, "listed {listed:?}, seeded {users:?}");
    Ok(())
}

/// Live: the suite's room (nobody is expected there).
async fn an_unknown_room_lists_nobody(f: &Fixture) -> Checked {
    let moderator = f.moderator().await?;
    match moderator.members(&f.room("nobody")).await {
        Ok(members) if f.is_live() => {
            // A live room named by ROOM_MODERATOR_LIVE_ROOM may hold people: each once.
            let mut ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
            ids.sort_unstable();
            let before = ids.len();
            ids.dedup();
            ensure!(ids.len() == before, "a member is listed twice");
            Ok(())
        }
        Ok(members) => {
            ensure!(members.is_empty(), "listed {members:?}");
            Ok(())
        }
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(()),
        Err(error) => Err(format!("members: {error}")),
    }
}

async fn members_are_unsupported_without_a_call(f: &Fixture) -> Checked {
    let moderator = f.moderator().await?;
    match moderator.members(&f.room("members")).await {
        Err(error) if error.kind() == ErrorKind::Unsupported => {}
        other => return Err(format!("expected Unsupported, got {other:?}")),
    }
    ensure!(f.requests()? == 0, "a call was sent");
    Ok(())
}
