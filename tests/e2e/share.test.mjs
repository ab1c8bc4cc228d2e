// The phone's share sheet: the manifest declares a share target; sharing posts a form to
// it, the service worker keeps what was shared (also offline) and opens the app, which
// asks for the chat it goes to. Driven by posting to the share target's URL as a share
// sheet does, in real Chromium with the worker in control.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { appServer, distDir, localConfig, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import {
  acceptRequest, connect, createRoom, fileCard, join, myId, savedSha256, unlock, waitConnected, waitForMessages, waitOnline,
} from './support/app.mjs';
import { waitForWorker } from './support/pwa.mjs';

let broker, web, ann, ben, invite;

before(async () => {
  broker = await peerServer();
  web = await appServer({ config: localConfig(broker.port) });
  const origin = new URL(web.url).origin;
  ann = await launchDevice('Ann', { origin });
  ben = await launchDevice('Ben', { origin });
});

after(async () => {
  await ann?.destroy();
  await ben?.destroy();
  await web?.close();
  await broker?.stop();
});

/**
 * Posts `fields` to the share target as the share sheet does (a navigation), with
 * `file` ({name, type, bytes: number[]}) as its one file if given.
 */
async function share(device, fields, file) {
  const { action } = JSON.parse(await readFile(path.join(distDir, 'manifest.json'), 'utf8')).share_target;
  await device.page.evaluate(({ action, fields, file }) => {
    const form = document.createElement('form');
    form.method = 'POST';
    form.enctype = 'multipart/form-data';
    form.action = action;
    for (const [name, value] of Object.entries(fields)) {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = value;
      form.append(input);
    }
    if (file) {
      const input = document.createElement('input');
      input.type = 'file';
      input.name = 'files';
      const picked = new DataTransfer();
      picked.items.add(new File([new Uint8Array(file.bytes)], file.name, { type: file.type }));
      input.files = picked.files;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  }, { action, fields, file });
}

test('the manifest declares a share target the worker answers', async () => {
  const manifest = JSON.parse(await readFile(path.join(distDir, 'manifest.json'), 'utf8'));
  const target = manifest.share_target;
  assert.equal(target.method, 'POST');
  assert.equal(target.enctype, 'multipart/form-data');
  assert.deepEqual(Object.keys(target.params).sort(), ['files', 'text', 'title', 'url']);
  const sw = await readFile(path.join(distDir, 'sw.js'), 'utf8');
  assert.match(sw, /receiveShare/);
});

test('a text shared while offline waits through unlock, and goes to the chat picked', async () => {
  await join(ann, web.url, 'Ann');
  invite = await createRoom(ann, 'Weekend');
  await join(ben, invite, 'Ben');
  await Promise.all([waitOnline(ann, 2), waitOnline(ben, 2)]);
  await waitForWorker(ann.page);
  // No network at all: the worker alone answers the share and opens the app.
  await ann.context.setOffline(true);
  await share(ann, { title: 'Lunch spot', text: 'Try this place', url: 'https://example.test/menu' });
  await ann.page.waitForURL((u) => u.hash === '' && !u.pathname.endsWith('/share'));
  await unlock(ann);
  const bar = ann.page.getByRole('region', { name: 'Shared with PeerChat' });
  // The list asks for a chat; a chat the app reopened is offered as the place to send.
  await bar.getByText(/^(Shared with PeerChat: a text\. Choose the chat it goes to\.|Send a text to Weekend\?)$/).waitFor();
  // No invite error for the #share the worker opened the app with.
  assert.equal(await ann.page.locator('.banner.error').count(), 0);
  await ann.context.setOffline(false);
  await ann.page.locator('.chat-list').getByText('Weekend').click();
  await bar.getByText('Send a text to Weekend?').waitFor();
  await bar.getByRole('button', { name: 'Send here' }).click();
  await bar.waitFor({ state: 'detached' });
  const got = await waitForMessages(ben, 'Ann', 1, 60000);
  assert.equal(got[0].text, 'Lunch spot\nTry this place\nhttps://example.test/menu');
});

test('a share the user discards is gone, also after a reload', async () => {
  await share(ann, { text: 'never mind' });
  await unlock(ann);
  const bar = ann.page.getByRole('region', { name: 'Shared with PeerChat' });
  await bar.getByRole('button', { name: 'Discard' }).click();
  await bar.waitFor({ state: 'detached' });
  await ann.page.reload();
  await unlock(ann);
  await ann.page.locator('.chat-list').getByText('Weekend').waitFor();
  // Give the app the moment it takes to look for a share.
  await ann.page.waitForTimeout(1000);
  assert.equal(await bar.count(), 0);
});

test('a shared file goes to the conversation picked and arrives byte-identical', async () => {
  await connect(ann, await myId(ben));
  await Promise.all([waitConnected(ann, 'Ben'), acceptRequest(ben, 'Ann')]);
  // 300 KB that differ all along: more than one piece.
  const bytes = Array.from({ length: 300 * 1024 }, (_, i) => (i * 7919 + (i >> 8)) & 255);
  const want = createHash('sha256').update(Buffer.from(bytes)).digest('hex');
  await share(ann, { text: '' }, { name: 'notes.bin', type: 'application/octet-stream', bytes });
  await unlock(ann);
  const bar = ann.page.getByRole('region', { name: 'Shared with PeerChat' });
  await bar.getByText(/notes\.bin \(307\.2 kB\)/).waitFor();
  await ann.page.locator('.chat-list').getByText('Ben').click();
  await bar.getByText('Send notes.bin (307.2 kB) to Ben?').waitFor();
  await waitConnected(ann, 'Ben', 60000);
  await bar.getByRole('button', { name: 'Send here' }).click();
  await bar.waitFor({ state: 'detached' });
  await fileCard(ben, 'notes.bin').waitFor({ timeout: 30000 });
  assert.equal(await savedSha256(ben, 'notes.bin'), want);
});
