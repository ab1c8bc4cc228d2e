// The machine's CPU time by kind of process (BENCH_TRACE, Linux only): what a page's
// own main thread does is only part of what a 2-core machine spends on a room of 16;
// the renderers' other threads (WebRTC's network thread, V8 compiling wasm in the
// background), the GPU process and the network service take their share of the same
// cores. Read from /proc at the start and the end of a stretch: no sampling, no load.

import { readFileSync, readdirSync } from 'node:fs';

const BY_NAME = Boolean(process.env.BENCH_CPU_THREADS);

/** The kind of process `pid` is, or null when it is not one the benchmark runs. */
function kindOf(pid) {
  let cmd;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return null;
  }
  const type = /--type=([a-z-]+)/.exec(cmd)?.[1];
  if (type === 'renderer') return 'renderer';
  if (type === 'gpu-process') return 'gpu';
  if (type === 'utility') return /NetworkService/.test(cmd) ? 'network service' : 'utility';
  if (type) return type;
  if (/--user-data-dir=\S*bench-/.test(cmd)) return 'browser';
  // This script and the PeerServer it started, not any other node on the machine.
  if (/peerjs\.js|bench\/run\.mjs/.test(cmd)) return 'node (broker, benchmark)';
  return null;
}

/** The fields of a /proc stat file after the process name (state first), or null. */
function statFields(path) {
  try {
    const stat = readFileSync(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The parent of `pid`, or null. */
function parentOf(pid) {
  return statFields(`/proc/${pid}/stat`)?.[1] ?? null;
}

/**
 * The benchmark device whose browser `pid` belongs to (its name, from the profile
 * directory `launchDevice` made: bench-<name>-XXXXXX), found up the process tree (a
 * renderer's parent is the zygote, whose parent is the browser); null for others.
 */
function deviceOf(pid) {
  for (let p = pid, hops = 0; p && p !== '1' && hops < 5; p = parentOf(p), hops++) {
    let cmd;
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      return null;
    }
    const dir = /--user-data-dir=(\S+)/.exec(cmd)?.[1];
    if (dir) return /bench-(.+)-[^-]+$/.exec(dir.split('/').pop())?.[1] ?? null;
  }
  return null;
}

/** A renderer thread's kind, by the name Chromium gives it. */
function threadKind(pid, tid) {
  if (pid === tid) return 'renderer main thread';
  let name = '';
  try {
    name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return 'renderer other';
  }
  // BENCH_CPU_THREADS=1: every renderer thread by its own name (numbers dropped), to find
  // which of a kind's threads spends the time.
  if (BY_NAME) return `renderer ${name.replace(/[0-9]+/g, '#')}`;
  if (name.startsWith('WebRTC')) return 'renderer WebRTC threads';
  if (name.startsWith('ThreadPool')) return 'renderer thread pool (wasm tier-up, crypto)';
  return 'renderer other';
}

/** User and system time of `path` (a /proc stat file), in ms. */
function cpuMs(path) {
  const fields = statFields(path);
  // utime and stime, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
  return fields ? (Number(fields[11]) + Number(fields[12])) * 10 : null;
}

/** CPU ms so far of every benchmark process (renderers by thread), keyed by pid/tid. */
function snapshot() {
  const seen = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const kind = kindOf(entry);
    if (!kind) continue;
    if (kind !== 'renderer') {
      const ms = cpuMs(`/proc/${entry}/stat`);
      if (ms !== null) seen.set(entry, { kind, ms });
      continue;
    }
    let tids = [];
    try {
      tids = readdirSync(`/proc/${entry}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const ms = cpuMs(`/proc/${entry}/task/${tid}/stat`);
      if (ms !== null) seen.set(`${entry}/${tid}`, { kind: threadKind(entry, tid), ms });
    }
  }
  return seen;
}

/**
 * Starts measuring; `stop()` returns CPU ms per second of wall time by kind, and leaves
 * in `byDevice` the CPU ms each benchmark device's processes spent, by kind.
 */
export function cpuMeter() {
  if (process.platform !== 'linux') return { stop: () => null, byDevice: null };
  const from = snapshot();
  const t = Date.now();
  return {
    byDevice: null,
    stop() {
      const secs = (Date.now() - t) / 1000;
      const by = {};
      this.byDevice = {};
      // Whose a process is, looked up once per process that spent any CPU, at the end.
      const devices = new Map();
      for (const [key, { kind, ms }] of snapshot()) {
        const spent = ms - (from.get(key)?.ms ?? 0);
        by[kind] = (by[kind] ?? 0) + spent / secs;
        if (spent <= 0) continue;
        const pid = key.split('/')[0];
        if (!devices.has(pid)) devices.set(pid, deviceOf(pid));
        const device = devices.get(pid);
        if (device) {
          const d = (this.byDevice[device] ??= {});
          d[kind] = (d[kind] ?? 0) + spent;
        }
      }
      return Object.fromEntries(Object.entries(by).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v)]));
    },
  };
}

/** One device's `byDevice` entry as a line for the log: total, then each kind. */
export function deviceCpuLine(kinds) {
  const total = Object.values(kinds).reduce((x, y) => x + y, 0);
  const parts = Object.entries(kinds).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k.replace(/^renderer /, '')} ${v}`);
  return `${total} ms (${parts.join(', ')})`;
}

/** `cpu` (from `stop()`) as a line for the log: total, then each kind. */
export function cpuLine(cpu) {
  const total = Object.values(cpu).reduce((x, y) => x + y, 0);
  return `${total} ms/s in all (${Object.entries(cpu).map(([k, v]) => `${k} ${v}`).join(', ')})`;
}
