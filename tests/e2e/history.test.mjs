// History that persists, encrypted: restart with the same profile, wrong passphrase,
// what is at rest, export and import, deletion. Real Chromium processes, official
// PeerServer, the app as Trunk built it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';

import { appServer, localConfig, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import {
  acceptRequest, addNote, chooseName, connect, createRoom, diagnose, dumpStorage, join, messages, ONLINE, openHistoryTools, send, sendToRoom, unlock,
  waitConnected,
  waitForBroker, waitForMessages, waitOnline, relaunch,
} from './support/app.mjs';

let broker, web, origin, invite;
const devices = {};

before(async () => {
  broker = await peerServer();
  web = await appServer({ config: localConfig(broker.port) });
  origin = new URL(web.url).origin;
});

after(async () => {
  for (const d of Object.values(devices)) await d.destroy();
  await web?.close();
  await broker?.stop();
});

const texts = async (d, from) => (await messages(d)).filter((m) => !from || m.from === from).map((m) => m.text);

/** Closes a device's browser outright and opens it again on the same profile, unlocked. */
async function restart(name) {
  devices[name] = await relaunch(devices[name], web.url, origin);
  return devices[name];
}

test('history survives a browser restart and what was missed is filled in', async () => {
  devices.Abe = await launchDevice('Abe', { origin });
  devices.Bea = await launchDevice('Bea', { origin });
  await join(devices.Abe, web.url, 'Abe');
  invite = await createRoom(devices.Abe, 'History club');
  await chooseName(devices.Bea, invite, 'Bea');
  await Promise.all([waitOnline(devices.Abe, 2), waitOnline(devices.Bea, 2)]);
  for (let i = 1; i <= 3; i++) {
    await sendToRoom(devices.Abe, `Abe before ${i}`);
    await sendToRoom(devices.Bea, `Bea before ${i}`);
  }
  await waitForMessages(devices.Bea, 'Abe', 3);
  await waitForMessages(devices.Abe, 'Bea', 3);

  // Bea's browser goes away; Abe writes ten more.
  await devices.Bea.kill();
  await waitOnline(devices.Abe, 1, 10000);
  for (let i = 1; i <= 10; i++) await sendToRoom(devices.Abe, `Abe while away ${i}`);

  const bea = await restart('Bea');
  await unlock(bea);
  await bea.page.getByRole('heading', { name: 'History club' }).waitFor();
  await waitOnline(bea, 2, 30000);
  await waitForMessages(bea, 'Abe', 13).catch(async (e) => {
    // The missed ten come from Abe's backfill: what his side did explains a failure.
    throw addNote(e, `\n${await diagnose(devices.Abe)}`);
  });
  const expectedAbe = [...[1, 2, 3].map((i) => `Abe before ${i}`), ...Array.from({ length: 10 }, (_, i) => `Abe while away ${i + 1}`)];
  assert.deepEqual(await texts(bea, 'Abe'), expectedAbe, 'old history, then the ten missed, once each');
  assert.deepEqual(await texts(bea, 'Bea'), [1, 2, 3].map((i) => `Bea before ${i}`));

  // Abe's browser restarted too: everything is there, from its own storage.
  const abe = await restart('Abe');
  await unlock(abe);
  await abe.page.getByRole('heading', { name: 'History club' }).waitFor();
  await waitForMessages(abe, 'Abe', 13);
  assert.deepEqual(await texts(abe, 'Abe'), expectedAbe);
  assert.deepEqual(await texts(abe, 'Bea'), [1, 2, 3].map((i) => `Bea before ${i}`));
  await waitOnline(abe, 2, 30000);
  await sendToRoom(abe, 'Abe after both restarts');
  await bea.page.locator('.message', { hasText: 'Abe after both restarts' }).waitFor({ timeout: 30000 });
});

test('nothing readable is at rest: no message, no peer name, no room secret', async () => {
  const secret = new URL(invite).hash.match(/room=([^&]+)/)[1];
  for (const d of [devices.Abe, devices.Bea]) {
    const { rows, local } = await dumpStorage(d.page);
    assert.ok(rows.length >= 15, `${d.name}: ${rows.length} records`);
    const atRest = rows.map((r) => `${r[1]} ${r[2]}`).join('\n');
    for (const word of ['Abe before', 'while away', 'Bea before', 'Abe', 'Bea', 'History club', secret, 'peerchat']) {
      const found = rows.find((r) => `${r[1]} ${r[2]}`.includes(word));
      assert.ok(!found, `${d.name}: "${word}" readable in IndexedDB: ${JSON.stringify(found?.slice(0, 2))} ${JSON.stringify(found?.[2]?.slice(0, 200))}`);
    }
    // Only the user's own name stays readable, for the greeting before unlock.
    const other = d.name === 'Abe' ? 'Bea' : 'Abe';
    const localText = JSON.stringify(local);
    for (const word of [other, 'before', 'History club', secret]) {
      assert.ok(!localText.includes(word), `${d.name}: "${word}" readable in localStorage`);
    }
  }
});

test('a newcomer gets the history read back from storage, in the order it was written, and only once', async () => {
  // Abe restarted: all he had before is in storage, not in memory. Bea goes away, so
  // Cy can learn it from Abe alone.
  await devices.Bea.kill();
  await waitOnline(devices.Abe, 1, 10000);
  devices.Cy = await launchDevice('Cy', { origin });
  await chooseName(devices.Cy, invite, 'Cy');
  const cy = devices.Cy;
  await waitOnline(cy, 2, 30000);
  await waitForMessages(cy, 'Abe', 14).catch(async (e) => {
    throw addNote(e, `\n${await diagnose(devices.Abe)}`);
  });
  await waitForMessages(cy, 'Bea', 3);
  const expectedAbe = [...[1, 2, 3].map((i) => `Abe before ${i}`), ...Array.from({ length: 10 }, (_, i) => `Abe while away ${i + 1}`), 'Abe after both restarts'];
  assert.deepEqual(await texts(cy, 'Abe'), expectedAbe, 'each once, in order');
  assert.deepEqual(await texts(cy, 'Bea'), [1, 2, 3].map((i) => `Bea before ${i}`), 'Bea\'s too, though she is away');
  assert.equal((await texts(cy)).at(-1), 'Abe after both restarts', 'what was kept comes before what was said since');
  const stats = JSON.parse(await devices.Abe.page.evaluate(() => window.peerchatRoomStats()));
  const reads = stats.reduce((n, [, s]) => n + s.stored_reads, 0);
  assert.ok(reads >= 1, `Abe read what Cy lacked from storage: ${reads} page(s)`);
  // Cy was here for this alone: the tests below count the members online without her.
  await cy.destroy();
  delete devices.Cy;
  await waitOnline(devices.Abe, 1, 10000);
});

test('a wrong passphrase says so and leaves every store byte for byte as it was', async () => {
  const bea = await restart('Bea');
  const before = await dumpStorage(bea.page);
  await unlock(bea, 'correct horse batterz');
  await bea.page.getByRole('alert').filter({ hasText: 'Wrong passphrase' }).waitFor();
  await bea.page.getByRole('heading', { name: 'Welcome back, Bea!' }).waitFor();
  assert.deepEqual(await dumpStorage(bea.page), before);
  await unlock(bea);
  await waitForMessages(bea, 'Abe', 14);
});

test('export, then import into a fresh profile, restores the history', async () => {
  const abe = devices.Abe;
  await openHistoryTools(abe);
  const [json] = await Promise.all([
    abe.page.waitForEvent('download'),
    abe.page.getByRole('button', { name: 'Export (JSON)' }).click(),
  ]);
  const exported = JSON.parse(await readFile(await json.path(), 'utf8'));
  assert.equal(exported.room, 'History club');
  assert.equal(exported.messages.length, 17);
  const [md] = await Promise.all([
    abe.page.waitForEvent('download'),
    abe.page.getByRole('button', { name: 'Export (Markdown)' }).click(),
  ]);
  assert.equal(md.suggestedFilename(), 'history-club.md');
  const log = await readFile(await md.path(), 'utf8');
  assert.match(log, /^# History club\n/);
  assert.match(log, /\*\*Bea\*\*: Bea before 2\n/);

  // A new phone: fresh profile, another passphrase, import the file.
  const cyd = (devices.Cyd = await launchDevice('Cyd', { origin }));
  await chooseName(cyd, web.url, 'Cyd', 'another passphrase');
  await waitForBroker(cyd, ONLINE);
  await cyd.page.locator('#import-input').setInputFiles(await json.path());
  await cyd.page.getByText('Imported 17 messages into “History club” (0 were already here).').waitFor();
  await cyd.page.getByRole('heading', { name: 'History club' }).waitFor();
  await waitForMessages(cyd, 'Abe', 14);
  assert.deepEqual((await texts(cyd)).slice(0, 2), ['Abe before 1', 'Bea before 1']);
  // Importing again adds nothing.
  await cyd.page.locator('#import-input').setInputFiles(await json.path());
  await cyd.page.getByText('Imported 0 messages into “History club” (17 were already here).').waitFor();
  await waitForMessages(cyd, 'Abe', 14);
  assert.equal((await texts(cyd)).filter((t) => t === 'Abe before 1').length, 1);
});

test('a deleted room history stays deleted, even with members who still have it', async () => {
  const bea = devices.Bea;
  await openHistoryTools(bea);
  await bea.page.getByRole('button', { name: "Delete this room's history" }).click();
  await bea.page.getByRole('button', { name: 'Delete history' }).click();
  await bea.page.getByText('The history of “History club” is deleted on this device.').waitFor();
  // The notice shows at once; the lines leave with the screen's next batch, which can be
  // a frame later.
  await bea.page.locator('.room .messages li.message').first().waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(await bea.page.locator('.room .messages li.message').count(), 0);
  const again = await restart('Bea');
  await unlock(again);
  await again.page.getByRole('heading', { name: 'History club' }).waitFor();
  await waitOnline(again, 3, 30000);
  await sendToRoom(devices.Abe, 'after the deletion');
  await again.page.locator('.message', { hasText: 'after the deletion' }).waitFor({ timeout: 30000 });
  assert.deepEqual(await texts(again), ['after the deletion']);
});

test('a one-to-one conversation is kept too, pages back, and Connect reaches the friend again', async () => {
  const abe = devices.Abe;
  const abeId = (await abe.page.locator('#my-id').textContent()).trim();
  const cyd = devices.Cyd;
  await connect(cyd, abeId);
  await waitConnected(cyd, 'Abe');
  await send(cyd, 'Cyd to Abe, privately');
  await abe.page.getByRole('button', { name: /^Cyd · .* · 1 unread$/ }).click({ timeout: 30000 });
  await abe.page.locator('.conversation .message', { hasText: 'Cyd to Abe, privately' }).waitFor();
  // Abe never talked to Cyd: her chat is a request until he accepts it.
  await acceptRequest(abe, 'Cyd');
  await send(abe, 'Abe to Cyd');
  await cyd.page.locator('.conversation .message', { hasText: 'Abe to Cyd' }).waitFor({ timeout: 30000 });
  // More than one page (50 lines) in all.
  const more = Array.from({ length: 55 }, (_, i) => `Abe line ${i + 1}`);
  for (const t of more) await send(abe, t);
  await waitForMessages(cyd, 'Abe', 56);
  const all = ['Cyd to Abe, privately', 'Abe to Cyd', ...more];

  const again = await restart('Cyd');
  await unlock(again, 'another passphrase');
  await again.page.getByRole('button', { name: /^Abe/ }).click();
  await again.page.locator('.conversation .message', { hasText: 'Abe line 55' }).waitFor();
  assert.deepEqual(await texts(again), all.slice(-50), 'the newest 50 lines come back');
  // Scrolled to the top, the user asks for older messages: the line they were reading
  // stays where it was, the older page comes in above it.
  const place = (text) => again.page.evaluate((text) => {
    const list = document.querySelector('.conversation .messages');
    const line = [...list.querySelectorAll('li.message')].find((li) => li.querySelector('.text')?.textContent === text);
    return line.getBoundingClientRect().top - list.getBoundingClientRect().top;
  }, text);
  await again.page.locator('.conversation .messages').evaluate((el) => { el.scrollTop = 0; });
  const top = all.at(-50);
  const before = await place(top);
  await again.page.getByRole('button', { name: 'Show older messages' }).click();
  await again.page.locator('.conversation .message', { hasText: 'Cyd to Abe, privately' }).waitFor();
  assert.deepEqual(await texts(again), all, 'the older page goes on top, in order');
  await new Promise((r) => setTimeout(r, 200));
  const after = await place(top);
  console.log(`# line at the top before older lines loaded: ${before.toFixed(1)} px from the list's top; after: ${after.toFixed(1)} px`);
  assert.ok(Math.abs(after - before) <= 4, `"${top}" moved from ${before} to ${after} px`);
  assert.ok(await again.page.locator('.conversation .messages').evaluate((el) => el.scrollTop > 0), 'the older page is above, to scroll up to');
  assert.equal(await again.page.getByRole('button', { name: 'Show older messages' }).count(), 0);
  // The reloaded app calls the conversation back by itself: no Connect to press.
  await waitConnected(again, 'Abe');
  await send(again, 'back again');
  await abe.page.locator('.conversation .message', { hasText: 'back again' }).waitFor({ timeout: 30000 });
});

test('a one-to-one conversation\'s info sheet exports and deletes its history, and the contact stays', async () => {
  const cyd = devices.Cyd;
  await openHistoryTools(cyd);
  const [json] = await Promise.all([
    cyd.page.waitForEvent('download'),
    cyd.page.locator('#contact-info').getByRole('button', { name: 'Export (JSON)' }).click(),
  ]);
  assert.equal(json.suggestedFilename(), 'chat-with-abe.peerchat.json');
  const exported = JSON.parse(await readFile(await json.path(), 'utf8'));
  assert.equal(exported.room, 'Chat with Abe');
  const words = exported.messages.map((m) => m.text);
  assert.ok(words.includes('Cyd to Abe, privately') && words.includes('Abe line 55') && words.includes('back again'), words.join(' | '));
  await cyd.page.getByRole('button', { name: "Delete this conversation's history" }).click();
  await cyd.page.getByRole('button', { name: 'Delete history' }).click();
  await cyd.page.getByText('The conversation with “Abe” is deleted on this device.').waitFor();
  // As with a room's history above: the lines leave with the screen's next batch.
  await cyd.page.locator('.conversation .messages li.message').first().waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(await cyd.page.locator('.conversation .messages li.message').count(), 0);
  // Gone after a restart too; Abe is still in the list, and keeps his copy.
  const again = await restart('Cyd');
  await unlock(again, 'another passphrase');
  await again.page.getByRole('button', { name: /^Abe/ }).click();
  await again.page.getByRole('heading', { name: 'Chat with Abe' }).waitFor();
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await texts(again), []);
  await devices.Abe.page.locator('.conversation .message', { hasText: 'back again' }).waitFor();
});

test('"Forgot passphrase" deletes everything on this device after a confirmation', async () => {
  const bea = await restart('Bea');
  const kept = await dumpStorage(bea.page);
  assert.ok(kept.rows.length > 3);
  await bea.page.getByRole('button', { name: 'Forgot passphrase?' }).click();
  await bea.page.getByText('Start over: delete your name, rooms and history on this device?').waitFor();
  await bea.page.getByRole('button', { name: 'Cancel' }).click();
  assert.deepEqual(await dumpStorage(bea.page), kept, 'Cancel keeps everything');
  await bea.page.getByRole('button', { name: 'Forgot passphrase?' }).click();
  await bea.page.getByRole('button', { name: 'Delete everything' }).click();
  await bea.page.getByRole('heading', { name: 'Welcome to PeerChat' }).waitFor();
  const { rows, local } = await dumpStorage(bea.page);
  assert.deepEqual(rows, []);
  assert.deepEqual(local, []);
});
