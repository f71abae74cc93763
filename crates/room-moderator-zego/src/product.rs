//! ZEGO's two products with a kick API, ZIM and Express RTC, as data: everything that differs between
//! them (action, host, limits, extra parameters) lives here, so the signer, the request builder and the
//! decoder are shared.

use std::fmt;

use std::num::NonZeroU32;
use std::time::Duration;

use room_moderator_core::{
    AbsentUsers, ApiLimits, BanSupport, Capabilities, CharSet, Error, IdRule, LengthUnit,
    ReasonSupport, UserId,
};

/// Characters ZIM accepts in `RoomId`, `UserId` and `FromUserId`: digits, ASCII letters, space and
/// ``! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~ ,`` (zim-server docs, "Remove users from the
/// room"; older pages did not list `,` and space, newer ones do, so both are accepted).
pub const ZIM_ID_CHARSET: CharSet = CharSet {
    description: "digits, ASCII letters, space and !#$%&()+-:;<=.>?@[]^_{}|~,",
    allows: zim_id_char,
};

fn zim_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&()+-:;<=.>?@[]^_{}|~, ".contains(c)
}

/// ZIM `QueryRoomUserList`: 500 members a page (the same `Limit` on every page), 20/s. Whether the
/// rate is per AppID or per room, and whether it shares `KickoutRoomUser`'s 20/s, is UNVERIFIED
/// (docs/providers/presence.md): paced as sharing it, the conservative reading.
pub const ZIM_MEMBERS: ApiLimits = ApiLimits::new(500)
    .with_rate_per_second(20)
    .sharing_kick_quota();

/// ZIM `QueryRoomMembers`: 10 users a call, 5/s per room (the API page; an overview table says 20/s,
/// docs/providers/presence.md plans for 5), paced as also sharing the kick's 20/s (UNVERIFIED, conservative).
pub const ZIM_PRESENCE: ApiLimits = ApiLimits::new(10)
    .with_rate_per_second(5)
    .per_room()
    .sharing_kick_quota();

/// Express RTC `DescribeUserList`: 200 members a page, 1/s per room (and 200/s per AppID, which the
/// per-room pace never approaches for one room).
pub const RTC_MEMBERS: ApiLimits = ApiLimits::new(200).with_rate_per_second(1).per_room();

/// The longest Express RTC ban rule: `EffectiveTime` 1..86400 s (docs/providers/bans.md §1.2).
pub const RTC_MAX_RULE_DURATION: Duration = Duration::from_secs(86_400);

/// Express RTC user ban rules (`SetForbidUserRule` with `RuleType` 4): at most a day each, 200 in
/// force, 10 sets or deletes a second, and listing at 1/s (the Chinese overview; the English page says
/// 10/s: the stricter is planned for). The feature must be enabled by ZEGO support.
pub const RTC_BANS: BanSupport = BanSupport::Native {
    max_duration: RTC_MAX_RULE_DURATION,
    max_rules: Some(200),
    requests_per_second: NonZeroU32::new(10),
    list_requests_per_second: NonZeroU32::new(1),
};

/// Login tokens (token04) are built locally: no provider call, no rate.
pub const LOGIN_TOKENS: ApiLimits = ApiLimits::new(1);

/// ZIM `KickoutRoomUser`: 50 users per call, 20 requests/s per AppID, `CustomReason` up to 32 bytes,
/// `RoomId` up to 32 characters and `UserId` up to 32 bytes from [`ZIM_ID_CHARSET`]. Members listed
/// by [`ZIM_MEMBERS`], presence asked by [`ZIM_PRESENCE`]; a kick naming an absent user fails the
/// whole call (660300002), so the engine checks presence first. No ban rules: the ban store keeps
/// banned users out (docs/providers/bans.md §1.1). Login tokens per [`LOGIN_TOKENS`].
///
/// The page says the reason is "recommended not to exceed 32 bytes" and lists "<= 32 characters";
/// counting bytes is the stricter reading and never sends something ZEGO may reject.
pub const ZIM_CAPABILITIES: Capabilities = Capabilities::new(50)
    .with_rate_per_second(20)
    .with_reason(ReasonSupport::Limited {
        max_len: 32,
        unit: LengthUnit::Bytes,
    })
    .with_room_id(IdRule::max_chars(32).with_charset(ZIM_ID_CHARSET))
    .with_user_id(IdRule::max_bytes(32).with_charset(ZIM_ID_CHARSET))
    .with_members(ZIM_MEMBERS)
    .with_presence(ZIM_PRESENCE)
    .with_absent_users(AbsentUsers::FailTheCall)
    .with_tokens(LOGIN_TOKENS);

/// Express RTC `KickoutUser`: 5 users per call, 50 requests/s per AppID (all rooms together),
/// `CustomReason` up to 256 bytes. The RTC page documents no id length or character rules; the request
/// builder percent-encodes whatever is given.
///
/// Members listed by [`RTC_MEMBERS`]; no presence query is needed (`KickoutUser` answers success for
/// absent users); native ban rules per [`RTC_BANS`]; login tokens per [`LOGIN_TOKENS`].
pub const RTC_CAPABILITIES: Capabilities = Capabilities::new(5)
    .with_rate_per_second(50)
    .with_reason(ReasonSupport::Limited {
        max_len: 256,
        unit: LengthUnit::Bytes,
    })
    .with_members(RTC_MEMBERS)
    .with_bans(RTC_BANS)
    .with_tokens(LOGIN_TOKENS);

/// One of ZEGO's products with a kick API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// ZIM in-app chat rooms (`KickoutRoomUser`).
    Zim,
    /// Express RTC audio/video rooms (`KickoutUser`).
    Rtc,
}

impl Service {
    /// The label in the host name: `zim` in `zim-api.zego.im`.
    pub fn label(self) -> &'static str {
        match self {
            Service::Zim => "zim",
            Service::Rtc => "rtc",
        }
    }

    /// The provider name in errors and reports: `zego-zim` or `zego-rtc`.
    pub fn provider(self) -> &'static str {
        match self {
            Service::Zim => "zego-zim",
            Service::Rtc => "zego-rtc",
        }
    }

    /// The `Action` query parameter of the kick call.
    pub fn action(self) -> &'static str {
        match self {
            Service::Zim => "KickoutRoomUser",
            Service::Rtc => "KickoutUser",
        }
    }

    /// The product's capabilities ([`ZIM_CAPABILITIES`] or [`RTC_CAPABILITIES`], also
    /// [`Product::CAPABILITIES`]).
    pub fn capabilities(self) -> Capabilities {
        match self {
            Service::Zim => ZIM_CAPABILITIES,
            Service::Rtc => RTC_CAPABILITIES,
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.provider())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Zim {}
    impl Sealed for super::Rtc {}
    impl Sealed for super::ZimOptions {}
    impl Sealed for super::RtcOptions {}
}

/// A ZEGO product at the type level, so that one builder and one adapter serve both, and product-only
/// settings (`with_from_user_id`, `with_is_test`) exist only where they mean something.
/// Sealed: implemented by [`Zim`] and [`Rtc`].
pub trait Product: sealed::Sealed + fmt::Debug + Send + Sync + 'static {
    /// Which product.
    const SERVICE: Service;
    /// What it can do ([`ZIM_CAPABILITIES`] or [`RTC_CAPABILITIES`]): the adapter offers an
    /// operation exactly when these say so.
    const CAPABILITIES: Capabilities;
    /// Settings only this product has.
    type Options: ProductOptions;
}

/// Product-only settings, turned into extra query parameters. Sealed.
pub trait ProductOptions:
    sealed::Sealed + Clone + fmt::Debug + Default + Send + Sync + 'static
{
    /// Whether [`params`](Self::params) go on every call of the product (RTC's `IsTest` is a public
    /// parameter) or on its removal only (ZIM's `FromUserId` names the removal's operator).
    const ON_EVERY_CALL: bool;
    /// Checks the settings when the adapter is built.
    fn check(&self) -> Result<(), Error>;
    /// Appends this product's extra query parameters, in order.
    fn params(&self, out: &mut Vec<(&'static str, String)>);
}

/// ZIM, the in-app chat product.
#[derive(Debug)]
pub enum Zim {}

/// Express RTC, the audio/video product.
#[derive(Debug)]
pub enum Rtc {}

impl Product for Zim {
    const SERVICE: Service = Service::Zim;
    const CAPABILITIES: Capabilities = ZIM_CAPABILITIES;
    type Options = ZimOptions;
}

impl Product for Rtc {
    const SERVICE: Service = Service::Rtc;
    const CAPABILITIES: Capabilities = RTC_CAPABILITIES;
    type Options = RtcOptions;
}

/// ZIM-only settings.
#[derive(Clone, Debug, Default)]
pub struct ZimOptions {
    /// `FromUserId`: the operator named in the removal (a registered ZIM user; it does not join the
    /// room). Optional.
    pub from_user_id: Option<UserId>,
}

impl ProductOptions for ZimOptions {
    const ON_EVERY_CALL: bool = false;

    fn check(&self) -> Result<(), Error> {
        match &self.from_user_id {
            Some(id) => ZIM_CAPABILITIES
                .user_id
                .check(id.as_str())
                .map_err(|problem| {
                    Error::config(format!("FromUserId {:?} {problem}", id.as_str()))
                        .with_provider(Service::Zim.provider())
                }),
            None => Ok(()),
        }
    }

    fn params(&self, out: &mut Vec<(&'static str, String)>) {
        if let Some(id) = &self.from_user_id {
            out.push(("FromUserId", id.as_str().to_owned()));
        }
    }
}

/// Express RTC-only settings.
#[derive(Clone, Debug, Default)]
pub struct RtcOptions {
    /// `IsTest`: only projects created on or before 2021-11-16 need it (`true` for their testing
    /// environment). Left out of the query when `None`, which ZEGO treats as `false`.
    pub is_test: Option<bool>,
}

impl ProductOptions for RtcOptions {
    const ON_EVERY_CALL: bool = true;

    fn check(&self) -> Result<(), Error> {
        Ok(())
    }

    fn params(&self, out: &mut Vec<(&'static str, String)>) {
        if let Some(is_test) = self.is_test {
            out.push(("IsTest", is_test.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zim_charset_follows_the_documented_list() {
        for ok in ["abcXYZ019", "a b", "!#$%&()+-:;<=.>?@[]^_{}|~,"] {
            assert!(ZIM_CAPABILITIES.user_id.check(ok).is_ok(), "{ok}");
        }
        for bad in ["a/b", "a*b", "é", "a\"b", "a'b", "a\\b", "a`b", "a\nb"] {
            assert!(ZIM_CAPABILITIES.user_id.check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zim_limits() {
        let caps = ZIM_CAPABILITIES;
        assert_eq!(caps.max_users_per_call.get(), 50);
        assert_eq!(caps.requests_per_second.map(|r| r.get()), Some(20));
        assert!(caps.room_id.check(&"r".repeat(32)).is_ok());
        assert!(caps.room_id.check(&"r".repeat(33)).is_err());
        assert!(caps.user_id.check(&"u".repeat(32)).is_ok());
        assert!(caps.user_id.check(&"u".repeat(33)).is_err());
        assert_eq!(
            caps.reason,
            ReasonSupport::Limited {
                max_len: 32,
                unit: LengthUnit::Bytes
            }
        );
    }

    #[test]
    fn rtc_limits() {
        let caps = RTC_CAPABILITIES;
        assert_eq!(caps.max_users_per_call.get(), 5);
        assert_eq!(caps.requests_per_second.map(|r| r.get()), Some(50));
        assert_eq!(
            caps.reason,
            ReasonSupport::Limited {
                max_len: 256,
                unit: LengthUnit::Bytes
            }
        );
        assert!(!caps.disconnect_all);
    }

    #[test]
    fn options_become_parameters() {
        let mut out = Vec::new();
        ZimOptions {
            from_user_id: Some(UserId::new("admin")),
        }
        .params(&mut out);
        RtcOptions {
            is_test: Some(true),
        }
        .params(&mut out);
        RtcOptions::default().params(&mut out);
        assert_eq!(
            out,
            [
                ("FromUserId", "admin".to_owned()),
                ("IsTest", "true".to_owned())
            ]
        );
    }

    #[test]
    fn a_bad_operator_id_is_a_config_error() {
        let options = ZimOptions {
            from_user_id: Some(UserId::new("bad/id")),
        };
        let err = options.check().unwrap_err();
        assert_eq!(err.kind(), room_moderator_core::ErrorKind::Config);
        assert!(err.message().contains("FromUserId"), "{err}");
    }
}
