// Files for the file-transfer tests: bytes that differ all along, written to disk.
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** `size` bytes that differ all along (a file of zeros would hide misplaced pieces). */
export function bytes(size, seed) {
  const b = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b.writeUInt32LE(x, Math.min(i, size - 4));
  }
  return b;
}

/** SHA-256 of `b`, hex. */
export const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/** A file on disk: Playwright hands a path to the page at once (a buffer crosses the
 * DevTools protocol as base64, slowly; 50 MB or more not at all). */
export async function onDisk(name, buffer) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'peerchat-files-'));
  const at = path.join(dir, name);
  await writeFile(at, buffer);
  return at;
}
