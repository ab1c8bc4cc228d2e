// What makes PeerChat feel like a phone app, across real browsers: typing indicator,
// delivery receipts, unread counts while in the background (title and app badge),
// notifications; and the screenshots the README shows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { brokerAndApp } from './support/servers.mjs';
import { screenshot } from './support/screenshots.mjs';
import { launchDevice } from './support/browsers.mjs';
import {
  acceptRequest, chooseName, closeInfo, connect, createRoom, join, lowContrast, myId, openInfo, openSettings, openStart, send,
  sendToRoom, unlock, waitConnected, waitOnline,
} from './support/app.mjs';

let broker, web, ann, bob;

before(async () => {
  let origin;
  ({ broker, web, origin } = await brokerAndApp());
  [ann, bob] = await Promise.all([launchDevice('Ann', { origin }), launchDevice('Bob', { origin })]);
  // Record what the app shows on its icon (the Badging API is there for installed apps).
  await bob.context.addInitScript(() => {
    window.badges = [];
    navigator.setAppBadge = async (n) => { window.badges.push(n); };
    navigator.clearAppBadge = async () => { window.badges.push(0); };
    // And the notifications it asks for (headless Chromium's own list of shown
    // notifications was seen to come back empty now and then).
    window.notes = [];
    const show = ServiceWorkerRegistration.prototype.showNotification;
    ServiceWorkerRegistration.prototype.showNotification = function (title, options) {
      window.notes.push({ title, body: options?.body, room: options?.data?.room });
      return show.call(this, title, options);
    };
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
  await bob.page.getByText('Ann is typing…', { exact: true }).waitFor({ timeout: 10000 });
  await ann.page.getByRole('textbox', { name: 'Message' }).fill('hello Bob');
  await ann.page.getByRole('button', { name: 'Send' }).click();
  await bob.page.locator('.message', { hasText: 'hello Bob' }).waitFor();
  assert.equal(await bob.page.getByText('Ann is typing…', { exact: true }).count(), 0);
});

test('a message is marked delivered once every member online has it', async () => {
  await sendToRoom(ann, 'did you get this?');
  const mine = ann.page.locator('.message.mine', { hasText: 'did you get this?' });
  await mine.locator('.receipt', { hasText: 'delivered' }).waitFor({ timeout: 10000 });
  await bob.page.locator('.message', { hasText: 'did you get this?' }).waitFor();
});

test('a message the app cannot send stays in the box, with the reason', async () => {
  const box = bob.page.getByRole('textbox', { name: 'Message' });
  await box.fill('ring\u0007ring');
  await bob.page.getByRole('button', { name: 'Send' }).click();
  await bob.page.getByRole('alert').filter({ hasText: 'without control characters' }).waitFor();
  assert.equal(await box.inputValue(), 'ring\u0007ring', 'nothing typed is lost');
  await box.fill('ring ring');
  await bob.page.getByRole('button', { name: 'Send' }).click();
  await ann.page.locator('.message', { hasText: 'ring ring' }).waitFor();
  assert.equal(await box.inputValue(), '');
  assert.equal(await bob.page.getByRole('alert').count(), 0, 'the reason goes once sent');
});

// Headless Chromium keeps every page visible (minimising or switching tabs does not
// change that), so a page is told it went to the background the way the browser tells
// it: document.hidden and a visibilitychange event.
const setHidden = (device, hidden) => device.page.evaluate((h) => {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
  document.dispatchEvent(new Event('visibilitychange'));
}, hidden);

test('messages that arrive while the app is in the background count as unread, in the title and on the badge', async () => {
  await setHidden(bob, true);
  await sendToRoom(ann, 'while you were away 1');
  await sendToRoom(ann, 'while you were away 2');
  await bob.page.waitForFunction(() => document.title === '(2) PeerChat', null, { timeout: 10000 });
  assert.equal(await bob.page.evaluate(() => window.badges.at(-1)), 2);
  await setHidden(bob, false);
  await bob.page.waitForFunction(() => document.title === 'PeerChat', null, { timeout: 5000 });
  assert.equal(await bob.page.evaluate(() => window.badges.at(-1)), 0);
});

test('once allowed, a message arriving in the background shows a notification; tapping it opens its room', async () => {
  await openSettings(bob);
  const turnOn = bob.page.getByRole('button', { name: 'Turn on notifications' });
  await turnOn.waitFor();
  await bob.context.grantPermissions(['notifications'], { origin: new URL(web.url).origin });
  await turnOn.click();
  await bob.page.getByText('Notifications are on').waitFor();
  await bob.page.getByRole('button', { name: /^Phone club/ }).click();
  await sendToRoom(ann, 'seen on screen, no notification');
  await bob.page.locator('.message', { hasText: 'seen on screen' }).waitFor();
  await setHidden(bob, true);
  await sendToRoom(ann, 'Bob, dinner at 8?');
  await bob.page.waitForFunction(() => window.notes.length > 0, null, { timeout: 10000 });
  const notes = await bob.page.evaluate(() => window.notes);
  assert.equal(notes.length, 1, JSON.stringify(notes));
  assert.equal(notes[0].title, 'Ann in Phone club');
  assert.equal(notes[0].body, 'New message', 'by default the words stay off the lock screen');
  assert.ok(notes[0].room.length > 10);
  // Bob chooses to see the words.
  await setHidden(bob, false);
  await openSettings(bob);
  await bob.page.getByRole('checkbox', { name: /Show the message's words in notifications/ }).check();
  await setHidden(bob, true);
  await sendToRoom(ann, 'Bring a salad');
  await bob.page.waitForFunction(() => window.notes.length > 1, null, { timeout: 10000 });
  assert.equal((await bob.page.evaluate(() => window.notes))[1].body, 'Bring a salad');
  await setHidden(bob, false);

  // Tapping it: Bob is looking at another room; the worker's tap handler brings him to
  // the room the notification is about. (Headless Chromium has no notification to tap,
  // so the handler the 'notificationclick' listener calls is called directly.)
  await openStart(bob);
  await bob.page.getByRole('textbox', { name: 'Room name' }).fill('Bob alone');
  await bob.page.getByRole('button', { name: 'Create room' }).click();
  await bob.page.getByRole('heading', { name: 'Bob alone' }).waitFor();
  const [worker] = bob.context.serviceWorkers();
  await worker.evaluate((room) => self.openRoom(room), notes[0].room);
  await bob.page.getByRole('heading', { name: 'Phone club' }).waitFor();
});

test('a room with its notifications turned off in its info sheet notifies nothing; on again, it does', async () => {
  await bob.page.getByRole('heading', { name: 'Phone club' }).waitFor();
  await openInfo(bob);
  const box = bob.page.getByRole('checkbox', { name: 'Notifications for this chat' });
  assert.ok(await box.isChecked(), 'on by default');
  await box.uncheck();
  await closeInfo(bob);
  const before = await bob.page.evaluate(() => window.notes.length);
  await setHidden(bob, true);
  await sendToRoom(ann, 'nobody needs to know');
  await bob.page.locator('.message', { hasText: 'nobody needs to know' }).waitFor();
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await bob.page.evaluate(() => window.notes.length), before);
  await setHidden(bob, false);
  await openInfo(bob);
  await box.check();
  await closeInfo(bob);
  await setHidden(bob, true);
  await sendToRoom(ann, 'this one rings');
  await bob.page.waitForFunction((n) => window.notes.length > n, before, { timeout: 10000 });
  await setHidden(bob, false);
});

test('a one-to-one message in the background notifies with its sender, a tap opens the conversation, and its switch silences it', async () => {
  const bobId = await myId(bob);
  await connect(ann, bobId);
  await Promise.all([waitConnected(ann, 'Bob'), acceptRequest(bob, 'Ann')]);
  const before = await bob.page.evaluate(() => window.notes.length);
  await setHidden(bob, true);
  await send(ann, 'psst, just you');
  await bob.page.waitForFunction((n) => window.notes.length > n, before, { timeout: 10000 });
  await setHidden(bob, false);
  const note = (await bob.page.evaluate(() => window.notes)).at(-1);
  assert.equal(note.title, 'Ann');
  assert.equal(note.body, 'psst, just you', 'the words, as Bob chose above');
  assert.ok(note.room.startsWith('peer:'), note.room);
  // Bob looks at the room; the tap brings him to the conversation.
  await bob.page.getByRole('button', { name: /^Phone club/ }).click();
  await bob.page.getByRole('heading', { name: 'Phone club' }).waitFor();
  const [worker] = bob.context.serviceWorkers();
  await worker.evaluate((tag) => self.openRoom(tag), note.room);
  await bob.page.getByRole('heading', { name: 'Chat with Ann' }).waitFor();
  // Turned off in the conversation's info sheet, nothing rings.
  await openInfo(bob);
  await bob.page.getByRole('checkbox', { name: 'Notifications for this chat' }).uncheck();
  await closeInfo(bob);
  const muted = await bob.page.evaluate(() => window.notes.length);
  await setHidden(bob, true);
  await send(ann, 'this one is quiet');
  await bob.page.locator('.message', { hasText: 'this one is quiet' }).waitFor();
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await bob.page.evaluate(() => window.notes.length), muted);
  await setHidden(bob, false);
  // Both back in the room for what follows.
  for (const d of [ann, bob]) {
    await openStart(d);
    await d.page.getByRole('button', { name: /^Phone club/ }).click();
    await d.page.getByRole('heading', { name: 'Phone club' }).waitFor();
  }
});

test('screenshots of the main screens at phone size (light and dark) and desktop size, with enough contrast', async () => {
  const page = bob.page;
  if ((await page.locator('details.start').getAttribute('open')) !== null) {
    await page.locator('details.start > summary').click();
  }
  await sendToRoom(bob, 'See you there!');
  await ann.page.getByRole('textbox', { name: 'Message' }).pressSequentially('On my', { delay: 50 });
  await page.getByText('Ann is typing…', { exact: true }).waitFor({ timeout: 10000 });
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width: 360, height: 640 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator('.room .messages').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await screenshot(page, `room-phone-${scheme}.png`);
    assert.deepEqual(await lowContrast(page), [], `text below WCAG AA contrast (${scheme})`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
  await screenshot(page, 'room-desktop.png');
  // Reopening: the greeting and the passphrase, in another tab of Bob's browser.
  const tab = await bob.context.newPage();
  await tab.setViewportSize({ width: 360, height: 640 });
  await tab.goto(web.url);
  await tab.getByRole('heading', { name: 'Welcome back, Bob!' }).waitFor();
  await screenshot(tab, 'unlock-phone-light.png');
  assert.deepEqual(await lowContrast(tab), [], 'unlock screen, light');
  await tab.emulateMedia({ colorScheme: 'dark' });
  await screenshot(tab, 'unlock-phone-dark.png');
  assert.deepEqual(await lowContrast(tab), [], 'unlock screen, dark');
  await tab.close();
});

test('a tap that starts the app, or comes while it is locked, opens its room once unlocked', async () => {
  // A second room Bob is in, and its id, from a notification about it.
  const second = await createRoom(ann, 'Second club');
  await bob.page.goto(second);
  await bob.page.getByRole('heading', { name: 'Second club', exact: true }).waitFor();
  await waitOnline(bob, 2);
  await setHidden(bob, true);
  await sendToRoom(ann, 'in the second club');
  await bob.page.waitForFunction(() => window.notes.some((n) => n.body === 'in the second club'), null, { timeout: 10000 });
  const notes = await bob.page.evaluate(() => window.notes);
  const ids = {
    'Phone club': notes.find((n) => n.title === 'Ann in Phone club').room,
    'Second club': notes.find((n) => n.body === 'in the second club').room,
  };
  const shown = () => bob.page.locator('#room-title').textContent({ timeout: 15000 });

  // With no tap, unlocking shows one room; the tap asks for another.
  await bob.page.reload();
  await unlock(bob);
  const target = (await shown()) === 'Second club' ? 'Phone club' : 'Second club';

  // While locked: the tap waits for the passphrase.
  await bob.page.reload();
  await bob.page.getByRole('button', { name: 'Unlock' }).waitFor();
  const [worker] = bob.context.serviceWorkers();
  await worker.evaluate((room) => self.openRoom(room), ids[target]);
  await unlock(bob);
  await bob.page.getByRole('heading', { name: target, exact: true }).waitFor();

  // App closed: the worker opens it with the room in the address (what openWindow gets;
  // headless Chromium lets a worker open windows only from a real notification click).
  await bob.page.close();
  bob.page = await bob.context.newPage();
  await bob.page.goto(`${web.url}#open=${encodeURIComponent(ids[target])}`);
  await unlock(bob);
  await bob.page.getByRole('heading', { name: target, exact: true }).waitFor();
  assert.equal(new URL(bob.page.url()).hash, '', 'the address is clean again');
  assert.equal(await bob.page.getByText('This invite link cannot be used').count(), 0);
});
