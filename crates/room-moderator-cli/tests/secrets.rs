//! `moderator -vv` (debug traces of every crate on stderr) never prints a secret: the ZEGO
//! ServerSecret, the EnableX APP_KEY and its tokens, the AWS secret access key. Each provider is run
//! through a success and a failure against its emulator, and both output streams are searched.

use std::process::{Command, Output};

use room_moderator_emulator::{Emulator, Fault};

mod common;
use common::{run, without_aws_environment, zim_kick};

/// The binary with debug traces of every crate on stderr.
fn moderator() -> Command {
    let mut command = common::moderator();
    command.arg("-vv");
    command
}

fn assert_absent(output: &Output, secrets: &[(&str, &str)]) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("DEBUG"), "debug traces were printed: {text}");
    for (name, secret) in secrets {
        assert!(!secret.is_empty());
        assert!(!text.contains(secret), "{name} was printed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn zego_with_vv_prints_no_server_secret() {
    let emulator = Emulator::start().await.expect("emulators start");
    let zego = emulator.zego();
    zego.zim().seed_room("lobby", ["a"]);
    let wrong = "0123456789abcdef0123456789abcdef";
    for (secret, fault) in [
        (zego.server_secret(), None),
        (zego.server_secret(), Some(Fault::unavailable())),
        (wrong, None),
    ] {
        if let Some(fault) = fault {
            zego.zim().controls().push_faults(8, fault);
        }
        let mut command = zim_kick(&emulator);
        command
            .env("ZEGO_SERVER_SECRET", secret)
            .args(["--user", "a", "-vv"]);
        let output = run(command).await;
        assert_absent(
            &output,
            &[
                ("ServerSecret", zego.server_secret()),
                ("wrong ServerSecret", wrong),
            ],
        );
        zego.zim().controls().reset();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn enablex_with_vv_prints_no_app_key_or_token() {
    let emulator = Emulator::start().await.expect("emulators start");
    let enablex = emulator.enablex();
    enablex.seed_room("stage", ["a", "b"]);
    let wrong = "wrong-app-key-0123456789abcdef";
    for (key, args) in [
        (enablex.app_key(), ["kick", "--user"]),
        (wrong, ["kick", "--user"]),
        (enablex.app_key(), ["kick-all", "--yes"]),
    ] {
        let mut command = moderator();
        command
            .env("ENABLEX_APP_ID", enablex.app_id())
            .env("ENABLEX_APP_KEY", key)
            .arg(args[0])
            .args(["--provider", "enablex", "--room", "stage", "--endpoint"])
            .arg(enablex.api_url())
            .arg(args[1]);
        if args[0] == "kick" {
            command.arg("a");
        }
        let output = run(command).await;
        let mut secrets = vec![("APP_KEY", enablex.app_key()), ("wrong APP_KEY", wrong)];
        let ids: Vec<String> = enablex
            .frames()
            .iter()
            .filter(|frame| frame.event == "token")
            .filter_map(|frame| {
                let data = frame
                    .data
                    .as_array()
                    .and_then(|a| a.first())
                    .unwrap_or(&frame.data);
                data.get("tokenId")?.as_str().map(|id| format!("\"{id}\""))
            })
            .collect();
        secrets.extend(ids.iter().map(|id| ("a token id", id.as_str())));
        assert_absent(&output, &secrets);
    }
    assert!(
        enablex.frames().iter().any(|frame| frame.event == "token"),
        "the CLI joined with tokens"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ivschat_with_vv_prints_no_secret_access_key() {
    let emulator = Emulator::start().await.expect("emulators start");
    let ivs = emulator.ivschat();
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["a"]);
    let home = std::env::temp_dir().join("moderator-secrets-no-aws-home");
    let wrong = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGKEY";
    for secret in [ivs.secret_access_key(), wrong] {
        let mut command = moderator();
        without_aws_environment(&mut command, &home);
        command
            .env("AWS_REGION", ivs.region())
            .env("AWS_ACCESS_KEY_ID", ivs.access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .args(["kick", "--provider", "ivschat", "--user", "a", "--room"])
            .arg(&room)
            .arg("--endpoint")
            .arg(ivs.base_url());
        let output = run(command).await;
        assert_absent(
            &output,
            &[
                ("the secret access key", ivs.secret_access_key()),
                ("the wrong secret access key", wrong),
            ],
        );
    }
}
