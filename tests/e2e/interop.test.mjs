// The official peerjs 1.5.5 client talks to a PeerChat user through the same PeerServer.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { appServer, localConfig, officialPeerjsRoutes, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import { acceptRequest, join, send, waitConnected, waitForMessages } from './support/app.mjs';

let broker, web, chatter, official, chatterId;

before(async () => {
  broker = await peerServer();
  web = await appServer({
    config: localConfig(broker.port),
    extra: await officialPeerjsRoutes(),
  });
  const origin = new URL(web.url).origin;
  [chatter, official] = await Promise.all([
    launchDevice('peerchat', { origin }),
    launchDevice('official', { origin }),
  ]);
  chatterId = await join(chatter, web.url, 'Carol');
  await official.page.goto(new URL('official.html', web.url).href);
});

after(async () => {
  await Promise.all([chatter?.destroy(), official?.destroy()]);
  await web?.close();
  await broker?.stop();
});

/** Opens a DataConnection from the official client; resolves once open (or on refusal). */
async function officialConnect(serialization) {
  return official.page.evaluate(async ({ target, port, serialization }) => {
    const Peer = window.Peer ?? window.peerjs.Peer;
    const peer = new Peer({ host: '127.0.0.1', port, path: '/', key: 'peerjs', secure: false,
      config: { iceServers: [] } });
    await new Promise((resolve, reject) => { peer.on('open', resolve); peer.on('error', reject); });
    const conn = peer.connect(target, { serialization, reliable: true });
    // This connection's own record: a connection of an earlier test that closes or
    // receives later does not write into it.
    const heard = { received: [], closed: false };
    window.heard = heard;
    conn.on('data', (d) => heard.received.push(d));
    conn.on('close', () => { heard.closed = true; });
    await new Promise((resolve, reject) => { conn.on('open', resolve); conn.on('error', reject); });
    window.conn = conn;
    return peer.id;
  }, { target: chatterId, port: broker.port, serialization });
}

/** What the official client's latest connection received, once `predicate` holds. */
async function officialReceived(predicate, { timeout = 30000, what = 'json' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const got = await official.page.evaluate(() => window.heard);
    if (predicate(got)) return got;
    if (Date.now() > end) throw new Error(`official client (${what}) got ${JSON.stringify(got)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a "json" DataConnection from the official client chats both ways', async () => {
  const officialId = await officialConnect('json');
  await waitConnected(chatter, officialId);
  // PeerChat greets first; then the official client sends our schema and a bare string.
  const { received } = await officialReceived((g) => g.received.length >= 1);
  const { key, sig, ...hello } = received[0];
  assert.deepEqual(hello, { kind: 'hello', name: 'Carol', app: 'peerchat', v: 3 });
  assert.match(key, /^[A-Za-z0-9_-]{43}$/, 'with the sender key');
  assert.match(sig, /^[A-Za-z0-9_-]{86}$/, 'and its signature');
  await official.page.evaluate(() => {
    window.conn.send({ kind: 'hello', name: 'Olivia', app: 'peerjs-page', v: 1 });
    window.conn.send({ kind: 'text', id: 'x1', seq: 1, ts: Date.now(), text: 'hello from peerjs' });
    window.conn.send('a plain string');
    window.conn.send('a plain string');
  });
  // Bare strings carry no id; each is its own message all the same.
  const shown = await waitForMessages(chatter, 'Olivia', 3);
  assert.deepEqual(shown.map((m) => m.text), ['hello from peerjs', 'a plain string', 'a plain string']);
  // Carol never talked to this client: its chat is a request she accepts to answer.
  await acceptRequest(chatter, 'Olivia');
  await send(chatter, 'hello back from PeerChat');
  const got = await officialReceived((g) => g.received.some((d) => d.kind === 'text'));
  const text = got.received.find((d) => d.kind === 'text');
  assert.equal(text.text, 'hello back from PeerChat');
  assert.equal(text.seq, 1);
  assert.match(text.id, /^[0-9a-f]{24}$/);
});

test('a connection in another serialization gets a refusal it can read, then closes', async () => {
  for (const serialization of ['binary', 'raw']) {
    await officialConnect(serialization);
    const got = await officialReceived((g) => g.closed && g.received.length > 0, { what: serialization });
    assert.match(String(got.received[0]), /only speaks serialization "json"/, serialization);
  }
});
