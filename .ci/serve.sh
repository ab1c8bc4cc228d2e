#!/usr/bin/env bash
# Installs what is missing, builds the app, and runs it with a local PeerServer.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash .ci/install.sh
export PATH="$HOME/.cargo/bin:$root/tests/node_modules/.bin:$PATH"
trunk build --release
exec node .ci/serve.mjs
