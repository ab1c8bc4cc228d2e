// PeerChat's service worker, generated at build time by .ci/gen-sw.mjs.
// The app shell is precached and served cache-first, so the installed app opens with no
// network. The broker (another origin, a WebSocket) is never intercepted or cached.
const VERSION = '__VERSION__';
const CACHE = `peerchat-${VERSION}`;
const PRECACHE = __PRECACHE__;
// What another app shared with us (the manifest's share_target), kept apart from the
// shell's caches (an update must not drop it) until the app sends or discards it.
const SHARE = 'peerchat-share';
// Files of one share kept; the app says how many more there were (peerchat_chat::share).
const SHARE_FILES = 20;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Names without a content hash are fetched past the HTTP cache: a stale copy there
    // (a host that caches everything a while) would be kept beside this build's files,
    // the key-derivation worker's script with another build's module.
    const hashed = /-[0-9a-f]{16}(_bg)?\.[a-z]+$/;
    await cache.addAll(PRECACHE.map((u) => (hashed.test(u) ? u : new Request(u, { cache: 'reload' }))));
    // The deployment's config.json, when it has one, so offline starts use the same broker.
    try {
      const config = await fetch('config.json', { cache: 'no-store' });
      if (config.ok) await cache.put('config.json', config);
    } catch {
      // No config (the public broker), or no network: nothing to keep.
    }
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('peerchat-') && key !== CACHE && key !== SHARE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

// The share sheet posts here. Answered by the worker alone (so sharing works offline):
// the form is kept in the share cache, and the app opens to choose the chat it goes to.
async function receiveShare(request) {
  const form = await request.formData();
  const cache = await caches.open(SHARE);
  for (const key of await cache.keys()) await cache.delete(key);
  const field = (name) => {
    const value = form.get(name);
    return typeof value === 'string' ? value : '';
  };
  const files = form.getAll('files').filter((f) => typeof f !== 'string' && f.size >= 0);
  const meta = { title: field('title'), text: field('text'), url: field('url'), files: [] };
  for (const [i, file] of files.entries()) {
    meta.files.push({ name: file.name, type: file.type, size: file.size });
    if (i < SHARE_FILES) {
      const type = file.type || 'application/octet-stream';
      await cache.put(`share/file/${i}`, new Response(file, { headers: { 'content-type': type } }));
    }
  }
  await cache.put('share/meta', new Response(JSON.stringify(meta), { headers: { 'content-type': 'application/json' } }));
  return Response.redirect(new URL('./#share', self.registration.scope).href, 303);
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const scope = new URL(self.registration.scope);
  if (event.request.method === 'POST' && url.origin === scope.origin && url.pathname === `${scope.pathname}share`) {
    event.respondWith(receiveShare(event.request));
    return;
  }
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  // The deployment's runtime config: fresh when online, the last copy when offline.
  if (url.pathname.endsWith('/config.json')) {
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      try {
        const response = await fetch(event.request);
        if (response.ok) {
          // Kept for offline starts; the page does not wait for the write (it starts
          // only once it has this answer). A write that fails keeps the last copy.
          const put = cache.put(event.request, response.clone()).catch(() => {});
          try {
            event.waitUntil(put);
          } catch {
            // An engine that takes waitUntil only at once: the write goes on anyway.
          }
        }
        return response;
      } catch {
        return (await cache.match(event.request)) ?? Response.error();
      }
    })());
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // Every page of the app is the one shell.
    const key = event.request.mode === 'navigate' ? './' : event.request;
    return (await cache.match(key)) ?? fetch(event.request);
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

// Tapping a notification opens the app on the room it is about: an open app is told;
// a closed one starts with the room in its address (the fragment, never sent anywhere).
self.openRoom = async (room) => {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (windows.length === 0) {
    await self.clients.openWindow(room ? `./#open=${encodeURIComponent(room)}` : './');
    return;
  }
  const [client] = windows;
  await client.focus?.().catch(() => {});
  if (room) client.postMessage({ openRoom: room });
};
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(self.openRoom(event.notification.data?.room));
});
