//! How an application tests its moderation logic with the mock, no network needed.
//!
//! `SpamGuard` is a small service an application might write: it counts spam reports per user and
//! removes a user from the room on the third strike, and it can purge a list of accounts at once. It
//! holds an `Arc<dyn Moderator>`, so production wires in ZEGO, IVS Chat or EnableX and the tests below
//! wire in `MockAdapter` under the capabilities of the provider they want to imitate.
//!
//! Run the tests with `cargo test --example spam_guard --features mock`, or the demo with
//! `cargo run --example spam_guard --features mock`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use room_moderator::{
    DisconnectRequest, Error, Moderator, ModeratorExt, Outcome, Reason, RoomId, UserId,
};

/// What a spam report led to.
#[derive(Debug)]
pub enum Verdict {
    /// Not yet enough strikes.
    Warned {
        /// Reports so far against this user in this room.
        strikes: u32,
    },
    /// The user was removed from the room.
    Removed,
    /// The user had already left.
    AlreadyGone,
    /// Removal failed; the user is still in the room and someone should look.
    CouldNotRemove(Error),
}

/// Removes repeat spammers.
pub struct SpamGuard {
    moderator: Arc<dyn Moderator>,
    strikes: Mutex<HashMap<(RoomId, UserId), u32>>,
    threshold: u32,
}

impl SpamGuard {
    /// A guard removing users at `threshold` strikes.
    pub fn new(moderator: Arc<dyn Moderator>, threshold: u32) -> Self {
        SpamGuard {
            moderator,
            strikes: Mutex::default(),
            threshold,
        }
    }

    /// Records one spam report against `user` and removes them at the threshold.
    pub async fn report_spam(&self, room: &str, user: &str) -> Result<Verdict, Error> {
        let key = (RoomId::new(room), UserId::new(user));
        let strikes = {
            let mut strikes = self.strikes.lock().unwrap_or_else(|p| p.into_inner());
            let count = strikes.entry(key.clone()).or_default();
            *count += 1;
            *count
        };
        if strikes < self.threshold {
            return Ok(Verdict::Warned { strikes });
        }
        let outcome = self
            .moderator
            .disconnect_one(key.0, key.1, Some(Reason::new("spam")))
            .await?;
        Ok(match outcome {
            Outcome::Disconnected => Verdict::Removed,
            Outcome::NotInRoom => Verdict::AlreadyGone,
            Outcome::Failed(error) => Verdict::CouldNotRemove(error),
        })
    }

    /// Removes a list of accounts (a bot wave, say) and returns those still in the room.
    pub async fn purge(&self, room: &str, accounts: &[String]) -> Result<Vec<UserId>, Error> {
        let request = DisconnectRequest::new(room, accounts).with_reason("automated account");
        let report = self.moderator.disconnect(&request).await?;
        Ok(report.failures().map(|(user, _)| user.clone()).collect())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mock = room_moderator::mock::MockAdapter::new();
    let guard = SpamGuard::new(Arc::new(mock.moderator()), 3);
    for _ in 0..3 {
        println!("{:?}", guard.report_spam("lobby", "spammer").await?);
    }
    println!("provider calls: {}", mock.calls().len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use room_moderator::mock::{CallScript, MockAdapter};
    use room_moderator::{Capabilities, ErrorKind};

    /// ZEGO ZIM's shape: 50 users per call, 20 calls per second.
    const ZIM_LIKE: Capabilities = Capabilities::new(50).with_rate_per_second(20);
    /// IVS Chat's shape: one user per call, 100 calls per second.
    const IVS_LIKE: Capabilities = Capabilities::new(1).with_rate_per_second(100);

    fn guard(mock: &MockAdapter) -> SpamGuard {
        SpamGuard::new(Arc::new(mock.moderator()), 3)
    }

    #[tokio::test(start_paused = true)]
    async fn removes_on_the_third_strike_only() {
        let mock = MockAdapter::new();
        let guard = guard(&mock);
        assert!(matches!(
            guard.report_spam("lobby", "s").await.unwrap(),
            Verdict::Warned { strikes: 1 }
        ));
        assert!(matches!(
            guard.report_spam("lobby", "s").await.unwrap(),
            Verdict::Warned { strikes: 2 }
        ));
        assert!(
            mock.calls().is_empty(),
            "no provider call before the threshold"
        );
        assert!(matches!(
            guard.report_spam("lobby", "s").await.unwrap(),
            Verdict::Removed
        ));
        let calls = mock.calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].reason.as_ref().map(|r| r.as_str()), Some("spam"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_user_who_already_left_is_not_an_error() {
        let mock = MockAdapter::new();
        mock.set_absent(["s"]);
        let guard = guard(&mock);
        for _ in 0..2 {
            guard.report_spam("lobby", "s").await.unwrap();
        }
        assert!(matches!(
            guard.report_spam("lobby", "s").await.unwrap(),
            Verdict::AlreadyGone
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_is_absorbed_by_retries() {
        let mock = MockAdapter::with_capabilities(ZIM_LIKE);
        mock.fail_next_calls(
            2,
            Error::new(ErrorKind::Throttled, "too fast").with_code("660300005"),
        );
        let guard = guard(&mock);
        for _ in 0..2 {
            guard.report_spam("lobby", "s").await.unwrap();
        }
        assert!(matches!(
            guard.report_spam("lobby", "s").await.unwrap(),
            Verdict::Removed
        ));
        assert_eq!(mock.calls().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_permission_problem_is_surfaced_for_a_human() {
        let mock = MockAdapter::new();
        mock.push_call(CallScript::Fail(
            Error::new(ErrorKind::PermissionDenied, "not a moderator").with_code("5116"),
        ));
        let guard = guard(&mock);
        for _ in 0..2 {
            guard.report_spam("lobby", "s").await.unwrap();
        }
        match guard.report_spam("lobby", "s").await.unwrap() {
            Verdict::CouldNotRemove(error) => assert_eq!(error.code(), Some("5116")),
            other => panic!("expected CouldNotRemove, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn purge_uses_the_providers_batch_size() {
        let accounts: Vec<String> = (0..120).map(|i| format!("bot-{i}")).collect();

        let zim = MockAdapter::with_capabilities(ZIM_LIKE);
        assert!(
            guard(&zim)
                .purge("lobby", &accounts)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            zim.calls()
                .iter()
                .map(|c| c.users.len())
                .collect::<Vec<_>>(),
            [50, 50, 20]
        );

        let ivs = MockAdapter::with_capabilities(IVS_LIKE);
        assert!(
            guard(&ivs)
                .purge("lobby", &accounts)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(ivs.calls().len(), 120);
    }

    #[tokio::test(start_paused = true)]
    async fn purge_reports_who_is_still_there() {
        let mock = MockAdapter::new();
        mock.fail_user(
            "bot-2",
            Error::new(ErrorKind::PermissionDenied, "protected account"),
        );
        let accounts: Vec<String> = (0..5).map(|i| format!("bot-{i}")).collect();
        let remaining = guard(&mock).purge("lobby", &accounts).await.unwrap();
        assert_eq!(remaining, [UserId::new("bot-2")]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_purge_list_is_refused_not_a_room_wipe() {
        let mock = MockAdapter::new();
        let error = guard(&mock).purge("lobby", &[]).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert!(mock.calls().is_empty() && mock.room_clears().is_empty());
    }
}
