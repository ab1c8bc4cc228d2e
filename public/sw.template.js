// PeerChat's service worker, generated at build time by .ci/gen-sw.mjs.
// The app shell is precached and served cache-first, so the installed app opens with no
// network. The broker (another origin, a WebSocket) is never intercepted or cached.
const VERSION = '__VERSION__';
const CACHE = `peerchat-${VERSION}`;
const PRECACHE = __PRECACHE__;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE);
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
      if (key.startsWith('peerchat-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  // The deployment's runtime config: fresh when online, the last copy when offline.
  if (url.pathname.endsWith('/config.json')) {
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      try {
        const response = await fetch(event.request);
        if (response.ok) await cache.put(event.request, response.clone());
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
