// One real Debian Chromium process per simulated device, each with its own profile.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-default-apps', '--disable-extensions', '--no-default-browser-check',
  // WebRTC between processes on loopback needs this, plus a media permission (below).
  '--allow-loopback-in-peer-connection',
];

/**
 * Launches a device. `profile` reuses a profile directory (a browser restart);
 * `serviceWorkers: 'block'` keeps the app's service worker out, so that every request
 * reaches the test's routes.
 */
export async function launchDevice(name, { origin, profile, serviceWorkers = 'allow' } = {}) {
  const dir = profile ?? (await mkdtemp(path.join(os.tmpdir(), `peerchat-${name}-`)));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 900, height: 800 },
    serviceWorkers,
  });
  // Without a granted microphone/camera permission Chromium hides host candidates and
  // gathers none on loopback.
  if (origin) await context.grantPermissions(['microphone', 'camera'], { origin });
  const page = context.pages()[0] ?? (await context.newPage());
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });
  // What the page printed, for a failing test to show.
  const printed = [];
  page.on('console', (m) => printed.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => printed.push(`error: ${e.message}`));
  return {
    name,
    profile: dir,
    context,
    page,
    dialogs,
    printed,
    async close() {
      await context.close();
    },
    /** Kills the browser outright, as a crash or a phone killing the app would. */
    async kill() {
      spawnSync('pkill', ['-9', '-f', `--user-data-dir=${dir}`]);
      await context.close().catch(() => {});
    },
    async destroy() {
      await context.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
