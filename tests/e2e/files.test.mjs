// Files one to one between real Chromium processes through the official PeerServer:
// a 20 MB file arrives byte-identical (SHA-256 compared in the page), either side
// cancels mid-way, the receiving browser is killed mid-way and the transfer completes
// after it reopens (and a file from before the restart is read back only as it is
// saved), a photo shows as a thumbnail after a restart, and an official
// peerjs client is told it cannot receive files; one file sent to two contacts goes to
// each, and stops for the one that cancels alone; either browser closed mid-way leaves
// the other's line saying it is paused; a file sent again to a contact who kept it
// from an earlier visit says it was sent.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { appServer, localConfig, officialPeerjsRoutes, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import { bytes, onDisk, sha256 } from './support/files.mjs';
import {
  acceptRequest, attachFile, cardSays, connect, fileCard, join, savedSha256, unlock, waitConnected, relaunch,
} from './support/app.mjs';

let broker, web, origin, annId;
const devices = {};

before(async () => {
  broker = await peerServer();
  web = await appServer({ config: localConfig(broker.port), extra: await officialPeerjsRoutes() });
  origin = new URL(web.url).origin;
  [devices.Ann, devices.Ben] = await Promise.all([
    launchDevice('Ann', { origin }),
    launchDevice('Ben', { origin }),
  ]);
  let benId;
  [annId, benId] = await Promise.all([join(devices.Ann, web.url, 'Ann'), join(devices.Ben, web.url, 'Ben')]);
  await connect(devices.Ann, benId);
  await Promise.all([waitConnected(devices.Ann, 'Ben'), acceptRequest(devices.Ben, 'Ann')]);
});

after(async () => {
  await Promise.all(Object.values(devices).map((d) => d?.destroy()));
  await web?.close();
  await broker?.stop();
});

/** Closes a device's browser outright and opens it again on the same profile, unlocked. */
async function restart(name, prepare) {
  devices[name] = await relaunch(devices[name], web.url, origin, prepare);
  await unlock(devices[name]);
  return devices[name];
}

/** Waits until `device` shows at least `bytes` of the file `name` arrived. */
async function waitProgress(device, name, atLeast, timeout = 60000) {
  const bar = fileCard(device, name).locator('progress');
  await bar.waitFor({ timeout });
  await device.page.waitForFunction(
    ({ el, atLeast }) => el.isConnected && Number(el.value) >= atLeast,
    { el: await bar.elementHandle(), atLeast },
    { timeout },
  );
}

test('a 20 MB file arrives byte-identical, with its progress shown on both sides', async () => {
  const file = { name: 'twenty.bin', mimeType: 'application/octet-stream', buffer: bytes(20 << 20, 1) };
  const onPath = await onDisk(file.name, file.buffer);
  const started = performance.now();
  await attachFile(devices.Ann, onPath);
  const timeline = [];
  const watch = setInterval(async () => {
    const v = await fileCard(devices.Ben, 'twenty.bin').locator('progress').getAttribute('value', { timeout: 100 }).catch(() => null);
    timeline.push(`${((performance.now() - started) / 1000).toFixed(1)}s:${v}`);
  }, 500);
  const got = await savedSha256(devices.Ben, 'twenty.bin', 120000);
  clearInterval(watch);
  console.log(`# progress at the receiver: ${timeline.join(' ')}`);
  const seconds = (performance.now() - started) / 1000;
  assert.equal(got, sha256(file.buffer));
  console.log(`# 20 MB one to one, attach → stored and saveable: ${seconds.toFixed(1)} s, ${(20 / seconds).toFixed(1)} MB/s`);
  await fileCard(devices.Ann, 'twenty.bin').locator('.file-save').waitFor();
});

test('the receiving browser killed mid-way completes the file from where it stopped', async () => {
  const file = { name: 'resume.bin', mimeType: 'application/octet-stream', buffer: bytes(40 << 20, 3) };
  await attachFile(devices.Ann, await onDisk(file.name, file.buffer));
  await waitProgress(devices.Ben, 'resume.bin', 4 << 20);
  // Counts the object URLs the page makes: a file read back for saving makes one.
  const ben = await restart('Ben', (d) => d.page.addInitScript(() => {
    window.objectUrls = 0;
    const make = URL.createObjectURL;
    URL.createObjectURL = function count(...args) {
      window.objectUrls += 1;
      return make.apply(this, args);
    };
  }));
  await ben.page.locator('.chat-list').getByText('Ann').first().click();
  const got = await savedSha256(ben, 'resume.bin', 120000);
  assert.equal(got, sha256(file.buffer));
  // The file of the first test (these tests run in order on the same devices), from
  // before the restart: offered to save without being read back (a button, no object
  // URL made while the chat is open), then read back as it is saved, byte-identical.
  const save = fileCard(ben, 'twenty.bin').locator('.file-save');
  await save.waitFor({ timeout: 30000 });
  const urls = () => ben.page.evaluate(() => window.objectUrls);
  const before = await urls();
  await ben.page.waitForTimeout(1500);
  assert.equal(await save.evaluate((el) => el.tagName), 'BUTTON', 'not read back before Save');
  assert.equal(await urls(), before, 'no object URL made while the chat is open');
  assert.equal(await savedSha256(ben, 'twenty.bin'), sha256(bytes(20 << 20, 1)));
  assert.equal(await urls(), before + 1, 'read back once, as it was saved');
  // Saving again downloads at once, from the link that took the button's place.
  assert.match(await save.getAttribute('href'), /^blob:/);
  await Promise.all([ben.page.waitForEvent('download', { timeout: 5000 }), save.click()]);
  assert.equal(await urls(), before + 1, 'not read back again');
});

test('a photo shows as a thumbnail, and again after a restart', async () => {
  // A 1×1 PNG.
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  );
  await attachFile(devices.Ann, { name: 'dot.png', mimeType: 'image/png', buffer: png });
  const thumb = () => fileCard(devices.Ben, 'dot.png').locator('img.thumb');
  await thumb().waitFor({ timeout: 30000 });
  const ben = await restart('Ben');
  await ben.page.locator('.chat-list').getByText('Ann').first().click();
  await thumb().waitFor({ timeout: 30000 });
  const width = await thumb().evaluate(async (img) => { await img.decode(); return img.naturalWidth; });
  assert.equal(width, 1, 'decoded by the browser');
});

for (const side of ['Ben', 'Ann']) {
  test(`${side === 'Ben' ? 'the receiver' : 'the sender'} cancels mid-way and both sides say so`, async () => {
    const name = `cancel-by-${side}.bin`;
    await attachFile(devices.Ann, await onDisk(name, bytes(60 << 20, 2)));
    await waitProgress(devices.Ben, name, 1);
    await fileCard(devices[side], name).getByRole('button', { name: 'Cancel' }).click();
    const other = side === 'Ben' ? 'Ann' : 'Ben';
    await cardSays(devices[side], name, 'Cancelled.');
    await cardSays(devices[other], name, 'Cancelled by the other side.', { exact: false });
    assert.equal(await fileCard(devices.Ben, name).locator('.file-save').count(), 0, 'nothing to save');
  });
}

test('an official peerjs client gets a line saying it cannot receive files, and nothing else', async () => {
  devices.official = await launchDevice('official', { origin });
  const page = devices.official.page;
  await page.goto(new URL('official.html', web.url).href);
  await page.evaluate(async ({ target, port }) => {
    const Peer = window.Peer ?? window.peerjs.Peer;
    const peer = new Peer({ host: '127.0.0.1', port, path: '/', key: 'peerjs', secure: false, config: { iceServers: [] } });
    await new Promise((resolve, reject) => { peer.on('open', resolve); peer.on('error', reject); });
    const conn = peer.connect(target, { serialization: 'json', reliable: true });
    window.received = [];
    conn.on('data', (d) => window.received.push(d));
    await new Promise((resolve, reject) => { conn.on('open', resolve); conn.on('error', reject); });
    conn.send({ kind: 'hello', name: 'Olivia', app: 'peerjs-page', v: 1 });
    conn.send('hi, I am a plain client');
  }, { target: annId, port: broker.port });
  await acceptRequest(devices.Ann, 'Olivia');
  await attachFile(devices.Ann, { name: 'for-olivia.txt', mimeType: 'text/plain', buffer: Buffer.from('x'.repeat(1000)) });
  await page.waitForFunction(() => window.received.some((d) => d.kind === 'text'), null, { timeout: 30000 });
  await new Promise((r) => setTimeout(r, 1000));
  const received = await page.evaluate(() => window.received);
  const texts = received.filter((d) => d.kind === 'text');
  assert.equal(texts.length, 1);
  assert.equal(texts[0].text, 'Ann sent a file (for-olivia.txt); this app cannot receive files');
  assert.equal(texts[0].file, undefined, 'no offer');
  assert.deepEqual(received.filter((d) => d.kind !== 'text' && d.kind !== 'hello'), [], 'no file frames');
});

test('one file sent to two contacts reaches the one, and cancelled by the other stops for it alone', async () => {
  devices.Cara = await launchDevice('Cara', { origin });
  const caraId = await join(devices.Cara, web.url, 'Cara');
  await connect(devices.Ann, caraId);
  await Promise.all([waitConnected(devices.Ann, 'Cara'), acceptRequest(devices.Cara, 'Ann')]);
  const name = 'for-both.bin';
  const buffer = bytes(60 << 20, 4);
  const onPath = await onDisk(name, buffer);
  // Ann attaches it for Cara (her open chat), then for Ben.
  await attachFile(devices.Ann, onPath);
  await waitProgress(devices.Cara, name, 1);
  const openChat = (who) => devices.Ann.page.locator('.chat-list').getByText(who).first().click();
  await openChat('Ben');
  await attachFile(devices.Ann, onPath);
  await waitProgress(devices.Ben, name, 1);
  // Cara stops hers; Ben's goes on to the end.
  await fileCard(devices.Cara, name).getByRole('button', { name: 'Cancel' }).click();
  await cardSays(devices.Cara, name, 'Cancelled.');
  assert.equal(await savedSha256(devices.Ben, name, 120000), sha256(buffer));
  // Ann's lines: saveable in Ben's chat, cancelled by the other side in Cara's.
  await fileCard(devices.Ann, name).locator('.file-save').waitFor();
  assert.equal(await fileCard(devices.Ann, name).getByText('Cancelled by the other side.').count(), 0);
  await openChat('Cara');
  await cardSays(devices.Ann, name, 'Cancelled by the other side.', { exact: false });
});

test("the receiving browser closed mid-way: the sender's line says paused, and the file goes on when it is back", async () => {
  const name = 'paused-out.bin';
  const buffer = bytes(60 << 20, 6);
  await devices.Ann.page.locator('.chat-list').getByText('Ben').first().click();
  await attachFile(devices.Ann, await onDisk(name, buffer));
  await waitProgress(devices.Ben, name, 1 << 20);
  await devices.Ben.kill();
  await fileCard(devices.Ann, name).getByText('Paused: it goes on when they are back online.', { exact: false }).waitFor({ timeout: 30000 });
  const ben = await restart('Ben');
  await ben.page.locator('.chat-list').getByText('Ann').first().click();
  assert.equal(await savedSha256(ben, name, 120000), sha256(buffer));
});

test("the sending browser closed mid-way: the receiver's line says paused, with what came so far", async () => {
  const name = 'paused.bin';
  await devices.Ann.page.locator('.chat-list').getByText('Ben').first().click();
  await attachFile(devices.Ann, await onDisk(name, bytes(60 << 20, 5)));
  await waitProgress(devices.Ben, name, 1 << 20);
  await devices.Ann.kill();
  const card = fileCard(devices.Ben, name);
  await card.getByText('Paused: it goes on when the sender is back online.', { exact: false }).waitFor({ timeout: 30000 });
  const kept = Number(await card.locator('progress').getAttribute('value'));
  assert.ok(kept >= 1 << 20, `what came so far still shows (${kept} bytes)`);
  await card.getByRole('button', { name: 'Cancel' }).waitFor();
});

test('a file sent again after the sender restarted, to a contact who kept it, says it was sent', async () => {
  const name = 'kept-from-before.txt';
  const file = { name, mimeType: 'text/plain', buffer: Buffer.from('kept from an earlier visit\n') };
  let ann = await restart('Ann');
  await ann.page.locator('.chat-list').getByText('Ben').first().click();
  await attachFile(ann, file);
  await devices.Ben.page.locator('.chat-list').getByText('Ann').first().click();
  assert.equal(await savedSha256(devices.Ben, name, 60000), sha256(file.buffer));
  // Ann's page forgets what it sent this visit; Ben keeps the file.
  ann = await restart('Ann');
  await ann.page.locator('.chat-list').getByText('Ben').first().click();
  await attachFile(ann, file);
  // Ben asks for nothing and says he has it: Ann's card says it went (it said going
  // for good, with its Cancel button).
  const card = fileCard(ann, name);
  await card.locator('.file-save').waitFor({ timeout: 30000 });
  assert.equal(await card.getByRole('button', { name: 'Cancel' }).count(), 0);
});
