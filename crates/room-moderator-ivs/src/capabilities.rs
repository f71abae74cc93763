//! What IVS Chat's DisconnectUser accepts, as data the engine validates from, plus the room ARN pattern
//! that an [`IdRule`] cannot express.
//!
//! Source: the service model's `DisconnectUserRequest` (roomIdentifier 1..128 matching the ARN pattern,
//! userId 1..128, reason 1..256; Smithy lengths count Unicode code points) and the IVS Chat service
//! quotas page (DisconnectUser: 100 TPS per account and region, not adjustable). The SDK checks none of
//! this, so without these rules a bad id would travel to AWS and come back as a ValidationException.

use room_moderator_core::{ApiLimits, Capabilities, IdRule, LengthUnit, ReasonSupport};

/// Room identifiers: 1..128 characters, and an ARN (see [`check_room_arn`]).
pub const ROOM_ID_RULE: IdRule = IdRule::max_chars(128);

/// User ids: 1..128 characters, any characters.
pub const USER_ID_RULE: IdRule = IdRule::max_chars(128);

/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 256;

/// DisconnectUser's documented quota, per account and region.
pub const REQUESTS_PER_SECOND: u32 = 100;

/// CreateChatToken: one token a call, 200 TPS per account and region (the IVS Chat service quotas
/// page), a quota of its own, apart from DisconnectUser's.
pub const CREATE_CHAT_TOKEN: ApiLimits = ApiLimits::new(1).with_rate_per_second(200);

/// IVS Chat's capabilities: one user per call, reasons up to 256 characters, 100 calls per second, no
/// "disconnect everyone", no member listing (no API lists a room: docs/providers/presence.md), bans kept
/// in the ban store (IVS has no ban rules), and join tokens issued through CreateChatToken.
///
/// ```
/// use room_moderator_core::{BanSupport, RoomClear};
/// use room_moderator_ivs::IVSCHAT_CAPABILITIES;
/// assert_eq!(IVSCHAT_CAPABILITIES.max_users_per_call.get(), 1);
/// assert_eq!(IVSCHAT_CAPABILITIES.requests_per_second.map(|r| r.get()), Some(100));
/// assert!(!IVSCHAT_CAPABILITIES.disconnect_all);
/// assert!(IVSCHAT_CAPABILITIES.members.is_none());
/// assert_eq!(IVSCHAT_CAPABILITIES.room_clear(), RoomClear::Unsupported);
/// assert_eq!(IVSCHAT_CAPABILITIES.bans, BanSupport::Store);
/// assert!(IVSCHAT_CAPABILITIES.tokens.is_some());
/// ```
pub const IVSCHAT_CAPABILITIES: Capabilities = Capabilities::new(1)
    .with_rate_per_second(REQUESTS_PER_SECOND)
    .with_reason(ReasonSupport::Limited {
        max_len: MAX_REASON_CHARS,
        unit: LengthUnit::Chars,
    })
    .with_disconnect_all(false)
    .with_room_id(ROOM_ID_RULE)
    .with_user_id(USER_ID_RULE)
    .with_tokens(CREATE_CHAT_TOKEN);

/// Checks that `room` matches `^arn:aws:ivschat:[a-z0-9-]+:[0-9]+:room/[a-zA-Z0-9-]+$` (the model's
/// pattern; "Currently this must be an ARN"), returning a sentence that says what is wrong.
///
/// ```
/// use room_moderator_ivs::check_room_arn;
/// assert!(check_room_arn("arn:aws:ivschat:us-east-1:123456789012:room/g1H2I3j4k5L6").is_ok());
/// assert!(check_room_arn("g1H2I3j4k5L6").is_err());
/// ```
pub fn check_room_arn(room: &str) -> Result<(), String> {
    check_arn(room, "ivschat", "room")
}

/// Checks that `value` matches `^arn:aws:<service>:[a-z0-9-]+:[0-9]+:<resource>/[a-zA-Z0-9-]+$`, the
/// pattern of IVS Chat room and IVS real-time stage ARNs alike.
pub(crate) fn check_arn(value: &str, service: &str, resource: &str) -> Result<(), String> {
    let prefix = format!("arn:aws:{service}:");
    let rest = value
        .strip_prefix(prefix.as_str())
        .ok_or_else(|| format!("does not start with {prefix:?}"))?;
    let (region, rest) = rest
        .split_once(':')
        .ok_or("has no account part after the region")?;
    if !all_of(region, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    }) {
        return Err(format!(
            "has region {region:?}; expected lowercase letters, digits and '-'"
        ));
    }
    let (account, rest) = rest
        .split_once(':')
        .ok_or("has no resource part after the account")?;
    if !all_of(account, |c| c.is_ascii_digit()) {
        return Err(format!("has account {account:?}; expected digits"));
    }
    let id = rest
        .strip_prefix(resource)
        .and_then(|id| id.strip_prefix('/'))
        .ok_or_else(|| format!("has resource {rest:?}; expected \"{resource}/<id>\""))?;
    if !all_of(id, |c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!(
            "has {resource} id {id:?}; expected letters, digits and '-'"
        ));
    }
    Ok(())
}

/// Non-empty and every character allowed (a regex `[...]+`).
fn all_of(part: &str, allowed: impl Fn(char) -> bool) -> bool {
    !part.is_empty() && part.chars().all(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_room_arns() {
        for arn in [
            "arn:aws:ivschat:us-east-1:123456789012:room/g1H2I3j4k5L6",
            "arn:aws:ivschat:eu-west-1:1:room/a",
            "arn:aws:ivschat:ap-northeast-2:000000000000:room/abc-DEF-123",
        ] {
            assert_eq!(check_room_arn(arn), Ok(()), "{arn}");
        }
    }

    #[test]
    fn rejects_what_the_pattern_rejects() {
        for (arn, says) in [
            ("g1H2I3j4k5L6", "does not start with"),
            (
                "arn:aws-cn:ivschat:cn-north-1:1:room/a",
                "does not start with",
            ),
            ("arn:aws:ivs:us-east-1:1:channel/a", "does not start with"),
            ("arn:aws:ivschat:", "no account part"),
            ("arn:aws:ivschat::1:room/a", "region \"\""),
            ("arn:aws:ivschat:US-EAST-1:1:room/a", "region \"US-EAST-1\""),
            ("arn:aws:ivschat:us-east-1:12a:room/a", "account \"12a\""),
            ("arn:aws:ivschat:us-east-1::room/a", "account \"\""),
            ("arn:aws:ivschat:us-east-1:1", "no resource part"),
            (
                "arn:aws:ivschat:us-east-1:1:channel/a",
                "resource \"channel/a\"",
            ),
            ("arn:aws:ivschat:us-east-1:1:room/", "room id \"\""),
            ("arn:aws:ivschat:us-east-1:1:room/a_b", "room id \"a_b\""),
            ("arn:aws:ivschat:us-east-1:1:room/a/b", "room id \"a/b\""),
            ("arn:aws:ivschat:us-east-1:1:room/é", "room id"),
        ] {
            let err = check_room_arn(arn).expect_err(arn);
            assert!(err.contains(says), "{arn}: {err}");
        }
    }

    #[test]
    fn limits_follow_the_model() {
        assert!(USER_ID_RULE.check(&"u".repeat(128)).is_ok());
        assert!(USER_ID_RULE.check(&"u".repeat(129)).is_err());
        assert!(USER_ID_RULE.check("").is_err());
        // Characters, not bytes: 128 two-byte characters are fine.
        assert!(USER_ID_RULE.check(&"é".repeat(128)).is_ok());
        assert!(ROOM_ID_RULE.check(&"r".repeat(129)).is_err());
        assert_eq!(
            IVSCHAT_CAPABILITIES.reason,
            ReasonSupport::Limited {
                max_len: 256,
                unit: LengthUnit::Chars
            }
        );
    }
}
