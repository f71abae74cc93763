//! The one request builder for both products: `GET {endpoint}?Action=..&<public params>&<business params>`,
//! every value percent-encoded, arrays written `UserId[]=a&UserId[]=b` as in ZEGO's API reference.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use room_moderator_core::Batch;
use url::Url;

use crate::signer::Signed;

/// Everything but RFC 3986 "unreserved" characters is encoded, so ids holding `& # + = %` or spaces
/// arrive intact. Space becomes `%20`, never `+`: servers decoding either form-style or RFC 3986-style
/// read `%20` as a space, while a literal `+` would be ambiguous.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A query string built in the order the parameters are appended.
#[derive(Debug, Default)]
pub(crate) struct Query(String);

impl Query {
    /// `Action` and the public parameters (`AppId`, `SignatureNonce`, `Timestamp`, `Signature`,
    /// `SignatureVersion`), in that order; the business parameters follow.
    pub(crate) fn signed(action: &str, signed: &Signed) -> Self {
        let mut query = Query::default();
        query.push("Action", action);
        query.push("AppId", &signed.app_id.to_string());
        query.push("SignatureNonce", &signed.nonce);
        query.push("Timestamp", &signed.timestamp.to_string());
        query.push("Signature", &signed.signature);
        query.push("SignatureVersion", "2.0");
        query
    }

    /// Appends `key=value`. Keys are ours and already safe (`UserId[]` keeps its brackets, which the
    /// docs show literally and which are legal in a query); values are percent-encoded.
    pub(crate) fn push(&mut self, key: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0.push_str(key);
        self.0.push('=');
        self.0.extend(utf8_percent_encode(value, VALUE));
    }
}

/// A signed call's query: `Action` and the public parameters ([`Query::signed`]), then `params` in
/// order, then the product's `extra` parameters. The one query builder of every call.
pub(crate) fn signed_query(
    action: &str,
    signed: &Signed,
    params: &[(&str, &str)],
    extra: &[(&'static str, String)],
) -> String {
    let mut query = Query::signed(action, signed);
    for (key, value) in params {
        query.push(key, value);
    }
    for (key, value) in extra {
        query.push(key, value);
    }
    query.0
}

/// The business parameters of one kick call: `RoomId`, every `UserId[]`, then `CustomReason` if any.
pub(crate) fn kick_params<'b>(batch: &Batch<'b>) -> Vec<(&'static str, &'b str)> {
    let mut params = vec![("RoomId", batch.room.as_str())];
    params.extend(batch.users.iter().map(|user| ("UserId[]", user.as_str())));
    if let Some(reason) = batch.reason {
        params.push(("CustomReason", reason.as_str()));
    }
    params
}

/// The query of one kick call, as the adapter builds it.
///
/// Order: `Action`, the public parameters (`AppId`, `SignatureNonce`, `Timestamp`, `Signature`,
/// `SignatureVersion`), `RoomId`, every `UserId[]`, `CustomReason` if any, then the product's extras
/// (`FromUserId` for ZIM, `IsTest` for RTC).
#[cfg(test)]
pub(crate) fn kick_query(
    action: &str,
    signed: &Signed,
    batch: &Batch<'_>,
    extra: &[(&'static str, String)],
) -> String {
    signed_query(action, signed, &kick_params(batch), extra)
}

/// The endpoint with `query` as its query string (any query the endpoint had is replaced).
pub(crate) fn kick_url(endpoint: &Url, query: &str) -> Url {
    let mut url = endpoint.clone();
    url.set_query(Some(query));
    url
}

#[cfg(test)]
mod tests {
    use room_moderator_core::{Reason, RoomId, UserId};

    use super::*;
    use crate::signer::official_vector;

    #[test]
    fn parameters_in_documented_form_and_order() {
        let room = RoomId::new("room1");
        let users = [UserId::new("a"), UserId::new("b")];
        let reason = Reason::new("spam");
        let batch = Batch {
            room: &room,
            users: &users,
            reason: Some(&reason),
            attempt: 1,
        };
        let query = kick_query(
            "KickoutRoomUser",
            &official_vector(),
            &batch,
            &[("FromUserId", "admin".to_owned())],
        );
        assert_eq!(
            query,
            "Action=KickoutRoomUser&AppId=12345&SignatureNonce=4fd24687296dd9f3&Timestamp=1615186943\
             &Signature=43e5cfcca828314675f91b001390566a&SignatureVersion=2.0&RoomId=room1\
             &UserId[]=a&UserId[]=b&CustomReason=spam&FromUserId=admin"
        );
    }

    #[test]
    fn reserved_characters_are_encoded_and_decode_back() {
        let room = RoomId::new("r &#+=%?");
        let users = [
            UserId::new("a&b=c"),
            UserId::new("x#y z"),
            UserId::new("%41+"),
        ];
        let reason = Reason::new("bye & don't come back #1 +100% é");
        let batch = Batch {
            room: &room,
            users: &users,
            reason: Some(&reason),
            attempt: 1,
        };
        let query = kick_query("KickoutUser", &official_vector(), &batch, &[]);
        assert!(query.contains("RoomId=r%20%26%23%2B%3D%25%3F"), "{query}");
        assert!(
            !query.contains('+') && !query.contains(' ') && !query.contains('#'),
            "{query}"
        );
        let endpoint = Url::parse("http://127.0.0.1:9/").unwrap();
        let url = kick_url(&endpoint, &query);
        assert_eq!(
            url.query(),
            Some(query.as_str()),
            "the URL must not re-encode"
        );
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |key: &str| -> Vec<&str> {
            pairs
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        assert_eq!(get("RoomId"), ["r &#+=%?"]);
        assert_eq!(get("UserId[]"), ["a&b=c", "x#y z", "%41+"]);
        assert_eq!(get("CustomReason"), ["bye & don't come back #1 +100% é"]);
    }

    #[test]
    fn no_reason_no_parameter_and_endpoint_path_is_kept() {
        let room = RoomId::new("r");
        let users = [UserId::new("u")];
        let batch = Batch {
            room: &room,
            users: &users,
            reason: None,
            attempt: 2,
        };
        let query = kick_query("KickoutUser", &official_vector(), &batch, &[]);
        assert!(!query.contains("CustomReason"));
        let endpoint = Url::parse("https://proxy.example/zego/rtc/?old=1").unwrap();
        let url = kick_url(&endpoint, &query);
        assert_eq!(url.path(), "/zego/rtc/");
        assert!(
            url.as_str()
                .starts_with("https://proxy.example/zego/rtc/?Action=KickoutUser&")
        );
    }
}
