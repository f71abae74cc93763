//! One emulated ZEGO product on its own listener: `GET /?Action=...` plus the shared admin routes and
//! ZEGO's own (`POST /_emulator/rooms/{room}/login`, `GET /_emulator/logins`,
//! `POST /_emulator/zego/settings`, `GET /_emulator/zego/rules`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::auth::{self, SeenNonces};
use super::callback::{self, ZegoCallbackStyle};
use super::forbid::{self, ForbidRule, Login, LoginRefused, Rules};
use super::limits::{ApiLimits, Limit};
use super::token::{self, TokenRefusal};
use super::wire::{Params, Reply};
use super::{EndMarker, Kick, MembersSpelling, ZegoConfig, listing, rtc, zim};
use crate::{Admission, Api, Controls, MemberRooms, RoomDirectory, Server, admin, fault_response};

/// Which product a listener emulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Product {
    Zim,
    Rtc,
}

impl Product {
    /// The product's own answer to a request over its rate limit: HTTP 200 like every ZEGO answer, and
    /// no `Retry-After` (ZEGO documents none), even for a scripted throttle that asks for one.
    fn throttled(self) -> Reply {
        match self {
            Product::Zim => {
                Reply::refused(660300005, "call frequency exceeds the AppID-level limit")
            }
            Product::Rtc => Reply::refused(206, "app QPS limited"),
        }
    }
}

/// Every action the emulator serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Action {
    KickoutRoomUser,
    QueryRoomUserList,
    QueryRoomMembers,
    KickoutUser,
    DescribeUserList,
    SetForbidUserRule,
    DelForbidUserRule,
    DescribeForbidUserRules,
}

const ZIM_ROOM_LIMIT: Limit = Limit {
    bucket: "QueryRoomMembers",
    per_second: 5,
    per_room: true,
    code: 660300006,
    message: "call frequency exceeds the room-level limit",
};
const RTC_USER_LIST_ROOM: Limit = Limit {
    bucket: "DescribeUserList/room",
    per_second: 1,
    per_room: true,
    code: 207,
    message: "room QPS limited",
};
const RTC_USER_LIST_APP: Limit = Limit {
    bucket: "DescribeUserList",
    per_second: 200,
    per_room: false,
    code: 206,
    message: "app QPS limited",
};
/// Setting and deleting rules: 10/s each per AppID; one budget for both (the conservative reading).
const RTC_RULES: Limit = Limit {
    bucket: "ForbidUserRule",
    per_second: 10,
    per_room: false,
    code: 206,
    message: "app QPS limited",
};
/// Listing rules: 1/s (the Chinese overview; the English page says 10/s: the stricter is emulated).
const RTC_RULE_LIST: Limit = Limit {
    bucket: "DescribeForbidUserRules",
    per_second: 1,
    per_room: false,
    code: 206,
    message: "app QPS limited",
};

impl Action {
    fn parse(product: Product, action: &str) -> Option<Action> {
        let action = match action {
            "KickoutRoomUser" => Action::KickoutRoomUser,
            "QueryRoomUserList" => Action::QueryRoomUserList,
            "QueryRoomMembers" => Action::QueryRoomMembers,
            "KickoutUser" => Action::KickoutUser,
            "DescribeUserList" => Action::DescribeUserList,
            "SetForbidUserRule" => Action::SetForbidUserRule,
            "DelForbidUserRule" => Action::DelForbidUserRule,
            "DescribeForbidUserRules" => Action::DescribeForbidUserRules,
            _ => return None,
        };
        (action.product() == product).then_some(action)
    }

    /// The action an API names, if it is ZEGO's.
    fn from_api(api: Api) -> Option<Action> {
        [
            Action::KickoutRoomUser,
            Action::QueryRoomUserList,
            Action::QueryRoomMembers,
            Action::KickoutUser,
            Action::DescribeUserList,
            Action::SetForbidUserRule,
            Action::DelForbidUserRule,
            Action::DescribeForbidUserRules,
        ]
        .into_iter()
        .find(|action| action.api() == api)
    }

    /// The API fault rules name it by.
    fn api(self) -> Api {
        match self {
            Action::KickoutRoomUser => Api::ZimKick,
            Action::QueryRoomUserList => Api::ZimList,
            Action::QueryRoomMembers => Api::ZimMembers,
            Action::KickoutUser => Api::RtcKick,
            Action::DescribeUserList => Api::RtcList,
            Action::SetForbidUserRule => Api::RtcBan,
            Action::DelForbidUserRule => Api::RtcUnban,
            Action::DescribeForbidUserRules => Api::RtcBans,
        }
    }

    fn product(self) -> Product {
        match self {
            Action::KickoutRoomUser | Action::QueryRoomUserList | Action::QueryRoomMembers => {
                Product::Zim
            }
            _ => Product::Rtc,
        }
    }

    /// Whether the action draws from the product's per-AppID quota in [`Controls`] (the kick's).
    /// ZIM's room APIs are assumed to share the 20/s (UNVERIFIED; the conservative reading, the one
    /// the adapter paces to); Express RTC documents separate limits for each of its APIs.
    fn shares_product_quota(self) -> bool {
        matches!(
            self,
            Action::KickoutRoomUser
                | Action::QueryRoomUserList
                | Action::QueryRoomMembers
                | Action::KickoutUser
        )
    }

    /// The action's own documented limits, narrowest first.
    pub(super) fn limits(self) -> &'static [Limit] {
        match self {
            Action::QueryRoomMembers => &[ZIM_ROOM_LIMIT],
            Action::DescribeUserList => &[RTC_USER_LIST_ROOM, RTC_USER_LIST_APP],
            Action::SetForbidUserRule | Action::DelForbidUserRule => &[RTC_RULES],
            Action::DescribeForbidUserRules => &[RTC_RULE_LIST],
            Action::KickoutRoomUser | Action::QueryRoomUserList | Action::KickoutUser => &[],
        }
    }
}

/// The emulator's switches between readings of ZEGO's docs, changeable while it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Switches {
    pub members_spelling: MembersSpelling,
    pub end_marker: EndMarker,
    pub ban_rules_enabled: bool,
    pub api_rate_limits: bool,
    pub max_ban_rules: usize,
}

/// Login attempts, in order, and how many were refused.
#[derive(Debug, Default)]
pub(super) struct LoginLog(Mutex<Vec<Login>>);

impl LoginLog {
    pub(super) fn record(&self, login: Login) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(login);
    }

    fn all(&self) -> Vec<Login> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// Removals that happened, in order.
#[derive(Clone, Debug, Default)]
pub(super) struct KickLog(Arc<Mutex<Vec<Kick>>>);

impl KickLog {
    pub(super) fn record(&self, kick: Kick) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(kick);
    }

    fn all(&self) -> Vec<Kick> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// What a product's handler works on.
#[derive(Debug)]
pub(super) struct Shared {
    pub product: Product,
    pub config: ZegoConfig,
    pub controls: Controls,
    pub rooms: MemberRooms,
    pub kicks: KickLog,
    pub nonces: SeenNonces,
    pub rules: Rules,
    pub logins: LoginLog,
    pub callback: callback::Sender,
    limits: ApiLimits,
    switches: Mutex<Switches>,
    request_ids: AtomicU64,
}

impl Shared {
    /// A user came into `room`: ZIM `room_enter`, RTC `room_login`.
    pub(super) fn entered(&self, room: &str, user: &str) {
        match self.product {
            Product::Zim => self.callback.room_enter(room, user),
            Product::Rtc => self.callback.room_login(room, user),
        }
    }

    /// `users` were removed from `room`: by a kick (ZIM `room_exit` Kickout by `kicker`, RTC
    /// `room_logout` reason 3) or, with `kicker` `None`, by leaving (`Quit`, reason 0).
    pub(super) fn left(&self, room: &str, users: &[String], kicker: Option<Option<&str>>) {
        match self.product {
            Product::Zim => {
                self.callback
                    .room_exit(room, users, kicker.map(|k| k.unwrap_or_default()))
            }
            Product::Rtc => {
                let reason = if kicker.is_some() { 3 } else { 0 };
                for user in users {
                    self.callback.room_logout(room, user, reason);
                }
            }
        }
    }

    /// Adds `users` to `room`, announcing each who was not in it yet.
    pub(super) fn seed(&self, room: &str, users: &[String]) {
        let new: Vec<String> = users
            .iter()
            .filter(|user| !self.rooms.contains(room, user))
            .cloned()
            .collect();
        self.rooms.seed(room, users);
        for user in &new {
            self.entered(room, user);
        }
    }

    pub(super) fn switches(&self) -> Switches {
        *self.switches.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn switch(&self, change: impl FnOnce(&mut Switches)) {
        change(&mut self.switches.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

/// The admin API's view of the rooms; resetting also forgets removals, seen nonces, ban rules, logins
/// and the per-API windows.
struct Directory(Arc<Shared>);

impl RoomDirectory for Directory {
    fn seed(&self, room: &str, users: &[String]) {
        self.0.seed(room, users);
    }

    fn members(&self, room: &str) -> Option<Vec<String>> {
        self.0.rooms.members(room)
    }

    fn clear(&self) {
        self.0.rooms.clear();
        self.0.kicks.clear();
        self.0.nonces.clear();
        self.0.rules.clear();
        self.0.logins.clear();
        self.0.limits.clear();
    }
}

async fn handle(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let request_id = shared.request_ids.fetch_add(1, Ordering::Relaxed);
    let params = Params::parse(uri.query().unwrap_or(""));
    let action = params
        .get("Action")
        .and_then(|action| Action::parse(shared.product, action));
    // Every call is logged and counted alike; an action's own limits (per room, say) answer its
    // own throttle code, the product's quota the product's.
    let mut over = None;
    let admission = match action {
        Some(action) => {
            let room = params.get("RoomId");
            let limited = shared.switches().api_rate_limits;
            let own_limit = |now| {
                over = limited
                    .then(|| shared.limits.admit(action, room, now))
                    .flatten();
                over.is_none()
            };
            shared
                .controls
                .admit_with(
                    Some(action.api()),
                    "GET",
                    target,
                    action.shares_product_quota(),
                    own_limit,
                )
                .await
        }
        None => shared.controls.admit(None, "GET", target).await,
    };
    let reply = match admission {
        Admission::Proceed => answer(&shared, action, &params),
        Admission::Throttled { .. } => over.unwrap_or_else(|| shared.product.throttled()),
        Admission::Fault(fault) => return fault_response(fault),
    };
    if reply.violation {
        shared.controls.record_violation(&reply.message);
    }
    reply.into_response(request_id)
}

fn answer(shared: &Shared, action: Option<Action>, params: &Params) -> Reply {
    let action = match (action, params.get("Action")) {
        (_, None) => return Reply::rejected(100000006, "Action is empty"),
        (None, Some(action)) => {
            return Reply::rejected(100000007, format!("Action {action:?} is not supported"));
        }
        (Some(action), Some(_)) => action,
    };
    if let Err(reply) = auth::verify(&shared.config, &shared.nonces, params, SystemTime::now()) {
        return reply;
    }
    match action {
        Action::KickoutRoomUser => zim::kick(shared, params),
        Action::QueryRoomUserList => listing::query_room_user_list(shared, params),
        Action::QueryRoomMembers => listing::query_room_members(shared, params),
        Action::KickoutUser => rtc::kick(shared, params),
        Action::DescribeUserList => listing::describe_user_list(shared, params),
        Action::SetForbidUserRule => forbid::set(shared, params),
        Action::DelForbidUserRule => forbid::delete(shared, params),
        Action::DescribeForbidUserRules => forbid::describe(shared, params),
    }
}

#[derive(Deserialize)]
struct LoginBody {
    user: String,
    /// The login token, when the client presents one.
    #[serde(default)]
    token: Option<String>,
}

/// Why a login that presented a token was refused: the token, or (a good token) a ban rule.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenLoginError {
    /// The token was refused.
    Token(TokenRefusal),
    /// The token was good; a ban rule refused the login (Express RTC).
    Rule(LoginRefused),
}

impl std::fmt::Display for TokenLoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenLoginError::Token(refusal) => write!(f, "login token refused: {refusal}"),
            TokenLoginError::Rule(refused) => refused.fmt(f),
        }
    }
}

impl std::error::Error for TokenLoginError {}

fn login_with_token(
    shared: &Shared,
    room: &str,
    user: &str,
    token: &str,
) -> Result<(), TokenLoginError> {
    let app = (shared.config.app_id, shared.config.server_secret.as_str());
    token::check(token, app, room, user, shared.rules.unix_now())
        .map_err(TokenLoginError::Token)?;
    forbid::login(shared, room, user).map_err(TokenLoginError::Rule)
}

async fn post_login(
    State(shared): State<Arc<Shared>>,
    Path(room): Path<String>,
    Json(body): Json<LoginBody>,
) -> Response {
    let result = match &body.token {
        Some(token) => login_with_token(&shared, &room, &body.user, token),
        None => forbid::login(&shared, &room, &body.user).map_err(TokenLoginError::Rule),
    };
    match result {
        Ok(()) => Json(json!({ "members": shared.rooms.members(&room).unwrap_or_default() }))
            .into_response(),
        Err(TokenLoginError::Token(refusal)) => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": format!("login token refused: {refusal}"), "token": refusal })),
        )
            .into_response(),
        Err(TokenLoginError::Rule(refused)) => (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": refused.to_string(), "rule": refused.rule })),
        )
            .into_response(),
    }
}

fn leave(shared: &Shared, room: &str, user: &str) -> bool {
    let gone = shared.rooms.remove(room, user) == crate::Removal::Removed;
    if gone {
        shared.left(room, &[user.to_owned()], None);
    }
    gone
}

async fn post_leave(
    State(shared): State<Arc<Shared>>,
    Path(room): Path<String>,
    Json(body): Json<LoginBody>,
) -> Response {
    if leave(&shared, &room, &body.user) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "not in the room" })),
        )
            .into_response()
    }
}

async fn post_callback_style(
    State(shared): State<Arc<Shared>>,
    Json(style): Json<ZegoCallbackStyle>,
) -> Response {
    shared.callback.set_style(style);
    StatusCode::NO_CONTENT.into_response()
}

async fn get_logins(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.logins.all()).into_response()
}

async fn get_rules(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.rules.all()).into_response()
}

/// Switches to change; absent fields stay as they are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchSettings {
    members_spelling: Option<MembersSpelling>,
    end_marker: Option<EndMarker>,
    ban_rules_enabled: Option<bool>,
    api_rate_limits: Option<bool>,
    max_ban_rules: Option<usize>,
}

async fn post_settings(
    State(shared): State<Arc<Shared>>,
    Json(settings): Json<SwitchSettings>,
) -> Response {
    shared.switch(|switches| {
        if let Some(spelling) = settings.members_spelling {
            switches.members_spelling = spelling;
        }
        if let Some(marker) = settings.end_marker {
            switches.end_marker = marker;
        }
        if let Some(enabled) = settings.ban_rules_enabled {
            switches.ban_rules_enabled = enabled;
        }
        if let Some(limited) = settings.api_rate_limits {
            switches.api_rate_limits = limited;
        }
        if let Some(max) = settings.max_ban_rules {
            switches.max_ban_rules = max;
        }
    });
    StatusCode::NO_CONTENT.into_response()
}

/// One emulated ZEGO product (ZIM or Express RTC): its listener, rooms, controls and removals.
#[derive(Debug)]
pub struct ZegoService {
    server: Server,
    shared: Arc<Shared>,
}

impl ZegoService {
    pub(super) async fn start(
        product: Product,
        config: ZegoConfig,
        addr: SocketAddr,
    ) -> std::io::Result<Self> {
        let rate = match product {
            Product::Zim => config.zim_rate_per_second,
            Product::Rtc => config.rtc_rate_per_second,
        };
        let switches = Switches {
            members_spelling: config.zim_members_spelling,
            end_marker: config.zim_end_marker,
            ban_rules_enabled: config.rtc_ban_rules,
            api_rate_limits: config.api_rate_limits,
            max_ban_rules: config.rtc_max_ban_rules,
        };
        let callback = callback::Sender::new(
            product,
            config.app_id,
            config.callback_secret.clone(),
            config.server_secret.clone(),
            config.callback_style,
        );
        let shared = Arc::new(Shared {
            product,
            callback,
            config,
            controls: Controls::new(rate),
            rooms: MemberRooms::default(),
            kicks: KickLog::default(),
            nonces: SeenNonces::default(),
            rules: Rules::new(),
            logins: LoginLog::default(),
            limits: ApiLimits::default(),
            switches: Mutex::new(switches),
            request_ids: AtomicU64::new(1_000_000_001),
        });
        let directory: Arc<dyn RoomDirectory> = Arc::new(Directory(Arc::clone(&shared)));
        let router = Router::new()
            .route("/", get(handle))
            .route("/_emulator/rooms/{room}/login", post(post_login))
            .route("/_emulator/logins", get(get_logins))
            .route("/_emulator/zego/rules", get(get_rules))
            .route("/_emulator/zego/settings", post(post_settings))
            .route("/_emulator/rooms/{room}/leave", post(post_leave))
            .route("/_emulator/zego/callbacks", post(post_callback_style))
            .with_state(Arc::clone(&shared))
            .merge(crate::callbacks::router(shared.callback.callbacks.clone()))
            .merge(admin::router(
                shared.controls.clone(),
                directory,
                Api::ALL
                    .into_iter()
                    .filter(|api| Action::from_api(*api).is_some_and(|a| a.product() == product))
                    .map(|api| (api, shared.controls.clone()))
                    .collect(),
            ));
        Ok(ZegoService {
            server: Server::start(addr, router).await?,
            shared,
        })
    }

    /// `http://<addr>`: the endpoint to configure an adapter with.
    pub fn url(&self) -> String {
        self.server.base_url()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Latency, faults, request log, counters and rate limit of this product.
    pub fn controls(&self) -> &Controls {
        &self.shared.controls
    }

    /// The rooms and their members.
    pub fn rooms(&self) -> &MemberRooms {
        &self.shared.rooms
    }

    /// Creates `room` if needed and adds `users` to it.
    pub fn seed_room(&self, room: &str, users: impl IntoIterator<Item = impl Into<String>>) {
        let users: Vec<String> = users.into_iter().map(Into::into).collect();
        self.shared.seed(room, &users);
    }

    /// `user` leaving `room` on their own: gone from the members, and ZIM `room_exit` (`Quit`) or
    /// RTC `room_logout` (reason 0) posted. `false` if the user was not in the room. Over HTTP:
    /// `POST /_emulator/rooms/{room}/leave` `{"user": "u"}` (204 or 404).
    pub fn leave(&self, room: &str, user: &str) -> bool {
        leave(&self.shared, room, user)
    }

    /// The room callbacks this product sends ([`crate::callbacks`]): the URL, counts.
    pub fn callbacks(&self) -> &crate::callbacks::Callbacks {
        &self.shared.callback.callbacks
    }

    /// The readings the room callbacks take where ZEGO's docs give two (both products share
    /// [`ZegoConfig::callback_style`] at start; this changes this product's). Over HTTP:
    /// `POST /_emulator/zego/callbacks` with the fields of [`ZegoCallbackStyle`].
    pub fn set_callback_style(&self, style: ZegoCallbackStyle) {
        self.shared.callback.set_style(style);
    }

    /// The readings the room callbacks take now.
    pub fn callback_style(&self) -> ZegoCallbackStyle {
        self.shared.callback.style()
    }

    /// The members of `room`, sorted, or `None` if it does not exist.
    pub fn members(&self, room: &str) -> Option<Vec<String>> {
        self.shared.rooms.members(room)
    }

    /// Every removal so far, in order, with the reason and operator as the emulator decoded them.
    pub fn kicks(&self) -> Vec<Kick> {
        self.shared.kicks.all()
    }

    /// A client's login to `room` (both products): let in, it becomes a member; on Express RTC a ban
    /// rule with the Login privilege covering the user there refuses it (and it is counted in
    /// [`refused_logins`](Self::refused_logins)). Over HTTP: `POST /_emulator/rooms/{room}/login`
    /// with `{"user": "u"}`, answered 200 `{"members": [...]}` or 403 `{"error": "...", "rule": {...}}`.
    pub fn login(&self, room: &str, user: &str) -> Result<(), LoginRefused> {
        forbid::login(&self.shared, room, user)
    }

    /// A client's login to `room` presenting its login token ("token04"), as ZIM `login` and Express
    /// `loginRoom` take it: the token must open with this AppID's ServerSecret and name this AppID
    /// and `user`, be unexpired on the emulator's clock and, when its payload names a room, name
    /// `room` with the login privilege ([`TokenRefusal`] says which failed; nothing is recorded).
    /// A good token then logs in as [`login`](Self::login) does, ban rules included. Over HTTP:
    /// `POST /_emulator/rooms/{room}/login` with `{"user": "u", "token": "04..."}`, answered 200, 401
    /// `{"error": "...", "token": {"reason": "expired", ...}}` or 403 as for a ban rule.
    pub fn login_with_token(
        &self,
        room: &str,
        user: &str,
        token: &str,
    ) -> Result<(), TokenLoginError> {
        login_with_token(&self.shared, room, user, token)
    }

    /// Every login attempt so far, in order (`GET /_emulator/logins`).
    pub fn logins(&self) -> Vec<Login> {
        self.shared.logins.all()
    }

    /// How many logins a ban rule refused.
    pub fn refused_logins(&self) -> u64 {
        self.shared
            .logins
            .all()
            .iter()
            .filter(|login| !login.admitted)
            .count() as u64
    }

    /// The ban rules held (Express RTC), active or lately lapsed, with their settings
    /// (`GET /_emulator/zego/rules`).
    pub fn ban_rules(&self) -> Vec<ForbidRule> {
        self.shared.rules.all()
    }

    /// Chooses how `QueryRoomMembers` spells its fields (ZIM); see [`MembersSpelling`].
    pub fn set_members_spelling(&self, spelling: MembersSpelling) {
        self.shared.switch(|s| s.members_spelling = spelling);
    }

    /// Chooses what ends a `QueryRoomUserList` listing (ZIM); see [`EndMarker`].
    pub fn set_end_marker(&self, marker: EndMarker) {
        self.shared.switch(|s| s.end_marker = marker);
    }

    /// Enables the ban rule calls (Express RTC), as ZEGO support would; disabled, they answer code 9.
    pub fn set_ban_rules_enabled(&self, enabled: bool) {
        self.shared.switch(|s| s.ban_rules_enabled = enabled);
    }

    /// Turns the per-API limits of the calls other than the kicks on or off (the kicks' quota is
    /// [`Controls::set_rate_limit`]).
    pub fn set_api_rate_limits(&self, enabled: bool) {
        self.shared.switch(|s| s.api_rate_limits = enabled);
    }

    /// How many ban rules of one type may be in force at once (Express RTC; 200 by default, rules by
    /// IP at most 100); one more answers code 50123. Rules already set stay.
    pub fn set_max_ban_rules(&self, max: usize) {
        self.shared.switch(|s| s.max_ban_rules = max);
    }
}
