// Deploying (issue 16). CI cannot run GitHub Actions or Docker, so: the Pages workflow
// and deploy/ are parsed and checked against the pinned versions, and each part the
// compose file runs is run natively instead (deploy/Caddyfile on Debian's Caddy,
// deploy/config/server.mjs, the official PeerServer at /broker/, Debian's coturn with
// deploy/coturn/turnserver.conf); two relay-only browsers chat through that stack.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';

import { distDir, freePort, peerServer, repoDir } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import { acceptRequest, connect, join, send, waitConnected, waitForMessages } from './support/app.mjs';
import { assertRelayed, recordLinks, turnCredentials, turnServer } from './support/turn.mjs';

const read = (rel) => readFile(path.join(repoDir, rel), 'utf8');
const SECRET = 'deploy-test-secret';
const children = [];
const devices = [];
let tmp, broker, turn, site, configPort;

/** The pinned versions, from the files that pin them. */
async function pinned() {
  const [install, lock, trunk, pkg, cargo] = await Promise.all(
    ['.ci/install.sh', 'Cargo.lock', 'Trunk.toml', 'tests/package.json', 'Cargo.toml'].map(read));
  return {
    trunk: /^TRUNK_VERSION=(\S+)$/m.exec(install)[1],
    wasmBindgen: /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)[1],
    trunkWasmBindgen: /^wasm_bindgen = "([^"]+)"/m.exec(trunk)[1],
    trunkWasmOpt: /^wasm_opt = "version_(\d+)"/m.exec(trunk)[1],
    trunkDist: /^dist = "([^"]+)"/m.exec(trunk)[1],
    binaryen: JSON.parse(pkg).dependencies.binaryen,
    peer: JSON.parse(pkg).dependencies.peer,
    rustMin: /^rust-version = "([^"]+)"/m.exec(cargo)[1],
  };
}

const versionAtLeast = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return true;
};

/** Runs a long-lived process until the test file ends; resolves once `ready()` holds. */
async function run(cmd, args, env, ready, what) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  const end = Date.now() + 15000;
  while (!(await ready().catch(() => false))) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`${what} did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

after(async () => {
  await Promise.all(devices.map((d) => d.destroy()));
  for (const c of children) c.kill('SIGKILL');
  await turn?.stop();
  await broker?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('the Pages workflow parses, builds with the pinned tools and publishes dist/', async () => {
  const v = await pinned();
  const wf = YAML.parse(await read('.github/workflows/pages.yml'));
  assert.deepEqual(wf.on.push.branches, ['main']);
  assert.deepEqual(wf.permissions, { contents: 'read', pages: 'write', 'id-token': 'write' });
  // The workflow's versions are the ones every other build uses.
  assert.equal(wf.env.TRUNK_VERSION, v.trunk);
  assert.equal(wf.env.WASM_BINDGEN_VERSION, v.wasmBindgen);
  assert.equal(v.trunkWasmBindgen, v.wasmBindgen, 'Trunk.toml and Cargo.lock agree');
  assert.equal(v.binaryen.split('.')[0], v.trunkWasmOpt, "npm's binaryen is the wasm-opt Trunk.toml asks for");
  assert.ok(versionAtLeast(wf.env.RUST_VERSION, v.rustMin), `Rust ${wf.env.RUST_VERSION} ≥ rust-version ${v.rustMin}`);
  const steps = wf.jobs.build.steps;
  const script = steps.map((s) => s.run ?? '').join('\n');
  assert.match(script, /cargo install trunk --locked --version "\$TRUNK_VERSION"/);
  assert.match(script, /cargo install wasm-bindgen-cli --locked --version "\$WASM_BINDGEN_VERSION"/);
  assert.match(script, /rustup toolchain install "\$RUST_VERSION"[^\n]*--target wasm32-unknown-unknown/);
  // wasm-opt from the lockfile, first on PATH for the release build.
  const npm = steps.find((s) => /npm ci/.test(s.run ?? ''));
  assert.equal(npm['working-directory'], 'tests');
  const build = steps.find((s) => /trunk build --release/.test(s.run ?? ''));
  assert.match(build.run, /tests\/node_modules\/\.bin:\$PATH/);
  assert.ok(steps.indexOf(npm) < steps.indexOf(build));
  // What Trunk writes is what is published, and the deploy job publishes it.
  const upload = steps.find((s) => s.uses?.startsWith('actions/upload-pages-artifact@'));
  assert.equal(upload.with.path, v.trunkDist);
  assert.equal(v.trunkDist, 'dist');
  assert.ok(steps.indexOf(build) < steps.indexOf(upload));
  assert.equal(wf.jobs.deploy.needs, 'build');
  assert.ok(wf.jobs.deploy.steps.some((s) => s.uses?.startsWith('actions/deploy-pages@')));
  assert.equal(wf.jobs.deploy.environment.name, 'github-pages');
});

test('deploy/: the compose file parses and runs the versions the tests run', async () => {
  const v = await pinned();
  const compose = YAML.parse(await read('deploy/compose.yaml'));
  assert.deepEqual(Object.keys(compose.services).sort(), ['config', 'coturn', 'peer', 'web']);
  const { web, peer, coturn, config } = compose.services;
  assert.equal(web.build.dockerfile, 'deploy/app/Dockerfile');
  assert.ok(web.volumes.includes('./Caddyfile:/etc/caddy/Caddyfile:ro'));
  assert.ok(config.volumes.includes('./config/server.mjs:/srv/server.mjs:ro'));
  assert.deepEqual(peer.command.slice(peer.command.indexOf('--path'), peer.command.indexOf('--path') + 2), ['--path', '/broker']);
  assert.ok(coturn.command.some((a) => a.startsWith('--static-auth-secret=${TURN_SECRET')));
  assert.match(await read('deploy/coturn/turnserver.conf'), /^use-auth-secret$/m);
  assert.match(await read('deploy/peer/Dockerfile'), new RegExp(`^ARG PEER_VERSION=${v.peer}$`, 'm'));
  const app = await read('deploy/app/Dockerfile');
  assert.match(app, new RegExp(`^ARG TRUNK_VERSION=${v.trunk}$`, 'm'));
  assert.match(app, new RegExp(`^ARG WASM_BINDGEN_VERSION=${v.wasmBindgen}$`, 'm'));
  const rust = YAML.parse(await read('.github/workflows/pages.yml')).env.RUST_VERSION;
  assert.match(app, new RegExp(`^FROM rust:${rust.replaceAll('.', '\\.')}-`, 'm'));
});

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'peerchat-deploy-'));
  // The parts, natively: the broker, the relay with deploy's conf, the config endpoint,
  // and Caddy with deploy's Caddyfile in front, plain HTTP on a loopback port.
  broker = await peerServer({ path: '/broker' });
  turn = await turnServer({ secret: SECRET, conf: path.join(repoDir, 'deploy/coturn/turnserver.conf') });
  const [webPort, cfgPort] = [await freePort(), await freePort()];
  configPort = cfgPort;
  site = `http://127.0.0.1:${webPort}/`;
  await run(process.execPath, [path.join(repoDir, 'deploy/config/server.mjs')], {
    DOMAIN: '127.0.0.1', TURN_SECRET: SECRET, HOST: '127.0.0.1', PORT: String(cfgPort),
    BROKER_PORT: String(webPort), BROKER_SECURE: 'false', TURN_PORT: String(turn.port),
    ICE_TRANSPORT_POLICY: 'relay',
  }, async () => (await fetch(`http://127.0.0.1:${cfgPort}/config.json`)).ok, 'config/server.mjs');
  await run('caddy', ['run', '--config', path.join(repoDir, 'deploy/Caddyfile'), '--adapter', 'caddyfile'], {
    DOMAIN: `127.0.0.1:${webPort}`, SITE_ROOT: distDir,
    CONFIG_UPSTREAM: `127.0.0.1:${cfgPort}`, PEER_UPSTREAM: `127.0.0.1:${broker.port}`,
    CADDY_GLOBAL_OPTIONS: `auto_https off\nhttp_port ${webPort}\nadmin off\nstorage file_system ${tmp}/caddy`,
    XDG_CONFIG_HOME: tmp, XDG_DATA_HOME: tmp,
  }, async () => (await fetch(site)).ok, 'caddy');
});

test("Caddy serves the app with the policy header, and config.json with fresh short-lived TURN credentials", async () => {
  const index = await fetch(site);
  const policy = index.headers.get('content-security-policy');
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  // The key-derivation worker's files keep their names from build to build.
  for (const name of ['kdf_loader.js', 'kdf.js', 'kdf_bg.wasm']) {
    const r = await fetch(`${site}${name}`);
    assert.ok(r.ok, name);
    assert.equal(r.headers.get('cache-control'), 'no-cache', name);
  }
  const [a, b] = await Promise.all([1, 2].map(async () => {
    const r = await fetch(`${site}config.json`);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    return r.json();
  }));
  const turnEntry = (c) => c.iceServers.find((s) => s.username);
  assert.notEqual(turnEntry(a).username, turnEntry(b).username, 'one credential per fetch');
  const { username, credential } = turnEntry(a);
  const expiry = Number(username.split(':')[0]);
  const now = Date.now() / 1000;
  assert.ok(expiry > now + 3600 && expiry <= now + 86400 + 5, `expires in ${expiry - now} s`);
  assert.equal(credential, createHmac('sha1', SECRET).update(username).digest('base64'));
  assert.deepEqual(a.broker, { host: '127.0.0.1', port: Number(new URL(site).port), path: '/broker/', key: 'peerjs', secure: false });
  // ICE_TRANSPORT_POLICY=relay: the app is told to use coturn only.
  assert.equal(a.iceTransportPolicy, 'relay');
});

test('two relay-only browsers register through Caddy and chat through coturn', async () => {
  const origin = new URL(site).origin;
  const [ann, bob] = await Promise.all(['deploy-ann', 'deploy-bob'].map((n) => launchDevice(n, { origin })));
  devices.push(ann, bob);
  await Promise.all([recordLinks(ann), recordLinks(bob)]);
  const [, bobId] = await Promise.all([join(ann, site, 'Ann'), join(bob, site, 'Bob')]);
  await connect(ann, bobId);
  await Promise.all([waitConnected(ann, 'Bob'), acceptRequest(bob, 'Ann')]);
  await send(ann, 'self-hosted, relayed');
  await waitForMessages(bob, 'Ann', 1);
  for (const d of [ann, bob]) {
    for (const l of await assertRelayed(d, 1)) {
      assert.ok(l.iceServers.some((s) => s.urls.includes(`turn:127.0.0.1:${turn.port}?transport=udp`)), JSON.stringify(l.iceServers));
    }
  }
});

test('coturn refuses a credential whose time is up', async () => {
  const [ann] = devices;
  const gather = (iceServers) => ann.page.evaluate(async (servers) => {
    const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
    const found = [];
    pc.onicecandidate = (e) => e.candidate && found.push(e.candidate.type);
    pc.createDataChannel('probe');
    await pc.setLocalDescription();
    await new Promise((r) => {
      if (pc.iceGatheringState === 'complete') r();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
      setTimeout(r, 8000);
    });
    pc.close();
    return found;
  }, iceServers);
  const urls = [`turn:127.0.0.1:${turn.port}?transport=udp`];
  const fresh = (await (await fetch(`http://127.0.0.1:${configPort}/config.json`)).json()).iceServers.find((s) => s.username);
  assert.deepEqual(await gather([{ urls, username: fresh.username, credential: fresh.credential }]), ['relay']);
  assert.deepEqual(await gather([{ urls, ...turnCredentials(SECRET, 'late', -60) }]), []);
});
