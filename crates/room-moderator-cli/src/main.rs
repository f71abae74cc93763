//! The `moderator` command-line tool.

mod args;
mod ban;
#[cfg(feature = "emulators")]
mod bench;
#[cfg(feature = "emulators")]
mod bench_compare;
#[cfg(feature = "emulators")]
mod bench_presence;
mod connect;
#[cfg(feature = "emulators")]
mod demo;
#[cfg(feature = "emulators")]
mod demo_bans;
#[cfg(feature = "emulators")]
mod emulate;
#[cfg(feature = "emulators")]
mod emulated;
mod hook;
mod interrupt;
mod kick;
mod kick_all;
mod members;
mod output;
mod serve;
mod sweep;
mod targets;
mod token;
mod users;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// Why a command stopped before doing its work; exit status 2.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments or input files.
    Usage(String),
    /// Bad configuration or a request rejected before sending.
    Config(room_moderator::Error),
    /// The emulators could not start.
    #[cfg(feature = "emulators")]
    Io(std::io::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Usage(message) => f.write_str(message),
            Failure::Config(error) => write!(f, "{error}"),
            #[cfg(feature = "emulators")]
            Failure::Io(error) => write!(f, "{error}"),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("moderator: error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Kick(args) => kick::kick(args).await,
            Command::KickAll(args) => kick_all::kick_all(args).await,
            Command::Members(args) => members::members(args).await,
            Command::Ban(args) => ban::ban(args).await,
            Command::Unban(args) => ban::unban(args).await,
            Command::Bans(args) => ban::bans(args).await,
            Command::Token(args) => token::token(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Sweep(args) => sweep::sweep(args).await,
            #[cfg(feature = "emulators")]
            Command::Demo => demo::run().await,
            #[cfg(feature = "emulators")]
            Command::Emulate(args) => emulate::run(args).await,
            #[cfg(feature = "emulators")]
            Command::Bench(args) => bench::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(failure) => {
            // Messages quote ids, file names and provider answers: escape what a terminal would act on.
            eprintln!(
                "moderator: error: {}",
                output::terminal_safe(&failure.to_string())
            );
            ExitCode::from(2)
        }
    }
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        // The AWS SDK warns once per credential source it tries; a missing credential is reported
        // by the command itself, in one line.
        0 => "warn,aws_config=error",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // No colours, and every line escaped: traces quote ids and provider answers, which could carry
    // terminal escape sequences.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(output::SafeStderr)
        .try_init();
}
