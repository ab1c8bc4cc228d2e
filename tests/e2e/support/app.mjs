// What a user does in PeerChat, by role and accessible name, as a screen reader would.
import assert from 'node:assert/strict';

import { launchDevice } from './browsers.mjs';

export const ONLINE = 'Online: friends can reach you.';

export async function openApp(device, url) {
  await device.page.goto(url);
}

/** The passphrase every simulated user picks unless a test says otherwise. */
export const PASSPHRASE = 'correct horse battery';

/** First-run form: a name and a passphrase typed twice, then Start chatting. */
export async function fillSetup(page, name, passphrase = PASSPHRASE) {
  await page.getByRole('textbox', { name: 'Your name' }).fill(name);
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Passphrase again').fill(passphrase);
  await page.getByRole('button', { name: 'Start chatting' }).click();
}

/** First run: open the app, choose a name and a passphrase. */
export async function chooseName(device, url, name, passphrase = PASSPHRASE) {
  await openApp(device, url);
  await fillSetup(device.page, name, passphrase);
}

/** Later runs: the app greets the user and asks for the passphrase. */
export async function unlock(device, passphrase = PASSPHRASE, page = device.page) {
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

/** First run, then wait until registered with the broker; returns the ID shown. */
export async function join(device, url, name) {
  await chooseName(device, url, name);
  await waitForBroker(device, ONLINE);
  return myId(device);
}

export async function waitForBroker(device, text, timeout = 15000) {
  await device.page.locator('.broker-status', { hasText: text }).waitFor({ timeout });
}

export async function myId(device) {
  const id = (await device.page.locator('#my-id').textContent()).trim();
  assert.ok(id.length > 0, 'the app shows its ID');
  return id;
}

/** Unfolds "New chat" (folded while a chat is on screen), from the list of chats. */
export async function openStart(device) {
  // On a phone the open chat hides the list: back to it first (once the app is open).
  await device.page.locator('.shell').waitFor();
  if (!(await device.page.locator('.list-pane').isVisible())) {
    await device.page.getByRole('button', { name: 'Back to chats' }).click();
  }
  const start = device.page.locator('details.start');
  // Touching New chat first keeps it: chats the app reads back from the device right
  // after it opens no longer fold it away (they did, now and then, under a fast test).
  await start.locator('summary').focus();
  if ((await start.getAttribute('open')) === null) await start.locator('summary').click();
}

/**
 * Adds `note` to error `e`, in its message and in its stack: Playwright wrote the stack
 * from the message already, and the test reporter prints the stack at a terminal, the
 * message in CI. Returns `e`.
 */
export function addNote(e, note) {
  // Read first: V8 writes an error's stack out when it is first read, from the message then.
  const [before, stack] = [e.message, e.stack];
  e.message += note;
  if (typeof stack === 'string' && stack.includes(before)) e.stack = stack.replace(before, e.message);
  return e;
}

/** Adds what `device` showed (`shown`) and the last lines its page printed to error `e`. */
export function explain(e, device, shown) {
  return addNote(e, `\n${device.name} shows ${shown}; console ${JSON.stringify(device.printed?.slice(-20))}`);
}

/**
 * Opens the chat called `name` from the list of chats and waits for its heading; a
 * failure says what the screen showed instead.
 */
export async function openChat(device, name, timeout = 30000) {
  // On a phone an open chat hides the list: back to it first (once the app is open).
  // Until the user picks a chat, one read back from the device may still take the
  // screen (see `ChatState::may_show_unasked`): just after unlock, the list can hide
  // between the look and the click, so a click that finds it hidden looks again.
  await device.page.locator('.shell').waitFor();
  const end = Date.now() + timeout;
  for (;;) {
    if (!(await device.page.locator('.list-pane').isVisible())) {
      await device.page.getByRole('button', { name: 'Back to chats' }).click();
    }
    try {
      await device.page.locator('.chat-list').getByText(name).first().click({ timeout: 2000 });
      break;
    } catch (e) {
      if (Date.now() > end) throw e;
    }
  }
  try {
    await device.page.getByRole('heading', { name }).waitFor({ timeout });
  } catch (e) {
    const headings = await device.page.getByRole('heading').allTextContents().catch(() => []);
    const list = await device.page.locator('.chat-list li').allTextContents().catch(() => []);
    throw explain(e, device, `headings ${JSON.stringify(headings)}; chats ${JSON.stringify(list)}`);
  }
}

/** Opens Settings from the list of chats (the ⚙ button in its bar). */
export async function openSettings(device) {
  await device.page.locator('.shell').waitFor();
  if (!(await device.page.locator('.list-pane').isVisible())) {
    await device.page.getByRole('button', { name: 'Back to chats' }).click();
  }
  await device.page.locator('.list-bar').getByRole('button', { name: 'Settings', exact: true }).click();
  await device.page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
}

export async function connect(device, id) {
  await openStart(device);
  await device.page.getByRole('textbox', { name: "Friend's ID" }).fill(id);
  await device.page.getByRole('button', { name: 'Connect', exact: true }).click();
}

export async function waitConnected(device, peerName, timeout = 30000) {
  const status = device.page.locator('.conversation-status');
  try {
    await status.filter({ hasText: `Connected to ${peerName}.` }).waitFor({ timeout });
  } catch (e) {
    // Say what the user saw instead, so a failure explains itself.
    const shown = await status.allTextContents().catch(() => []);
    const broker = await device.page.locator('.broker-status').allTextContents().catch(() => []);
    throw explain(e, device, `${JSON.stringify(shown)}; broker ${JSON.stringify(broker)}`);
  }
}

/**
 * Accepts the message request from `peerName` (someone this device never talked to who
 * called it): opens it from the list of chats if another screen is open, presses Accept,
 * and waits until the conversation is connected.
 */
export async function acceptRequest(device, peerName, timeout = 30000) {
  const page = device.page;
  const bar = page.locator('.request-bar', { hasText: peerName });
  const item = page.locator('.chat-item', { hasText: peerName }).filter({ has: page.locator('.request-badge') });
  await bar.or(item).first().waitFor({ timeout });
  if (!(await bar.isVisible())) {
    if (!(await page.locator('.list-pane').isVisible())) {
      await page.getByRole('button', { name: 'Back to chats' }).click();
    }
    await item.first().click();
  }
  await bar.getByRole('button', { name: 'Accept' }).click();
  await waitConnected(device, peerName, timeout);
}

export async function send(device, text) {
  await device.page.getByRole('textbox', { name: 'Message' }).fill(text);
  await device.page.getByRole('button', { name: 'Send' }).click();
}

/** The messages on screen, as {from, text}. */
export async function messages(device) {
  return device.page.locator('.messages li.message').evaluateAll((lis) =>
    lis.filter((li) => li.querySelector('.from') && li.querySelector('.text')).map((li) => ({
      from: li.querySelector('.from').textContent,
      text: li.querySelector('.text').textContent,
      at: li.querySelector('.at')?.textContent,
    })));
}

/** Waits until `count` messages from `from` are on screen. */
export async function waitForMessages(device, from, count, timeout = 30000) {
  const end = Date.now() + timeout;
  for (;;) {
    const got = (await messages(device)).filter((m) => m.from === from);
    if (got.length >= count) return got;
    if (Date.now() > end) throw new Error(`${device.name}: ${got.length}/${count} messages from ${from}\n${await diagnose(device)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What a device's rooms did (dials, hellos, backfill frames…) and the last lines its page
 * printed, for a failing test to explain itself. */
export async function diagnose(device) {
  const stats = await device.page.evaluate(() => window.peerchatRoomStats?.()).catch((e) => `unreadable: ${e.message}`);
  return `${device.name}: rooms ${stats}; console ${JSON.stringify(device.printed?.slice(-20))}`;
}

/** Opens the info sheet of the chat on screen (members, invite, history, details). */
export async function openInfo(device) {
  const button = device.page.locator('.chat-bar .info-button');
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
}

/** Closes the info sheet of the chat on screen. */
export async function closeInfo(device) {
  const button = device.page.locator('.chat-bar .info-button');
  if ((await button.getAttribute('aria-expanded')) === 'true') await button.click();
}

/** Creates a private room; returns its invite link (read from the room's info sheet). */
export async function createRoom(device, name) {
  await openStart(device);
  await device.page.getByRole('textbox', { name: 'Room name' }).fill(name);
  await device.page.getByRole('button', { name: 'Create room' }).click();
  await device.page.getByRole('heading', { name }).waitFor();
  await openInfo(device);
  await device.page.getByText('Invite people').click();
  const link = (await device.page.locator('#invite-link').textContent()).trim();
  await closeInfo(device);
  return link;
}

/** Waits until the room on screen shows `count` members online, counting the user. */
export async function waitOnline(device, count, timeout = 30000) {
  await device.page.waitForFunction(
    (n) => document.querySelectorAll('.room .members .member.online').length === n,
    count, { timeout, polling: 100 });
}

/** Sends to the room on screen, to everyone or privately to the member named `to`. */
export async function sendToRoom(device, text, to) {
  const page = device.page;
  await page.getByRole('combobox', { name: 'Send to' }).selectOption(to ? { label: `${to} (private)` } : { label: 'Everyone' });
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

/**
 * Opens the connection details of the conversation on screen, or of the room member named
 * `member`, and waits until they show `wanted` (text or a RegExp); returns what they say.
 */
export async function connectionDetails(device, { member, wanted, timeout = 15000 } = {}) {
  const scope = member
    ? device.page.locator('.room .members .member', { hasText: member })
    : device.page.locator('.conversation');
  const panel = scope.locator('details.connection-details');
  try {
    await device.page.locator('.chat-bar .info-button').waitFor({ timeout });
    await openInfo(device);
    await panel.waitFor({ timeout });
    if ((await panel.getAttribute('open')) === null) await panel.locator('summary').click();
    await panel.filter({ hasText: wanted }).waitFor({ timeout });
  } catch (e) {
    const shown = await (member ? device.page.locator('.room .members') : scope).innerText({ timeout: 1000 }).catch(() => '');
    throw explain(e, device, JSON.stringify(shown));
  }
  return panel.innerText();
}

/**
 * Every IndexedDB record of the app's database, read from the page, as
 * [store, key, value as Latin-1 text] rows (bytes kept one per character, so a search
 * for a UTF-8 or ASCII word finds it if it is there in the clear), plus localStorage.
 */
export async function dumpStorage(page) {
  return page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const req = indexedDB.open('peerchat');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const rows = [];
    for (const name of db.objectStoreNames) {
      const store = db.transaction(name).objectStore(name);
      const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()].map((r) =>
        new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); })));
      keys.forEach((k, i) => {
        const v = values[i];
        const bytes = v instanceof Uint8Array ? v : new Uint8Array(v.buffer ?? v);
        rows.push([name, String(k), Array.from(bytes, (b) => String.fromCharCode(b)).join('')]);
      });
    }
    db.close();
    const local = Object.entries(localStorage).map(([k, v]) => ['localStorage', k, v]);
    return { rows, local };
  });
}

/** The room's History panel (in its info sheet), unfolded. */
export async function openHistoryTools(device) {
  await openInfo(device);
  const tools = device.page.locator('details.history-tools');
  if ((await tools.getAttribute('open')) === null) await tools.locator('summary').click();
}

/** Pages in every older stored message of the room on screen. */
export async function showAllHistory(device) {
  const older = device.page.getByRole('button', { name: 'Show older messages' });
  const oldest = '.room .messages li:not(.older):not(.day)';
  for (let pages = 0; pages < 100 && (await older.count()) > 0; pages++) {
    const before = await device.page.locator(oldest).first().textContent();
    await older.click();
    // Done when a page went on top, or there was none left. (Counting lines is not
    // enough: live lines arriving meanwhile go at the bottom.)
    await device.page.waitForFunction(([sel, before]) =>
      document.querySelector(sel)?.textContent !== before
        || !document.querySelector('.room .messages li.older'), [oldest, before]);
  }
}

/**
 * Text on screen whose contrast with its background is below WCAG AA (4.5:1, or 3:1 for
 * large text), as [text, ratio] pairs.
 */
export async function lowContrast(page) {
  return page.evaluate(() => {
    const rgb = (s) => (s.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]) => {
      const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
      }
      return [255, 255, 255];
    };
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      const box = el.getBoundingClientRect();
      if (!own || box.width === 0 || box.height === 0) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || el.closest('[aria-hidden="true"]')) continue;
      if (el.matches(':disabled')) continue; // WCAG exempts inactive controls
      const [a, b] = [lum(rgb(style.color)), lum(background(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push([el.textContent.trim().slice(0, 40), Number(ratio.toFixed(2))]);
    }
    return out;
  });
}

/** Attaches a file in the open chat: `file` is {name, mimeType, buffer}. */
export async function attachFile(device, file) {
  const input = device.page.locator('#message-input-attach');
  // Enabled while the chat is connected (a link being set up again takes a while).
  await device.page.waitForFunction((el) => !el.disabled, await input.elementHandle(), { timeout: 60000 });
  await input.setInputFiles(file);
}

/** Attaches the file at path `at` in the room on screen (enabled once it can send). */
export async function attachInRoom(device, at) {
  const input = device.page.locator('#room-message-attach');
  await device.page.waitForFunction((el) => !el.disabled, await input.elementHandle(), { timeout: 60000 });
  await input.setInputFiles(at);
}

/** The card of the file called `name` in the open chat (the newest one). */
export function fileCard(device, name) {
  return device.page.locator('.file-card', { hasText: name }).last();
}

/**
 * Waits until the card of the file called `name` in the chat on screen says `says`
 * (exactly, unless `exact` is false); on a timeout the error tells what every file card
 * of the page said instead, and the page's last lines, so a failure explains itself.
 */
export async function cardSays(device, name, says, { timeout = 30000, exact = true } = {}) {
  try {
    await fileCard(device, name).getByText(says, { exact }).waitFor({ timeout });
  } catch (e) {
    const cards = await device.page.locator('.file-card').allInnerTexts().catch(() => []);
    const headings = await device.page.getByRole('heading').allTextContents().catch(() => []);
    throw explain(e, device, `headings ${JSON.stringify(headings)}; file cards ${JSON.stringify(cards)}`);
  }
}

/**
 * Deletes the files of the chat on screen from its History tools, once they say it
 * keeps `kept` (such as 'Files: 1'), and waits until they say none are kept.
 */
export async function deleteChatFiles(device, kept) {
  await openHistoryTools(device);
  const space = device.page.locator('.files-space');
  await space.getByText(kept).waitFor({ timeout: 10000 });
  // The button asks to be pressed again to confirm.
  await space.getByRole('button', { name: 'Delete files' }).click();
  await space.getByRole('button', { name: 'Delete files' }).click();
  await space.getByText('No files kept here.').waitFor({ timeout: 10000 });
}

/**
 * The card of the file called `name` in the chat on screen says it was removed (or
 * what `says`, such as 'Cancelled.'), and offers neither Save nor a preview (the file may
 * still be here for another chat).
 */
export async function removedHere(device, name, says = 'Removed from this device.') {
  const card = fileCard(device, name);
  await cardSays(device, name, says, { timeout: 15000 });
  // A Save drawn from an earlier state would show within a frame or two.
  await device.page.waitForTimeout(500);
  assert.equal(await card.locator('.file-save, img.thumb').count(), 0, `nothing to save of ${name} in this chat`);
}

/** SHA-256 (hex) of the file called `name` as its Save link gives it, once it can be saved. */
export async function savedSha256(device, name, timeout = 60000) {
  const save = fileCard(device, name).locator('.file-save');
  await save.waitFor({ timeout });
  const [download] = await Promise.all([device.page.waitForEvent('download'), save.click()]);
  const { createHash } = await import('node:crypto');
  const { readFile } = await import('node:fs/promises');
  return createHash('sha256').update(await readFile(await download.path())).digest('hex');
}

/** Closes a device's browser outright and opens it again on the same profile, at the
 * unlock screen; returns the new device. `prepare` readies the new device before the app
 * loads (init scripts, listeners). */
export async function relaunch(device, url, origin, prepare = async () => {}) {
  await device.kill();
  const again = await launchDevice(device.name, { origin, profile: device.profile });
  await prepare(again);
  await again.page.goto(url);
  await again.page.getByRole('heading', { name: `Welcome back, ${device.name}!` }).waitFor();
  return again;
}
