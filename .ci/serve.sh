#!/usr/bin/env bash
# Installs what is missing, builds the app, and runs it with a local PeerServer.
#   --lan [ADDR]  listen on the LAN (this address, or the first one found) for a phone to
#                 open; prints a QR code. Plain HTTP: a browser tab, not an installed app.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash .ci/install.sh
export PATH="$HOME/.cargo/bin:$root/tests/node_modules/.bin:$PATH"
trunk build --release
exec node .ci/serve.mjs "$@"
