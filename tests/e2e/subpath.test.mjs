// The release build served under a sub-path, as GitHub Pages serves a project
// (https://user.github.io/peerchat/): it loads, is installable with the worker scoped to
// the sub-path, asks for nothing outside it, offers an update, and opens offline.
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { appServer, distDir, localConfig, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import { createRoom, fillSetup, sendToRoom, unlock, waitForBroker, ONLINE } from './support/app.mjs';
import { installabilityErrors, NEXT_BUILD, nextBuild, waitForWorker } from './support/pwa.mjs';

const BASE = '/peerchat/';
let broker, site, server, d;
const requested = [];

before(async () => {
  broker = await peerServer();
  // The deployed site: a copy of the build, replaced by a new build later.
  site = await mkdtemp(path.join(os.tmpdir(), 'peerchat-pages-'));
  await cp(distDir, site, { recursive: true });
  server = await appServer({ config: localConfig(broker.port), dir: site, base: BASE });
  d = await launchDevice('pages', { origin: new URL(server.url).origin });
  d.page.on('request', (r) => requested.push(r.url()));
});

after(async () => {
  await d?.destroy();
  await server?.close();
  await broker?.stop();
  await rm(site, { recursive: true, force: true });
});

test('under /peerchat/ the app loads, registers, is installable, and asks for nothing outside it', async () => {
  await d.page.goto(server.url);
  await fillSetup(d.page, 'Paige');
  await waitForBroker(d, ONLINE);
  assert.deepEqual(await installabilityErrors(d), []);
  await waitForWorker(d.page);
  const scope = await d.page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).scope);
  assert.equal(scope, server.url);
  // Chromium's reading of the manifest: the app's scope and start are the sub-path.
  const { url: manifest, manifest: parsed } = await (await d.context.newCDPSession(d.page)).send('Page.getAppManifest');
  assert.equal(manifest, `${server.url}manifest.json`);
  assert.deepEqual([parsed.scope, parsed.startUrl], [server.url, server.url]);
  const outside = requested.filter((u) => u.startsWith('http') && !u.startsWith(server.url));
  assert.deepEqual(outside, []);
});

test('a new deployment under the sub-path is offered as an update and runs after accepting', async () => {
  await createRoom(d, 'Pages notes');
  await sendToRoom(d, 'kept under the sub-path');
  const next = await nextBuild(site);
  try {
    await cp(next, site, { recursive: true });
  } finally {
    await rm(next, { recursive: true, force: true });
  }
  await d.page.reload();
  await d.page.getByText('A new version of PeerChat is ready.').waitFor({ timeout: 20000 });
  assert.equal(await d.page.locator(NEXT_BUILD).count(), 0, 'the old version runs until asked');
  await d.page.getByRole('button', { name: 'Update now' }).click();
  await d.page.waitForFunction((sel) => document.querySelector(sel) != null, NEXT_BUILD, { timeout: 15000 });
  await d.page.getByRole('heading', { name: 'Welcome back, Paige!' }).waitFor();
  assert.equal(new URL(d.page.url()).pathname, BASE);
});

test('with the server gone the installed app opens from the sub-path and shows its history', async () => {
  await server.close();
  await assert.rejects(fetch(server.url));
  await d.page.reload();
  await d.page.getByRole('heading', { name: 'Welcome back, Paige!' }).waitFor({ timeout: 10000 });
  assert.equal(await d.page.locator(NEXT_BUILD).count(), 1, 'the updated version opens offline');
  await unlock(d);
  await d.page.getByRole('heading', { name: 'Pages notes' }).waitFor();
  await d.page.locator('.message', { hasText: 'kept under the sub-path' }).waitFor();
});
