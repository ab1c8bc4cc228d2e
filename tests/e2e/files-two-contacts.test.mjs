// The same file from two contacts, between real Chromium processes through the official
// PeerServer: Ann and Cat each send Ben the same tickets one to one (a file's id is the
// hash of its bytes: one file on Ben's device). Ben deletes the files of his chat with
// Ann; his chat with Cat still has the tickets, byte-identical, after a restart too, and
// his chat with Ann says they were removed there, with nothing to save, after the restart
// too. Before, deleting Ann's chat's files deleted the file Cat's chat showed; then Ann's
// chat offered Save beside "Removed", and again after a restart.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { bytes, onDisk, sha256 } from './support/files.mjs';
import { startRig, stopRig } from './support/rig.mjs';
import {
  acceptRequest, attachFile, connect, deleteChatFiles, join, relaunch, removedHere, savedSha256, unlock, waitConnected,
} from './support/app.mjs';

let rig, web, origin, devices;

before(async () => {
  rig = await startRig(['Ann', 'Ben', 'Cat']);
  ({ web, origin, devices } = rig);
  const [, benId] = await Promise.all(['Ann', 'Ben', 'Cat'].map((name) => join(devices[name], web.url, name)));
  for (const name of ['Ann', 'Cat']) {
    await connect(devices[name], benId);
    await Promise.all([waitConnected(devices[name], 'Ben'), acceptRequest(devices.Ben, name)]);
  }
});

after(() => stopRig(rig));

/** Opens Ben's chat with `name` from his list of chats. */
async function openChat(device, name) {
  const page = device.page;
  const item = page.getByRole('navigation', { name: 'Rooms and conversations' }).locator('.chat-item', { hasText: name });
  const back = page.getByRole('button', { name: 'Back to chats' });
  // The list shows once the saved chats are read (just after unlock); on a narrow
  // screen it is a screen of its own.
  await item.first().or(back).first().waitFor({ timeout: 15000 });
  if (!(await item.first().isVisible())) await back.click();
  await item.first().click();
  await page.getByRole('heading', { name: `Chat with ${name}` }).waitFor();
}

test("deleting one chat's files keeps the same file another contact sent", async () => {
  const tickets = bytes(600_000, 11);
  const at = await onDisk('tickets.pdf', tickets);
  await attachFile(devices.Ann, at);
  await openChat(devices.Ben, 'Ann');
  assert.equal(await savedSha256(devices.Ben, 'tickets.pdf', 60000), sha256(tickets), 'from Ann');
  // Cat forwards the same tickets: Ben has them already, and her card says sent.
  await attachFile(devices.Cat, at);
  await openChat(devices.Ben, 'Cat');
  assert.equal(await savedSha256(devices.Ben, 'tickets.pdf', 30000), sha256(tickets), 'in the chat with Cat');

  // Ben deletes the files of his chat with Ann: nothing leaves the disk.
  await openChat(devices.Ben, 'Ann');
  await deleteChatFiles(devices.Ben, 'Files: 1');
  await removedHere(devices.Ben, 'tickets.pdf');

  // His chat with Cat still has them, after a restart too.
  await openChat(devices.Ben, 'Cat');
  assert.equal(await savedSha256(devices.Ben, 'tickets.pdf', 15000), sha256(tickets), 'kept for Cat');
  devices.Ben = await relaunch(devices.Ben, web.url, origin);
  await unlock(devices.Ben);
  await openChat(devices.Ben, 'Cat');
  assert.equal(await savedSha256(devices.Ben, 'tickets.pdf', 15000), sha256(tickets), 'after a restart');
  // His chat with Ann still says they were removed there (before, it offered Save again).
  await openChat(devices.Ben, 'Ann');
  await removedHere(devices.Ben, 'tickets.pdf');
});

