//! Each stage operation paced to its own quota, 5 calls per second per account and region
//! (`docs/providers/ivs-stages.md`, Quotas), shared by every `IvsStages` of the process on the same
//! account.
//!
//! The engine paces kicks (one per user) and the listing pages it drives; but one user on two
//! devices is two `DisconnectParticipant` calls, the first page of a listing also costs a `GetStage`,
//! and a kick without a listing lists by itself. So the adapter paces every call it makes too, with
//! core's [`RatePacer`]: in series with the engine's pacer at the same rate, this only ever waits
//! for the extra calls the engine cannot see.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use room_moderator_core::{Error, Pacer, RatePacer};

/// One pacer per stage operation the adapter calls.
#[derive(Debug)]
pub(crate) struct OperationPacers {
    get_stage: Arc<RatePacer>,
    list_participants: Arc<RatePacer>,
    disconnect_participant: Arc<RatePacer>,
}

/// A stage operation the adapter paces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Operation {
    GetStage,
    ListParticipants,
    DisconnectParticipant,
}

type Registry = Mutex<HashMap<(String, Operation), Weak<RatePacer>>>;

impl OperationPacers {
    /// The process's pacers for `account` (region and endpoint), at `rate` each.
    pub(crate) fn for_account(account: &str, rate: NonZeroU32) -> Self {
        OperationPacers {
            get_stage: shared(account, Operation::GetStage, rate),
            list_participants: shared(account, Operation::ListParticipants, rate),
            disconnect_participant: shared(account, Operation::DisconnectParticipant, rate),
        }
    }

    /// Waits for `operation`'s turn.
    pub(crate) async fn acquire(&self, operation: Operation) -> Result<(), Error> {
        match operation {
            Operation::GetStage => self.get_stage.acquire().await,
            Operation::ListParticipants => self.list_participants.acquire().await,
            Operation::DisconnectParticipant => self.disconnect_participant.acquire().await,
        }
    }
}

/// The process's pacer of `operation` on `account`, made on first use and kept while held.
fn shared(account: &str, operation: Operation, rate: NonZeroU32) -> Arc<RatePacer> {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    let mut registry = REGISTRY
        .get_or_init(Registry::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    registry.retain(|_, pacer| pacer.strong_count() > 0);
    let key = (account.to_owned(), operation);
    if let Some(pacer) = registry.get(&key).and_then(Weak::upgrade) {
        return pacer;
    }
    let pacer = Arc::new(RatePacer::per_second(rate));
    registry.insert(key, Arc::downgrade(&pacer));
    pacer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pacer_per_account_and_operation() {
        let rate = NonZeroU32::MIN.saturating_add(4);
        let a = OperationPacers::for_account("us-east-1@pacing-test", rate);
        let b = OperationPacers::for_account("us-east-1@pacing-test", rate);
        let other = OperationPacers::for_account("eu-west-1@pacing-test", rate);
        assert!(Arc::ptr_eq(&a.get_stage, &b.get_stage));
        assert!(!Arc::ptr_eq(&a.get_stage, &a.list_participants));
        assert!(!Arc::ptr_eq(
            &a.disconnect_participant,
            &other.disconnect_participant
        ));
    }
}
