// Two tabs of one profile (issue 12): the second says PeerChat is open in another tab and
// joins nothing (no second member in the room); "Use here" hands the device over: the
// first tab stops and says so, the second registers the same id and is back in the room.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loopbackRig } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import {
  ONLINE, addNote, createRoom, fillSetup, join, myId, sendToRoom, unlock, waitForBroker, waitOnline,
} from './support/app.mjs';

const devices = {};
const rig = loopbackRig(devices);

/** The room members another page lists. */
async function memberCount(page) {
  return page.locator('.room .members .member').count();
}

test('a second tab waits for the first, and "Use here" hands the device over cleanly', async () => {
  devices.Ann = await launchDevice('Ann', { origin: rig.origin });
  devices.Ben = await launchDevice('Ben', { origin: rig.origin });
  await join(devices.Ann, rig.web.url, 'Ann');
  const annId = await myId(devices.Ann);
  const invite = await createRoom(devices.Ann, 'Two tabs');
  await devices.Ben.page.goto(invite);
  await fillSetup(devices.Ben.page, 'Ben');
  await Promise.all([waitOnline(devices.Ann, 2), waitOnline(devices.Ben, 2)]);
  const listedByBen = await memberCount(devices.Ben.page);

  // Ann opens PeerChat again in a second tab of the same browser.
  const second = { name: 'Ann (tab 2)', page: await devices.Ann.context.newPage() };
  await second.page.goto(rig.web.url);
  await unlock(second);
  await second.page.getByRole('alert').filter({ hasText: 'PeerChat is open in another tab' }).waitFor();
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await memberCount(devices.Ben.page), listedByBen, 'no second member for the same device');
  assert.equal(await second.page.locator('#my-id').count(), 0, 'the second tab took no id of its own');
  await waitOnline(devices.Ann, 2);

  // "Use here": the first tab lets go, the second takes the same id and the room.
  await second.page.getByRole('button', { name: 'Use here' }).click();
  await devices.Ann.page.getByRole('alert').filter({ hasText: 'PeerChat is now open in another tab' }).waitFor({ timeout: 10000 });
  await waitForBroker(second, ONLINE, 30000).catch(async (e) => {
    throw addNote(e, ` second tab shows ${JSON.stringify(await second.page.locator('main').innerText())}`);
  });
  assert.equal(await myId(second), annId, 'the same id, registered by the second tab');
  await second.page.getByRole('button', { name: /Two tabs/ }).first().click().catch(() => {});
  await waitOnline(second, 2);
  await sendToRoom(devices.Ben, 'still here?');
  await second.page.locator('.room .message', { hasText: 'still here?' }).waitFor({ timeout: 15000 });
  assert.equal(await memberCount(devices.Ben.page), listedByBen, 'still one member for Ann');

  // And back: the first tab takes over again.
  await devices.Ann.page.getByRole('button', { name: 'Use here' }).click();
  await second.page.getByRole('alert').filter({ hasText: 'PeerChat is now open in another tab' }).waitFor({ timeout: 10000 });
  await waitForBroker(devices.Ann, ONLINE, 30000);
  await waitOnline(devices.Ann, 2);
});
