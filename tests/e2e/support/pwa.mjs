// What the installable-app tests share: Chromium's installability verdict, the service
// worker taking control, and a next build of the app to deploy as an update.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { distDir, repoDir } from './servers.mjs';

/** Chromium's installability errors for the page on screen ([] when installable). */
export async function installabilityErrors(device) {
  const cdp = await device.context.newCDPSession(device.page);
  // The manifest is fetched asynchronously; ask until Chromium has looked at it.
  let errors;
  for (let i = 0; i < 50; i++) {
    ({ installabilityErrors: errors } = await cdp.send('Page.getInstallabilityErrors'));
    const { url } = await cdp.send('Page.getAppManifest');
    if (url) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return errors;
}

/** Waits until the service worker controls the page. */
export async function waitForWorker(page, timeout = 15000) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout });
}

/** Present in the next build's index.html only. */
export const NEXT_BUILD = 'meta[name="peerchat-build"]';

/**
 * A new build made from `from` (a copy in a temporary directory): another index.html, so
 * another precache list version, written by the same hook that writes sw.js for Trunk.
 */
export async function nextBuild(from = distDir) {
  const next = await mkdtemp(path.join(os.tmpdir(), 'peerchat-next-'));
  await cp(from, next, { recursive: true });
  const index = await readFile(path.join(next, 'index.html'), 'utf8');
  await writeFile(path.join(next, 'index.html'), index.replace('<head>', '<head><meta name="peerchat-build" content="next">'));
  const gen = spawnSync('node', [path.join(repoDir, '.ci', 'gen-sw.mjs')], { env: { ...process.env, TRUNK_STAGING_DIR: next } });
  assert.equal(gen.status, 0, gen.stderr?.toString());
  return next;
}
