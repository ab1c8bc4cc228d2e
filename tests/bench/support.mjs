// The real parts of the benchmark: the official PeerServer, one static server for both
// apps (dist/ as Trunk built it, the peerjs page, peerjs.min.js), and one Chromium
// process per simulated device with the flags TOOLCHAIN.md requires.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { appServer, freePort, TYPES } from '../e2e/support/servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const benchDir = here;
export const testsDir = path.resolve(here, '..');
export const repoDir = path.resolve(testsDir, '..');
export const distDir = process.env.PEERCHAT_DIST ? path.resolve(process.env.PEERCHAT_DIST) : path.join(repoDir, 'dist');
export const peerjsMin = path.join(testsDir, 'node_modules', 'peerjs', 'dist', 'peerjs.min.js');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


/** The official PeerServer (npm `peer`) on 127.0.0.1. */
export async function peerServer({ key = 'peerjs' } = {}) {
  const port = await freePort();
  const bin = path.join(testsDir, 'node_modules', 'peer', 'dist', 'bin', 'peerjs.js');
  const child = spawn(process.execPath, [bin, '--host', '127.0.0.1', '--port', String(port), '--path', '/',
    '--key', key], { stdio: 'ignore' });
  process.once('exit', () => child.kill('SIGKILL'));
  const end = Date.now() + 10000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/${key}/id`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error('the PeerServer did not start');
    await sleep(100);
  }
  const delayed = BROKER_DELAY_MS > 0 ? await delayingProxy(port, BROKER_DELAY_MS) : null;
  return {
    port: delayed?.port ?? port,
    key,
    async stop() {
      delayed?.server.close();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** BENCH_BROKER_DELAY_MS: each way, what every byte to and from the broker is held. */
const BROKER_DELAY_MS = Number(process.env.BENCH_BROKER_DELAY_MS ?? 0);

/**
 * A TCP proxy on 127.0.0.1 in front of `port` that holds every chunk `ms` in each
 * direction, in order: a broker across the internet rather than on this machine (the
 * data channels stay on loopback). Loopback has no qdisc to delay it here.
 */
async function delayingProxy(port, ms) {
  const server = net.createServer((client) => {
    const broker = net.connect(port, '127.0.0.1');
    const pipe = (from, to) => {
      from.on('data', (chunk) => setTimeout(() => to.write(chunk), ms));
      from.on('end', () => setTimeout(() => to.end(), ms));
      from.on('error', () => to.destroy());
    };
    pipe(client, broker);
    pipe(broker, client);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: server.address().port };
}

/**
 * Serves dist/ at / (with `config` as /config.json) and the peerjs page at /peerjs/.
 * Both are served the same way, cacheable for 10 minutes as GitHub Pages serves (so a
 * warm load of the peerjs page comes from the HTTP cache, as PeerChat's comes from its
 * service worker).
 */
export async function webServer({ config }) {
  const routes = {
    '/peerjs/': path.join(here, 'peerjs.html'),
    '/peerjs/peerjs-page.js': path.join(here, 'peerjs-page.js'),
    '/peerjs/peerjs.min.js': peerjsMin,
  };
  const extra = {};
  for (const [route, file] of Object.entries(routes)) {
    extra[route] = [TYPES[path.extname(file)], await readFile(file)];
  }
  return appServer({ config, extra, dir: distDir, cache: 'max-age=600' });
}

const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-default-apps', '--disable-extensions', '--no-default-browser-check',
  // WebRTC between processes on loopback needs this, plus a media permission (below).
  '--allow-loopback-in-peer-connection',
  // BENCH_CHROME_FLAGS: more flags for every browser, space-separated (an experiment's, such
  // as `--js-flags=--no-wasm-deopt`).
  ...(process.env.BENCH_CHROME_FLAGS ?? '').split(' ').filter(Boolean),
];

const probe = await readFile(path.join(here, 'probe.js'), 'utf8');

/**
 * A fresh Chromium process with its own profile (or `profile`, one kept by `close()`: a
 * browser restart). `firstScreen` is the selector whose first appearance the probe marks
 * as `firstScreen` on every load.
 */
export async function launchDevice(name, { origin, firstScreen, profile }) {
  const dir = profile ?? (await mkdtemp(path.join(os.tmpdir(), `bench-${name}-`)));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 900, height: 800 },
  });
  // Without a granted microphone/camera permission Chromium gathers no candidates on
  // loopback.
  await context.grantPermissions(['microphone', 'camera'], { origin });
  await context.addInitScript(`${probe}\nwindow.__bench.watchExists('firstScreen', ${JSON.stringify(firstScreen)});`);
  const page = context.pages()[0] ?? (await context.newPage());
  const printed = [];
  page.on('console', (m) => printed.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => printed.push(`error: ${e.message}`));
  page.on('dialog', (d) => d.dismiss().catch(() => {}));
  return {
    name,
    dir,
    context,
    page,
    printed,
    /** Closes the browser and keeps its profile (to launch it again). */
    async close() {
      await context.close();
    },
    async destroy() {
      await context.close().catch(() => {});
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    },
  };
}

/** Launches `n` devices, a few at a time (a 2-core machine chokes on 16 at once). */
export async function launchDevices(prefix, n, options, atOnce = 4) {
  const devices = [];
  for (let i = 0; i < n; i += atOnce) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + atOnce); j++) batch.push(launchDevice(`${prefix}${j}`, options));
    devices.push(...(await Promise.all(batch)));
  }
  return devices;
}

/**
 * PSS in bytes of each content renderer process of the Chromium that runs with profile
 * `dir` (from /proc/<pid>/smaps_rollup), largest first: the page's renderer, then the
 * spare one Chromium keeps ready. Headless Chromium's own UI renderer
 * (--top-chrome-webui) is not counted.
 */
export async function rendererPss(dir) {
  const flag = `--user-data-dir=${dir}`;
  const out = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      if (!cmd.includes('--type=renderer') || !` ${cmd} `.includes(` ${flag} `)) continue;
      if (cmd.includes('--top-chrome-webui') || cmd.includes('--extension-process')) continue;
      const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
      const kb = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1]);
      if (Number.isFinite(kb)) out.push(kb * 1024);
    } catch {
      // gone meanwhile
    }
  }
  return out.sort((a, b) => b - a);
}

export async function chromiumVersion() {
  return new Promise((resolve) => {
    const c = spawn(process.env.CHROMIUM ?? '/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let s = '';
    c.stdout.on('data', (d) => (s += d));
    c.on('close', () => resolve(s.trim()));
    c.on('error', () => resolve('unknown'));
  });
}
