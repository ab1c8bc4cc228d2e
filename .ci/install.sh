#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test PeerChat, skipping what is there.
# Everything comes from the package registries (Debian, crates.io, npm): Trunk never
# downloads tools itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)"
export PATH="$HOME/.cargo/bin:$root/tests/node_modules/.bin:$PATH"

say() { printf '==> %s\n' "$*"; }

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v node >/dev/null || need_apt+=(nodejs npm)
command -v unshare >/dev/null || need_apt+=(util-linux)
command -v ip >/dev/null || need_apt+=(iproute2)
# The slow-link test's token bucket (tc) comes with ip, but is asked for by name.
command -v tc >/dev/null || need_apt+=(iproute2)
# The TURN relay and the TLS front deploy/ runs, which the tests run natively on loopback.
services=()
command -v turnserver >/dev/null || services+=(coturn)
command -v caddy >/dev/null || services+=(caddy)
need_apt+=("${services[@]}")
if ((${#need_apt[@]})); then
  say "apt: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  # The tests start these themselves; the packages' system services are not wanted.
  for service in "${services[@]}"; do
    if command -v systemctl >/dev/null; then systemctl disable --now "$service" >/dev/null 2>&1 || true; fi
  done
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup: wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
  say "cargo install trunk $TRUNK_VERSION (about 9 minutes)"
  cargo install trunk --locked --version "$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes)"
  if ! cargo install wasm-bindgen-cli --locked --version "$WASM_BINDGEN_VERSION"; then
    # Its lockfile pins a webpki-roots the registry mirror may lack: build it from the
    # downloaded crate with that one dependency stepped back.
    crate="$(ls "$HOME"/.cargo/registry/cache/*/wasm-bindgen-cli-"$WASM_BINDGEN_VERSION".crate | head -n1)"
    work="$(mktemp -d)"
    tar xzf "$crate" -C "$work"
    (cd "$work/wasm-bindgen-cli-$WASM_BINDGEN_VERSION" &&
      cargo update -p webpki-roots --precise 1.0.10 &&
      cargo install --path . --locked)
    rm -rf "$work"
  fi
fi

if [ ! -d tests/node_modules ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
  say "npm ci (official PeerServer, peerjs client, binaryen's wasm-opt, playwright-core)"
  (cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi
