//! A token endpoint with a join gate: the piece of your backend that keeps banned users out.
//!
//! Clients ask `GET /chat-token?room=R&user=U` before joining a chat room (the IVS Chat JS SDK calls
//! its `tokenProvider` again on every reconnect, so a kicked client comes back here within seconds).
//! The handler asks `issue_token`, which refuses a banned user without calling the provider; a
//! moderator's `ban` (from the `moderator ban` CLI, say) takes effect on the next request.
//!
//! `cargo run --example token_endpoint --features mock` serves it on 127.0.0.1:3000 over the mock
//! (`raider` is banned); `cargo test --example token_endpoint --features mock` runs its tests. In
//! production build the moderator with `room_moderator::Builder::new(Provider::IvsChat)` (or EnableX) and
//! point `MODERATOR_BAN_STORE` at the store your moderators use.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use room_moderator::mock::MockAdapter;
use room_moderator::{
    BanRequest, ErrorKind, Moderator, RoomId, TokenDecision, TokenOptions, UserId,
};

/// The query string of a token request.
#[derive(serde::Deserialize)]
struct TokenQuery {
    room: String,
    user: String,
}

/// Issues a chat token unless the user is banned from the room.
async fn chat_token(
    State(moderator): State<Arc<dyn Moderator>>,
    Query(query): Query<TokenQuery>,
) -> Response {
    let options = TokenOptions::new().with_capability("SEND_MESSAGE");
    let decision = moderator
        .issue_token(&RoomId::new(query.room), &UserId::new(query.user), &options)
        .await;
    match decision {
        Ok(TokenDecision::Issued(token)) => {
            Json(serde_json::json!({ "token": token.secret() })).into_response()
        }
        Ok(TokenDecision::Refused { until, reason }) => {
            let until = until.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            let body = serde_json::json!({
                "error": "banned",
                "until_unix": until.map(|d| d.as_secs()),
                "reason": reason,
            });
            (StatusCode::FORBIDDEN, Json(body)).into_response()
        }
        // Bad ids are the client's fault; anything else (the ban store or the provider cannot be
        // reached) is ours, and the client should try again: never issue a token unchecked.
        Err(error) if error.kind() == ErrorKind::InvalidInput => {
            (StatusCode::BAD_REQUEST, error.to_string()).into_response()
        }
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response(),
    }
}

fn app(moderator: Arc<dyn Moderator>) -> axum::Router {
    axum::Router::new()
        .route("/chat-token", get(chat_token))
        .with_state(moderator)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let moderator: Arc<dyn Moderator> = Arc::new(MockAdapter::new().moderator());
    moderator
        .ban(&BanRequest::new("lobby", ["raider"]).with_reason("raid"))
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("try: curl 'http://127.0.0.1:3000/chat-token?room=lobby&user=raider'");
    axum::serve(listener, app(moderator)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn ask(moderator: Arc<dyn Moderator>, room: &str, user: &str) -> StatusCode {
        let query = TokenQuery {
            room: room.to_owned(),
            user: user.to_owned(),
        };
        chat_token(State(moderator), Query(query)).await.status()
    }

    #[tokio::test(start_paused = true)]
    async fn banned_users_get_403_and_the_provider_is_not_asked() {
        let mock = MockAdapter::new();
        let moderator: Arc<dyn Moderator> = Arc::new(mock.moderator());
        moderator
            .ban(&BanRequest::new("lobby", ["raider"]).with_reason("raid"))
            .await
            .unwrap();
        assert_eq!(
            ask(moderator.clone(), "lobby", "raider").await,
            StatusCode::FORBIDDEN
        );
        assert!(
            mock.side_calls()
                .iter()
                .all(|call| call.api != "issue_token")
        );
        assert_eq!(
            ask(moderator.clone(), "lobby", "regular").await,
            StatusCode::OK
        );
        assert_eq!(
            ask(moderator.clone(), "other-room", "raider").await,
            StatusCode::OK
        );
        moderator
            .unban(&RoomId::new("lobby"), &["raider".into()])
            .await
            .unwrap();
        assert_eq!(ask(moderator, "lobby", "raider").await, StatusCode::OK);
    }

    #[tokio::test(start_paused = true)]
    async fn a_bad_room_id_is_the_clients_fault() {
        let moderator: Arc<dyn Moderator> = Arc::new(MockAdapter::new().moderator());
        assert_eq!(ask(moderator, "", "someone").await, StatusCode::BAD_REQUEST);
    }
}
