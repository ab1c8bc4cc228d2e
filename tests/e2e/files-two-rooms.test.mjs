// One file posted in two rooms, in real Chromium processes through the official
// PeerServer (issue 14): Ann posts a photo in one room, then forwards it to a second
// room Ben is in too; Ben, who has it from the first, can save it in both. Ann closes her
// browser, and Cat, who joins the second room later, gets the file from Ben
// (byte-identical, SHA-256 compared): he holds it for every room that shows it. Ben then
// deletes the first room's files: its card says removed, with nothing to save, after a
// restart too, while the second room's card still saves the file (before, the rooms
// shared one line: the first offered Save again after a restart). Last, Ben posts a big
// file in both rooms and cancels it in the first while his copy is made: it goes on in the
// second, where Cat gets it, and the first's card still says cancelled after a restart,
// with nothing to save (before, it offered Save: the file is on his device for the other).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { bytes, onDisk, sha256 } from './support/files.mjs';
import { startRig, stopRig } from './support/rig.mjs';
import {
  attachInRoom, createRoom, deleteChatFiles, fileCard, fillSetup, join, relaunch, removedHere, savedSha256, unlock,
  waitOnline,
} from './support/app.mjs';

const PAPERS = 'Paper club';
const NAME = 'harbour.bin';
const CONTENT = bytes(1536 << 10, 11);
const PHOTOS = 'Photo club';
let rig, web, origin, devices;

before(async () => {
  rig = await startRig(['Ann', 'Ben', 'Cat']);
  ({ web, origin, devices } = rig);
});

after(() => stopRig(rig));

/** Opens the room called `name` from the list of chats. */
async function openRoom(device, name) {
  await device.page.locator('.chat-list').getByText(name).first().click();
  await device.page.getByRole('heading', { name }).waitFor();
}

test('a file forwarded to a second room is served there by a member who has it from the first', async () => {
  const { Ann, Ben, Cat } = devices;
  await join(Ann, web.url, 'Ann');
  const papers = await createRoom(Ann, PAPERS);
  await Ben.page.goto(papers);
  await fillSetup(Ben.page, 'Ben');
  await Promise.all([waitOnline(Ann, 2), waitOnline(Ben, 2)]);
  const photos = await createRoom(Ann, PHOTOS);
  await Ben.page.goto(photos);
  await Ben.page.getByRole('heading', { name: PHOTOS }).waitFor({ timeout: 30000 });
  await Promise.all([waitOnline(Ann, 2), waitOnline(Ben, 2)]);

  const [name, content] = [NAME, CONTENT];
  const at = await onDisk(name, content);
  await openRoom(Ann, PAPERS);
  await attachInRoom(Ann, at);
  await openRoom(Ben, PAPERS);
  assert.equal(await savedSha256(Ben, name, 90000), sha256(content), 'Ben has it in Paper club');

  // Ann forwards the same file to Photo club: Ben can save it there at once.
  await openRoom(Ann, PHOTOS);
  await attachInRoom(Ann, at);
  await fileCard(Ann, name).waitFor({ timeout: 30000 });
  await openRoom(Ben, PHOTOS);
  assert.equal(await savedSha256(Ben, name, 30000), sha256(content), 'Ben has it in Photo club');

  // Ann closes her browser; Cat joins Photo club and gets the file from Ben alone.
  await Ann.kill();
  await waitOnline(Ben, 1, 15000);
  await Cat.page.goto(photos);
  await fillSetup(Cat.page, 'Cat');
  await Cat.page.getByRole('heading', { name: PHOTOS }).waitFor({ timeout: 30000 });
  await fileCard(Cat, name).waitFor({ timeout: 30000 });
  assert.equal(await savedSha256(Cat, name, 90000), sha256(content), 'Cat: byte-identical, from Ben');
});

test("deleting one room's files keeps the file for the other, and the first says removed", async () => {
  const { Ben } = devices;
  await openRoom(Ben, PAPERS);
  await deleteChatFiles(Ben, 'Files: 1');
  await removedHere(Ben, NAME);
  await openRoom(Ben, PHOTOS);
  assert.equal(await savedSha256(Ben, NAME, 15000), sha256(CONTENT), 'kept for Photo club');
  // After a restart too.
  devices.Ben = await relaunch(Ben, web.url, origin);
  await unlock(devices.Ben);
  await openRoom(devices.Ben, PAPERS);
  await removedHere(devices.Ben, NAME);
  await openRoom(devices.Ben, PHOTOS);
  assert.equal(await savedSha256(devices.Ben, NAME, 15000), sha256(CONTENT), 'kept after a restart');
});

test('a post cancelled in one of two rooms goes on in the other, and stays cancelled after a restart', async () => {
  const { Ben, Cat } = devices;
  const [name, content] = ['ferry.bin', bytes(120 << 20, 12)];
  const at = await onDisk(name, content);
  await openRoom(Ben, PHOTOS);
  await attachInRoom(Ben, at);
  await fileCard(Ben, name).waitFor({ timeout: 30000 });
  await openRoom(Ben, PAPERS);
  await attachInRoom(Ben, at);
  // While his copy is still being made (120 MB, and Cat fetching it meanwhile), Ben
  // cancels it in Paper club.
  await fileCard(Ben, name).getByRole('button', { name: 'Cancel' }).click({ timeout: 30000 });
  await fileCard(Ben, name).getByText('Cancelled.', { exact: true }).waitFor();
  assert.equal(await savedSha256(Cat, name, 120000), sha256(content), 'Cat gets it in Photo club');
  await openRoom(Ben, PHOTOS);
  await fileCard(Ben, name).locator('a.file-save').waitFor({ timeout: 120000 });
  devices.Ben = await relaunch(Ben, web.url, origin);
  await unlock(devices.Ben);
  await openRoom(devices.Ben, PAPERS);
  await removedHere(devices.Ben, name, 'Cancelled.');
  await openRoom(devices.Ben, PHOTOS);
  assert.equal(await savedSha256(devices.Ben, name, 15000), sha256(content), 'kept for Photo club');
});
