//! Faults aimed at one API and lasting for a number of calls or for good: throttle every call of
//! ZIM's kick, answer the next three calls of IVS's CreateChatToken with a captive proxy's HTML page,
//! throttle the first ten calls as if another job had just spent the quota.
//!
//! A rule ([`FaultRule`]) lives in the [`Controls`](crate::Controls) of the listener serving the API
//! and is matched by [`Api`]. The same rules are written as text for `moderator emulate --fault`
//! and the admin API ([`FaultSpec`], `API=FAULT`):
//!
//! | `FAULT` | answers |
//! |---|---|
//! | `throttle` | every call: the provider's own throttled answer |
//! | `throttle-first:N` | the first `N` calls, then normal service |
//! | `body:STATUS:TYPE:BODY` | every call: HTTP `STATUS`, `Content-Type: TYPE`, `BODY` |
//! | `body-first:N:STATUS:TYPE:BODY` | the next `N` calls, then normal service |
//!
//! `throttle` and `body` take `retry-after=SECONDS` right after the mode (`throttle:retry-after=2`,
//! `throttle-first:10:retry-after=1`, `body:retry-after=1:429:text/plain:slow down`); `BODY` is the
//! rest of the text, colons included, and may be empty. `API` is one of [`Api::ALL`]'s names
//! (`zim-kick`, `ivs-token`, `agora-rtc-kick`, `livekit-remove`, `ivs-stages-disconnect`, ...) or a
//! listener's ([`Listener`]: `zim`, `rtc`, `ivs`, `enablex`, `agora-rtc`, `agora-chat`, `livekit`,
//! `ivs-stages`) for every call it serves.
//!
//! The provider's own throttled answer is the one each emulator gives over its rate limit: ZEGO
//! HTTP 200 with code 660300005 (ZIM) or 206 (RTC) and no `Retry-After` (ZEGO documents none; a
//! gateway's HTTP 429 is a `body` fault), IVS Chat HTTP 429 `ThrottlingException`, EnableX HTTP 429
//! `RATE_LIMITED` (with `Retry-After` when one is given) and, on signalling, an ack
//! `{"result": 429}`, Agora RTC HTTP 429 `Too many requests`, Agora Chat HTTP 429 `reach_limit`.

use std::fmt;
use std::str::FromStr;

use crate::Fault;

/// An API of an emulated provider, as fault rules name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// ZEGO ZIM `KickoutRoomUser`.
    ZimKick,
    /// ZEGO ZIM `QueryRoomUserList` (the room's listing).
    ZimList,
    /// ZEGO ZIM `QueryRoomMembers` (the presence check).
    ZimMembers,
    /// ZEGO Express RTC `KickoutUser`.
    RtcKick,
    /// ZEGO Express RTC `DescribeUserList`.
    RtcList,
    /// ZEGO Express RTC `SetForbidUserRule` (a ban rule).
    RtcBan,
    /// ZEGO Express RTC `DelForbidUserRule`.
    RtcUnban,
    /// ZEGO Express RTC `DescribeForbidUserRules`.
    RtcBans,
    /// IVS Chat `DisconnectUser`.
    IvsKick,
    /// IVS Chat `CreateChatToken`.
    IvsToken,
    /// EnableX REST `POST /video/v2/rooms/{room}/tokens`.
    EnablexToken,
    /// EnableX REST `GET /video/v2/rooms/{room}/users`.
    EnablexUsers,
    /// EnableX signalling `token` (joining a room).
    EnablexJoin,
    /// EnableX signalling `drop` (the moderator's removal).
    EnablexDrop,
    /// Agora RTC `POST /dev/v1/kicking-rule` (a kick, or a ban's rule).
    AgoraRtcKick,
    /// Agora RTC `GET /dev/v1/channel/user/{appid}/{channel}` (the online list).
    AgoraRtcOnline,
    /// Agora RTC `GET /dev/v1/kicking-rule` (the rule list).
    AgoraRtcRules,
    /// Agora RTC `DELETE /dev/v1/kicking-rule` (an unban).
    AgoraRtcUnban,
    /// Agora Chat `DELETE .../chatrooms/{id}/users/{names}` (removal).
    AgoraChatRemove,
    /// Agora Chat `GET .../chatrooms/{id}/users` (the member list).
    AgoraChatMembers,
    /// Agora Chat `POST .../chatrooms/{id}/blocks/users` (a block: the ban).
    AgoraChatBlock,
    /// Agora Chat `DELETE .../chatrooms/{id}/blocks/users/{names}` (an unblock).
    AgoraChatUnblock,
    /// Agora Chat `GET .../chatrooms/{id}/blocks/users` (the block list).
    AgoraChatBlocks,
    /// LiveKit `RoomService.RemoveParticipant`.
    LivekitRemove,
    /// LiveKit `RoomService.ListParticipants`.
    LivekitList,
    /// LiveKit `RoomService.GetParticipant`.
    LivekitGet,
    /// IVS real-time `DisconnectParticipant`.
    StagesDisconnect,
    /// IVS real-time `ListParticipants`.
    StagesList,
    /// IVS real-time `GetStage`.
    StagesGet,
    /// IVS real-time `CreateParticipantToken`.
    StagesToken,
}

impl Api {
    /// Every API, in the order of the table in the crate's documentation.
    pub const ALL: [Api; 30] = [
        Api::ZimKick,
        Api::ZimList,
        Api::ZimMembers,
        Api::RtcKick,
        Api::RtcList,
        Api::RtcBan,
        Api::RtcUnban,
        Api::RtcBans,
        Api::IvsKick,
        Api::IvsToken,
        Api::EnablexToken,
        Api::EnablexUsers,
        Api::EnablexJoin,
        Api::EnablexDrop,
        Api::AgoraRtcKick,
        Api::AgoraRtcOnline,
        Api::AgoraRtcRules,
        Api::AgoraRtcUnban,
        Api::AgoraChatRemove,
        Api::AgoraChatMembers,
        Api::AgoraChatBlock,
        Api::AgoraChatUnblock,
        Api::AgoraChatBlocks,
        Api::LivekitRemove,
        Api::LivekitList,
        Api::LivekitGet,
        Api::StagesDisconnect,
        Api::StagesList,
        Api::StagesGet,
        Api::StagesToken,
    ];

    /// The name fault rules use: `zim-kick`, `ivs-token`, ...
    pub fn name(self) -> &'static str {
        match self {
            Api::ZimKick => "zim-kick",
            Api::ZimList => "zim-list",
            Api::ZimMembers => "zim-members",
            Api::RtcKick => "rtc-kick",
            Api::RtcList => "rtc-list",
            Api::RtcBan => "rtc-ban",
            Api::RtcUnban => "rtc-unban",
            Api::RtcBans => "rtc-bans",
            Api::IvsKick => "ivs-kick",
            Api::IvsToken => "ivs-token",
            Api::EnablexToken => "enablex-token",
            Api::EnablexUsers => "enablex-users",
            Api::EnablexJoin => "enablex-join",
            Api::EnablexDrop => "enablex-drop",
            Api::AgoraRtcKick => "agora-rtc-kick",
            Api::AgoraRtcOnline => "agora-rtc-online",
            Api::AgoraRtcRules => "agora-rtc-rules",
            Api::AgoraRtcUnban => "agora-rtc-unban",
            Api::AgoraChatRemove => "agora-chat-remove",
            Api::AgoraChatMembers => "agora-chat-members",
            Api::AgoraChatBlock => "agora-chat-block",
            Api::AgoraChatUnblock => "agora-chat-unblock",
            Api::AgoraChatBlocks => "agora-chat-blocks",
            Api::LivekitRemove => "livekit-remove",
            Api::LivekitList => "livekit-list",
            Api::LivekitGet => "livekit-get",
            Api::StagesDisconnect => "ivs-stages-disconnect",
            Api::StagesList => "ivs-stages-list",
            Api::StagesGet => "ivs-stages-get",
            Api::StagesToken => "ivs-stages-token",
        }
    }

    /// The call as the provider names it.
    pub fn operation(self) -> &'static str {
        match self {
            Api::ZimKick => "KickoutRoomUser",
            Api::ZimList => "QueryRoomUserList",
            Api::ZimMembers => "QueryRoomMembers",
            Api::RtcKick => "KickoutUser",
            Api::RtcList => "DescribeUserList",
            Api::RtcBan => "SetForbidUserRule",
            Api::RtcUnban => "DelForbidUserRule",
            Api::RtcBans => "DescribeForbidUserRules",
            Api::IvsKick => "DisconnectUser",
            Api::IvsToken => "CreateChatToken",
            Api::EnablexToken => "POST /video/v2/rooms/{room}/tokens",
            Api::EnablexUsers => "GET /video/v2/rooms/{room}/users",
            Api::EnablexJoin => "signalling event token",
            Api::EnablexDrop => "signalling event drop",
            Api::AgoraRtcKick => "POST /dev/v1/kicking-rule",
            Api::AgoraRtcOnline => "GET /dev/v1/channel/user",
            Api::AgoraRtcRules => "GET /dev/v1/kicking-rule",
            Api::AgoraRtcUnban => "DELETE /dev/v1/kicking-rule",
            Api::AgoraChatRemove => "remove_member",
            Api::AgoraChatMembers => "list_members",
            Api::AgoraChatBlock => "add_blocks",
            Api::AgoraChatUnblock => "remove_blocks",
            Api::AgoraChatBlocks => "list_blocks",
            Api::LivekitRemove => "RoomService.RemoveParticipant",
            Api::LivekitList => "RoomService.ListParticipants",
            Api::LivekitGet => "RoomService.GetParticipant",
            Api::StagesDisconnect => "DisconnectParticipant",
            Api::StagesList => "ListParticipants",
            Api::StagesGet => "GetStage",
            Api::StagesToken => "CreateParticipantToken",
        }
    }

    /// The listener serving it.
    pub fn listener(self) -> Listener {
        match self {
            Api::ZimKick | Api::ZimList | Api::ZimMembers => Listener::Zim,
            Api::RtcKick | Api::RtcList | Api::RtcBan | Api::RtcUnban | Api::RtcBans => {
                Listener::Rtc
            }
            Api::IvsKick | Api::IvsToken => Listener::Ivschat,
            Api::EnablexToken | Api::EnablexUsers | Api::EnablexJoin | Api::EnablexDrop => {
                Listener::Enablex
            }
            Api::AgoraRtcKick | Api::AgoraRtcOnline | Api::AgoraRtcRules | Api::AgoraRtcUnban => {
                Listener::AgoraRtc
            }
            Api::AgoraChatRemove
            | Api::AgoraChatMembers
            | Api::AgoraChatBlock
            | Api::AgoraChatUnblock
            | Api::AgoraChatBlocks => Listener::AgoraChat,
            Api::LivekitRemove | Api::LivekitList | Api::LivekitGet => Listener::Livekit,
            Api::StagesDisconnect | Api::StagesList | Api::StagesGet | Api::StagesToken => {
                Listener::IvsStages
            }
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Api {
    type Err = String;

    /// A name of [`Api::name`] or the provider's operation name (`KickoutRoomUser`).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Api::ALL
            .into_iter()
            .find(|api| api.name() == name || api.operation() == name)
            .ok_or_else(|| {
                format!(
                    "unknown API {name:?}; expected one of {}",
                    Api::ALL.map(Api::name).join(", ")
                )
            })
    }
}

/// One emulator listener, for a rule on every API it serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Listener {
    /// ZEGO ZIM.
    Zim,
    /// ZEGO Express RTC.
    Rtc,
    /// IVS Chat (DisconnectUser and CreateChatToken).
    Ivschat,
    /// EnableX (REST and signalling).
    Enablex,
    /// Agora RTC channel management.
    AgoraRtc,
    /// Agora Chat.
    AgoraChat,
    /// LiveKit (RoomService).
    Livekit,
    /// IVS real-time stages.
    IvsStages,
}

impl Listener {
    /// Every listener.
    pub const ALL: [Listener; 8] = [
        Listener::Zim,
        Listener::Rtc,
        Listener::Ivschat,
        Listener::Enablex,
        Listener::AgoraRtc,
        Listener::AgoraChat,
        Listener::Livekit,
        Listener::IvsStages,
    ];

    /// The name fault rules use: `zim`, `rtc`, `ivs`, `enablex`, `agora-rtc`, `agora-chat`,
    /// `livekit`, `ivs-stages`.
    pub fn name(self) -> &'static str {
        match self {
            Listener::Zim => "zim",
            Listener::Rtc => "rtc",
            Listener::Ivschat => "ivs",
            Listener::Enablex => "enablex",
            Listener::AgoraRtc => "agora-rtc",
            Listener::AgoraChat => "agora-chat",
            Listener::Livekit => "livekit",
            Listener::IvsStages => "ivs-stages",
        }
    }
}

/// How many calls a rule answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Times {
    /// Every call, until the rule is cleared.
    Always,
    /// The next `n` calls it matches, then it is gone.
    Next(u64),
}

/// A fault for the calls of one API (or of every API of the listener), for some calls or for good.
#[derive(Clone, Debug)]
pub struct FaultRule {
    /// The API whose calls it answers; `None`: every call the listener receives.
    pub api: Option<Api>,
    /// What it answers.
    pub fault: Fault,
    /// For how many calls.
    pub times: Times,
}

impl FaultRule {
    /// `fault` for every call of `api`.
    pub fn always(api: Api, fault: Fault) -> Self {
        FaultRule {
            api: Some(api),
            fault,
            times: Times::Always,
        }
    }

    /// `fault` for the next `n` calls of `api`.
    pub fn next(api: Api, n: u64, fault: Fault) -> Self {
        FaultRule {
            api: Some(api),
            fault,
            times: Times::Next(n),
        }
    }

    /// Whether it answers a call of `api` (`None`: a call no API matches, an unknown ZEGO action).
    pub(crate) fn matches(&self, api: Option<Api>) -> bool {
        self.api.is_none() || self.api == api
    }
}

/// Where a [`FaultSpec`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultTarget {
    /// One API.
    Api(Api),
    /// Every API of a listener.
    Listener(Listener),
}

impl FromStr for FaultTarget {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        if let Some(listener) = Listener::ALL.into_iter().find(|l| l.name() == name) {
            return Ok(FaultTarget::Listener(listener));
        }
        name.parse().map(FaultTarget::Api).map_err(|_| {
            format!(
                "unknown API {name:?}; expected one of {}, or a whole listener: {}",
                Api::ALL.map(Api::name).join(", "),
                Listener::ALL.map(Listener::name).join(", ")
            )
        })
    }
}

/// The longest `BODY` a spec may carry.
pub const MAX_BODY: usize = 64 * 1024;

/// A fault rule written as text, `API=FAULT` (see the [module](self) for the syntax), e.g.
/// `zim-kick=throttle-first:10`, `ivs-token=throttle`, `zim-kick=body:200:text/html:<html>...`.
///
/// ```
/// use room_moderator_emulator::{Api, FaultSpec, FaultTarget, Times};
/// let spec: FaultSpec = "zim-kick=throttle-first:10".parse().unwrap();
/// assert_eq!(spec.target, FaultTarget::Api(Api::ZimKick));
/// assert_eq!(spec.times, Times::Next(10));
/// ```
#[derive(Clone, Debug)]
pub struct FaultSpec {
    /// Where it applies.
    pub target: FaultTarget,
    /// What it answers.
    pub fault: Fault,
    /// For how many calls.
    pub times: Times,
}

impl FaultSpec {
    /// Parses the `FAULT` part alone (what follows `API=`): the fault and for how many calls.
    pub fn parse_fault(text: &str) -> Result<(Fault, Times), String> {
        let (mode, rest) = match text.split_once(':') {
            Some((mode, rest)) => (mode, Some(rest)),
            None => (text, None),
        };
        let (kind, first) = match mode {
            "throttle" => ("throttle", false),
            "throttle-first" => ("throttle", true),
            "body" => ("body", false),
            "body-first" => ("body", true),
            other => {
                return Err(format!(
                    "unknown fault {other:?}; expected throttle, throttle-first:N, body:STATUS:TYPE:BODY or body-first:N:STATUS:TYPE:BODY"
                ));
            }
        };
        let mut rest = rest;
        let times = if first {
            let (n, tail) = split_field(rest.ok_or(format!("{mode}: expected {mode}:N"))?);
            let n: u64 = n
                .parse()
                .map_err(|_| format!("{mode}: {n:?} is not a number of calls"))?;
            if n == 0 {
                return Err(format!("{mode}: the number of calls must be at least 1"));
            }
            rest = tail;
            Times::Next(n)
        } else {
            Times::Always
        };
        let mut retry_after = None;
        if let Some(text) = rest
            && let Some(seconds) = text.strip_prefix("retry-after=")
        {
            let (seconds, tail) = split_field(seconds);
            retry_after = Some(
                seconds
                    .parse::<u64>()
                    .map_err(|_| format!("retry-after={seconds:?} is not a number of seconds"))?,
            );
            rest = tail;
        }
        let fault = if kind == "throttle" {
            if let Some(extra) = rest {
                return Err(format!(
                    "{mode}: unexpected {extra:?} (only retry-after=SECONDS may follow)"
                ));
            }
            Fault::Throttle { retry_after }
        } else {
            body_fault(mode, rest, retry_after)?
        };
        Ok((fault, times))
    }
}

/// `STATUS:TYPE:BODY` of a body fault.
fn body_fault(mode: &str, rest: Option<&str>, retry_after: Option<u64>) -> Result<Fault, String> {
    let usage = || format!("{mode}: expected STATUS:CONTENT-TYPE:BODY, e.g. 200:text/html:<html>");
    let mut parts = rest.ok_or_else(usage)?.splitn(3, ':');
    let (Some(status), Some(content_type), Some(body)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(usage());
    };
    let status: u16 = status
        .parse()
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| format!("{mode}: {status:?} is not an HTTP status (100 to 599)"))?;
    if content_type.is_empty()
        || !content_type
            .bytes()
            .all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(format!(
            "{mode}: {content_type:?} is not a content type (text/html, application/json, ...)"
        ));
    }
    if body.len() > MAX_BODY {
        return Err(format!("{mode}: the body is longer than {MAX_BODY} bytes"));
    }
    let mut headers = vec![("content-type".to_owned(), content_type.to_owned())];
    if let Some(seconds) = retry_after {
        headers.push(("retry-after".to_owned(), seconds.to_string()));
    }
    Ok(Fault::Status {
        status,
        body: body.to_owned(),
        headers,
    })
}

/// The field before the next `:` and what follows it.
fn split_field(text: &str) -> (&str, Option<&str>) {
    match text.split_once(':') {
        Some((field, rest)) => (field, Some(rest)),
        None => (text, None),
    }
}

impl FromStr for FaultSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (target, fault) = text.split_once('=').ok_or_else(|| {
            format!("expected API=FAULT (zim-kick=throttle-first:10), got {text:?}")
        })?;
        let target = target.trim().parse()?;
        let (fault, times) = FaultSpec::parse_fault(fault)?;
        Ok(FaultSpec {
            target,
            fault,
            times,
        })
    }
}

impl fmt::Display for FaultTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultTarget::Api(api) => f.write_str(api.name()),
            FaultTarget::Listener(listener) => f.write_str(listener.name()),
        }
    }
}

/// The text form where the fault has one (what [`FaultSpec::parse_fault`] reads), else a description.
impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = |mode: &str| match self.times {
            Times::Always => mode.to_owned(),
            Times::Next(n) => format!("{mode}-first:{n}"),
        };
        write!(f, "{}=", self.target)?;
        match &self.fault {
            Fault::Throttle { retry_after } => {
                f.write_str(&first("throttle"))?;
                if let Some(seconds) = retry_after {
                    write!(f, ":retry-after={seconds}")?;
                }
                Ok(())
            }
            Fault::Status {
                status,
                body,
                headers,
            } => {
                f.write_str(&first("body"))?;
                let header = |name: &str| {
                    headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.as_str())
                };
                if let Some(seconds) = header("retry-after") {
                    write!(f, ":retry-after={seconds}")?;
                }
                let content_type = header("content-type").unwrap_or("text/plain");
                write!(f, ":{status}:{content_type}:{body}")
            }
            other => write!(f, "{} ({other:?})", first("fault")),
        }
    }
}

impl FaultSpec {
    /// The rule for one listener's [`Controls`](crate::Controls).
    pub fn rule(&self) -> FaultRule {
        FaultRule {
            api: match self.target {
                FaultTarget::Api(api) => Some(api),
                FaultTarget::Listener(_) => None,
            },
            fault: self.fault.clone(),
            times: self.times,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> FaultSpec {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn throttles_parse_with_counts_and_retry_after() {
        let spec = parse("zim-kick=throttle");
        assert_eq!(spec.target, FaultTarget::Api(Api::ZimKick));
        assert!(matches!(spec.fault, Fault::Throttle { retry_after: None }));
        assert_eq!(spec.times, Times::Always);

        let spec = parse("ivs-token=throttle-first:10:retry-after=2");
        assert_eq!(spec.target, FaultTarget::Api(Api::IvsToken));
        assert!(matches!(
            spec.fault,
            Fault::Throttle {
                retry_after: Some(2)
            }
        ));
        assert_eq!(spec.times, Times::Next(10));

        let spec = parse("CreateChatToken=throttle:retry-after=1");
        assert_eq!(spec.target, FaultTarget::Api(Api::IvsToken));
        let spec = parse("rtc=throttle");
        assert_eq!(spec.target, FaultTarget::Listener(Listener::Rtc));
        assert!(spec.rule().api.is_none());
    }

    #[test]
    fn bodies_keep_their_colons_and_carry_the_content_type() {
        let spec = parse("zim-kick=body:200:text/html:<html>a:b</html>");
        let Fault::Status {
            status,
            body,
            headers,
        } = spec.fault
        else {
            panic!("a status fault");
        };
        assert_eq!((status, body.as_str()), (200, "<html>a:b</html>"));
        assert_eq!(
            headers,
            vec![("content-type".to_owned(), "text/html".to_owned())]
        );
        assert_eq!(spec.times, Times::Always);

        let spec = parse(r#"zim-kick=body-first:3:200:application/json:{"ok": true}"#);
        assert_eq!(spec.times, Times::Next(3));
        let spec = parse("rtc-ban=body:retry-after=1:429:text/plain:");
        let Fault::Status { headers, body, .. } = spec.fault else {
            panic!("a status fault");
        };
        assert!(body.is_empty());
        assert!(headers.contains(&("retry-after".to_owned(), "1".to_owned())));
    }

    #[test]
    fn specs_print_as_they_are_written() {
        for text in [
            "zim-kick=throttle",
            "ivs=throttle-first:10:retry-after=1",
            "rtc-ban=body:retry-after=1:429:text/plain:Too Many Requests",
            "zim-kick=body-first:3:200:application/json:{\"ok\": true}",
        ] {
            assert_eq!(parse(text).to_string(), text);
        }
    }

    #[test]
    fn mistakes_are_named() {
        for (text, says) in [
            ("zim-kick", "API=FAULT"),
            ("zim-kik=throttle", "unknown API"),
            ("zim-kick=slow", "unknown fault"),
            ("zim-kick=throttle-first", "throttle-first:N"),
            ("zim-kick=throttle-first:0", "at least 1"),
            ("zim-kick=throttle-first:x", "not a number"),
            ("zim-kick=throttle:soon", "unexpected"),
            ("zim-kick=throttle:retry-after=x", "not a number of seconds"),
            ("zim-kick=body:200", "STATUS:CONTENT-TYPE:BODY"),
            ("zim-kick=body:700:text/html:x", "not an HTTP status"),
            ("zim-kick=body:200::x", "not a content type"),
        ] {
            let error = text.parse::<FaultSpec>().expect_err(text);
            assert!(error.contains(says), "{text}: {error}");
        }
    }
}
