//! What an adapter can do, as data: the engine batches, paces and validates from it.

use std::fmt;
use std::num::{NonZeroU32, NonZeroUsize};

use crate::{AbsentUsers, ApiLimits, BanSupport, RoomClear};

/// How a length limit is counted. In JSON (feature `serde`): `"bytes"` or `"chars"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum LengthUnit {
    /// UTF-8 bytes (ZEGO counts bytes).
    Bytes,
    /// Unicode scalar values (IVS counts characters).
    Chars,
}

impl LengthUnit {
    /// The length of `value` in this unit.
    pub fn measure(self, value: &str) -> usize {
        match self {
            LengthUnit::Bytes => value.len(),
            LengthUnit::Chars => value.chars().count(),
        }
    }

    /// The unit's name in messages ("bytes", "characters").
    pub fn name(self) -> &'static str {
        match self {
            LengthUnit::Bytes => "bytes",
            LengthUnit::Chars => "characters",
        }
    }
}

/// The set of characters a provider accepts in an id.
#[derive(Clone, Copy)]
pub struct CharSet {
    /// Human-readable description used in error messages.
    pub description: &'static str,
    /// Whether one character is allowed.
    pub allows: fn(char) -> bool,
}

/// A character set is a predicate; in JSON it is its description.
#[cfg(feature = "serde")]
impl serde::Serialize for CharSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.description)
    }
}

impl fmt::Debug for CharSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CharSet")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// A provider's rule for one kind of id: length bounds and allowed characters.
///
/// Rules that are patterns rather than character sets (an ARN, say) are checked by the adapter's
/// [`Adapter::check`](crate::Adapter::check).
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct IdRule {
    /// Longest accepted id, if the provider documents a limit.
    pub max_len: Option<usize>,
    /// How `max_len` is counted.
    pub unit: LengthUnit,
    /// Allowed characters, if restricted.
    pub charset: Option<CharSet>,
}

impl IdRule {
    /// Any non-empty string.
    pub const ANY: IdRule = IdRule {
        max_len: None,
        unit: LengthUnit::Chars,
        charset: None,
    };

    /// At most `max` UTF-8 bytes.
    pub const fn max_bytes(max: usize) -> Self {
        IdRule {
            max_len: Some(max),
            unit: LengthUnit::Bytes,
            charset: None,
        }
    }

    /// At most `max` characters.
    pub const fn max_chars(max: usize) -> Self {
        IdRule {
            max_len: Some(max),
            unit: LengthUnit::Chars,
            charset: None,
        }
    }

    /// Restricts the allowed characters.
    pub const fn with_charset(mut self, charset: CharSet) -> Self {
        self.charset = Some(charset);
        self
    }

    /// Checks `value`, returning a sentence that says what is wrong.
    pub fn check(&self, value: &str) -> Result<(), String> {
        if value.is_empty() {
            return Err("is empty".to_owned());
        }
        if let Some(max) = self.max_len {
            let len = self.unit.measure(value);
            if len > max {
                return Err(format!(
                    "is {len} {unit} long; the limit is {max} {unit}",
                    unit = self.unit.name()
                ));
            }
        }
        if let Some(charset) = self.charset
            && let Some(bad) = value.chars().find(|c| !(charset.allows)(*c))
        {
            return Err(format!(
                "contains {bad:?}; allowed: {}",
                charset.description
            ));
        }
        Ok(())
    }
}

/// Whether and how a provider carries a reason to the removed user. In JSON (feature `serde`):
/// `{"support": "not_carried"}` or `{"support": "limited", "max_len": 32, "unit": "bytes"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "support", rename_all = "snake_case"))]
pub enum ReasonSupport {
    /// The provider has no field for a reason; a given reason is accepted and reported as not delivered.
    NotCarried,
    /// Carried, up to `max_len` in `unit`.
    Limited {
        /// Longest accepted reason.
        max_len: usize,
        /// How `max_len` is counted.
        unit: LengthUnit,
    },
}

/// What an adapter can do. The engine batches, paces and validates from these values.
///
/// Built with `const` methods so adapters can publish theirs as constants, and tests can take any
/// provider's values and override one (force a batch size of 2, say):
///
/// ```
/// use room_moderator_core::{Capabilities, IdRule, LengthUnit, ReasonSupport};
/// const ZIM_LIKE: Capabilities = Capabilities::new(50)
///     .with_rate_per_second(20)
///     .with_reason(ReasonSupport::Limited { max_len: 32, unit: LengthUnit::Bytes })
///     .with_user_id(IdRule::max_bytes(32));
/// let tiny = ZIM_LIKE.with_max_users_per_call(2);
/// assert_eq!(tiny.max_users_per_call.get(), 2);
/// ```
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Capabilities {
    /// Most users one provider call may carry (ZIM 50, RTC 5, IVS 1).
    pub max_users_per_call: NonZeroUsize,
    /// Whether a reason reaches the user, and its limit.
    pub reason: ReasonSupport,
    /// Whether the provider can remove everyone from a room with one native call. Where it cannot
    /// but lists members, `disconnect_all` lists and kicks: see [`Capabilities::room_clear`].
    pub disconnect_all: bool,
    /// The provider's documented request rate, per second, if any.
    pub requests_per_second: Option<NonZeroU32>,
    /// The provider's documented request rate per minute, for providers that count over a minute
    /// (LiveKit Cloud: 1,000); used when there is no per-second rate. Pacing spaces the calls
    /// evenly over the minute and never sends more than this in any sliding minute. In JSON only
    /// when set.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub requests_per_minute: Option<NonZeroU32>,
    /// Rule for room ids.
    pub room_id: IdRule,
    /// Rule for user ids.
    pub user_id: IdRule,
    /// Whether and how the provider lists a room's members (`None`: it cannot, e.g. IVS Chat).
    pub members: Option<ApiLimits>,
    /// Whether and how the provider says which of some users are in a room (ZIM `QueryRoomMembers`).
    pub presence: Option<ApiLimits>,
    /// What a kick naming an absent user does.
    pub absent_users: AbsentUsers,
    /// How the provider keeps removed users out.
    pub bans: BanSupport,
    /// Whether the adapter issues join tokens server-side
    /// ([`Moderator::issue_token`](crate::Moderator::issue_token)), and the token API's rate.
    pub tokens: Option<ApiLimits>,
}

impl Capabilities {
    /// Capabilities with `max_users_per_call`, no reason support, no `disconnect_all`, no rate limit and
    /// no id rules beyond "not empty".
    ///
    /// # Panics
    /// If `max_users_per_call` is zero: that is a programming error in the adapter, caught at compile
    /// time when used in a `const`.
    pub const fn new(max_users_per_call: usize) -> Self {
        Capabilities {
            max_users_per_call: match NonZeroUsize::new(max_users_per_call) {
                Some(n) => n,
                None => panic!("max_users_per_call must be at least 1"),
            },
            reason: ReasonSupport::NotCarried,
            disconnect_all: false,
            requests_per_second: None,
            requests_per_minute: None,
            room_id: IdRule::ANY,
            user_id: IdRule::ANY,
            members: None,
            presence: None,
            absent_users: AbsentUsers::Harmless,
            bans: BanSupport::Store,
            tokens: None,
        }
    }

    /// How `disconnect_all` works: natively, by listing and kicking, or not at all.
    ///
    /// ```
    /// use room_moderator_core::{ApiLimits, Capabilities, RoomClear};
    /// assert_eq!(Capabilities::new(5).room_clear(), RoomClear::Unsupported);
    /// assert_eq!(Capabilities::new(5).with_members(ApiLimits::new(200)).room_clear(), RoomClear::ListAndKick);
    /// assert_eq!(Capabilities::new(5).with_disconnect_all(true).room_clear(), RoomClear::Native);
    /// ```
    pub const fn room_clear(&self) -> RoomClear {
        if self.disconnect_all {
            RoomClear::Native
        } else if self.members.is_some() {
            RoomClear::ListAndKick
        } else {
            RoomClear::Unsupported
        }
    }

    /// Declares how members are listed.
    pub const fn with_members(mut self, limits: ApiLimits) -> Self {
        self.members = Some(limits);
        self
    }

    /// Declares how presence is queried.
    pub const fn with_presence(mut self, limits: ApiLimits) -> Self {
        self.presence = Some(limits);
        self
    }

    /// Declares what a kick naming an absent user does.
    pub const fn with_absent_users(mut self, absent: AbsentUsers) -> Self {
        self.absent_users = absent;
        self
    }

    /// Declares how the provider bans.
    pub const fn with_bans(mut self, bans: BanSupport) -> Self {
        self.bans = bans;
        self
    }

    /// Declares that the adapter issues tokens, and the token API's limits.
    pub const fn with_tokens(mut self, limits: ApiLimits) -> Self {
        self.tokens = Some(limits);
        self
    }

    /// Overrides the batch size (see [`Capabilities::new`] for the panic on zero).
    pub const fn with_max_users_per_call(mut self, max: usize) -> Self {
        self.max_users_per_call = Capabilities::new(max).max_users_per_call;
        self
    }

    /// Sets reason support.
    pub const fn with_reason(mut self, reason: ReasonSupport) -> Self {
        self.reason = reason;
        self
    }

    /// Declares whether `disconnect_all` exists.
    pub const fn with_disconnect_all(mut self, supported: bool) -> Self {
        self.disconnect_all = supported;
        self
    }

    /// Sets the documented request rate; 0 means "no documented limit".
    pub const fn with_rate_per_second(mut self, requests: u32) -> Self {
        self.requests_per_second = NonZeroU32::new(requests);
        self
    }

    /// Sets a documented rate counted over a minute; 0 means "no documented limit". A per-second
    /// rate, if also set, wins.
    pub const fn with_rate_per_minute(mut self, requests: u32) -> Self {
        self.requests_per_minute = NonZeroU32::new(requests);
        self
    }

    /// The rate pacing holds, as calls per window: the per-second rate over one second, else the
    /// per-minute rate over sixty.
    ///
    /// ```
    /// use std::time::Duration;
    /// use room_moderator_core::Capabilities;
    /// let (calls, window) = Capabilities::new(1).with_rate_per_minute(1000).rate_window().unwrap();
    /// assert_eq!((calls.get(), window), (1000, Duration::from_secs(60)));
    /// ```
    pub const fn rate_window(&self) -> Option<(NonZeroU32, std::time::Duration)> {
        match (self.requests_per_second, self.requests_per_minute) {
            (Some(rate), _) => Some((rate, std::time::Duration::from_secs(1))),
            (None, Some(rate)) => Some((rate, std::time::Duration::from_secs(60))),
            (None, None) => None,
        }
    }

    /// Sets the room id rule.
    pub const fn with_room_id(mut self, rule: IdRule) -> Self {
        self.room_id = rule;
        self
    }

    /// Sets the user id rule.
    pub const fn with_user_id(mut self, rule: IdRule) -> Self {
        self.user_id = rule;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGITS: CharSet = CharSet {
        description: "digits",
        allows: |c| c.is_ascii_digit(),
    };

    #[test]
    fn id_rule_counts_in_its_unit() {
        let bytes = IdRule::max_bytes(3);
        let chars = IdRule::max_chars(3);
        assert!(bytes.check("abc").is_ok());
        assert!(bytes.check("é").is_ok());
        assert!(bytes.check("éé").is_err(), "4 bytes > 3");
        assert!(chars.check("ééé").is_ok());
        assert!(chars.check("éééé").is_err());
    }

    #[test]
    fn id_rule_rejects_empty_and_bad_characters() {
        let rule = IdRule::ANY.with_charset(DIGITS);
        assert_eq!(rule.check(""), Err("is empty".to_owned()));
        let err = rule.check("12a").unwrap_err();
        assert!(err.contains("'a'") && err.contains("digits"), "{err}");
        assert!(rule.check("123").is_ok());
    }

    #[test]
    fn rate_zero_means_unlimited() {
        assert!(
            Capabilities::new(1)
                .with_rate_per_second(0)
                .requests_per_second
                .is_none()
        );
        assert_eq!(
            Capabilities::new(1)
                .with_rate_per_second(20)
                .requests_per_second
                .map(|r| r.get()),
            Some(20)
        );
    }
}
