// config.json that fails to load (issue 12): a device that used a deployment's own
// broker never falls back to the public one; a fresh device says it cannot load the
// settings instead of connecting anywhere.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { appServer, localConfig, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import { ONLINE, chooseName, unlock, waitForBroker } from './support/app.mjs';

let broker, web, device;
let answer;

before(async () => {
  broker = await peerServer();
  web = await appServer({ config: () => answer });
  device = await launchDevice('Cleo', { origin: new URL(web.url).origin });
});

after(async () => {
  await device?.destroy();
  await web?.close();
  await broker?.stop();
});

/** Every WebSocket the page opens, by host. */
function socketHosts(page) {
  const hosts = [];
  page.on('websocket', (ws) => hosts.push(new URL(ws.url()).host));
  return hosts;
}

test('a fresh device whose config fails to load says so and connects nowhere', async () => {
  answer = [503, 'unavailable'];
  const hosts = socketHosts(device.page);
  await chooseName(device, web.url, 'Cleo');
  const banner = device.page.locator('.banner.error', { hasText: "could not load this app's settings" });
  await banner.waitFor({ timeout: 15000 });
  assert.match(await banner.textContent(), /HTTP 503/);
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(hosts, [], 'no broker was contacted');
});

test('once it used the deployment broker, a failing config keeps it on that broker', async () => {
  answer = [200, JSON.stringify(localConfig(broker.port))];
  await device.page.reload();
  await unlock(device);
  await waitForBroker(device, ONLINE);
  for (const failure of [[503, 'down'], [404, 'not found']]) {
    answer = failure;
    const hosts = socketHosts(device.page);
    await device.page.reload();
    await unlock(device);
    await waitForBroker(device, ONLINE);
    assert.ok(hosts.length > 0 && hosts.every((h) => h === `127.0.0.1:${broker.port}`), `${failure[0]}: ${hosts}`);
  }
  // The 404 case is shown: the settings are gone from the server.
  await device.page.locator('.banner.error', { hasText: 'keeps using the broker it used last time' }).waitFor();
});
