#!/usr/bin/env bash
# Benchmarks that print figures (not tests): unlock with 10 000 stored messages, in
# headless Chromium, release build, inside a loopback-only network namespace.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash .ci/install.sh
export PATH="$HOME/.cargo/bin:$root/tests/node_modules/.bin:$PATH"
# Filling 10 000 records one transaction each takes a while: allow it.
export WASM_BINDGEN_TEST_TIMEOUT=600
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
unshare --net --pid --fork --kill-child -- bash -c 'ip link set lo up && exec cargo test --release --locked -p "$1" --target wasm32-unknown-unknown --test bench_unlock -- --include-ignored --nocapture' bench "$crate"
