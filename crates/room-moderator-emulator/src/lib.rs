//! Wire-faithful local emulators of the providers [`room-moderator`](https://docs.rs/room-moderator/latest/room_moderator/) talks to: ZEGOCLOUD (ZIM and Express
//! RTC), Amazon IVS Chat and IVS real-time stages, EnableX, LiveKit (RoomService) and Agora (RTC channel management and Agora Chat). None of them offers a sandbox, so these are how the adapters, the
//! CLI demo and application teams test against something that speaks the real protocol.
//!
//! Each provider listens on its own port, keeps rooms and members in memory (seeded through the Rust
//! API or the admin routes under `/_emulator/`), checks signatures and credentials as documented,
//! answers the documented codes, enforces the documented rate limit, and has [`Controls`] for latency,
//! scripted faults, a request log and counters.
//!
//! Faults can be aimed at one API and last for good or for a number of calls ([`faults`]): throttle
//! every `CreateChatToken`, throttle the first ten ZIM kicks, answer a captive proxy's HTML page with
//! HTTP 200. From Rust with [`Emulator::add_fault`] or [`Controls::add_fault`], over HTTP with
//! `POST /_emulator/faults` ([`admin`]), and from the command line with
//! `moderator emulate --fault zim-kick=throttle-first:10`.
//!
//! Each provider's emulator hands out the variables that point its adapter at it
//! ([`Emulator::vars`], or `zego().zim_vars()`, `ivschat().vars()`, ...), for the adapter builders'
//! `with_vars` and the facade's `Builder::with_vars`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = room_moderator_emulator::Emulator::start().await?;
//! for (name, value) in emulator.vars("zego-zim") {
//!     println!("{name}={value}");
//! }
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod admin;
mod controls;
pub mod faults;
mod rooms;
mod server;

#[cfg(feature = "agora")]
pub mod agora;
#[cfg(feature = "enablex")]
pub mod enablex;
#[cfg(feature = "ivschat")]
pub mod ivschat;
#[cfg(feature = "livekit")]
pub mod livekit;
#[cfg(feature = "zego")]
pub mod zego;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub use controls::{
    Admission, Controls, Counters, Fault, LOG_CAPACITY, LoggedRequest, MAX_FAULT_RULES,
    fault_response,
};
pub use faults::{Api, FaultRule, FaultSpec, FaultTarget, Listener, MAX_BODY, Times};
pub use rooms::{MemberRooms, Removal, RoomDirectory};
pub use server::Server;

/// Where and how to run the emulators.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EmulatorConfig {
    /// Address to listen on; loopback by default.
    pub host: IpAddr,
    /// First port; 0 picks free ports. Otherwise ZIM, RTC, IVS Chat, EnableX, LiveKit, Agora RTC,
    /// Agora Chat and IVS stages listen on `base_port`, `+1`, `+2`, `+3`, `+4`, `+5`, `+6` and `+7`.
    pub base_port: u16,
    /// ZEGO settings.
    #[cfg(feature = "zego")]
    pub zego: zego::ZegoConfig,
    /// IVS Chat settings.
    #[cfg(feature = "ivschat")]
    pub ivschat: ivschat::IvsChatConfig,
    /// IVS real-time stages settings (feature `ivschat`).
    #[cfg(feature = "ivschat")]
    pub ivs_stages: ivschat::stages::IvsStagesConfig,
    /// EnableX settings.
    #[cfg(feature = "enablex")]
    pub enablex: enablex::EnablexConfig,
    /// LiveKit settings.
    #[cfg(feature = "livekit")]
    pub livekit: livekit::LiveKitConfig,
    /// Agora settings (RTC on `base_port + 5`, Chat on `+6`).
    #[cfg(feature = "agora")]
    pub agora: agora::AgoraConfig,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: 0,
            #[cfg(feature = "zego")]
            zego: zego::ZegoConfig::default(),
            #[cfg(feature = "ivschat")]
            ivschat: ivschat::IvsChatConfig::default(),
            #[cfg(feature = "ivschat")]
            ivs_stages: ivschat::stages::IvsStagesConfig::default(),
            #[cfg(feature = "enablex")]
            enablex: enablex::EnablexConfig::default(),
            #[cfg(feature = "livekit")]
            livekit: livekit::LiveKitConfig::default(),
            #[cfg(feature = "agora")]
            agora: agora::AgoraConfig::default(),
        }
    }
}

/// The running emulators of every compiled-in provider. Dropping it stops them.
#[derive(Debug)]
pub struct Emulator {
    #[cfg(feature = "zego")]
    zego: zego::ZegoEmulator,
    #[cfg(feature = "ivschat")]
    ivschat: ivschat::IvsChatEmulator,
    #[cfg(feature = "ivschat")]
    ivs_stages: ivschat::stages::IvsStagesEmulator,
    #[cfg(feature = "enablex")]
    enablex: enablex::EnablexEmulator,
    #[cfg(feature = "livekit")]
    livekit: livekit::LiveKitEmulator,
    #[cfg(feature = "agora")]
    agora: agora::AgoraEmulator,
}

impl Emulator {
    /// Starts every compiled-in provider on free loopback ports with default credentials.
    pub async fn start() -> io::Result<Emulator> {
        Emulator::start_with(EmulatorConfig::default()).await
    }

    /// Starts every compiled-in provider with `config`.
    pub async fn start_with(config: EmulatorConfig) -> io::Result<Emulator> {
        let addr = |offset: u16| {
            let port = if config.base_port == 0 {
                0
            } else {
                config.base_port.saturating_add(offset)
            };
            SocketAddr::new(config.host, port)
        };
        let _ = &addr;
        Ok(Emulator {
            #[cfg(feature = "zego")]
            zego: zego::ZegoEmulator::start(config.zego, addr(0), addr(1)).await?,
            #[cfg(feature = "ivschat")]
            ivschat: ivschat::IvsChatEmulator::start(config.ivschat, addr(2)).await?,
            #[cfg(feature = "ivschat")]
            ivs_stages: ivschat::stages::IvsStagesEmulator::start(config.ivs_stages, addr(7))
                .await?,
            #[cfg(feature = "enablex")]
            enablex: enablex::EnablexEmulator::start(config.enablex, addr(3)).await?,
            #[cfg(feature = "livekit")]
            livekit: livekit::LiveKitEmulator::start(config.livekit, addr(4)).await?,
            #[cfg(feature = "agora")]
            agora: agora::AgoraEmulator::start(config.agora, addr(5), addr(6)).await?,
        })
    }

    /// The ZEGO emulators (ZIM and RTC).
    #[cfg(feature = "zego")]
    pub fn zego(&self) -> &zego::ZegoEmulator {
        &self.zego
    }

    /// The IVS Chat emulator.
    #[cfg(feature = "ivschat")]
    pub fn ivschat(&self) -> &ivschat::IvsChatEmulator {
        &self.ivschat
    }

    /// The IVS real-time stages emulator.
    #[cfg(feature = "ivschat")]
    pub fn ivs_stages(&self) -> &ivschat::stages::IvsStagesEmulator {
        &self.ivs_stages
    }

    /// The EnableX emulator.
    #[cfg(feature = "enablex")]
    pub fn enablex(&self) -> &enablex::EnablexEmulator {
        &self.enablex
    }

    /// The LiveKit emulator.
    #[cfg(feature = "livekit")]
    pub fn livekit(&self) -> &livekit::LiveKitEmulator {
        &self.livekit
    }

    /// The Agora emulators (RTC channel management and Agora Chat).
    #[cfg(feature = "agora")]
    pub fn agora(&self) -> &agora::AgoraEmulator {
        &self.agora
    }

    /// The emulator of the provider named `name` as the adapters name themselves (`zego-zim`,
    /// `zego-rtc`, `ivschat`, `ivs-stages`, `enablex`, `livekit`, `agora-rtc`, `agora-chat`;
    /// case-insensitive), if it is compiled in.
    #[cfg(any(
        feature = "zego",
        feature = "ivschat",
        feature = "enablex",
        feature = "livekit",
        feature = "agora"
    ))]
    pub fn provider(&self, name: &str) -> Option<ProviderEmulator<'_>> {
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            #[cfg(feature = "zego")]
            "zego-zim" => Some(ProviderEmulator::ZegoZim(&self.zego)),
            #[cfg(feature = "zego")]
            "zego-rtc" => Some(ProviderEmulator::ZegoRtc(&self.zego)),
            #[cfg(feature = "ivschat")]
            "ivschat" => Some(ProviderEmulator::IvsChat(&self.ivschat)),
            #[cfg(feature = "ivschat")]
            "ivs-stages" => Some(ProviderEmulator::IvsStages(&self.ivs_stages)),
            #[cfg(feature = "enablex")]
            "enablex" => Some(ProviderEmulator::Enablex(&self.enablex)),
            #[cfg(feature = "livekit")]
            "livekit" => Some(ProviderEmulator::LiveKit(&self.livekit)),
            #[cfg(feature = "agora")]
            "agora-rtc" => Some(ProviderEmulator::AgoraRtc(self.agora.rtc())),
            #[cfg(feature = "agora")]
            "agora-chat" => Some(ProviderEmulator::AgoraChat(self.agora.chat())),
            _ => None,
        }
    }

    /// The `(name, value)` pairs that point the adapter of provider `name` at its emulator (empty
    /// for a provider not compiled in): credentials and endpoint.
    pub fn vars(&self, name: &str) -> Vec<(&'static str, String)> {
        #[cfg(any(
            feature = "zego",
            feature = "ivschat",
            feature = "enablex",
            feature = "livekit",
            feature = "agora"
        ))]
        if let Some(provider) = self.provider(name) {
            return provider.vars();
        }
        let _ = name;
        Vec::new()
    }

    /// The controls that admit calls of `api`: where a fault rule for it goes, and whose counters
    /// count its calls (IVS Chat's CreateChatToken and each IVS real-time operation have their own;
    /// every other API shares its listener's). `None` when its provider is not compiled in.
    pub fn controls_for(&self, api: Api) -> Option<&Controls> {
        match api.listener() {
            #[cfg(feature = "zego")]
            Listener::Zim => Some(self.zego.zim().controls()),
            #[cfg(feature = "zego")]
            Listener::Rtc => Some(self.zego.rtc().controls()),
            #[cfg(feature = "ivschat")]
            Listener::Ivschat if api == Api::IvsToken => Some(self.ivschat.token_controls()),
            #[cfg(feature = "ivschat")]
            Listener::Ivschat => Some(self.ivschat.controls()),
            #[cfg(feature = "enablex")]
            Listener::Enablex => Some(self.enablex.controls()),
            #[cfg(feature = "agora")]
            Listener::AgoraRtc => Some(self.agora.rtc().controls()),
            #[cfg(feature = "agora")]
            Listener::AgoraChat => Some(self.agora.chat().controls()),
            #[cfg(feature = "livekit")]
            Listener::Livekit => Some(self.livekit.controls()),
            // Each operation of IVS real-time has its own quota, so its own controls.
            #[cfg(feature = "ivschat")]
            Listener::IvsStages => Some(self.ivs_stages.operation_controls(match api {
                Api::StagesList => ivschat::stages::Operation::ListParticipants,
                Api::StagesGet => ivschat::stages::Operation::GetStage,
                Api::StagesToken => ivschat::stages::Operation::CreateParticipantToken,
                _ => ivschat::stages::Operation::DisconnectParticipant,
            })),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Adds the fault rule `spec` (`"zim-kick=throttle-first:10".parse()?`) to the controls of its
    /// API, or of every API of its listener. `Err` says why not: its provider is not compiled in, or
    /// the controls already hold [`MAX_FAULT_RULES`] rules.
    pub fn add_fault(&self, spec: &FaultSpec) -> Result<(), String> {
        let apis: Vec<Api> = match spec.target {
            FaultTarget::Api(api) => vec![api],
            FaultTarget::Listener(listener) => Api::ALL
                .into_iter()
                .filter(|api| api.listener() == listener)
                .collect(),
        };
        // One rule per distinct controls: a listener's APIs mostly share one.
        let mut targets: Vec<&Controls> = Vec::new();
        for api in apis {
            let controls = self
                .controls_for(api)
                .ok_or_else(|| format!("{api}: its provider is not compiled into this emulator"))?;
            if !targets.iter().any(|seen| seen.same_as(controls)) {
                targets.push(controls);
            }
        }
        for controls in targets {
            if !controls.add_fault(spec.rule()) {
                return Err(format!(
                    "{:?}: {MAX_FAULT_RULES} fault rules are held already",
                    spec.target
                ));
            }
        }
        Ok(())
    }
}

/// One provider's emulator, chosen by name ([`Emulator::provider`]), driven the same way whatever the
/// provider: its variables, controls, rooms.
#[cfg(any(
    feature = "zego",
    feature = "ivschat",
    feature = "enablex",
    feature = "livekit",
    feature = "agora"
))]
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum ProviderEmulator<'e> {
    /// ZEGO ZIM.
    #[cfg(feature = "zego")]
    ZegoZim(&'e zego::ZegoEmulator),
    /// ZEGO Express RTC.
    #[cfg(feature = "zego")]
    ZegoRtc(&'e zego::ZegoEmulator),
    /// Amazon IVS Chat.
    #[cfg(feature = "ivschat")]
    IvsChat(&'e ivschat::IvsChatEmulator),
    /// Amazon IVS real-time stages.
    #[cfg(feature = "ivschat")]
    IvsStages(&'e ivschat::stages::IvsStagesEmulator),
    /// EnableX.
    #[cfg(feature = "enablex")]
    Enablex(&'e enablex::EnablexEmulator),
    /// LiveKit.
    #[cfg(feature = "livekit")]
    LiveKit(&'e livekit::LiveKitEmulator),
    /// Agora RTC channel management. Its users are integer uids: [`seed_room`](Self::seed_room)
    /// skips names that are not (no client can join with them).
    #[cfg(feature = "agora")]
    AgoraRtc(&'e agora::RtcEmulator),
    /// Agora Chat chat rooms.
    #[cfg(feature = "agora")]
    AgoraChat(&'e agora::ChatEmulator),
}

#[cfg(any(
    feature = "zego",
    feature = "ivschat",
    feature = "enablex",
    feature = "livekit",
    feature = "agora"
))]
impl ProviderEmulator<'_> {
    /// The variables that point the provider's adapter here.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        match self {
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoZim(zego) => zego.zim_vars(),
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoRtc(zego) => zego.rtc_vars(),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsChat(ivs) => ivs.vars(),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsStages(stages) => stages.vars(),
            #[cfg(feature = "enablex")]
            ProviderEmulator::Enablex(enablex) => enablex.vars(),
            #[cfg(feature = "livekit")]
            ProviderEmulator::LiveKit(livekit) => livekit.vars(),
            #[cfg(feature = "agora")]
            ProviderEmulator::AgoraRtc(rtc) => rtc.vars(),
            #[cfg(feature = "agora")]
            ProviderEmulator::AgoraChat(chat) => chat.vars(),
        }
    }

    /// Latency, faults, the request log and counters.
    pub fn controls(&self) -> &Controls {
        match self {
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoZim(zego) => zego.zim().controls(),
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoRtc(zego) => zego.rtc().controls(),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsChat(ivs) => ivs.controls(),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsStages(stages) => stages.controls(),
            #[cfg(feature = "enablex")]
            ProviderEmulator::Enablex(enablex) => enablex.controls(),
            #[cfg(feature = "livekit")]
            ProviderEmulator::LiveKit(livekit) => livekit.controls(),
            #[cfg(feature = "agora")]
            ProviderEmulator::AgoraRtc(rtc) => rtc.controls(),
            #[cfg(feature = "agora")]
            ProviderEmulator::AgoraChat(chat) => chat.controls(),
        }
    }

    /// Requests received so far by every listener of the provider (IVS Chat's CreateChatToken has
    /// controls of its own and is counted too).
    pub fn requests_received(&self) -> u64 {
        let own = self.controls().counters().requests;
        match self {
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsChat(ivs) => own + ivs.token_controls().counters().requests,
            #[allow(unreachable_patterns)]
            _ => own,
        }
    }

    /// The room id an adapter sends for the room `name` (IVS: its ARN; the name elsewhere).
    pub fn room_id(&self, name: &str) -> String {
        match self {
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsChat(ivs) => ivs.room_arn(name),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsStages(stages) => stages.stage_arn(name),
            #[allow(unreachable_patterns)]
            _ => name.to_owned(),
        }
    }

    /// Creates `room` (as [`room_id`](Self::room_id) names it) with `users` in it.
    pub fn seed_room(&self, room: &str, users: &[String]) {
        let users = users.iter().cloned();
        match self {
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoZim(zego) => zego.zim().seed_room(room, users),
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoRtc(zego) => zego.rtc().seed_room(room, users),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsChat(ivs) => ivs.seed_room(room, users),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsStages(stages) => stages.seed_stage(room, users),
            #[cfg(feature = "enablex")]
            ProviderEmulator::Enablex(enablex) => enablex.seed_room(room, users),
            #[cfg(feature = "livekit")]
            ProviderEmulator::LiveKit(livekit) => livekit.seed_room(room, users),
            #[cfg(feature = "agora")]
            ProviderEmulator::AgoraRtc(rtc) => {
                rtc.seed_channel(room, users.filter_map(|user| user.parse::<u32>().ok()))
            }
            #[cfg(feature = "agora")]
            ProviderEmulator::AgoraChat(chat) => chat.seed_room(room, None, users),
        }
    }

    /// The users in `room`, or `None` for an unknown room.
    pub fn members(&self, room: &str) -> Option<Vec<String>> {
        match self {
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoZim(zego) => zego.zim().members(room),
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoRtc(zego) => zego.rtc().members(room),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsChat(ivs) => ivs.members(room),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsStages(stages) => stages.members(room),
            #[cfg(feature = "enablex")]
            ProviderEmulator::Enablex(enablex) => enablex.members(room),
            #[cfg(feature = "livekit")]
            ProviderEmulator::LiveKit(livekit) => livekit.members(room),
            #[cfg(feature = "agora")]
            ProviderEmulator::AgoraRtc(rtc) => rtc.members(room),
            #[cfg(feature = "agora")]
            ProviderEmulator::AgoraChat(chat) => chat.members(room),
        }
    }

    /// `user` joining `room` as a client would, where the emulator has a join that the provider's own
    /// rules can refuse (ZEGO Express RTC's login under `SetForbidUserRule`, Agora RTC's join under a
    /// `kicking-rule`, Agora Chat's join under the block list): `Some(Err(why))` when refused, `None`
    /// for a provider without such rules. A join that succeeds puts the user in the room.
    pub fn join(&self, room: &str, user: &str) -> Option<Result<(), String>> {
        // Unused when neither ZEGO nor Agora is compiled in.
        let _ = (room, user);
        match self {
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoRtc(zego) => Some(
                zego.rtc()
                    .login(room, user)
                    .map_err(|refused| format!("{refused:?}")),
            ),
            #[cfg(feature = "agora")]
            ProviderEmulator::AgoraRtc(rtc) => Some(match user.parse::<u32>() {
                Ok(uid) => rtc.join(room, uid),
                Err(_) => Err(format!("{user:?} is not an integer uid")),
            }),
            #[cfg(feature = "agora")]
            ProviderEmulator::AgoraChat(chat) => Some(chat.join(room, user)),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

#[cfg(all(test, feature = "zego", feature = "ivschat", feature = "enablex"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_spec_lands_in_the_controls_of_its_api_or_of_its_whole_listener() {
        let emulator = Emulator::start().await.unwrap();
        let add = |text: &str| emulator.add_fault(&text.parse().unwrap());
        add("ivs-token=throttle").unwrap();
        assert_eq!(emulator.ivschat().token_controls().faults().len(), 1);
        assert!(emulator.ivschat().controls().faults().is_empty());
        add("ivs=throttle-first:3").unwrap();
        assert_eq!(emulator.ivschat().token_controls().faults().len(), 2);
        assert_eq!(emulator.ivschat().controls().faults().len(), 1);
        add("rtc-ban=body:200:text/html:<html>").unwrap();
        add("rtc=throttle").unwrap();
        assert_eq!(emulator.zego().rtc().controls().faults().len(), 2);
        assert!(emulator.zego().zim().controls().faults().is_empty());
        add("enablex-drop=throttle").unwrap();
        assert_eq!(emulator.enablex().controls().faults().len(), 1);
        assert!(
            emulator
                .controls_for(Api::ZimKick)
                .is_some_and(|c| c.same_as(emulator.zego().zim().controls()))
        );
    }
}

#[cfg(all(test, feature = "ivschat", feature = "livekit", feature = "agora"))]
mod api_fault_tests {
    use super::*;

    /// `spec` (a throttle-first:2 rule for one API) answers the first two calls of that API with
    /// the provider's throttled answer (HTTP 429), then lets the third through (unsigned, so the
    /// provider's own refusal follows), and leaves `other`, another API of the listener, alone.
    async fn throttles_the_first_two(
        emulator: &Emulator,
        spec: &str,
        call: (reqwest::Method, String),
        other: (reqwest::Method, String),
    ) {
        let rule = spec.parse().expect("a fault spec");
        emulator.add_fault(&rule).expect("the fault is added");
        let client = reqwest::Client::new();
        let send = |(method, url): &(reqwest::Method, String)| {
            client
                .request(method.clone(), url)
                .header("content-type", "application/json")
                .body("{}")
                .send()
        };
        assert_ne!(
            send(&other).await.expect("an answer").status(),
            429,
            "{spec}: other API"
        );
        for _ in 0..2 {
            assert_eq!(
                send(&call).await.expect("an answer").status(),
                429,
                "{spec}"
            );
        }
        assert_ne!(
            send(&call).await.expect("an answer").status(),
            429,
            "{spec}: third call"
        );
    }

    #[tokio::test]
    async fn throttle_first_rules_by_api_on_agora_livekit_and_ivs_stages() {
        let emulator = Emulator::start().await.unwrap();
        let rtc = emulator.agora().rtc().base_url();
        let chat = emulator.agora().chat();
        let chat_room = format!(
            "{}/{}/{}/chatrooms/r",
            chat.base_url(),
            chat.org(),
            chat.app()
        );
        let livekit = format!("{}/twirp/livekit.RoomService/", emulator.livekit().url());
        let stages = emulator.ivs_stages().base_url();
        use reqwest::Method;
        throttles_the_first_two(
            &emulator,
            "agora-rtc-kick=throttle-first:2",
            (Method::POST, format!("{rtc}/dev/v1/kicking-rule")),
            (Method::GET, format!("{rtc}/dev/v1/kicking-rule?appid=x")),
        )
        .await;
        throttles_the_first_two(
            &emulator,
            "agora-rtc-online=throttle-first:2",
            (Method::GET, format!("{rtc}/dev/v1/channel/user/a/b")),
            (Method::DELETE, format!("{rtc}/dev/v1/kicking-rule")),
        )
        .await;
        throttles_the_first_two(
            &emulator,
            "agora-rtc-rules=throttle-first:2",
            (Method::GET, format!("{rtc}/dev/v1/kicking-rule?appid=x")),
            (Method::POST, format!("{rtc}/dev/v1/kicking-rule")),
        )
        .await;
        throttles_the_first_two(
            &emulator,
            "agora-rtc-unban=throttle-first:2",
            (Method::DELETE, format!("{rtc}/dev/v1/kicking-rule")),
            (Method::GET, format!("{rtc}/dev/v1/channel/user/a/b")),
        )
        .await;
        throttles_the_first_two(
            &emulator,
            "agora-chat-remove=throttle-first:2",
            (Method::DELETE, format!("{chat_room}/users/a")),
            (Method::GET, format!("{chat_room}/users")),
        )
        .await;
        throttles_the_first_two(
            &emulator,
            "agora-chat-members=throttle-first:2",
            (Method::GET, format!("{chat_room}/users")),
            (Method::POST, format!("{chat_room}/blocks/users/a")),
        )
        .await;
        throttles_the_first_two(
            &emulator,
            "agora-chat-block=throttle-first:2",
            (Method::POST, format!("{chat_room}/blocks/users/a")),
            (Method::DELETE, format!("{chat_room}/blocks/users/a")),
        )
        .await;
        throttles_the_first_two(
            &emulator,
            "livekit-remove=throttle-first:2",
            (Method::POST, format!("{livekit}RemoveParticipant")),
            (Method::POST, format!("{livekit}ListParticipants")),
        )
        .await;
        throttles_the_first_two(
            &emulator,
            "livekit-list=throttle-first:2",
            (Method::POST, format!("{livekit}ListParticipants")),
            (Method::POST, format!("{livekit}RemoveParticipant")),
        )
        .await;
        throttles_the_first_two(
            &emulator,
            "ivs-stages-disconnect=throttle-first:2",
            (Method::POST, format!("{stages}/DisconnectParticipant")),
            (Method::POST, format!("{stages}/ListParticipants")),
        )
        .await;
        throttles_the_first_two(
            &emulator,
            "ivs-stages-list=throttle-first:2",
            (Method::POST, format!("{stages}/ListParticipants")),
            (Method::POST, format!("{stages}/DisconnectParticipant")),
        )
        .await;
        // The names parse as the provider's own too, and a listener takes every API it serves.
        assert_eq!(
            "RoomService.RemoveParticipant".parse::<Api>(),
            Ok(Api::LivekitRemove)
        );
        assert_eq!(
            "DisconnectParticipant".parse::<Api>(),
            Ok(Api::StagesDisconnect)
        );
        emulator
            .add_fault(&"agora-chat=throttle".parse().unwrap())
            .unwrap();
        assert_eq!(emulator.agora().chat().controls().faults().len(), 1);
        assert!(emulator.agora().rtc().controls().faults().is_empty());
    }
}
