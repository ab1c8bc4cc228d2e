#!/usr/bin/env bash
# Runs every PeerChat test: formatting and lints, native unit tests of the core,
# wasm-bindgen tests in headless Chromium, then end-to-end tests in real Chromium
# processes through the official PeerServer, against the app as Trunk builds it.
#
# One target directory (target/) and the dev profile for everything but the app itself:
# native check and test of the core crates, wasm32 check of the whole workspace, wasm32
# test of the crates with browser tests; only `trunk build --release` uses the release
# profile. Each step's time is printed at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash .ci/install.sh
export PATH="$HOME/.cargo/bin:$root/tests/node_modules/.bin:$PATH"

timings=()
step_name=
step_started=
step_done() {
  if [ -n "$step_name" ]; then
    timings+=("$(awk -v a="$step_started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%7.1f s", b - a }')  $step_name")
    step_name=
  fi
}
step() {
  step_done
  step_name="$*"
  step_started=$EPOCHREALTIME
  printf '\n==> %s\n' "$*"
}
report() {
  step_done
  if ((${#timings[@]})); then
    printf '\n==> time per step\n'
    printf '%s\n' "${timings[@]}"
  fi
}
source .ci/scratch.sh
trap 'report; remove_scratch' EXIT

# Workspace crates from cargo's metadata (every member under app/), one line each:
# the crate's name, and "browser" if it has wasm-bindgen tests (a wasm-bindgen-test
# dev-dependency), else "-".
mapfile -t crates < <(cargo metadata --no-deps --format-version 1 --locked | node -e '
  let json = "";
  process.stdin.on("data", (d) => (json += d)).on("end", () => {
    for (const p of JSON.parse(json).packages) {
      const browser = p.dependencies.some((d) => d.name === "wasm-bindgen-test" && d.kind === "dev");
      console.log(`${p.name} ${browser ? "browser" : "-"}`);
    }
  });')
((${#crates[@]})) || { echo "cargo metadata listed no crates" >&2; exit 1; }

# Crates that only mean something in a browser never build natively: the Yew app, and the
# IndexedDB store (rexie and its tokio tree). Every other crate is core: it is linted and
# tested natively.
browser_only=(peerchat-web peerchat-vault-idb)
native=(--workspace)
browser_tests=()
for line in "${crates[@]}"; do
  read -r name kind <<<"$line"
  for b in "${browser_only[@]}"; do
    if [ "$name" = "$b" ]; then native+=(--exclude "$name"); fi
  done
  if [ "$kind" = browser ]; then browser_tests+=(-p "$name"); fi
done
((${#browser_tests[@]})) || { echo "no crate has wasm-bindgen tests" >&2; exit 1; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy, native, core crates (${native[*]}), warnings are errors"
cargo clippy "${native[@]}" --all-targets --locked -- -D warnings

step "native tests of the core crates"
cargo test "${native[@]}" --locked

step "clippy, wasm32, whole workspace, warnings are errors"
cargo clippy --workspace --all-targets --locked --target wasm32-unknown-unknown -- -D warnings

# Everything that starts a browser runs in a network namespace with only loopback.
step "wasm-bindgen tests in headless Chromium (${browser_tests[*]})"
unshare --net --pid --fork --kill-child -- bash -c 'ip link set lo up && exec cargo test --locked --target wasm32-unknown-unknown "$@"' wasm-tests "${browser_tests[@]}"

step "trunk build --release"
trunk build --release

step "end-to-end tests: real Chromium, official PeerServer, official peerjs client"
bash .ci/e2e.sh
