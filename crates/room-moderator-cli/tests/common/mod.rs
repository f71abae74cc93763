//! What the binary's tests share: the binary with no provider configuration inherited from the
//! environment, running it off the async runtime, each provider's configuration pointing at the
//! emulator, and a ZIM kick against it.

// Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use room_moderator_emulator::Emulator;

pub mod bans;

/// Waits for every process (off the async runtime) and checks each exited 0, showing its stderr
/// when not: the processes of a multi-process test.
pub async fn wait_all_succeed(children: Vec<std::process::Child>) -> Vec<Output> {
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| child.wait_with_output().expect("binary ends"))
            .collect::<Vec<_>>()
    })
    .await
    .expect("join");
    for output in &outputs {
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    outputs
}

/// The built `moderator` binary, with every provider, Redis and log variable of this environment
/// removed, so that a test sets exactly what it means.
pub fn moderator() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_moderator"));
    for (var, _) in std::env::vars() {
        if var.starts_with("ZEGO_")
            || var.starts_with("ENABLEX_")
            || var.starts_with("LIVEKIT_")
            || var.starts_with("AGORA_")
            || var.starts_with("AWS_")
            || var == "MODERATOR_PROVIDER"
            || var == "MODERATOR_REDIS_URL"
            || var == "MODERATOR_BAN_STORE"
            || var == "RUST_LOG"
        {
            command.env_remove(var);
        }
    }
    command
}

/// Runs the binary off the async runtime (so in-process emulators keep serving), with no input.
pub async fn run(command: Command) -> Output {
    run_with_input(command, None).await
}

/// Runs the binary off the async runtime, writing `input` to its standard input.
pub async fn run_with_input(mut command: Command, input: Option<&'static str>) -> Output {
    tokio::task::spawn_blocking(move || {
        command.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("the binary starts");
        if let (Some(text), Some(mut pipe)) = (input, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).expect("stdin written");
        }
        child.wait_with_output().expect("the binary ends")
    })
    .await
    .expect("join")
}

/// Keeps the AWS SDK's credential chain away from this machine: `home` as the home directory, no
/// config or credentials files, no instance metadata (a link-local address tests must not reach).
pub fn without_aws_environment(command: &mut Command, home: &std::path::Path) {
    command
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("none"));
}

/// Every line of standard output as JSON (the `--json` format: one object per user, then the
/// summary); a line that is not JSON fails the test.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every --json line is JSON"))
        .collect()
}

/// `moderator kick --provider zego-zim --room lobby` against the emulator, with its credentials.
pub fn zim_kick(emulator: &Emulator) -> Command {
    let zego = emulator.zego();
    let mut command = moderator();
    command
        .env("ZEGO_APP_ID", zego.app_id().to_string())
        .env("ZEGO_SERVER_SECRET", zego.server_secret())
        .args([
            "kick",
            "--provider",
            "zego-zim",
            "--room",
            "lobby",
            "--endpoint",
        ])
        .arg(zego.zim().url());
    command
}

/// Every ZEGO variable pointing at the emulator: ZIM and RTC each at its own listener, so that one
/// command can reach both (`--target zego-zim:... --target zego-rtc:...`) without `--endpoint`.
pub fn zego_env(command: &mut Command, emulator: &Emulator) {
    let zego = emulator.zego();
    command
        .env("ZEGO_APP_ID", zego.app_id().to_string())
        .env("ZEGO_SERVER_SECRET", zego.server_secret())
        .env("ZEGO_ZIM_ENDPOINT", zego.zim().url())
        .env("ZEGO_RTC_ENDPOINT", zego.rtc().url());
}

/// The IVS Chat and IVS stages variables pointing at the emulators, with its static credentials and no other AWS
/// configuration of this machine (`home` stands in for the home directory).
pub fn ivschat_env(command: &mut Command, emulator: &Emulator, home: &std::path::Path) {
    let ivs = emulator.ivschat();
    without_aws_environment(command, home);
    // Empty files rather than none, or the SDK warns on stderr that they are missing.
    let _ = std::fs::write(home.join("none"), "");
    command
        .env("AWS_REGION", ivs.region())
        .env("AWS_ACCESS_KEY_ID", ivs.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", ivs.secret_access_key())
        .env("AWS_ENDPOINT_URL_IVSCHAT", ivs.base_url())
        .env(
            "AWS_ENDPOINT_URL_IVS_REALTIME",
            emulator.ivs_stages().base_url(),
        );
    if let Some(token) = ivs.session_token() {
        command.env("AWS_SESSION_TOKEN", token);
    }
}

/// Every Agora variable pointing at the emulator: RTC and Chat each at its own listener, so that
/// one command can reach both (`--target agora-rtc:... --target agora-chat:...`).
pub fn agora_env(command: &mut Command, emulator: &Emulator) {
    let (rtc, chat) = (emulator.agora().rtc(), emulator.agora().chat());
    command
        .env("AGORA_APP_ID", rtc.app_id())
        .env("AGORA_CUSTOMER_ID", rtc.customer_id())
        .env("AGORA_CUSTOMER_SECRET", rtc.customer_secret())
        .env("AGORA_ENDPOINT", rtc.base_url())
        .env("AGORA_APP_CERTIFICATE", chat.certificate())
        .env("AGORA_CHAT_HOST", chat.base_url())
        .env("AGORA_CHAT_ORG", chat.org())
        .env("AGORA_CHAT_APP", chat.app());
}

/// The EnableX variables pointing at the emulator.
pub fn enablex_env(command: &mut Command, emulator: &Emulator) {
    let enablex = emulator.enablex();
    command
        .env("ENABLEX_APP_ID", enablex.app_id())
        .env("ENABLEX_APP_KEY", enablex.app_key())
        .env("ENABLEX_API_URL", enablex.api_url());
}

/// The LiveKit emulator's URL (as `ws://`, the form LiveKit's own tools take) and credentials.
pub fn livekit_env(command: &mut Command, emulator: &Emulator) {
    let livekit = emulator.livekit();
    command
        .env("LIVEKIT_URL", livekit.url().replace("http://", "ws://"))
        .env("LIVEKIT_API_KEY", livekit.api_key())
        .env("LIVEKIT_API_SECRET", livekit.api_secret());
}

/// `moderator kick-all` of `room` on the EnableX emulator, its credentials in the environment and
/// its URL given with `--endpoint`.
pub fn enablex_kick_all(emulator: &Emulator, room: &str) -> Command {
    let enablex = emulator.enablex();
    let mut command = moderator();
    command
        .env("ENABLEX_APP_ID", enablex.app_id())
        .env("ENABLEX_APP_KEY", enablex.app_key())
        .args([
            "kick-all",
            "--provider",
            "enablex",
            "--room",
            room,
            "--endpoint",
        ])
        .arg(enablex.api_url());
    command
}

/// The binary with every provider configured against `emulator`, running `args`.
pub fn configured(emulator: &Emulator, home: &std::path::Path, args: &[&str]) -> Command {
    let mut command = moderator();
    zego_env(&mut command, emulator);
    ivschat_env(&mut command, emulator, home);
    enablex_env(&mut command, emulator);
    livekit_env(&mut command, emulator);
    command.args(args);
    command
}

/// A directory of this test's own under the temporary directory, removed when dropped: a home
/// without AWS files, a ban store's file.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "room-moderator-cli-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&path).expect("a temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The counters of processes sharing one quota through the Redis pacer, `needed` calls at
/// `per_second`: at most two throttled answers (a busy 2-core machine can delay one send past the
/// pacer's margin; the emulator, counting arrivals over exact sliding seconds, throttles it and
/// the call is sent again), each sent again, and no second over the quota but by those. Without the
/// shared pacer the processes start at a multiple of the quota: many more throttled answers
/// (docs/benchmarks.md).
pub fn assert_one_shared_quota(
    counters: &room_moderator_emulator::Counters,
    needed: u64,
    per_second: u64,
) {
    assert!(counters.throttled <= 2, "{counters:?}");
    assert_eq!(
        counters.requests,
        needed + counters.throttled,
        "{counters:?}"
    );
    assert!(
        counters.peak_per_second <= per_second + counters.throttled,
        "{counters:?}"
    );
}
