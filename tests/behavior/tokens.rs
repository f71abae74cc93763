//! `issue_token`: join tokens from the provider, never for a banned user.

use room_moderator::{Capabilities, TokenDecision, TokenOptions, UserId};

use crate::bans::banned;
use crate::fixture::Fixture;
use crate::{Behavior, Checked, behavior, ensure};

pub fn behaviors() -> Vec<Behavior> {
    vec![
        behavior!(an_allowed_user_gets_a_token, issues),
        behavior!(a_banned_user_gets_no_token_and_no_call, issues),
    ]
}

fn issues(caps: &Capabilities) -> Result<(), &'static str> {
    caps.tokens
        .map(drop)
        .ok_or("the adapter issues no join tokens (the app signs them itself)")
}

async fn an_allowed_user_gets_a_token(f: &Fixture) -> Checked {
    let (room, users) = f.seeded("tokens", 1)?;
    let decision = f
        .moderator()
        .await?
        .issue_token(&room, &UserId::new(users[0].as_str()), &TokenOptions::new())
        .await
        .map_err(|error| format!("issue_token: {error}"))?;
    match decision {
        TokenDecision::Issued(token) => {
            ensure!(!token.secret().is_empty(), "an empty token");
            Ok(())
        }
        other => Err(format!("refused: {other:?}")),
    }
}

async fn a_banned_user_gets_no_token_and_no_call(f: &Fixture) -> Checked {
    let (room, troll, _) = banned(f, None).await?;
    let moderator = f.moderator().await?;
    let before = f.requests()?;
    let decision = moderator
        .issue_token(&room, &UserId::new(troll.as_str()), &TokenOptions::new())
        .await
        .map_err(|error| format!("issue_token: {error}"))?;
    ensure!(
        matches!(decision, TokenDecision::Refused { .. }),
        "a banned user got {decision:?}"
    );
    let sent = f.requests()? - before;
    ensure!(sent == 0, "{sent} call(s) reached the provider");
    Ok(())
}
