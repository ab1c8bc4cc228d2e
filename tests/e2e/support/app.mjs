// What a user does in PeerChat, by role and accessible name, as a screen reader would.
import assert from 'node:assert/strict';

export const ONLINE = 'Online: friends can reach you.';

export async function openApp(device, url) {
  await device.page.goto(url);
}

/** First run: open the app, type a name, press Start chatting. */
export async function chooseName(device, url, name) {
  await openApp(device, url);
  await device.page.getByRole('textbox', { name: 'Your name' }).fill(name);
  await device.page.getByRole('button', { name: 'Start chatting' }).click();
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

/** Unfolds "Start a chat" (folded while a chat is on screen). */
export async function openStart(device) {
  const start = device.page.locator('details.start');
  if ((await start.getAttribute('open')) === null) await start.locator('summary').click();
}

export async function connect(device, id) {
  await openStart(device);
  await device.page.getByRole('textbox', { name: "Friend's ID" }).fill(id);
  await device.page.getByRole('button', { name: 'Connect' }).click();
}

export async function waitConnected(device, peerName, timeout = 30000) {
  await device.page.locator('.conversation-status', { hasText: `Connected to ${peerName}.` }).waitFor({ timeout });
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
    if (Date.now() > end) throw new Error(`${device.name}: ${got.length}/${count} messages from ${from}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates a private room; returns its invite link. */
export async function createRoom(device, name) {
  await openStart(device);
  await device.page.getByRole('textbox', { name: 'Room name' }).fill(name);
  await device.page.getByRole('button', { name: 'Create room' }).click();
  await device.page.getByRole('heading', { name }).waitFor();
  await device.page.getByText('Invite people').click();
  return (await device.page.locator('#invite-link').textContent()).trim();
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
