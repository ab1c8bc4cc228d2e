#!/usr/bin/env bash
# Runs the end-to-end tests in a network namespace that has only loopback: the broker,
# the app server and every browser live there, so nothing can reach the internet.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/.ci/scratch.sh"
trap remove_scratch EXIT
cd "$root/tests"
run_in_scratch unshare --net --pid --fork --kill-child -- bash -c 'ip link set lo up && exec node --test --test-concurrency=1 "$@"' e2e "${@:-e2e/}"
