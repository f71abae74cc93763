//! Building a moderator from the command line's provider, connection flags and ban store, and
//! telling an error raised before anything was sent (exit 2) from one the provider answered (exit 1).

use std::process::ExitCode;
use std::sync::Arc;

use room_moderator::{Builder, DisconnectRequest, ErrorKind, Moderator, Provider};

use crate::args::{BanTarget, Connection, Target};
use crate::{Failure, output};

/// The facade's builder for `provider` with the connection flags applied (`--endpoint`,
/// `--allow-http`, `--redis`, `--deadline`).
pub fn builder(provider: Provider, connection: &Connection) -> Builder {
    let mut builder = Builder::new(provider).with_allow_http(connection.allow_http);
    if let Some(endpoint) = &connection.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(url) = &connection.redis {
        builder = builder.with_redis(url);
    }
    if let Some(deadline) = connection.deadline {
        builder = builder.with_deadline(deadline.into());
    }
    builder
}

/// The moderator for a target, its configuration read from the environment.
pub async fn build(target: &Target) -> Result<Arc<dyn Moderator>, Failure> {
    builder(target.provider, &target.connection)
        .build()
        .await
        .map_err(Failure::Config)
}

/// The moderator for a target whose bans matter: `--store` (else `MODERATOR_BAN_STORE`, read by
/// the facade) says where they are kept.
pub async fn build_with_store(target: &BanTarget) -> Result<Arc<dyn Moderator>, Failure> {
    let builder = builder(target.target.provider, &target.target.connection);
    with_store(builder, target.store.as_deref())?
        .build()
        .await
        .map_err(Failure::Config)
}

/// Applies `--store`.
pub fn with_store(builder: Builder, store: Option<&str>) -> Result<Builder, Failure> {
    match store {
        None => Ok(builder),
        Some(url) if url.trim().is_empty() => Err(Failure::Usage(
            "--store: the ban store URL is empty".to_owned(),
        )),
        Some(url) => Ok(builder.with_ban_store(url)),
    }
}

/// Checks `room` by the provider's rules before anything is sent (as a one-user kick plan would),
/// so that a bad room is a usage error.
pub fn check_room(moderator: &dyn Moderator, room: &str) -> Result<(), Failure> {
    moderator
        .plan(&DisconnectRequest::new(room, ["x"]))
        .map(drop)
        .map_err(Failure::Config)
}

/// Whether an error means the request never left this process: bad input, missing configuration,
/// an operation the provider does not have.
pub fn nothing_sent(error: &room_moderator::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::InvalidInput | ErrorKind::Config | ErrorKind::Unsupported
    )
}

/// The end of a command whose one provider call failed: exit 2 if nothing was sent, else the error on
/// one line and exit 1.
pub fn failed(error: room_moderator::Error) -> Result<ExitCode, Failure> {
    if nothing_sent(&error) {
        return Err(Failure::Config(error));
    }
    Ok(error_exit(&error))
}

/// The error of a command that sent something, on one line; exit 1.
pub fn error_exit(error: &room_moderator::Error) -> ExitCode {
    eprintln!(
        "moderator: error: {}",
        output::terminal_safe(&error.to_string())
    );
    ExitCode::from(1)
}
