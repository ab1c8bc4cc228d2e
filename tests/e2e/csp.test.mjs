// The app under its Content-Security-Policy (issue 12): no inline script anywhere, and
// connections only to the page's origin and the broker config.json names. The app still
// registers and chats on loopback; an inline script and connections elsewhere are blocked.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { appServer, distDir, localConfig, peerServer } from './support/servers.mjs';
import { launchDevice } from './support/browsers.mjs';
import { acceptRequest, connect, join, send, waitConnected, waitForMessages } from './support/app.mjs';

let broker, web, other, otherHits = 0;
const devices = [];

/** Records every policy violation the page reports, from before its first script. */
async function device(name) {
  const d = await launchDevice(name, { origin: new URL(web.url).origin });
  await d.context.addInitScript(() => {
    window.peerchatViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.peerchatViolations.push({ directive: e.effectiveDirective, blocked: e.blockedURI });
    });
  });
  devices.push(d);
  return d;
}

const violations = (d) => d.page.evaluate(() => window.peerchatViolations);
const policies = (d) => d.page.evaluate(() => [...document.querySelectorAll('meta[http-equiv="Content-Security-Policy"]')].map((m) => m.content));

before(async () => {
  broker = await peerServer();
  web = await appServer({ config: localConfig(broker.port) });
  // Another origin that would answer, to show that the policy, not a dead port, stops the page.
  other = createServer((req, res) => {
    otherHits += 1;
    res.end('reached');
  });
  other.on('upgrade', (req, socket) => {
    otherHits += 1;
    socket.destroy();
  });
  await new Promise((r) => other.listen(0, '127.0.0.1', r));
});

after(async () => {
  await Promise.all(devices.map((d) => d.destroy()));
  other?.close();
  await web?.close();
  await broker?.stop();
});

test('the build has no inline script, and its policy allows none', async () => {
  const index = await readFile(path.join(distDir, 'index.html'), 'utf8');
  const scripts = [...index.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length > 0);
  for (const [tag, body] of scripts) {
    assert.match(tag, /\ssrc="\.\/start-[0-9a-f]{16}\.js"/);
    assert.equal(body.trim(), '');
  }
  const policy = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(index)?.[1];
  assert.ok(policy, 'index.html carries a policy');
  const directives = Object.fromEntries(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(directives['script-src'], ["'self'", "'wasm-unsafe-eval'"]);
  assert.deepEqual(directives['default-src'], ["'self'"]);
  assert.deepEqual(directives['object-src'], ["'none'"]);
});

test('under the policy two browsers register with the test broker and chat; nothing is blocked', async () => {
  const [ann, bob] = await Promise.all([device('csp-ann'), device('csp-bob')]);
  const [, bobId] = await Promise.all([join(ann, web.url, 'Ann'), join(bob, web.url, 'Bob')]);
  await connect(ann, bobId);
  await Promise.all([waitConnected(ann, 'Bob'), acceptRequest(bob, 'Ann')]);
  await send(ann, 'hello under the policy');
  await waitForMessages(bob, 'Ann', 1);
  // The page's own policy and the one the loader added for config.json's broker.
  const [own, connectPolicy] = await policies(ann);
  assert.match(own, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(connectPolicy, `connect-src 'self' ws://127.0.0.1:${broker.port}`);
  assert.deepEqual(await violations(ann), []);
  assert.deepEqual(await violations(bob), []);
});

test('an inline script, a fetch and a WebSocket to another origin are blocked', async () => {
  const [ann] = devices;
  const otherPort = other.address().port;
  const outcome = await ann.page.evaluate(async (port) => {
    const script = document.createElement('script');
    script.textContent = 'window.inlineRan = true;';
    document.head.append(script);
    const fetched = await fetch(`http://127.0.0.1:${port}/`).then(() => 'fetched', (e) => e.name);
    const socket = await new Promise((resolve) => {
      try {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('error');
      } catch (e) {
        resolve(e.name);
      }
    });
    // Violation events are queued as tasks: let them arrive.
    await new Promise((r) => setTimeout(r, 200));
    return { inlineRan: window.inlineRan ?? false, fetched, socket };
  }, otherPort);
  assert.deepEqual(outcome, { inlineRan: false, fetched: 'TypeError', socket: 'error' });
  assert.equal(otherHits, 0, 'nothing reached the other origin');
  const seen = (await violations(ann)).map((v) => `${v.directive} ${v.blocked}`);
  assert.ok(seen.includes('script-src-elem inline'), JSON.stringify(seen));
  assert.ok(seen.includes(`connect-src http://127.0.0.1:${otherPort}/`), JSON.stringify(seen));
  assert.ok(seen.includes(`connect-src ws://127.0.0.1:${otherPort}/`), JSON.stringify(seen));
});

test('without config.json only the public broker is allowed; with an unreadable one, nothing beyond the origin', async () => {
  const [ann] = devices;
  const plain = await appServer({ config: null });
  const broken = await appServer({ config: null, extra: { '/config.json': ['application/json', '{ not json'] } });
  try {
    await ann.page.goto(plain.url);
    await ann.page.waitForFunction(() => document.querySelectorAll('meta[http-equiv="Content-Security-Policy"]').length === 2);
    assert.equal((await policies(ann))[1], "connect-src 'self' wss://0.peerjs.com:443");
    await ann.page.goto(broken.url);
    await ann.page.waitForFunction(() => document.querySelectorAll('meta[http-equiv="Content-Security-Policy"]').length === 2);
    assert.equal((await policies(ann))[1], "connect-src 'self'");
  } finally {
    await plain.close();
    await broken.close();
  }
});
