// Files in a room of real Chromium processes through the official PeerServer (issue 14):
// Ann attaches a file, Ben and Cat get it byte-identical (SHA-256 compared), Ann closes
// her browser, and Dan, who joins later, still gets it from Ben and Cat; Ben's page alters
// the first file chunks it sends (tapped in the page, nothing compiled in), which Dan
// refuses and fetches again. Then Dan's History tools show the space the room's files
// take and delete them: after a restart the file is gone and the messages stay. In a room
// of two, a file whose only holder closed her browser mid-way says it is paused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchDevice } from './support/browsers.mjs';
import { bytes, onDisk, sha256 } from './support/files.mjs';
import { startRig, stopRig } from './support/rig.mjs';
import {
  attachInRoom, cardSays, chooseName, createRoom, deleteChatFiles, fileCard, join, relaunch, savedSha256, sendToRoom, unlock, waitForMessages,
  waitOnline,
} from './support/app.mjs';

const ROOM = 'Paper club';
let rig, web, origin, devices;

before(async () => {
  rig = await startRig(['Ann', 'Ben', 'Cat', 'Dan']);
  ({ web, origin, devices } = rig);
  // Ben's and Cat's pages alter the middle byte of their next `__tamper` large frames
  // (file chunks).
  await Promise.all([devices.Ben, devices.Cat].map((d) => d.context.addInitScript(() => {
    window.__tamper = 0;
    window.__tampered = 0;
    const send = RTCDataChannel.prototype.send;
    RTCDataChannel.prototype.send = function (data) {
      if (window.__tamper > 0 && typeof data !== 'string' && data.byteLength > 12000) {
        const view = new Uint8Array(data.buffer ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data.slice(0));
        const at = view.length >> 1;
        view[at] = view[at] === 65 ? 66 : 65;
        window.__tamper -= 1;
        window.__tampered += 1;
        return send.call(this, view);
      }
      return send.call(this, data);
    };
  })));
});

after(() => stopRig(rig));

test('a late joiner gets a room file after its sender left; a broken chunk is fetched again; History deletes files', async () => {
  const { Ann, Ben, Cat, Dan } = devices;
  await join(Ann, web.url, 'Ann');
  const invite = await createRoom(Ann, ROOM);
  await chooseName(Ben, invite, 'Ben');
  await chooseName(Cat, invite, 'Cat');
  await Promise.all([waitOnline(Ann, 3), waitOnline(Ben, 3), waitOnline(Cat, 3)]);

  const name = 'minutes.bin';
  const content = bytes(3 << 20, 7);
  const at = await onDisk(name, content);
  const started = performance.now();
  await attachInRoom(Ann, at);
  const [ben, cat] = await Promise.all([savedSha256(Ben, name, 90000), savedSha256(Cat, name, 90000)]);
  console.log(`3 MB to two members: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(ben, sha256(content), 'Ben: byte-identical');
  assert.equal(cat, sha256(content), 'Cat: byte-identical');

  // Ann closes her browser; Dan comes later, while Ben and Cat each alter their first
  // chunk (whichever Dan asks first: a fast holder may serve the whole file alone).
  await Ann.kill();
  await waitOnline(Ben, 2, 15000);
  await Promise.all([Ben, Cat].map((d) => d.page.evaluate(() => { window.__tamper = 1; })));
  await chooseName(Dan, invite, 'Dan');
  await fileCard(Dan, name).waitFor({ timeout: 30000 });
  const late = performance.now();
  assert.equal(await savedSha256(Dan, name, 120000), sha256(content), 'Dan: byte-identical, without Ann');
  console.log(`3 MB to the late joiner from Ben and Cat: ${((performance.now() - late) / 1000).toFixed(1)} s`);
  const altered = await Promise.all([Ben, Cat].map((d) => d.page.evaluate(() => window.__tampered)));
  assert.ok(altered[0] + altered[1] >= 1, `a chunk Dan got was altered, and fetched again (Ben, Cat: ${altered})`);
  await sendToRoom(Dan, 'thanks for the file');
  await waitForMessages(Cat, 'Dan', 1);

  // Dan's History tools: the space the room's files take, then delete them.
  await deleteChatFiles(Dan, 'Files: 1 · 3.0 MB');
  await cardSays(Dan, name, 'Removed from this device.', { timeout: 10000, exact: false });

  // After a restart the file stays gone (not fetched again), the messages stay.
  devices.Dan = await relaunch(Dan, web.url, origin);
  await unlock(devices.Dan);
  await devices.Dan.page.getByRole('heading', { name: ROOM }).waitFor();
  await waitOnline(devices.Dan, 3, 30000);
  const card = fileCard(devices.Dan, name);
  await card.getByText('Removed from this device.').waitFor({ timeout: 15000 });
  await devices.Dan.page.waitForTimeout(3000);
  assert.equal(await card.locator('.file-save').count(), 0, 'nothing to save: the file is gone');
  await devices.Dan.page.locator('.message', { hasText: 'thanks for the file' }).waitFor();
  await devices.Dan.page.locator('.message', { hasText: `📎 ${name}` }).waitFor();
});

test('a room file whose only holder closed her browser mid-way says paused, with what came', async () => {
  const [Eve, Finn] = await Promise.all(['Eve', 'Finn'].map((name) => launchDevice(name, { origin })));
  devices.Eve = Eve;
  devices.Finn = Finn;
  await join(Eve, web.url, 'Eve');
  const invite = await createRoom(Eve, 'Slides');
  await chooseName(Finn, invite, 'Finn');
  await Promise.all([waitOnline(Eve, 2), waitOnline(Finn, 2)]);
  const name = 'slides.bin';
  await attachInRoom(Eve, await onDisk(name, bytes(60 << 20, 8)));
  const bar = fileCard(Finn, name).locator('progress');
  await bar.waitFor({ timeout: 60000 });
  await Finn.page.waitForFunction((el) => el.isConnected && Number(el.value) >= 1 << 20, await bar.elementHandle(), { timeout: 60000 });
  await Eve.kill();
  const card = fileCard(Finn, name);
  await card.getByText('Paused: no member online has it; it goes on when one who has it is back.', { exact: false }).waitFor({ timeout: 30000 });
  const kept = Number(await card.locator('progress').getAttribute('value'));
  assert.ok(kept >= 1 << 20, `what came so far still shows (${kept} bytes)`);
});
