//! `disconnect_all`: everyone out, natively or by listing and kicking.

use room_moderator::{Capabilities, ErrorKind, RoomClear, RoomCleared};

use crate::fixture::Fixture;
use crate::{Behavior, Checked, all_are, behavior, ensure, one_outcome_each};

pub fn behaviors() -> Vec<Behavior> {
    vec![
        behavior!(everyone_is_removed, clears),
        behavior!(unsupported_without_a_call, cannot_clear),
    ]
}

fn clears(caps: &Capabilities) -> Result<(), &'static str> {
    match caps.room_clear() {
        RoomClear::Unsupported => Err("no kick-all call and no member listing"),
        _ => Ok(()),
    }
}

fn cannot_clear(caps: &Capabilities) -> Result<(), &'static str> {
    match caps.room_clear() {
        RoomClear::Unsupported => Ok(()),
        _ => Err("the provider can clear a room"),
    }
}

async fn everyone_is_removed(f: &Fixture) -> Checked {
    let (room, users) = f.seeded("all", 3)?;
    let moderator = f.moderator().await?;
    let cleared = moderator
        .disconnect_all(&room, None)
        .await
        .map_err(|error| format!("disconnect_all: {error}"))?;
    match (cleared, f.caps.room_clear()) {
        (RoomCleared::Native, RoomClear::Native) => {}
        (RoomCleared::ListedAndKicked(report), RoomClear::ListAndKick) => {
            let mut listed: Vec<String> = users.clone();
            listed.sort();
            let mut reported: Vec<String> = report
                .users()
                .iter()
                .map(|u| u.user.as_str().to_owned())
                .collect();
            reported.sort();
            ensure!(
                reported == listed,
                "outcomes for {reported:?}, members {listed:?}"
            );
            one_outcome_each(
                &report,
                &report
                    .users()
                    .iter()
                    .map(|u| u.user.as_str().to_owned())
                    .collect::<Vec<_>>(),
            )?;
            all_are(&report, "disconnected")?;
        }
        (cleared, way) => return Err(format!("{cleared:?}, but the capabilities say {way:?}")),
    }
    let left = f.present(&room)?;
    ensure!(left.is_empty(), "still in the room: {left:?}");
    Ok(())
}

async fn unsupported_without_a_call(f: &Fixture) -> Checked {
    let (room, users) = f.seeded("all", 2)?;
    let moderator = f.moderator().await?;
    match moderator.disconnect_all(&room, None).await {
        Err(error) if error.kind() == ErrorKind::Unsupported => {}
        other => return Err(format!("expected Unsupported, got {other:?}")),
    }
    ensure!(f.requests()? == 0, "a call was sent");
    ensure!(
        f.present(&room)?.len() == users.len(),
        "someone was removed"
    );
    Ok(())
}
