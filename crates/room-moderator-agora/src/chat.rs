//! `AgoraChat`: Agora Chat chat rooms over the Chat REST API (docs/providers/agora.md §2): member
//! removal in batches, member paging, and the room's block list as the native ban.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use room_moderator_core::toolkit::{
    AdapterBuilder, CodeMeaning, Connection, EnvVar, Vars, non_empty,
};
use room_moderator_core::{
    Adapter, ApiLimits, BanRule, BanSupport, Batch, BatchResult, Capabilities, CharSet, Error,
    ErrorKind, IdRule, Member, MemberPage, Outcome, QuotaKey, RoomId, UserId, wall_clock_now,
};
use serde_json::{Map, Value};
use tracing::{debug, warn};
use url::Url;

use crate::answer::{effect_unknown, protocol, success_object};
use crate::rtc::ENV_APP_ID;
use crate::token::AppCredentials;
use room_moderator_core::toolkit::http::{HttpClient, Method};

/// The provider name in errors and reports.
pub const CHAT_PROVIDER: &str = "agora-chat";
/// Environment variable: the App Certificate the app token is signed with.
pub const ENV_APP_CERTIFICATE: &str = "AGORA_APP_CERTIFICATE";
/// Environment variable: the project's REST API host (Console), e.g. `https://a41.chat.agora.io`.
pub const ENV_CHAT_HOST: &str = "AGORA_CHAT_HOST";
/// Environment variable: the org name (the part of the App Key before `#`).
pub const ENV_CHAT_ORG: &str = "AGORA_CHAT_ORG";
/// Environment variable: the app name (the part of the App Key after `#`).
pub const ENV_CHAT_APP: &str = "AGORA_CHAT_APP";

/// The variables [`AgoraChatBuilder::from_env`] reads.
pub const CHAT_ENV_VARS: &[EnvVar] = &[
    EnvVar::new(ENV_APP_ID, "the project's App ID (Agora Console)"),
    EnvVar::new(
        ENV_APP_CERTIFICATE,
        "the project's App Certificate (signs the app token)",
    )
    .secret(),
    EnvVar::new(
        ENV_CHAT_HOST,
        "the Chat REST API host shown in Console (e.g. https://a41.chat.agora.io)",
    ),
    EnvVar::new(ENV_CHAT_ORG, "the org name: the App Key before '#'"),
    EnvVar::new(ENV_CHAT_APP, "the app name: the App Key after '#'"),
];

/// How long one app token is valid; a new one is made at half-life (the API takes at most 24 h).
const TOKEN_VALIDITY: Duration = Duration::from_secs(3600);

/// Member list: 1,000 a page (`pagenum`/`pagesize`), 100 calls a second per App Key.
pub const CHAT_MEMBERS: ApiLimits = ApiLimits::new(1000).with_rate_per_second(100);

/// The longest ban the block list holds (a block has no timer: this is the "rule" length reported).
const CHAT_MAX_BAN: Duration = Duration::from_secs(10 * 365 * 86_400);

/// The block list as a native ban: a block has no timer, so one "rule" lasts as long as the ban; the
/// ban store holds the expiry and the block is lifted once the ban lapses, by the next call touching
/// the room: this adapter's own calls for the blocks it set, and the engine's ban, bans, check and
/// unban for blocks any process set (recorded in a shared store). 100 calls a second per App Key.
pub const CHAT_BANS: BanSupport = BanSupport::Native {
    max_duration: CHAT_MAX_BAN,
    max_rules: None,
    requests_per_second: NonZeroU32::new(100),
    list_requests_per_second: NonZeroU32::new(100),
};

/// Chat user ids: letters, digits, `_`, `-`, `.` (Agora writes a-z; user names are case-insensitive).
pub const CHAT_USER_CHARSET: CharSet = CharSet {
    description: "ASCII letters, digits, '_', '-' and '.'",
    allows: |c| c.is_ascii_alphanumeric() || "_-.".contains(c),
};

/// 60 users a removal (Easemob's current page; Agora's says 100: the smaller is used), 100 calls a
/// second per App Key, user ids up to 64 characters, members listed 1,000 a page, the block list.
pub const CHAT_CAPABILITIES: Capabilities = Capabilities::new(60)
    .with_rate_per_second(100)
    .with_room_id(IdRule::max_bytes(64))
    .with_user_id(IdRule::max_bytes(64).with_charset(CHAT_USER_CHARSET))
    .with_members(CHAT_MEMBERS)
    .with_bans(CHAT_BANS);

/// Characters left as they are in a path segment; the rest (the comma joining names included) is
/// percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Whether a removal by a block at `at` is recent enough at `now` to be its ban's kick's to report.
fn within(at: SystemTime, now: SystemTime) -> bool {
    now.duration_since(at)
        .is_ok_and(|age| age <= BLOCK_REMOVAL_REPORTED_WITHIN)
}

/// The Chat error codes this adapter maps (status and `error`; the description is quoted only).
fn codes(status: u16, code: &str) -> Option<CodeMeaning> {
    use ErrorKind::*;
    Some(match (status, code) {
        (_, "unauthorized") => {
            CodeMeaning::new(Unauthenticated, "the app token is missing or expired")
        }
        (_, "auth_bad_access_token") => CodeMeaning::new(
            Unauthenticated,
            "the app token was refused: check AGORA_APP_ID, AGORA_APP_CERTIFICATE and the host",
        ),
        (_, "organization_application_not_found") => CodeMeaning::new(
            Config,
            "no such org or app at this host: check AGORA_CHAT_ORG and AGORA_CHAT_APP",
        ),
        (_, "service_resource_not_found" | "resource_not_found") => {
            CodeMeaning::new(NotFound, "no such chat room (or user)")
        }
        (403, "forbidden_op") => {
            CodeMeaning::new(NotInRoom, "not a member of the chat room (or the owner)")
        }
        (_, "invalid_parameter" | "illegal_argument") => {
            CodeMeaning::new(InvalidInput, "the request was refused")
        }
        (_, "json_parse" | "web_application" | "unsupported_service_operation") => {
            CodeMeaning::new(
                Protocol,
                "the API refused the request's form (a bug in this adapter)",
            )
        }
        (_, "reach_limit") => CodeMeaning::new(Throttled, "the API's rate limit was reached"),
        (_, "resource_limited") => CodeMeaning::new(Throttled, "the plan's limit was reached"),
        _ => return None,
    })
}

/// One user's entry of a removal or block answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UserResult {
    pub(crate) user: String,
    pub(crate) result: bool,
}

/// `data` of a removal or block answer: an object for one name, an array for several.
pub(crate) fn decode_user_results(object: &Map<String, Value>) -> Result<Vec<UserResult>, Error> {
    let entry = |value: &Value| -> Result<UserResult, Error> {
        let Value::Object(entry) = value else {
            return Err(protocol(CHAT_PROVIDER, "a data entry is not an object"));
        };
        let user = entry
            .get("user")
            .and_then(Value::as_str)
            .ok_or_else(|| protocol(CHAT_PROVIDER, "a data entry names no user"))?;
        let result = entry
            .get("result")
            .and_then(Value::as_bool)
            .ok_or_else(|| protocol(CHAT_PROVIDER, "a data entry has no boolean result"))?;
        Ok(UserResult {
            user: user.to_owned(),
            result,
        })
    };
    match object.get("data") {
        Some(Value::Array(list)) => list.iter().map(entry).collect(),
        Some(one @ Value::Object(_)) => Ok(vec![entry(one)?]),
        _ => Err(protocol(CHAT_PROVIDER, "the answer has no data")),
    }
}

/// A member page: `data: [{"owner": u} | {"member": u}]`; the next page number when this one is full.
pub(crate) fn decode_members(
    object: &Map<String, Value>,
    page: u32,
    size: usize,
) -> Result<MemberPage, Error> {
    let Some(Value::Array(list)) = object.get("data") else {
        return Err(protocol(CHAT_PROVIDER, "the member list has no data list"));
    };
    let mut members = Vec::with_capacity(list.len());
    for entry in list {
        let id = entry
            .get("member")
            .or_else(|| entry.get("owner"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                protocol(
                    CHAT_PROVIDER,
                    "a member entry names neither member nor owner",
                )
            })?;
        members.push(Member::new(id));
    }
    let next = (list.len() >= size && !list.is_empty()).then(|| (page + 1).to_string());
    Ok(MemberPage::new(members, next))
}

/// The Agora Chat adapter. Turn it into a [`Moderator`](room_moderator_core::Moderator) with
/// [`Engine::new`](room_moderator_core::Engine::new).
///
/// - Removal: `DELETE .../chatrooms/{id}/users/{a%2Cb}` for up to 60 users; per-user `result`
///   (`false` → [`Outcome::NotInRoom`]); one name answers an object and a non-member is a 403
///   `forbidden_op` → `NotInRoom`; a batch refused whole with `forbidden_op` is split by the engine.
/// - Bans: the room's block list (`POST .../blocks/users/{u}`), which needs membership and removes
///   the user; the ban store keeps users the block list refuses, and the expiry: a lapsed block is
///   lifted by the next call of this adapter touching the room (`ban`, `bans`, kicks, members), and
///   a block another process set by the next `ban`, `bans`, `check` or `unban` of any process
///   sharing the ban store (the store records the block as outliving the ban). Blocks lapsing while
///   no process touches the room stay until then (the join gate already lets the user in).
/// - The ban's own kick reports a user its block just removed as [`Outcome::Disconnected`] without a
///   call; any later kick calls the API, so a user whose block was lifted elsewhere (Agora Console)
///   and who rejoined is really removed (a webhook receiver's re-kick).
pub struct AgoraChat {
    http: HttpClient,
    org: String,
    app: String,
    credentials: AppCredentials,
    token: Mutex<Option<(String, SystemTime)>>,
    blocks: Mutex<HashMap<(RoomId, UserId), SystemTime>>,
    /// Users a block of this adapter removed, whose removal the ban's own kick has not reported yet
    /// (with when): that kick reports them removed without a call. Only that kick: once the block is
    /// lifted elsewhere (Agora Console) and the user rejoins, a kick must really remove them.
    removed_by_block: Mutex<HashMap<(RoomId, UserId), SystemTime>>,
}

/// How long a block's removal waits for its ban's kick to report it (far beyond any ban's deadline);
/// older entries are forgotten, so a kick then calls the API.
const BLOCK_REMOVAL_REPORTED_WITHIN: Duration = Duration::from_secs(10 * 60);

impl AgoraChat {
    /// A builder.
    pub fn builder() -> AgoraChatBuilder {
        AgoraChatBuilder::default()
    }

    /// Builds from the environment ([`CHAT_ENV_VARS`]).
    pub fn from_env() -> Result<Self, Error> {
        AgoraChatBuilder::from_env().build()
    }

    /// `{org}#{app}`.
    pub fn app_key(&self) -> String {
        format!("{}#{}", self.org, self.app)
    }

    fn authorization(&self) -> String {
        let now = wall_clock_now();
        let mut token = self.token.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = token.as_ref().is_some_and(|(_, issued)| {
            now.duration_since(*issued)
                .is_ok_and(|age| age < TOKEN_VALIDITY / 2)
        });
        if !fresh {
            let issued = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let value = self.credentials.app_token_at(
                u32::try_from(issued).unwrap_or(u32::MAX),
                TOKEN_VALIDITY.as_secs() as u32,
                rand::random_range(1..=99_999_999),
            );
            *token = Some((value, now));
        }
        format!(
            "Bearer {}",
            token.as_ref().map_or("", |(value, _)| value.as_str())
        )
    }

    /// `{base}/{org}/{app}/chatrooms/{room}/{tail...}`, each part percent-encoded; names joined by `%2C`.
    fn url(&self, room: &RoomId, tail: &[&str], names: Option<&[&str]>) -> Result<Url, Error> {
        let enc = |s: &str| utf8_percent_encode(s, SEGMENT).to_string();
        let mut text = format!(
            "{}/{}/{}/chatrooms/{}",
            self.http.endpoint().as_str().trim_end_matches('/'),
            enc(&self.org),
            enc(&self.app),
            enc(room.as_str())
        );
        for part in tail {
            text.push('/');
            text.push_str(part);
        }
        if let Some(names) = names {
            text.push('/');
            text.push_str(&names.iter().map(|n| enc(n)).collect::<Vec<_>>().join("%2C"));
        }
        Url::parse(&text).map_err(|e| {
            Error::config(format!("cannot form a URL: {e}")).with_provider(CHAT_PROVIDER)
        })
    }

    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Map<String, Value>, Error> {
        let mut request = self
            .http
            .request(method, url)
            .header("authorization", self.authorization());
        if let Some(body) = body {
            request = request.json(body);
        }
        success_object(&self.http.send(request).await?, codes)
    }

    /// Lifts the blocks this adapter set in `room` whose ban lapsed; those it could not lift stay
    /// for the next call.
    async fn lift_lapsed(&self, room: &RoomId) {
        let now = wall_clock_now();
        let lapsed: Vec<UserId> = self
            .blocks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|((r, _), until)| r == room && **until <= now)
            .map(|((_, user), _)| user.clone())
            .collect();
        for chunk in lapsed.chunks(CHAT_CAPABILITIES.max_users_per_call.get()) {
            let names: Vec<&str> = chunk.iter().map(UserId::as_str).collect();
            let lifted = match self.url(room, &["blocks", "users"], Some(&names)) {
                Ok(url) => self.call(Method::DELETE, url, None).await,
                Err(error) => Err(error),
            };
            match lifted {
                Ok(_) => {
                    let mut blocks = self.blocks.lock().unwrap_or_else(|p| p.into_inner());
                    for user in chunk {
                        blocks.remove(&(room.clone(), user.clone()));
                    }
                    debug!(users = chunk.len(), "lapsed blocks lifted");
                }
                Err(error) => {
                    warn!(%error, "lapsed blocks could not be lifted; the next call tries again")
                }
            }
        }
    }

    /// Whether a block this adapter set just removed `user`, its removal not yet reported.
    fn removed_by_block(&self, room: &RoomId, user: &UserId) -> bool {
        let now = wall_clock_now();
        self.removed_by_block
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(room.clone(), user.clone()))
            .is_some_and(|at| within(*at, now))
    }

    /// Records that a block just removed `user`; forgets removals too old to be reported.
    fn record_removal_by_block(&self, room: &RoomId, user: &UserId) {
        let now = wall_clock_now();
        let mut removed = self
            .removed_by_block
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        removed.retain(|_, at| within(*at, now));
        removed.insert((room.clone(), user.clone()), now);
    }

    /// Reports `user`'s removal by a block as done (the ban's kick answered for them).
    fn reported_removal_by_block(&self, room: &RoomId, user: &UserId) {
        self.removed_by_block
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(room.clone(), user.clone()));
    }

    /// Whether `user` is on the room's block list (after a block POST whose effect is unknown).
    async fn on_block_list(&self, room: &RoomId, user: &UserId) -> Result<bool, Error> {
        let object = self
            .call(
                Method::GET,
                self.url(room, &["blocks", "users"], None)?,
                None,
            )
            .await?;
        Ok(object
            .get("data")
            .and_then(Value::as_array)
            .is_some_and(|list| list.iter().any(|u| u.as_str() == Some(user.as_str()))))
    }
}

#[async_trait]
impl Adapter for AgoraChat {
    fn provider(&self) -> &'static str {
        CHAT_PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        CHAT_CAPABILITIES
    }

    /// 100 calls a second per App Key (and host).
    fn quota_key(&self) -> Option<QuotaKey> {
        Some(QuotaKey::new(
            CHAT_PROVIDER,
            format!("{}@{}", self.app_key(), self.http.endpoint()),
            "chatroom-members",
        ))
    }

    fn account(&self) -> String {
        self.app_key()
    }

    async fn send_batch(&self, batch: Batch<'_>) -> BatchResult {
        self.lift_lapsed(batch.room).await;
        // Users a block of this adapter just removed (the ban's own kick): no call for them.
        let by_block: Vec<&UserId> = batch
            .users
            .iter()
            .filter(|u| self.removed_by_block(batch.room, u))
            .collect();
        let to_remove: Vec<&UserId> = batch
            .users
            .iter()
            .filter(|u| !by_block.contains(u))
            .collect();
        let mut results: HashMap<&str, Outcome> = HashMap::new();
        if !to_remove.is_empty() {
            let names: Vec<&str> = to_remove.iter().map(|u| u.as_str()).collect();
            let url = match self.url(batch.room, &["users"], Some(&names)) {
                Ok(url) => url,
                Err(error) => return BatchResult::Whole(error),
            };
            match self.call(Method::DELETE, url, None).await {
                Ok(object) => match decode_user_results(&object) {
                    Ok(entries) => {
                        for entry in entries {
                            if let Some(name) =
                                names.iter().find(|n| n.eq_ignore_ascii_case(&entry.user))
                            {
                                results.insert(
                                    name,
                                    if entry.result {
                                        Outcome::Disconnected
                                    } else {
                                        Outcome::NotInRoom
                                    },
                                );
                            }
                        }
                    }
                    Err(error) => return BatchResult::Whole(error),
                },
                // A non-member named alone (403 forbidden_op); several refused whole: split.
                Err(error) if error.kind() == ErrorKind::NotInRoom => {
                    if names.len() == 1 {
                        results.insert(names[0], Outcome::NotInRoom);
                    } else {
                        return BatchResult::Unattributed(error);
                    }
                }
                Err(error) => return BatchResult::Whole(error),
            }
        }
        BatchResult::PerUser(
            batch
                .users
                .iter()
                .map(|user| {
                    if by_block.contains(&user) {
                        self.reported_removal_by_block(batch.room, user);
                        return Outcome::Disconnected;
                    }
                    results.remove(user.as_str()).unwrap_or_else(|| {
                        Outcome::Failed(protocol(
                            CHAT_PROVIDER,
                            "the answer says nothing about this user",
                        ))
                    })
                })
                .collect(),
        )
    }

    async fn members_page(&self, room: &RoomId, cursor: Option<&str>) -> Result<MemberPage, Error> {
        self.lift_lapsed(room).await;
        let page: u32 = match cursor {
            None => 1,
            Some(cursor) => cursor.parse().map_err(|_| {
                protocol(
                    CHAT_PROVIDER,
                    format!("page cursor {cursor:?} is not a number"),
                )
            })?,
        };
        let size = CHAT_MEMBERS.per_call.get();
        let mut url = self.url(room, &["users"], None)?;
        url.query_pairs_mut()
            .append_pair("pagenum", &page.to_string())
            .append_pair("pagesize", &size.to_string());
        decode_members(&self.call(Method::GET, url, None).await?, page, size)
    }

    /// Puts `user` on the room's block list (which also removes them). A user who is not a member
    /// is refused by Agora ([`ErrorKind::NotInRoom`]): the ban store alone keeps them out.
    async fn set_ban_rule(
        &self,
        room: &RoomId,
        user: &UserId,
        duration: Duration,
    ) -> Result<Option<SystemTime>, Error> {
        self.lift_lapsed(room).await;
        let until = wall_clock_now() + duration;
        let url = self.url(room, &["blocks", "users"], Some(&[user.as_str()]))?;
        let blocked = match self.call(Method::POST, url, None).await {
            Ok(object) => decode_user_results(&object)?.iter().any(|e| e.result),
            Err(error) if effect_unknown(&error) => match self.on_block_list(room, user).await {
                Ok(true) => true,
                _ => return Err(error),
            },
            Err(error) => return Err(error),
        };
        if !blocked {
            return Err(
                Error::new(ErrorKind::NotInRoom, "the block list takes members only")
                    .with_provider(CHAT_PROVIDER),
            );
        }
        self.blocks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((room.clone(), user.clone()), until);
        self.record_removal_by_block(room, user);
        // The block itself never lapses: it is reported as lasting the longest ban, so the store
        // records a rule outliving the ban, and whichever process next touches the room once the ban
        // lapsed lifts it (the engine's lapsed-rule sweep); this process also lifts it itself.
        Ok(Some(wall_clock_now() + CHAT_MAX_BAN))
    }

    async fn delete_ban_rule(&self, room: &RoomId, user: &UserId) -> Result<(), Error> {
        let url = self.url(room, &["blocks", "users"], Some(&[user.as_str()]))?;
        match self.call(Method::DELETE, url, None).await {
            Ok(_) => {}
            Err(error) if error.kind() == ErrorKind::NotInRoom => {}
            Err(error) => return Err(error),
        }
        self.blocks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(room.clone(), user.clone()));
        self.reported_removal_by_block(room, user);
        Ok(())
    }

    /// The blocks this adapter holds in force for `room` (lapsed ones are lifted first).
    async fn ban_rules(&self, room: &RoomId) -> Result<Vec<BanRule>, Error> {
        self.lift_lapsed(room).await;
        let now = wall_clock_now();
        let mut rules: Vec<BanRule> = self
            .blocks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|((r, _), until)| r == room && **until > now)
            .map(|((_, user), until)| BanRule::new(user.clone(), *until))
            .collect();
        rules.sort_by(|a, b| a.user.cmp(&b.user));
        Ok(rules)
    }
}

impl fmt::Debug for AgoraChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgoraChat")
            .field("base", &self.http.endpoint().as_str())
            .field("app_key", &self.app_key())
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// Builds an [`AgoraChat`].
///
/// ```
/// use room_moderator_agora::AgoraChatBuilder;
/// let chat = AgoraChatBuilder::new("970CA35de60c44645bbae8a215061b33", "5CFd2fd1755d40ecb72977518be15d3b")
///     .with_app_key("61000000", "moderator")
///     .with_endpoint("https://a41.chat.agora.io")
///     .build()?;
/// # let _ = chat;
/// # Ok::<_, room_moderator_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct AgoraChatBuilder {
    app_id: Option<String>,
    certificate: Option<String>,
    org: Option<String>,
    app: Option<String>,
    connection: Connection,
}

impl fmt::Debug for AgoraChatBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgoraChatBuilder")
            .field("app_id", &self.app_id)
            .field(
                "certificate",
                &self.certificate.as_ref().map(|_| "<redacted>"),
            )
            .field("org", &self.org)
            .field("app", &self.app)
            .field("connection", &self.connection)
            .finish()
    }
}

impl AgoraChatBuilder {
    /// A builder with the App ID and App Certificate; set the App Key and the host too.
    pub fn new(app_id: impl Into<String>, certificate: impl Into<String>) -> Self {
        AgoraChatBuilder {
            app_id: non_empty(Some(app_id.into())),
            certificate: non_empty(Some(certificate.into())),
            ..AgoraChatBuilder::default()
        }
    }

    /// The App Key's two parts: org name and app name.
    pub fn with_app_key(mut self, org: impl Into<String>, app: impl Into<String>) -> Self {
        self.org = non_empty(Some(org.into()));
        self.app = non_empty(Some(app.into()));
        self
    }

    /// A builder from [`CHAT_ENV_VARS`] (`AGORA_CHAT_HOST` is the endpoint); `build` names what is missing.
    pub fn from_env() -> Self {
        <Self as AdapterBuilder>::from_env()
    }

    room_moderator_core::connection_setters!(connection);

    /// Checks the settings and builds the adapter. The host has no default: each project has its
    /// own (Console > Project > Chat > REST API).
    pub fn build(self) -> Result<AgoraChat, Error> {
        let missing =
            |var: &str| Error::config(format!("{var} is not set")).with_provider(CHAT_PROVIDER);
        let app_id = self.app_id.ok_or_else(|| missing(ENV_APP_ID))?;
        let certificate = self
            .certificate
            .ok_or_else(|| missing(ENV_APP_CERTIFICATE))?;
        let org = self.org.ok_or_else(|| missing(ENV_CHAT_ORG))?;
        let app = self.app.ok_or_else(|| missing(ENV_CHAT_APP))?;
        let Some(host) = self.connection.endpoint.clone() else {
            return Err(missing(ENV_CHAT_HOST));
        };
        let credentials = AppCredentials::new(&app_id, &certificate)
            .map_err(|e| e.with_provider(CHAT_PROVIDER))?;

        Ok(AgoraChat {
            http: HttpClient::new(&self.connection, &host, CHAT_PROVIDER)?,
            org,
            app,
            credentials,
            token: Mutex::new(None),
            blocks: Mutex::new(HashMap::new()),
            removed_by_block: Mutex::new(HashMap::new()),
        })
    }
}

impl AdapterBuilder for AgoraChatBuilder {
    type Adapter = AgoraChat;
    const ENV_VARS: &'static [EnvVar] = CHAT_ENV_VARS;
    const CAPABILITIES: room_moderator_core::Capabilities = CHAT_CAPABILITIES;

    fn apply_vars(mut self, vars: &Vars) -> Self {
        vars.read_into(ENV_APP_ID, &mut self.app_id);
        vars.read_into(ENV_APP_CERTIFICATE, &mut self.certificate);
        vars.read_into(ENV_CHAT_ORG, &mut self.org);
        vars.read_into(ENV_CHAT_APP, &mut self.app);
        vars.read_into(ENV_CHAT_HOST, &mut self.connection.endpoint);
        self
    }

    fn connection_mut(&mut self) -> &mut Connection {
        &mut self.connection
    }

    async fn build(self) -> Result<AgoraChat, Error> {
        AgoraChatBuilder::build(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn object(text: &str) -> Map<String, Value> {
        serde_json::from_str::<Value>(text)
            .unwrap()
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn both_answer_shapes() {
        let many = object(
            r#"{"action":"delete","data":[
            {"result":false,"action":"remove_member","reason":"user: user1 doesn't exist in group: 1","user":"user1","id":"1"},
            {"result":true,"action":"remove_member","user":"user2","id":"1"}]}"#,
        );
        let results = decode_user_results(&many).unwrap();
        assert_eq!(
            results,
            [
                UserResult {
                    user: "user1".into(),
                    result: false
                },
                UserResult {
                    user: "user2".into(),
                    result: true
                }
            ]
        );
        let one =
            object(r#"{"data":{"result":true,"action":"remove_member","user":"user1","id":"1"}}"#);
        assert_eq!(decode_user_results(&one).unwrap().len(), 1);
        for bad in [
            r#"{}"#,
            r#"{"data":[1]}"#,
            r#"{"data":[{"user":"a"}]}"#,
            r#"{"data":"x"}"#,
        ] {
            assert_eq!(
                decode_user_results(&object(bad)).unwrap_err().kind(),
                ErrorKind::Protocol,
                "{bad}"
            );
        }
    }

    #[test]
    fn member_pages() {
        let page = decode_members(
            &object(r#"{"data":[{"owner":"o"},{"member":"m"}],"count":2}"#),
            1,
            2,
        )
        .unwrap();
        assert_eq!(page.members.len(), 2);
        assert_eq!(page.next.as_deref(), Some("2"));
        let last = decode_members(&object(r#"{"data":[{"member":"m"}],"count":1}"#), 2, 2).unwrap();
        assert_eq!(last.next, None);
        assert!(decode_members(&object(r#"{"data":[{"admin":"x"}]}"#), 1, 2).is_err());
    }

    #[test]
    fn codes_map_by_status_and_code() {
        assert_eq!(
            codes(403, "forbidden_op").unwrap().kind,
            ErrorKind::NotInRoom
        );
        assert_eq!(
            codes(401, "auth_bad_access_token").unwrap().kind,
            ErrorKind::Unauthenticated
        );
        assert_eq!(
            codes(404, "service_resource_not_found").unwrap().kind,
            ErrorKind::NotFound
        );
        assert!(codes(400, "something_new").is_none());
    }

    #[test]
    fn configuration_is_checked_and_secrets_hidden() {
        let base = || {
            AgoraChatBuilder::new(
                "970CA35de60c44645bbae8a215061b33",
                "5CFd2fd1755d40ecb72977518be15d3b",
            )
        };
        let error = base().with_app_key("o", "a").build().unwrap_err();
        assert!(error.message().contains(ENV_CHAT_HOST), "{error}");
        let chat = base()
            .with_app_key("o", "a")
            .with_endpoint("http://127.0.0.1:9")
            .build()
            .unwrap();
        assert!(!format!("{chat:?}").contains("5CFd2fd1"));
        let url = chat
            .url(
                &RoomId::new("66213271109633"),
                &["users"],
                Some(&["a.b", "c"]),
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/o/a/chatrooms/66213271109633/users/a.b%2Cc"
        );
    }
}
