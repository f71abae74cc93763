//! The provider's name on every error that leaves the engine, stamped in one place: here.
//!
//! Errors are made all over: by the adapter, by the toolkit, by the ban store, by the engine's
//! checks, deadlines and retries. None of them needs to name the provider: what an operation
//! returns is stamped at the [`Moderator`](crate::Moderator) implementation (`engine/mod.rs`), and
//! an outcome is stamped before the [`AuditHook`](crate::AuditHook) hears it (the hook hears some
//! before the operation returns). A name already set (an adapter that names which of its services
//! failed) is kept: an error names one provider, once.

use crate::{
    BanEntry, BanOutcome, BanReport, Error, JoinCheck, Member, Outcome, Plan, Report, RoomCleared,
    TokenDecision, UnbanOutcome, UnbanReport, UserReport,
};

/// A value that may hold errors, all of which get the provider's name.
pub(crate) trait Stamp {
    /// Names `provider` on every error inside that names none.
    fn stamp(&mut self, provider: &'static str);
}

/// `value`, its errors naming `provider`.
pub(crate) fn stamped<T: Stamp>(mut value: T, provider: &'static str) -> T {
    value.stamp(provider);
    value
}

impl Stamp for Error {
    fn stamp(&mut self, provider: &'static str) {
        self.name_provider(provider);
    }
}

impl<T: Stamp> Stamp for Result<T, Error> {
    fn stamp(&mut self, provider: &'static str) {
        match self {
            Ok(value) => value.stamp(provider),
            Err(error) => error.stamp(provider),
        }
    }
}

impl Stamp for Outcome {
    fn stamp(&mut self, provider: &'static str) {
        if let Outcome::Failed(error) = self {
            error.stamp(provider);
        }
    }
}

impl Stamp for UserReport {
    fn stamp(&mut self, provider: &'static str) {
        self.outcome.stamp(provider);
    }
}

impl Stamp for Report {
    fn stamp(&mut self, provider: &'static str) {
        for entry in self.users_mut() {
            entry.stamp(provider);
        }
    }
}

impl Stamp for RoomCleared {
    fn stamp(&mut self, provider: &'static str) {
        match self {
            RoomCleared::Native => {}
            RoomCleared::ListedAndKicked(report) => report.stamp(provider),
        }
    }
}

impl Stamp for BanReport {
    fn stamp(&mut self, provider: &'static str) {
        for entry in &mut self.users {
            if let BanOutcome::Failed { error, .. } = &mut entry.outcome {
                error.stamp(provider);
            }
        }
    }
}

impl Stamp for UnbanReport {
    fn stamp(&mut self, provider: &'static str) {
        for entry in &mut self.users {
            if let UnbanOutcome::Failed(error) = &mut entry.outcome {
                error.stamp(provider);
            }
        }
    }
}

/// Answers that hold no error.
macro_rules! nothing_to_stamp {
    ($($answer:ty),*) => {
        $(impl Stamp for $answer {
            fn stamp(&mut self, _provider: &'static str) {}
        })*
    };
}

nothing_to_stamp!(
    (),
    Plan,
    Vec<Member>,
    Vec<BanEntry>,
    JoinCheck,
    TokenDecision
);
