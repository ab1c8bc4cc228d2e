// The two apps the benchmark compares, behind one interface: what a user does in each
// (set up, connect to an id, open a room invite) and where each shows what the
// benchmark watches (conversation status, members online, message lines).
const PASSPHRASE = 'correct horse battery';
const ONLINE = 'Online: friends can reach you.';

const inPage = {
  /** Opens an invite link in the running page (same document: the fragment changes). */
  openLink: (url) => {
    window.__bench.marks.open = window.__bench.now();
    location.href = url;
  },
  /** The peerjs page's room: dial every id given. */
  dial: (ids) => {
    window.__bench.marks.open = window.__bench.now();
    window.benchJoin(ids);
  },
};

async function waitOnlineWithBroker(page, timeout) {
  await page.locator('.broker-status', { hasText: ONLINE }).waitFor({ timeout });
  const id = (await page.locator('#my-id').textContent()).trim();
  if (!id) throw new Error('no ID shown');
  return id;
}

export const peerchat = {
  key: 'peerchat',
  label: 'PeerChat',
  /** The first screen: the name-and-passphrase form (first run) or unlock (later). */
  firstScreen: 'input[type=password]',
  url: (web) => web.url,
  async afterColdLoad(page) {
    // The warm load is the one the service worker serves.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  },
  /** First run: a name and a passphrase; resolves with the ID once registered. */
  async setup(device, web, name) {
    const { page } = device;
    await page.goto(web.url);
    await page.getByRole('textbox', { name: 'Your name' }).fill(name);
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByLabel('Passphrase again').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Start chatting' }).click();
    return waitOnlineWithBroker(page, 60000);
  },
  /** Types the friend's ID; `click()` then presses Connect. */
  async prepareConnect(device, id) {
    const { page } = device;
    const start = page.locator('details.start');
    if ((await start.getAttribute('open')) === null) await start.locator('summary').click();
    await page.getByRole('textbox', { name: "Friend's ID" }).fill(id);
    return () => page.getByRole('button', { name: 'Connect', exact: true }).click();
  },
  /** Later runs: types the passphrase; `click()` then presses Unlock. */
  async prepareUnlock(device) {
    const { page } = device;
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    return () => page.getByRole('button', { name: 'Unlock' }).click();
  },
  /**
   * The callee accepts the caller's message request: a chat from someone never talked to
   * keeps at most 50 messages until then (the connect figure is taken before this).
   */
  async acceptRequest(device) {
    const { page } = device;
    const bar = page.locator('.request-bar');
    const item = page.locator('.chat-item').filter({ has: page.locator('.request-badge') });
    await bar.or(item).first().waitFor({ timeout: 30000 });
    if (!(await bar.isVisible())) await item.first().click();
    await bar.getByRole('button', { name: 'Accept' }).click();
    await bar.waitFor({ state: 'detached', timeout: 30000 });
  },
  statusSelector: '.conversation-status',
  onlineSelector: '.room .members .member.online',
  /** Creates a room; returns what joiners are given (the invite link). */
  async createRoom(device) {
    const { page } = device;
    const start = page.locator('details.start');
    if ((await start.getAttribute('open')) === null) await start.locator('summary').click();
    await page.getByRole('textbox', { name: 'Room name' }).fill('Bench room');
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('heading', { name: 'Bench room' }).waitFor();
    // The invite is in the room's info sheet (since the phone layout).
    const info = page.locator('.chat-bar .info-button');
    if ((await info.getAttribute('aria-expanded')) !== 'true') await info.click();
    await page.getByText('Invite people').click();
    return (await page.locator('#invite-link').textContent()).trim();
  },
  /** Opens the invite (the ids to dial are for the peerjs page; PeerChat learns them). */
  async openInvite(device, invite) {
    await device.page.evaluate(inPage.openLink, invite);
  },
};

export const peerjs = {
  key: 'peerjs',
  label: 'PeerJS',
  firstScreen: 'form.composer',
  url: (web, broker) => `${web.url}peerjs/?host=127.0.0.1&port=${broker.port}&key=${broker.key}`,
  async afterColdLoad() {},
  /** The peerjs page takes every call. */
  async acceptRequest() {},
  async setup(device, web, _name, broker) {
    await device.page.goto(this.url(web, broker));
    return waitOnlineWithBroker(device.page, 60000);
  },
  async prepareConnect(device, id) {
    const { page } = device;
    await page.locator('#friend-id').fill(id);
    return () => page.getByRole('button', { name: 'Connect', exact: true }).click();
  },
  statusSelector: '.conversation-status',
  onlineSelector: '.room .members .member.online',
  async createRoom() {
    return null;
  },
  async openInvite(device, _invite, ids) {
    await device.page.evaluate(inPage.dial, ids);
  },
};

export const APPS = [peerchat, peerjs];
