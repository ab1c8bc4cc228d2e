#!/usr/bin/env bash
# Runs every PeerChat test: formatting and lints, native unit tests of the core,
# wasm-bindgen tests in headless Chromium, then end-to-end tests in real Chromium
# processes through the official PeerServer, against the app as Trunk builds it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash .ci/install.sh
export PATH="$HOME/.cargo/bin:$root/tests/node_modules/.bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native and wasm32), warnings are errors"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy --workspace --all-targets --locked --target wasm32-unknown-unknown -- -D warnings

step "native unit tests of the core"
cargo test --locked -p peerchat-peerjs -p peerchat-chat -p peerchat-vault

# Everything that starts a browser runs in a network namespace with only loopback.
step "wasm-bindgen tests in headless Chromium"
unshare --net --pid --fork --kill-child -- bash -c 'ip link set lo up && cargo test --locked -p peerchat-web -p peerchat-vault --target wasm32-unknown-unknown'

step "trunk build --release"
trunk build --release

step "end-to-end tests: real Chromium, official PeerServer, official peerjs client"
bash .ci/e2e.sh
