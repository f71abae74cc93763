//! The command line, as clap derive types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use room_moderator::Provider;

/// The help's closing section: every provider's environment variables, from the adapters' own tables
/// (so the help cannot drift from what the adapters read), and the exit status contract.
fn credentials_help() -> String {
    let mut help =
        String::from("Credentials come from the environment variables the adapters read:\n");
    for provider in Provider::ALL {
        help.push_str(&format!("  {}\n", provider.name()));
        for var in provider.env_vars() {
            let secret = if var.secret { " (secret)" } else { "" };
            help.push_str(&format!("    {:<26} {}{secret}\n", var.name, var.meaning));
        }
    }
    help.push_str(
        "  MODERATOR_REDIS_URL (or --redis): share the provider quota with other processes through Redis\n",
    );
    help.push_str(
        "  MODERATOR_BAN_STORE (or --store): where bans are kept (ban, unban, bans, token)\n\n\
Exit status: 0 every user is out of the room (disconnected or not there), 1 some user could not be\n\
removed (or banned, or unbanned; a token refused to a banned user; a listing that failed), 2 usage\n\
or configuration error (nothing was sent), 130 interrupted by Ctrl-C (every user's outcome is still\n\
printed: calls in flight are reported as unknown, the rest as not sent).",
    );
    help
}

/// `--provider`: the facade's provider names, parsed by the facade.
fn provider_parser() -> impl clap::builder::TypedValueParser<Value = Provider> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Provider::ALL.map(Provider::name))
        .try_map(|name| name.parse::<Provider>())
}

/// Remove users from live chat and video rooms on ZEGOCLOUD, Amazon IVS Chat and real-time stages,
/// EnableX, LiveKit and Agora.
#[derive(Debug, Parser)]
#[command(name = "moderator", version, after_help = credentials_help())]
pub struct Cli {
    /// Log what happens (-v: info, -vv: debug, user ids included) to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Remove users from a room.
    #[command(after_help = credentials_help())]
    Kick(KickArgs),
    /// Remove everyone from a room (natively, or by listing the members and removing them).
    #[command(after_help = credentials_help())]
    KickAll(KickAllArgs),
    /// List who is in a room.
    #[command(after_help = credentials_help())]
    Members(MembersArgs),
    /// Ban users from a room: remove them now and keep them out.
    #[command(after_help = credentials_help())]
    Ban(BanArgs),
    /// Lift users' bans.
    #[command(after_help = credentials_help())]
    Unban(UnbanArgs),
    /// List a room's active bans.
    #[command(after_help = credentials_help())]
    Bans(BansArgs),
    /// Issue a join token (IVS Chat and stages, EnableX, LiveKit, ZEGO), refused to banned users.
    #[command(after_help = credentials_help())]
    Token(TokenArgs),
    /// Receive provider "user joined" callbacks, verify them and re-kick banned users.
    #[command(after_help = crate::serve::help())]
    Serve(ServeArgs),
    /// List a room's members once and remove those banned there, each with its ban's reason: the
    /// fallback where the provider sends no signed join callback (EnableX, IVS real-time).
    #[command(after_help = credentials_help())]
    Sweep(SweepArgs),
    /// Run the whole path against embedded emulators of every provider and print a table.
    #[cfg(feature = "emulators")]
    Demo,
    /// Serve the provider emulators for local development.
    #[cfg(feature = "emulators")]
    Emulate(EmulateArgs),
    /// Measure bulk removal against the embedded emulators at each provider's documented quota.
    #[cfg(feature = "emulators")]
    Bench(BenchArgs),
}

/// Which provider and where.
#[derive(Debug, Args)]
pub struct Target {
    /// The provider hosting the room.
    #[arg(long, value_parser = provider_parser())]
    pub provider: Provider,
    /// The room id (ZEGO RoomId, IVS Chat room ARN, IVS stage ARN, EnableX room_id, LiveKit room, Agora
    /// channel or chat room id).
    #[arg(long)]
    pub room: String,
    /// Endpoint and pacing.
    #[command(flatten)]
    pub connection: Connection,
}

/// How to reach the provider: endpoint override, plain http, shared pacing.
#[derive(Debug, Args)]
pub struct Connection {
    /// Send to this base URL instead of the provider's public endpoint (an emulator, say).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Allow plain http to a host other than loopback.
    #[arg(long)]
    pub allow_http: bool,
    /// Share the provider account's quota with every other process and host pacing through this
    /// Redis (`redis://host:port/db`), instead of pacing this process alone.
    #[arg(
        long,
        value_name = "URL",
        env = "MODERATOR_REDIS_URL",
        hide_env_values = true
    )]
    pub redis: Option<String>,
    /// The longest the operation may take, retries and throttled answers included (`5s`, `90s`,
    /// `10m`); no provider call starts after it. When it passes, the command prints one line naming
    /// the provider and what failed, and exits 1 (a kick reports every user it could not remove).
    /// Default: the library's for the operation (a kick: ten times what the provider's rate needs,
    /// plus a minute). A kick whose calls need longer than this at the provider's rate is refused
    /// before anything is sent (exit 2).
    #[arg(long, value_name = "DURATION")]
    pub deadline: Option<humantime::Duration>,
}

/// A provider, room and connection, plus where bans are kept.
#[derive(Debug, Args)]
pub struct BanTarget {
    /// Provider, room and endpoint.
    #[command(flatten)]
    pub target: Target,
    /// Where bans are kept: `sqlite:///path` or a plain file path (one host), `redis://host:port/db`
    /// (several hosts) or `memory:` (this process only, so gone when the command ends). Overrides
    /// MODERATOR_BAN_STORE; without either, the file `<data dir>/moderator/bans.sqlite3`.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
}

/// One `--target PROVIDER:ROOM`.
#[derive(Clone, Debug)]
pub struct TargetSpec {
    /// The provider.
    pub provider: Provider,
    /// The room.
    pub room: String,
}

/// `--target`: a provider name, a colon, the room (which may itself hold colons, as IVS ARNs do).
fn target_parser(value: &str) -> Result<TargetSpec, String> {
    let (provider, room) = value
        .split_once(':')
        .ok_or_else(|| format!("expected PROVIDER:ROOM, got {value:?}"))?;
    let provider = provider
        .parse::<Provider>()
        .map_err(|error| error.message().to_owned())?;
    if room.is_empty() {
        return Err(format!("no room after {}:", provider.name()));
    }
    Ok(TargetSpec {
        provider,
        room: room.to_owned(),
    })
}

/// The users a command acts on.
#[derive(Debug, Args)]
pub struct UserList {
    /// A user; repeat for several.
    #[arg(long = "user", value_name = "USER")]
    pub users: Vec<String>,
    /// A file with one user id per line (blank lines and lines starting with # are skipped);
    /// `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub users_file: Option<PathBuf>,
    /// `-`: read user ids from standard input, one per line.
    #[arg(value_name = "-", value_parser = clap::builder::PossibleValuesParser::new(["-"]))]
    pub stdin: Option<String>,
}

/// `moderator kick`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("where").required(true).args(["provider", "targets"])))]
pub struct KickArgs {
    /// The provider hosting the room (with --room); or use --target.
    #[arg(long, value_parser = provider_parser(), requires = "room", conflicts_with = "targets")]
    pub provider: Option<Provider>,
    /// The room id (ZEGO RoomId, IVS Chat room ARN, IVS stage ARN, EnableX room_id, LiveKit room, Agora
    /// channel or chat room id).
    #[arg(long, requires = "provider")]
    pub room: Option<String>,
    /// Remove the same users from each of several rooms, as `PROVIDER:ROOM` (repeatable): the rooms
    /// are worked in parallel, each with its own provider's configuration from the environment, and
    /// each gets its own report.
    #[arg(long = "target", value_name = "PROVIDER:ROOM", value_parser = target_parser)]
    pub targets: Vec<TargetSpec>,
    /// Endpoint and pacing.
    #[command(flatten)]
    pub connection: Connection,
    /// Who to remove.
    #[command(flatten)]
    pub users: UserList,
    /// The reason shown to removed users where the provider carries one.
    #[arg(long)]
    pub reason: Option<String>,
    /// Validate and print the planned calls without sending anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Kick without first checking who is in the room, on providers whose kick fails as a whole when
    /// it names someone absent (ZEGO ZIM): fewer calls when the users are known to be there.
    #[arg(long)]
    pub no_presence_check: bool,
    /// Print one JSON object per user outcome on standard output.
    #[arg(long)]
    pub json: bool,
}

/// `moderator kick-all`.
#[derive(Debug, Args)]
pub struct KickAllArgs {
    /// Provider, room and endpoint.
    #[command(flatten)]
    pub target: Target,
    /// The reason shown to removed users where the provider carries one.
    #[arg(long)]
    pub reason: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
    /// Print one JSON object per user outcome on standard output (where the room is listed and
    /// kicked).
    #[arg(long)]
    pub json: bool,
}

/// `moderator members`.
#[derive(Debug, Args)]
pub struct MembersArgs {
    /// Provider, room and endpoint.
    #[command(flatten)]
    pub target: Target,
    /// Print one JSON object per member, then a summary line, on standard output.
    #[arg(long)]
    pub json: bool,
}

/// `moderator ban`.
#[derive(Debug, Args)]
pub struct BanArgs {
    /// Provider, room, endpoint and ban store.
    #[command(flatten)]
    pub target: BanTarget,
    /// Who to ban.
    #[command(flatten)]
    pub users: UserList,
    /// How long (`1h`, `7days`); without it the ban holds until lifted.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<humantime::Duration>,
    /// Why; kept with the ban and sent with the kick where the provider carries a reason.
    #[arg(long)]
    pub reason: Option<String>,
    /// Who asked (an operator, a rule); kept with the ban.
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
    /// Print one JSON object per user, then a summary line, on standard output.
    #[arg(long)]
    pub json: bool,
}

/// `moderator unban`.
#[derive(Debug, Args)]
pub struct UnbanArgs {
    /// Provider, room, endpoint and ban store.
    #[command(flatten)]
    pub target: BanTarget,
    /// Whose bans to lift.
    #[command(flatten)]
    pub users: UserList,
    /// Print one JSON object per user, then a summary line, on standard output.
    #[arg(long)]
    pub json: bool,
}

/// `moderator bans`.
#[derive(Debug, Args)]
pub struct BansArgs {
    /// Provider, room, endpoint and ban store.
    #[command(flatten)]
    pub target: BanTarget,
    /// Print one JSON object per ban, then a summary line, on standard output.
    #[arg(long)]
    pub json: bool,
}

/// `moderator sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The room to sweep, as `PROVIDER:ROOM`.
    #[arg(long = "target", value_name = "PROVIDER:ROOM", value_parser = target_parser)]
    pub target: TargetSpec,
    /// Endpoint and pacing.
    #[command(flatten)]
    pub connection: Connection,
    /// Where bans are kept (as for `moderator bans`); overrides MODERATOR_BAN_STORE.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
}

/// `moderator token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Provider, room, endpoint and ban store.
    #[command(flatten)]
    pub target: BanTarget,
    /// The user the token is for.
    #[arg(long)]
    pub user: String,
    /// A capability the token grants (IVS Chat: SEND_MESSAGE, DISCONNECT_USER, DELETE_MESSAGE; IVS
    /// stages: PUBLISH, SUBSCRIBE; LiveKit: canPublish, canSubscribe, canPublishData, ...); repeat for
    /// several.
    #[arg(long = "capability", value_name = "C")]
    pub capabilities: Vec<String>,
    /// How long the session may last (IVS Chat: 1 to 180 minutes; IVS stages: the token's duration,
    /// 1 to 20,160 minutes; LiveKit: the token's TTL; ZEGO: the login token's lifetime, up to 24 h,
    /// 1 h by default).
    #[arg(long, value_name = "DURATION")]
    pub session_duration: Option<humantime::Duration>,
    /// Display name (EnableX, LiveKit).
    #[arg(long)]
    pub name: Option<String>,
    /// Metadata the room sees (LiveKit).
    #[arg(long)]
    pub metadata: Option<String>,
    /// Role (EnableX: participant, moderator, viewer).
    #[arg(long)]
    pub role: Option<String>,
    /// Print the token and its expiry as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `moderator serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0: any free port; the first line on stdout says which).
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Where bans are kept (as for `moderator ban`): `sqlite:///path` or a path, `redis://host:port/db`,
    /// `memory:`. Overrides MODERATOR_BAN_STORE; without either, `<data dir>/moderator/bans.sqlite3`.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Share the replay cache (and the provider quota) with the other instances through this Redis.
    #[arg(
        long,
        value_name = "URL",
        env = "MODERATOR_REDIS_URL",
        hide_env_values = true
    )]
    pub redis: Option<String>,
    /// Also accept Agora's V1 signature (`Agora-Signature`, HMAC-SHA1) when V2 is absent.
    #[arg(long)]
    pub agora_signature_v1: bool,
}

/// `moderator emulate`.
#[cfg(feature = "emulators")]
#[derive(Debug, Args)]
pub struct EmulateArgs {
    /// First port: ZEGO ZIM listens on it, ZEGO RTC on +1, IVS Chat on +2, EnableX on +3, LiveKit
    /// on +4, Agora RTC on +5, Agora Chat on +6, IVS real-time stages on +7.
    #[arg(long, default_value_t = 4600)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Create this room (in every provider) with these users, as `ROOM=u1,u2,...`; repeatable.
    #[arg(long, value_name = "ROOM=USERS")]
    pub seed: Vec<String>,
    /// Delay every answer by this long (`30ms`), like a provider across a network.
    #[arg(long, value_name = "DURATION")]
    pub latency: Option<humantime::Duration>,
    /// Let a consumer the clients cannot see take this share (0 to 1) of every quota.
    #[arg(long, value_name = "SHARE")]
    pub foreign_load: Option<f64>,
    /// Misbehave on one API (repeatable), as `API=FAULT`:
    ///   throttle                        every call: the provider's own throttled answer
    ///   throttle-first:N                the first N calls, then normal service
    ///   body:STATUS:TYPE:BODY           every call: HTTP STATUS, Content-Type TYPE, BODY
    ///   body-first:N:STATUS:TYPE:BODY   the next N calls, then normal service
    /// `retry-after=SECONDS` may follow the mode (throttle:retry-after=2,
    /// body:retry-after=1:429:text/plain:busy); BODY is the rest, colons included.
    /// API: zim-kick, zim-list, zim-members, rtc-kick, rtc-list, rtc-ban, rtc-unban, rtc-bans,
    /// ivs-kick, ivs-token, enablex-token, enablex-users, enablex-join, enablex-drop,
    /// livekit-remove, livekit-list, livekit-get, agora-rtc-kick, agora-rtc-online,
    /// agora-rtc-rules, agora-rtc-unban, agora-chat-remove, agora-chat-members, agora-chat-block,
    /// agora-chat-unblock, agora-chat-blocks, ivs-stages-disconnect, ivs-stages-list,
    /// ivs-stages-get, ivs-stages-token; or zim, rtc, ivs, enablex, livekit, agora-rtc, agora-chat,
    /// ivs-stages for every API of that provider. Throttled answers are each provider's own (ZEGO
    /// HTTP 200 with code 660300005 for ZIM or 206 for RTC, IVS 429 ThrottlingException, EnableX
    /// 429 RATE_LIMITED, LiveKit 429 resource_exhausted, Agora HTTP 429, IVS stages 429
    /// ThrottlingException).
    /// Examples: --fault zim-kick=throttle-first:10 --fault ivs-token=throttle
    /// --fault 'zim-kick=body:200:text/html:<html>sign in</html>'
    #[arg(
        long = "fault",
        value_name = "API=FAULT",
        value_parser = fault_parser,
        verbatim_doc_comment
    )]
    pub faults: Vec<room_moderator_emulator::FaultSpec>,
    /// Post each provider's signed "user joined / left" callbacks to URL/webhooks/PROVIDER
    /// (zego-zim, zego-rtc, livekit, agora-rtc, agora-chat), as `moderator serve` receives them;
    /// also settable later with POST /_emulator/callbacks {"url": "..."} on any of their ports.
    #[arg(long, value_name = "URL")]
    pub callbacks: Option<reqwest::Url>,
}

/// `--fault`: the emulator's own syntax.
#[cfg(feature = "emulators")]
fn fault_parser(value: &str) -> Result<room_moderator_emulator::FaultSpec, String> {
    value.parse()
}

/// The providers `moderator bench` can measure (those with a documented rate).
#[cfg(feature = "emulators")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchProvider {
    /// ZEGO ZIM: 10,000 users by default (200 calls at 20/s).
    ZegoZim,
    /// ZEGO RTC: 2,500 users by default (500 calls at 50/s).
    ZegoRtc,
    /// IVS Chat: 2,000 users by default (2,000 calls at 100/s).
    Ivschat,
    /// IVS real-time stages: 200 participants by default (the stage listed, then 200
    /// DisconnectParticipant calls at 5/s).
    IvsStages,
    /// Agora RTC: 200 users by default (200 kicking rules at the account's 10/s).
    AgoraRtc,
    /// Agora Chat: 1,000 members by default (17 removals of up to 60 at 100/s).
    AgoraChat,
}

/// `moderator bench`.
#[cfg(feature = "emulators")]
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which providers to measure (repeatable); all by default.
    #[arg(long = "provider", value_enum)]
    pub providers: Vec<BenchProvider>,
    /// Users per run instead of each provider's default.
    #[arg(long)]
    pub users: Option<usize>,
    /// One-way latency the emulator adds to every call.
    #[arg(long, default_value = "30ms", value_name = "DURATION")]
    pub latency: humantime::Duration,
    /// Run N `moderator kick` processes at once on one account (each on its own room, the users
    /// split between them), instead of one job in this process.
    #[arg(long, value_name = "N")]
    pub contention: Option<usize>,
    /// A consumer the job cannot see takes this share (0 to 1) of the quota.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub foreign_load: f64,
    /// A throttled start: the emulator answers the first N kick calls with the provider's throttled
    /// answer (as if another job had just spent the quota), then serves normally. Default users
    /// become 5,000 (ZIM) and 1,000 (RTC, IVS Chat); the table adds the target, 1.5 x the minimum
    /// + 1 s.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub throttled_start: Option<u64>,
    /// With `--contention`: run the processes twice, without and then with this Redis as their
    /// shared pacer (`--redis URL` on each `moderator kick`), and print both.
    #[arg(long, value_name = "URL", requires = "contention")]
    pub redis: Option<String>,
    /// Instead: compare `moderator` with a naive sequential loop of direct calls (ZIM, `--users`
    /// users, default 1,000) and measure the adapters' per-call overhead over hand-written calls.
    #[arg(long, conflicts_with_all = ["contention", "redis", "providers", "throttled_start"])]
    pub compare: bool,
    /// Instead: a raid list with accounts that already left, against ZIM's strict reading, removed
    /// with the presence check and without it (`--users`, default 1,000; `--absent`, default a tenth).
    #[arg(long, conflicts_with_all = ["contention", "redis", "providers", "compare", "throttled_start"])]
    pub presence: bool,
    /// With `--presence`: how many of the users have left the room.
    #[arg(long, value_name = "N", requires = "presence")]
    pub absent: Option<usize>,
    /// With `--compare`: sequential calls for the overhead measurement.
    #[arg(long, default_value_t = 1_000, requires = "compare")]
    pub overhead_calls: usize,
    /// Print one JSON object per run.
    #[arg(long)]
    pub json: bool,
}
