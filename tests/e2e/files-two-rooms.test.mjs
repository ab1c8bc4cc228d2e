// One file posted in two rooms, in real Chromium processes through the official
// PeerServer (issue 14): Ann posts a photo in one room, then forwards it to a second
// room Ben is in too; Ben, who has it from the first, can save it in both. Ann closes her
// browser, and Cat, who joins the second room later, gets the file from Ben
// (byte-identical, SHA-256 compared): he holds it for every room that shows it. Ben then
// deletes the first room's files: its card says removed, with nothing to save, after a
// restart too, while the second room's card still saves the file (before, the rooms
// shared one line: the first offered Save again after a restart). Last, Cat joins a third
// room of Ben's, Ben posts a big file in it and in Photo club, and Cat cancels it in the
// third while it comes: it goes on in Photo club, where she gets it, and the third room's
// card still says cancelled after her restart, with nothing to save (before, it offered
// Save: the file is on her device for Photo club).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { bytes, onDisk, sha256 } from './support/files.mjs';
import { startRig, stopRig } from './support/rig.mjs';
import {
  attachInRoom, cardSays, createRoom, deleteChatFiles, fileCard, fillSetup, join, openChat, relaunch, removedHere, savedSha256,
  unlock, waitOnline,
} from './support/app.mjs';

const PAPERS = 'Paper club';
const NAME = 'harbour.bin';
const CONTENT = bytes(1536 << 10, 11);
const PHOTOS = 'Photo club';
const HARBOUR = 'Harbour club';
let rig, web, origin, devices;

before(async () => {
  rig = await startRig(['Ann', 'Ben', 'Cat']);
  ({ web, origin, devices } = rig);
});

after(() => stopRig(rig));

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
  await openChat(Ann, PAPERS);
  await attachInRoom(Ann, at);
  await openChat(Ben, PAPERS);
  assert.equal(await savedSha256(Ben, name, 90000), sha256(content), 'Ben has it in Paper club');

  // Ann forwards the same file to Photo club: Ben can save it there at once.
  await openChat(Ann, PHOTOS);
  await attachInRoom(Ann, at);
  await fileCard(Ann, name).waitFor({ timeout: 30000 });
  await openChat(Ben, PHOTOS);
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
  await openChat(Ben, PAPERS);
  await deleteChatFiles(Ben, 'Files: 1');
  await removedHere(Ben, NAME);
  await openChat(Ben, PHOTOS);
  assert.equal(await savedSha256(Ben, NAME, 15000), sha256(CONTENT), 'kept for Photo club');
  // After a restart too.
  devices.Ben = await relaunch(Ben, web.url, origin);
  await unlock(devices.Ben);
  await openChat(devices.Ben, PAPERS);
  await removedHere(devices.Ben, NAME);
  await openChat(devices.Ben, PHOTOS);
  assert.equal(await savedSha256(devices.Ben, NAME, 15000), sha256(CONTENT), 'kept after a restart');
});

test('a download cancelled in one of two rooms goes on in the other, and stays cancelled after a restart', async () => {
  const { Ben, Cat } = devices;
  // Cat joins a third room of Ben's: they share two.
  const harbour = await createRoom(Ben, HARBOUR);
  await Cat.page.goto(harbour);
  await Cat.page.getByRole('heading', { name: HARBOUR }).waitFor({ timeout: 30000 });
  await Promise.all([waitOnline(Ben, 2), waitOnline(Cat, 2)]);
  const [name, content] = ['ferry.bin', bytes(100 << 20, 12)];
  const at = await onDisk(name, content);
  await openChat(Ben, PHOTOS);
  await attachInRoom(Ben, at);
  await fileCard(Ben, name).waitFor({ timeout: 30000 });
  await openChat(Ben, HARBOUR);
  await attachInRoom(Ben, at);
  // While it comes (100 MB), Cat cancels it in Harbour club.
  await openChat(Cat, HARBOUR);
  await fileCard(Cat, name).getByRole('button', { name: 'Cancel' }).click({ timeout: 30000 });
  await cardSays(Cat, name, 'Cancelled.');
  // In Photo club it goes on, and she gets it there.
  await openChat(Cat, PHOTOS);
  assert.equal(await savedSha256(Cat, name, 120000), sha256(content), 'Cat gets it in Photo club');
  devices.Cat = await relaunch(Cat, web.url, origin);
  await unlock(devices.Cat);
  await openChat(devices.Cat, HARBOUR);
  await removedHere(devices.Cat, name, 'Cancelled.');
  await openChat(devices.Cat, PHOTOS);
  assert.equal(await savedSha256(devices.Cat, name, 15000), sha256(content), 'kept for Photo club');
});
