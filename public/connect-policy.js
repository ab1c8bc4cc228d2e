// Put in front of Trunk's loader by .ci/gen-sw.mjs (the loader becomes start-<hash>.js, a
// file, so the Content-Security-Policy needs no inline script). Before the app starts, it
// adds a second policy limiting the page's connections to this origin and the broker that
// config.json names (the public broker without one), so one build serves any deployment.
// Policies only ever tighten: index.html's own (or the host's header) still applies.
{
  // The app's defaults for a missing config.json or missing fields (app/peerjs/src/broker.rs).
  const broker = { host: '0.peerjs.com', port: 443, secure: true };
  let allowed = [];
  try {
    // No file or no network: the app uses the public broker, so this does too.
    const response = await fetch('config.json').catch(() => null);
    if (response?.ok) Object.assign(broker, (await response.json()).broker);
    const { host, port, secure } = broker;
    // A host name or IPv4 address and a port; anything else gets nothing beyond this origin
    // (the app reports a config it cannot read).
    if (/^[A-Za-z0-9.-]+$/.test(host) && Number.isInteger(port) && port > 0 && port < 65536) {
      allowed = [`${secure === false ? 'ws' : 'wss'}://${host}:${port}`];
    }
  } catch {
    // config.json is not JSON: this origin only.
  }
  const meta = document.createElement('meta');
  meta.httpEquiv = 'Content-Security-Policy';
  meta.content = ["connect-src 'self'", ...allowed].join(' ');
  document.head.append(meta);
}
