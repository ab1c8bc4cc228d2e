// Chat through a real TURN relay: Debian's coturn on loopback with a REST secret (the
// scheme deploy/ uses), browsers that may only use relayed paths. Proves the messages went
// through the relay (the browser's selected candidate pairs, coturn's own log), and that
// without the relay nothing connects.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { appServer, localConfig, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import {
  connect, createRoom, join, send, sendToRoom, waitConnected, waitForMessages, waitOnline,
} from './support/app.mjs';
import { assertRelayed as relayedLinks, forceRelay, linkReport, turnServer } from './support/turn.mjs';

let broker, turn, web;
const devices = [];

async function device(name) {
  const d = await launchDevice(name, { origin: new URL(web.url).origin });
  await forceRelay(d);
  devices.push(d);
  return d;
}

/** Every connected link of `d` was relayed, through the TURN server of the deployment. */
async function assertRelayed(d, links) {
  for (const l of await relayedLinks(d, links)) {
    // The app asked for the deployment's TURN server with its time-limited credentials.
    assert.deepEqual(l.iceServers.map((s) => s.urls).flat(), [turn.url]);
    assert.match(l.iceServers[0].username, /^\d+:/);
  }
}

before(async () => {
  broker = await peerServer();
  turn = await turnServer();
  web = await appServer({ config: { ...localConfig(broker.port), iceServers: [turn.iceServer('peerchat')] } });
});

after(async () => {
  await Promise.all(devices.map((d) => d.destroy()));
  await web?.close();
  await turn?.stop();
  await broker?.stop();
});

test('one to one through the TURN relay only', async () => {
  const [ann, bob] = await Promise.all([device('relay-ann'), device('relay-bob')]);
  const [, bobId] = await Promise.all([join(ann, web.url, 'Ann'), join(bob, web.url, 'Bob')]);
  const started = performance.now();
  await connect(ann, bobId);
  await Promise.all([waitConnected(ann, 'Bob'), waitConnected(bob, 'Ann')]);
  console.log(`# relayed 1:1 connect: ${(performance.now() - started).toFixed(0)} ms`);
  await send(ann, 'hello through the relay');
  await send(bob, 'and back');
  await waitForMessages(bob, 'Ann', 1);
  await waitForMessages(ann, 'Bob', 1);
  await assertRelayed(ann, 1);
  await assertRelayed(bob, 1);
});

test('a room of three through the TURN relay only', async () => {
  // Ann and Bob from above, and Cat.
  const [ann, bob] = devices;
  const cat = await device('relay-cat');
  await join(cat, web.url, 'Cat');
  const invite = await createRoom(cat, 'Relayed room');
  await Promise.all([ann.page.goto(invite), bob.page.goto(invite)]);
  await Promise.all([ann, bob, cat].map((d) => waitOnline(d, 3)));
  for (const d of [ann, bob, cat]) await sendToRoom(d, `${d.name} via relay`);
  for (const d of [ann, bob, cat]) {
    for (const from of ['Ann', 'Bob', 'Cat']) await waitForMessages(d, from, 1);
    await assertRelayed(d, 2);
  }
});

test("coturn's log shows the allocations and the bytes it relayed", async () => {
  // coturn writes what a session relayed when it ends, and a closed RTCPeerConnection ends
  // its allocations: close every link, then the browsers.
  for (const d of devices) await d.page.evaluate(() => window.peerchatTestLinks.forEach((l) => l.pc.close()));
  await Promise.all(devices.map((d) => d.close()));
  let log = '';
  for (let i = 0; i < 50 && !/peer usage:/.test(log); i++) {
    await new Promise((r) => setTimeout(r, 100));
    log = await turn.log();
  }
  // One allocation per link end at least: the pair's link and the room's 2 new ones.
  const allocations = log.match(/ALLOCATE processed, success/g)?.length ?? 0;
  assert.ok(allocations >= 6, `${allocations} successful allocations`);
  // Per session that ended: bytes received from and sent to the other end's relay address
  // (each relayed packet passes both ends' allocations, so one session shows the traffic).
  const relayed = [...log.matchAll(/peer usage: .*?rb=(\d+), .*?sb=(\d+)/g)].map((m) => Number(m[1]) + Number(m[2]));
  const bytes = relayed.reduce((a, b) => a + b, 0);
  console.log(`# coturn: ${allocations} allocations; ${relayed.length} ended sessions relayed ${bytes} bytes`);
  assert.ok(bytes > 0, log.split('\n').filter((l) => /usage|closed/.test(l)).join('\n'));
});

test('with the relay stopped, relay-only browsers do not connect', async () => {
  await turn.stop();
  const [fay, gus] = await Promise.all([device('norelay-fay'), device('norelay-gus')]);
  const [, gusId] = await Promise.all([join(fay, web.url, 'Fay'), join(gus, web.url, 'Gus')]);
  await connect(fay, gusId);
  // The relayed pair above connected in well under a second; give this one 8 s. (The app
  // has no words yet for an ICE failure: that comes with the Connection details work.)
  await assert.rejects(waitConnected(fay, 'Gus', 8000));
  console.log(`# without the relay Fay sees: ${await fay.page.locator('.conversation-status').allTextContents()}`);
  assert.equal(await gus.page.locator('.conversation-status', { hasText: 'Connected to Fay.' }).count(), 0);
  const links = [...(await linkReport(fay)), ...(await linkReport(gus))];
  assert.ok(links.length > 0, 'the app did try');
  for (const l of links) assert.ok(!['connected', 'completed'].includes(l.state) && !l.states.includes('connected'), JSON.stringify(l));
});
