// Runs PeerChat locally with no internet: the official PeerServer on loopback, and the
// Trunk build served with a config.json that points at it.
import { appServer, localConfig, peerServer } from '../tests/e2e/support/servers.mjs';

const brokerPort = Number(process.env.BROKER_PORT ?? 9000);
const appPort = Number(process.env.APP_PORT ?? 8080);
const broker = await peerServer({ port: brokerPort });
const web = await appServer({ config: localConfig(broker.port), port: appPort });
console.log(`PeerServer (official, npm "peer") on 127.0.0.1:${broker.port}`);
console.log(`PeerChat is running: open ${web.url} in two browser windows (Ctrl+C stops)`);
const stop = async () => {
  await broker.stop();
  await web.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
