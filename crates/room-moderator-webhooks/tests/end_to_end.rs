//! The whole loop against the emulators, over loopback HTTP: a banned user comes back with the
//! session or token they already had, the emulator posts the provider's signed "user joined"
//! callback to the receiver, the receiver re-kicks through the real adapter, and the emulator shows
//! the user gone, within a second of the callback's arrival (measured from the instant the router
//! saw the callback to the instant the engine's audit hook heard the kick's outcome).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::Request;
use axum::middleware::{self, Next};
use room_moderator_core::toolkit::AdapterBuilder;
use room_moderator_core::{
    AuditHook, BanEntry, BanRequest, BanScope, BanStore, Engine, MemoryBanStore, Moderator,
    Outcome, RoomId, TokenDecision, TokenOptions, UserReport,
};
use room_moderator_emulator::{Emulator, EmulatorConfig};
use room_moderator_webhooks::{Route, WebhooksBuilder};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Hears each kick outcome, with the instant it was known.
struct Heard(mpsc::Sender<(String, bool, Instant)>);

impl AuditHook for Heard {
    fn user_outcome(&self, _provider: &'static str, _room: &RoomId, entry: &UserReport) {
        let removed = matches!(entry.outcome, Outcome::Disconnected | Outcome::NotInRoom);
        let _ = self
            .0
            .try_send((entry.user.to_string(), removed, Instant::now()));
    }
}

/// The receiver on a loopback port, recording when each callback arrived and its body; its base
/// URL.
struct Receiver {
    url: url::Url,
    arrivals: Arc<Mutex<Vec<(String, Instant)>>>,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    webhooks: room_moderator_webhooks::Webhooks,
}

async fn receiver(webhooks: room_moderator_webhooks::Webhooks) -> Receiver {
    let arrivals: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let bodies: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let (seen, kept) = (arrivals.clone(), bodies.clone());
    let app = webhooks
        .router()
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let (seen, kept) = (seen.clone(), kept.clone());
            async move {
                seen.lock()
                    .expect("lock")
                    .push((request.uri().path().to_owned(), Instant::now()));
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20).await.expect("body");
                kept.lock().expect("lock").push(body.to_vec());
                next.run(Request::from_parts(parts, body.into())).await
            }
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"))
        .parse()
        .expect("url");
    tokio::spawn(axum::serve(listener, app).into_future());
    Receiver {
        url,
        arrivals,
        bodies,
        webhooks,
    }
}

/// The receiver `builder` makes, listening, and the emulator's callbacks pointed at it.
async fn listening(emu: &Emulator, builder: WebhooksBuilder) -> Receiver {
    let receiver = receiver(builder.build().expect("webhooks")).await;
    emu.set_callbacks(Some(receiver.url.clone()))
        .expect("callbacks");
    receiver
}

/// An engine over `B` built from `vars`, with `store` and an audit hook; its outcomes.
async fn moderator<B: AdapterBuilder>(
    vars: Vec<(&'static str, String)>,
    store: Arc<MemoryBanStore>,
) -> (
    Arc<dyn Moderator>,
    mpsc::Receiver<(String, bool, Instant)>,
    String,
)
where
    B::Adapter: 'static,
{
    let adapter = B::default().with_vars(vars).build().await.expect("adapter");
    let account = room_moderator_core::Adapter::account(&adapter);
    let (tx, rx) = mpsc::channel(64);
    let engine = Engine::builder(adapter)
        .with_ban_store(store)
        .with_audit(Arc::new(Heard(tx)))
        .build();
    (Arc::new(engine), rx, account)
}

/// A join token the token gate issues to `user` for `room`.
async fn issued(moderator: &dyn Moderator, room: &str, user: &str) -> String {
    match moderator
        .issue_token(&room.into(), &user.into(), &TokenOptions::new())
        .await
        .expect("token gate")
    {
        TokenDecision::Issued(token) => token.secret().to_owned(),
        other => panic!("{other:?}"),
    }
}

/// The token gate refuses `user` a new token for `room`, with the ban's reason.
async fn assert_gate_refuses(moderator: &dyn Moderator, room: &str, user: &str) {
    let decision = moderator
        .issue_token(&room.into(), &user.into(), &TokenOptions::new())
        .await
        .expect("token gate");
    assert!(
        matches!(&decision, TokenDecision::Refused { reason: Some(r), .. } if r == "raiding"),
        "a banned user gets no new token: {decision:?}"
    );
}

fn secret(vars: &[(&'static str, String)], name: &str) -> String {
    vars.iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("{name} in the emulator's vars"))
}

/// Waits for the re-kick of `user`, then checks it came within a second of the callback.
async fn assert_rekicked_within_a_second(
    receiver: &Receiver,
    route: Route,
    outcomes: &mut mpsc::Receiver<(String, bool, Instant)>,
    user: &str,
) {
    let (kicked, removed, at) = tokio::time::timeout(Duration::from_secs(10), outcomes.recv())
        .await
        .unwrap_or_else(|_| panic!("{route}: no re-kick within 10 s"))
        .expect("hook");
    assert_eq!((kicked.as_str(), removed), (user, true), "{route}");
    let arrived = receiver
        .arrivals
        .lock()
        .expect("lock")
        .iter()
        .find(|(path, _)| path == route.path())
        .map(|(_, at)| *at)
        .unwrap_or_else(|| panic!("{route}: the callback arrived"));
    let took = at - arrived;
    assert!(
        took < Duration::from_secs(1),
        "{route}: removed {took:?} after the callback"
    );
    println!("{route}: re-kicked {took:?} after the callback arrived");
    receiver.webhooks.shutdown().await;
    let text = receiver.webhooks.metrics().text();
    let line = format!(
        "moderator_webhook_joins_total{{provider=\"{}\",outcome=\"disconnected\"}} 1",
        route.name()
    );
    assert!(text.contains(&line), "{route}: {line} in\n{text}");
}

async fn emulator() -> Emulator {
    let mut config = EmulatorConfig::default();
    // Self-hosted LiveKit revokes nothing on removal: the old token joins again.
    config.livekit = room_moderator_emulator::livekit::LiveKitConfig::self_hosted();
    Emulator::start_with(config).await.expect("emulator")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zim_banned_user_rejoins_with_the_old_token_and_is_removed() {
    let emu = emulator().await;
    let zim = emu.zego().zim();
    let vars = emu.vars("zego-zim");
    let store = Arc::new(MemoryBanStore::default());
    let (moderator, mut outcomes, _) =
        moderator::<room_moderator_zego::ZegoZimBuilder>(vars.clone(), store).await;
    zim.seed_room("lobby", ["guest"]);
    let token = issued(moderator.as_ref(), "lobby", "troll").await;
    zim.login_with_token("lobby", "troll", &token)
        .expect("joins with its login token");
    moderator
        .ban(&BanRequest::new("lobby", ["troll"]).with_reason("raiding"))
        .await
        .expect("ban");
    assert!(outcomes.recv().await.is_some(), "the ban's own kick");
    assert_gate_refuses(moderator.as_ref(), "lobby", "troll").await;
    let receiver = listening(
        &emu,
        WebhooksBuilder::new().zego_zim([secret(&vars, "ZEGO_CALLBACK_SECRET")], moderator),
    )
    .await;
    // ZIM has no native ban: the token the user held before the ban logs in again.
    zim.login_with_token("lobby", "troll", &token)
        .expect("the old token rejoins");
    assert_rekicked_within_a_second(&receiver, Route::ZegoZim, &mut outcomes, "troll").await;
    assert_eq!(zim.members("lobby"), Some(vec!["guest".to_owned()]));
    assert_eq!(
        zim.kicks().last().and_then(|k| k.reason.clone()).as_deref(),
        Some("raiding")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zego_rtc_banned_user_rejoins_with_the_old_token_and_is_removed() {
    let emu = emulator().await;
    let rtc = emu.zego().rtc();
    let vars = emu.vars("zego-rtc");
    let store = Arc::new(MemoryBanStore::default());
    let (moderator, mut outcomes, account) =
        moderator::<room_moderator_zego::ZegoRtcBuilder>(vars.clone(), store.clone()).await;
    let token = issued(moderator.as_ref(), "stage", "troll").await;
    let guest = issued(moderator.as_ref(), "stage", "guest").await;
    // A ban whose native login rule has lapsed (ZEGO rules last at most a day) while the store still
    // holds it: only the callback can stop the rejoin with the token held from before the ban.
    let scope = BanScope::new("zego-rtc", account, "stage");
    let entry = BanEntry::new("troll", SystemTime::now()).with_reason(Some("raiding".to_owned()));
    store.put(&scope, &[entry]).await.expect("ban stored");
    assert_gate_refuses(moderator.as_ref(), "stage", "troll").await;
    let receiver = listening(
        &emu,
        WebhooksBuilder::new().zego_rtc([secret(&vars, "ZEGO_CALLBACK_SECRET")], moderator),
    )
    .await;
    rtc.login_with_token("stage", "guest", &guest)
        .expect("joins");
    rtc.login_with_token("stage", "troll", &token)
        .expect("the old token rejoins");
    assert_rekicked_within_a_second(&receiver, Route::ZegoRtc, &mut outcomes, "troll").await;
    assert_eq!(rtc.members("stage"), Some(vec!["guest".to_owned()]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn livekit_banned_user_rejoins_with_the_old_token_and_is_removed() {
    let emu = emulator().await;
    let livekit = emu.livekit();
    let vars = emu.vars("livekit");
    let store = Arc::new(MemoryBanStore::default());
    let (moderator, mut outcomes, _) =
        moderator::<room_moderator_livekit::LiveKitBuilder>(vars.clone(), store).await;
    livekit.seed_room("standup", ["guest"]);
    let token = issued(moderator.as_ref(), "standup", "troll").await;
    livekit.join_with_token(&token).expect("joins");
    moderator
        .ban(&BanRequest::new("standup", ["troll"]).with_reason("raiding"))
        .await
        .expect("ban");
    assert!(outcomes.recv().await.is_some(), "the ban's own kick");
    assert_gate_refuses(moderator.as_ref(), "standup", "troll").await;
    let receiver = listening(
        &emu,
        WebhooksBuilder::new().livekit(
            [(
                secret(&vars, "LIVEKIT_API_KEY"),
                secret(&vars, "LIVEKIT_API_SECRET"),
            )],
            moderator,
        ),
    )
    .await;
    livekit
        .join_with_token(&token)
        .expect("the old token joins again (self-hosted)");
    assert_rekicked_within_a_second(&receiver, Route::LiveKit, &mut outcomes, "troll").await;
    assert_eq!(livekit.members("standup"), Some(vec!["guest".to_owned()]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_rtc_banned_user_rejoins_and_is_removed() {
    let emu = emulator().await;
    let rtc = emu.agora().rtc();
    let mut vars = vec![
        ("AGORA_APP_ID", rtc.app_id()),
        ("AGORA_CUSTOMER_ID", rtc.customer_id().to_owned()),
        ("AGORA_CUSTOMER_SECRET", rtc.customer_secret().to_owned()),
        ("AGORA_ENDPOINT", rtc.base_url()),
    ];
    vars.extend(emu.agora().callback_vars());
    let store = Arc::new(MemoryBanStore::default());
    let (moderator, mut outcomes, account) =
        moderator::<room_moderator_agora::AgoraRtcBuilder>(vars.clone(), store.clone()).await;
    // As for ZEGO RTC: the kicking rule has run out, the store still holds the ban.
    let scope = BanScope::new("agora-rtc", account, "news");
    let entry = BanEntry::new("42", SystemTime::now()).with_reason(Some("raiding".to_owned()));
    store.put(&scope, &[entry]).await.expect("ban stored");
    let receiver = listening(
        &emu,
        WebhooksBuilder::new().agora_rtc(secret(&vars, "AGORA_NCS_SECRET"), false, moderator),
    )
    .await;
    rtc.join("news", 7).expect("joins");
    rtc.join("news", 42).expect("rejoins");
    assert_rekicked_within_a_second(&receiver, Route::AgoraRtc, &mut outcomes, "42").await;
    assert_eq!(rtc.online("news"), vec![7]);
}

/// One Agora Chat test's setup: the emulators, the Chat adapter's variables with the receiver's
/// secrets, a ban store, the moderator over both, its kick outcomes and its account.
struct ChatLoop {
    emu: Emulator,
    vars: Vec<(&'static str, String)>,
    store: Arc<MemoryBanStore>,
    moderator: Arc<dyn Moderator>,
    outcomes: mpsc::Receiver<(String, bool, Instant)>,
    account: String,
}

async fn agora_chat_loop() -> ChatLoop {
    let emu = emulator().await;
    let mut vars = emu.vars("agora-chat");
    vars.extend(emu.agora().callback_vars());
    let store = Arc::new(MemoryBanStore::default());
    let (moderator, outcomes, account) =
        moderator::<room_moderator_agora::AgoraChatBuilder>(vars.clone(), store.clone()).await;
    ChatLoop {
        emu,
        vars,
        store,
        moderator,
        outcomes,
        account,
    }
}

/// Agora Chat's block list refuses a blocked user's rejoin by itself, but it takes members only: a
/// user banned while away from the room is held by the ban store alone, and the store is all that
/// stands between them and the room. The join callback is what removes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_chat_user_banned_while_away_joins_and_is_removed() {
    let ChatLoop {
        emu,
        vars,
        moderator,
        mut outcomes,
        ..
    } = agora_chat_loop().await;
    let chat = emu.agora().chat();
    chat.seed_room("lounge", Some("owner"), ["guest"]);
    let report = moderator
        .ban(&BanRequest::new("lounge", ["troll"]).with_reason("raiding"))
        .await
        .expect("ban");
    assert!(
        matches!(
            report.users[0].outcome,
            room_moderator_core::BanOutcome::NotInRoom { native: false, .. }
        ),
        "banned by the store alone: {:?}",
        report.users[0].outcome
    );
    assert!(
        chat.blocked("lounge").is_empty(),
        "the block list took no one"
    );
    assert!(outcomes.recv().await.is_some(), "the ban's own kick");
    let receiver = listening(
        &emu,
        WebhooksBuilder::new().agora_chat(secret(&vars, "AGORA_CHAT_CALLBACK_SECRET"), moderator),
    )
    .await;
    chat.join("lounge", "troll")
        .expect("no block: the chat room lets the user in");
    assert_rekicked_within_a_second(&receiver, Route::AgoraChat, &mut outcomes, "troll").await;
    assert_eq!(
        chat.members("lounge"),
        Some(vec!["guest".to_owned(), "owner".to_owned()])
    );
    assert_eq!(chat.callbacks().stats().delivered, 1);
}

/// A ban the block list did hold, until an operator lifted the block in Agora Console: the user
/// rejoins, and the re-kick must really remove them (the adapter once reported it done on the
/// strength of the block it remembered setting, and the user stayed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_chat_user_whose_block_was_lifted_rejoins_and_is_removed() {
    let ChatLoop {
        emu,
        vars,
        moderator,
        mut outcomes,
        ..
    } = agora_chat_loop().await;
    let chat = emu.agora().chat();
    chat.seed_room("lounge", Some("owner"), ["guest", "troll"]);
    moderator
        .ban(&BanRequest::new("lounge", ["troll"]).with_reason("raiding"))
        .await
        .expect("ban");
    assert!(outcomes.recv().await.is_some(), "the ban's own kick");
    assert_eq!(chat.blocked("lounge"), ["troll"]);
    assert!(chat.join("lounge", "troll").is_err(), "the block holds");
    assert!(chat.unblock("lounge", "troll"), "lifted in the console");
    let receiver = listening(
        &emu,
        WebhooksBuilder::new().agora_chat(secret(&vars, "AGORA_CHAT_CALLBACK_SECRET"), moderator),
    )
    .await;
    chat.join("lounge", "troll").expect("rejoins");
    assert_rekicked_within_a_second(&receiver, Route::AgoraChat, &mut outcomes, "troll").await;
    assert_eq!(
        chat.members("lounge"),
        Some(vec!["guest".to_owned(), "owner".to_owned()])
    );
}

/// The emulator's genuine Agora Chat callback, altered or forged, re-kicks nobody: `security` signs
/// `callId` and `timestamp` only, so the same signature over another member list is a replay of a
/// `callId` already seen (acknowledged, nothing done); a new `callId` or `timestamp` breaks it, and
/// so does another secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_chat_altered_or_forged_callbacks_kick_nobody() {
    let ChatLoop {
        emu,
        vars,
        store,
        moderator,
        mut outcomes,
        account,
    } = agora_chat_loop().await;
    let chat = emu.agora().chat();
    // The troll is in the room, banned in the store: any join callback naming them that the
    // receiver took would remove them.
    chat.seed_room("lounge", Some("owner"), ["troll"]);
    let scope = BanScope::new("agora-chat", account, "lounge");
    store
        .put(&scope, &[BanEntry::new("troll", SystemTime::now())])
        .await
        .expect("ban stored");
    let receiver = listening(
        &emu,
        WebhooksBuilder::new().agora_chat(secret(&vars, "AGORA_CHAT_CALLBACK_SECRET"), moderator),
    )
    .await;
    chat.join("lounge", "visitor").expect("joins");
    let genuine = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(body) = receiver.bodies.lock().expect("lock").first().cloned() {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the emulator's callback arrived");
    let genuine: serde_json::Value = serde_json::from_slice(&genuine).expect("JSON");
    assert_eq!(genuine["payload"]["member"], serde_json::json!(["visitor"]));
    let url = receiver.url.join(Route::AgoraChat.path()).expect("url");
    let client = reqwest::Client::new();
    let post = |body: serde_json::Value| {
        let request = client.post(url.clone()).json(&body);
        async move { request.send().await.expect("answer").status().as_u16() }
    };
    let mut swapped = genuine.clone();
    swapped["payload"]["member"] = serde_json::json!(["troll"]);
    swapped["operator"] = serde_json::json!("troll");
    assert_eq!(
        post(swapped.clone()).await,
        200,
        "the same callId: a replay, acknowledged and ignored"
    );
    let mut new_call = swapped.clone();
    new_call["callId"] = serde_json::json!(format!("{}-2", genuine["callId"].as_str().unwrap()));
    assert_eq!(post(new_call).await, 401, "another callId");
    let mut new_time = swapped;
    new_time["timestamp"] = serde_json::json!(genuine["timestamp"].as_u64().unwrap() + 1);
    assert_eq!(post(new_time).await, 401, "another timestamp");
    let forged = room_moderator_webhooks::sign::event(
        Route::AgoraChat,
        true,
        ("", "a-guessed-secret"),
        ("lounge", "troll"),
        "61000000#moderator_forged",
        SystemTime::now(),
    );
    let forged: serde_json::Value = serde_json::from_slice(&forged.body).expect("JSON");
    assert_eq!(post(forged).await, 401, "signed with another secret");
    receiver.webhooks.shutdown().await;
    assert!(outcomes.try_recv().is_err(), "nobody was re-kicked");
    assert_eq!(
        chat.members("lounge"),
        Some(vec![
            "owner".to_owned(),
            "troll".to_owned(),
            "visitor".to_owned()
        ])
    );
    let text = receiver.webhooks.metrics().text();
    for line in [
        "moderator_webhook_refused_total{provider=\"agora-chat\",reason=\"signature\"} 3",
        "moderator_webhook_refused_total{provider=\"agora-chat\",reason=\"replay\"} 1",
        "moderator_webhook_joins_total{provider=\"agora-chat\",outcome=\"not_banned\"} 1",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
}
