// Message requests (issue 12): a chat from someone you never talked to arrives as a
// request with Accept and Block; nothing of it is stored before you accept; a blocked id
// stays blocked across a restart until you unblock it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loopbackRig } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import {
  acceptRequest, connect, dumpStorage, explain, openSettings, join, messages, send, unlock, waitConnected, waitForMessages,
} from './support/app.mjs';

const devices = {};
const rig = loopbackRig(devices);

/** Closes `name`'s browser and opens the app again on the same profile, unlocked. */
async function restart(name) {
  const old = devices[name];
  await old.kill();
  devices[name] = await launchDevice(name, { origin: rig.origin, profile: old.profile });
  await devices[name].page.goto(rig.web.url);
  await unlock(devices[name]);
  await devices[name].page.locator('.list-pane').waitFor({ state: 'attached' }).catch(async (e) => {
    throw explain(e, devices[name], JSON.stringify(await devices[name].page.locator('body').innerText()));
  });
  return devices[name];
}

/** The chat list's entry for `name`. */
function entry(device, name) {
  return device.page.getByRole('navigation', { name: 'Rooms and conversations' }).locator('.chat-item', { hasText: name });
}

/** The number of stored records per store of the device's database. */
async function recordCounts(device) {
  const { rows } = await dumpStorage(device.page);
  const counts = {};
  for (const [store] of rows) counts[store] = (counts[store] ?? 0) + 1;
  return counts;
}

test("a stranger's chat is a request: shown, not stored, gone after a restart unless accepted", async () => {
  devices.Ann = await launchDevice('Ann', { origin: rig.origin });
  devices.Ben = await launchDevice('Ben', { origin: rig.origin });
  await join(devices.Ann, rig.web.url, 'Ann');
  const benId = await join(devices.Ben, rig.web.url, 'Ben');
  const before = await recordCounts(devices.Ben);

  await connect(devices.Ann, benId);
  await waitConnected(devices.Ann, 'Ben');
  await send(devices.Ann, 'hi Ben, we met at the party');
  const ben = devices.Ben;
  await entry(ben, 'Ann').locator('.request-badge', { hasText: 'Request' }).waitFor({ timeout: 30000 });
  await entry(ben, 'Ann').click();
  const bar = ben.page.locator('.request-bar');
  await bar.filter({ hasText: 'wants to chat with you' }).waitFor();
  const annId = (await devices.Ann.page.locator('#my-id').textContent()).trim();
  assert.ok((await bar.textContent()).includes(annId), "the request shows the caller's ID");
  await waitForMessages(ben, 'Ann', 1);
  assert.equal(await ben.page.getByRole('textbox', { name: 'Message' }).count(), 0, 'no composer before a decision');
  // Give any write time to land: nothing of the request reaches storage.
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await recordCounts(ben), before, 'nothing stored for the request');

  // After a restart nothing of it is there: Ann's app may call again by itself, but
  // then as a new request, without what she wrote before.
  const again = await restart('Ben');
  await new Promise((r) => setTimeout(r, 3000));
  if ((await entry(again, 'Ann').count()) > 0) {
    await entry(again, 'Ann').locator('.request-badge').waitFor();
    await entry(again, 'Ann').click();
    await again.page.locator('.request-bar').waitFor();
  }
  assert.deepEqual(await messages(again), [], 'an undecided request left nothing behind');
});

test('a blocked caller is not answered, even after a restart, until unblocked', async () => {
  const ann = devices.Ann;
  const benId = (await devices.Ben.page.locator('#my-id').textContent()).trim();
  // Ben's browser went away in the restart. Ann's app may call him back by itself (a
  // request again on his side); or, once it notices the old link is gone, she presses
  // Connect.
  const request = entry(devices.Ben, 'Ann').locator('.request-badge');
  const connectAgain = ann.page.getByRole('button', { name: 'Connect to Ben' });
  for (const end = Date.now() + 60000; !(await request.isVisible());) {
    assert.ok(Date.now() < end, 'Ann reaches Ben again within 60 s');
    if (await connectAgain.isVisible()) await connectAgain.click().catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
  }
  await acceptOrBlock(devices.Ben, 'Ann', 'Block');
  const ben = devices.Ben;
  await openSettings(ben);
  await ben.page.locator('.blocked li', { hasText: 'Ann' }).waitFor();
  assert.equal(await entry(ben, 'Ann').count(), 0, 'her chat left the list');
  await ann.page.locator('.conversation-status', { hasNotText: 'Connected to Ben.' }).first().waitFor({ timeout: 30000 });

  // She calls again: nothing reaches Ben.
  await connect(ann, benId);
  await new Promise((r) => setTimeout(r, 4000));
  assert.equal(await entry(ben, 'Ann').count(), 0, 'a blocked call shows nothing');

  const again = await restart('Ben');
  await openSettings(again);
  await again.page.locator('.blocked li', { hasText: 'Ann' }).waitFor({ timeout: 10000 });
  await connect(ann, benId);
  await new Promise((r) => setTimeout(r, 4000));
  assert.equal(await entry(again, 'Ann').count(), 0, 'still blocked after a restart');

  // Unblocked, she reaches him, and they chat both ways.
  await again.page.getByRole('button', { name: 'Unblock Ann' }).click();
  await again.page.locator('.blocked li').waitFor({ state: 'detached' });
  await connect(ann, benId);
  await waitConnected(ann, 'Ben');
  await entry(again, 'Ann').click();
  await waitConnected(again, 'Ann');
  await send(again, 'welcome back');
  await waitForMessages(ann, 'Ben', 1);
});

test('an accepted request is kept: its messages are stored and come back after a restart', async () => {
  devices.Cy = await launchDevice('Cy', { origin: rig.origin });
  await join(devices.Cy, rig.web.url, 'Cy');
  const benId = (await devices.Ben.page.locator('#my-id').textContent()).trim();
  await connect(devices.Cy, benId);
  await waitConnected(devices.Cy, 'Ben');
  await send(devices.Cy, 'Cy here, first words');
  await acceptRequest(devices.Ben, 'Cy');
  await waitForMessages(devices.Ben, 'Cy', 1);
  await send(devices.Ben, 'hello Cy');
  await waitForMessages(devices.Cy, 'Ben', 1);

  const again = await restart('Ben');
  await entry(again, 'Cy').click();
  await again.page.locator('.conversation .message', { hasText: 'Cy here, first words' }).waitFor({ timeout: 10000 });
  const texts = (await messages(again)).map((m) => m.text);
  assert.deepEqual(texts, ['Cy here, first words', 'hello Cy'], 'what waited is stored, in order');
  assert.equal(await again.page.locator('.request-bar').count(), 0, 'no longer a request');
});

/** Presses Accept or Block on the request from `peerName`, opening it from the list. */
async function acceptOrBlock(device, peerName, choice) {
  await entry(device, peerName).locator('.request-badge').waitFor({ timeout: 30000 });
  await entry(device, peerName).click();
  await device.page.locator('.request-bar').getByRole('button', { name: choice }).click();
}

