//! Tokens issued to users (`Moderator::issue_token`): what a request may ask for, checked before
//! anything is sent, on the same REST call the headless moderator uses for its own token.
//!
//! Source: docs/providers/enablex.md (tokens and roles) (EnableX "Create Token"): body `{name, role:
//! moderator | participant | viewer, user_ref, data (at most 5 keys)}`; tokens are single use and
//! must be used within 15 minutes.

use std::collections::BTreeMap;
use std::time::Duration;

use room_moderator_core::{Error, TokenOptions, UserId};

use crate::PROVIDER;

/// The roles a token may carry.
pub const TOKEN_ROLES: [&str; 3] = ["moderator", "participant", "viewer"];

/// The role of an issued token when the caller names none.
pub const DEFAULT_TOKEN_ROLE: &str = "participant";

/// The most keys a token's `data` may hold.
pub const MAX_TOKEN_DATA_KEYS: usize = 5;

/// How long an EnableX token may wait before it is used. Tokens carry no expiry of their own, so a
/// [`Token`](room_moderator_core::Token)'s `expires_at` is this long after the answer, by the local clock.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// A user's token request, checked.
#[derive(Debug, PartialEq)]
pub(crate) struct UserToken<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub user_ref: &'a str,
    pub data: Option<&'a BTreeMap<String, String>>,
}

fn invalid(message: String) -> Error {
    Error::invalid_input(message).with_provider(PROVIDER)
}

/// Checks `options` for a token for `user`: name defaults to the user id, role to
/// [`DEFAULT_TOKEN_ROLE`], `user_ref` is the user id; `attributes` become `data`. The headless
/// moderator's own `user_ref` is refused: the adapter's sessions never drop connections with it, so
/// a user joining under it could not be removed.
pub(crate) fn prepare<'a>(
    user: &'a UserId,
    options: &'a TokenOptions,
    moderator_ref: &str,
) -> Result<UserToken<'a>, Error> {
    if user.as_str() == moderator_ref {
        return Err(invalid(format!(
            "{moderator_ref:?} is the headless moderator's own user_ref: a user joining with it \
             could never be dropped; choose another with EnablexBuilder::with_moderator_ref"
        )));
    }
    // EnableX tokens have no capabilities or session length (the role decides what a user may
    // do): refused rather than silently dropped.
    if !options.capabilities.is_empty() {
        return Err(invalid(
            "EnableX tokens take no capabilities; choose a role (moderator, participant, viewer)"
                .to_owned(),
        ));
    }
    if options.session_duration.is_some() {
        return Err(invalid(
            "EnableX tokens take no session duration (a token is used within 15 minutes)"
                .to_owned(),
        ));
    }
    let role = options.role.as_deref().unwrap_or(DEFAULT_TOKEN_ROLE);
    if !TOKEN_ROLES.contains(&role) {
        return Err(invalid(format!(
            "{role:?} is not an EnableX role; allowed: {}",
            TOKEN_ROLES.join(", ")
        )));
    }
    let name = options.name.as_deref().unwrap_or(user.as_str());
    if name.trim().is_empty() {
        return Err(invalid("the token's name is empty".to_owned()));
    }
    if options.attributes.len() > MAX_TOKEN_DATA_KEYS {
        return Err(invalid(format!(
            "the token carries {} data keys; EnableX allows {MAX_TOKEN_DATA_KEYS}",
            options.attributes.len()
        )));
    }
    Ok(UserToken {
        name,
        role,
        user_ref: user.as_str(),
        data: (!options.attributes.is_empty()).then_some(&options.attributes),
    })
}

#[cfg(test)]
mod tests {
    use room_moderator_core::ErrorKind;

    use super::*;

    fn refused(options: TokenOptions, says: &str) {
        let user = UserId::new("alice");
        let error = prepare(&user, &options, "moderator-bot").expect_err(says);
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
        assert!(error.message().contains(says), "{says}: {error}");
    }

    #[test]
    fn defaults_are_the_user_id_and_participant() {
        let user = UserId::new("alice");
        let options = TokenOptions::new();
        assert_eq!(
            prepare(&user, &options, "moderator-bot").expect("valid"),
            UserToken {
                name: "alice",
                role: "participant",
                user_ref: "alice",
                data: None,
            }
        );
        let options = TokenOptions::new()
            .with_name("Alice")
            .with_role("viewer")
            .with_attribute("team", "red");
        let token = prepare(&user, &options, "moderator-bot").expect("valid");
        assert_eq!((token.name, token.role), ("Alice", "viewer"));
        assert_eq!(token.data.map(BTreeMap::len), Some(1));
    }

    #[test]
    fn what_enablex_cannot_carry_is_refused() {
        refused(
            TokenOptions::new().with_role("admin"),
            "moderator, participant, viewer",
        );
        refused(TokenOptions::new().with_role("Moderator"), "allowed");
        refused(TokenOptions::new().with_name(" "), "name is empty");
        refused(
            TokenOptions::new().with_capability("SEND_MESSAGE"),
            "no capabilities",
        );
        refused(
            TokenOptions::new().with_session_duration(Duration::from_secs(60)),
            "no session duration",
        );
        let six = (0..6).fold(TokenOptions::new(), |options, i| {
            options.with_attribute(format!("k{i}"), "v")
        });
        refused(six, "6 data keys");
        let user = UserId::new("moderator-bot");
        let error = prepare(&user, &TokenOptions::new(), "moderator-bot").expect_err("ours");
        assert!(error.message().contains("with_moderator_ref"), "{error}");
    }
}
