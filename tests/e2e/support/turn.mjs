// A real TURN relay for the tests: Debian's coturn on loopback, with the TURN REST scheme
// (a shared secret; clients get time-limited credentials derived from it), as deploy/ runs it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { freePort } from './servers.mjs';

/**
 * Time-limited TURN credentials (the REST scheme coturn's `use-auth-secret` checks): the
 * user name is "expiry:name", the credential base64(HMAC-SHA1(secret, user name)).
 */
export function turnCredentials(secret, name, ttlSeconds = 3600, now = Date.now()) {
  const username = `${Math.floor(now / 1000) + ttlSeconds}:${name}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/**
 * Starts coturn on 127.0.0.1; `log()` reads what it wrote, `stop()` kills it. With `conf`
 * (deploy/coturn/turnserver.conf) it runs that file, with only the loopback addresses,
 * port, files and secret set here.
 */
export async function turnServer({ secret = 'peerchat-test-secret', realm = 'peerchat.test', conf } = {}) {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'peerchat-turn-'));
  const logFile = path.join(dir, 'turn.log');
  const child = spawn('turnserver', [
    ...(conf ? ['-c', conf, '--allowed-peer-ip', '127.0.0.1'] : ['-n']), '--no-cli', '--no-tls', '--no-dtls', '--simple-log', '--no-stdout-log', '--verbose',
    '--log-file', logFile, '--pidfile', path.join(dir, 'turn.pid'), '--userdb', path.join(dir, 'turndb'),
    '--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1', '--listening-port', String(port),
    ...(conf ? [] : ['--min-port', '49152', '--max-port', '65535']),
    // Everything here is on loopback, the peers too: coturn refuses them unless told.
    '--allow-loopback-peers',
    '--use-auth-secret', '--static-auth-secret', secret, '--realm', realm,
  ], { stdio: 'ignore' });
  process.once('exit', () => child.kill('SIGKILL'));
  const exited = new Promise((r) => child.once('exit', r));
  const log = () => readFile(logFile, 'utf8').catch(() => '');
  // Ready once it logs that it listens on our port.
  const end = Date.now() + 10000;
  while (!/UDP listener opened on\s*:\s*127\.0\.0\.1:/i.test(await log())) {
    if (child.exitCode !== null || Date.now() > end) {
      // Not left running: it would keep the test process alive.
      child.kill('SIGKILL');
      throw new Error(`coturn did not start:\n${await log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    url: `turn:127.0.0.1:${port}?transport=udp`,
    secret,
    log,
    /** An RTCIceServer entry with fresh credentials for `name`. */
    iceServer(name) {
      return { urls: [`turn:127.0.0.1:${port}?transport=udp`], ...turnCredentials(secret, name) };
    },
    async stop() {
      child.kill('SIGKILL');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Keeps every RTCPeerConnection the page creates on `window.peerchatTestLinks`, with the
 * configuration the app asked for and the ICE states it went through, so a test can read
 * the browser's own word on them. It changes nothing about the connections.
 */
export async function recordLinks(device) {
  await device.context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const links = (window.peerchatTestLinks = []);
    window.RTCPeerConnection = class extends Native {
      constructor(config = {}, ...rest) {
        super(config, ...rest);
        const states = [];
        this.addEventListener('iceconnectionstatechange', () => states.push(this.iceConnectionState));
        links.push({ pc: this, asked: JSON.parse(JSON.stringify(config)), states });
      }
    };
  });
}

/**
 * The page's links as the browser reports them: for each, the ICE states it went through,
 * the ICE servers and transport policy the app asked for, and (once connected) the
 * selected candidate pair's local and remote candidate types, and every candidate pair
 * of the link with its candidate types and the bytes it carried. `bytesSent` and
 * `bytesReceived` are the link's, over all its pairs: ICE may move a link to another pair
 * (with a UDP and a TCP relay it does now and then, after the first messages), and the
 * pair it selects then has carried only what came after the move: nothing at all on a
 * one-to-one link that has gone quiet, which has no keepalives.
 */
export async function linkReport(device) {
  return device.page.evaluate(async () => Promise.all((window.peerchatTestLinks ?? []).map(async ({ pc, asked, states }) => {
    const out = { state: pc.iceConnectionState, states, iceServers: asked.iceServers ?? [], policy: asked.iceTransportPolicy };
    const stats = [...(await pc.getStats()).values()];
    const byId = new Map(stats.map((s) => [s.id, s]));
    const transport = stats.find((s) => s.type === 'transport');
    const pair = byId.get(transport?.selectedCandidatePairId);
    const type = (id) => byId.get(id)?.candidateType;
    if (pair) {
      out.local = type(pair.localCandidateId);
      out.remote = type(pair.remoteCandidateId);
    }
    out.pairs = stats.filter((s) => s.type === 'candidate-pair' && s.transportId === transport?.id).map((p) => ({
      local: type(p.localCandidateId),
      remote: type(p.remoteCandidateId),
      selected: p.id === pair?.id,
      bytesSent: p.bytesSent ?? 0,
      bytesReceived: p.bytesReceived ?? 0,
    }));
    out.bytesSent = out.pairs.reduce((sum, p) => sum + p.bytesSent, 0);
    out.bytesReceived = out.pairs.reduce((sum, p) => sum + p.bytesReceived, 0);
    return out;
  })));
}

/**
 * Every connected link of `d` (at least `count`) was asked for relays only by the app (from
 * config.json), goes relay to relay now, carried bytes both ways, and carried them on
 * relay-to-relay pairs only.
 */
export async function assertRelayed(d, count) {
  const report = (await linkReport(d)).filter((l) => l.state === 'connected' || l.state === 'completed');
  assert.ok(report.length >= count, `${d.name}: ${report.length} connected links, want ${count}: ${JSON.stringify(report)}`);
  for (const l of report) {
    assert.equal(l.policy, 'relay', `${d.name}: ${JSON.stringify(l)}`);
    assert.deepEqual([l.local, l.remote], ['relay', 'relay'], `${d.name}: ${JSON.stringify(l)}`);
    assert.ok(l.bytesSent > 0 && l.bytesReceived > 0, `${d.name}: ${JSON.stringify(l)}`);
    for (const p of l.pairs.filter((p) => p.bytesSent > 0 || p.bytesReceived > 0)) {
      assert.deepEqual([p.local, p.remote], ['relay', 'relay'], `${d.name}: bytes went outside the relay: ${JSON.stringify(l)}`);
    }
  }
  return report;
}
