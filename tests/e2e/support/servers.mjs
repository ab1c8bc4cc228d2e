// The real parts the browsers talk to: the official PeerServer from npm, and a static
// server for the app exactly as Trunk built it (plus the runtime config.json).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { createServer as netServer } from 'node:net';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const testsDir = path.resolve(here, '..', '..');
export const repoDir = path.resolve(testsDir, '..');
export const distDir = process.env.PEERCHAT_DIST ?? path.join(repoDir, 'dist');

/** The ports `freePort` gave in this process. */
const given = new Set();

/**
 * A free TCP port on loopback, below the kernel's range for the local ends of outgoing
 * connections. A port the kernel handed out (listen on 0) goes back into that range once
 * let go, where any connection made before the server that wants it starts listening can
 * take it as its local port: Caddy failed so once in CI ("address already in use"), its
 * port taken between the check and its start, while the test's own fetches ran.
 */
export async function freePort() {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768 60999');
  const below = Math.max(Number(range.trim().split(/\s+/)[0]) || 32768, 11000);
  for (let tries = 0; tries < 200; tries++) {
    const port = 10000 + Math.floor(Math.random() * (below - 10000));
    // Each port once: two asked for before either server starts must differ.
    if (!given.has(port) && (await listens(port))) {
      given.add(port);
      return port;
    }
  }
  throw new Error(`no free port on loopback between 10000 and ${below}`);
}

/** Whether a server can listen on `port` of loopback now (it stops at once). */
function listens(port) {
  return new Promise((resolve) => {
    const s = netServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function waitFor(check, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts the official PeerServer on 127.0.0.1 (or `host`), mounted at `path`; `stop()`
 * kills it, `start()` brings it back.
 */
export async function peerServer({ port, key = 'peerjs', expireTimeout = 5000, host = '127.0.0.1', path: mount = '/' } = {}) {
  port ??= await freePort();
  const bin = path.join(testsDir, 'node_modules', 'peer', 'dist', 'bin', 'peerjs.js');
  let child = null;
  const server = {
    port,
    async start() {
      child = spawn(process.execPath, [bin, '--host', host, '--port', String(port), '--path', mount,
        '--key', key, '--expire_timeout', String(expireTimeout)], { stdio: 'ignore' });
      // Never outlive the test process, however it ends.
      const own = child;
      process.once('exit', () => own.kill('SIGKILL'));
      const base = mount.endsWith('/') ? mount : `${mount}/`;
      await waitFor(async () => (await fetch(`http://${host}:${port}${base}${key}/id`)).ok, 10000, 'PeerServer');
    },
    async stop() {
      if (!child) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      child = null;
    },
  };
  await server.start();
  return server;
}

export const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.png': 'image/png' };

/**
 * Serves dist/ on 127.0.0.1, with `config` as /config.json (none when null; a function
 * returning [status, body] decides each answer), and a few
 * extra routes (path → [type, body]) for test pages. `cache` is the cache-control the
 * files get (none by default). `base` serves it all under a sub-path instead of / (as
 * GitHub Pages serves a project, "/peerchat/"; `url` then ends with it); `headers` are
 * sent with every response (a host's Content-Security-Policy, say). `host` is the address
 * to listen on.
 */
export async function appServer({ config, extra = {}, port, dir = distDir, cache, base = '/', headers: always = {}, host = '127.0.0.1' } = {}) {
  port ??= await freePort();
  const server = createServer(async (req, res) => {
    const full = new URL(req.url, 'http://x');
    for (const [k, v] of Object.entries(always)) res.setHeader(k, v);
    if (!full.pathname.startsWith(base)) {
      res.writeHead(404);
      return res.end('not found');
    }
    // Below here paths are as if the site were at the root.
    const url = new URL(`/${full.pathname.slice(base.length)}${full.search}`, 'http://x');
    if (url.pathname === '/config.json' && typeof config === 'function') {
      // A test that changes what config.json answers: `config()` gives [status, body].
      const [status, body] = config();
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(body);
    }
    if (url.pathname === '/config.json' && config) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(JSON.stringify(config));
    }
    const headers = (type) => ({ 'content-type': type, ...(cache ? { 'cache-control': cache } : {}) });
    if (extra[url.pathname]) {
      const [type, body] = extra[url.pathname];
      res.writeHead(200, headers(type));
      return res.end(body);
    }
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = path.join(dir, rel);
    if (!file.startsWith(dir) || !(await stat(file).catch(() => null))?.isFile()) {
      res.writeHead(404);
      return res.end('not found');
    }
    res.writeHead(200, headers(TYPES[path.extname(file)] ?? 'application/octet-stream'));
    res.end(await readFile(file));
  });
  await new Promise((r) => server.listen(port, host, r));
  return {
    url: `http://${host}:${port}${base}`,
    close: () => new Promise((r) => {
      server.close(r);
      server.closeAllConnections();
    }),
  };
}

/** A local PeerServer and the app pointed at it; `origin` is the app's. */
export async function brokerAndApp() {
  const broker = await peerServer();
  const web = await appServer({ config: localConfig(broker.port) });
  return { broker, web, origin: new URL(web.url).origin };
}

/** The config.json that points the app at a local PeerServer (on `host`). */
export function localConfig(port, key = 'peerjs', host = '127.0.0.1') {
  return { broker: { host, port, path: '/', key, secure: false }, iceServers: [] };
}

/** Routes for a page that loads the official peerjs client (`/official.html`). */
export async function officialPeerjsRoutes() {
  const peerjs = await readFile(path.join(testsDir, 'node_modules', 'peerjs', 'dist', 'peerjs.min.js'));
  return {
    '/peerjs.min.js': ['text/javascript', peerjs],
    '/official.html': ['text/html', '<!doctype html><title>official peerjs</title><script src="/peerjs.min.js"></script>'],
  };
}

/**
 * For a test file: a PeerServer and the app on loopback before its tests, and after them
 * every device in `devices` closed, then the servers. Returns an object whose `broker`,
 * `web` and `origin` are set once the servers run.
 */
export function loopbackRig(devices) {
  const rig = {};
  before(async () => {
    rig.broker = await peerServer();
    rig.web = await appServer({ config: localConfig(rig.broker.port) });
    rig.origin = new URL(rig.web.url).origin;
  });
  after(async () => {
    for (const d of Object.values(devices)) await d.destroy();
    await rig.web?.close();
    await rig.broker?.stop();
  });
  return rig;
}
