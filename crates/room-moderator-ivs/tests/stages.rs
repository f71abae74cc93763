//! IvsStages against the stages emulator over loopback, through the real `aws-sdk-ivsrealtime`: a
//! raid of users on several devices costs one disconnect per participant plus a few listing calls,
//! paced to each operation's quota with nothing throttled; absent users, a stage without a session,
//! members, kick-all, reasons, bans and tokens, errors.

use std::net::SocketAddr;
use std::sync::Arc;

use room_moderator_core::{
    Adapter, BanRequest, DisconnectRequest, Engine, ErrorKind, MemoryBanStore, Moderator, Outcome,
    RoomCleared, RoomId, TokenDecision, TokenOptions, UserId,
};
use room_moderator_emulator::Fault;
use room_moderator_emulator::ivschat::stages::{
    IvsStagesConfig, IvsStagesEmulator, JoinRefusal, Operation,
};
use room_moderator_ivs::{IvsStages, IvsStagesBuilder, STAGE_OPERATIONS_PER_SECOND};

async fn emulator() -> IvsStagesEmulator {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    IvsStagesEmulator::start(IvsStagesConfig::default(), any)
        .await
        .expect("emulator starts")
}

fn builder(ivs: &IvsStagesEmulator) -> IvsStagesBuilder {
    IvsStagesBuilder::new()
        .with_endpoint(ivs.base_url())
        .with_region(ivs.region())
        .with_credentials(ivs.access_key_id(), ivs.secret_access_key(), None)
}

async fn adapter(ivs: &IvsStagesEmulator) -> IvsStages {
    builder(ivs).build().await.expect("adapter builds")
}

/// Each user's outcome as a word.
fn outcomes(report: &room_moderator_core::Report) -> Vec<&'static str> {
    report
        .users()
        .iter()
        .map(|u| match u.outcome {
            Outcome::Disconnected => "disconnected",
            Outcome::NotInRoom => "not_in_room",
            _ => "failed",
        })
        .collect()
}

/// Requests per operation, and throttled answers over all of them.
fn calls(ivs: &IvsStagesEmulator) -> ([u64; 4], u64) {
    let mut requests = [0; 4];
    let mut throttled = 0;
    for (slot, operation) in requests.iter_mut().zip(Operation::ALL) {
        let counters = ivs.operation_controls(operation).counters();
        *slot = counters.requests;
        throttled += counters.throttled;
    }
    (requests, throttled)
}

/// `users` users on a stage, every `double`-th of them on two devices; the report, the calls per
/// operation ([GetStage, ListParticipants, DisconnectParticipant, CreateParticipantToken]) and the
/// elapsed time against the least the disconnects need at the quota.
async fn raid(users: usize, double: usize) -> (usize, f64) {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("raid");
    let names: Vec<String> = (0..users).map(|i| format!("raider-{i}")).collect();
    let mut devices: Vec<String> = names.clone();
    devices.extend(names.iter().step_by(double).cloned());
    ivs.seed_stage(&stage, &devices);
    let participants = devices.len();
    let moderator = Engine::new(adapter(&ivs).await);
    let report = moderator
        .disconnect(
            &DisconnectRequest::new(stage.as_str(), names.iter().cloned()).with_reason("raid"),
        )
        .await
        .expect("valid request");
    assert!(
        outcomes(&report).iter().all(|o| *o == "disconnected"),
        "{:?}",
        report.summary()
    );
    assert_eq!(ivs.members(&stage), Some(Vec::new()));
    let ([get_stage, list, disconnect, tokens], throttled) = calls(&ivs);
    assert_eq!(
        disconnect as usize, participants,
        "one call per participant"
    );
    assert!(
        get_stage + list <= 10,
        "{get_stage} GetStage + {list} ListParticipants"
    );
    assert_eq!((tokens, throttled), (0, 0));
    assert!(
        ivs.disconnections()
            .iter()
            .all(|d| d.was_connected && d.reason.as_deref() == Some("raid"))
    );
    let least = (participants - 1) as f64 / f64::from(STAGE_OPERATIONS_PER_SECOND);
    let ratio = report.elapsed().as_secs_f64() / least;
    println!(
        "{users} users on {participants} participants: {disconnect} DisconnectParticipant + {get_stage} GetStage + {list} ListParticipants, {throttled} throttled, {:.2} s (least {least:.2} s, x{ratio:.3}), report calls {}",
        report.elapsed().as_secs_f64(),
        report.calls()
    );
    (participants, ratio)
}

#[tokio::test]
async fn a_raid_costs_one_disconnect_per_participant_and_a_listing() {
    let (participants, ratio) = raid(20, 4).await;
    assert_eq!(participants, 25);
    assert!(ratio <= 1.05, "x{ratio:.3} the least time");
}

/// The issue's figure: 500 users on 600 participants. Two minutes at the quota, so run on demand:
/// `cargo test -p room-moderator-ivs --features stages --test stages -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "two minutes at 5 disconnects a second"]
async fn five_hundred_users_on_six_hundred_participants() {
    let (participants, ratio) = raid(500, 5).await;
    assert_eq!(participants, 600);
    assert!(ratio <= 1.05, "x{ratio:.3} the least time");
}

#[tokio::test]
async fn absent_users_are_not_in_room_without_a_disconnect() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("studio");
    ivs.seed_stage(&stage, ["alice", "bob"]);
    let moderator = Engine::new(adapter(&ivs).await);
    let report = moderator
        .disconnect(&DisconnectRequest::new(
            stage.as_str(),
            ["alice", "ghost", "phantom"],
        ))
        .await
        .expect("valid");
    assert_eq!(
        outcomes(&report),
        ["disconnected", "not_in_room", "not_in_room"]
    );
    assert_eq!(calls(&ivs).0, [1, 1, 1, 0]);
    assert_eq!(ivs.members(&stage), Some(vec!["bob".to_owned()]));
}

#[tokio::test]
async fn no_active_session_means_nobody_is_there_after_one_call() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("empty");
    ivs.create_stage(&stage);
    let moderator = Engine::new(adapter(&ivs).await);
    let report = moderator
        .disconnect(&DisconnectRequest::new(stage.as_str(), ["a", "b", "c"]))
        .await
        .expect("valid");
    assert!(outcomes(&report).iter().all(|o| *o == "not_in_room"));
    assert_eq!(calls(&ivs).0, [1, 0, 0, 0]);
    assert_eq!(report.calls(), 1);
}

#[tokio::test]
async fn without_the_engine_s_check_a_kick_lists_the_stage_itself_once() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("studio");
    ivs.seed_stage(&stage, ["alice", "alice", "bob", "carol"]);
    let moderator = Engine::new(adapter(&ivs).await);
    let report = moderator
        .disconnect(
            &DisconnectRequest::new(stage.as_str(), ["alice", "bob", "ghost"])
                .without_presence_check(),
        )
        .await
        .expect("valid");
    assert_eq!(
        outcomes(&report),
        ["disconnected", "disconnected", "not_in_room"]
    );
    assert_eq!(calls(&ivs).0, [1, 1, 3, 0]);
    assert_eq!(ivs.members(&stage), Some(vec!["carol".to_owned()]));
}

#[tokio::test]
async fn members_are_users_with_their_participant_ids_and_kick_all_lists_then_kicks() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("studio");
    ivs.seed_stage(&stage, ["alice", "bob"]);
    let second = ivs.connect(&stage, "alice");
    let moderator = Engine::new(adapter(&ivs).await);
    let members = moderator
        .members(&RoomId::new(stage.as_str()))
        .await
        .expect("listed");
    let shown: Vec<(&str, usize)> = members
        .iter()
        .map(|m| {
            (
                m.id.as_str(),
                m.handle.as_deref().map_or(0, |h| h.split(' ').count()),
            )
        })
        .collect();
    assert_eq!(shown, [("alice", 2), ("bob", 1)]);
    assert!(
        members[0]
            .handle
            .as_deref()
            .is_some_and(|h| h.contains(&second))
    );

    let cleared = moderator
        .disconnect_all(&RoomId::new(stage.as_str()), Some(&"closing".into()))
        .await
        .expect("cleared");
    let RoomCleared::ListedAndKicked(report) = cleared else {
        panic!("listed and kicked")
    };
    assert!(outcomes(&report).iter().all(|o| *o == "disconnected"));
    assert_eq!(ivs.members(&stage), Some(Vec::new()));
    assert_eq!(
        ivs.operation_controls(Operation::DisconnectParticipant)
            .counters()
            .requests,
        3
    );
    assert!(
        ivs.disconnections()
            .iter()
            .all(|d| d.reason.as_deref() == Some("closing"))
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let ivs = emulator().await;
    let moderator = Engine::new(adapter(&ivs).await);
    let stage = ivs.stage_arn("studio");
    for request in [
        DisconnectRequest::new("arn:aws:ivschat:us-east-1:123456789012:room/a", ["u"]),
        DisconnectRequest::new("studio", ["u"]),
        DisconnectRequest::new(stage.as_str(), ["u"]).with_reason("r".repeat(129)),
        DisconnectRequest::new(stage.as_str(), ["u".repeat(129)]),
    ] {
        let error = moderator.disconnect(&request).await.expect_err("refused");
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    }
    assert!(
        moderator
            .disconnect(&DisconnectRequest::new(stage.as_str(), ["u"]).with_reason("r".repeat(128)))
            .await
            .is_ok()
    );
    assert_eq!(calls(&ivs).0[2], 0);
}

#[tokio::test]
async fn a_banned_user_is_refused_a_token_without_a_call_and_the_old_token_stays_out() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("studio");
    ivs.create_stage(&stage);
    let moderator = Engine::builder(adapter(&ivs).await)
        .with_ban_store(Arc::new(MemoryBanStore::new()))
        .build();
    let room = RoomId::new(stage.as_str());
    let troll = UserId::new("troll");
    let options = TokenOptions::new().with_capability("PUBLISH");
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let TokenDecision::Issued(token) = moderator
            .issue_token(&room, &troll, &options)
            .await
            .expect("issued")
        else {
            panic!("not banned yet")
        };
        tokens.push(token.secret().to_owned());
    }
    ivs.join(&stage, &tokens[0]).expect("the phone joins");
    let issued = ivs.participant_tokens();
    assert_eq!(issued[0].user_id, "troll", "the user id is always set");
    assert_eq!(issued[0].capabilities, ["PUBLISH"]);

    let report = moderator
        .ban(&BanRequest::new(stage.as_str(), ["troll"]))
        .await
        .expect("banned");
    assert_eq!(report.users.len(), 1);
    assert_eq!(
        ivs.join(&stage, &tokens[0]),
        Err(JoinRefusal::ParticipantDisconnected)
    );
    let before = ivs
        .operation_controls(Operation::CreateParticipantToken)
        .counters()
        .requests;
    let decision = moderator
        .issue_token(&room, &troll, &options)
        .await
        .expect("decided");
    assert!(
        matches!(decision, TokenDecision::Refused { .. }),
        "{decision:?}"
    );
    assert_eq!(
        ivs.operation_controls(Operation::CreateParticipantToken)
            .counters()
            .requests,
        before,
        "no call for a banned user"
    );
    // IVS revokes per token: the unused second token would still join; the join gate is what
    // keeps the user out (documented in the README).
    assert!(ivs.join(&stage, &tokens[1]).is_ok());
}

#[tokio::test]
async fn wrong_credentials_fail_the_whole_request_after_one_call() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("studio");
    ivs.seed_stage(&stage, ["alice", "bob"]);
    let wrong = builder(&ivs)
        .with_credentials(ivs.access_key_id(), "not-the-secret", None)
        .build()
        .await
        .expect("builds");
    let report = Engine::new(wrong)
        .disconnect(&DisconnectRequest::new(stage.as_str(), ["alice", "bob"]))
        .await
        .expect("valid");
    for user in report.users() {
        let Outcome::Failed(error) = &user.outcome else {
            panic!("{user:?}")
        };
        assert_eq!(error.kind(), ErrorKind::Unauthenticated, "{error}");
    }
    assert_eq!(calls(&ivs).0, [1, 0, 0, 0]);
}

#[tokio::test]
async fn throttling_arrives_unmodelled_and_is_sent_again_with_its_text() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("studio");
    ivs.seed_stage(&stage, ["alice"]);
    let adapter = adapter(&ivs).await;
    ivs.operation_controls(Operation::GetStage)
        .push_fault(Fault::Status {
            status: 429,
            body: r#"{"exceptionMessage":"Request was denied due to request throttling."}"#
                .to_owned(),
            headers: vec![(
                "x-amzn-errortype".to_owned(),
                "ThrottlingException".to_owned(),
            )],
        });
    let error = adapter
        .members_page(&RoomId::new(stage.as_str()), None)
        .await
        .expect_err("throttled");
    assert_eq!(error.kind(), ErrorKind::Throttled);
    assert_eq!(error.code(), Some("ThrottlingException"));
    assert!(
        error.message().contains("denied due to request throttling"),
        "{error}"
    );
    ivs.controls()
        .push_fault(Fault::Throttle { retry_after: None });
    let report = Engine::new(adapter)
        .disconnect(&DisconnectRequest::new(stage.as_str(), ["alice"]))
        .await
        .expect("valid");
    assert_eq!(outcomes(&report), ["disconnected"]);
    assert_eq!(report.throttled(), 1);
}

#[tokio::test]
async fn one_sdk_config_serves_both_adapters() {
    let ivs = emulator().await;
    let stage = ivs.stage_arn("studio");
    ivs.seed_stage(&stage, ["alice"]);
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(ivs.region().to_owned()))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    ivs.access_key_id(),
                    ivs.secret_access_key(),
                    None,
                    None,
                    "test",
                ),
            ),
        )
        .endpoint_url(ivs.base_url())
        .build();
    let stages = IvsStages::from_sdk_config(&sdk).expect("stages");
    let chat = room_moderator_ivs::IvsChat::from_sdk_config(&sdk).expect("chat");
    assert_eq!(
        (stages.region(), chat.region()),
        (ivs.region(), ivs.region())
    );
    let members = Engine::new(stages)
        .members(&RoomId::new(stage.as_str()))
        .await
        .expect("listed");
    assert_eq!(members.len(), 1);
    let variable = room_moderator_ivs::STAGES_ENV_VARS
        .iter()
        .any(|v| v.name == "AWS_ENDPOINT_URL_IVS_REALTIME");
    assert!(variable);
}
