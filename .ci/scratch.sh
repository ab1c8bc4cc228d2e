# Sourced by the scripts that start browsers, brokers or test servers: everything they
# leave in the temporary directory (browser profiles, Chromium's own files, test files,
# built sites) goes into one directory of this run's, removed when the script exits,
# however it exits. Before, each run left about 7 GB in /tmp; a few runs filled the disk.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/peerchat-run.XXXXXX")"
export TMPDIR="$scratch"
remove_scratch() { rm -rf "$scratch"; }

# Runs "$@" and returns its status. A TERM or INT sent to this script alone goes on to
# it, as it would have with `exec`, and the script waits for it to end before its exit
# removes the directory the command still uses.
run_in_scratch() {
  "$@" &
  local child=$!
  trap 'kill -TERM "$child" 2>/dev/null' TERM INT
  local status=0
  wait "$child" || status=$?
  while kill -0 "$child" 2>/dev/null; do
    status=0
    wait "$child" || status=$?
  done
  trap - TERM INT
  return "$status"
}
