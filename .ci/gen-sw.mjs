// Trunk post-build hook. First moves Trunk's inline loader script into a file (with
// public/connect-policy.js in front), so index.html's Content-Security-Policy allows no
// inline script. Then writes sw.js into the staged build with the exact list of files
// Trunk produced (hashed names) and a version derived from their contents, so a new
// build gets a new cache and an old one is never mixed with it. Running it again on its
// own output changes nothing but sw.js (the update test does).
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) throw new Error('TRUNK_STAGING_DIR is not set: run this as a Trunk hook');

/** Trunk's inline `<script type="module">` becomes start-<hash>.js, loaded by src. */
async function loaderOutOfLine(dir) {
  const indexFile = path.join(dir, 'index.html');
  let index = await readFile(indexFile, 'utf8');
  const inline = /<script type="module">([\s\S]*?)<\/script>/.exec(index);
  if (inline) {
    const prelude = await readFile(new URL('../public/connect-policy.js', import.meta.url), 'utf8');
    const body = `${prelude}\n${inline[1].trim()}\n`;
    const name = `start-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.js`;
    await writeFile(path.join(dir, name), body);
    index = index.replace(inline[0], () => `<script type="module" src="./${name}"></script>`);
    await writeFile(indexFile, index);
  }
  // Whatever Trunk emits, no inline script may be left for the policy to block.
  const left = [...index.matchAll(/<script\b[^>]*>/g)].filter((m) => !/\ssrc=/.test(m[0]));
  if (left.length) throw new Error(`index.html still has inline script: ${left.map((m) => m[0]).join(' ')}`);
}

async function files(dir, prefix = '') {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) out.push(...(await files(path.join(dir, entry.name), `${rel}/`)));
    else if (entry.name !== 'sw.js') out.push(rel);
  }
  return out.sort();
}

await loaderOutOfLine(staging);
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
