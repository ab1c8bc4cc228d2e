// What makes PeerChat feel like a phone app, across real browsers: typing indicator,
// delivery receipts, unread counts while in the background (title and app badge).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { appServer, localConfig, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import { chooseName, createRoom, join, sendToRoom, waitOnline } from './support/app.mjs';

let broker, web, ann, bob;

before(async () => {
  broker = await peerServer();
  web = await appServer({ config: localConfig(broker.port) });
  const origin = new URL(web.url).origin;
  [ann, bob] = await Promise.all([launchDevice('Ann', { origin }), launchDevice('Bob', { origin })]);
  // Record what the app shows on its icon (the Badging API is there for installed apps).
  await bob.context.addInitScript(() => {
    window.badges = [];
    navigator.setAppBadge = async (n) => { window.badges.push(n); };
    navigator.clearAppBadge = async () => { window.badges.push(0); };
  });
  await join(ann, web.url, 'Ann');
  const invite = await createRoom(ann, 'Phone club');
  await chooseName(bob, invite, 'Bob');
  await Promise.all([waitOnline(ann, 2), waitOnline(bob, 2)]);
});

after(async () => {
  await ann?.destroy();
  await bob?.destroy();
  await web?.close();
  await broker?.stop();
});

test('typing shows on the other side, and stops with the message', async () => {
  await ann.page.getByRole('textbox', { name: 'Message' }).pressSequentially('hel', { delay: 50 });
  await bob.page.getByText('Ann is typing…').waitFor({ timeout: 10000 });
  await ann.page.getByRole('textbox', { name: 'Message' }).fill('hello Bob');
  await ann.page.getByRole('button', { name: 'Send' }).click();
  await bob.page.locator('.message', { hasText: 'hello Bob' }).waitFor();
  assert.equal(await bob.page.getByText('Ann is typing…').count(), 0);
});

test('a message is marked delivered once every member online has it', async () => {
  await sendToRoom(ann, 'did you get this?');
  const mine = ann.page.locator('.message.mine', { hasText: 'did you get this?' });
  await mine.locator('.receipt', { hasText: 'delivered' }).waitFor({ timeout: 10000 });
  await bob.page.locator('.message', { hasText: 'did you get this?' }).waitFor();
});

test('messages that arrive while the app is in the background count as unread, in the title and on the badge', async () => {
  // Headless Chromium keeps every page visible (minimising or switching tabs does not
  // change that), so the page is told it went to the background the way the browser
  // tells it: document.hidden and a visibilitychange event.
  const setHidden = (hidden) => bob.page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  await setHidden(true);
  await sendToRoom(ann, 'while you were away 1');
  await sendToRoom(ann, 'while you were away 2');
  await bob.page.waitForFunction(() => document.title === '(2) PeerChat', null, { timeout: 10000 });
  assert.equal(await bob.page.evaluate(() => window.badges.at(-1)), 2);
  await setHidden(false);
  await bob.page.waitForFunction(() => document.title === 'PeerChat', null, { timeout: 5000 });
  assert.equal(await bob.page.evaluate(() => window.badges.at(-1)), 0);
});
