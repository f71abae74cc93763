//! Every public operation is bounded in time: a default per operation, sized to its calls and
//! rates, overridable for all operations, per operation, and per request.

use std::time::Duration;

use tokio::time::Instant;

use crate::{Error, Plan};

/// The public operations of [`Moderator`](crate::Moderator), for their deadlines.
///
/// | operation | default deadline |
/// |---|---|
/// | `disconnect` | 60 s + 10 x the time its calls need at the documented rate |
/// | `disconnect_all` | one call: 60 s; by listing: `members`' deadline, then `disconnect`'s for the listed |
/// | `members` | 10 minutes (the page count is unknown until the last page) |
/// | `ban` | 60 s + 10 x the time its rule calls and its kick need |
/// | `unban` | 60 s + 10 x the time its rule deletions need |
/// | `bans` | 60 s |
/// | `check` | 10 s |
/// | `issue_token` | 10 s: somebody is waiting to join |
///
/// ```
/// use std::time::Duration;
/// use room_moderator_core::{Engine, Operation, mock::MockAdapter};
/// let engine = Engine::builder(MockAdapter::new())
///     .with_deadline(Duration::from_secs(30))
///     .with_operation_deadline(Operation::IssueToken, Duration::from_secs(3))
///     .build();
/// # let _ = engine;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// [`Moderator::disconnect`](crate::Moderator::disconnect).
    Disconnect,
    /// [`Moderator::disconnect_all`](crate::Moderator::disconnect_all).
    DisconnectAll,
    /// [`Moderator::members`](crate::Moderator::members).
    Members,
    /// [`Moderator::ban`](crate::Moderator::ban).
    Ban,
    /// [`Moderator::unban`](crate::Moderator::unban).
    Unban,
    /// [`Moderator::bans`](crate::Moderator::bans).
    Bans,
    /// [`Moderator::check`](crate::Moderator::check).
    Check,
    /// [`Moderator::issue_token`](crate::Moderator::issue_token).
    IssueToken,
}

impl Operation {
    const ALL: [Operation; 8] = [
        Operation::Disconnect,
        Operation::DisconnectAll,
        Operation::Members,
        Operation::Ban,
        Operation::Unban,
        Operation::Bans,
        Operation::Check,
        Operation::IssueToken,
    ];

    fn index(self) -> usize {
        Operation::ALL
            .iter()
            .position(|op| *op == self)
            .unwrap_or_default()
    }

    /// The deadline this operation gets when none was set, for calls that need `paced` at the
    /// documented rates (ignored where the table says a fixed time).
    pub fn default_deadline(self, paced: Duration) -> Duration {
        match self {
            Operation::Members => Duration::from_secs(600),
            Operation::Check | Operation::IssueToken => Duration::from_secs(10),
            Operation::Bans => Duration::from_secs(60),
            Operation::Disconnect
            | Operation::DisconnectAll
            | Operation::Ban
            | Operation::Unban => Duration::from_secs(60).saturating_add(paced.saturating_mul(10)),
        }
    }

    /// The operation's name as the trait spells it.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Disconnect => "disconnect",
            Operation::DisconnectAll => "disconnect_all",
            Operation::Members => "members",
            Operation::Ban => "ban",
            Operation::Unban => "unban",
            Operation::Bans => "bans",
            Operation::Check => "check",
            Operation::IssueToken => "issue_token",
        }
    }
}

/// The deadlines an engine was configured with.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Deadlines {
    /// For every operation (`EngineBuilder::with_deadline`).
    all: Option<Duration>,
    /// For one operation (`EngineBuilder::with_operation_deadline`), over `all`.
    each: [Option<Duration>; 8],
}

impl Deadlines {
    pub(crate) fn set_all(&mut self, deadline: Duration) {
        self.all = Some(deadline);
    }

    pub(crate) fn set(&mut self, operation: Operation, deadline: Duration) {
        self.each[operation.index()] = Some(deadline);
    }

    /// The configured deadline of `operation`, if one was set.
    pub(crate) fn configured(&self, operation: Operation) -> Option<Duration> {
        self.each[operation.index()].or(self.all)
    }

    /// How long `operation` may take: the request's own deadline, else the configured one, else the
    /// default for `paced`. `Err` when a deadline that was set is shorter than pacing alone needs.
    pub(crate) fn resolve(
        &self,
        operation: Operation,
        requested: Option<Duration>,
        plan: &Plan,
        paced: Duration,
    ) -> Result<Duration, Error> {
        let Some(deadline) = requested.or_else(|| self.configured(operation)) else {
            return Ok(operation.default_deadline(paced));
        };
        if deadline < paced {
            return Err(Error::invalid_input(format!(
                "the deadline of {deadline:?} for {} is shorter than the {paced:?} that its {} calls need at {} per second; allow more time or send fewer users",
                operation.name(),
                plan.calls(),
                plan.requests_per_second.map_or(0, |r| r.get()),
            )));
        }
        Ok(deadline)
    }
}

/// `now + deadline`, or far in the future when that overflows the clock.
pub(crate) fn instant_after(deadline: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(deadline)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365))
}
