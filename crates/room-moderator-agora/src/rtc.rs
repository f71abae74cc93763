//! `AgoraRtc`: RTC channel management REST (docs/providers/agora.md §1). One `kicking-rule` per uid:
//! `time_in_seconds: 0` kicks once; more keeps the user out until the rule lapses (a native ban).

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use room_moderator_core::toolkit::{
    AdapterBuilder, CodeMeaning, Connection, EnvVar, Vars, non_empty,
};
use room_moderator_core::{
    Adapter, ApiLimits, BanRule, BanSupport, Batch, BatchResult, Capabilities, CharSet,
    DisconnectRequest, Error, IdRule, Member, MemberPage, Outcome, QuotaKey, Reason, RoomId,
    UserId, wall_clock_now,
};
use serde_json::{Map, Value, json};
use tracing::{debug, warn};
use url::Url;

use crate::answer::{effect_unknown, parse_iso8601, protocol, success_object};
use room_moderator_core::toolkit::http::{HttpClient, Method};

/// The provider name in errors and reports.
pub const RTC_PROVIDER: &str = "agora-rtc";
/// The public channel management host (outside mainland China; `https://api.sd-rtn.com` inside).
pub const RTC_DEFAULT_ENDPOINT: &str = "https://api.agora.io";
/// Environment variable: the App ID.
pub const ENV_APP_ID: &str = "AGORA_APP_ID";
/// Environment variable: the RESTful API customer id.
pub const ENV_CUSTOMER_ID: &str = "AGORA_CUSTOMER_ID";
/// Environment variable: the RESTful API customer secret.
pub const ENV_CUSTOMER_SECRET: &str = "AGORA_CUSTOMER_SECRET";
/// Environment variable: the host override.
pub const ENV_ENDPOINT: &str = "AGORA_ENDPOINT";

/// The variables [`AgoraRtcBuilder::from_env`] reads.
pub const RTC_ENV_VARS: &[EnvVar] = &[
    EnvVar::new(ENV_APP_ID, "the project's App ID (Agora Console)"),
    EnvVar::new(
        ENV_CUSTOMER_ID,
        "RESTful API customer id (Console > RESTful API)",
    ),
    EnvVar::new(ENV_CUSTOMER_SECRET, "RESTful API customer secret").secret(),
    EnvVar::new(
        ENV_ENDPOINT,
        "host override (default https://api.agora.io; api.sd-rtn.com in mainland China; an emulator)",
    ),
];

/// The shortest and longest `time_in_seconds` of a rule that lasts (shorter ones become 10 s).
pub const RTC_MIN_RULE: Duration = Duration::from_secs(10);
/// The longest rule: 86,430 s (1,440 minutes and 30 s).
pub const RTC_MAX_RULE: Duration = Duration::from_secs(86_430);

/// The online-user list: one call answers the whole channel (hosts, and the first 10,000 audience
/// members), 20 calls a second per Agora account.
pub const RTC_MEMBERS: ApiLimits = ApiLimits::new(10_000).with_rate_per_second(20);

/// Native bans: a `join_channel` rule of 10..86,430 s; 10 rule calls a second per account, the
/// rule list too (it is not "online channel information").
pub const RTC_BANS: BanSupport = BanSupport::Native {
    max_duration: RTC_MAX_RULE,
    max_rules: None,
    requests_per_second: NonZeroU32::new(10),
    list_requests_per_second: NonZeroU32::new(10),
};

/// Agora's channel-name characters (the SDKs' rule): ASCII letters, digits, space and
/// ``! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~ ,``.
pub const CHANNEL_CHARSET: CharSet = CharSet {
    description: "ASCII letters, digits, space and !#$%&()+-:;<=.>?@[]^_{}|~,",
    allows: |c| c.is_ascii_alphanumeric() || " !#$%&()+-:;<=.>?@[]^_{}|~,".contains(c),
};

/// Decimal digits (integer uids).
pub const UID_CHARSET: CharSet = CharSet {
    description: "decimal digits: an integer uid 1..4294967295 (no string user accounts)",
    allows: |c| c.is_ascii_digit(),
};

/// One uid a rule, 10 rule calls a second per Agora account (all App IDs and processes together),
/// integer uids, channel names up to 64 bytes, kick-all as one channel-wide rule, members from the
/// online list, native timed bans. No reason is carried.
pub const RTC_CAPABILITIES: Capabilities = Capabilities::new(1)
    .with_rate_per_second(10)
    .with_room_id(IdRule::max_bytes(64).with_charset(CHANNEL_CHARSET))
    .with_user_id(IdRule::max_bytes(10).with_charset(UID_CHARSET))
    .with_members(RTC_MEMBERS)
    .with_disconnect_all(true)
    .with_bans(RTC_BANS);

/// Rule ids this process keeps at most (lapsed ones are dropped first).
const MAX_KEPT_RULES: usize = 100_000;

/// An integer uid from a user id: decimal, 1..=4294967295, no sign or leading zero.
pub fn parse_uid(user: &str) -> Result<u32, Error> {
    let canonical =
        !user.is_empty() && user.bytes().all(|b| b.is_ascii_digit()) && !user.starts_with('0');
    match user.parse::<u32>() {
        Ok(uid) if canonical && uid > 0 => Ok(uid),
        _ => Err(Error::invalid_input(format!(
            "{user:?} is not an Agora integer uid (1..4294967295): the channel management REST API has no string user accounts. \
             An app whose clients join with string accounts must give the integer uid Agora mapped the account to \
             (the SDK's getUserInfoByUserAccount, or the uid of the Agora Notifications join event), or join with integer uids it assigns itself"
        ))
        .with_provider(RTC_PROVIDER)),
    }
}

/// The RTC adapter. Turn it into a [`Moderator`](room_moderator_core::Moderator) with
/// [`Engine::new`](room_moderator_core::Engine::new).
///
/// - A kick is `POST /dev/v1/kicking-rule {appid, cname, uid, time_in_seconds: 0, privileges:
///   ["join_channel"]}`; the answer cannot tell an absent user, so `Disconnected` means "not in the
///   channel now" (and a kick is best effort: a client that was reconnecting may come back).
/// - A ban is the same rule with 10..86,430 s; its id is kept (in this process, and found again in
///   the rule list by any other) so `unban` deletes it by id. A POST that timed out or failed with a
///   5xx is looked up in the rule list before it is sent again.
/// - A kick of a user this adapter holds a rule for is already done (the rule took them offline):
///   no second call.
pub struct AgoraRtc {
    http: HttpClient,
    app_id: String,
    customer_id: String,
    authorization: String,
    rules: Mutex<HashMap<(RoomId, u32), (u64, SystemTime)>>,
}

fn codes(_status: u16, _code: &str) -> Option<CodeMeaning> {
    // The RTC API names no codes: the status decides (a body `message` is quoted, never matched).
    None
}

impl AgoraRtc {
    /// A builder.
    pub fn builder() -> AgoraRtcBuilder {
        AgoraRtcBuilder::default()
    }

    /// Builds from the environment ([`RTC_ENV_VARS`]).
    pub fn from_env() -> Result<Self, Error> {
        AgoraRtcBuilder::from_env().build()
    }

    /// The App ID.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.http.endpoint().clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
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
            .header("authorization", &self.authorization);
        if let Some(body) = body {
            request = request.json(body);
        }
        success_object(&self.http.send(request).await?, codes)
    }

    fn rule_body(&self, room: Option<&RoomId>, uid: Option<u32>, secs: u64) -> Value {
        let mut body = json!({
            "appid": self.app_id,
            "time_in_seconds": secs,
            "privileges": ["join_channel"],
        });
        if let Some(room) = room {
            body["cname"] = Value::String(room.as_str().to_owned());
        }
        if let Some(uid) = uid {
            body["uid"] = Value::from(uid);
        }
        body
    }

    /// `POST kicking-rule`; the rule id.
    async fn post_rule(&self, body: &Value) -> Result<u64, Error> {
        let object = self
            .call(
                Method::POST,
                self.url(&["dev", "v1", "kicking-rule"]),
                Some(body),
            )
            .await?;
        if object.get("status").and_then(Value::as_str) != Some("success") {
            return Err(protocol(
                RTC_PROVIDER,
                "the rule answer does not say success",
            ));
        }
        object
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| protocol(RTC_PROVIDER, "the rule answer has no numeric id"))
    }

    /// The `join_channel` rules of this App ID naming `room` and a uid: (id, uid, expiry).
    async fn list_rules(&self, room: &RoomId) -> Result<Vec<(u64, u32, SystemTime)>, Error> {
        let mut url = self.url(&["dev", "v1", "kicking-rule"]);
        url.query_pairs_mut().append_pair("appid", &self.app_id);
        let object = self.call(Method::GET, url, None).await?;
        decode_rules(&object, room)
    }

    fn keep_rule(&self, room: &RoomId, uid: u32, id: u64, expires: SystemTime) {
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        if rules.len() >= MAX_KEPT_RULES {
            let now = wall_clock_now();
            rules.retain(|_, (_, until)| *until > now);
            if rules.len() >= MAX_KEPT_RULES {
                return;
            }
        }
        rules.insert((room.clone(), uid), (id, expires));
    }

    fn kept_rule(&self, room: &RoomId, uid: u32) -> Option<(u64, SystemTime)> {
        let rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        rules
            .get(&(room.clone(), uid))
            .copied()
            .filter(|(_, until)| *until > wall_clock_now())
    }
}

/// Reads `{"status":"success","rules":[{id, uid, cname, ts, privileges}]}`: the join rules of `room`.
pub(crate) fn decode_rules(
    object: &Map<String, Value>,
    room: &RoomId,
) -> Result<Vec<(u64, u32, SystemTime)>, Error> {
    let rules = match object.get("rules") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(rules)) => rules,
        Some(_) => return Err(protocol(RTC_PROVIDER, "rules is not a list")),
    };
    let mut found = Vec::new();
    for rule in rules {
        let Value::Object(rule) = rule else {
            return Err(protocol(RTC_PROVIDER, "a rule is not an object"));
        };
        if rule.get("cname").and_then(Value::as_str) != Some(room.as_str()) {
            continue;
        }
        let joins = rule
            .get("privileges")
            .and_then(Value::as_array)
            .is_some_and(|p| p.iter().any(|p| p.as_str() == Some("join_channel")));
        let Some(uid) = rule
            .get("uid")
            .and_then(Value::as_u64)
            .and_then(|u| u32::try_from(u).ok())
            .filter(|u| *u > 0)
        else {
            continue;
        };
        if !joins {
            continue;
        }
        let id = rule
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| protocol(RTC_PROVIDER, "a rule has no numeric id"))?;
        let expires = rule
            .get("ts")
            .and_then(Value::as_str)
            .and_then(parse_iso8601)
            .ok_or_else(|| protocol(RTC_PROVIDER, "a rule's ts is not an ISO 8601 UTC time"))?;
        found.push((id, uid, expires));
    }
    Ok(found)
}

/// Reads the online-user list: hosts (or users) then audience, and the channel's total.
pub(crate) fn decode_online(object: &Map<String, Value>) -> Result<MemberPage, Error> {
    if object.get("success").and_then(Value::as_bool) != Some(true) {
        return Err(protocol(
            RTC_PROVIDER,
            "the online list does not say success",
        ));
    }
    let data = match object.get("data") {
        Some(Value::Object(data)) => data,
        _ => return Err(protocol(RTC_PROVIDER, "the online list has no data object")),
    };
    if data.get("channel_exist").and_then(Value::as_bool) == Some(false) {
        return Ok(MemberPage::new(Vec::new(), None).with_total(Some(0)));
    }
    let uids = |key: &str| -> Result<Vec<u64>, Error> {
        match data.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(list)) => list
                .iter()
                .map(|u| {
                    u.as_u64().ok_or_else(|| {
                        protocol(RTC_PROVIDER, format!("{key} holds a non-integer uid"))
                    })
                })
                .collect(),
            Some(_) => Err(protocol(RTC_PROVIDER, format!("{key} is not a list"))),
        }
    };
    let mode = data.get("mode").and_then(Value::as_u64);
    let (mut members, total) = match mode {
        Some(1) => {
            let users = uids("users")?;
            let total = data
                .get("total")
                .and_then(Value::as_u64)
                .map_or(users.len(), |t| t as usize);
            (users, total)
        }
        Some(2) => {
            let mut everyone = uids("broadcasters")?;
            let audience = uids("audience")?;
            let audience_total = data
                .get("audience_total")
                .and_then(Value::as_u64)
                .map_or(audience.len(), |t| t as usize);
            if audience_total > audience.len() {
                warn!(
                    listed = audience.len(),
                    audience_total,
                    "Agora lists the first 10,000 audience members only: kick-all uses the channel-wide rule"
                );
            }
            let total = everyone.len() + audience_total;
            everyone.extend(audience);
            (everyone, total)
        }
        _ => return Err(protocol(RTC_PROVIDER, "the online list has no mode 1 or 2")),
    };
    members.dedup();
    Ok(MemberPage::new(
        members
            .into_iter()
            .map(|uid| Member::new(uid.to_string()))
            .collect(),
        None,
    )
    .with_total(Some(total)))
}

#[async_trait]
impl Adapter for AgoraRtc {
    fn provider(&self) -> &'static str {
        RTC_PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        RTC_CAPABILITIES
    }

    /// The rate is the Agora account's (its customer id), not the App ID's: every App ID and process
    /// on one account shares it.
    fn quota_key(&self) -> Option<QuotaKey> {
        Some(QuotaKey::new(
            RTC_PROVIDER,
            self.customer_id.clone(),
            "kicking-rule",
        ))
    }

    fn account(&self) -> String {
        self.app_id.clone()
    }

    fn check(&self, request: &DisconnectRequest) -> Result<(), Error> {
        for user in request.users() {
            parse_uid(user.as_str())?;
        }
        Ok(())
    }

    async fn send_batch(&self, batch: Batch<'_>) -> BatchResult {
        let mut outcomes = Vec::with_capacity(batch.users.len());
        for user in batch.users {
            let uid = match parse_uid(user.as_str()) {
                Ok(uid) => uid,
                Err(error) => {
                    outcomes.push(Outcome::Failed(error));
                    continue;
                }
            };
            if self.kept_rule(batch.room, uid).is_some() {
                debug!(uid, "a join rule of ours took this user offline already");
                outcomes.push(Outcome::Disconnected);
                continue;
            }
            match self
                .post_rule(&self.rule_body(Some(batch.room), Some(uid), 0))
                .await
            {
                Ok(_) => outcomes.push(Outcome::Disconnected),
                Err(error) if batch.users.len() == 1 => return BatchResult::Whole(error),
                Err(error) => outcomes.push(Outcome::Failed(error)),
            }
        }
        BatchResult::PerUser(outcomes)
    }

    /// One channel-wide rule (`cname` only, `time_in_seconds: 0`): everyone offline once, however
    /// large the audience.
    async fn disconnect_all(&self, room: &RoomId, _reason: Option<&Reason>) -> Result<(), Error> {
        self.post_rule(&self.rule_body(Some(room), None, 0))
            .await
            .map(drop)
    }

    async fn members_page(
        &self,
        room: &RoomId,
        _cursor: Option<&str>,
    ) -> Result<MemberPage, Error> {
        let url = self.url(&["dev", "v1", "channel", "user", &self.app_id, room.as_str()]);
        decode_online(&self.call(Method::GET, url, None).await?)
    }

    async fn set_ban_rule(
        &self,
        room: &RoomId,
        user: &UserId,
        duration: Duration,
    ) -> Result<Option<SystemTime>, Error> {
        let uid = parse_uid(user.as_str())?;
        let secs = (duration.as_secs() + u64::from(duration.subsec_nanos() > 0))
            .clamp(RTC_MIN_RULE.as_secs(), RTC_MAX_RULE.as_secs());
        let sent = wall_clock_now();
        match self
            .post_rule(&self.rule_body(Some(room), Some(uid), secs))
            .await
        {
            Ok(id) => {
                let expires = sent + Duration::from_secs(secs);
                self.keep_rule(room, uid, id, expires);
                Ok(Some(expires))
            }
            Err(error) if effect_unknown(&error) => {
                // The POST may have made the rule: look it up before it is sent again.
                let listed = self.list_rules(room).await.unwrap_or_default();
                match listed
                    .into_iter()
                    .filter(|(_, u, _)| *u == uid)
                    .max_by_key(|(_, _, until)| *until)
                {
                    Some((id, _, expires)) if expires > sent => {
                        debug!(id, "the rule was made despite the failed answer");
                        self.keep_rule(room, uid, id, expires);
                        Ok(Some(expires))
                    }
                    _ => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// Deletes the rule by the id kept with the ban; another process's rule is found by id in the
    /// rule list. A rule already gone (404) is deleted.
    async fn delete_ban_rule(&self, room: &RoomId, user: &UserId) -> Result<(), Error> {
        let uid = parse_uid(user.as_str())?;
        let kept = self
            .rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(room.clone(), uid));
        let ids: Vec<u64> = match kept {
            Some((id, _)) => vec![id],
            None => self
                .list_rules(room)
                .await?
                .into_iter()
                .filter(|(_, u, _)| *u == uid)
                .map(|(id, _, _)| id)
                .collect(),
        };
        for id in ids {
            let body = json!({ "appid": self.app_id, "id": id });
            match self
                .call(
                    Method::DELETE,
                    self.url(&["dev", "v1", "kicking-rule"]),
                    Some(&body),
                )
                .await
            {
                Ok(_) => {}
                // What Agora answers for an id that lapsed or was deleted is UNVERIFIED; a 404 for a
                // known id means it is gone either way.
                Err(error)
                    if error.kind() == room_moderator_core::ErrorKind::Config
                        && error.message().starts_with("HTTP 404") => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    async fn ban_rules(&self, room: &RoomId) -> Result<Vec<BanRule>, Error> {
        let now = wall_clock_now();
        let mut latest: HashMap<u32, SystemTime> = HashMap::new();
        for (id, uid, expires) in self.list_rules(room).await? {
            if expires <= now {
                continue;
            }
            self.keep_rule(room, uid, id, expires);
            let slot = latest.entry(uid).or_insert(expires);
            *slot = (*slot).max(expires);
        }
        let mut rules: Vec<BanRule> = latest
            .into_iter()
            .map(|(uid, expires)| BanRule::new(uid.to_string(), expires))
            .collect();
        rules.sort_by(|a, b| a.user.cmp(&b.user));
        Ok(rules)
    }
}

impl fmt::Debug for AgoraRtc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgoraRtc")
            .field("endpoint", &self.http.endpoint().as_str())
            .field("app_id", &self.app_id)
            .field("customer_id", &self.customer_id)
            .field("customer_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Builds an [`AgoraRtc`].
///
/// ```
/// use room_moderator_agora::AgoraRtcBuilder;
/// let rtc = AgoraRtcBuilder::new("4855aa00bb11cc22dd33ee44ff55eae2", "customer-id", "customer-secret").build()?;
/// # let _ = rtc;
/// # Ok::<_, room_moderator_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct AgoraRtcBuilder {
    app_id: Option<String>,
    customer_id: Option<String>,
    customer_secret: Option<String>,
    connection: Connection,
}

impl fmt::Debug for AgoraRtcBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgoraRtcBuilder")
            .field("app_id", &self.app_id)
            .field("customer_id", &self.customer_id)
            .field(
                "customer_secret",
                &self.customer_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("connection", &self.connection)
            .finish()
    }
}

impl AgoraRtcBuilder {
    /// A builder with the App ID and the RESTful API customer id and secret.
    pub fn new(
        app_id: impl Into<String>,
        customer_id: impl Into<String>,
        customer_secret: impl Into<String>,
    ) -> Self {
        AgoraRtcBuilder {
            app_id: non_empty(Some(app_id.into())),
            customer_id: non_empty(Some(customer_id.into())),
            customer_secret: non_empty(Some(customer_secret.into())),
            connection: Connection::default(),
        }
    }

    /// A builder from [`RTC_ENV_VARS`]; `build` names what is missing.
    pub fn from_env() -> Self {
        <Self as AdapterBuilder>::from_env()
    }

    room_moderator_core::connection_setters!(connection);

    /// Checks the settings and builds the adapter.
    pub fn build(self) -> Result<AgoraRtc, Error> {
        let missing =
            |var: &str| Error::config(format!("{var} is not set")).with_provider(RTC_PROVIDER);
        let app_id = self.app_id.ok_or_else(|| missing(ENV_APP_ID))?;
        let customer_id = self.customer_id.ok_or_else(|| missing(ENV_CUSTOMER_ID))?;
        let secret = self
            .customer_secret
            .ok_or_else(|| missing(ENV_CUSTOMER_SECRET))?;
        if !crate::token::is_agora_hex32(&app_id) {
            return Err(
                Error::config(format!("{ENV_APP_ID} must be 32 hexadecimal characters"))
                    .with_provider(RTC_PROVIDER),
            );
        }
        if customer_id.contains(':') {
            return Err(Error::config(format!(
                "{ENV_CUSTOMER_ID} cannot contain ':' (HTTP Basic)"
            ))
            .with_provider(RTC_PROVIDER));
        }
        Ok(AgoraRtc {
            http: HttpClient::new(&self.connection, RTC_DEFAULT_ENDPOINT, RTC_PROVIDER)?,
            authorization: format!(
                "Basic {}",
                STANDARD.encode(format!("{customer_id}:{secret}"))
            ),
            app_id,
            customer_id,
            rules: Mutex::new(HashMap::new()),
        })
    }
}

impl AdapterBuilder for AgoraRtcBuilder {
    type Adapter = AgoraRtc;
    const ENV_VARS: &'static [EnvVar] = RTC_ENV_VARS;
    const CAPABILITIES: room_moderator_core::Capabilities = RTC_CAPABILITIES;

    fn apply_vars(mut self, vars: &Vars) -> Self {
        vars.read_into(ENV_APP_ID, &mut self.app_id);
        vars.read_into(ENV_CUSTOMER_ID, &mut self.customer_id);
        vars.read_into(ENV_CUSTOMER_SECRET, &mut self.customer_secret);
        vars.read_into(ENV_ENDPOINT, &mut self.connection.endpoint);
        self
    }

    fn connection_mut(&mut self) -> &mut Connection {
        &mut self.connection
    }

    async fn build(self) -> Result<AgoraRtc, Error> {
        AgoraRtcBuilder::build(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use room_moderator_core::ErrorKind;

    #[test]
    fn uids_are_integers_only() {
        assert_eq!(parse_uid("589517928").unwrap(), 589_517_928);
        assert_eq!(parse_uid("4294967295").unwrap(), u32::MAX);
        for bad in [
            "",
            "0",
            "4294967296",
            "-1",
            "+5",
            "007",
            "alice",
            "12a",
            " 12",
            "1.0",
        ] {
            let error = parse_uid(bad).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad}");
            assert!(
                error.message().contains("no string user accounts"),
                "{error}"
            );
        }
    }

    #[test]
    fn online_lists_in_both_modes() {
        let page = |body: &str| {
            decode_online(
                serde_json::from_str::<Value>(body)
                    .unwrap()
                    .as_object()
                    .unwrap(),
            )
        };
        let empty = page(r#"{"success":true,"data":{"channel_exist":false}}"#).unwrap();
        assert!(empty.members.is_empty());
        let one = page(
            r#"{"success":true,"data":{"channel_exist":true,"mode":1,"total":2,"users":[1,2]}}"#,
        )
        .unwrap();
        assert_eq!(one.members.len(), 2);
        let live = page(r#"{"success":true,"data":{"channel_exist":true,"mode":2,"broadcasters":[2206227541],"audience":[906219905],"audience_total":12000}}"#).unwrap();
        assert_eq!(live.members.len(), 2);
        assert_eq!(live.total, Some(12_001));
        for bad in [
            r#"{"success":false}"#,
            r#"{"success":true,"data":{"mode":3}}"#,
            r#"{"success":true,"data":{"mode":1,"users":["a"]}}"#,
        ] {
            assert_eq!(page(bad).unwrap_err().kind(), ErrorKind::Protocol, "{bad}");
        }
    }

    #[test]
    fn rule_lists_keep_this_channels_join_rules() {
        let body = r#"{"status":"success","rules":[
            {"id":1,"appid":"a","uid":5,"cname":"live","ts":"2026-01-09T07:23:06.000Z","privileges":["join_channel"]},
            {"id":2,"appid":"a","uid":6,"cname":"other","ts":"2026-01-09T07:23:06.000Z","privileges":["join_channel"]},
            {"id":3,"appid":"a","uid":7,"cname":"live","ts":"2026-01-09T07:23:06.000Z","privileges":["publish_audio"]},
            {"id":4,"appid":"a","cname":"live","ts":"2026-01-09T07:23:06.000Z","privileges":["join_channel"]}]}"#;
        let object: Value = serde_json::from_str(body).unwrap();
        let rules = decode_rules(object.as_object().unwrap(), &RoomId::new("live")).unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!((rules[0].0, rules[0].1), (1, 5));
        let bad: Value = serde_json::from_str(r#"{"rules":[{"id":1,"uid":5,"cname":"live","ts":"soon","privileges":["join_channel"]}]}"#).unwrap();
        assert!(decode_rules(bad.as_object().unwrap(), &RoomId::new("live")).is_err());
    }

    #[test]
    fn the_secret_never_shows() {
        let rtc = AgoraRtcBuilder::new("4855aa00bb11cc22dd33ee44ff55eae2", "cid", "very-secret")
            .build()
            .unwrap();
        assert!(!format!("{rtc:?}").contains("very-secret"));
        let error = AgoraRtcBuilder::new("nothex", "cid", "s")
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config);
    }
}
