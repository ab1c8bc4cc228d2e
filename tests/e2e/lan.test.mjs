// `.ci/serve.sh --lan` (it ends in `node .ci/serve.mjs --lan`): listens on the LAN address
// asked for or found, prints the URL, a QR code of it and the HTTPS caveat; the URL answers
// and the app there reaches the broker on that address. The "LAN" is a veth pair added to
// the loopback-only namespace of .ci/e2e.sh for this file and removed after it: the
// packets still never leave the namespace.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { freePort, repoDir, testsDir } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import { fillSetup, ONLINE, waitForBroker } from './support/app.mjs';

const LAN = '192.168.77.10';
const qrcode = createRequire(path.join(testsDir, 'package.json'))('qrcode');
// Only inside a namespace of our own (nothing but lo) may the test add interfaces.
const isolated = Object.keys(os.networkInterfaces()).every((n) => n === 'lo');
const children = [];
const devices = [];

before(() => {
  if (!isolated) return;
  const ip = (...args) => execFileSync('ip', args);
  ip('link', 'add', 'pclan0', 'type', 'veth', 'peer', 'name', 'pclan1');
  ip('addr', 'add', `${LAN}/24`, 'dev', 'pclan0');
  ip('link', 'set', 'pclan0', 'up');
  ip('link', 'set', 'pclan1', 'up');
});

after(async () => {
  await Promise.all(devices.map((d) => d.destroy()));
  for (const c of children) c.kill('SIGTERM');
  if (isolated) execFileSync('ip', ['link', 'del', 'pclan0']);
});

/** Starts serve.mjs with `args`; resolves with what it printed once it is up. */
async function serve(args) {
  const [appPort, brokerPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [path.join(repoDir, '.ci', 'serve.mjs'), ...args], {
    env: { ...process.env, APP_PORT: String(appPort), BROKER_PORT: String(brokerPort) },
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  const end = Date.now() + 15000;
  while (!out.includes('README.md')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`serve.mjs did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { out, appPort, brokerPort };
}

test('--lan ADDR listens on that address only, prints its URL, a QR code of it and the HTTPS caveat', { skip: !isolated && 'needs the namespace of .ci/e2e.sh' }, async () => {
  const { out, appPort, brokerPort } = await serve(['--lan', LAN]);
  const url = `http://${LAN}:${appPort}/`;
  assert.ok(out.includes(`open ${url}`), out);
  assert.ok(out.includes(await qrcode.toString(url, { type: 'terminal', small: true })), 'a QR code of the URL');
  assert.match(out, /plain HTTP: the phone gets a browser tab only/);
  assert.match(out, /service worker \(opening offline\) need HTTPS/);
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>PeerChat<\/title>/);
  // The phone must reach the broker too: config.json names it on the LAN address.
  const { broker } = await (await fetch(`${url}config.json`)).json();
  assert.deepEqual([broker.host, broker.port], [LAN, brokerPort]);
  assert.ok((await fetch(`http://${LAN}:${brokerPort}/peerjs/id`)).ok);
  // Bound to the address asked for, not to every address.
  await assert.rejects(fetch(`http://127.0.0.1:${appPort}/`));
});

test('--lan alone finds the LAN address; a browser opening the URL registers with the broker', { skip: !isolated && 'needs the namespace of .ci/e2e.sh' }, async () => {
  const { out, appPort } = await serve(['--lan']);
  const url = `http://${LAN}:${appPort}/`;
  assert.ok(out.includes(`open ${url}`), out);
  const phone = await launchDevice('lan-phone');
  devices.push(phone);
  await phone.page.goto(url);
  await fillSetup(phone.page, 'Lan');
  await waitForBroker(phone, ONLINE);
});
