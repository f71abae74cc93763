//! One sweep of a room for providers with no signed "user joined" callback (EnableX, IVS real-time;
//! docs/providers/webhooks.md): list who is in the room, and remove every member the ban store (or
//! the provider's native rules) holds as banned there, each with its ban's reason.
//!
//! Where callbacks exist a receiver re-kicks on the join; elsewhere an application runs a sweep on
//! a timer, or `moderator sweep --target PROVIDER:ROOM` from a scheduler.

use std::collections::BTreeMap;

use crate::{BanEntry, DisconnectRequest, Error, Moderator, Outcome, Report, RoomId, UserId};

/// What one sweep found and did.
#[derive(Debug)]
#[non_exhaustive]
pub struct SweepReport {
    /// The room swept.
    pub room: RoomId,
    /// How many members the provider listed.
    pub members: usize,
    /// How many active bans the room has.
    pub bans: usize,
    /// One entry per banned member found, in member order: the user, the ban's reason, and the
    /// removal's outcome.
    pub kicked: Vec<SweptUser>,
}

/// One banned member a sweep tried to remove.
#[derive(Debug)]
#[non_exhaustive]
pub struct SweptUser {
    /// The user.
    pub user: UserId,
    /// The ban's reason, sent with the removal where the provider carries one.
    pub reason: Option<String>,
    /// What the removal did.
    pub outcome: Outcome,
}

impl SweepReport {
    /// Whether every banned member found is out of the room now (also true when none was found).
    pub fn all_gone(&self) -> bool {
        self.kicked.iter().all(|swept| swept.outcome.is_gone())
    }
}

/// Lists `room`'s members with [`Moderator::members`], looks its active bans up once with
/// [`Moderator::bans`], and removes the banned members with [`Moderator::disconnect`] (one request
/// per distinct reason, so that each carries its ban's reason). No banned member: nothing is sent
/// beyond the listing.
///
/// `Err` when the members or the bans cannot be read (nothing removed), or when a removal is
/// refused before sending (an invalid room id, say).
pub async fn sweep(moderator: &dyn Moderator, room: &RoomId) -> Result<SweepReport, Error> {
    let members = moderator.members(room).await?;
    let bans = moderator.bans(room).await?;
    let banned: BTreeMap<&UserId, &BanEntry> = bans.iter().map(|ban| (&ban.user, ban)).collect();
    let mut found: Vec<(UserId, Option<String>)> = Vec::new();
    for member in &members {
        if let Some(ban) = banned.get(&member.id)
            && !found.iter().any(|(user, _)| *user == member.id)
        {
            found.push((member.id.clone(), ban.reason.clone()));
        }
    }
    // One request per reason, users in member order within it.
    let mut by_reason: BTreeMap<Option<&str>, Vec<&UserId>> = BTreeMap::new();
    for (user, reason) in &found {
        by_reason.entry(reason.as_deref()).or_default().push(user);
    }
    let mut reports: Vec<Report> = Vec::new();
    for (reason, users) in by_reason {
        let mut request = DisconnectRequest::new(room.clone(), users.into_iter().cloned());
        if let Some(reason) = reason {
            request = request.with_reason(reason);
        }
        reports.push(moderator.disconnect(&request).await?);
    }
    let kicked = found
        .into_iter()
        .map(|(user, reason)| {
            let outcome = reports
                .iter()
                .find_map(|report| report.outcome(&user).cloned())
                .unwrap_or_else(|| {
                    Outcome::Failed(Error::protocol("the report holds no outcome for the user"))
                });
            SweptUser {
                user,
                reason,
                outcome,
            }
        })
        .collect();
    Ok(SweepReport {
        room: room.clone(),
        members: members.len(),
        bans: bans.len(),
        kicked,
    })
}

#[cfg(all(test, feature = "mock"))]
mod tests {
    use super::*;
    use crate::BanRequest;
    use crate::mock::MockAdapter;

    #[tokio::test(start_paused = true)]
    async fn only_banned_members_are_kicked_each_with_its_reason() {
        let mock = MockAdapter::new();
        let moderator = mock.moderator();
        moderator
            .ban(&BanRequest::new("lobby", ["troll"]).with_reason("spam"))
            .await
            .unwrap();
        moderator
            .ban(&BanRequest::new("lobby", ["raider", "absent"]).with_reason("raid"))
            .await
            .unwrap();
        let kicks_before = mock.calls().len();
        // They come back (no native ban on the mock), with a bystander.
        mock.seed_room("lobby", ["alice", "troll", "raider"]);
        let report = sweep(&moderator, &RoomId::new("lobby")).await.unwrap();
        assert_eq!(report.members, 3);
        assert_eq!(report.bans, 3);
        assert!(report.all_gone());
        let kicked: Vec<(&str, Option<&str>)> = report
            .kicked
            .iter()
            .map(|s| (s.user.as_str(), s.reason.as_deref()))
            .collect();
        assert_eq!(kicked, [("raider", Some("raid")), ("troll", Some("spam"))]);
        let calls = &mock.calls()[kicks_before..];
        assert_eq!(calls.len(), 2, "one request per reason");
        assert!(
            calls
                .iter()
                .all(|c| !c.users.iter().any(|u| u.as_str() == "alice"))
        );
        assert_eq!(
            mock.members(&RoomId::new("lobby")).unwrap(),
            [UserId::new("alice")]
        );
        // Each request carried its ban's reason.
        let reasons: Vec<Option<&str>> = calls
            .iter()
            .map(|c| c.reason.as_ref().map(|r| r.as_str()))
            .collect();
        assert_eq!(reasons, [Some("raid"), Some("spam")]);
    }

    #[tokio::test(start_paused = true)]
    async fn no_banned_member_sends_no_kick() {
        let mock = MockAdapter::new();
        mock.seed_room("lobby", ["alice"]);
        let moderator = mock.moderator();
        let report = sweep(&moderator, &RoomId::new("lobby")).await.unwrap();
        assert!(report.kicked.is_empty() && report.all_gone());
        assert!(mock.calls().is_empty());
    }
}
