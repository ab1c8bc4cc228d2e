// Runs PeerChat locally with no internet: the official PeerServer on loopback, and the
// Trunk build served with a config.json that points at it.
//   --lan [ADDR]  listen on a LAN address instead (the first non-loopback IPv4 address if
//                 none is given), so a phone on the same network can open it; prints the
//                 URL as a QR code too.
import os from 'node:os';
import { createRequire } from 'node:module';

import { appServer, localConfig, peerServer } from '../tests/e2e/support/servers.mjs';

/** The address to listen on: loopback, or the LAN address asked for or found. */
function listenAddress(args) {
  const at = args.indexOf('--lan');
  if (at < 0) return { host: '127.0.0.1', lan: false };
  const asked = args[at + 1];
  if (asked && !asked.startsWith('-')) return { host: asked, lan: true };
  const found = Object.values(os.networkInterfaces()).flat()
    .find((a) => a.family === 'IPv4' && !a.internal);
  if (!found) {
    console.error('--lan: this machine has no LAN address (IPv4, not loopback); give one: --lan 192.168.1.20');
    process.exit(2);
  }
  return { host: found.address, lan: true };
}

const { host, lan } = listenAddress(process.argv.slice(2));
const brokerPort = Number(process.env.BROKER_PORT ?? 9000);
const appPort = Number(process.env.APP_PORT ?? 8080);
const broker = await peerServer({ port: brokerPort, host });
const web = await appServer({ config: localConfig(broker.port, 'peerjs', host), port: appPort, host });
console.log(`PeerServer (official, npm "peer") on ${host}:${broker.port}`);
if (lan) {
  const qrcode = createRequire(new URL('../tests/package.json', import.meta.url))('qrcode');
  console.log(`PeerChat is running on your network: open ${web.url} on a phone on the same network (Ctrl+C stops)`);
  console.log(await qrcode.toString(web.url, { type: 'terminal', small: true }));
  console.log('This is plain HTTP: the phone gets a browser tab only. Installing to the home screen and');
  console.log('the service worker (opening offline) need HTTPS; see "Put it on your phone" in README.md.');
} else {
  console.log(`PeerChat is running: open ${web.url} in two browser windows (Ctrl+C stops)`);
}
const stop = async () => {
  await broker.stop();
  await web.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
