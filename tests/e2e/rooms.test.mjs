// Rooms by invite link: four, then five real Chromium processes in one full-mesh room
// through the official PeerServer; the broker dies and returns; a browser is killed and
// comes back with its profile.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { appServer, localConfig, peerServer } from './support/servers.mjs';
import { screenshot } from './support/screenshots.mjs';
import { launchDevice } from './support/browsers.mjs';
import {
  chooseName, closeInfo, createRoom, fillSetup, join, messages, ONLINE, openInfo, openStart, sendToRoom, showAllHistory, unlock, waitForBroker, waitForMessages, waitOnline,
} from './support/app.mjs';

let broker, web, origin, invite;
const devices = {};

before(async () => {
  broker = await peerServer();
  web = await appServer({ config: localConfig(broker.port) });
  origin = new URL(web.url).origin;
  for (const name of ['Ann', 'Ben', 'Cat', 'Dan']) devices[name] = await launchDevice(name, { origin });
});

after(async () => {
  await Promise.all(Object.values(devices).map((d) => d.destroy()));
  await web?.close();
  await broker?.stop();
});

const names = () => Object.keys(devices);

test('four browsers join one room by its invite link and reach full mesh', async () => {
  const { Ann, Ben, Cat, Dan } = devices;
  await join(Ann, web.url, 'Ann');
  invite = await createRoom(Ann, 'Friday dinner');
  assert.match(invite, /#room=[A-Za-z0-9_-]{43}&name=Friday%20dinner$/);
  assert.ok(invite.startsWith(web.url), 'the link points at this app');
  // The invite's QR code is in the info sheet, made when the sheet opens.
  await openInfo(Ann);
  assert.equal(await Ann.page.locator('.info-sheet').getByRole('img', { name: 'QR code of the invite link' }).count(), 1);
  await closeInfo(Ann);
  assert.equal(await Ann.page.locator('.info-sheet svg.qr').count(), 0, 'not made while the sheet is closed');
  const started = performance.now();
  // Ben opens the link on first run: told where it leads, name prompt, then straight
  // into the room.
  await Ben.page.goto(invite);
  await Ben.page.getByRole('status').filter({ hasText: 'You are invited to the room Friday dinner: join below.' }).waitFor();
  await fillSetup(Ben.page, 'Ben');
  // Cat and Dan already use PeerChat, and open the link later.
  await Promise.all([join(Cat, web.url, 'Cat'), join(Dan, web.url, 'Dan')]);
  await Promise.all([Cat.page.goto(invite), Dan.page.goto(invite)]);
  await Promise.all(Object.values(devices).map((d) => waitOnline(d, 4)));
  console.log(`# 4 browsers in full mesh ${((performance.now() - started) / 1000).toFixed(1)} s after the first joiner opened the link`);
  for (const d of Object.values(devices)) {
    await d.page.getByRole('heading', { name: 'Friday dinner' }).waitFor();
    const listed = await d.page.locator('.room .members .member').allTextContents();
    for (const other of names().filter((n) => n !== d.name)) {
      assert.ok(listed.some((l) => l.startsWith(other) && l.includes('online')), `${d.name} lists ${other}`);
    }
  }
  // The secret never went to the server: the address bar no longer shows it either.
  assert.equal(new URL(Ben.page.url()).hash, '');
});

test('each member sends 25 messages; every browser shows all 100 in per-author order', async () => {
  await Promise.all(Object.values(devices).map(async (d) => {
    for (let i = 1; i <= 25; i++) await sendToRoom(d, `${d.name} says ${i}`);
  }));
  for (const d of Object.values(devices)) {
    for (const author of names()) {
      const got = await waitForMessages(d, author, 25);
      assert.deepEqual(got.map((m) => m.text), Array.from({ length: 25 }, (_, i) => `${author} says ${i + 1}`));
    }
    assert.equal((await messages(d)).length, 100);
  }
});

test('a whisper reaches only its target and is marked private on both sides', async () => {
  const { Ann, Ben, Cat, Dan } = devices;
  await sendToRoom(Ann, 'just between us, Ben', 'Ben');
  await Ben.page.locator('.message.whisper', { hasText: 'just between us, Ben' }).waitFor();
  assert.equal(await Ben.page.locator('.message.whisper .private').last().textContent(), 'private');
  assert.equal(await Ann.page.locator('.message.whisper .private').last().textContent(), 'private to Ben');
  // The next message goes to everyone again, unless Ann picks someone again.
  assert.equal(await Ann.page.getByRole('combobox', { name: 'Send to' }).inputValue(), '');
  await sendToRoom(Ann, 'and this is for everyone');
  for (const d of [Cat, Dan]) {
    await d.page.locator('.message', { hasText: 'and this is for everyone' }).waitFor();
    assert.equal(await d.page.locator('.message', { hasText: 'just between us' }).count(), 0);
  }
});

test('a member sending garbage: the others say so, ignore it, and keep every real message', async () => {
  const { Ann, Ben } = devices;
  // Ben's app goes wrong: before its next frame on each connection, one that is not a
  // PeerChat frame at all.
  await Ben.page.evaluate(() => {
    window.realSend = RTCDataChannel.prototype.send;
    const spoilt = new WeakSet();
    RTCDataChannel.prototype.send = function (data) {
      if (!spoilt.has(this)) {
        spoilt.add(this);
        window.realSend.call(this, 'this is not a PeerChat frame');
      }
      return window.realSend.call(this, data);
    };
  });
  await sendToRoom(Ben, 'a real message after the garbage');
  await Ann.page.locator('.message', { hasText: 'a real message after the garbage' }).waitFor();
  await Ann.page.getByRole('status').filter({ hasText: '1 unreadable message from this room was ignored.' })
    .waitFor({ timeout: 5000 });
  await Ben.page.evaluate(() => { RTCDataChannel.prototype.send = window.realSend; });
  // Nothing else changed: Ben is still a member, online, and heard.
  await waitOnline(Ann, 4);
  await sendToRoom(Ben, 'still here');
  await Ann.page.locator('.message', { hasText: 'still here' }).waitFor();
});

test('the broker dies: everyone keeps chatting both ways, nothing lost', async () => {
  await broker.stop();
  await Promise.all(Object.values(devices).map((d) => waitForBroker(d, 'Cannot reach the broker')));
  await Promise.all(Object.values(devices).map((d) => sendToRoom(d, `${d.name} without broker`)));
  for (const d of Object.values(devices)) {
    for (const author of names()) {
      await d.page.locator('.message', { hasText: `${author} without broker` }).waitFor({ timeout: 5000 });
    }
  }
});

test('the broker returns: a fifth browser joins by the link', async () => {
  await broker.start();
  await Promise.all(Object.values(devices).map((d) => waitForBroker(d, ONLINE, 40000)));
  devices.Eve = await launchDevice('Eve', { origin });
  const started = performance.now();
  await chooseName(devices.Eve, invite, 'Eve');
  await Promise.all(Object.values(devices).map((d) => waitOnline(d, 5, 60000)));
  console.log(`# fifth browser in full mesh after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await sendToRoom(devices.Eve, 'hello from Eve');
  await devices.Ann.page.locator('.message', { hasText: 'hello from Eve' }).waitFor();
});

test('a killed browser is shown as left within 5 s, the rest keep chatting, and it rejoins by itself', async () => {
  const dan = devices.Dan;
  const others = Object.values(devices).filter((d) => d !== dan);
  const killedAt = performance.now();
  await dan.kill();
  await Promise.all(others.map((d) => waitOnline(d, 4, 10000)));
  const detected = performance.now() - killedAt;
  console.log(`# leave detected by every member after ${detected.toFixed(0)} ms`);
  assert.ok(detected < 5000, `leave shown after ${detected} ms`);
  // The newest notice about Dan (a loaded machine can show an earlier blip too).
  for (const d of others) await d.page.locator('.messages .notice', { hasText: 'Dan left' }).last().waitFor();
  await sendToRoom(devices.Cat, 'Dan is gone, we go on');
  for (const d of others) await d.page.locator('.message', { hasText: 'Dan is gone, we go on' }).waitFor();

  // The same profile, reopened: saved name, saved room, back in the mesh with no clicks.
  devices.Dan = await launchDevice('Dan', { origin, profile: dan.profile });
  await devices.Dan.page.goto(web.url);
  await unlock(devices.Dan);
  const reopened = performance.now();
  await Promise.all(Object.values(devices).map((d) => waitOnline(d, 5, 60000)));
  console.log(`# reopened browser back in the mesh after ${((performance.now() - reopened) / 1000).toFixed(1)} s`);
  // What was said while Dan was gone is backfilled by the members who have it, once each.
  await devices.Dan.page.locator('.message', { hasText: 'Dan is gone, we go on' }).waitFor({ timeout: 10000 });
  assert.equal(await devices.Dan.page.locator('.message', { hasText: 'Dan is gone, we go on' }).count(), 1);
  // Dan's own stored history opens with its newest page; older pages load on request.
  await showAllHistory(devices.Dan);
  const danSaw = await waitForMessages(devices.Dan, 'Ann', 25);
  assert.deepEqual(danSaw.slice(0, 25).map((m) => m.text), Array.from({ length: 25 }, (_, i) => `Ann says ${i + 1}`));
});

test('the screenshot of a room', async () => {
  const page = devices.Ben.page;
  await page.setViewportSize({ width: 420, height: 860 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'room.png');
});

test('leaving a room tells the others and it stays left after a reload', async () => {
  const eve = devices.Eve;
  await openInfo(eve);
  await eve.page.getByRole('button', { name: 'Leave room' }).click();
  await eve.page.getByRole('button', { name: 'Leave and delete' }).click();
  await eve.page.getByRole('heading', { name: 'Friday dinner' }).waitFor({ state: 'detached' });
  await devices.Ann.page.locator('.messages .notice', { hasText: 'Eve left' }).waitFor({ timeout: 5000 });
  await eve.page.reload();
  await unlock(eve);
  await waitForBroker(eve, ONLINE);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await eve.page.getByRole('heading', { name: 'Friday dinner' }).count(), 0);
});

test('a public topic room gathers whoever types the topic, and says it is public', async () => {
  const { Eve, Cat } = devices;
  for (const [d, typed] of [[Eve, 'Rust'], [Cat, ' rust ']]) {
    await openStart(d);
    await d.page.getByRole('textbox', { name: 'Public topic' }).fill(typed);
    await d.page.getByRole('button', { name: 'Join topic' }).click();
  }
  await Eve.page.getByRole('heading', { name: '# Rust' }).waitFor();
  await Eve.page.getByText('Public topic: anyone who types this topic can join').waitFor();
  await Promise.all([waitOnline(Eve, 2, 40000), waitOnline(Cat, 2, 40000)]);
  // Cat is in two rooms now: the list shows both with their members online.
  const list = (await Cat.page.getByRole('navigation', { name: 'Rooms and conversations' })
    .locator('.chat-name').allTextContents()).join('\n');
  assert.match(list, /Friday dinner · 4 online/);
  assert.match(list, /# rust · 2 online/);

  // A message in the room Cat is not looking at counts as unread, in the list and title.
  await sendToRoom(devices.Ann, 'Cat, are you there?');
  const friday = Cat.page.getByRole('button', { name: 'Friday dinner · 4 online · 1 unread' });
  await friday.waitFor();
  assert.equal(await Cat.page.title(), '(1) PeerChat');
  await friday.click();
  await Cat.page.locator('.message', { hasText: 'Cat, are you there?' }).waitFor();
  await Cat.page.waitForFunction(() => document.title === 'PeerChat');
});

test('a member whose page is busy for 4 s stays online for the others and gets what was said meanwhile', async () => {
  const { Ann, Ben, Cat } = devices;
  const left = (d) => d.page.locator('.messages .notice', { hasText: 'Cat left' }).count();
  const before = { Ann: await left(Ann), Ben: await left(Ben) };
  const online = await Ann.page.locator('.room .members .member.online').count();
  // Cat's main thread is blocked for 4 s (a busy phone): it sends and handles nothing
  // meanwhile, while its browser keeps the connections up.
  const stall = Cat.page.evaluate(() => {
    const t = performance.now();
    while (performance.now() - t < 4000) { /* busy */ }
  });
  await new Promise((r) => setTimeout(r, 500));
  await sendToRoom(Ann, 'said while Cat was busy');
  await stall;
  await Cat.page.locator('.message', { hasText: 'said while Cat was busy' }).waitFor({ timeout: 5000 });
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await left(Ann), before.Ann, 'Ann never saw Cat leave');
  assert.equal(await left(Ben), before.Ben, 'Ben never saw Cat leave');
  assert.equal(await Ann.page.locator('.room .members .member.online').count(), online);
  await sendToRoom(Cat, 'back from being busy');
  await Ann.page.locator('.message', { hasText: 'back from being busy' }).waitFor();
});

test('a member who closes the tab is shown as left within 5 s', async () => {
  const { Eve, Cat } = devices;
  await Cat.page.getByRole('button', { name: /^# rust/ }).click();
  await waitOnline(Cat, 2, 10000);
  const closedAt = performance.now();
  await Eve.page.close();
  await Cat.page.locator('.messages .notice', { hasText: 'Eve left' }).last().waitFor({ timeout: 5000 });
  console.log(`# closed tab shown as left after ${(performance.now() - closedAt).toFixed(0)} ms`);
});
