// Issue #11: in a room of three, a member that sends a backfill in another member's name
// is ignored by the third and nothing is stored. Cat runs the real app, but the test
// reaches into her data channels and, holding the room secret as every member does,
// seals frames of its own making: a backfill of "Ben" quitting, signed by a key that is
// not Ben's, or by nothing at all.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { chooseName, createRoom, join, messages, myId, sendToRoom, waitForMessages, waitOnline } from './support/app.mjs';
import {
  annAloneFromStorage, heard, hostileRoomRig, oneChannelTo, roomKeys, seal, sendRaw, signedText, stranger, toJson, watchFor,
} from './support/forge.mjs';

const devices = {};
const rig = hostileRoomRig(devices);
const ROOM = 'Book club';

const texts = async (device, from) => (await messages(device)).filter((m) => m.from === from).map((m) => m.text);

test('a backfill Cat forges in Ben\'s name is ignored by Ann, and nothing of it is stored', async () => {
  const { Ann, Ben, Cat } = devices;
  const started = performance.now();
  const annId = await join(Ann, rig.web.url, 'Ann');
  const invite = await createRoom(Ann, ROOM);
  await chooseName(Ben, invite, 'Ben');
  await chooseName(Cat, invite, 'Cat');
  await Promise.all(Object.values(devices).map((d) => waitOnline(d, 3)));
  const benId = await myId(Ben);
  const keys = roomKeys(invite);
  const toAnn = await oneChannelTo(devices.Cat.page, annId);

  // Ben's real key, as Cat's app heard it in his hello (or in a member list): the
  // garbage signature below claims it, so that only the signature's bytes are wrong.
  const said = await heard(Cat.page, keys);
  const benKey = said.find((f) => f.kind === 'hello' && f.id === benId)?.key
    ?? said.flatMap((f) => f.members ?? []).find(([id]) => id === benId)?.[2];
  assert.equal(benKey?.length, 43, 'Cat heard Ben\'s key');

  // Control for the seal, the channel and the json: a frame the test seals, sent on that
  // channel, is read by Ann as Cat's.
  await sendRaw(Cat.page, toAnn, seal(keys, toJson({ kind: 'typing' })));
  await Ann.page.locator('.typing', { hasText: 'Cat is typing…' }).waitFor({ timeout: 5000 });

  const sawForgery = await watchFor(Ann.page, 'I quit');
  const asBen = { author: benId, name: 'Ben', text: 'I quit' };
  const forger = stranger();
  const forged = [
    // Ben's next number, validly signed, but by a key that is not Ben's.
    signedText(keys.roomId, forger, { ...asBen, seq: 1n }),
    // A number near the top, that would make Ben's own numbers look old forever.
    signedText(keys.roomId, forger, { ...asBen, seq: 2n ** 63n + 7n }),
    // Ben's own key, with 64 bytes that sign nothing.
    signedText(keys.roomId, { key: benKey }, { ...asBen, seq: 1n, sig: randomBytes(64).toString('base64url') }),
  ];
  // Control for the transcript: in the same frame, after the forgeries, a message by
  // someone Ann has never met, signed by that someone's own key. Relayed messages of
  // authors not met yet are taken (on the key they carry), so Ann shows it, and then
  // she has read the whole frame, forgeries included, and signatures made here verify.
  const zoe = { author: randomBytes(8).toString('hex'), name: 'Zoe', text: 'Zoe signs her own words' };
  const control = signedText(keys.roomId, stranger(), { ...zoe, seq: 1n });
  await sendRaw(Cat.page, toAnn, seal(keys, toJson({ kind: 'backfill', messages: [...forged, control] })));

  await waitForMessages(Ann, 'Zoe', 1, 10000);
  assert.deepEqual(await texts(Ann, 'Ben'), [], 'nothing from Ben yet');
  assert.equal(await sawForgery(), false, 'Ann never showed the forged words');
  // Each forged message counts as one fault, and the room says so.
  await Ann.page.getByRole('status').filter({ hasText: '3 unreadable messages from this room were ignored.' })
    .waitFor({ timeout: 5000 });

  // Ben's first real message: his number 1 is still his.
  await sendToRoom(Ben, 'hello from Ben');
  await waitForMessages(Ann, 'Ben', 1);
  assert.deepEqual(await texts(Ann, 'Ben'), ['hello from Ben']);
  // Nothing else changed: Cat is still in the room (README: ignored, nothing else changes).
  await waitOnline(Ann, 3);

  // Nothing forged was stored: with Ben and Cat gone (so nobody can send anything back),
  // Ann's browser restarts on the same profile and shows what her storage holds.
  const again = await annAloneFromStorage(devices, rig, ROOM);
  await waitForMessages(again, 'Zoe', 1);
  assert.deepEqual(await texts(again, 'Ben'), ['hello from Ben']);
  assert.ok(!(await messages(again)).some((m) => m.text.includes('I quit')), 'the forgery is not in Ann\'s storage');
  console.log(`# forged backfill ignored and not stored, ${((performance.now() - started) / 1000).toFixed(1)} s`);
});
