// Who is who (issue 11): safety numbers match on both screens and "verified" survives a
// restart; a stranger who takes a friend's id while the friend is away is shown as
// exactly that, never as the friend, and nothing from them is stored.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { appServer, localConfig, officialPeerjsRoutes, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import {
  acceptRequest, ONLINE, connect, join, messages, openInfo, send, unlock, waitConnected, waitForBroker, waitForMessages,
} from './support/app.mjs';

let broker, web, origin;
const devices = {};

before(async () => {
  broker = await peerServer();
  web = await appServer({
    config: localConfig(broker.port),
    extra: await officialPeerjsRoutes(),
  });
  origin = new URL(web.url).origin;
});

after(async () => {
  for (const d of Object.values(devices)) await d.destroy();
  await web?.close();
  await broker?.stop();
});

async function safetyNumber(device, name) {
  await openInfo(device);
  const panel = device.page.locator('details.verify');
  if ((await panel.getAttribute('open')) === null) {
    await panel.locator('summary', { hasText: `Verify ${name}` }).click();
  }
  return (await panel.locator('.safety-number').textContent()).trim();
}

async function restart(name) {
  const old = devices[name];
  await old.kill();
  devices[name] = await launchDevice(name, { origin, profile: old.profile });
  await devices[name].page.goto(web.url);
  await unlock(devices[name]);
  await waitForBroker(devices[name], ONLINE);
  return devices[name];
}

/** The conversation status texts seen while polling for `ms`. */
async function statusesFor(device, ms, { until, connect } = {}) {
  const seen = new Set();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (const t of await device.page.locator('.conversation-status').allTextContents()) seen.add(t);
    if (until && [...seen].some((t) => t.includes(until))) break;
    // A call can find the id not registered yet (the broker holds it, then says it
    // expired): the user presses Connect again whenever it is offered.
    if (connect && await connect.isVisible()) await connect.click().catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
  }
  return [...seen];
}

test('safety numbers match on both screens, and "verified" survives a restart', async () => {
  devices.Alice = await launchDevice('Alice', { origin });
  devices.Bob = await launchDevice('Bob', { origin });
  const aliceId = await join(devices.Alice, web.url, 'Alice');
  await join(devices.Bob, web.url, 'Bob');
  await connect(devices.Bob, aliceId);
  await Promise.all([waitConnected(devices.Bob, 'Alice'), acceptRequest(devices.Alice, 'Bob')]);
  await send(devices.Bob, 'hi Alice');
  await waitForMessages(devices.Alice, 'Bob', 1);
  await send(devices.Alice, 'hi Bob');
  await waitForMessages(devices.Bob, 'Alice', 1);

  const onBob = await safetyNumber(devices.Bob, 'Alice');
  const onAlice = await safetyNumber(devices.Alice, 'Bob');
  assert.match(onBob, /^(\d{5} ){11}\d{5}$/);
  assert.equal(onBob, onAlice, 'the same number on both screens');
  assert.equal(await devices.Bob.page.locator('details.verify svg.qr').count(), 1, 'with its QR code');

  await devices.Bob.page.getByRole('button', { name: 'Mark as verified' }).click();
  await devices.Bob.page.locator('details.verify .badge', { hasText: 'Verified' }).waitFor();
  const bob = await restart('Bob');
  await connect(bob, aliceId);
  await waitConnected(bob, 'Alice');
  await openInfo(bob);
  await bob.page.locator('details.verify .badge', { hasText: 'Verified' }).waitFor({ timeout: 10000 });
  assert.equal(await safetyNumber(bob, 'Alice'), onBob, 'the same number after the restart');
});

test("a stranger on Alice's freed id is never shown as Alice, and nothing of theirs is stored", async () => {
  const aliceId = (await devices.Alice.page.locator('#my-id').textContent()).trim();
  const bob = devices.Bob;
  // Alice's browser goes away; Bob's browser notices the connection failing.
  await devices.Alice.kill();
  delete devices.Alice;
  await bob.page.locator('.conversation-status', { hasNotText: 'Connected to Alice.' }).waitFor({ timeout: 60000 });

  // A stranger registers Alice's id through the official client, with its own token.
  devices.Eve = await launchDevice('Eve', { origin });
  await devices.Eve.page.goto(new URL('official.html', web.url).href);
  await devices.Eve.page.evaluate(async ({ id, port }) => {
    const Peer = window.Peer ?? window.peerjs.Peer;
    const peer = new Peer(id, { host: '127.0.0.1', port, path: '/', key: 'peerjs', secure: false, config: { iceServers: [] } });
    await new Promise((resolve, reject) => { peer.on('open', resolve); peer.on('error', reject); });
    // It greets on its first connection only. On the calls after Bob's restart its
    // greeting is lost, as Chromium now and then loses a channel's first frame (a plain
    // client greets once): Bob must warn all the same.
    let greeted = false;
    peer.on('connection', (conn) => conn.on('open', () => {
      if (!greeted) conn.send({ kind: 'hello', name: 'Alice', app: 'peerchat', v: 1 });
      greeted = true;
      conn.send({ kind: 'text', id: 'eve1', seq: 1, ts: Date.now(), text: 'it is me, send the code' });
      conn.send('a plain string from Eve');
    }));
  }, { id: aliceId, port: broker.port });

  // Bob presses Connect (his app may also be calling Alice's id back by itself), again
  // if a call finds nobody yet; the warning must come, and never "Connected".
  const connectAgain = bob.page.getByRole('button', { name: 'Connect to Alice' });
  const seen = await statusesFor(bob, 30000, { until: 'cannot prove it is \u2068Alice\u2069', connect: connectAgain });
  seen.push(...await statusesFor(bob, 2000));
  // (Alice's name is isolated with U+2068 … U+2069, as <bdi> would.)
  assert.ok(seen.some((t) => t.includes('cannot prove it is \u2068Alice\u2069')), `the key warning shows: ${JSON.stringify(seen)}`);
  assert.ok(!seen.some((t) => t.includes('Connected to Alice.')), `never "Connected to Alice": ${JSON.stringify(seen)}`);
  const shown = (await messages(bob)).map((m) => m.text);
  assert.deepEqual(shown, ['hi Alice', 'hi Bob'], 'nothing from the stranger on screen');

  await bob.page.getByRole('button', { name: 'Refuse and disconnect' }).click();
  await bob.page.getByRole('button', { name: 'Refuse and disconnect' }).waitFor({ state: 'detached' });
  // After a restart the stored conversation holds only what Alice and Bob said.
  const again = await restart('Bob');
  await connect(again, aliceId);
  const warning = again.page.locator('.conversation-status', { hasText: 'cannot prove it is \u2068Alice\u2069' });
  await warning.waitFor({ timeout: 30000 }).catch(async () => {
    // Under heavy load a call can be lost on the way (seen once in CI): Bob presses
    // Connect again, as a user would; what matters is what is shown and stored.
    console.log(`# Bob showed ${JSON.stringify(await again.page.locator('.conversation-status').allTextContents())}; Connect again`);
    await again.page.getByRole('button', { name: 'Connect to Alice' }).click({ timeout: 5000 }).catch(() => {});
    await warning.waitFor({ timeout: 30000 });
  });
  await waitForMessages(again, 'Alice', 1);
  assert.deepEqual((await messages(again)).map((m) => m.text), ['hi Alice', 'hi Bob']);
});
