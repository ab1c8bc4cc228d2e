// What the user sees when the broker is down, refuses them, or disappears mid-chat.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { appServer, freePort, localConfig, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import {
  acceptRequest, chooseName, connect, join, ONLINE, send, waitConnected, waitForBroker, waitForMessages,
} from './support/app.mjs';

const cleanup = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function setup({ key } = {}) {
  const port = await freePort();
  const web = await appServer({ config: localConfig(port, key) });
  cleanup.push(() => web.close());
  return { port, web, origin: new URL(web.url).origin };
}

async function device(name, origin) {
  const d = await launchDevice(name, { origin });
  cleanup.push(() => d.destroy());
  return d;
}

test('a broker that is down is reported, retried with backoff, and joined when it comes up', async () => {
  const { port, web, origin } = await setup();
  const d = await device('early', origin);
  await chooseName(d, web.url, 'Early');
  await waitForBroker(d, `Cannot reach the broker 127.0.0.1:${port}. Retrying in 1 s (attempt 1)`);
  await waitForBroker(d, 'Retrying in 2 s (attempt 2)');
  const broker = await peerServer({ port });
  cleanup.push(() => broker.stop());
  const started = performance.now();
  await waitForBroker(d, ONLINE, 20000);
  console.log(`# online ${((performance.now() - started) / 1000).toFixed(1)} s after the broker came up`);
});

test('a wrong key is reported with the broker\'s words and not retried blindly', async () => {
  const { port, web, origin } = await setup({ key: 'not-the-key' });
  const broker = await peerServer({ port });
  cleanup.push(() => broker.stop());
  const d = await device('wrongkey', origin);
  await chooseName(d, web.url, 'Kim');
  await waitForBroker(d, 'refused the connection: “Invalid key provided”');
  await d.page.getByRole('button', { name: 'Try again' }).waitFor();
});

test('ID-TAKEN says the id is in use and offers to try again', async () => {
  const { port, web, origin } = await setup();
  const broker = await peerServer({ port });
  cleanup.push(() => broker.stop());
  const first = await device('first', origin);
  const id = await join(first, web.url, 'First');
  const twin = await device('twin', origin);
  // The same id with another token: what a second device with a copied profile would send.
  await twin.context.addInitScript((id) => {
    localStorage.setItem('peerchat.identity', JSON.stringify({ id, token: 'someothertoken' }));
  }, id);
  await chooseName(twin, web.url, 'Twin');
  await waitForBroker(twin, 'Your ID is in use on the broker');
  // Once the first device is gone, "Try again" gets the twin online.
  await first.close();
  await twin.page.getByRole('button', { name: 'Try again' }).click();
  await waitForBroker(twin, ONLINE, 90000);
});

test('once connected, the chat goes on without the broker, and the app re-registers when it returns', async () => {
  const { port, web, origin } = await setup();
  const broker = await peerServer({ port });
  cleanup.push(() => broker.stop());
  const [a, b] = await Promise.all([device('a', origin), device('b', origin)]);
  const [aId, bId] = await Promise.all([join(a, web.url, 'Ann'), join(b, web.url, 'Ben')]);
  await connect(a, bId);
  await Promise.all([waitConnected(a, 'Ben'), acceptRequest(b, 'Ann')]);

  await broker.stop();
  await Promise.all([waitForBroker(a, 'Cannot reach the broker'), waitForBroker(b, 'Cannot reach the broker')]);
  await send(a, 'still here without the broker');
  await send(b, 'me too');
  assert.equal((await waitForMessages(b, 'Ann', 1))[0].text, 'still here without the broker');
  assert.equal((await waitForMessages(a, 'Ben', 1))[0].text, 'me too');

  await broker.start();
  await Promise.all([waitForBroker(a, ONLINE, 40000), waitForBroker(b, ONLINE, 40000)]);
  // Same ids as before: friends' saved ids still work.
  assert.equal(await a.page.locator('#my-id').textContent(), aId);
});
