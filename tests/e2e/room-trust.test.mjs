// Who is who in a room (issue 11): each member's safety number is the same on both
// screens, "verified" survives a restart, and a member who changes their name is shown by
// the new one with a notice, in the room and in a one-to-one conversation.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loopbackRig } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import {
  acceptRequest, ONLINE, connect, createRoom, fillSetup, join, openInfo, openSettings, unlock, waitConnected, waitForBroker, waitOnline,
} from './support/app.mjs';

const devices = {};
const rig = loopbackRig(devices);

/** Closes `name`'s browser and opens the app again on the same profile (still locked). */
async function relaunch(name) {
  const old = devices[name];
  await old.kill();
  devices[name] = await launchDevice(name, { origin: rig.origin, profile: old.profile });
  await devices[name].page.goto(rig.web.url);
  return devices[name];
}

/** The room member `name` in the member list. */
function member(device, name) {
  return device.page.locator('.room .members .member').filter({ hasText: name });
}

/** Opens the room's info and the member's Verify panel; returns the safety number. */
async function memberSafetyNumber(device, name) {
  await openInfo(device);
  const panel = member(device, name).locator('details.verify');
  if ((await panel.getAttribute('open')) === null) {
    await panel.locator('summary', { hasText: `Verify ${name}` }).click();
  }
  return (await panel.locator('.safety-number').textContent()).trim();
}

test('a room member\'s safety number matches on both screens and "verified" survives a restart', async () => {
  devices.Ann = await launchDevice('Ann', { origin: rig.origin });
  devices.Ben = await launchDevice('Ben', { origin: rig.origin });
  await join(devices.Ann, rig.web.url, 'Ann');
  const invite = await createRoom(devices.Ann, 'Book club');
  await devices.Ben.page.goto(invite);
  await fillSetup(devices.Ben.page, 'Ben');
  await Promise.all([waitOnline(devices.Ann, 2), waitOnline(devices.Ben, 2)]);

  const onAnn = await memberSafetyNumber(devices.Ann, 'Ben');
  const onBen = await memberSafetyNumber(devices.Ben, 'Ann');
  assert.match(onAnn, /^(\d{5} ){11}\d{5}$/);
  assert.equal(onAnn, onBen, 'the same number on both screens');
  assert.equal(await member(devices.Ann, 'Ben').locator('svg.qr').count(), 1, 'with its QR code');
  assert.equal(await member(devices.Ann, 'Ben').locator('.badge.verified').count(), 0, 'not verified before');

  await member(devices.Ann, 'Ben').getByRole('button', { name: 'Mark as verified' }).click();
  await member(devices.Ann, 'Ben').locator('.badge.verified').first().waitFor();
  assert.equal(await member(devices.Ben, 'Ann').locator('.badge.verified').count(), 0,
    "Ann's mark is hers: Ben has not verified her");

  // Ann's browser restarts: once Ben is back in the room, he is still verified.
  await relaunch('Ann');
  await unlock(devices.Ann);
  await waitForBroker(devices.Ann, ONLINE);
  await waitOnline(devices.Ann, 2);
  await openInfo(devices.Ann);
  await member(devices.Ann, 'Ben').locator('.badge.verified').first().waitFor({ timeout: 10000 });
  assert.equal(await memberSafetyNumber(devices.Ann, 'Ben'), onAnn, 'the same number after the restart');

  // Taking the mark back clears it.
  await member(devices.Ann, 'Ben').getByRole('button', { name: 'Clear verified mark' }).click();
  await devices.Ann.page.waitForFunction(() =>
    ![...document.querySelectorAll('.room .members .member')]
      .some((li) => li.textContent.includes('Ben') && li.querySelector('.badge.verified')));
});

test('a member who changes their name is shown by the new one, with a notice', async () => {
  const { Ann, Ben } = devices;
  await openSettings(Ben);
  await Ben.page.locator('details.rename summary').click();
  const box = Ben.page.getByRole('textbox', { name: 'Display name' });
  // A name that would turn the text around it is refused, and what was typed stays.
  await box.fill('Ben\u202Eevil');
  await Ben.page.getByRole('button', { name: 'Save name' }).click();
  await Ben.page.getByRole('alert').filter({ hasText: 'direction-changing' }).waitFor();
  assert.equal(await box.inputValue(), 'Ben\u202Eevil');

  await box.fill('Benjamin');
  await Ben.page.getByRole('button', { name: 'Save name' }).click();
  await Ben.page.getByRole('status').filter({ hasText: 'sees your new name' }).waitFor();
  await Ann.page.locator('.room li.notice', { hasText: 'Ben is now called Benjamin' }).waitFor({ timeout: 10000 });
  await member(Ann, 'Benjamin').waitFor();
  assert.equal(await Ann.page.locator('.room .members .member').filter({ hasText: /^Ben\b(?!jamin)/ }).count(), 0,
    'no member is left under the old name');
  await Ben.page.getByText('Hi, Benjamin!').waitFor();

  // In a one-to-one conversation too; and the new name is what the app greets with next time.
  const annId = (await Ann.page.locator('#my-id').textContent()).trim();
  await connect(Ben, annId);
  await waitConnected(Ben, 'Ann');
  await Ann.page.getByRole('navigation', { name: 'Rooms and conversations' })
    .getByRole('button', { name: /Benjamin/ }).click();
  await acceptRequest(Ann, 'Benjamin');
  await openSettings(Ben);
  if ((await Ben.page.locator('details.rename').getAttribute('open')) === null) {
    await Ben.page.locator('details.rename summary').click();
  }
  await box.fill('Benji');
  await Ben.page.getByRole('button', { name: 'Save name' }).click();
  await Ann.page.locator('.conversation li.notice', { hasText: 'Benjamin is now called Benji' }).waitFor({ timeout: 10000 });
  await waitConnected(Ann, 'Benji');

  await relaunch('Ben');
  await devices.Ben.page.getByText('Benji', { exact: false }).first().waitFor();
  await unlock(devices.Ben);
  await devices.Ben.page.getByText('Hi, Benji!').waitFor();
});
