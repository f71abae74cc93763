//! `moderator emulate`: serve the provider emulators for local development.

use std::process::ExitCode;

use room_moderator_emulator::{Emulator, EmulatorConfig};

use crate::Failure;
use crate::args::EmulateArgs;

/// Starts the emulators, prints how to reach them, and serves until Ctrl-C.
pub async fn run(args: EmulateArgs) -> Result<ExitCode, Failure> {
    let mut seeds = Vec::new();
    for seed in &args.seed {
        let Some((room, users)) = seed.split_once('=') else {
            return Err(Failure::Usage(format!(
                "--seed {seed:?}: expected ROOM=user1,user2"
            )));
        };
        let users: Vec<String> = users
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        seeds.push((room.to_owned(), users));
    }
    if let Some(url) = &args.callbacks {
        room_moderator_emulator::callbacks::check_url(url)
            .map_err(|error| Failure::Usage(format!("--callbacks: {error}")))?;
    }
    let mut config = EmulatorConfig::default();
    config.host = args.host;
    config.base_port = args.port;
    config.callbacks = args.callbacks.clone();
    let emulator = Emulator::start_with(config).await.map_err(Failure::Io)?;
    let zego = emulator.zego();
    let ivs = emulator.ivschat();
    let stages = emulator.ivs_stages();
    let enablex = emulator.enablex();
    let livekit = emulator.livekit();
    let agora = emulator.agora();
    let stage_operations = room_moderator_emulator::ivschat::stages::Operation::ALL
        .map(|operation| stages.operation_controls(operation));
    for controls in [
        zego.zim().controls(),
        zego.rtc().controls(),
        ivs.controls(),
        enablex.controls(),
        livekit.controls(),
        agora.rtc().controls(),
        agora.chat().controls(),
    ]
    .into_iter()
    .chain(stage_operations)
    {
        if let Some(latency) = args.latency {
            controls.set_latency(latency.into());
        }
        if let Some(share) = args.foreign_load {
            controls.set_foreign_load(share);
        }
    }
    for spec in &args.faults {
        emulator.add_fault(spec).map_err(Failure::Usage)?;
    }
    for (room, users) in &seeds {
        zego.zim().seed_room(room, users.iter().cloned());
        zego.rtc().seed_room(room, users.iter().cloned());
        ivs.seed_room(&ivs.room_arn(room), users.iter().cloned());
        stages.seed_stage(&stages.stage_arn(room), users.iter().cloned());
        enablex.seed_room(room, users.iter().cloned());
        livekit.seed_room(room, users.iter().cloned());
        // Agora RTC channels hold integer uids only: the other ids are left out there.
        agora
            .rtc()
            .seed_channel(room, users.iter().filter_map(|u| u.parse().ok()));
        agora.chat().seed_room(room, None, users.iter().cloned());
    }

    println!("moderator emulators are listening (Ctrl-C to stop)\n");
    println!("zego-zim  ZEGO_ENDPOINT={}", zego.zim().url());
    println!("zego-rtc  ZEGO_ENDPOINT={}", zego.rtc().url());
    println!(
        "          ZEGO_APP_ID={} ZEGO_SERVER_SECRET={}",
        zego.app_id(),
        zego.server_secret()
    );
    println!(
        "          both at once (kick --target zego-zim:ROOM --target zego-rtc:ROOM): ZEGO_ZIM_ENDPOINT={} ZEGO_RTC_ENDPOINT={}",
        zego.zim().url(),
        zego.rtc().url()
    );
    println!("ivschat   AWS_ENDPOINT_URL_IVSCHAT={}", ivs.base_url());
    println!(
        "          AWS_REGION={} AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={}",
        ivs.region(),
        ivs.access_key_id(),
        ivs.secret_access_key()
    );
    println!("          rooms are ARNs: {}", ivs.room_arn("ROOM"));
    println!(
        "ivs-stages AWS_ENDPOINT_URL_IVS_REALTIME={}",
        stages.base_url()
    );
    println!(
        "          same AWS credentials; stages are ARNs: {} (a user seeded twice is on two devices)",
        stages.stage_arn("ROOM")
    );
    println!("enablex   ENABLEX_API_URL={}", enablex.api_url());
    println!(
        "          ENABLEX_APP_ID={} ENABLEX_APP_KEY={}",
        enablex.app_id(),
        enablex.app_key()
    );
    println!("livekit   LIVEKIT_URL={}", livekit.url());
    println!(
        "          LIVEKIT_API_KEY={} LIVEKIT_API_SECRET={} LIVEKIT_REQUESTS_PER_MINUTE=1000",
        livekit.api_key(),
        livekit.api_secret()
    );
    println!(
        "          LiveKit Cloud's rules: 1,000 requests a minute, removal revokes the identity's tokens"
    );
    println!("agora-rtc AGORA_ENDPOINT={}", agora.rtc().base_url());
    println!(
        "          AGORA_APP_ID={} AGORA_CUSTOMER_ID={} AGORA_CUSTOMER_SECRET={}",
        agora.rtc().app_id(),
        agora.rtc().customer_id(),
        agora.rtc().customer_secret()
    );
    println!(
        "          uids are integers; a second App ID of the same account: {}",
        agora.rtc().app_ids().get(1).map_or("", String::as_str)
    );
    println!("agora-chat AGORA_CHAT_HOST={}", agora.chat().base_url());
    println!(
        "          AGORA_APP_ID={} AGORA_APP_CERTIFICATE={} AGORA_CHAT_ORG={} AGORA_CHAT_APP={}",
        agora.chat().app_id(),
        agora.chat().certificate(),
        agora.chat().org(),
        agora.chat().app()
    );
    println!(
        "\nadmin API on every port: /_emulator/rooms/{{room}}, /_emulator/faults, /_emulator/requests, /_emulator/counters, /_emulator/settings, /_emulator/reset"
    );
    match &args.callbacks {
        Some(url) => println!(
            "callbacks to {}/webhooks/PROVIDER, signed with ZEGO_CALLBACK_SECRET={} {} (LiveKit: its API key)",
            url.as_str().trim_end_matches('/'),
            zego.callback_secret(),
            agora
                .callback_vars()
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        None => println!(
            "callbacks: off (--callbacks URL, or POST /_emulator/callbacks {{\"url\": \"...\"}})"
        ),
    }
    for (room, users) in &seeds {
        println!("seeded room {room} with {} users", users.len());
    }
    for spec in &args.faults {
        println!("fault: {spec}");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    tokio::signal::ctrl_c().await.map_err(Failure::Io)?;
    Ok(ExitCode::SUCCESS)
}
