//! Cargo features select adapters, and with them their transports: `--features zego` compiles no AWS
//! SDK crate (rustls's `aws-lc-rs` cryptography is not the SDK, and is allowed), and the core compiles no HTTP client, Redis or AWS crate
//! unless its `http` feature (the reqwest glue HTTP adapters share) asks for reqwest. Read from
//! `cargo tree` (normal dependencies, the ones an application ships), so a new dependency that drags
//! an SDK into the wrong feature fails here.

use std::process::Command;

/// The names of the packages `cargo tree` lists for `args` (normal dependencies only, deduplicated).
fn tree(args: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--no-dedupe",
        ])
        .args(args)
        .output()
        .expect("cargo tree runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cargo tree {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    assert!(!names.is_empty(), "cargo tree {args:?} listed nothing");
    names
}

fn facade(features: &str) -> Vec<String> {
    let mut args = vec!["--package", "room-moderator", "--no-default-features"];
    if !features.is_empty() {
        args.extend(["--features", features]);
    }
    tree(&args)
}

/// The packages whose names start with one of `prefixes`. `aws-` stands for the AWS SDK (aws-sdk-*,
/// aws-config, aws-smithy-*, aws-sigv4, aws-runtime, aws-types, ...), NOT `aws-lc-rs`/`aws-lc-sys`:
/// those are the cryptography under rustls, which every HTTPS and WSS connection uses.
fn with_prefix<'a>(names: &'a [String], prefixes: &[&str]) -> Vec<&'a String> {
    names
        .iter()
        .filter(|name| !name.starts_with("aws-lc-"))
        .filter(|name| prefixes.iter().any(|prefix| name.starts_with(prefix)))
        .collect()
}

#[test]
fn zego_alone_compiles_no_aws_crate_and_no_other_adapter() {
    let names = facade("zego");
    assert!(
        names.iter().any(|n| n == "room-moderator-zego"),
        "{names:?}"
    );
    assert_eq!(
        with_prefix(
            &names,
            &["aws-", "room-moderator-ivs", "room-moderator-enablex"]
        ),
        Vec::<&String>::new()
    );
}

#[test]
fn enablex_alone_compiles_no_aws_crate() {
    let names = facade("enablex");
    assert!(
        names.iter().any(|n| n == "room-moderator-enablex"),
        "{names:?}"
    );
    assert_eq!(
        with_prefix(
            &names,
            &["aws-", "room-moderator-ivs", "room-moderator-zego"]
        ),
        Vec::<&String>::new()
    );
}

#[test]
fn no_feature_compiles_no_adapter_and_no_transport() {
    let names = facade("");
    assert_eq!(
        with_prefix(
            &names,
            &[
                "aws-",
                "room-moderator-zego",
                "room-moderator-ivs",
                "room-moderator-enablex",
                "reqwest"
            ]
        ),
        Vec::<&String>::new()
    );
}

#[test]
fn the_core_depends_on_no_http_client_redis_or_aws_crate() {
    // Every core feature but `http`.
    let names = tree(&[
        "--package",
        "room-moderator-core",
        "--features",
        "mock,serde",
    ]);
    assert_eq!(
        with_prefix(&names, &["aws-", "reqwest", "hyper", "redis"]),
        Vec::<&String>::new()
    );
}

#[test]
fn the_core_http_feature_brings_reqwest_and_nothing_of_aws_or_redis() {
    let names = tree(&["--package", "room-moderator-core", "--all-features"]);
    assert!(names.iter().any(|n| n == "reqwest"), "{names:?}");
    assert_eq!(
        with_prefix(&names, &["aws-", "redis"]),
        Vec::<&String>::new()
    );
}

/// The check above can see an SDK when there is one.
#[test]
fn ivschat_does_bring_the_aws_sdk() {
    let names = facade("ivschat");
    assert!(names.iter().any(|n| n == "aws-sdk-ivschat"), "{names:?}");
}

/// IVS Chat alone does not compile the stages SDK: the stages adapter is behind its own feature.
#[test]
fn ivschat_alone_compiles_no_ivsrealtime() {
    let names = facade("ivschat");
    assert_eq!(
        with_prefix(&names, &["aws-sdk-ivsrealtime"]),
        Vec::<&String>::new()
    );
}

/// `ivs-stages` brings aws-sdk-ivsrealtime, and `ivs` both IVS SDKs.
#[test]
fn ivs_stages_brings_the_ivsrealtime_sdk_and_ivs_brings_both() {
    let names = facade("ivs-stages");
    assert!(
        names.iter().any(|n| n == "aws-sdk-ivsrealtime"),
        "{names:?}"
    );
    let both = facade("ivs");
    for sdk in ["aws-sdk-ivschat", "aws-sdk-ivsrealtime"] {
        assert!(both.iter().any(|n| n == sdk), "{sdk}: {both:?}");
    }
}
