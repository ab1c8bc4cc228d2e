// The servers and browsers most end-to-end tests start alike: one official PeerServer,
// the app on loopback configured for it, and a fresh Chromium (own profile) per device.
import { launchDevice } from './browsers.mjs';
import { appServer, localConfig, peerServer } from './servers.mjs';

/** A PeerServer, the app, and a browser for each of `names` (in `devices`, by name). */
export async function startRig(names) {
  const broker = await peerServer();
  const web = await appServer({ config: localConfig(broker.port) });
  const origin = new URL(web.url).origin;
  const launched = await Promise.all(names.map((name) => launchDevice(name, { origin })));
  const devices = Object.fromEntries(names.map((name, i) => [name, launched[i]]));
  return { broker, web, origin, devices };
}

/** Closes what `startRig` started (whatever of it did start). */
export async function stopRig(rig) {
  await Promise.all(Object.values(rig?.devices ?? {}).map((d) => d?.destroy()));
  await rig?.web?.close();
  await rig?.broker?.stop();
}
