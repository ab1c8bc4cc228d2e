// The passphrase's Argon2id runs in a worker of its own, so the page's wasm memory (which
// never shrinks) keeps none of its 7 MiB; where the worker cannot run, the page derives
// the key itself, and it is the same key: a profile made either way unlocks the other way.
// Real Chromium processes, the official PeerServer, the app as Trunk built it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { appServer, localConfig, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import { join, ONLINE, relaunch, unlock, waitForBroker } from './support/app.mjs';

let broker, web, origin;
const devices = [];

before(async () => {
  broker = await peerServer();
  web = await appServer({ config: localConfig(broker.port) });
  origin = new URL(web.url).origin;
});

after(async () => {
  for (const d of devices) await d.destroy();
  await web?.close();
  await broker?.stop();
});

/** The benchmark's page probe: among other things, it keeps the app's wasm memory
 * (`window.__bench.wasmMemory`) as the page instantiates it. */
const PROBE = fileURLToPath(new URL('../bench/probe.js', import.meta.url));
/** A browser without workers: making one throws. */
const NO_WORKERS = `window.Worker = function () { throw new Error('no workers here'); };`;
/** Workers whose script does not load: an error comes instead of the key. */
const BROKEN_WORKERS = `{ const Real = window.Worker; window.Worker = function (url, options) { return new Real('./no-such-worker.js', options); }; }`;

const MIB = 1024 * 1024;

/** Readies `d`: its pages run the probe and `scripts` first, and the workers they start
 * and end are noted. */
async function watch(d, scripts) {
  await d.context.addInitScript({ path: PROBE });
  for (const s of scripts) await d.context.addInitScript(s);
  d.workers = [];
  d.page.on('worker', (w) => {
    const seen = { url: w.url(), closed: false };
    d.workers.push(seen);
    w.on('close', () => { seen.closed = true; });
  });
}

/** A new device, readied by `watch`. */
async function device(name, scripts, options = {}) {
  const d = await launchDevice(name, { origin, ...options });
  devices.push(d);
  await watch(d, scripts);
  return d;
}

const wasmMemory = (d) => d.page.evaluate(() => window.__bench.wasmMemory?.buffer.byteLength ?? 0);

/** The browser killed and opened again on its profile, at the unlock screen. */
async function reopen(d, scripts) {
  const again = await relaunch(d, web.url, origin, (n) => watch(n, scripts));
  devices[devices.indexOf(d)] = again;
  return again;
}

/** The key-derivation workers `d` started, and whether each has ended. */
const kdfWorkers = (d) => d.workers.filter((w) => w.url.endsWith('/kdf_loader.js'));

test('the key is derived in a worker that ends, and a page without workers derives the same key itself', async () => {
  let ann = await device('Ann', []);
  await join(ann, web.url, 'Ann');
  const workers = kdfWorkers(ann);
  assert.equal(workers.length, 1, `one key-derivation worker: ${JSON.stringify(ann.workers)}`);
  for (let i = 0; i < 50 && !workers[0].closed; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(workers[0].closed, 'the worker ended once it gave the key');
  const inWorker = await wasmMemory(ann);
  assert.ok(inWorker > 0 && inWorker < 4 * MIB, `the page's wasm memory after setting up: ${(inWorker / MIB).toFixed(1)} MiB`);

  // The same profile, in a page whose worker cannot load: the page derives the key.
  ann = await reopen(ann, [BROKEN_WORKERS]);
  await unlock(ann);
  await waitForBroker(ann, ONLINE);
  const inPage = await wasmMemory(ann);
  assert.ok(inPage > 7 * MIB, `derived in the page, its 7 MiB stay: ${(inPage / MIB).toFixed(1)} MiB`);
});

test('a profile made where workers are missing unlocks with the worker', async () => {
  let ben = await device('Ben', [NO_WORKERS]);
  await join(ben, web.url, 'Ben');
  assert.equal(kdfWorkers(ben).length, 0);
  const inPage = await wasmMemory(ben);
  assert.ok(inPage > 7 * MIB, `derived in the page: ${(inPage / MIB).toFixed(1)} MiB`);

  ben = await reopen(ben, []);
  await unlock(ben);
  await waitForBroker(ben, ONLINE);
  assert.equal(kdfWorkers(ben).length, 1, 'the key came from the worker');
  const inWorker = await wasmMemory(ben);
  assert.ok(inWorker < 4 * MIB, `the page's wasm memory after unlocking: ${(inWorker / MIB).toFixed(1)} MiB`);
});

test('a worker whose module does not load says so at once, and the page derives the key', async () => {
  // No service worker, so the module's request reaches the route, which refuses it.
  const cat = await device('Cat', [], { serviceWorkers: 'block' });
  await cat.context.route('**/kdf_bg.wasm', (r) => r.fulfill({ status: 404, body: '' }));
  const started = Date.now();
  await join(cat, web.url, 'Cat');
  const took = Date.now() - started;
  const workers = kdfWorkers(cat);
  assert.equal(workers.length, 1, 'the worker was started');
  const inPage = await wasmMemory(cat);
  assert.ok(inPage > 7 * MIB, `derived in the page: ${(inPage / MIB).toFixed(1)} MiB`);
  // Not the worker's ten seconds: its loader said it failed.
  assert.ok(took < 8000, `set up in ${took} ms`);
});
