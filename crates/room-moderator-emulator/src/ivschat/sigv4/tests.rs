//! Known answers from AWS's SigV4 test suite (`aws-signing-test-suite/v4`, shipped with the
//! `aws-sigv4` crate, Apache-2.0) and the IAM User Guide's worked example, then tamper tests: every
//! change to a signed request must be refused.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z, the test suite's signing time.
const SUITE_TIME: u64 = 1_440_938_160;
const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn suite_expected(session_token: Option<&'static str>) -> Expected<'static> {
    Expected {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: SECRET,
        session_token,
        region: "us-east-1",
        service: "service",
        max_skew: Duration::from_secs(300),
    }
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    map
}

fn authorization(signed_headers: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// One signed request of the suite.
struct Vector {
    method: &'static str,
    path: &'static str,
    query: Option<&'static str>,
    headers: Vec<(&'static str, String)>,
    body: &'static [u8],
    token: Option<&'static str>,
}

impl Vector {
    fn header_map(&self) -> HeaderMap {
        let pairs: Vec<(&str, &str)> = self.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        headers(&pairs)
    }

    /// The vector as received, with `headers` (the vector's own or tampered ones).
    fn request<'a>(&'a self, headers: &'a HeaderMap) -> SignedRequest<'a> {
        SignedRequest {
            method: self.method,
            path: self.path,
            query: self.query,
            headers,
            body: self.body,
        }
    }

    fn verify(&self, headers: &HeaderMap, now: u64) -> Result<(), Rejection> {
        verify(&self.request(headers), &suite_expected(self.token), at(now))
    }
}

fn post_vanilla() -> Vector {
    Vector {
        method: "POST",
        path: "/",
        query: None,
        headers: vec![
            ("host", "example.amazonaws.com".to_owned()),
            ("x-amz-date", "20150830T123600Z".to_owned()),
            (
                "authorization",
                authorization(
                    "host;x-amz-date",
                    "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
                ),
            ),
        ],
        body: b"",
        token: None,
    }
}

fn post_form() -> Vector {
    Vector {
        method: "POST",
        path: "/",
        query: None,
        headers: vec![
            (
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("host", "example.amazonaws.com".to_owned()),
            ("content-length", "13".to_owned()),
            ("x-amz-date", "20150830T123600Z".to_owned()),
            (
                "x-amz-content-sha256",
                "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e".to_owned(),
            ),
            (
                "authorization",
                authorization(
                    "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
                    "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
                ),
            ),
        ],
        body: b"Param1=value1",
        token: None,
    }
}

/// A `GET` of the suite: host, `extra` headers in order, date, and the suite's signature.
fn suite_get(
    query: Option<&'static str>,
    extra: &[(&'static str, &str)],
    signed_headers: &str,
    signature: &str,
) -> Vector {
    let mut headers = vec![("host", "example.amazonaws.com".to_owned())];
    headers.extend(
        extra
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned())),
    );
    headers.push(("x-amz-date", "20150830T123600Z".to_owned()));
    headers.push(("authorization", authorization(signed_headers, signature)));
    Vector {
        method: "GET",
        path: "/",
        query,
        headers,
        body: b"",
        token: None,
    }
}

#[test]
fn iam_guide_example_signature() {
    let string_to_sign = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59";
    let key = signing_key(SECRET, "20150830", "us-east-1", "iam");
    assert_eq!(
        signature(&key, string_to_sign),
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}

#[test]
fn post_vanilla_canonical_request_string_to_sign_and_signature() {
    let vector = post_vanilla();
    let map = vector.header_map();
    let request = vector.request(&map);
    let canonical = canonical_request(&request, &["host", "x-amz-date"], EMPTY_HASH);
    assert_eq!(
        canonical,
        format!(
            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{EMPTY_HASH}"
        )
    );
    let to_sign = string_to_sign(
        "20150830T123600Z",
        "20150830/us-east-1/service/aws4_request",
        &canonical,
    );
    assert_eq!(
        to_sign,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"
    );
    assert_eq!(vector.verify(&map, SUITE_TIME), Ok(()));
}

#[test]
fn suite_requests_verify() {
    let query_order = suite_get(
        Some("Param2=value2&Param1=value1"),
        &[],
        "host;x-amz-date",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    );
    let value_trim = suite_get(
        None,
        &[("my-header1", " value1"), ("my-header2", "\"a   b   c\"")],
        "host;my-header1;my-header2;x-amz-date",
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    );
    let value_order = suite_get(
        None,
        &[
            ("my-header1", "value4"),
            ("my-header1", "value1"),
            ("my-header1", "value3"),
            ("my-header1", "value2"),
        ],
        "host;my-header1;x-amz-date",
        "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
    );
    let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    let session_token = Vector {
        token: Some(token),
        ..suite_get(
            None,
            &[("x-amz-security-token", token)],
            "host;x-amz-date;x-amz-security-token",
            "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
        )
    };
    for (name, vector) in [
        ("post-vanilla", post_vanilla()),
        ("post-x-www-form-urlencoded", post_form()),
        ("get-vanilla-query-order-key-case", query_order),
        ("get-header-value-trim", value_trim),
        ("get-header-value-order", value_order),
        ("get-vanilla-with-session-token", session_token),
    ] {
        assert_eq!(
            vector.verify(&vector.header_map(), SUITE_TIME),
            Ok(()),
            "{name}"
        );
    }
}

#[test]
fn the_path_is_encoded_twice_as_for_every_service_but_s3() {
    assert_eq!(canonical_uri("/DisconnectUser"), "/DisconnectUser");
    assert_eq!(canonical_uri("/a%20b/c@d"), "/a%2520b/c%40d");
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(canonical_query(Some("b=2&a=%7E x&a=1")), "a=1&a=~%20x&b=2");
}

fn error_type(result: Result<(), Rejection>) -> ErrorType {
    result.expect_err("refused").error_type
}

#[test]
fn tampering_with_a_signed_request_is_refused() {
    let vector = post_form();
    let signed = vector.header_map();

    // A different body.
    let tampered = Vector {
        body: b"Param1=value2",
        ..post_form()
    };
    assert_eq!(
        error_type(tampered.verify(&signed, SUITE_TIME)),
        ErrorType::InvalidSignature
    );

    // A changed signed header.
    let mut changed = signed.clone();
    changed.insert("content-type", HeaderValue::from_static("application/json"));
    assert_eq!(
        error_type(vector.verify(&changed, SUITE_TIME)),
        ErrorType::InvalidSignature
    );

    // A different path, method or query.
    for other in [
        Vector {
            path: "/other",
            ..post_form()
        },
        Vector {
            method: "PUT",
            ..post_form()
        },
        Vector {
            query: Some("x=1"),
            ..post_form()
        },
    ] {
        assert_eq!(
            error_type(other.verify(&signed, SUITE_TIME)),
            ErrorType::InvalidSignature
        );
    }

    // A flipped signature digit.
    let mut flipped = signed.clone();
    let auth = authorization(
        "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
        "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0c",
    );
    flipped.insert(
        "authorization",
        HeaderValue::from_str(&auth).expect("ascii"),
    );
    assert_eq!(
        error_type(vector.verify(&flipped, SUITE_TIME)),
        ErrorType::InvalidSignature
    );
}

#[test]
fn a_wrong_secret_is_refused() {
    let vector = post_vanilla();
    let map = vector.header_map();
    let request = vector.request(&map);
    let wrong = Expected {
        secret_access_key: "not-the-secret",
        ..suite_expected(None)
    };
    let rejection = verify(&request, &wrong, at(SUITE_TIME)).expect_err("wrong secret");
    assert_eq!(rejection.error_type, ErrorType::InvalidSignature);
    assert!(rejection.message.contains("does not match"));
}

#[test]
fn unknown_keys_and_tokens_are_unrecognized() {
    let vector = post_vanilla();
    let map = vector.header_map();
    let request = vector.request(&map);
    for expected in [
        Expected {
            access_key_id: "AKIDOTHER",
            ..suite_expected(None)
        },
        suite_expected(Some("a-token-the-request-lacks")),
    ] {
        assert_eq!(
            error_type(verify(&request, &expected, at(SUITE_TIME))),
            ErrorType::UnrecognizedClient
        );
    }
}

#[test]
fn a_date_more_than_five_minutes_off_is_refused() {
    let vector = post_vanilla();
    let map = vector.header_map();
    assert_eq!(vector.verify(&map, SUITE_TIME + 300), Ok(()));
    assert_eq!(vector.verify(&map, SUITE_TIME - 300), Ok(()));
    let late = vector.verify(&map, SUITE_TIME + 301).expect_err("expired");
    assert_eq!(late.error_type, ErrorType::InvalidSignature);
    assert_eq!(
        late.message,
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)"
    );
    let early = vector.verify(&map, SUITE_TIME - 301).expect_err("future");
    assert!(
        early.message.starts_with("Signature not yet current"),
        "{}",
        early.message
    );
}

#[test]
fn malformed_authorization_is_incomplete_or_missing() {
    let vector = post_vanilla();
    let mut map = vector.header_map();
    map.remove("authorization");
    assert_eq!(
        error_type(vector.verify(&map, SUITE_TIME)),
        ErrorType::MissingAuthenticationToken
    );
    for value in [
        "AWS4-HMAC-SHA1 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature=00",
    ] {
        map.insert(
            "authorization",
            HeaderValue::from_str(value).expect("ascii"),
        );
        assert_eq!(
            error_type(vector.verify(&map, SUITE_TIME)),
            ErrorType::IncompleteSignature,
            "{value}"
        );
    }
}

#[test]
fn the_scope_must_name_our_region_service_and_date() {
    let vector = post_vanilla();
    for credential in [
        "AKIDEXAMPLE/20150830/eu-west-1/service/aws4_request",
        "AKIDEXAMPLE/20150830/us-east-1/ivs/aws4_request",
        "AKIDEXAMPLE/20150831/us-east-1/service/aws4_request",
        "AKIDEXAMPLE/20150830/us-east-1/service/aws5_request",
    ] {
        let mut map = vector.header_map();
        let value = format!(
            "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date, Signature=00"
        );
        map.insert(
            "authorization",
            HeaderValue::from_str(&value).expect("ascii"),
        );
        assert_eq!(
            error_type(vector.verify(&map, SUITE_TIME)),
            ErrorType::InvalidSignature,
            "{credential}"
        );
    }
}

#[test]
fn amz_dates_round_trip() {
    assert_eq!(parse_amz_date("20150830T123600Z"), Some(SUITE_TIME));
    assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
    assert_eq!(parse_amz_date("20240229T235959Z"), Some(1_709_251_199));
    for secs in [0, SUITE_TIME, 1_709_251_199, 4_102_444_800] {
        assert_eq!(parse_amz_date(&format_amz_date(secs)), Some(secs));
    }
    for bad in [
        "2015-08-30T12:36:00Z",
        "20150830T123600",
        "20151330T123600Z",
        "20150830T253600Z",
        "2015083OT123600Z",
        "+0150830T123600Z",
    ] {
        assert_eq!(parse_amz_date(bad), None, "{bad}");
    }
}
