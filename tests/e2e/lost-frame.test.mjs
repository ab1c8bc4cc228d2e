// A message that goes missing on a link that stays open still arrives: its author sends
// it again. Cat's page swallows the frame carrying her message to Ann (her channel stays
// open, as in the loss the room benchmark found now and then). In a room, Ben gets it at
// once and Ann a moment later: at once when Ann confirms a later message of Cat's, else
// once Cat has waited 5 s for Ann's receipt. One to one, Ann gets it once Cat has waited
// 5 s for its `got`. Each shows once, and Cat's lines show delivered.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  acceptRequest, chooseName, connect, createRoom, join, messages, send, sendToRoom, waitConnected, waitOnline,
} from './support/app.mjs';
import { channelsTo, hostileRoomRig, oneChannelTo } from './support/forge.mjs';

const devices = {};
const rig = hostileRoomRig(devices);
/** Cat's room link to Ann, from the first test. */
let roomLinkToAnn = [];

/**
 * Cat's page swallows the next frame of hers on channels `labels` larger than `bytes`
 * (more than a receipt, a ping or a `got` takes); `window.__lost` counts what it swallowed.
 */
function loseNextMessage(page, labels, bytes = 400) {
  return page.evaluate(([labels, bytes]) => {
    window.__lost ??= 0;
    let armed = true;
    for (const { channel } of window.__channels.filter((c) => labels.includes(c.channel.label))) {
      const send = channel.send;
      channel.send = (data) => {
        if (armed && data.byteLength > bytes) {
          armed = false;
          window.__lost += 1;
          return undefined;
        }
        return send(data);
      };
    }
  }, [labels, bytes]);
}

const shows = (device, text, timeout) => device.page.locator('.room .message', { hasText: text }).waitFor({ timeout });

test('a room message lost on an open link reaches the member all the same', async () => {
  const { Ann, Ben, Cat } = devices;
  const annId = await join(Ann, rig.web.url, 'Ann');
  const invite = await createRoom(Ann, 'Lossy');
  await chooseName(Ben, invite, 'Ben');
  await chooseName(Cat, invite, 'Cat');
  await Promise.all(Object.values(devices).map((d) => waitOnline(d, 3)));
  const toAnn = await oneChannelTo(Cat.page, annId);
  roomLinkToAnn = toAnn;

  // The last message of a run: it goes again once Cat has waited for Ann's receipt.
  await loseNextMessage(Cat.page, toAnn);
  let sent = performance.now();
  await sendToRoom(Cat, 'lost on the way');
  await shows(Ben, 'lost on the way', 10000);
  assert.equal(await Cat.page.evaluate(() => window.__lost), 1, "the frame to Ann was swallowed");
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await Ann.page.locator('.room .message', { hasText: 'lost on the way' }).count(), 0, 'Ann lacks it for now');
  await shows(Ann, 'lost on the way', 15000);
  const late = performance.now() - sent;
  console.log(`# the last message, lost: on Ann's screen ${late.toFixed(0)} ms after it was sent`);
  assert.ok(late >= 4000, `it came by the wait for a receipt (${late.toFixed(0)} ms)`);

  // One lost in the middle: Ann's receipt for the next one tells Cat at once.
  await loseNextMessage(Cat.page, toAnn);
  sent = performance.now();
  await sendToRoom(Cat, 'lost in the middle');
  await shows(Ben, 'lost in the middle', 10000);
  await sendToRoom(Cat, 'right after it');
  await shows(Ann, 'right after it', 10000);
  await shows(Ann, 'lost in the middle', 10000);
  const middle = performance.now() - sent;
  console.log(`# a message lost before another: on Ann's screen ${middle.toFixed(0)} ms after it was sent`);
  assert.ok(middle < 4000, `it came with the next one's receipt, not the wait (${middle.toFixed(0)} ms)`);
  assert.equal(await Cat.page.evaluate(() => window.__lost), 2);

  // Each shows once, and every line of Cat's shows delivered to everyone.
  for (const text of ['lost on the way', 'lost in the middle', 'right after it']) {
    assert.equal(await Ann.page.locator('.room .message', { hasText: text }).count(), 1, `${text} once`);
  }
  await Cat.page.waitForFunction(() => [...document.querySelectorAll('.room .message')]
    .filter((li) => li.textContent.includes('lost') || li.textContent.includes('right after'))
    .every((li) => li.querySelector('.receipt.delivered')), null, { timeout: 10000, polling: 200 });
  const stats = JSON.parse(await Cat.page.evaluate(() => window.peerchatRoomStats()))[0][1];
  assert.equal(stats.resent, 2, 'two messages went again, to Ann alone');
});

test('a one-to-one message lost on an open link reaches the peer all the same', async () => {
  const { Ann, Cat } = devices;
  const annId = (await Ann.page.locator('#my-id').textContent()).trim();
  await connect(Cat, annId);
  await Promise.all([waitConnected(Cat, 'Ann'), acceptRequest(Ann, 'Cat')]);
  // The conversation's channel: Cat's channels to Ann but the room's.
  const direct = (await channelsTo(Cat.page, annId)).filter((l) => !roomLinkToAnn.includes(l));
  assert.equal(direct.length, 1, `one conversation channel (${direct})`);
  const lostBefore = await Cat.page.evaluate(() => window.__lost);
  await loseNextMessage(Cat.page, direct, 200);
  const sent = performance.now();
  await send(Cat, 'one to one, lost on the way');
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await Cat.page.evaluate(() => window.__lost), lostBefore + 1, 'the frame to Ann was swallowed');
  const onAnn = async () => (await messages(Ann)).filter((m) => m.text === 'one to one, lost on the way').length;
  assert.equal(await onAnn(), 0, 'Ann lacks it for now');
  await Ann.page.locator('.messages li.message', { hasText: 'one to one, lost on the way' }).waitFor({ timeout: 15000 });
  const late = performance.now() - sent;
  console.log(`# one to one, lost: on Ann's screen ${late.toFixed(0)} ms after it was sent`);
  assert.ok(late >= 4000, `it came by the wait for its got (${late.toFixed(0)} ms)`);
  assert.equal(await onAnn(), 1, 'once');
  await Cat.page.locator('.messages li.message', { hasText: 'one to one, lost on the way' })
    .locator('.receipt.delivered').waitFor({ timeout: 10000 });
});
