//! Choosing a provider at run time: from a name, or from `MODERATOR_PROVIDER`.

use std::fmt;
use std::str::FromStr;

use room_moderator_core::{AdapterBuilder, Capabilities, EnvVar, Error};

/// The providers `moderator` can talk to. Which are usable depends on the compiled features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// ZEGOCLOUD ZIM chat rooms (`KickoutRoomUser`); feature `zego`.
    ZegoZim,
    /// ZEGOCLOUD Express RTC rooms (`KickoutUser`); feature `zego`.
    ZegoRtc,
    /// Amazon IVS Chat (`DisconnectUser`); feature `ivschat`.
    IvsChat,
    /// Amazon IVS real-time stages (`DisconnectParticipant`); feature `ivs-stages`.
    IvsStages,
    /// EnableX video rooms (headless moderator `drop`); feature `enablex`.
    Enablex,
    /// LiveKit rooms, self-hosted or Cloud (RoomService `RemoveParticipant`); feature `livekit`.
    LiveKit,
    /// Agora RTC channels (channel management `kicking-rule`); feature `agora`.
    AgoraRtc,
    /// Agora Chat chat rooms (Chat REST member removal and block list); feature `agora`.
    AgoraChat,
}

impl Provider {
    /// Every provider, compiled in or not.
    pub const ALL: [Provider; 8] = [
        Provider::ZegoZim,
        Provider::ZegoRtc,
        Provider::IvsChat,
        Provider::IvsStages,
        Provider::Enablex,
        Provider::LiveKit,
        Provider::AgoraRtc,
        Provider::AgoraChat,
    ];

    /// The name used on the command line and in `MODERATOR_PROVIDER`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::ZegoZim => "zego-zim",
            Provider::ZegoRtc => "zego-rtc",
            Provider::IvsChat => "ivschat",
            Provider::IvsStages => "ivs-stages",
            Provider::Enablex => "enablex",
            Provider::LiveKit => "livekit",
            Provider::AgoraRtc => "agora-rtc",
            Provider::AgoraChat => "agora-chat",
        }
    }

    /// The cargo feature that compiles this provider in.
    pub fn feature(self) -> &'static str {
        match self {
            Provider::ZegoZim | Provider::ZegoRtc => "zego",
            Provider::IvsChat => "ivschat",
            Provider::IvsStages => "ivs-stages",
            Provider::Enablex => "enablex",
            Provider::LiveKit => "livekit",
            Provider::AgoraRtc | Provider::AgoraChat => "agora",
        }
    }

    /// The environment variables its adapter reads, from the adapter's own table (name, meaning,
    /// whether the value is secret); empty when its feature is not compiled in.
    ///
    /// ```
    /// use room_moderator::Provider;
    /// for var in Provider::ZegoZim.env_vars() {
    ///     println!("{:<24} {}{}", var.name, var.meaning, if var.secret { " (secret)" } else { "" });
    /// }
    /// ```
    pub fn env_vars(self) -> &'static [EnvVar] {
        struct EnvVars;
        impl WithBuilder for EnvVars {
            type Output = &'static [EnvVar];
            fn with<B: AdapterBuilder + 'static>(self) -> Self::Output {
                B::ENV_VARS
            }
        }
        self.with_builder(EnvVars).unwrap_or(&[])
    }

    /// The adapter's published capabilities, or `None` when its feature is not compiled in.
    pub fn capabilities(self) -> Option<Capabilities> {
        struct Published;
        impl WithBuilder for Published {
            type Output = Capabilities;
            fn with<B: AdapterBuilder + 'static>(self) -> Self::Output {
                B::CAPABILITIES
            }
        }
        self.with_builder(Published).ok()
    }

    /// Runs `job` with this provider's adapter builder type: the one place that maps a provider to
    /// its adapter crate. `Err` when its feature is not compiled in.
    pub(crate) fn with_builder<W: WithBuilder>(self, job: W) -> Result<W::Output, Error> {
        match self {
            #[cfg(feature = "zego")]
            Provider::ZegoZim => Ok(job.with::<room_moderator_zego::ZegoZimBuilder>()),
            #[cfg(feature = "zego")]
            Provider::ZegoRtc => Ok(job.with::<room_moderator_zego::ZegoRtcBuilder>()),
            #[cfg(feature = "ivschat")]
            Provider::IvsChat => Ok(job.with::<room_moderator_ivs::IvsChatBuilder>()),
            #[cfg(feature = "ivs-stages")]
            Provider::IvsStages => Ok(job.with::<room_moderator_ivs::IvsStagesBuilder>()),
            #[cfg(feature = "enablex")]
            Provider::Enablex => Ok(job.with::<room_moderator_enablex::EnablexBuilder>()),
            #[cfg(feature = "livekit")]
            Provider::LiveKit => Ok(job.with::<room_moderator_livekit::LiveKitBuilder>()),
            #[cfg(feature = "agora")]
            Provider::AgoraRtc => Ok(job.with::<room_moderator_agora::AgoraRtcBuilder>()),
            #[cfg(feature = "agora")]
            Provider::AgoraChat => Ok(job.with::<room_moderator_agora::AgoraChatBuilder>()),
            #[allow(unreachable_patterns)]
            provider => {
                let _ = job;
                Err(provider.not_compiled())
            }
        }
    }

    /// Whether its feature is compiled in.
    pub fn is_compiled(self) -> bool {
        self.capabilities().is_some()
    }

    /// The error for a provider whose feature is missing.
    pub(crate) fn not_compiled(self) -> Error {
        Error::config(format!(
            "provider {} is not compiled in; enable the `{}` feature of the room-moderator crate",
            self.name(),
            self.feature()
        ))
    }
}

/// Something done with a provider's adapter builder type ([`Provider::with_builder`]).
#[allow(
    dead_code,
    reason = "`with` is never called when no provider feature is compiled in"
)]
pub(crate) trait WithBuilder {
    /// What the job gives.
    type Output;
    /// Does the job with builder type `B`.
    fn with<B: AdapterBuilder + 'static>(self) -> Self::Output;
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Provider {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|provider| provider.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let names: Vec<_> = Provider::ALL.iter().map(|p| p.name()).collect();
                Error::config(format!(
                    "unknown provider {name:?}; expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for provider in Provider::ALL {
            assert_eq!(provider.name().parse::<Provider>().ok(), Some(provider));
        }
        assert_eq!("ZEGO-ZIM".parse::<Provider>().ok(), Some(Provider::ZegoZim));
        let error = "zoom".parse::<Provider>().unwrap_err();
        assert!(
            error.message().contains(
                "zego-zim, zego-rtc, ivschat, ivs-stages, enablex, livekit, agora-rtc, agora-chat"
            ),
            "{error}"
        );
    }

    #[test]
    fn env_vars_come_from_the_compiled_adapters() {
        for provider in Provider::ALL {
            assert_eq!(
                provider.env_vars().is_empty(),
                !provider.is_compiled(),
                "{provider}"
            );
            for var in provider.env_vars() {
                assert!(!var.name.is_empty() && !var.meaning.is_empty(), "{var:?}");
            }
        }
        #[cfg(feature = "zego")]
        {
            let names: Vec<_> = Provider::ZegoZim
                .env_vars()
                .iter()
                .map(|v| v.name)
                .collect();
            assert!(names.contains(&"ZEGO_APP_ID") && names.contains(&"ZEGO_ZIM_ENDPOINT"));
            assert!(
                Provider::ZegoRtc
                    .env_vars()
                    .iter()
                    .any(|v| v.name == "ZEGO_SERVER_SECRET" && v.secret)
            );
        }
    }
}
