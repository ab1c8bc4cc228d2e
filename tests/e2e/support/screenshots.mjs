// Screenshots the tests take (the README shows them). A test run writes them under
// tests/build/screenshots (git-ignored), so running the tests never changes tracked
// files; with UPDATE_SCREENSHOTS=1 they are also copied over tests/screenshots.
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

import { testsDir } from './servers.mjs';

export const builtDir = path.join(testsDir, 'build', 'screenshots');
export const trackedDir = path.join(testsDir, 'screenshots');

/** Takes a screenshot of `page` as `name` (say `room.png`); returns where it was written. */
export async function screenshot(page, name) {
  await mkdir(builtDir, { recursive: true });
  const file = path.join(builtDir, name);
  await page.screenshot({ path: file });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    await mkdir(trackedDir, { recursive: true });
    await copyFile(file, path.join(trackedDir, name));
  }
  return file;
}
