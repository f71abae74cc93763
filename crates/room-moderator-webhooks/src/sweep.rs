//! One members sweep, for providers without a signed join event (EnableX, IVS real-time stages): list
//! who is in the room and remove those the ban store holds (docs/webhooks.md, "Providers without a
//! signed join event"). Run it on a timer at the provider's listing rate.

use std::collections::HashSet;

use room_moderator_core::{DisconnectRequest, Error, Moderator, Report, RoomId, UserId};

/// Lists `room`'s members and its active bans, and removes the banned members (without a reason:
/// each ban may have its own). `None` when no banned user was there (nothing was sent but the two
/// listings).
pub async fn sweep(moderator: &dyn Moderator, room: &RoomId) -> Result<Option<Report>, Error> {
    let banned: HashSet<UserId> = moderator
        .bans(room)
        .await?
        .into_iter()
        .map(|ban| ban.user)
        .collect();
    if banned.is_empty() {
        return Ok(None);
    }
    let found: Vec<UserId> = moderator
        .members(room)
        .await?
        .into_iter()
        .map(|member| member.id)
        .filter(|user| banned.contains(user))
        .collect();
    if found.is_empty() {
        return Ok(None);
    }
    moderator
        .disconnect(&DisconnectRequest::new(room.clone(), found))
        .await
        .map(Some)
}

#[cfg(test)]
mod tests {
    use room_moderator_core::mock::MockAdapter;
    use room_moderator_core::{BanRequest, Moderator};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn removes_banned_members_only() {
        let mock = MockAdapter::new();
        let moderator = mock.moderator();
        moderator
            .ban(&BanRequest::new("lobby", ["troll", "gone"]))
            .await
            .expect("ban");
        let room = RoomId::new("lobby");
        assert!(
            sweep(&moderator, &room).await.expect("sweep").is_none(),
            "nobody banned is there"
        );
        mock.seed_room("lobby", ["troll", "guest"]);
        mock.clear_calls();
        let report = sweep(&moderator, &room)
            .await
            .expect("sweep")
            .expect("a kick");
        assert_eq!(report.users().len(), 1);
        let calls = mock.calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].users, [UserId::new("troll")]);
    }
}
