// Side-by-side benchmark: PeerChat's release build (dist/) against a minimal page on the
// official peerjs client (tests/bench/peerjs.html), through one official PeerServer on
// loopback, in the same run, alternating which app goes first in each repetition, with
// fresh Chromium processes (one per device) for every measurement. Every timestamp is
// taken inside the pages (tests/bench/probe.js); the driver only stages and reads.
//
//   BENCH_REPS=3                 repetitions (default 3)
//   BENCH_ONLY=connect,latency   scenarios: load, connect, latency, burst, roomburst, room, room500, files, size, unlock
//   BENCH_FILE_MB=20,100         `files`: the timed transfer's size, and the one memory is sampled during (100 when only one is given)
//   BENCH_ROOMBURST=500,10000    messages one member of a room of two sends as fast as it can (`roomburst`)
//   BENCH_ROOMS=2,4,8,16         room sizes for `room`
//   BENCH_UNLOCK=0,1000          stored room messages for `unlock` (PeerChat only: click Unlock after a
//                                browser restart → the room, its newest message, the main thread idle)
//   BENCH_RELAUNCHES=1           `unlock`: launches per filled profile (each on a fresh copy of it)
//   BENCH_PROFILE=1              `connect`, `latency`, `burst`, `unlock`, `room`, `room500` and `files` also take CPU profiles (CDP Profiler; `room` with BENCH_TRACE
//                                also of an idle member), log the top self times
//                                and writes it next to BENCH_OUT (.cpuprofile, for DevTools)
//   BENCH_TRACE=1                `connect`: each side's connection steps after the click, and its long tasks;
//                                `files`: both pages' channel sends and receives, and for each PeerChat transfer its
//                                offer, first chunk and MB in every 100 ms; `unlock`: the page's storage
//                                transactions, broker socket and connection steps after the click; `room`: the last joiner's timeline (every connection's steps as the
//                                browser saw them, members shown online) on every page, summed up
//                                in the log (with how long each member took from its link to the
//                                last joiner opening to showing everyone, and the room counters
//                                over that join alone) and written next to
//                                BENCH_OUT (-trace.json); and the
//                                machine's CPU by kind of process while the room idles and the last
//                                one joins, and each device's share of the join (cpu.mjs, Linux);
//                                `room500`: one member's DOM changes through the 500, by kind and place
//   BENCH_CPU_THREADS=1          renderers' CPU by thread name instead of by kind (`room` with BENCH_TRACE; `files`
//                                always logs the machine's CPU through the timed transfer)
//   BENCH_TIMELINE=1             `connect`, `burst`, `files`: Chrome performance traces of both sides; `room500`: of one member, either app; `room`: of the last joiner's page and of the member before it during the join, and of one idle member before it (style,
//                                layout, paint, events, script: what a CPU profile lumps as "(program)"), per app,
//                                written next to BENCH_OUT (-timeline.json, for DevTools) and summed up in the log
//   BENCH_TRACE_CATS=webrtc,ipc  more trace categories for BENCH_TIMELINE (comma-separated): with `webrtc`, which
//                                WebRTC call blocked the page's main thread, waiting on the signalling thread; with
//                                `disabled-by-default-devtools.timeline.invalidationTracking`, which DOM change or
//                                style rule made the browser restyle or lay out what (the events name the rule)
//   BENCH_MEMDUMP=1              `files`: where the receiver's idle page renderer keeps its memory, by allocator;
//                                `room500`: one member's after the 500
//                                (Chrome's memory-infra dump), logged and written next to BENCH_OUT (-memory.json)
//   BENCH_SIZES=1                `room500`: also the sizes of the frames one member sent during the exchange (50-byte
//                                buckets; every run logs each page's frames sent and received)
//   BENCH_SETTLE_MS=500          `room`: how long the formed room waits before the last one joins
//   BENCH_BROKER_DELAY_MS=0      every byte to and from the broker held this long each way (a TCP proxy in
//                                front of it): a broker across the internet; data channels stay on loopback
//   BENCH_FRESH_MS=1000          how long fresh pages are left after setup before anything is timed (1000: the
//                                app's idle warm-up, from 1.5 s on, can then run into the first scenario's steps)
//   BENCH_CHROME_FLAGS='--js-flags=--no-wasm-deopt'  more Chromium flags for every browser (an experiment's)
//   BENCH_OUT=path.json          where the JSON goes (default tests/build/bench/results.json)
//
// Run it with `bash .ci/bench.sh` (builds dist/, runs it in a network namespace that has
// only loopback; there BENCH_ONLY may also name `storage`, the unlock benchmark). Alone,
// this file expects dist/ built and is meant for such a namespace too.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, constants as zlib, deflateSync, gzipSync } from 'node:zlib';

import { APPS, peerchat, peerjs } from './apps.mjs';
import { cpuLine, cpuMeter, deviceCpuLine } from './cpu.mjs';
import {
  benchDir, chromiumVersion, distDir, launchDevice, launchDevices, peerjsMin, peerServer, rendererPss, repoDir,
  testsDir, webServer,
} from './support.mjs';

const SCENARIOS = ['load', 'connect', 'latency', 'burst', 'roomburst', 'room', 'room500', 'files', 'size', 'unlock'];
const REPS = Number(process.env.BENCH_REPS ?? 3);
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
for (const s of ONLY) if (!SCENARIOS.includes(s)) throw new Error(`BENCH_ONLY: unknown scenario ${s} (known: ${SCENARIOS.join(', ')})`);
const selected = (s) => ONLY.length === 0 || ONLY.includes(s);
const ROOMS = (process.env.BENCH_ROOMS ?? '2,4,8,16').split(',').map(Number).filter((n) => n >= 2);
const ROOMBURST = (process.env.BENCH_ROOMBURST ?? '500').split(',').map(Number).filter((n) => n > 0);
const UNLOCK = (process.env.BENCH_UNLOCK ?? '0,1000').split(',').map(Number).filter((n) => n >= 0);
// One size alone (BENCH_FILE_MB=20) is the timed transfer's; the memory one stays 100 MB.
const [FILE_MB, FILE_MEM_MB = 100] = (process.env.BENCH_FILE_MB ?? '20,100').split(',').map(Number);
for (const [name, mb] of [['BENCH_FILE_MB', FILE_MB], ['BENCH_FILE_MB (second size)', FILE_MEM_MB]]) {
  if (!(mb > 0)) throw new Error(`${name}: a size in MB, more than 0, as in BENCH_FILE_MB=20,100`);
}
const PROFILE = Boolean(process.env.BENCH_PROFILE);
const TRACE = Boolean(process.env.BENCH_TRACE);
const TIMELINE = Boolean(process.env.BENCH_TIMELINE);
const MEMDUMP = Boolean(process.env.BENCH_MEMDUMP);
const SIZES = Boolean(process.env.BENCH_SIZES);
// How long the room of N−1 is left after everyone shows everyone, before the last joins.
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 500);
const FRESH_MS = Number(process.env.BENCH_FRESH_MS ?? 1000);
const RELAUNCHES = Math.max(1, Number(process.env.BENCH_RELAUNCHES ?? 1));
/** The main thread counts as idle once no task of 50 ms or more ran for this long. */
const QUIET_MS = 2000;
const OUT = process.env.BENCH_OUT ?? path.join(testsDir, 'build', 'bench', 'results.json');
const ROOM_TIMEOUT = 120000;
const LATENCY_MESSAGES = 200;
const LATENCY_GAP_MS = 30;
const BURST = 500;
const ROOM500_MEMBERS = 8;
const FILLER = ' — a line of about the length people type in a chat';
const NEVER = 'never';
/** The last joiner of a room whose first joiners never formed it is not sent in. */
const NOT_TRIED = 'not tried';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error('#', ...a);

/** samples[metric][app] = [value per repetition]; NEVER for a timeout. */
const samples = {};
const errors = [];
const details = [];
function add(metric, app, value) {
  ((samples[metric] ??= {})[app.key] ??= []).push(value);
}

let broker, web;

async function marks(device) {
  return device.page.evaluate(() => ({ ...window.__bench.marks }));
}

async function waitMark(device, name, timeout) {
  try {
    await device.page.waitForFunction((n) => n in window.__bench.marks, name, { timeout, polling: 100 });
    return true;
  } catch {
    return false;
  }
}

/** Fresh devices for one measurement, set up in the app (registered with the broker). */
async function devicesFor(app, n, prefix) {
  const origin = new URL(web.url).origin;
  const devices = await launchDevices(`${app.key}-${prefix}`, n, { origin, firstScreen: app.firstScreen });
  try {
    const ids = [];
    for (let i = 0; i < n; i += 4) {
      const batch = devices.slice(i, i + 4).map((d, j) => app.setup(d, web, `M${i + j}`, broker));
      ids.push(...(await Promise.all(batch)));
    }
    devices.forEach((d, i) => { d.id = ids[i]; });
    // Let first-run work (storage, service worker) settle before timing anything.
    await sleep(FRESH_MS);
    return devices;
  } catch (e) {
    await destroy(devices);
    throw e;
  }
}

async function destroy(devices) {
  await Promise.all(devices.map((d) => d.destroy()));
}

// ---------------------------------------------------------------------------------------
// Scenarios. Each gets fresh browsers and records one sample per metric.

async function load(app) {
  const device = await launchDevice(`${app.key}-load`, { origin: new URL(web.url).origin, firstScreen: app.firstScreen });
  try {
    const firstScreen = async () => {
      if (!(await waitMark(device, 'firstScreen', 30000))) throw new Error('first screen not shown');
      return device.page.evaluate(() => window.__bench.marks.firstScreen - performance.timeOrigin);
    };
    const url = app.url(web, broker);
    await device.page.goto(url);
    add('load.cold', app, await firstScreen());
    await app.afterColdLoad(device.page);
    await sleep(500);
    // Away and back (the same address again would be a reload).
    await device.page.goto('about:blank');
    await device.page.goto(url);
    add('load.warm', app, await firstScreen());
  } finally {
    await device.destroy();
  }
}

/** Two devices, A connects to B; returns them connected (the caller destroys them). */
async function connectPair(app, prefix) {
  const [a, b] = await devicesFor(app, 2, prefix);
  try {
    for (const d of [a, b]) {
      await d.page.evaluate(([sel]) => window.__bench.watchText('open', sel, '^Connected to '), [app.statusSelector]);
    }
    const click = await app.prepareConnect(a, b.id);
    await a.page.evaluate(() => window.__bench.markNextClick('click'));
    // With BENCH_PROFILE, CPU profiles of both sides through the connection.
    const profiled = PROFILE && app === peerchat && prefix === 'connect' ? await startProfiles([a, b]) : [];
    // With BENCH_TIMELINE, Chrome traces of both sides through the connection.
    const timelines = TIMELINE && prefix === 'connect' ? [await startTimeline(a), await startTimeline(b)] : [];
    // Waited for in the pages, armed before the click: the driver's polling (waitMark)
    // first evaluated its helper in the page just after the click, 6-24 ms of the main
    // thread inside the timed connection.
    const opened = Promise.all([a, b].map((d) => d.page.evaluate(([ms]) => window.__bench.until(() => 'open' in window.__bench.marks, ms), [30000])));
    // A click that fails leaves this unawaited; the pages' end must not then reject it unhandled.
    opened.catch(() => {});
    await click();
    const ok = await opened;
    await stopProfiles(profiled, ['connect-caller', 'connect-callee']);
    for (const [i, t] of timelines.entries()) await stopTimeline(t, `${app.key}-connect-${i === 0 ? 'caller' : 'callee'}`);
    if (!ok.every(Boolean)) throw new Error('the connection did not open on both sides');
    const [ma, mb] = await Promise.all([marks(a), marks(b)]);
    if (TRACE) await connectTimeline(app, [a, b], ma.click, { open: [ma.open, mb.open] });
    await app.acceptRequest(b);
    return { a, b, took: Math.max(ma.open, mb.open) - ma.click };
  } catch (e) {
    await destroy([a, b]);
    throw e;
  }
}

/**
 * With BENCH_TRACE, each side's connection steps and data channel frames after the click
 * that connects them (ms), as its page saw them.
 */
async function connectTimeline(app, devices, t0, { open }) {
  for (const [i, d] of devices.entries()) {
    const trace = await d.page.evaluate(() => window.__bench.trace);
    const steps = trace.filter(([t, kind]) => t >= t0 && kind !== 'online').map(([t, kind, , extra]) => `${kind}${kind === 'send' || kind === 'recv' ? `(${extra})` : ''}@${(t - t0).toFixed(0)}`);
    const long = (await d.page.evaluate(() => window.__bench.longTasks)).filter(([, end]) => end >= t0 - 200)
      .map(([start, end]) => `${(start - t0).toFixed(0)}+${(end - start).toFixed(0)}`);
    log(`${app.label} connect, ${i === 0 ? 'caller' : 'callee'} (open @${(open[i] - t0).toFixed(0)}; tasks ≥ 50 ms: ${long.join(' ') || 'none'}): ${steps.join(' ')}`);
  }
}

async function connect(app) {
  const { a, b, took } = await connectPair(app, 'connect');
  await destroy([a, b]);
  add('connect', app, took);
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The data channel frames device `d`'s page sent or received (`kind`): [time, channel label, bytes]. */
const framesTraced = (d, kind) => d.page.evaluate((k) => window.__bench.trace.filter((e) => e[1] === k).map(([t, , conn, n]) => [t, conn, n]), kind);

/**
 * Logs where each message's time went, from the probe's data channel traces: the
 * sender's click to its frame going out, the wire, and the receiver's frame to the line on
 * screen. The frames between two messages (keepalives, receipts) are passed over: the
 * first frame sent after the click counts, and the last received before the line showed.
 */
async function latencyLegs(app, a, b, sent, seen, count) {
  const [out, came] = (await Promise.all([framesTraced(a, 'send'), framesTraced(b, 'recv')])).map((fs) => fs.map(([t]) => t));
  const legs = Array.from({ length: count }, (_, i) => {
    const [click, shown] = [sent[`L${i + 1}`], seen[`L${i + 1}`]];
    const left = out.find((t) => t >= click);
    const arrived = came.filter((t) => t >= left && t <= shown).at(-1);
    return left === undefined || arrived === undefined ? null : [left - click, arrived - left, shown - arrived, shown - click];
  }).filter(Boolean);
  if (legs.length === 0) return log(`${app.label} latency: no data channel frames traced`);
  const leg = (k) => median(legs.map((l) => l[k])).toFixed(2);
  log(`${app.label} latency, median of ${legs.length} messages: click → frame sent ${leg(0)} ms, on the wire ${leg(1)} ms, frame received → line on screen ${leg(2)} ms (in all ${leg(3)} ms)`);
}

async function latency(app) {
  const { a, b } = await connectPair(app, 'latency');
  try {
    await sleep(500);
    // With BENCH_PROFILE, CPU profiles of both sides through the messages.
    const profiled = PROFILE && app === peerchat ? await startProfiles([a, b]) : [];
    for (let i = 1; i <= LATENCY_MESSAGES; i++) {
      const token = `L${i}`;
      await a.page.evaluate((text) => window.__bench.send(text), `${token}${FILLER}`);
      const ok = await b.page.evaluate(([t, ms]) => window.__bench.until(() => t in window.__bench.seen, ms), [token, 15000]);
      if (!ok) throw new Error(`message ${i} did not arrive within 15 s`);
      await sleep(LATENCY_GAP_MS);
    }
    await stopProfiles(profiled, ['latency-sender', 'latency-receiver']);
    const sent = await a.page.evaluate(() => window.__bench.sent);
    const seen = await b.page.evaluate(() => window.__bench.seen);
    const each = Array.from({ length: LATENCY_MESSAGES }, (_, i) => seen[`L${i + 1}`] - sent[`L${i + 1}`]);
    const sorted = [...each].sort((x, y) => x - y);
    add('latency.p50', app, percentile(sorted, 0.5));
    add('latency.p99', app, percentile(sorted, 0.99));
    add('latency.first20', app, median(each.slice(0, 20)));
    add('latency.last20', app, median(each.slice(-20)));
    details.push({ scenario: 'latency', app: app.key, latencies: each.map((x) => Number(x.toFixed(2))) });
    await latencyLegs(app, a, b, sent, seen, each.length);
  } finally {
    await destroy([a, b]);
  }
}

async function burst(app) {
  const { a, b } = await connectPair(app, 'burst');
  try {
    await sleep(500);
    // The last line on screen (lines of one render past the drawn window never show).
    const arrived = b.page.evaluate(([k, ms]) => window.__bench.until(() => k in window.__bench.seen, ms), [`B${BURST}`, 120000]);
    // With BENCH_PROFILE, CPU profiles of both sides through the burst.
    const profiled = PROFILE && app === peerchat ? await startProfiles([a, b]) : [];
    // With BENCH_TIMELINE, Chrome traces of both sides (layouts, events, paints).
    const timelines = TIMELINE ? [await startTimeline(a), await startTimeline(b)] : [];
    await a.page.evaluate(([n, filler]) => window.__bench.burst('B', n, filler), [BURST, FILLER]);
    if (!(await arrived)) throw new Error(`the burst of ${BURST} did not arrive within 120 s`);
    await stopProfiles(profiled, ['burst-sender', 'burst-receiver']);
    for (const [i, t] of timelines.entries()) await stopTimeline(t, `${app.key}-burst-${i === 0 ? 'sender' : 'receiver'}`);
    const sent = await a.page.evaluate(() => window.__bench.sent);
    const seen = await b.page.evaluate(() => window.__bench.seen);
    const first = sent.B1;
    const last = Math.max(...Object.entries(seen).filter(([k]) => k[0] === 'B').map(([, v]) => v));
    add('burst.rate', app, (BURST / (last - first)) * 1000);
    // Data channel frames and storage writes (with their puts) each side made: a
    // message, its receipts and its record.
    const counts = await Promise.all([a, b].map((d) => d.page.evaluate(() => {
      const t = window.__bench.trace;
      const commits = t.filter((e) => e[1] === 'idb:commit');
      return [t.filter((e) => e[1] === 'send').length, t.filter((e) => e[1] === 'recv').length, commits.length, commits.reduce((n, e) => n + (e[3] ?? 0), 0)];
    })));
    log(`${app.label} burst, frames sent / received (storage writes, puts): ${counts.map(([s, r, w, p], i) => `${i === 0 ? 'sender' : 'receiver'} ${s}/${r} (${w}, ${p})`).join('; ')}`);
    details.push({ scenario: 'burst', app: app.key, senderMs: sent[`B${BURST}`] - first, receiverFirstMs: seen.B1 - first, lastShownMs: last - first });
  } finally {
    await destroy([a, b]);
  }
}

/**
 * A room of `n`: device 0 creates it, devices 1…n−2 open the invite at the same moment,
 * device n−1 opens it once they all show n−1 online. Returns the devices (caller destroys)
 * and the two times (NEVER after 120 s).
 */
async function formRoom(app, n, prefix) {
  const devices = await devicesFor(app, n, prefix);
  try {
    const invite = await app.createRoom(devices[0]);
    const ids = devices.map((d) => d.id);
    for (const d of devices) {
      await d.page.evaluate(([sel, k]) => {
        window.__bench.watchCount('all', sel, k);
        window.__bench.watchCount('full', sel, k + 1);
      }, [app.onlineSelector, n - 1]);
      if (TRACE) await d.page.evaluate((sel) => window.__bench.traceCount(sel), app.onlineSelector);
    }
    const joiners = devices.slice(1, n - 1);
    const last = devices[n - 1];
    // The peerjs page dials the ids it is given: the creator and the joiners before it.
    await Promise.all(joiners.map((d, j) => app.openInvite(d, invite, ids.slice(0, j + 1))));
    const before = devices.slice(0, n - 1);
    const allIn = (await Promise.all(before.map((d) => waitMark(d, 'all', ROOM_TIMEOUT)))).every(Boolean);
    let joined = null;
    if (joiners.length > 0) {
      if (allIn) {
        const m = await Promise.all(joiners.map(marks));
        joined = Math.max(...m.map((x) => x.all)) - Math.min(...m.map((x) => x.open));
      } else {
        joined = NEVER;
      }
    }
    let full = NOT_TRIED;
    if (allIn) {
      full = NEVER;
      await sleep(SETTLE_MS);
      // With BENCH_TRACE, how busy the members' main threads are in the formed room with
      // nobody joining (CDP TaskDuration over 2 s), which is what the last joiner's calls
      // to them wait behind.
      if (TRACE) await idleBusy(app, n, devices.slice(0, n - 1));
      // With BENCH_PROFILE, CPU profiles of the last joiner, the first member and the one who
      // joined just before the last.
      const profiled = PROFILE && app === peerchat ? await startProfiles([last, devices[0], devices[n - 2]]) : [];
      // Playwright injects its own script (330 KB, 100 ms of a busy page's main thread)
      // the first time a page is waited on: here, not in the middle of the join.
      await last.page.waitForFunction(() => true);
      const traceFrom = await last.page.evaluate(() => window.__bench.trace.length);
      // With BENCH_TRACE, how many elements the last joiner's page holds before and after
      // the join (drawn, shown or not): what the first drawing of the room made.
      const elements = () => last.page.evaluate(() => document.getElementsByTagName('*').length);
      const elementsBefore = TRACE ? await elements() : 0;
      // With BENCH_TRACE, the members' room counters over the last join alone (read
      // outside the CPU meters' window).
      const countedBefore = TRACE ? await roomCounters(devices) : null;
      // With BENCH_TRACE, the main-thread time each page spent on the join: on a 2-core
      // machine, what sixteen pages spend is what the join waits for.
      const meters = TRACE ? await busyMeters(devices) : [];
      const cpu = TRACE ? cpuMeter() : null;
      // With BENCH_TIMELINE, Chrome traces of the last joiner and of the member who joined
      // before it.
      const timelines = TIMELINE ? [await startTimeline(last), await startTimeline(devices[n - 2])] : [];
      await app.openInvite(last, invite, ids.slice(0, n - 1));
      const ok = (await Promise.all(devices.map((d) => waitMark(d, 'full', ROOM_TIMEOUT)))).every(Boolean);
      if (TRACE) joinBusy(app, n, await busyMs(meters), cpu.stop(), devices.map((d) => cpu.byDevice?.[d.name]));
      if (TRACE) log(`${app.label} room of ${n}, elements in the last joiner's page: ${elementsBefore} before the join, ${await elements()} after`);
      if (countedBefore) {
        const after = await roomCounters(devices);
        const changed = Object.entries(after).map(([k, v]) => [k, v - (countedBefore[k] ?? 0)]).filter(([, v]) => v);
        log(`${app.label} room of ${n}, counters over the last join: ${changed.map(([k, v]) => `${k} ${v}`).join(', ')}`);
      }
      for (const [i, t] of timelines.entries()) await stopTimeline(t, `${app.key}-room${n}-${i === 0 ? 'last' : 'member'}`);
      await stopProfiles(profiled, [`room${n}-last`, `room${n}-first`, `room${n}-member`]);
      if (TRACE) await joinTimeline(app, n, devices, traceFrom);
      if (ok) {
        const m = await Promise.all(devices.map(marks));
        full = Math.max(...m.map((x) => x.full)) - m[n - 1].open;
      }
    }
    // What PeerChat's rooms counted (the peerjs page has no such hook): formed or not,
    // the note can say how.
    const counted = await roomCounters(devices);
    if (counted) {
      details.push({ scenario: `room ${n} counters`, app: app.key, ...counted });
      log(`${app.label} room of ${n}: ${Object.entries(counted).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    if (joined === NEVER || full === NEVER) {
      const online = await Promise.all(devices.map((d) => d.page.evaluate((sel) => document.querySelectorAll(sel).length, app.onlineSelector).catch(() => -1)));
      details.push({ scenario: `room ${n}`, app: app.key, note: 'did not form within 120 s', onlineShownPerDevice: online });
      log(`${app.label} room of ${n}: did not form within 120 s; online shown per device: ${online.join(' ')}`);
    }
    return { devices, joined, full };
  } catch (e) {
    await destroy(devices);
    throw e;
  }
}

/** Starts reading each device's main-thread task time (CDP TaskDuration); `busyMs` reads on. */
async function busyMeters(devices) {
  return Promise.all(devices.map(async (d) => {
    const cdp = await d.context.newCDPSession(d.page);
    await cdp.send('Performance.enable');
    return { cdp, from: await taskMs(cdp) };
  }));
}

const taskMs = (cdp) => cdp.send('Performance.getMetrics').then((r) => 1000 * r.metrics.find((m) => m.name === 'TaskDuration').value);

/** Each meter's main-thread task time since it started, in ms; the meters are closed. */
async function busyMs(meters) {
  const each = await Promise.all(meters.map(async (m) => (await taskMs(m.cdp)) - m.from));
  await Promise.all(meters.map((m) => m.cdp.detach().catch(() => {})));
  return each;
}

/** Main-thread task time per second of each device over 2 s (CDP TaskDuration), logged. */
async function idleBusy(app, n, devices) {
  const meters = await busyMeters(devices);
  // With BENCH_PROFILE, a CPU profile of one idle member over the same 2 s (the second,
  // or the only one in a room of 2).
  const idle = devices[Math.min(1, devices.length - 1)];
  const profiled = PROFILE && app === peerchat ? await startProfiles([idle]) : [];
  // With BENCH_TIMELINE, a Chrome trace of that member too: what an idle page still does.
  const timeline = TIMELINE ? await startTimeline(idle) : null;
  const cpu = cpuMeter();
  const t = Date.now();
  await sleep(2000);
  const spent = await busyMs(meters);
  const machine = cpu.stop();
  // The window the meters measured, not the time taken to write the profile and trace.
  const secs = (Date.now() - t) / 1000;
  await stopProfiles(profiled, [`room${n}-idle`]);
  if (timeline) await stopTimeline(timeline, `${app.key}-room${n}-idle`);
  const each = spent.map((ms) => ms / secs);
  const mean = each.reduce((x, y) => x + y, 0) / each.length;
  log(`${app.label} room of ${n}, members idle before the last joiner: main thread busy ${mean.toFixed(0)} ms/s on average (${each.map((x) => x.toFixed(0)).join(' ')})`);
  details.push({ scenario: `room ${n} idle busy`, app: app.key, msPerSecond: each, machineMsPerSecond: machine });
  if (machine) log(`${app.label} room of ${n}, members idle before the last joiner: the machine's CPU ${cpuLine(machine)}`);
  // Per member (as during the join): which pages keep the machine busy, and with what.
  if (cpu.byDevice) {
    const byDevice = devices.map((d) => cpu.byDevice[d.name] ?? {});
    const total = (kinds) => Object.values(kinds).reduce((x, y) => x + y, 0);
    const busiest = [...byDevice.keys()].sort((a, b) => total(byDevice[b]) - total(byDevice[a])).slice(0, 3);
    log(`${app.label} room of ${n}, members idle before the last joiner: CPU by member over ${secs.toFixed(1)} s ${byDevice.map(total).join(' ')} ms; the busiest: ${busiest.map((i) => `M${i} ${deviceCpuLine(byDevice[i])}`).join('; ')}`);
  }
}

/** Ends the Chrome trace running on `cdp` and detaches: the trace's JSON text. */
async function endTrace(cdp) {
  const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.end');
  const { stream } = await done;
  let text = '';
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream });
    text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data;
    if (chunk.eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  await cdp.detach().catch(() => {});
  return text;
}

/**
 * Logs where `device`'s page renderer keeps its memory (BENCH_MEMDUMP): Chrome's own
 * accounting (memory-infra) by allocator, the sizes the process's allocators report.
 */
async function memoryDump(device, name) {
  const cdp = await device.context.newCDPSession(device.page);
  await cdp.send('Tracing.start', {
    transferMode: 'ReturnAsStream',
    traceConfig: { includedCategories: ['disabled-by-default-memory-infra'], memoryDumpConfig: { triggers: [] } },
  });
  // Not deterministic: that would collect the page's garbage first, and change what the
  // scenario measures after the dump.
  await cdp.send('Tracing.requestMemoryDump', { deterministic: false, levelOfDetail: 'detailed' });
  const text = await endTrace(cdp);
  const events = JSON.parse(text).traceEvents ?? JSON.parse(text);
  const size = (a) => parseInt(a?.attrs?.effective_size?.value ?? a?.attrs?.size?.value ?? '0', 16);
  // Every process of the browser is dumped (the page's renderer, a spare one, headless
  // Chromium's own UI renderer, the browser, the GPU process); the page's renderer, the
  // traced one, is the only one whose threads the trace names.
  const traced = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => e.pid));
  const dump = events.find((e) => e.ph === 'v' && traced.has(e.pid) && e.args?.dumps?.allocators);
  if (!dump) return log(`${name} memory dump: none`);
  const all = dump.args.dumps.allocators;
  const top = Object.keys(all).filter((k) => !k.includes('/') || /^(v8|blink_gc|partition_alloc|malloc|skia|font_caches|cc|web_cache|discardable|gpu|shared_memory|blink_objects|canvas|sqlite|leveldatabase|mojo|net|v8\/[^/]+|partition_alloc\/partitions\/[^/]+|v8\/[^/]+\/heap\/[^/]+)$/.test(k));
  const rows = top.map((k) => [k, size(all[k])]).filter(([, v]) => v >= 256 * 1024).sort((x, y) => y[1] - x[1]);
  log(`${name} memory by allocator (MiB): ${rows.map(([k, v]) => `${k} ${(v / 1048576).toFixed(1)}`).join(', ')}`);
  await mkdir(path.dirname(OUT), { recursive: true });
  await writeFile(OUT.replace(/\.json$/, '') + `-${name}-memory.json`, JSON.stringify(all));
}

/** Starts a Chrome performance trace of `device`'s browser (BENCH_TIMELINE). */
async function startTimeline(device) {
  const cdp = await device.context.newCDPSession(device.page);
  await cdp.send('Tracing.start', {
    transferMode: 'ReturnAsStream',
    // v8.wasm: which wasm functions the browser compiles (again, optimized) meanwhile.
    traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink.user_timing', 'toplevel', 'v8.wasm', 'disabled-by-default-v8.wasm.detailed', ...(process.env.BENCH_TRACE_CATS ?? '').split(',').filter(Boolean)] },
  });
  return cdp;
}

/** Ends the trace `startTimeline` began: writes it, and logs the main thread's time by event. */
async function stopTimeline(cdp, name) {
  const text = await endTrace(cdp);
  await mkdir(path.dirname(OUT), { recursive: true });
  await writeFile(OUT.replace(/\.json$/, '') + `-${name}-timeline.json`, text);
  const events = JSON.parse(text).traceEvents ?? JSON.parse(text);
  // The renderer's main thread: the one that ran the page's script.
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const onMain = events.filter((e) => e.ph === 'X' && main && e.pid === main.pid && e.tid === main.tid);
  // Self time per event name: each event's duration less that of the events inside it.
  const self = new Map();
  const stack = [];
  for (const e of onMain.sort((a, b) => a.ts - b.ts || b.dur - a.dur)) {
    while (stack.length && stack[stack.length - 1].end <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - (e.dur ?? 0));
    self.set(e.name, (self.get(e.name) ?? 0) + (e.dur ?? 0));
    stack.push({ name: e.name, end: e.ts + (e.dur ?? 0) });
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
  log(`${name} main thread, self time by event (ms): ${top.map(([k, v]) => `${k} ${(v / 1000).toFixed(0)}`).join(', ')}`);
  // Off the main thread: wasm functions hot enough to be compiled again, optimized.
  const tiers = events.filter((e) => e.name === 'wasm.TopTierCompilation');
  const tierMs = tiers.reduce((sum, e) => sum + (e.tdur ?? e.dur ?? 0), 0) / 1000;
  if (tiers.length > 0) log(`${name} wasm functions compiled optimized during the trace: ${tiers.length}, ${tierMs.toFixed(0)} ms of CPU`);
}

/** Logs the main-thread time each page spent while the last joiner joined (BENCH_TRACE). */
function joinBusy(app, n, spent, machine, byDevice) {
  const members = spent.slice(0, n - 1);
  const sum = members.reduce((x, y) => x + y, 0);
  log(`${app.label} room of ${n}, main thread busy during the last join: joiner ${spent[n - 1].toFixed(0)} ms, members ${sum.toFixed(0)} ms in all (${members.map((x) => x.toFixed(0)).join(' ')})`);
  details.push({ scenario: `room ${n} join busy`, app: app.key, joinerMs: spent[n - 1], membersMs: members, machineMsPerSecond: machine });
  if (machine) log(`${app.label} room of ${n}, during the last join: the machine's CPU ${cpuLine(machine)}`);
  // Per device (its browser, renderer, GPU and network processes; clock ticks of 10 ms):
  // the joiner's own share, and each member's.
  if (byDevice?.[n - 1]) {
    const total = (kinds) => Object.values(kinds ?? {}).reduce((x, y) => x + y, 0);
    log(`${app.label} room of ${n}, CPU during the last join by device: joiner ${deviceCpuLine(byDevice[n - 1])}; members ${byDevice.slice(0, n - 1).map(total).join(' ')} ms`);
    details.push({ scenario: `room ${n} join cpu by device`, app: app.key, joinerMs: byDevice[n - 1], membersMs: byDevice.slice(0, n - 1) });
  }
}

/**
 * The last joiner's timeline (BENCH_TRACE): per connection of the last joiner, each step
 * in ms after it opened the invite, and on every member the steps of its connection to
 * the last joiner and when it showed everyone online. Logged, and kept in full.
 */
async function joinTimeline(app, n, devices, traceFrom) {
  await sleep(300);
  const last = devices[n - 1];
  const traces = await Promise.all(devices.map((d) => d.page.evaluate(() => window.__bench.trace)));
  const longTasks = await Promise.all(devices.map((d) => d.page.evaluate(() => window.__bench.longTasks)));
  const t0 = (await marks(last)).open;
  const rel = (t) => (t === undefined ? '' : (t - t0).toFixed(0));
  const name = new Map(devices.map((d, i) => [d.id, `M${i}`]));
  /** Per connection: its steps' first times, its peer and whether we dialled. */
  const conns = (trace, from = 0) => {
    const byPc = new Map();
    for (const [, kind, conn, extra] of trace) if (kind === 'channel') byPc.set(extra, conn);
    const out = new Map();
    const get = (c) => (out.has(c) ? out.get(c) : out.set(c, { steps: {} }).get(c));
    for (const [t, kind, conn0, extra] of trace.slice(from)) {
      if (kind === 'online') continue;
      const pcId = Array.isArray(extra) ? extra[0] : extra;
      const conn = conn0 ?? (typeof pcId === 'number' ? byPc.get(pcId) : undefined);
      if (!conn) continue;
      const c = get(conn);
      const k = kind === 'candidate' ? 'candidate' : kind;
      c.steps[k] ??= t;
      if (kind === 'broker:out:OFFER') { c.dialled = true; c.peer = extra; }
      if (kind === 'broker:in:OFFER') { c.dialled = false; c.peer = extra; }
      if (kind === 'send' || kind === 'recv') c[kind] = (c[kind] ?? 0) + 1;
    }
    return out;
  };
  const cols = [['pc', 'pc'], ['createOffer:done', 'offer'], ['broker:out:OFFER', 'offer→'], ['broker:in:OFFER', '→offer'],
    ['setRemote:done', 'remote set'], ['createAnswer:done', 'answer'], ['broker:out:ANSWER', 'answer→'],
    ['broker:in:ANSWER', '→answer'], ['candidate', 'cand'], ['open', 'open'], ['send', '1st sent'], ['recv', '1st recv'], ['close', 'closed']];
  const lines = [`${app.label} room of ${n}, last joiner's timeline (ms after it opened the invite):`,
    `  ${['peer', 'dir', ...cols.map((c) => c[1])].map((h) => h.padStart(9)).join('')}`];
  const mine = conns(traces[n - 1], traceFrom);
  const rows = [...mine.values()].sort((a, b) => (a.steps.open ?? Infinity) - (b.steps.open ?? Infinity));
  for (const c of rows) {
    lines.push(`  ${[name.get(c.peer) ?? (c.peer ?? '?').slice(0, 8), c.dialled ? 'out' : 'in', ...cols.map(([k]) => rel(c.steps[k]))].map((v) => String(v).padStart(9)).join('')}`);
  }
  const online = traces[n - 1].slice(traceFrom).filter((e) => e[1] === 'online').map((e) => `${e[3]}@${rel(e[0])}`);
  lines.push(`  online shown: ${online.join(' ')}`);
  const busy = (i) => longTasks[i].filter(([, e]) => e >= t0).map(([st, e]) => `${rel(st)}+${(e - st).toFixed(0)}`);
  lines.push(`  its tasks ≥ 50 ms (start+ms): ${busy(n - 1).join(' ')}`);
  lines.push(`  members, their link to the last joiner:`);
  // Per member: from its own link to the last joiner opening to it showing everyone.
  const waits = [];
  for (const [i, trace] of traces.slice(0, n - 1).entries()) {
    const start = trace.findIndex((e) => e[0] >= t0);
    const theirs = [...conns(trace, Math.max(0, start)).values()].filter((c) => c.peer === last.id || (c.steps['broker:in:OFFER'] && !name.has(c.peer)));
    const full = trace.find((e) => e[1] === 'online' && e[3] >= n && e[0] >= t0);
    // The last opened: the holder of the rendezvous id also has the newcomer's call there.
    const opens = theirs.filter((c) => c.peer === last.id && c.steps.open !== undefined).map((c) => c.steps.open);
    if (opens.length > 0 && full) waits.push(full[0] - Math.max(...opens));
    for (const c of theirs) {
      lines.push(`  ${[`M${i}`, c.dialled ? 'out' : 'in', ...cols.map(([k]) => rel(c.steps[k]))].map((v) => String(v).padStart(9)).join('')}  (${n} shown @${full ? rel(full[0]) : 'never'})`);
    }
    if (theirs.length === 0) lines.push(`  M${i}: no connection to the last joiner traced (${n} shown @${full ? rel(full[0]) : 'never'})`);
  }
  if (waits.length > 0) {
    lines.push(`  members, their link to the last joiner open → ${n} shown: median ${median(waits).toFixed(0)} ms, worst ${Math.max(...waits).toFixed(0)} ms (${waits.length} members)`);
  }
  log(lines.join('\n'));
  details.push({ scenario: `room ${n} timeline`, app: app.key, text: lines });
  await mkdir(path.dirname(OUT), { recursive: true });
  await writeFile(OUT.replace(/\.json$/, '') + `-${app.key}-room${n}-${Date.now()}-trace.json`,
    JSON.stringify({ t0, ids: devices.map((d) => d.id), traces, longTasks }));
}

/** Starts a CDP CPU profile on each device's page. */
async function startProfiles(devices) {
  return Promise.all(devices.map(async (d) => {
    const cdp = await d.context.newCDPSession(d.page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    return cdp;
  }));
}

/** Stops the profiles `startProfiles` began; logs their top self times and keeps them. */
async function stopProfiles(sessions, names) {
  for (const [i, cdp] of sessions.entries()) {
    const { profile } = await cdp.send('Profiler.stop');
    const top = selfTimes(profile);
    details.push({ scenario: `${names[i]} profile`, selfTimes: top });
    await mkdir(path.dirname(OUT), { recursive: true });
    await writeFile(OUT.replace(/\.json$/, '') + `-${names[i]}-${Date.now()}.cpuprofile`, JSON.stringify(profile));
    log(`${names[i]} profile, self time (ms):\n${top.map(([f, ms]) => `#   ${String(ms).padStart(8)}  ${f}`).join('\n')}`);
  }
}

/**
 * The room counters of every device (dials, failed dials, duplicates closed, silent drops,
 * hellos sent and received, ...: `window.peerchatRoomStats()`), summed; null without them.
 */
async function roomCounters(devices) {
  const all = await Promise.all(devices.map((d) => d.page.evaluate(() => window.peerchatRoomStats?.() ?? '').catch(() => '')));
  let sum = null;
  for (const json of all.filter(Boolean)) {
    for (const [, stats] of JSON.parse(json)) {
      sum ??= {};
      for (const [k, v] of Object.entries(stats)) sum[k] = (sum[k] ?? 0) + v;
    }
  }
  return sum;
}

/**
 * A room of two, one member sends `n` lines as fast as its page takes them: messages per
 * second on the other's screen (first submitted → last shown), and how long the sender's
 * page took to take them all. The room's burst, where `burst` is one-to-one.
 */
async function roomBurst(app, n) {
  const { devices, full } = await formRoom(app, 2, `roomburst${n}-`);
  try {
    if (full === NEVER || full === NOT_TRIED) throw new Error('the room of two did not form');
    await sleep(1000);
    const [a, b] = devices;
    const profiled = PROFILE && app === peerchat ? await startProfiles([a, b]) : [];
    const arrived = a.page.evaluate(([k, ms]) => window.__bench.until(() => k in window.__bench.seen, ms), [`Q${n}`, 900000]);
    // Progress every 10 s: lines the sender's page took, lines on the receiver's screen.
    let done = false;
    const progress = (async () => {
      const t0 = Date.now();
      while (!done) {
        await sleep(10000);
        if (done) break;
        const [taken, shown, storedB, storedA] = await Promise.all([
          b.page.evaluate(() => Object.keys(window.__bench.sent).length).catch(() => -1),
          a.page.evaluate(() => window.__bench.counts.Q ?? 0).catch(() => -1),
          app === peerchat ? b.page.evaluate(storedRecords).catch(() => -1) : '–',
          app === peerchat ? a.page.evaluate(storedRecords).catch(() => -1) : '–',
        ]);
        log(`${app.label} room burst of ${n}, ${((Date.now() - t0) / 1000).toFixed(0)} s: ${taken} taken by the sender (records ${storedB}), ${shown} shown on the receiver (records ${storedA})`);
        for (const d of [b, a]) for (const line of d.printed.splice(0).slice(0, 5)) log(`${d.name}: ${line.slice(0, 300)}`);
        if (process.env.BENCH_SHOTS) for (const [d, who] of [[b, 'sender'], [a, 'receiver']]) await d.page.screenshot({ path: `${process.env.BENCH_SHOTS}-${who}.png` }).catch(() => {});
      }
    })();
    await b.page.evaluate(([k, f]) => window.__bench.burst('Q', k, f), [n, FILLER]);
    const ok = await arrived;
    done = true;
    await progress;
    await stopProfiles(profiled, [`roomburst${n}-receiver`, `roomburst${n}-sender`]);
    if (!ok) {
      add(`roomburst.${n}.rate`, app, NEVER);
      const shown = await a.page.evaluate(() => window.__bench.counts.Q ?? 0);
      log(`${app.label} room burst of ${n}: ${shown} shown within 15 min`);
      return;
    }
    const sent = await b.page.evaluate(() => window.__bench.sent);
    const seen = await a.page.evaluate(([k]) => window.__bench.seen[k], [`Q${n}`]);
    add(`roomburst.${n}.rate`, app, (n / (seen - sent.Q1)) * 1000);
    add(`roomburst.${n}.sender`, app, sent[`Q${n}`] - sent.Q1);
    log(`${app.label} room burst of ${n}: sender took ${((sent[`Q${n}`] - sent.Q1) / 1000).toFixed(1)} s, last shown after ${((seen - sent.Q1) / 1000).toFixed(1)} s`);
  } finally {
    await destroy(devices);
  }
}

async function room(app, n) {
  const { devices, joined, full } = await formRoom(app, n, `room${n}-`);
  await destroy(devices);
  if (joined !== null) add(`room.${n}.joiners`, app, joined);
  add(`room.${n}.last`, app, full);
}

async function room500(app) {
  const n = ROOM500_MEMBERS;
  const { devices, full } = await formRoom(app, n, 'room500-');
  try {
    if (full === NEVER || full === NOT_TRIED) {
      add('room500.time', app, NEVER);
      return;
    }
    await sleep(1000);
    const shares = devices.map((_, i) => Math.floor(BURST / n) + (i < BURST % n ? 1 : 0));
    // With BENCH_PROFILE, CPU profiles of two members through the whole exchange.
    const profiled = PROFILE && app === peerchat ? await startProfiles([devices[0], devices[n - 1]]) : [];
    // With BENCH_TIMELINE, a Chrome trace of one member, of either app.
    const timelines = TIMELINE ? [await startTimeline(devices[n - 1])] : [];
    const arrived = devices.map((d) => d.page.evaluate(([k, ms]) => window.__bench.until(() => (window.__bench.counts.R ?? 0) >= k, ms), [BURST, ROOM_TIMEOUT]));
    // The machine's CPU through the exchange, by kind of process: eight devices share two
    // cores, so what each costs in all sets the pace.
    const cpu = cpuMeter();
    if (TRACE) await devices[n - 1].page.evaluate(() => { window.__bench.mutations = Object.create(null); });
    await Promise.all(devices.map((d, i) => d.page.evaluate(([p, k, f]) => window.__bench.burst(p, k, f), [`R${i}.`, shares[i], FILLER])));
    const ok = (await Promise.all(arrived)).every(Boolean);
    const machine = cpu.stop();
    if (machine) log(`${app.label} 8-member room, the machine's CPU through the 500: ${cpuLine(machine)}`);
    await stopProfiles(profiled, ['room500-first', 'room500-last']);
    for (const t of timelines) await stopTimeline(t, `${app.key}-room500-member`);
    if (!ok) {
      // Which lines each page lacks, by author: a lost frame, or a page behind.
      const missing = await Promise.all(devices.map((d) => d.page.evaluate(([k, sh]) => {
        const seen = window.__bench.seen;
        return sh.map((c, i) => [...Array(c).keys()].filter((j) => !(`R${i}.${j + 1}` in seen)).map((j) => `R${i}.${j + 1}`)).flat().join(' ');
      }, [BURST, shares]).catch((e) => String(e))));
      log(`${app.label} 8-member room, lines missing per device: ${missing.map((m, i) => `${i}: ${m.slice(0, 200) || 'none'}`).join('; ')}`);
      for (const [i, m] of missing.entries()) {
        if (!m) continue;
        // Lines in memory but never drawn (the list stopped following the newest) look
        // the same from here as lines lost: the jump button and the scroll tell them apart.
        const [notices, stats, view] = await devices[i].page.evaluate(() => {
          const list = document.querySelector('ol.messages');
          return [
            [...document.querySelectorAll('li.notice')].slice(-8).map((e) => e.textContent).join(' | '),
            window.peerchatRoomStats?.() ?? '',
            `${document.querySelectorAll('li.message').length} lines drawn, jump button: ${document.querySelector('button.jump')?.getAttribute('aria-label') ?? 'none'}, scrolled ${list?.scrollTop} of ${list?.scrollHeight} (view ${list?.clientHeight}), notes: ${[...document.querySelectorAll('section.room .note, section.room .warn')].map((e) => e.textContent).join(' | ') || 'none'}`,
          ];
        }).catch((e) => [String(e), '', '']);
        log(`device ${i}: ${view}; notices: ${notices}; room stats: ${stats}`);
        // Scrolled back to the top a step at a time, the lines in the screen's state come
        // into the page: those that do were received and only passed over while the list
        // followed the newest; the others never reached the screen.
        const never = await devices[i].page.evaluate(async (want) => {
          const list = document.querySelector('ol.messages');
          for (let k = 0; k < 40 && list; k++) {
            list.scrollTop = 0;
            list.dispatchEvent(new Event('scroll'));
            await new Promise((r) => setTimeout(r, 100));
          }
          const seen = window.__bench.seen;
          return want.split(' ').filter((t) => !(t in seen)).join(' ');
        }, m).catch((e) => String(e));
        log(`device ${i}, scrolled back to the top: ${never ? `never on screen: ${never.slice(0, 200)}` : 'every missing line came into view (in the state, passed over while following)'}`);
      }
      // Every page's channel trace, lines sent and seen, and counters, to follow the
      // lines lacking from the author's send to the reader's channel.
      const pages = await Promise.all(devices.map((d) => d.page.evaluate(() => ({
        trace: window.__bench.trace, sent: window.__bench.sent, seen: window.__bench.seen,
        stats: window.peerchatRoomStats?.() ?? '',
      })).catch((e) => ({ error: String(e) }))));
      await mkdir(path.dirname(OUT), { recursive: true });
      const file = OUT.replace(/\.json$/, '') + `-${app.key}-room500-lacking-${Date.now()}.json`;
      await writeFile(file, JSON.stringify({ ids: devices.map((d) => d.id), missing, pages }));
      log(`every page's trace: ${file}`);
      add('room500.time', app, NEVER);
      return;
    }
    const m = await Promise.all(devices.map((d) => d.page.evaluate(() => {
      const b = window.__bench;
      const sent = Object.entries(b.sent).filter(([k]) => k[0] === 'R').map(([, v]) => v);
      const seen = Object.entries(b.seen).filter(([k]) => k[0] === 'R').map(([, v]) => v);
      return { first: Math.min(...sent), last: Math.max(...seen) };
    })));
    add('room500.time', app, Math.max(...m.map((x) => x.last)) - Math.min(...m.map((x) => x.first)));
    // Frames lost and made good on the way (messages sent again for want of a receipt).
    const counters = await roomCounters(devices);
    if (counters) log(`${app.label} 8-member room after the 500: resent ${counters.resent}, frames dropped ${counters.frames_dropped}, on a link let go ${counters.frames_after_link_gone}, silent drops ${counters.silent_drops}, redials ${counters.redials}`);
    // Data channel frames each page sent and received (the probe's trace): messages,
    // receipts, keepalives and the rest.
    const frames = await Promise.all(devices.map((d) => d.page.evaluate(() => {
      const t = window.__bench.trace;
      return [t.filter((e) => e[1] === 'send').length, t.filter((e) => e[1] === 'recv').length, t.filter((e) => e[1] === 'idb:commit').length];
    })));
    log(`${app.label} 8-member room, frames per device sent / received (storage writes): ${frames.map(([s, r, w]) => `${s}/${r} (${w})`).join(', ')}`);
    if (TRACE) {
      const changes = await devices[n - 1].page.evaluate(() => Object.entries(window.__bench.mutations).sort((x, y) => y[1] - x[1]).slice(0, 12));
      log(`${app.label} 8-member room, DOM changes on one member's page through the 500 by kind and place: ${changes.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    if (SIZES) log(`${app.label} sizes sent by one: ${await devices[0].page.evaluate(() => { const h = {}; for (const e of window.__bench.trace) if (e[1] === 'send' && e[0] >= Math.min(...Object.values(window.__bench.sent))) { const k = Math.round(e[3] / 50) * 50; h[k] = (h[k] ?? 0) + 1; } return JSON.stringify(h); })}`);
    // Memory of each device after that (PSS of its renderer processes).
    await sleep(2000);
    const pss = await Promise.all(devices.map((d) => rendererPss(d.dir)));
    // What the page holds, to see where its memory goes: the wasm heap (never shrinks),
    // V8's JS heap, and the elements in the document.
    const held = await Promise.all(devices.map((d) => d.page.evaluate(() => [
      window.__bench.wasmMemory?.buffer.byteLength ?? 0, performance.memory?.usedJSHeapSize ?? 0,
      performance.memory?.totalJSHeapSize ?? 0, document.getElementsByTagName('*').length])));
    const mib = (x) => (x / 1048576).toFixed(1);
    log(`${app.label} 8-member room, per device: PSS / wasm heap / JS heap used of total (MiB) / elements: ${held.map(([w, u, t, e], i) => `${mib(pss[i][0] ?? 0)} / ${mib(w)} / ${mib(u)} of ${mib(t)} / ${e}`).join('; ')}`);
    add('memory.page', app, median(pss.map((p) => p[0] ?? 0)));
    add('memory.renderers', app, median(pss.map((p) => p.reduce((x, y) => x + y, 0))));
    details.push({ scenario: 'room500 memory', app: app.key, rendererPssPerDevice: pss });
    if (MEMDUMP) await memoryDump(devices[n - 1], `${app.key}-room500`);
  } finally {
    await destroy(devices);
  }
}

/** Records in every object store of the app's IndexedDB database, summed (in the page). */
const storedRecords = () => new Promise((resolve) => {
  const req = indexedDB.open('peerchat');
  req.onerror = () => resolve(-1);
  req.onsuccess = async () => {
    const db = req.result;
    let total = 0;
    for (const name of db.objectStoreNames) {
      total += await new Promise((r) => {
        const c = db.transaction(name).objectStore(name).count();
        c.onsuccess = () => r(c.result);
        c.onerror = () => r(0);
      });
    }
    db.close();
    resolve(total);
  };
});

/** Self time per function of a CDP Profiler profile, largest first. */
function selfTimes(profile, top = 20) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  });
  return [...self].sort((x, y) => y[1] - x[1]).slice(0, top).map(([fn, ms]) => [fn, Number(ms.toFixed(1))]);
}

/**
 * A device on its first run creates a room, a second device opens the invite and sends
 * `n` messages, both browsers close, the first is launched again on its profile; from
 * the click on Unlock: the room on screen, its newest message on screen, and the main
 * thread idle (the end of the last task of 50 ms or more, once none ran for QUIET_MS).
 */
async function unlock(n) {
  const app = peerchat;
  const origin = new URL(web.url).origin;
  const [a, b] = await devicesFor(app, 2, `unlock${n}-`);
  let again = null;
  try {
    const invite = await app.createRoom(a);
    await app.openInvite(b, invite);
    const both = await Promise.all([a, b].map((d) => d.page.evaluate(([sel, ms]) =>
      window.__bench.until(() => document.querySelectorAll(sel).length >= 2, ms), [app.onlineSelector, 60000])));
    if (!both.every(Boolean)) throw new Error('the room of two did not form within 60 s');
    const t = Date.now();
    if (n > 0) {
      const arrived = a.page.evaluate(([k, ms]) => window.__bench.until(() => k in window.__bench.seen, ms), [`S${n}`, 900000]);
      await b.page.evaluate(([k, f]) => window.__bench.burst('S', k, f), [n, FILLER]);
      if (!(await arrived)) throw new Error(`the ${n} messages did not reach the first device within 15 min`);
    }
    // Stored: the record count holds still for 2 s.
    let records = -1;
    for (let last = -2; records !== last || records < n;) {
      last = records;
      await sleep(2000);
      records = await a.page.evaluate(storedRecords);
    }
    const fill = (Date.now() - t) / 1000;
    await b.destroy();
    await a.close();
    for (let k = 0; k < RELAUNCHES; k++) {
      const copy = await mkdtemp(path.join(os.tmpdir(), `bench-unlock${n}-copy-`));
      await cp(a.dir, copy, { recursive: true });
      again = await launchDevice(`${app.key}-unlock${n}-again`, { origin, firstScreen: app.firstScreen, profile: copy });
      await unlockOnce(app, n, again, fill, records, k);
      await again.destroy();
      again = null;
    }
  } finally {
    if (again) await again.destroy();
    await destroy([a, b]);
  }
}

/** One launch on a filled profile: click Unlock, then what `unlock` times. */
async function unlockOnce(app, n, again, fill, records, k) {
  const { page } = again;
  await page.goto(web.url);
  if (!(await waitMark(again, 'firstScreen', 30000))) throw new Error('the unlock screen was not shown');
  const click = await app.prepareUnlock(again);
  await sleep(1000);
  await page.evaluate(() => {
    window.__bench.watchText('room', '#room-title', '^Bench room$');
    window.__bench.markNextClick('click');
  });
  const cdp = await again.context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const taskMs = async () => 1000 * (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
  if (PROFILE) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  const busyBefore = await taskMs();
  await click();
  const newest = n > 0 ? `S${n}` : null;
  const shown = await page.evaluate(([k, ms]) => window.__bench.until(() => (k ? k in window.__bench.seen : 'room' in window.__bench.marks), ms), [newest, 120000]);
  if (!shown) throw new Error(`the room${newest ? ` and ${newest}` : ''} not on screen within 120 s`);
  const m = await page.evaluate(async ([k, quiet, ms]) => {
    const b = window.__bench;
    const click = b.marks.click;
    const newest = k ? b.seen[k] : b.marks.room;
    const end = b.now() + ms;
    for (;;) {
      const after = b.longTasks.filter(([, e]) => e >= click);
      const last = Math.max(newest, ...after.map(([, e]) => e));
      if (b.now() - last >= quiet || b.now() > end) {
        return { click, room: b.marks.room, newest, idle: last, longTasks: after.reduce((sum, [s, e]) => sum + e - Math.max(s, click), 0), quiet: b.now() - last >= quiet };
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }, [newest, QUIET_MS, 120000]);
  const busy = (await taskMs()) - busyBefore;
  if (!m.quiet) throw new Error('the main thread did not go idle within 120 s');
  // What the page holds once idle: a history kept in storage should not be in memory.
  const [pss] = await rendererPss(again.dir);
  const wasm = await page.evaluate(() => window.__bench.wasmMemory?.buffer.byteLength ?? 0);
  add(`unlock.${n}.pss`, app, pss ?? 0);
  add(`unlock.${n}.wasm`, app, wasm);
  add(`unlock.${n}.room`, app, m.room - m.click);
  add(`unlock.${n}.newest`, app, m.newest - m.click);
  add(`unlock.${n}.idle`, app, m.idle - m.click);
  add(`unlock.${n}.longtasks`, app, m.longTasks);
  add(`unlock.${n}.busy`, app, busy);
  const detail = { scenario: `unlock ${n}`, app: app.key, fillSeconds: fill, records, busyIncludesQuietMs: QUIET_MS,
    room: m.room - m.click, newest: m.newest - m.click, idle: m.idle - m.click, longTasks: m.longTasks, busy, pss, wasm };
  if (PROFILE) {
    const { profile } = await cdp.send('Profiler.stop');
    detail.selfTimes = selfTimes(profile);
    await mkdir(path.dirname(OUT), { recursive: true });
    await writeFile(OUT.replace(/\.json$/, '') + `-unlock${n}-${Date.now()}.cpuprofile`, JSON.stringify(profile));
    log(`unlock ${n} profile, self time (ms):\n${detail.selfTimes.map(([f, ms]) => `#   ${String(ms).padStart(8)}  ${f}`).join('\n')}`);
  }
  if (TRACE) {
    // With BENCH_TRACE, what the page did after the click as the probe saw it: storage
    // transactions, the broker's socket, connections (ms after the click).
    const steps = await page.evaluate(([t0]) => window.__bench.trace.filter(([t]) => t >= t0).map(([t, kind, , extra]) => `${kind}${extra === null ? '' : `(${extra})`}@${(t - t0).toFixed(0)}`), [m.click]);
    log(`unlock ${n} timeline: ${steps.slice(0, 80).join(' ')}`);
  }
  details.push(detail);
  log(`unlock ${n}${RELAUNCHES > 1 ? ` (launch ${k + 1}/${RELAUNCHES})` : ''}: filled in ${fill.toFixed(0)} s (${records} records); room ${(m.room - m.click).toFixed(0)} ms, newest ${(m.newest - m.click).toFixed(0)} ms, idle ${(m.idle - m.click).toFixed(0)} ms, long tasks ${m.longTasks.toFixed(0)} ms, main thread busy ${busy.toFixed(0)} ms; then renderer PSS ${((pss ?? 0) / 1048576).toFixed(1)} MiB, wasm heap ${(wasm / 1048576).toFixed(1)} MiB`);
}

// ---------------------------------------------------------------------------------------
// Files one to one: PeerChat's attach → the receiver has it stored (its Save link shown),
// against the peerjs page sending raw ArrayBuffers on a connection of its own; renderer
// memory sampled during a bigger transfer; for PeerChat also a ≈FILE_MB MB PNG: its last
// piece in → the thumbnail decoded in an animation frame.

const FILE_CHUNK = 64 << 10;

/** `size` bytes that differ all along (an LCG), as the e2e files test makes them. */
function noise(size, seed) {
  const b = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i + 4 <= size; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b.writeUInt32LE(x, i);
  }
  return b;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG of noise (RGB, barely compressible) of about `bytes` bytes. */
function noisePng(bytes, seed) {
  const side = Math.round(Math.sqrt(bytes / 3));
  const row = side * 3 + 1;
  const raw = noise(row * side, seed);
  for (let y = 0; y < side; y++) raw[y * row] = 0; // filter: none
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
}

/** Peak renderer PSS (the page's) of each device until the returned function is called. */
function samplePss(devices, series = null) {
  const peaks = devices.map(() => 0);
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const pss = await Promise.all(devices.map((d) => rendererPss(d.dir)));
      pss.forEach((p, i) => { peaks[i] = Math.max(peaks[i], p[0] ?? 0); });
      series?.push([Date.now(), ...pss.map((p) => Math.round((p[0] ?? 0) / 1048576))]);
      await sleep(250);
    }
  })();
  return async () => {
    stop = true;
    await loop;
    return peaks;
  };
}

const FILE_TIMEOUT = 600000;

/** PeerChat: `a` attaches the file at `at`; resolves with the marks once `b` can save it. */
async function peerchatFile(a, b, at, name) {
  await b.page.evaluate((n) => {
    const find = () => [...document.querySelectorAll('.file-card')].find((c) => c.textContent.includes(n));
    window.__bench.watch(`saved:${n}`, () => Boolean(find()?.querySelector('.file-save')));
    window.__bench.watchFrame(`thumb:${n}`, () => {
      const img = find()?.querySelector('img.thumb');
      return Boolean(img?.complete && img.naturalWidth > 0);
    });
  }, name);
  const input = a.page.locator('#message-input-attach');
  await a.page.waitForFunction((el) => !el.disabled, await input.elementHandle(), { timeout: 60000 });
  await a.page.evaluate((n) => window.__bench.markNextChange(`attach:${n}`), name);
  await input.setInputFiles(at);
  if (!(await waitMark(b, `saved:${name}`, FILE_TIMEOUT))) throw new Error(`${name} was not saveable within ${FILE_TIMEOUT / 1000} s`);
  const [ma, mb] = await Promise.all([marks(a), marks(b)]);
  // The last piece: the receiver's last data-channel message before the Save link.
  const lastIn = await b.page.evaluate((saved) => Math.max(...window.__bench.trace
    .filter(([t, kind, , n]) => kind === 'recv' && t <= saved && n > 1024).map(([t]) => t)), mb[`saved:${name}`]);
  return { start: ma[`attach:${name}`], saved: mb[`saved:${name}`], lastIn };
}

/**
 * With BENCH_TRACE, where a PeerChat transfer's time went (`marks`: `peerchatFile`'s), from
 * both pages' channel traces: the sender's first frames (its offer first), the receiver's
 * first chunk on the file channel, and the MB in by every 100 ms from the attach.
 */
async function fileTimeline(a, b, name, { start, saved }) {
  const [sent, came] = await Promise.all([framesTraced(a, 'send'), framesTraced(b, 'recv')]);
  const since = (t) => (t - start).toFixed(0);
  const firstOut = sent.filter(([t]) => t >= start).slice(0, 4).map(([t, , n]) => `${n} B @${since(t)}`).join(', ');
  // Chunks come on the link's file channel alone (see PROTOCOL.md, Files).
  const chunks = came.filter(([t, conn]) => t >= start && conn === 'files');
  const steps = [];
  let [total, i] = [0, 0];
  for (let ms = 100; ms <= saved - start + 100; ms += 100) {
    for (; i < chunks.length && chunks[i][0] - start <= ms; i++) total += chunks[i][2];
    steps.push(`${ms}:${(total / 1e6).toFixed(1)}`);
  }
  log(`${name}: sender's first frames ${firstOut || 'none'}; receiver's first chunk @${chunks.length ? since(chunks[0][0]) : '-'} ms, saved @${since(saved)} ms; MB in by ms: ${steps.join(' ')}`);
}

/** The peerjs page: `size` raw bytes from `a` to `b`; resolves with start and end. */
async function peerjsFile(a, b, size, name) {
  await b.page.evaluate(([s, n]) => window.benchExpectFile(s, `saved:${n}`), [size, name]);
  await a.page.evaluate(([id, s, c, n]) => window.benchSendFile(id, s, c, n), [b.id, size, FILE_CHUNK, name]);
  if (!(await waitMark(b, `saved:${name}`, FILE_TIMEOUT))) throw new Error(`${name} did not arrive within ${FILE_TIMEOUT / 1000} s`);
  const [ma, mb] = await Promise.all([marks(a), marks(b)]);
  return { start: ma[`${name}:start`], saved: mb[`saved:${name}`] };
}

async function files(app) {
  const { a, b } = await connectPair(app, 'files');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-files-'));
  try {
    const onDisk = async (name, buffer) => {
      const at = path.join(dir, name);
      await writeFile(at, buffer);
      return at;
    };
    const send = async (name, buffer) => (app === peerchat
      ? peerchatFile(a, b, await onDisk(name, buffer), name)
      : peerjsFile(a, b, buffer.length, name));
    await sleep(2000);
    // Memory: idle, then the peak during the big transfer (no whole-file buffer may show).
    const [idle] = await Promise.all([rendererPss(b.dir)]);
    add('files.mem.idle', app, idle[0] ?? 0);
    if (MEMDUMP) await memoryDump(b, `${app.key}-files-idle`);
    const big = FILE_MEM_MB * 1e6;
    const series = TRACE ? [] : null;
    const stop = samplePss([b, a], series);
    let peaks;
    let bigMarks;
    const bigName = `big${FILE_MEM_MB}.bin`;
    try {
      bigMarks = await send(bigName, noise(big, 7));
    } finally {
      peaks = await stop();
    }
    if (TRACE && app === peerchat) {
      await fileTimeline(a, b, bigName, bigMarks);
      // With BENCH_TRACE, the receiver's and the sender's PSS (MiB) through the big transfer,
      // ms from its start (the receiver's last piece in and saved marked).
      const at = (t) => Math.round(t - series[0][0]);
      log(`files PSS series (ms, receiver MiB, sender MiB); last piece in at ${at(bigMarks.lastIn)}, saved at ${at(bigMarks.saved)}:\n# ${series.map(([t, r, s]) => `${t - series[0][0]}:${r}/${s}`).join(' ')}`);
    }
    add('files.mem.peak', app, peaks[0]);
    add('files.mem.senderPeak', app, peaks[1]);
    await sleep(1000);
    const size = FILE_MB * 1e6;
    // With BENCH_PROFILE, CPU profiles of the receiver and the sender during the timed transfer.
    const profiled = PROFILE && app === peerchat ? await startProfiles([b, a]) : [];
    // The machine's CPU through the timed transfer, by kind of process and by device
    // (Linux): two cores carry both pages, the browsers and the transport's threads.
    // With BENCH_TIMELINE, Chrome traces of the receiver and the sender during it.
    const timelines = TIMELINE ? [await startTimeline(b), await startTimeline(a)] : [];
    const cpu = cpuMeter();
    const timedName = `file${FILE_MB}.bin`;
    const m = await send(timedName, noise(size, 1));
    const machine = cpu.stop();
    await stopProfiles(profiled, ['files-receiver', 'files-sender']);
    for (const [i, t] of timelines.entries()) await stopTimeline(t, `${app.key}-files-${i === 0 ? 'receiver' : 'sender'}`);
    if (TRACE && app === peerchat) await fileTimeline(a, b, timedName, m);
    if (machine) {
      const devices = Object.entries(cpu.byDevice ?? {}).map(([d, kinds]) => `${d} ${deviceCpuLine(kinds)}`);
      log(`files ${app.label}, during the ${FILE_MB} MB transfer: the machine's CPU ${cpuLine(machine)}; by device: ${devices.join('; ')}`);
    }
    if (TRACE) {
      // With BENCH_TRACE, both pages' data channel sends and receives during the timed transfer.
      const both = await Promise.all([a, b].map((d) => d.page.evaluate(() => window.__bench.trace)));
      await mkdir(path.dirname(OUT), { recursive: true });
      await writeFile(OUT.replace(/\.json$/, '') + `-files-${app.key}-${Date.now()}-trace.json`,
        JSON.stringify({ start: m.start, saved: m.saved, sender: both[0], receiver: both[1] }));
    }
    const seconds = (m.saved - m.start) / 1000;
    add('files.rate', app, size / 1e6 / seconds);
    const detail = { scenario: 'files', app: app.key, bytes: size, ms: m.saved - m.start, idlePss: idle[0], peakPss: peaks[0],
      senderPeakPss: peaks[1], peakOverIdle: peaks[0] / idle[0], cpuMsPerSecond: machine, cpuMsByDevice: cpu.byDevice };
    if (app === peerchat) {
      detail.lastPieceToSaved = m.saved - m.lastIn;
      await sleep(1000);
      const name = `photo${FILE_MB}.png`;
      const image = noisePng(size, 3);
      const p = await send(name, image);
      if (!(await waitMark(b, `thumb:${name}`, 60000))) throw new Error('the thumbnail was not painted within 60 s');
      const thumb = (await marks(b))[`thumb:${name}`];
      if (TRACE) await fileTimeline(a, b, name, p);
      add('files.thumb', app, thumb - p.lastIn);
      Object.assign(detail, { imageBytes: image.length, imageLastPieceToSaved: p.saved - p.lastIn, imageSavedToThumb: thumb - p.saved,
        imageRate: image.length / 1e6 / ((p.saved - p.start) / 1000) });
    }
    details.push(detail);
    log(`files ${app.label}: ${FILE_MB} MB in ${seconds.toFixed(2)} s = ${(size / 1e6 / seconds).toFixed(1)} MB/s; receiver PSS idle ${(idle[0] / 1048576).toFixed(0)} MiB, peak during ${FILE_MEM_MB} MB ${(peaks[0] / 1048576).toFixed(0)} MiB; ${JSON.stringify(detail)}`);
  } finally {
    await destroy([a, b]);
    await rm(dir, { recursive: true, force: true });
  }
}

async function sizes() {
  const compress = async (files) => {
    let raw = 0, gz = 0, br = 0;
    const each = {};
    for (const f of files) {
      const data = await readFile(f);
      const g = gzipSync(data, { level: 9 }).length;
      const b = brotliCompressSync(data, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: data.length } }).length;
      raw += data.length; gz += g; br += b;
      each[path.basename(f)] = { raw: data.length, gzip: g, brotli: b };
    }
    return { raw, gzip: gz, brotli: br, files: each };
  };
  // The shell: every file of dist/ but the icons (images, already compressed).
  const shell = (await readdir(distDir, { withFileTypes: true }))
    .filter((e) => e.isFile()).map((e) => path.join(distDir, e.name));
  const pc = await compress(shell);
  const pj = await compress([path.join(benchDir, 'peerjs.html'), path.join(benchDir, 'peerjs-page.js'), peerjsMin]);
  for (const [key, s] of [['peerchat', pc], ['peerjs', pj]]) {
    const app = APPS.find((a) => a.key === key);
    add('size.gzip', app, s.gzip);
    add('size.brotli', app, s.brotli);
  }
  details.push({ scenario: 'size', peerchat: pc, peerjs: pj });
}

// ---------------------------------------------------------------------------------------
// The table.

const METRICS = [
  ['load.cold', 'cold load → first screen', 'ms'],
  ['load.warm', 'warm load → first screen', 'ms'],
  ['connect', '1:1 connect, click → open on both sides', 'ms'],
  ['latency.p50', `one-way latency p50 (${LATENCY_MESSAGES} messages)`, 'ms'],
  ['latency.p99', `one-way latency p99 (${LATENCY_MESSAGES} messages)`, 'ms'],
  ['latency.first20', 'one-way latency, median of messages 1–20', 'ms'],
  ['latency.last20', `one-way latency, median of messages ${LATENCY_MESSAGES - 19}–${LATENCY_MESSAGES}`, 'ms'],
  ['burst.rate', `burst of ${BURST}, messages per second on the receiver's screen`, '/s'],
  ...ROOMBURST.flatMap((n) => [
    [`roomburst.${n}.rate`, `room of 2, burst of ${n}, messages per second on the receiver's screen`, '/s'],
    [`roomburst.${n}.sender`, `room of 2, burst of ${n}: the sender's page takes them all`, 'ms'],
  ]),
  ...ROOMS.flatMap((n) => [
    [`room.${n}.joiners`, `room of ${n}: the ${n - 2} joiners all see each other`, 'ms'],
    [`room.${n}.last`, `room of ${n}: last joiner → everyone shows ${n} online`, 'ms'],
  ]),
  ['room500.time', `${ROOM500_MEMBERS}-member room, ${BURST} messages (all sending) on every screen`, 'ms'],
  ['memory.page', 'renderer PSS per device after that: page renderer', 'MiB'],
  ['memory.renderers', 'renderer PSS per device after that: page + spare renderer', 'MiB'],
  ['files.rate', `1:1 file of ${FILE_MB} MB: attach → stored and saveable on the receiver (PeerJS: raw ArrayBuffers, first send → all in)`, 'MB/s'],
  ['files.thumb', `1:1 image of ≈${FILE_MB} MB: its last piece in → thumbnail decoded on the receiver's screen`, 'ms'],
  ['files.mem.idle', 'receiver renderer PSS before a file transfer', 'MiB'],
  ['files.mem.peak', `receiver renderer PSS, peak during a ${FILE_MEM_MB} MB transfer`, 'MiB'],
  ['files.mem.senderPeak', `sender renderer PSS, peak during a ${FILE_MEM_MB} MB transfer`, 'MiB'],
  ...UNLOCK.flatMap((n) => [
    [`unlock.${n}.room`, `unlock, ${n} stored: click → the room on screen`, 'ms'],
    [`unlock.${n}.newest`, `unlock, ${n} stored: click → its newest message on screen`, 'ms'],
    [`unlock.${n}.idle`, `unlock, ${n} stored: click → end of the last task ≥ 50 ms`, 'ms'],
    [`unlock.${n}.longtasks`, `unlock, ${n} stored: time in tasks ≥ 50 ms after the click`, 'ms'],
    [`unlock.${n}.busy`, `unlock, ${n} stored: main-thread task time, click → idle + ${QUIET_MS / 1000} s (CDP TaskDuration)`, 'ms'],
    [`unlock.${n}.pss`, `unlock, ${n} stored: renderer PSS once idle`, 'MiB'],
    [`unlock.${n}.wasm`, `unlock, ${n} stored: wasm heap once idle`, 'MiB'],
  ]),
  ['size.gzip', 'shell, gzip -9 (PeerJS: page + peerjs.min.js)', 'KB'],
  ['size.brotli', 'shell, brotli q11', 'KB'],
];

function show(v, unit) {
  if (v === NEVER || v === Infinity) return NEVER;
  if (!Number.isFinite(v)) return '–';
  if (unit === 'MiB') return `${(v / 1048576).toFixed(1)} MiB`;
  if (unit === 'KB') return `${(v / 1000).toFixed(1)} KB`;
  if (unit === '/s') return `${v.toFixed(0)}/s`;
  if (unit === 'MB/s') return `${v.toFixed(1)} MB/s`;
  return v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`;
}

/** Median, min and max, a timeout counting as infinitely slow. */
function stats(values) {
  const xs = values.map((v) => (v === NEVER ? Infinity : v)).filter((v) => typeof v === 'number');
  if (xs.length === 0) return values.includes(NOT_TRIED) ? { notTried: true } : null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const med = s.length % 2 ? s[m] : (s[m - 1] === Infinity || s[m] === Infinity ? Infinity : (s[m - 1] + s[m]) / 2);
  return { median: med, min: s[0], max: s.at(-1), n: s.length, never: xs.filter((x) => x === Infinity).length,
    notTriedCount: values.filter((v) => v === NOT_TRIED).length };
}

function cell(st, unit) {
  if (!st) return '–';
  if (st.notTried) return `${NOT_TRIED} (the joiners never formed)`;
  let c = show(st.median, unit);
  if (st.n > 1) c += ` (${show(st.min, unit)}–${show(st.max, unit)})`;
  if (st.never > 0 && st.never < st.n) c += `, ${st.never}/${st.n} never`;
  if (st.notTriedCount > 0) c += `, ${st.notTriedCount} more not tried`;
  return c;
}

function table() {
  const rows = ['| figure | PeerChat median (min–max) | PeerJS median (min–max) | ratio |', '| --- | ---: | ---: | ---: |'];
  const summary = {};
  for (const [key, label, unit] of METRICS) {
    const s = samples[key];
    if (!s) continue;
    const pc = stats(s.peerchat ?? []);
    const pj = stats(s.peerjs ?? []);
    let ratio = '–';
    let r = null;
    if (pc && pj && !pc.notTried && Number.isFinite(pj.median) && pj.median > 0) {
      r = pc.median / pj.median;
      ratio = Number.isFinite(r) ? `${r.toFixed(2)}×` : NEVER;
    }
    summary[key] = { label, unit, peerchat: pc, peerjs: pj, ratio: Number.isFinite(r) ? r : null };
    rows.push(`| ${label} | ${cell(pc, unit)} | ${cell(pj, unit)} | ${ratio} |`);
  }
  return { text: rows.join('\n'), summary };
}

// ---------------------------------------------------------------------------------------

/** The commit the run started at ("+changes" when tracked files differ from it). */
function gitCommit() {
  try {
    const head = execFileSync('git', ['-C', repoDir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', repoDir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}

async function main() {
  const started = new Date();
  const commit = gitCommit();
  // The app's module (its name hashed), not the key-derivation worker's (kdf_bg.wasm).
  const wasm = (await readdir(distDir)).find((f) => /^peerchat-.*_bg\.wasm$/.test(f)) ?? 'none';
  broker = await peerServer();
  const config = { broker: { host: '127.0.0.1', port: broker.port, path: '/', key: broker.key, secure: false }, iceServers: [] };
  web = await webServer({ config });
  log(`PeerServer on 127.0.0.1:${broker.port}, apps on ${web.url}; dist: ${distDir}; ${REPS} repetitions; scenarios: ${SCENARIOS.filter(selected).join(', ')}`);

  const run = async (what, fn) => {
    const t = Date.now();
    try {
      await fn();
      log(`${what}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    } catch (e) {
      errors.push({ what, error: String(e?.stack ?? e) });
      log(`${what} FAILED: ${e?.message ?? e}`);
    }
  };
  if (selected('size')) await run('size', sizes);
  for (let rep = 0; rep < REPS; rep++) {
    // Alternate which app goes first.
    const order = rep % 2 === 0 ? [peerchat, peerjs] : [peerjs, peerchat];
    for (const app of order) if (selected('load')) await run(`rep ${rep + 1} ${app.label} load`, () => load(app));
    for (const app of order) if (selected('connect')) await run(`rep ${rep + 1} ${app.label} connect`, () => connect(app));
    for (const app of order) if (selected('latency')) await run(`rep ${rep + 1} ${app.label} latency`, () => latency(app));
    for (const app of order) if (selected('burst')) await run(`rep ${rep + 1} ${app.label} burst`, () => burst(app));
    if (selected('roomburst')) {
      for (const n of ROOMBURST) for (const app of order) await run(`rep ${rep + 1} ${app.label} room burst of ${n}`, () => roomBurst(app, n));
    }
    if (selected('room')) {
      for (const n of ROOMS) {
        for (const app of order) await run(`rep ${rep + 1} ${app.label} room of ${n}`, () => room(app, n));
        // The machine's speed drifts between runs more than builds differ: the two apps
        // side by side in one repetition are the fairer pair.
        const [ours, theirs] = [peerchat, peerjs].map((a) => samples[`room.${n}.last`]?.[a.key]?.[rep]);
        if (ours > 0 && theirs > 0) log(`rep ${rep + 1} room of ${n}: last joiner ${Math.round(ours)} ms against ${Math.round(theirs)} ms, ${(ours / theirs).toFixed(2)}×`);
      }
    }
    for (const app of order) if (selected('room500')) await run(`rep ${rep + 1} ${app.label} room500`, () => room500(app));
    for (const app of order) if (selected('files')) await run(`rep ${rep + 1} ${app.label} files`, () => files(app));
    if (selected('unlock')) for (const n of UNLOCK) await run(`rep ${rep + 1} PeerChat unlock ${n}`, () => unlock(n));
  }
  await web.close();
  await broker.stop();

  const { text, summary } = table();
  const result = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    commit,
    chromium: await chromiumVersion(),
    dist: distDir,
    wasm,
    reps: REPS,
    scenarios: SCENARIOS.filter(selected),
    rooms: ROOMS,
    summary,
    samples,
    details,
    errors,
  };
  await mkdir(path.dirname(OUT), { recursive: true });
  await writeFile(OUT, `${JSON.stringify(result, null, 1)}\n`);
  console.log(`\nPeerChat (${commit.slice(0, 7)}${commit.endsWith('+changes') ? '+changes' : ''}, ${wasm}) against the official peerjs 1.5.5 client, ${REPS} repetitions, one Chromium process per device, one loopback PeerServer:\n`);
  console.log(text);
  console.log(`\nJSON: ${path.relative(process.cwd(), OUT) || OUT}`);
  if (errors.length) {
    console.log(`\n${errors.length} measurement(s) failed:`);
    for (const e of errors) console.log(`- ${e.what}: ${e.error.split('\n')[0]}`);
  }
}

await main();
process.exit(0);
