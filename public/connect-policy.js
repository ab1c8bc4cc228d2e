// Put in front of Trunk's loader by .ci/gen-sw.mjs (the loader becomes start-<hash>.js, a
// file, so the Content-Security-Policy needs no inline script). Before the app starts, it
// adds a second policy limiting the page's connections to this origin and the broker the
// app will use, so one build serves any deployment. It follows the app's own rule
// (app/chat/src/config_source.rs): config.json when it loads; without one (404) the
// settings this device used last time, else the public broker; when it fails to load,
// the settings used last time, else no broker at all.
// Policies only ever tighten: index.html's own (or the host's header) still applies.
{
  // The app's defaults for a missing config.json or missing fields (app/peerjs/src/broker.rs).
  const defaults = { host: '0.peerjs.com', port: 443, secure: true };
  let allowed = [];
  try {
    let remembered = null;
    try {
      // Kept by the app (gloo-storage: a JSON string holding config.json's text).
      remembered = JSON.parse(JSON.parse(localStorage.getItem('peerchat.config') ?? 'null'));
    } catch {
      remembered = null;
    }
    const response = await fetch('config.json').catch(() => null);
    const text = response ? await response.text().catch(() => null) : null;
    // Kept for the app, which takes this answer when it starts instead of asking again
    // once the user pressed Unlock (app/web/src/platform.rs, `START_ANSWER`).
    globalThis.peerchatConfigAnswer = { status: response?.status ?? 0, text, at: Date.now() };
    let config = null;
    if (response?.ok) config = JSON.parse(text);
    else if (response?.status === 404) config = remembered ?? {};
    else config = remembered;
    if (config) {
      const { host, port, secure } = { ...defaults, ...config.broker };
      // A host name or IPv4 address and a port; anything else gets nothing beyond this
      // origin (the app reports a config it cannot read).
      if (/^[A-Za-z0-9.-]+$/.test(host) && Number.isInteger(port) && port > 0 && port < 65536) {
        allowed = [`${secure === false ? 'ws' : 'wss'}://${host}:${port}`];
      }
    }
  } catch {
    // config.json is not JSON: this origin only.
  }
  const meta = document.createElement('meta');
  meta.httpEquiv = 'Content-Security-Policy';
  meta.content = ["connect-src 'self'", ...allowed].join(' ');
  document.head.append(meta);
}
