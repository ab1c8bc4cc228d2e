// A file one to one between real Chromium processes over a very slow link: everything on
// the test's loopback goes through a token bucket of 40 kbit/s (5 KB/s, a phone on one
// bar of 2G), after the two have connected. A chunk of a file arrives whole or not at
// all: a full 64 KiB one took 13 s there, longer than the 10 s a download waits to hear
// from its sender, so the piece was asked for again and again and the transfer was given
// up. The receiver now asks for smaller chunks (16 KiB before it has measured the link,
// then what the link brings in a few seconds). Only inside the namespace .ci/e2e.sh makes
// (nothing but lo) does the test throttle anything.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { after, before, test } from 'node:test';

import { appServer, localConfig, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import { bytes, onDisk, sha256 } from './support/files.mjs';
import { acceptRequest, attachFile, connect, join, savedSha256, waitConnected } from './support/app.mjs';

let broker, web;
const devices = {};
const isolated = Object.keys(os.networkInterfaces()).every((n) => n === 'lo');

/** Every packet on loopback (this test's network namespace) at most `rate`. */
function throttleLoopback(rate) {
  // A bucket, not a delay line: what would wait more than a second is dropped, so the
  // transport's congestion control sees the link as it is (a deep queue would instead
  // hold packets for minutes, and the connection's consent checks would fail). The
  // bucket drops packets larger than it: loopback's TCP sends packets of up to 64 KiB,
  // so its MTU is an Ethernet one meanwhile.
  execFileSync('ip', ['link', 'set', 'lo', 'mtu', '1500']);
  execFileSync('tc', ['qdisc', 'replace', 'dev', 'lo', 'root', 'tbf', 'rate', rate, 'burst', '1600', 'latency', '1s']);
}

function unthrottleLoopback() {
  if (!isolated) return;
  try {
    execFileSync('tc', ['qdisc', 'del', 'dev', 'lo', 'root'], { stdio: 'ignore' });
  } catch {
    // Not throttled.
  }
  execFileSync('ip', ['link', 'set', 'lo', 'mtu', '65536']);
}

before(async () => {
  if (!isolated) return;
  broker = await peerServer();
  web = await appServer({ config: localConfig(broker.port) });
  const origin = new URL(web.url).origin;
  [devices.Ann, devices.Ben] = await Promise.all([
    launchDevice('Ann', { origin }),
    launchDevice('Ben', { origin }),
  ]);
  const [, benId] = await Promise.all([join(devices.Ann, web.url, 'Ann'), join(devices.Ben, web.url, 'Ben')]);
  await connect(devices.Ann, benId);
  await Promise.all([waitConnected(devices.Ann, 'Ben'), acceptRequest(devices.Ben, 'Ann')]);
});

after(async () => {
  unthrottleLoopback();
  await Promise.all(Object.values(devices).map((d) => d?.destroy()));
  await web?.close();
  await broker?.stop();
});

test('a file over a 5 KB/s link arrives byte-identical', { skip: !isolated && 'needs the network namespace of .ci/e2e.sh' }, async () => {
  const file = bytes(150_000, 7);
  const onPath = await onDisk('scan.pdf', file);
  throttleLoopback('40kbit');
  try {
    const started = performance.now();
    await attachFile(devices.Ann, onPath);
    // 150 KB at 5 KB/s is 30 s; the build before gave it up after a minute of stalls.
    const got = await savedSha256(devices.Ben, 'scan.pdf', 150000);
    assert.equal(got, sha256(file));
    console.log(`# 150 KB over 40 kbit/s: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    unthrottleLoopback();
  }
});
