//! The RTC channel management REST emulator: kicking rules and online-user lists.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::clock::{Clock, iso8601};
use super::windows::Windows;
use super::{AgoraConfig, reply};
use crate::{Admission, Api, Controls, Listener, RoomDirectory, Server, admin, fault_response};

/// The most audience members an online-user list names.
pub const AUDIENCE_CAP: usize = 10_000;
const MIN_SECS: u64 = 10;
const MAX_SECS: u64 = 86_430;

/// A kicking rule in force, as the emulator holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct KickingRule {
    /// The rule id.
    pub id: u64,
    /// The App ID.
    pub appid: String,
    /// The channel, if the rule names one.
    pub cname: Option<String>,
    /// The uid, if the rule names one.
    pub uid: Option<u32>,
    /// The privileges taken away.
    pub privileges: Vec<String>,
    /// Seconds left.
    pub seconds_left: u64,
}

#[derive(Clone, Debug)]
struct Rule {
    appid: String,
    cname: Option<String>,
    uid: Option<u32>,
    ip: Option<String>,
    privileges: Vec<String>,
    created: Instant,
    expires: Instant,
}

impl Rule {
    fn covers(&self, appid: &str, cname: &str, uid: u32) -> bool {
        self.appid == appid
            && (self.cname.is_some() || self.uid.is_some())
            && self.cname.as_deref().is_none_or(|c| c == cname)
            && self.uid.is_none_or(|u| u == uid)
    }
}

#[derive(Clone, Debug, Default)]
struct Channel {
    /// 1 communication, 2 live broadcasting.
    mode: u8,
    /// Users (mode 1) or hosts (mode 2).
    hosts: BTreeSet<u32>,
    audience: BTreeSet<u32>,
}

#[derive(Debug, Default)]
struct State_ {
    channels: BTreeMap<(String, String), Channel>,
    rules: BTreeMap<u64, Rule>,
    next_id: u64,
}

/// How the answer to a rule POST that took effect is lost (the case Agora's best practice covers:
/// look the rule up before sending it again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LostAnswer {
    /// The rule is made, then this status is answered (504, say).
    Status(u16),
    /// The rule is made, then the answer waits this long (past the client's timeout).
    Late(Duration),
}

#[derive(Clone)]
struct Shared {
    lost: Arc<Mutex<std::collections::VecDeque<LostAnswer>>>,
    config: Arc<AgoraConfig>,
    clock: Clock,
    controls: Controls,
    windows: Windows,
    state: Arc<Mutex<State_>>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State_> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn default_app(&self) -> String {
        self.config.app_ids.first().cloned().unwrap_or_default()
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    reply(status, json!({ "message": text }))
}

/// The customer id a Basic header names (unchecked), for the rate window.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

impl Shared {
    /// The shared controls, the account's window for `api`, then the credentials. `Err` is the answer.
    async fn accept(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        api: &'static str,
    ) -> Result<(), Response> {
        let presented = basic(headers);
        let account = presented
            .as_ref()
            .map(|(id, _)| id.clone())
            .unwrap_or_default();
        let rate = if api == "query" {
            self.config.query_calls_per_second
        } else {
            self.config.rule_calls_per_second
        };
        let windows = self.windows.clone();
        let named = match (api, method.as_str()) {
            ("query", _) => Some(Api::AgoraRtcOnline),
            (_, "POST") => Some(Api::AgoraRtcKick),
            (_, "GET") => Some(Api::AgoraRtcRules),
            (_, "DELETE") => Some(Api::AgoraRtcUnban),
            _ => None,
        };
        let admission = self
            .controls
            .admit_with(named, method.as_str(), &uri.to_string(), false, |now| {
                windows.admit(&account, api, rate, now)
            })
            .await;
        match admission {
            Admission::Proceed => {}
            Admission::Throttled { .. } => {
                return Err(message(StatusCode::TOO_MANY_REQUESTS, "Too many requests"));
            }
            Admission::Fault(fault) => return Err(fault_response(fault)),
        }
        let valid = presented.is_some_and(|(id, secret)| {
            id == self.config.customer_id && secret == self.config.customer_secret
        });
        if !valid {
            self.controls.record_violation("bad customer id or secret");
            return Err(message(
                StatusCode::UNAUTHORIZED,
                "Invalid authentication credentials",
            ));
        }
        if *method != Method::GET
            && !headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"))
        {
            self.controls.record_violation("content type");
            return Err(message(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported Media Type",
            ));
        }
        Ok(())
    }

    fn known_app(&self, appid: &str) -> bool {
        self.config.app_ids.iter().any(|a| a == appid)
    }

    fn refuse(&self, why: &str) -> Response {
        self.controls.record_violation(why);
        message(StatusCode::BAD_REQUEST, why)
    }

    /// Seconds a rule lasts from `time` (minutes) and `time_in_seconds` (the latter wins); 0 kicks once.
    fn duration(body: &Value) -> Result<u64, &'static str> {
        let read = |key: &str| match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_f64()
                .filter(|v| *v >= 0.0)
                .map(Some)
                .ok_or("time is not a non-negative number"),
        };
        if let Some(secs) = read("time_in_seconds")? {
            return Ok(if secs == 0.0 {
                0
            } else {
                (secs.ceil() as u64).clamp(MIN_SECS, MAX_SECS)
            });
        }
        if let Some(minutes) = read("time")? {
            return Ok(if minutes == 0.0 {
                0
            } else {
                (minutes.ceil() as u64).clamp(1, 1440) * 60
            });
        }
        Ok(3600)
    }
}

async fn create_rule(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(answer) = shared.accept(&method, &uri, &headers, "rule").await {
        return answer;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return shared.refuse("invalid json");
    };
    let Some(appid) = body.get("appid").and_then(Value::as_str) else {
        return shared.refuse("appid is required");
    };
    if !shared.known_app(appid) {
        return shared.refuse("invalid appid");
    }
    let cname = body
        .get("cname")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty());
    let uid = match body.get("uid") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_u64().and_then(|u| u32::try_from(u).ok()) {
            Some(0) | None => return shared.refuse("invalid uid"),
            Some(uid) => Some(uid),
        },
    };
    let ip = body
        .get("ip")
        .and_then(Value::as_str)
        .filter(|ip| !ip.is_empty());
    let privileges: Vec<String> = match body.get("privileges").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => return shared.refuse("privileges is required"),
    };
    if privileges
        .iter()
        .any(|p| !["join_channel", "publish_audio", "publish_video"].contains(&p.as_str()))
    {
        return shared.refuse("invalid privileges");
    }
    if cname.is_none() && uid.is_none() && ip.is_none() {
        return shared.refuse("a rule needs cname, uid or ip");
    }
    let secs = match Shared::duration(&body) {
        Ok(secs) => secs,
        Err(why) => return shared.refuse(why),
    };
    let now = Instant::now();
    let id = {
        let mut state = shared.state();
        state.next_id += 1;
        let id = state.next_id;
        let rule = Rule {
            appid: appid.to_owned(),
            cname: cname.map(str::to_owned),
            uid,
            ip: ip.map(str::to_owned),
            privileges,
            created: now,
            expires: now + Duration::from_secs(secs),
        };
        if rule.privileges.iter().any(|p| p == "join_channel") {
            for ((app, channel), members) in state.channels.iter_mut() {
                members.hosts.retain(|&u| !rule.covers(app, channel, u));
                members.audience.retain(|&u| !rule.covers(app, channel, u));
            }
            state
                .channels
                .retain(|_, c| !c.hosts.is_empty() || !c.audience.is_empty());
        }
        // A rule of 0 takes users offline once and is not kept (whether Agora lists it is UNVERIFIED).
        if secs > 0 {
            state.rules.insert(id, rule);
        }
        id
    };
    let lost = shared
        .lost
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pop_front();
    match lost {
        Some(LostAnswer::Status(status)) => {
            return message(
                StatusCode::from_u16(status).unwrap_or(StatusCode::GATEWAY_TIMEOUT),
                "Gateway Timeout",
            );
        }
        Some(LostAnswer::Late(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    reply(StatusCode::OK, json!({ "status": "success", "id": id }))
}

#[derive(Deserialize)]
struct AppQuery {
    appid: Option<String>,
}

async fn list_rules(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<AppQuery>,
) -> Response {
    if let Err(answer) = shared.accept(&method, &uri, &headers, "rule").await {
        return answer;
    }
    let Some(appid) = query.appid.filter(|a| shared.known_app(a)) else {
        return shared.refuse("invalid appid");
    };
    let now = Instant::now();
    let mut state = shared.state();
    state.rules.retain(|_, rule| rule.expires > now);
    let rules: Vec<Value> = state
        .rules
        .iter()
        .filter(|(_, rule)| rule.appid == appid)
        .map(|(id, rule)| {
            json!({
                "id": id,
                "appid": rule.appid,
                "uid": rule.uid,
                "opid": 1000 + id,
                "cname": rule.cname.clone().unwrap_or_default(),
                "ip": rule.ip.clone().unwrap_or_default(),
                "ts": iso8601(shared.clock.wall(rule.expires)),
                "privileges": rule.privileges,
                "createAt": iso8601(shared.clock.wall(rule.created)),
                "updateAt": iso8601(shared.clock.wall(rule.created)),
            })
        })
        .collect();
    reply(
        StatusCode::OK,
        json!({ "status": "success", "rules": rules }),
    )
}

async fn update_rule(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(answer) = shared.accept(&method, &uri, &headers, "rule").await {
        return answer;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return shared.refuse("invalid json");
    };
    let secs = match Shared::duration(&body) {
        Ok(secs) => secs,
        Err(why) => return shared.refuse(why),
    };
    let id = body.get("id").and_then(Value::as_u64).unwrap_or(0);
    let now = Instant::now();
    let mut state = shared.state();
    match state.rules.get_mut(&id).filter(|rule| rule.expires > now) {
        Some(rule) => {
            rule.expires = now + Duration::from_secs(secs);
            let ts = iso8601(shared.clock.wall(rule.expires));
            reply(
                StatusCode::OK,
                json!({ "status": "success", "result": { "id": id, "ts": ts } }),
            )
        }
        None => message(StatusCode::NOT_FOUND, "rule not found"),
    }
}

async fn delete_rule(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(answer) = shared.accept(&method, &uri, &headers, "rule").await {
        return answer;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return shared.refuse("invalid json");
    };
    let appid = body.get("appid").and_then(Value::as_str).unwrap_or("");
    if !shared.known_app(appid) {
        return shared.refuse("invalid appid");
    }
    let id = body.get("id").and_then(Value::as_u64).unwrap_or(0);
    let now = Instant::now();
    let mut state = shared.state();
    // The answer for an unknown or lapsed id is UNVERIFIED: the emulator says 404.
    match state
        .rules
        .remove(&id)
        .filter(|rule| rule.expires > now && rule.appid == appid)
    {
        Some(_) => reply(StatusCode::OK, json!({ "status": "success", "id": id })),
        None => message(StatusCode::NOT_FOUND, "rule not found"),
    }
}

async fn online_users(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path((appid, cname)): Path<(String, String)>,
) -> Response {
    online(shared, method, uri, headers, appid, cname, false).await
}

async fn online_hosts(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path((appid, cname)): Path<(String, String)>,
) -> Response {
    online(shared, method, uri, headers, appid, cname, true).await
}

async fn online(
    shared: Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    appid: String,
    cname: String,
    hosts_only_path: bool,
) -> Response {
    if let Err(answer) = shared.accept(&method, &uri, &headers, "query").await {
        return answer;
    }
    if !shared.known_app(&appid) {
        return shared.refuse("invalid appid");
    }
    let hosts_only = hosts_only_path
        || uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "hosts_only"));
    let state = shared.state();
    let data = match state.channels.get(&(appid, cname)) {
        None => json!({ "channel_exist": false }),
        Some(channel) if channel.mode == 1 => json!({
            "channel_exist": true, "mode": 1, "total": channel.hosts.len(), "users": channel.hosts,
        }),
        Some(channel) if hosts_only => json!({
            "channel_exist": true, "mode": 2, "broadcasters": channel.hosts,
        }),
        Some(channel) => json!({
            "channel_exist": true,
            "mode": 2,
            "broadcasters": channel.hosts,
            "audience": channel.audience.iter().take(AUDIENCE_CAP).collect::<Vec<_>>(),
            "audience_total": channel.audience.len(),
        }),
    };
    reply(StatusCode::OK, json!({ "success": true, "data": data }))
}

#[derive(Deserialize)]
struct JoinBody {
    appid: Option<String>,
    cname: String,
    uid: u32,
    #[serde(default)]
    audience: bool,
}

async fn post_join(State(shared): State<Shared>, Json(body): Json<JoinBody>) -> Response {
    let appid = body.appid.unwrap_or_else(|| shared.default_app());
    match join(&shared, &appid, &body.cname, body.uid, body.audience) {
        Ok(()) => reply(StatusCode::OK, json!({ "joined": true })),
        Err(why) => reply(
            StatusCode::FORBIDDEN,
            json!({ "joined": false, "reason": why }),
        ),
    }
}

fn join(shared: &Shared, appid: &str, cname: &str, uid: u32, audience: bool) -> Result<(), String> {
    let now = Instant::now();
    let mut state = shared.state();
    if let Some((id, _)) = state.rules.iter().find(|(_, rule)| {
        rule.expires > now
            && rule.privileges.iter().any(|p| p == "join_channel")
            && rule.covers(appid, cname, uid)
    }) {
        return Err(format!(
            "banned by server: kicking rule {id} (CONNECTION_CHANGED_BANNED_BY_SERVER)"
        ));
    }
    let channel = state
        .channels
        .entry((appid.to_owned(), cname.to_owned()))
        .or_insert_with(|| Channel {
            mode: if audience { 2 } else { 1 },
            ..Channel::default()
        });
    if audience && channel.mode == 2 {
        channel.audience.insert(uid);
    } else {
        channel.hosts.insert(uid);
    }
    Ok(())
}

impl Shared {
    /// The App ID and channel a room of the admin API names: `APPID/channel` for a channel of another
    /// App ID of the account (`/` is not in Agora's channel charset), else a channel of the first.
    fn app_and_channel(&self, room: &str) -> (String, String) {
        match room.split_once('/') {
            Some((appid, cname)) if self.known_app(appid) => (appid.to_owned(), cname.to_owned()),
            _ => (self.default_app(), room.to_owned()),
        }
    }
}

impl RoomDirectory for Shared {
    fn seed(&self, room: &str, users: &[String]) {
        let (appid, cname) = self.app_and_channel(room);
        for user in users {
            if let Ok(uid) = user.parse::<u32>() {
                let _ = join(self, &appid, &cname, uid, false);
            }
        }
    }

    fn members(&self, room: &str) -> Option<Vec<String>> {
        let state = self.state();
        state.channels.get(&self.app_and_channel(room)).map(|c| {
            c.hosts
                .iter()
                .chain(&c.audience)
                .map(u32::to_string)
                .collect()
        })
    }

    fn clear(&self) {
        let mut state = self.state();
        state.channels.clear();
        state.rules.clear();
        self.windows.clear();
    }
}

/// The running RTC channel management emulator.
#[derive(Clone)]
pub struct RtcEmulator {
    shared: Shared,
    server: Arc<Server>,
}

impl std::fmt::Debug for RtcEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtcEmulator")
            .field("url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl RtcEmulator {
    pub(super) async fn start(
        config: &AgoraConfig,
        clock: Clock,
        addr: SocketAddr,
    ) -> io::Result<Self> {
        let shared = Shared {
            lost: Arc::default(),
            config: Arc::new(config.clone()),
            clock,
            controls: Controls::new(None),
            windows: Windows::default(),
            state: Arc::default(),
        };
        let router = Router::new()
            .route(
                "/dev/v1/kicking-rule",
                post(create_rule)
                    .get(list_rules)
                    .put(update_rule)
                    .delete(delete_rule),
            )
            .route("/dev/v1/channel/user/{appid}/{cname}", get(online_users))
            .route(
                "/dev/v1/channel/user/{appid}/{cname}/hosts_only",
                get(online_hosts),
            )
            .route("/_emulator/agora/join", post(post_join))
            .with_state(shared.clone())
            .merge(admin::router(
                shared.controls.clone(),
                Arc::new(shared.clone()),
                Api::ALL
                    .into_iter()
                    .filter(|api| api.listener() == Listener::AgoraRtc)
                    .map(|api| (api, shared.controls.clone()))
                    .collect(),
            ));
        let server = Server::start(addr, router).await?;
        Ok(RtcEmulator {
            shared,
            server: Arc::new(server),
        })
    }

    /// `http://<addr>` (for `AGORA_ENDPOINT`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The first App ID of the account.
    pub fn app_id(&self) -> String {
        self.shared.default_app()
    }

    /// Every App ID of the account.
    pub fn app_ids(&self) -> &[String] {
        &self.shared.config.app_ids
    }

    /// The customer id.
    pub fn customer_id(&self) -> &str {
        &self.shared.config.customer_id
    }

    /// The customer secret.
    pub fn customer_secret(&self) -> &str {
        &self.shared.config.customer_secret
    }

    /// Faults, latency, log and counters.
    pub fn controls(&self) -> &Controls {
        &self.shared.controls
    }

    /// The variables that point the RTC adapter here (`AGORA_APP_ID`, `AGORA_CUSTOMER_ID`,
    /// `AGORA_CUSTOMER_SECRET`, `AGORA_ENDPOINT`), for its builder's `with_vars`.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AGORA_APP_ID", self.app_id()),
            ("AGORA_CUSTOMER_ID", self.customer_id().to_owned()),
            ("AGORA_CUSTOMER_SECRET", self.customer_secret().to_owned()),
            ("AGORA_ENDPOINT", self.base_url()),
        ]
    }

    /// The uids online in `cname` of the first App ID as decimal strings (hosts, then audience), or
    /// `None` for a channel nobody has joined.
    pub fn members(&self, cname: &str) -> Option<Vec<String>> {
        self.shared.members(cname)
    }

    /// Puts `uids` in communication channel `cname` of the first App ID.
    pub fn seed_channel(&self, cname: &str, uids: impl IntoIterator<Item = u32>) {
        self.seed_channel_of(&self.app_id(), cname, uids);
    }

    /// Puts `uids` in communication channel `cname` of App ID `appid` (any App ID of the account; the
    /// admin API's rooms name it as `APPID/channel`).
    pub fn seed_channel_of(&self, appid: &str, cname: &str, uids: impl IntoIterator<Item = u32>) {
        for uid in uids {
            let _ = join(&self.shared, appid, cname, uid, false);
        }
    }

    /// Makes `cname` (first App ID) a live-broadcasting channel with these hosts and audience.
    pub fn seed_live(
        &self,
        cname: &str,
        hosts: impl IntoIterator<Item = u32>,
        audience: impl IntoIterator<Item = u32>,
    ) {
        let mut state = self.shared.state();
        let channel = state
            .channels
            .entry((self.shared.default_app(), cname.to_owned()))
            .or_default();
        channel.mode = 2;
        channel.hosts.extend(hosts);
        channel.audience.extend(audience);
    }

    /// The uids online in `cname` of the first App ID (hosts, then audience).
    pub fn online(&self, cname: &str) -> Vec<u32> {
        self.shared
            .members(cname)
            .unwrap_or_default()
            .iter()
            .filter_map(|u| u.parse().ok())
            .collect()
    }

    /// The uids online in `cname` of App ID `appid` (hosts, then audience).
    pub fn online_of(&self, appid: &str, cname: &str) -> Vec<u32> {
        self.online(&format!("{appid}/{cname}"))
    }

    /// A client of the first App ID joining `cname` as `uid`: refused while a `join_channel` rule
    /// covers it.
    pub fn join(&self, cname: &str, uid: u32) -> Result<(), String> {
        join(&self.shared, &self.app_id(), cname, uid, false)
    }

    /// Makes the next rule POST take effect and then lose its answer.
    pub fn lose_next_rule_answer(&self, how: LostAnswer) {
        self.shared
            .lost
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(how);
    }

    /// The rules in force (every App ID).
    pub fn rules(&self) -> Vec<KickingRule> {
        let now = Instant::now();
        self.shared
            .state()
            .rules
            .iter()
            .filter(|(_, rule)| rule.expires > now)
            .map(|(id, rule)| KickingRule {
                id: *id,
                appid: rule.appid.clone(),
                cname: rule.cname.clone(),
                uid: rule.uid,
                privileges: rule.privileges.clone(),
                seconds_left: rule.expires.saturating_duration_since(now).as_secs(),
            })
            .collect()
    }
}
