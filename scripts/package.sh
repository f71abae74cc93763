#!/usr/bin/env bash
# Packages every published crate of the workspace as the registry would receive it, builds each package
# alone from its own contents, then inspects what each .crate ships.
#
#   scripts/package.sh          (CI runs exactly this; set CARGO_TARGET_DIR to reuse a target dir)
#
# 1. `cargo package --workspace --all-features --locked`: every published member is packaged in
#    dependency order (cargo packages `publish = false` members too, so those are named in --exclude:
#    tools/public-api and tools/node-interop; fuzz/ is a workspace of its own), and each package is verified, i.e. unpacked under
#    <target>/package/ and built there on its own manifest. Path dependencies between members are
#    resolved against the packages made in the same run (cargo's local registry overlay), as they will
#    be against crates.io once the earlier ones are published. `--all-features` so the facade's
#    verification builds its adapters too, not only the default `sqlite` feature. Never --no-verify.
# 2. Each .crate's tar listing and contents are checked. The package fails if it ships:
#    - build output: a `target/` path component, or compiled artefacts (.rlib .rmeta .o .so .a .dylib
#      .dll .exe .pdb);
#    - `node_modules/` (the Socket.IO interop test's npm install, say);
#    - any file over MAX_FILE_KIB (512 KiB uncompressed; the largest source file today is ~100 KiB),
#      or a .crate over MAX_CRATE_KIB (1 MiB compressed; crates.io's hard limit is 10 MiB, ours are
#      under 100 KiB, so anything near 1 MiB is a mistake such as a shipped data file);
#    - secret-looking files, by name: `.env` / `.env.*` (only `.env.example` is allowed), `*.pem`,
#      `*.key`, `*.p12`, `*.pfx`, `*.jks`, `id_rsa` / `id_dsa` / `id_ecdsa` / `id_ed25519`, `.npmrc`,
#      `.netrc`, `.pypirc`, `.git-credentials`, a file named `credentials` (the AWS and cargo
#      credential files);
#    - secret-looking text, by content (text files only):
#      * a PEM private key block (`-----BEGIN ... PRIVATE KEY-----`, RSA, EC, OPENSSH, PGP alike);
#      * an AWS access key id: `AKIA` / `ASIA` / `ABIA` / `ACCA` followed by exactly 16 base32
#        characters (A-Z, 2-7), except AWS's documented example keys, which end in `EXAMPLE`
#        (`AKIAIOSFODNN7EXAMPLE`);
#      * an AWS secret access key assigned to a name that says so (`aws_secret_access_key = ...`,
#        `"AWS_SECRET_ACCESS_KEY": "..."`): 40 characters of [A-Za-z0-9/+], unless it contains `EXAMPLE`
#        (`wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`, AWS's SigV4 test suite key);
#      * GitHub tokens (`ghp_` / `gho_` / `ghu_` / `ghs_` / `ghr_` + 36 characters, `github_pat_`),
#        crates.io tokens (`cio` + 32 alphanumerics), Slack tokens (`xoxb-`, `xoxp-`, ...), Google API
#        keys (`AIza` + 35), Stripe live keys (`sk_live_`).
#    The emulators' documented fake credentials do not match any of these on purpose and are meant to
#    ship: `AKIDEMULATOR` / `emulator-secret` (IVS Chat; `AKID` is not an AWS key prefix and the id is
#    12 characters), AWS's `AKIDEXAMPLE` test-suite key, ZEGO's AppId `1234567890` with ServerSecret
#    `0123456789abcdef0123456789abcdef`, EnableX's `emulator-app` ids. A real key pasted into a test
#    fixture would match.
# 3. Prints each package's file count, unpacked and compressed size.
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_FILE_KIB=512
MAX_CRATE_KIB=1024

secret_names='(^|/)(\.env(\.[^/]*)?|[^/]*\.(pem|key|p12|pfx|jks)|id_(rsa|dsa|ecdsa|ed25519)|\.npmrc|\.netrc|\.pypirc|\.git-credentials|credentials)$'
secret_text='-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----|\b(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b|(aws_secret_access_key|secret_access_key|AWS_SECRET_ACCESS_KEY)["'"'"']?[[:space:]]*[:=][[:space:]]*["'"'"']?[A-Za-z0-9/+]{40}|\bgh[pousr]_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{22,}|\bcio[A-Za-z0-9]{32}\b|\bxox[abposr]-[A-Za-z0-9-]{10,}|\bAIza[0-9A-Za-z_-]{35}\b|\bsk_live_[0-9A-Za-z]{16,}'

failures=0
fail() {
  echo "package.sh: $1: $2" >&2
  failures=$((failures + 1))
}

# inspect CRATE_FILE NAME: applies the rules above to one .crate and prints its line of the table.
inspect() {
  local file=$1 crate=$2 mode listing files=0 unpacked=0 size path inner hits hit compressed
  # GNU tar verbose listing: mode owner size date time path.
  listing=$(tar -tvzf "$file")
  while read -r mode _ size _ _ path; do
    if [[ "$mode" == d* ]]; then
      continue
    fi
    files=$((files + 1))
    unpacked=$((unpacked + size))
    inner=${path#*/}
    if [ "$size" -gt $((MAX_FILE_KIB * 1024)) ]; then
      fail "$crate" "$inner is $((size / 1024)) KiB, over the $MAX_FILE_KIB KiB limit per file"
    fi
    case "/$inner" in
      */target/*) fail "$crate" "$inner is build output (target/)" ;;
      */node_modules/*) fail "$crate" "$inner is under node_modules/" ;;
    esac
    if [[ "$inner" =~ \.(rlib|rmeta|o|so|a|dylib|dll|exe|pdb)$ ]]; then
      fail "$crate" "$inner is a compiled artefact"
    fi
    if [[ "$inner" =~ $secret_names ]] && [[ ! "$inner" =~ (^|/)\.env\.example$ ]]; then
      fail "$crate" "$inner is named like a secret (key, certificate, .env or credentials file)"
    fi
  done <<<"$listing"

  rm -rf "$scratch/unpacked"
  mkdir -p "$scratch/unpacked"
  tar -xzf "$file" -C "$scratch/unpacked"
  # -I: text files only. grep exits 1 for "no match" and 2 for an error (a bad pattern): only 0 and 1
  # are answers. AWS's documented example keys (they contain EXAMPLE) are allowed.
  local status=0
  hits=$(grep -rIEno -- "$secret_text" "$scratch/unpacked") || status=$?
  if [ "$status" -gt 1 ]; then
    fail "$crate" "grep could not scan the package (status $status)"
  fi
  while IFS= read -r hit; do
    if [ -n "$hit" ] && [[ "$hit" != *EXAMPLE* ]]; then
      fail "$crate" "secret-looking text at ${hit#"$scratch/unpacked/"}"
    fi
  done <<<"$hits"

  compressed=$(stat -c %s "$file")
  if [ "$compressed" -gt $((MAX_CRATE_KIB * 1024)) ]; then
    fail "$crate" "the .crate is $((compressed / 1024)) KiB, over the $MAX_CRATE_KIB KiB limit"
  fi
  awk -v c="$crate" -v f="$files" -v u="$unpacked" -v z="$compressed" \
    'BEGIN { printf "%-34s %6d %9.1f KiB %9.1f KiB\n", c, f, u / 1024, z / 1024 }'
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# --self-test: each rule fires on a package made to break it, and the emulators' documented fake
# credentials pass. Runs in a second, without cargo.
if [ "${1:-}" = "--self-test" ]; then
  expect() { # expect WANTED_FAILURES NAME: packs $scratch/fixture as NAME.crate and inspects it
    failures=0
    (cd "$scratch" && mv fixture "$2" && tar -czf "$2.crate" "$2" && rm -rf "$2")
    inspect "$scratch/$2.crate" "$2" >/dev/null 2>&1
    if [ "$failures" -ne "$1" ]; then
      echo "package.sh --self-test: $2: $failures problem(s) found, $1 expected" >&2
      exit 1
    fi
    mkdir -p "$scratch/fixture/src"
  }
  mkdir -p "$scratch/fixture/src"
  cat >"$scratch/fixture/src/lib.rs" <<'RUST'
pub const DEFAULT_ACCESS_KEY_ID: &str = "AKIDEMULATOR";
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "emulator-secret";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DOC: &str = "AKIAIOSFODNN7EXAMPLE, AKIDEXAMPLE, 0123456789abcdef0123456789abcdef";
fn f(ivs: &Ivs) { cmd.env("AWS_SECRET_ACCESS_KEY", ivs.secret_access_key()); }
RUST
  touch "$scratch/fixture/.env.example"
  expect 0 clean
  printf 'const K: &str = "AKIA%s";\n' Z2Y3X4W5V6U7T2S3 >"$scratch/fixture/src/lib.rs"
  expect 1 aws-access-key
  printf 'aws_secret_access_key = %s\n' abcdEFGH1234abcdEFGH1234abcdEFGH1234ab/+ >"$scratch/fixture/config"
  expect 1 aws-secret-key
  printf -- '-----BEGIN %s PRIVATE KEY-----\nMIIB\n' OPENSSH >"$scratch/fixture/src/fixture.txt"
  expect 1 private-key-text
  printf 'token = "ghp_%s"\n' 0123456789abcdefghijABCDEFGHIJ012345 >"$scratch/fixture/src/gh.txt"
  expect 1 github-token
  touch "$scratch/fixture/.env" "$scratch/fixture/src/server.pem" "$scratch/fixture/id_ed25519"
  expect 3 secret-names
  mkdir -p "$scratch/fixture/target/debug" "$scratch/fixture/node_modules/x"
  touch "$scratch/fixture/target/debug/a" "$scratch/fixture/node_modules/x/index.js" "$scratch/fixture/src/libx.rlib"
  expect 3 build-output
  head -c $((MAX_FILE_KIB * 1024 + 1)) /dev/zero >"$scratch/fixture/big.bin"
  expect 1 big-file
  echo "package.sh --self-test: every rule fires, the emulators' fake credentials pass"
  exit 0
fi

if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  target_dir=$CARGO_TARGET_DIR
else
  target_dir=$(cargo metadata --no-deps --format-version 1 | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
fi
package_dir="$target_dir/package"

# Verification builds each package against the others through a temporary local registry, whose
# crates cargo extracts under $CARGO_HOME/registry/src and never extracts again for the same name and
# version: a copy left there by an earlier run (older sources, same 0.1.0) would be built instead of
# this tree's. So this workspace's extracted copies go first (a published crate of the same name is
# simply fetched again).
cargo_home=${CARGO_HOME:-$HOME/.cargo}
for name in $(cargo metadata --no-deps --format-version 1 | grep -o '"name":"[^"]*","version"' | sed 's/"name":"\([^"]*\)".*/\1/'); do
  rm -rf "$cargo_home"/registry/src/*/"$name"-[0-9]* "$cargo_home"/registry/cache/*/"$name"-[0-9]*.crate
done

# The .crate files of this run only: the names come from cargo's own "Packaging NAME vVERSION" lines.
log="$scratch/cargo-package.log"

start=$(date +%s)
if ! cargo package --workspace --exclude room-moderator-public-api --exclude room-moderator-node-interop --all-features --locked 2>&1 | tee "$log"; then
  echo "package.sh: cargo package failed" >&2
  exit 1
fi
elapsed=$(($(date +%s) - start))

mapfile -t crates < <(sed -n 's/^ *Packaging \([^ ]*\) v\([^ ]*\) .*/\1-\2/p' "$log")
if [ "${#crates[@]}" -eq 0 ]; then
  echo "package.sh: cargo packaged nothing" >&2
  exit 1
fi

printf '\n%-34s %6s %12s %12s\n' package files unpacked compressed
for crate in "${crates[@]}"; do
  file="$package_dir/$crate.crate"
  if [ -f "$file" ]; then
    inspect "$file" "$crate"
  else
    fail "$crate" "no $file after cargo package"
  fi
done

echo
echo "cargo package (with verification): ${elapsed} s"
if [ "$failures" -gt 0 ]; then
  echo "package.sh: $failures problem(s) in the packages above" >&2
  exit 1
fi
echo "package.sh: ${#crates[@]} packages verified and inspected"
