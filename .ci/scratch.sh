# Sourced by the scripts that start browsers, brokers or test servers: everything they
# leave in the temporary directory (browser profiles, Chromium's own files, test files,
# built sites) goes into one directory of this run's, removed when the script exits,
# however it exits. Before, each run left about 7 GB in /tmp; a few runs filled the disk.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/peerchat-run.XXXXXX")"
export TMPDIR="$scratch"
remove_scratch() { rm -rf "$scratch"; }
