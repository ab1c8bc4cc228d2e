// Trunk post-build hook: writes sw.js into the staged build with the exact list of files
// Trunk produced (hashed names) and a version derived from their contents, so a new
// build gets a new cache and an old one is never mixed with it.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) throw new Error('TRUNK_STAGING_DIR is not set: run this as a Trunk hook');

async function files(dir, prefix = '') {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) out.push(...(await files(path.join(dir, entry.name), `${rel}/`)));
    else if (entry.name !== 'sw.js') out.push(rel);
  }
  return out.sort();
}

const list = await files(staging);
const template = await readFile(new URL('../public/sw.template.js', import.meta.url), 'utf8');
const hash = createHash('sha256').update(template);
for (const f of list) hash.update(f).update(await readFile(path.join(staging, f)));
const version = hash.digest('hex').slice(0, 16);
const sw = template
  .replace('__VERSION__', version)
  .replace('__PRECACHE__', JSON.stringify(['./', ...list.filter((f) => f !== 'index.html')], null, 2));
await writeFile(path.join(staging, 'sw.js'), sw);
console.log(`sw.js: ${list.length} files precached, version ${version}`);
