// A hostile member's tools: room frames made in Node from nothing but the invite link
// (as any member could), and a tap on a page's data channels to put them on the wire.
// Everything here follows PROTOCOL.md ("Rooms", "Sealed frames", "Signatures in rooms")
// byte for byte, so that a frame the app drops is dropped for what it claims, not for
// how it is written.
import { after, before } from 'node:test';
import { createCipheriv, createDecipheriv, generateKeyPairSync, hkdfSync, randomBytes, sign } from 'node:crypto';

import { unlock } from './app.mjs';
import { launchDevice } from './browsers.mjs';
import { appServer, localConfig, officialPeerjsRoutes, peerServer } from './servers.mjs';

/**
 * For a test file: a PeerServer and the app on loopback (with the official peerjs page at
 * `/official.html` when `official`), and Ann, Ben and Cat's browsers, Cat's channels
 * tapped; all closed after the file's tests. Returns `{ broker, web, origin }`, set once
 * they run; the browsers go into `devices`.
 */
export function hostileRoomRig(devices, { official = false } = {}) {
  const rig = {};
  before(async () => {
    rig.broker = await peerServer();
    rig.web = await appServer({ config: localConfig(rig.broker.port), extra: official ? await officialPeerjsRoutes() : {} });
    rig.origin = new URL(rig.web.url).origin;
    for (const name of ['Ann', 'Ben', 'Cat']) devices[name] = await launchDevice(name, { origin: rig.origin });
    // Before Cat's page loads, so that every channel her app opens is within reach.
    await devices.Cat.context.addInitScript(tapChannels);
  });
  after(async () => {
    await Promise.all(Object.values(devices).map((d) => d.destroy()));
    await rig.web?.close();
    await rig.broker?.stop();
  });
  return rig;
}

/**
 * Ben and Cat leave (so nobody can send anything back) and Ann's browser restarts on the
 * same profile, unlocked, with the room `room` on screen: it shows what her storage holds.
 */
export async function annAloneFromStorage(devices, rig, room) {
  const { Ann, Ben, Cat } = devices;
  await Promise.all([Ben.close(), Cat.close()]);
  await Ann.close();
  const again = (devices.Ann = await launchDevice('Ann', { origin: rig.origin, profile: Ann.profile }));
  await again.page.goto(rig.web.url);
  await unlock(again);
  await again.page.getByRole('heading', { name: room }).waitFor();
  return again;
}

/** The tapped page's one open channel to `peer` (duplicate links close soon after they meet). */
export async function oneChannelTo(page, peer) {
  const end = Date.now() + 10000;
  for (;;) {
    const labels = await channelsTo(page, peer);
    if (labels.length === 1) return labels;
    if (Date.now() > end) throw new Error(`${labels.length} open channels to ${peer}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The room key and id every member derives from the invite link's secret. */
export function roomKeys(invite) {
  const secret = Buffer.from(new URL(invite).hash.match(/room=([^&]+)/)[1], 'base64url');
  const expand = (label, length) => Buffer.from(hkdfSync('sha256', secret, 'peerchat/room/v1', label, length));
  return { key: expand('seal key', 32), roomId: expand('room id', 16).toString('hex') };
}

// The envelope's three parts go on the wire as standard base64 without padding.
const b64 = (bytes) => Buffer.from(bytes).toString('base64').replace(/=+$/, '');

/** `plain` (a frame's json text) sealed as a member would: AES-256-GCM, room id as AAD. */
export function seal({ key, roomId }, plain, nonce = randomBytes(12)) {
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(Buffer.from(roomId));
  const c = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return JSON.stringify({ v: 1, n: b64(nonce), c: b64(c) });
}

/** What a sealed frame says (json text), or null when it is not one of this room's. */
export function unseal({ key, roomId }, wire) {
  try {
    const { v, n, c } = JSON.parse(wire);
    const bytes = Buffer.from(c, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(n, 'base64')).setAAD(Buffer.from(roomId));
    decipher.setAuthTag(bytes.subarray(-16));
    return v === 1 ? Buffer.concat([decipher.update(bytes.subarray(0, -16)), decipher.final()]).toString('utf8') : null;
  } catch {
    return null;
  }
}

/** A transcript (app/identity/src/transcript.rs): each field after its 4-byte BE length. */
function transcript(domain, ...fields) {
  return Buffer.concat([domain, ...fields].flatMap((f) => {
    const bytes = typeof f === 'bigint' ? Buffer.alloc(8) : Buffer.from(f);
    if (typeof f === 'bigint') bytes.writeBigUInt64BE(f);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    return [len, bytes];
  }));
}

/** A fresh Ed25519 key: it signs validly, but it is nobody's in the room. */
export function stranger() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { key: publicKey.export({ format: 'jwk' }).x, privateKey };
}

/**
 * A room message (`text` body) in `author`'s name, signed by `signer` over
 * `peerchat/room-text/v1` as `signing::text_transcript` lays it out. `seq` is a BigInt,
 * so numbers past 2^53 survive (and `ts`, now unless given); `sig` replaces the signature when
 * given.
 */
export function signedText(roomId, signer, { author, seq, name, text, sig, ts = BigInt(Date.now()) }) {
  const id = randomBytes(12).toString('hex');
  const words = transcript('peerchat/room-text/v1', roomId, author, Buffer.from(signer.key, 'base64url'), seq, ts, id, name, text);
  sig ??= sign(null, words, signer.privateKey).toString('base64url');
  return { id, author, seq, ts, text, name, signed: { key: signer.key, sig } };
}

/** JSON text in which BigInts are written as the exact numbers they are. */
export function toJson(value) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `\u0000${v}` : v)).replace(/"\\u0000(\d+)"/g, '$1');
}

/**
 * For `context.addInitScript`: keeps every data channel the page opens or is offered in
 * `window.__channels` (with the first frames heard on it), from the broker's OFFERs
 * each connection's other end in `window.__peerOf` (a channel's label is its connection
 * id, the other end's peer id travels only in signaling), and the hellos the page put
 * in its ANSWERs in `window.__answerHellos` (a member's hello goes there, not on the
 * link, when the caller reads it there).
 */
export function tapChannels() {
  window.__channels = [];
  window.__peerOf = {};
  window.__answerHellos = {};
  const keep = (channel) => {
    // The first frames heard and said on it, and every byte heard.
    const tapped = { channel, heard: [], said: [], bytesHeard: 0 };
    window.__channels.push(tapped);
    const text = (bytes) => (typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
    channel.addEventListener('message', async ({ data }) => {
      const bytes = data instanceof Blob ? await data.arrayBuffer() : data;
      tapped.bytesHeard += typeof bytes === 'string' ? bytes.length : bytes.byteLength;
      if (tapped.heard.length < 20) tapped.heard.push(text(bytes));
    });
    const send = channel.send.bind(channel);
    channel.send = (data) => {
      if (tapped.said.length < 20 && typeof data !== 'string') tapped.said.push(text(data));
      return send(data);
    };
  };
  const PeerConnection = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends PeerConnection {
    constructor(...args) {
      super(...args);
      this.addEventListener('datachannel', (e) => keep(e.channel));
    }

    createDataChannel(...args) {
      const channel = super.createDataChannel(...args);
      keep(channel);
      return channel;
    }
  };
  const note = (text, end) => {
    try {
      const m = JSON.parse(text);
      if (m.type === 'OFFER') window.__peerOf[m.payload.connectionId] = m[end];
      const hello = m.payload?.metadata?.hello;
      if (m.type === 'ANSWER' && end === 'dst' && hello) {
        window.__answerHellos[m.payload.connectionId] = JSON.stringify(hello);
      }
    } catch {
      // a heartbeat or binary: not an offer
    }
  };
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => note(e.data, 'src'));
    }

    send(data) {
      note(data, 'dst');
      super.send(data);
    }
  };
}

/**
 * What the tapped page's app said first on channel `label` (its hello in the answer that
 * set the channel up counts as said first), opened with the room's keys.
 */
export async function said(page, label, keys) {
  const frames = await page.evaluate((label) => [
    ...(label in window.__answerHellos ? [window.__answerHellos[label]] : []),
    ...(window.__channels.find((c) => c.channel.label === label)?.said ?? []),
  ], label);
  return frames.map((f) => unseal(keys, f)).filter(Boolean).flatMap((plain) => {
    try {
      return [JSON.parse(plain)];
    } catch {
      return []; // what a test sent through the same channel
    }
  });
}

/** Bytes the tapped page has heard on channel `label`. */
export function bytesHeard(page, label) {
  return page.evaluate((label) => window.__channels.find((c) => c.channel.label === label)?.bytesHeard ?? 0, label);
}

/** Labels of the tapped page's open channels to `peer`. */
export function channelsTo(page, peer) {
  return page.evaluate((peer) => window.__channels
    .filter(({ channel }) => channel.readyState === 'open' && window.__peerOf[channel.label] === peer)
    .map(({ channel }) => channel.label), peer);
}

/** Sends `wire` on the tapped page's channels `labels`, as the app sends: UTF-8 bytes. */
export function sendRaw(page, labels, wire) {
  return page.evaluate(([labels, wire]) => {
    for (const { channel } of window.__channels) {
      if (labels.includes(channel.label)) channel.send(new TextEncoder().encode(wire));
    }
  }, [labels, wire]);
}

/** Every frame the tapped page has heard, opened with the room's keys (unreadable ones left out). */
export async function heard(page, keys) {
  const frames = await page.evaluate(() => window.__channels.flatMap(({ heard }) => heard));
  return frames.map((f) => unseal(keys, f)).filter(Boolean).map((plain) => JSON.parse(plain));
}

/**
 * Starts watching `page` for `text` anywhere on screen; the function returned says
 * whether it was ever shown (even for a moment) since.
 */
export async function watchFor(page, text) {
  await page.evaluate((text) => {
    window.__seen ??= {};
    window.__seen[text] = document.body.textContent.includes(text);
    new MutationObserver(() => {
      window.__seen[text] ||= document.body.textContent.includes(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, text);
  return () => page.evaluate((text) => window.__seen[text], text);
}
