#!/usr/bin/env bash
# Benchmarks that print figures (not tests), release builds, inside a loopback-only
# network namespace: unlock with 10 000 stored messages (headless Chromium), then PeerChat
# side by side with a minimal page on the official peerjs client (tests/bench/).
#   BENCH_ONLY=storage,connect,...  only the parts named (storage is the unlock benchmark;
#                                   the others are listed in tests/bench/run.mjs)
#   BENCH_REPS=3                    repetitions of the side-by-side benchmark
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash .ci/install.sh
source .ci/scratch.sh
trap remove_scratch EXIT
export PATH="$HOME/.cargo/bin:$root/tests/node_modules/.bin:$PATH"
# Filling 10 000 records one transaction each takes a while: allow it.
export WASM_BINDGEN_TEST_TIMEOUT=600
# BENCH_ONLY split: "storage" is this script's; the rest go to tests/bench/run.mjs.
storage=1
side=""
if [ -n "${BENCH_ONLY:-}" ]; then
  storage=0
  IFS=, read -ra parts <<< "$BENCH_ONLY"
  for part in "${parts[@]}"; do
    if [ "$part" = storage ]; then storage=1; else side="${side:+$side,}$part"; fi
  done
fi
if [ "$storage" = 1 ]; then
# The crate that holds tests/bench_unlock.rs (the IndexedDB store's crate), from cargo's
# metadata. The benchmark is a test only in release builds (debug builds, as in
# .ci/test.sh, skip it without starting a browser).
crate="$(cargo metadata --no-deps --format-version 1 --locked | node -e '
  let json = "";
  process.stdin.on("data", (d) => (json += d)).on("end", () => {
    const p = JSON.parse(json).packages.find((p) => p.targets.some((t) => t.name === "bench_unlock"));
    if (p) console.log(p.name);
  });')"
[ -n "$crate" ] || { echo "no crate has a bench_unlock test" >&2; exit 1; }
run_in_scratch unshare --net --pid --fork --kill-child -- bash -c 'ip link set lo up && exec cargo test --release --locked -p "$1" --target wasm32-unknown-unknown --test bench_unlock -- --include-ignored --nocapture' bench "$crate"
fi

# Side by side: PeerChat's release build (dist/) and tests/bench/peerjs.html on the
# official peerjs client, one PeerServer on loopback, fresh Chromium processes for every
# repetition; prints one table and writes tests/build/bench/results.json.
if [ -z "${BENCH_ONLY:-}" ] || [ -n "$side" ]; then
  trunk build --release
  BENCH_ONLY="$side" run_in_scratch unshare --net --pid --fork --kill-child -- bash -c 'ip link set lo up && exec node tests/bench/run.mjs'
fi
