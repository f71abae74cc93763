//! ZEGO's room callbacks (docs/providers/webhooks.md §1): ZIM `room_enter` / `room_exit` and Express
//! RTC `room_login` / `room_logout`, POST JSON, signed with the body field `signature` = lowercase hex
//! sha1 of `CallbackSecret`, `timestamp` and `nonce` sorted as strings and concatenated (the body
//! itself is not covered).
//!
//! Where ZEGO's docs read two ways the emulator takes one and can switch ([`ZegoCallbackStyle`]):
//! ZIM's `timestamp` in milliseconds (the field table) or seconds (the sample); ZIM signed with the
//! CallbackSecret (the console) or the ServerSecret (the English ZIM page); RTC values all JSON
//! strings (the current sample) or numbers (the 2023 page).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};

use super::service::Product;
use crate::callbacks::{Callbacks, Signed, unix_millis};

/// The documented signature: lowercase hex sha1 of the three values sorted as strings (byte order)
/// and concatenated without a separator.
pub fn signature(secret: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [secret, timestamp, nonce];
    parts.sort_unstable();
    hex::encode(Sha1::digest(parts.concat()))
}

/// The unit of ZIM's callback `timestamp`: the field tables say milliseconds, the sample shows ten
/// digits (seconds). UNVERIFIED; in JSON `"millis"` or `"seconds"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampUnit {
    /// Unix milliseconds (the field table; the emulator's default).
    #[default]
    Millis,
    /// Unix seconds (the sample).
    Seconds,
}

/// Which secret ZIM signs callbacks with: the console lists a CallbackSecret, the English ZIM page
/// says ServerSecret. UNVERIFIED; in JSON `"callback_secret"` or `"server_secret"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningKey {
    /// The CallbackSecret (the emulator's default).
    #[default]
    CallbackSecret,
    /// The ServerSecret.
    ServerSecret,
}

/// How RTC writes its callback values: the current sample quotes every value, the 2023 page writes
/// numbers. In JSON `"strings"` or `"numbers"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueStyle {
    /// Every value a JSON string (the current sample; the emulator's default).
    #[default]
    Strings,
    /// Numbers as JSON numbers (the 2023 page).
    Numbers,
}

/// The readings the ZEGO callbacks take where the docs give two.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ZegoCallbackStyle {
    /// ZIM's `timestamp` unit.
    pub zim_timestamp: TimestampUnit,
    /// ZIM's signing secret.
    pub zim_key: SigningKey,
    /// RTC's value types.
    pub rtc_values: ValueStyle,
}

/// What a product needs to build its callbacks.
#[derive(Debug)]
pub(super) struct Sender {
    pub callbacks: Callbacks,
    pub app_id: u32,
    pub callback_secret: String,
    pub server_secret: String,
    style: std::sync::Mutex<ZegoCallbackStyle>,
    /// `session_id` and `user_update_seq` source.
    seq: AtomicU64,
}

impl Sender {
    pub(super) fn new(
        product: Product,
        app_id: u32,
        callback_secret: String,
        server_secret: String,
        style: ZegoCallbackStyle,
    ) -> Self {
        let (name, retry) = match product {
            Product::Zim => ("zego-zim", crate::callbacks::ZEGO_RETRY),
            Product::Rtc => ("zego-rtc", crate::callbacks::ZEGO_RETRY),
        };
        Sender {
            callbacks: Callbacks::new(name, retry),
            app_id,
            callback_secret,
            server_secret,
            style: std::sync::Mutex::new(style),
            seq: AtomicU64::new(1),
        }
    }

    pub(super) fn style(&self) -> ZegoCallbackStyle {
        *self.style.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn set_style(&self, style: ZegoCallbackStyle) {
        *self.style.lock().unwrap_or_else(|p| p.into_inner()) = style;
    }

    /// Adds the common fields, signs with `secret` and queues.
    fn post(&self, mut fields: Map<String, Value>, timestamp: Value, secret: &str) {
        let nonce = rand::random::<u32>().to_string();
        let timestamp_text = match &timestamp {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        fields.insert("appid".to_owned(), json!(self.app_id.to_string()));
        fields.insert("timestamp".to_owned(), timestamp);
        fields.insert("nonce".to_owned(), json!(nonce));
        fields.insert(
            "signature".to_owned(),
            json!(signature(secret, &timestamp_text, &nonce)),
        );
        let body = serde_json::to_vec(&Value::Object(fields)).unwrap_or_default();
        // ZEGO's Content-Type is UNVERIFIED; JSON is its default format.
        self.callbacks.send_fixed(Signed {
            body,
            headers: vec![("content-type", "application/json".to_owned())],
        });
    }

    fn zim(&self, fields: Map<String, Value>) {
        if !self.callbacks.enabled() {
            return;
        }
        let style = self.style();
        let millis = unix_millis();
        let timestamp = match style.zim_timestamp {
            TimestampUnit::Millis => millis,
            TimestampUnit::Seconds => millis / 1000,
        };
        let secret = match style.zim_key {
            SigningKey::CallbackSecret => &self.callback_secret,
            SigningKey::ServerSecret => &self.server_secret,
        };
        self.post(fields, json!(timestamp), secret);
    }

    /// ZIM `room_enter` for `user` entering `room`.
    pub(super) fn room_enter(&self, room: &str, user: &str) {
        let fields = json!({
            "event": "room_enter",
            "room_id": room,
            "operator_account": user,
        });
        if let Value::Object(fields) = fields {
            self.zim(fields);
        }
    }

    /// ZIM `room_exit` for `users` leaving `room`: `Kickout` by `kicker` (empty when the kick named
    /// no `FromUserId`), else `Quit`.
    pub(super) fn room_exit(&self, room: &str, users: &[String], kicker: Option<&str>) {
        let (exit_type, operator) = match kicker {
            Some(kicker) => ("Kickout", kicker.to_owned()),
            None => ("Quit", users.first().cloned().unwrap_or_default()),
        };
        let fields = json!({
            "event": "room_exit",
            "room_id": room,
            "exit_type": exit_type,
            "operator_account": operator,
            "exit_user_ids": users,
        });
        if let Value::Object(fields) = fields {
            self.zim(fields);
        }
    }

    fn rtc(&self, event: &str, room: &str, user: &str, extra: &[(&str, u64)]) {
        if !self.callbacks.enabled() {
            return;
        }
        let style = self.style().rtc_values;
        let number = |n: u64| match style {
            ValueStyle::Strings => json!(n.to_string()),
            ValueStyle::Numbers => json!(n),
        };
        let millis = unix_millis();
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut fields = Map::new();
        fields.insert("event".to_owned(), json!(event));
        fields.insert("room_id".to_owned(), json!(room));
        fields.insert("room_name".to_owned(), json!(room));
        fields.insert("room_seq".to_owned(), number(1));
        fields.insert("user_account".to_owned(), json!(user));
        fields.insert("user_nickname".to_owned(), json!(user));
        fields.insert("session_id".to_owned(), number(seq));
        fields.insert("user_update_seq".to_owned(), number(seq));
        fields.insert("user_role".to_owned(), number(2));
        fields.insert("auth_level".to_owned(), number(0));
        fields.insert("term_type".to_owned(), number(0));
        fields.insert("callback_data".to_owned(), json!(""));
        for (name, value) in extra {
            fields.insert((*name).to_owned(), number(*value));
        }
        self.post(fields, number(millis / 1000), &self.callback_secret);
    }

    /// RTC `room_login` for `user` entering `room`.
    pub(super) fn room_login(&self, room: &str, user: &str) {
        self.rtc(
            "room_login",
            room,
            user,
            &[("login_time", unix_millis()), ("relogin", 0)],
        );
    }

    /// RTC `room_logout` for `user` leaving `room` with `reason` (3: kicked out by `KickoutUser`).
    pub(super) fn room_logout(&self, room: &str, user: &str, reason: u64) {
        self.rtc(
            "room_logout",
            room,
            user,
            &[("logout_time", unix_millis()), ("reason", reason)],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_example_signs_alike() {
        assert_eq!(
            signature("secret", "1470820198", "123412"),
            "5bd59fd62953a8059fb7eaba95720f66d19e4517"
        );
    }

    #[test]
    fn values_are_sorted_as_strings_not_numbers() {
        // As numbers 9 < 1470820198; as strings "1470820198" < "9".
        let mut sha = Sha1::new();
        sha.update("14708201989secret");
        assert_eq!(
            signature("secret", "1470820198", "9"),
            hex::encode(sha.finalize())
        );
    }
}
