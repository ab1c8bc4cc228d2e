// Chat through a real TURN relay: Debian's coturn on loopback with a REST secret (the
// scheme deploy/ uses), and a config.json that allows relayed paths only
// (`iceTransportPolicy: "relay"`). Proves the messages went through the relay (the
// browser's selected candidate pairs, the app's own connection details, coturn's log),
// that on loopback without it the links run direct, and that when no path exists the app
// says which step failed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { appServer, localConfig, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import {
  acceptRequest, addNote, connect, connectionDetails, createRoom, join, send, sendToRoom, waitConnected, waitForMessages,
  waitOnline,
} from './support/app.mjs';
import { screenshot } from './support/screenshots.mjs';
import { assertRelayed as relayedLinks, linkReport, recordLinks, turnServer } from './support/turn.mjs';

/** The app servers: relays only through coturn; loopback as is; relays only but none. */
let broker, turn, web, direct, noRelay;
const devices = [];

async function device(name, server = web) {
  const d = await launchDevice(name, { origin: new URL(server.url).origin });
  await recordLinks(d);
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

/** The conversation on screen, or the room member `member`, says its link runs `how`. */
async function assertPath(d, how, member) {
  const text = await connectionDetails(d, { member, wanted: new RegExp(`Path\\s*${how}`) });
  // Bytes counted, the broker and the ICE servers named; never a TURN credential.
  assert.match(text, /Sent, received\s*[\d.]+ k?B, [\d.]+ k?B/, text);
  assert.match(text, /Broker\s*127\.0\.0\.1:\d+, registered/, text);
  assert.doesNotMatch(text, /credential|peerchat-test-secret/, text);
  return text;
}

before(async () => {
  broker = await peerServer();
  turn = await turnServer();
  const config = localConfig(broker.port);
  web = await appServer({ config: { ...config, iceServers: [turn.iceServer('peerchat')], iceTransportPolicy: 'relay' } });
  direct = await appServer({ config });
  noRelay = await appServer({ config: { ...config, iceTransportPolicy: 'relay' } });
});

after(async () => {
  await Promise.all(devices.map((d) => d.destroy()));
  await Promise.all([web, direct, noRelay].map((s) => s?.close()));
  await turn?.stop();
  await broker?.stop();
});

test('one to one through the TURN relay only', async () => {
  const [ann, bob] = await Promise.all([device('relay-ann'), device('relay-bob')]);
  const [, bobId] = await Promise.all([join(ann, web.url, 'Ann'), join(bob, web.url, 'Bob')]);
  const started = performance.now();
  await connect(ann, bobId);
  await Promise.all([waitConnected(ann, 'Bob'), acceptRequest(bob, 'Ann')]);
  console.log(`# relayed 1:1 connect: ${(performance.now() - started).toFixed(0)} ms`);
  await send(ann, 'hello through the relay');
  await send(bob, 'and back');
  await waitForMessages(bob, 'Ann', 1);
  await waitForMessages(ann, 'Bob', 1);
  await assertRelayed(ann, 1);
  await assertRelayed(bob, 1);
  for (const d of [ann, bob]) {
    const text = await assertPath(d, 'relayed \\(relay to relay\\)');
    assert.match(text, new RegExp(`ICE servers\\s*${turn.url.replace(/[?.]/g, '\\$&')} \\(relays only\\)`), text);
    // The round trip is measured once the connection has checked its path again.
    await connectionDetails(d, { wanted: /Round trip\s*\d+ ms/ });
  }
  console.log(`# Ann's connection details: ${JSON.stringify(await connectionDetails(ann))}`);
  await screenshot(ann.page, 'connection-details.png');
});

test('a room of three through the TURN relay only', async () => {
  // Ann and Bob from above, and Cat.
  const [ann, bob] = ['relay-ann', 'relay-bob'].map((n) => devices.find((d) => d.name === n));
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
  for (const [d, others] of [[ann, ['Bob', 'Cat']], [bob, ['Ann', 'Cat']], [cat, ['Ann', 'Bob']]]) {
    for (const member of others) await assertPath(d, 'relayed \\(relay to relay\\)', member);
  }
  await screenshot(cat.page, 'connection-details-room.png');
});

test("coturn's log shows the allocations and the bytes it relayed", async () => {
  // coturn writes what a session relayed when it ends, and a closed RTCPeerConnection ends
  // its allocations: close every link, then the browsers.
  const relayed = devices.slice(0, 3);
  for (const d of relayed) await d.page.evaluate(() => window.peerchatTestLinks.forEach((l) => l.pc.close()));
  await Promise.all(relayed.map((d) => d.close()));
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
  const sessions = [...log.matchAll(/peer usage: .*?rb=(\d+), .*?sb=(\d+)/g)].map((m) => Number(m[1]) + Number(m[2]));
  const bytes = sessions.reduce((a, b) => a + b, 0);
  console.log(`# coturn: ${allocations} allocations; ${sessions.length} ended sessions relayed ${bytes} bytes`);
  assert.ok(bytes > 0, log.split('\n').filter((l) => /usage|closed/.test(l)).join('\n'));
});

test('without a relay in config.json, loopback links run direct, one to one and in a room', async () => {
  const [hal, ida] = await Promise.all([device('direct-hal', direct), device('direct-ida', direct)]);
  const [, idaId] = await Promise.all([join(hal, direct.url, 'Hal'), join(ida, direct.url, 'Ida')]);
  await connect(hal, idaId);
  await Promise.all([waitConnected(hal, 'Ida'), acceptRequest(ida, 'Hal')]);
  await send(hal, 'straight across');
  await waitForMessages(ida, 'Hal', 1);
  for (const d of [hal, ida]) {
    const text = await assertPath(d, 'direct \\(');
    assert.match(text, /ICE servers\s*none/, text);
  }
  const invite = await createRoom(hal, 'Direct room');
  await ida.page.goto(invite);
  await Promise.all([hal, ida].map((d) => waitOnline(d, 2)));
  await sendToRoom(ida, 'in the room');
  await waitForMessages(hal, 'Ida', 1);
  await assertPath(hal, 'direct \\(', 'Ida');
  await assertPath(ida, 'direct \\(', 'Hal');
});

/**
 * `a` calls `b`; both allowed relayed paths only, and no relay works: `a` says why (naming
 * `b` by id: they never got to say hello).
 */
async function failedCall(server, [a, b], words) {
  const [x, y] = await Promise.all([a, b].map((n) => device(`failed-${n.toLowerCase()}`, server)));
  const [, yId] = await Promise.all([join(x, server.url, a), join(y, server.url, b)]);
  const started = performance.now();
  await connect(x, yId);
  const status = x.page.locator('.conversation-status');
  await status.filter({ hasText: `Could not connect to ${yId}: ${words}` }).waitFor({ timeout: 25000 }).catch(async (e) => {
    // Say what the user and the browser saw instead, so a failure explains itself.
    throw addNote(e, `\n${a} shows ${JSON.stringify(await status.allTextContents())}; links ${JSON.stringify(await linkReport(x))}`);
  });
  console.log(`# ${a} sees after ${(performance.now() - started).toFixed(0)} ms: ${await status.innerText()}`);
  await connectionDetails(x, { wanted: new RegExp(`Failed\\s*${words}`) });
  // The browsers agree: no link ever connected.
  assert.equal(await y.page.locator('.conversation-status', { hasText: `Connected to ${a}.` }).count(), 0);
  const links = [...(await linkReport(x)), ...(await linkReport(y))];
  assert.ok(links.length > 0, 'the app did try');
  for (const l of links) assert.ok(!['connected', 'completed'].includes(l.state) && !l.states.includes('connected'), JSON.stringify(l));
}

test('with the relay stopped, relay-only browsers say the relay could not be reached', async () => {
  await turn.stop();
  await failedCall(web, ['Fay', 'Gus'], 'the relay could not be reached');
});

test('relay-only browsers with no relay configured say there is no path and no relay', async () => {
  await failedCall(noRelay, ['Jo', 'Kim'], 'no direct path and no relay configured');
});
