//! ZEGO's documented result codes as data: one row per code, mapped to an [`ErrorKind`] and to whom the
//! failure belongs. Sources: zegocloud.com/docs/zim-server (public return codes, room return codes) and
//! the Express RTC server API's return codes; see docs/providers/zego.md.

use room_moderator_core::toolkit::CodeMeaning;
use room_moderator_core::{Error, ErrorKind};

use crate::Service;
use crate::api::Api;

/// Which product's code space a row belongs to. The public (gateway) codes are shared: both products
/// sit behind the same signing gateway. Code 3 differs: "authentication failed" in ZIM, "parameter
/// too long" in RTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    Both,
    Zim,
    Rtc,
}

impl Scope {
    fn covers(self, service: Service) -> bool {
        matches!(
            (self, service),
            (Scope::Both, _) | (Scope::Zim, Service::Zim) | (Scope::Rtc, Service::Rtc)
        )
    }
}

/// Whom a failure code is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Blame {
    /// The whole call: every user in it gets the same outcome.
    Call,
    /// Some user in the call, but the answer does not say which; the engine splits the batch to find
    /// out (on a one-user call it is that user's outcome).
    SomeUser,
}

/// One documented code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CodeRow {
    pub code: i64,
    pub scope: Scope,
    pub kind: ErrorKind,
    pub blame: Blame,
    pub meaning: &'static str,
}

const fn row(
    code: i64,
    scope: Scope,
    kind: ErrorKind,
    blame: Blame,
    meaning: &'static str,
) -> CodeRow {
    CodeRow {
        code,
        scope,
        kind,
        blame,
        meaning,
    }
}

use Blame::{Call, SomeUser};
use ErrorKind::{
    AccountNotReady, InvalidInput, NotFound, NotInRoom, PermissionDenied, Throttled,
    Unauthenticated, Unavailable, Unsupported,
};
use Scope::{Both, Rtc, Zim};

/// Every documented failure code (0 is success and handled by the decoder).
pub(crate) const CODES: &[CodeRow] = &[
    // Public codes, any call.
    row(1, Both, Unavailable, Call, "failed / server busy"),
    row(2, Both, InvalidInput, Call, "input parameter error"),
    row(3, Zim, Unauthenticated, Call, "authentication failed"),
    row(3, Rtc, InvalidInput, Call, "parameter too long"),
    // Which code a throttled KickoutRoomUser returns is UNVERIFIED: 7, 660300005 and 660300006 all
    // count as throttling, so they are retried with backoff and never reported as permanent.
    row(
        7,
        Both,
        Throttled,
        Call,
        "requests per second exceeded the system setting",
    ),
    row(100000001, Both, Unauthenticated, Call, "bad AppId format"),
    row(100000002, Both, Unauthenticated, Call, "Timestamp empty"),
    row(
        100000003,
        Both,
        Unauthenticated,
        Call,
        "Timestamp bad format",
    ),
    row(
        100000004,
        Both,
        Unauthenticated,
        Call,
        "signature expired: check the clock (at most 10 minutes of skew)",
    ),
    row(
        100000005,
        Both,
        Unauthenticated,
        Call,
        "signature invalid: check AppId and ServerSecret",
    ),
    row(100000006, Both, InvalidInput, Call, "Action empty"),
    row(
        100000007,
        Both,
        Unsupported,
        Call,
        "Action not supported here: check the endpoint's product",
    ),
    row(
        100000008,
        Both,
        Unauthenticated,
        Call,
        "SignatureNonce empty",
    ),
    row(100000009, Both, Unauthenticated, Call, "Signature empty"),
    row(
        100000010,
        Both,
        Unauthenticated,
        Call,
        "failed to get ServerSecret: check AppId",
    ),
    row(
        100000011,
        Both,
        Unauthenticated,
        Call,
        "failed to get app config: check AppId",
    ),
    row(
        100000013,
        Both,
        Unauthenticated,
        Call,
        "SignatureVersion empty",
    ),
    row(
        100000014,
        Both,
        Unauthenticated,
        Call,
        "SignatureVersion not supported",
    ),
    row(100000015, Both, Unavailable, Call, "gateway internal error"),
    row(
        100000016,
        Both,
        AccountNotReady,
        Call,
        "app has no production environment",
    ),
    row(
        100000017,
        Both,
        AccountNotReady,
        Call,
        "app has not enabled this service",
    ),
    // ZIM business codes.
    row(660000001, Zim, Unavailable, Call, "general error"),
    row(660000002, Zim, InvalidInput, Call, "invalid parameter"),
    row(660000003, Zim, InvalidInput, Call, "logic error"),
    row(
        660000011,
        Zim,
        InvalidInput,
        Call,
        "user count exceeds limit",
    ),
    row(
        660000012,
        Zim,
        InvalidInput,
        SomeUser,
        "user ID longer than 32 bytes",
    ),
    row(
        660300001,
        Zim,
        NotFound,
        Call,
        "room does not exist (or was destroyed)",
    ),
    // UNVERIFIED: whether ZEGO fails a whole multi-user call for one absent user, or removes the
    // others first. Either way the answer names no user, so the engine splits the batch.
    row(
        660300002,
        Zim,
        NotInRoom,
        SomeUser,
        "user not in this room (or the UserId does not exist)",
    ),
    row(
        660300005,
        Zim,
        Throttled,
        Call,
        "call frequency exceeds the AppID-level limit",
    ),
    row(
        660300006,
        Zim,
        Throttled,
        Call,
        "call frequency exceeds the room-level limit",
    ),
    row(660300007, Zim, Unavailable, Call, "get room failed"),
    // The room is being destroyed and nobody is left in it: nobody in the call is in the room.
    row(
        660300008,
        Zim,
        NotInRoom,
        Call,
        "room user list empty (room in delayed destruction)",
    ),
    row(
        660300012,
        Zim,
        NotInRoom,
        SomeUser,
        "user not in the specified room",
    ),
    // Express RTC (room signalling) codes.
    row(8, Rtc, InvalidInput, Call, "decode failed"),
    row(9, Rtc, AccountNotReady, Call, "API not enabled"),
    row(104, Rtc, NotFound, Call, "room does not exist"),
    row(105, Rtc, NotInRoom, SomeUser, "user does not exist"),
    row(206, Rtc, Throttled, Call, "app QPS limited"),
    row(207, Rtc, Throttled, Call, "room QPS limited"),
    row(5024, Rtc, NotFound, Call, "room does not exist"),
    row(50001, Rtc, NotFound, Call, "room does not exist"),
    row(
        50003,
        Rtc,
        NotInRoom,
        SomeUser,
        "failed to find user online info",
    ),
    row(50011, Rtc, InvalidInput, Call, "user list too long"),
];

/// Express RTC's code while user ban rules are not enabled for the AppID (`SetForbidUserRule`,
/// `DelForbidUserRule`, `DescribeForbidUserRules`); see [`is_ban_rules_not_enabled`].
pub const BAN_RULES_NOT_ENABLED: &str = "9";

/// Express RTC's code when 200 ban rules are already in force (`SetForbidUserRule`); see
/// [`is_ban_rule_limit_reached`].
pub const BAN_RULE_LIMIT_REACHED: &str = "50123";

/// The message of [`BAN_RULES_NOT_ENABLED`] (followed by what ZEGO said).
pub(crate) const BAN_RULES_NOT_ENABLED_MEANING: &str =
    "SetForbidUserRule is not enabled for this AppID; ask ZEGO support to enable user ban rules";

/// The message of [`BAN_RULE_LIMIT_REACHED`] (followed by what ZEGO said).
pub(crate) const BAN_RULE_LIMIT_MEANING: &str = "the limit of 200 active ban rules is reached";

/// Codes whose meaning for one API differs from the product's table: (API, row). Code 9 is "API not
/// enabled" everywhere, but for the ban rule calls it means the feature ZEGO support switches on
/// per AppID: a distinct, permanent [`ErrorKind::PermissionDenied`]. 50123 (200 rules in force) is
/// permanent too, [`ErrorKind::Unsupported`] (nothing the caller changes in the request helps; the
/// ban store keeps the user out instead).
const API_CODES: &[(Api, CodeRow)] = &[
    (
        Api::SetForbidUserRule,
        row(
            9,
            Rtc,
            PermissionDenied,
            Call,
            BAN_RULES_NOT_ENABLED_MEANING,
        ),
    ),
    (
        Api::DelForbidUserRule,
        row(
            9,
            Rtc,
            PermissionDenied,
            Call,
            BAN_RULES_NOT_ENABLED_MEANING,
        ),
    ),
    (
        Api::DescribeForbidUserRules,
        row(
            9,
            Rtc,
            PermissionDenied,
            Call,
            BAN_RULES_NOT_ENABLED_MEANING,
        ),
    ),
    (
        Api::SetForbidUserRule,
        row(50123, Rtc, Unsupported, Call, BAN_RULE_LIMIT_MEANING),
    ),
    (
        Api::DelForbidUserRule,
        row(50123, Rtc, Unsupported, Call, BAN_RULE_LIMIT_MEANING),
    ),
];

/// Whether `error` is Express RTC saying that user ban rules are not enabled for the AppID (code 9
/// on a ban rule call): [`ErrorKind::PermissionDenied`], permanent, provider `zego-rtc`, code `"9"`.
/// The ban store still keeps banned users out; ask ZEGO support to enable the rules.
pub fn is_ban_rules_not_enabled(error: &Error) -> bool {
    error.provider() == Some(Service::Rtc.provider())
        && error.kind() == PermissionDenied
        && error.code() == Some(BAN_RULES_NOT_ENABLED)
}

/// Whether `error` is Express RTC refusing a ban rule because 200 are in force (code 50123):
/// [`ErrorKind::Unsupported`], permanent, provider `zego-rtc`, code `"50123"`.
pub fn is_ban_rule_limit_reached(error: &Error) -> bool {
    error.provider() == Some(Service::Rtc.provider())
        && error.kind() == Unsupported
        && error.code() == Some(BAN_RULE_LIMIT_REACHED)
}

impl CodeRow {
    /// The row as core's classification reads it.
    pub(crate) fn meaning(&self) -> CodeMeaning {
        CodeMeaning::new(self.kind, self.meaning)
    }
}

/// The row for `code` in `service`'s code space.
pub(crate) fn lookup(service: Service, code: i64) -> Option<&'static CodeRow> {
    CODES
        .iter()
        .find(|row| row.code == code && row.scope.covers(service))
}

/// The row for `code` answered by `api`: its own meaning if it has one, else its product's.
pub(crate) fn lookup_for(api: Api, code: i64) -> Option<&'static CodeRow> {
    API_CODES
        .iter()
        .find(|(for_api, row)| *for_api == api && row.code == code)
        .map(|(_, row)| row)
        .or_else(|| lookup(api.service(), code))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use room_moderator_core::RetryStatus;

    use super::*;

    /// Every code listed in docs/providers/zego.md with its expected mapping, written out independently of
    /// the table: (code, product, kind, blamed on some unnamed user).
    const EXPECTED: &[(i64, Service, ErrorKind, bool)] = &[
        (1, Service::Zim, Unavailable, false),
        (1, Service::Rtc, Unavailable, false),
        (2, Service::Zim, InvalidInput, false),
        (2, Service::Rtc, InvalidInput, false),
        (3, Service::Zim, Unauthenticated, false),
        (3, Service::Rtc, InvalidInput, false),
        (7, Service::Zim, Throttled, false),
        (7, Service::Rtc, Throttled, false),
        (100000001, Service::Zim, Unauthenticated, false),
        (100000002, Service::Zim, Unauthenticated, false),
        (100000003, Service::Zim, Unauthenticated, false),
        (100000004, Service::Zim, Unauthenticated, false),
        (100000004, Service::Rtc, Unauthenticated, false),
        (100000005, Service::Zim, Unauthenticated, false),
        (100000005, Service::Rtc, Unauthenticated, false),
        (100000006, Service::Zim, InvalidInput, false),
        (100000007, Service::Zim, Unsupported, false),
        (100000008, Service::Zim, Unauthenticated, false),
        (100000009, Service::Zim, Unauthenticated, false),
        (100000010, Service::Zim, Unauthenticated, false),
        (100000011, Service::Zim, Unauthenticated, false),
        (100000013, Service::Zim, Unauthenticated, false),
        (100000014, Service::Zim, Unauthenticated, false),
        (100000015, Service::Zim, Unavailable, false),
        (100000015, Service::Rtc, Unavailable, false),
        (100000016, Service::Zim, AccountNotReady, false),
        (100000017, Service::Rtc, AccountNotReady, false),
        (660000001, Service::Zim, Unavailable, false),
        (660000002, Service::Zim, InvalidInput, false),
        (660000003, Service::Zim, InvalidInput, false),
        (660000011, Service::Zim, InvalidInput, false),
        (660000012, Service::Zim, InvalidInput, true),
        (660300001, Service::Zim, NotFound, false),
        (660300002, Service::Zim, NotInRoom, true),
        (660300005, Service::Zim, Throttled, false),
        (660300006, Service::Zim, Throttled, false),
        (660300007, Service::Zim, Unavailable, false),
        (660300008, Service::Zim, NotInRoom, false),
        (660300012, Service::Zim, NotInRoom, true),
        (8, Service::Rtc, InvalidInput, false),
        (9, Service::Rtc, AccountNotReady, false),
        (104, Service::Rtc, NotFound, false),
        (105, Service::Rtc, NotInRoom, true),
        (206, Service::Rtc, Throttled, false),
        (207, Service::Rtc, Throttled, false),
        (5024, Service::Rtc, NotFound, false),
        (50001, Service::Rtc, NotFound, false),
        (50003, Service::Rtc, NotInRoom, true),
        (50011, Service::Rtc, InvalidInput, false),
    ];

    #[test]
    fn every_documented_code_maps_as_expected() {
        for &(code, service, kind, some_user) in EXPECTED {
            let row =
                lookup(service, code).unwrap_or_else(|| panic!("{code} missing for {service}"));
            assert_eq!(row.kind, kind, "{code} in {service}");
            assert_eq!(row.blame == SomeUser, some_user, "{code} in {service}");
        }
    }

    #[test]
    fn every_row_is_pinned_by_the_expectations() {
        let pinned: HashSet<(i64, Scope)> = CODES
            .iter()
            .filter(|row| {
                EXPECTED
                    .iter()
                    .any(|&(code, service, _, _)| code == row.code && row.scope.covers(service))
            })
            .map(|row| (row.code, row.scope))
            .collect();
        for row in CODES {
            assert!(
                pinned.contains(&(row.code, row.scope)),
                "row {} has no expectation",
                row.code
            );
        }
    }

    #[test]
    fn one_row_per_code_and_product() {
        for service in [Service::Zim, Service::Rtc] {
            let mut seen = HashSet::new();
            for row in CODES.iter().filter(|row| row.scope.covers(service)) {
                assert!(seen.insert(row.code), "{} twice for {service}", row.code);
            }
        }
    }

    #[test]
    fn throttling_is_never_permanent() {
        for row in CODES.iter().filter(|row| row.kind == Throttled) {
            assert_eq!(
                row.kind.default_status(),
                RetryStatus::Temporary,
                "{}",
                row.code
            );
        }
    }

    #[test]
    fn ban_rule_codes_have_their_own_meaning_on_ban_rule_calls_only() {
        for api in [
            Api::SetForbidUserRule,
            Api::DelForbidUserRule,
            Api::DescribeForbidUserRules,
        ] {
            let row = lookup_for(api, 9).unwrap();
            assert_eq!(row.kind, PermissionDenied, "{api:?}");
            assert!(row.meaning.contains("ask ZEGO support"), "{api:?}");
            assert_eq!(lookup_for(api, 206).unwrap().kind, Throttled);
        }
        assert_eq!(
            lookup_for(Api::KickoutUser, 9).unwrap().kind,
            AccountNotReady
        );
        assert_eq!(
            lookup_for(Api::DescribeUserList, 9).unwrap().kind,
            AccountNotReady
        );
        let row = lookup_for(Api::SetForbidUserRule, 50123).unwrap();
        assert_eq!(row.kind, Unsupported);
        assert!(row.meaning.contains("200 active ban rules"));
        assert_eq!(row.kind.default_status(), RetryStatus::Permanent);
        assert!(lookup_for(Api::KickoutUser, 50123).is_none());
        assert_eq!(
            lookup_for(Api::QueryRoomMembers, 660300006).unwrap().kind,
            Throttled
        );
        for (api, _) in API_CODES {
            assert_eq!(api.service(), Service::Rtc);
        }
    }

    #[test]
    fn product_codes_stay_in_their_product() {
        assert!(lookup(Service::Rtc, 660300002).is_none());
        assert!(lookup(Service::Zim, 206).is_none());
        assert!(lookup(Service::Zim, 0).is_none());
        assert!(lookup(Service::Rtc, 123456).is_none());
    }
}
