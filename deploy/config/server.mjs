// config.json for a self-hosted PeerChat, made fresh on every request so the TURN
// credentials in it are short-lived: the TURN REST scheme coturn checks with
// use-auth-secret (user name "expiry:random", credential base64 HMAC-SHA1 of it with the
// shared secret). Nothing long-lived sits in a file the whole internet can read.
// Caddy serves it as /config.json; node only, no packages.
//   DOMAIN, TURN_SECRET         required
//   TTL_SECONDS=86400           how long a credential works (an app open longer needs a reload)
//   PORT=8080, HOST=0.0.0.0     where this listens
//   ICE_TRANSPORT_POLICY        "relay": every connection goes through coturn, so peers
//                               never learn each other's addresses (unset: direct first)
//   BROKER_PORT=443, BROKER_SECURE=true, TURN_PORT=3478   (the tests change these)
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const env = process.env;
if (!env.DOMAIN || !env.TURN_SECRET) {
  console.error('config/server.mjs: set DOMAIN and TURN_SECRET');
  process.exit(1);
}
const ttl = Number(env.TTL_SECONDS ?? 86400);
const policy = env.ICE_TRANSPORT_POLICY || undefined;
if (policy && !['all', 'relay'].includes(policy)) {
  console.error('config/server.mjs: ICE_TRANSPORT_POLICY is "all" or "relay"');
  process.exit(1);
}
const turn = `${env.DOMAIN}:${env.TURN_PORT ?? 3478}`;
const broker = {
  host: env.DOMAIN,
  port: Number(env.BROKER_PORT ?? 443),
  path: '/broker/',
  key: 'peerjs',
  secure: (env.BROKER_SECURE ?? 'true') === 'true',
};

function config(now) {
  // A random name per fetch, so coturn's per-user quota is per device, not for everyone.
  const username = `${Math.floor(now / 1000) + ttl}:${randomBytes(9).toString('base64url')}`;
  const credential = createHmac('sha1', env.TURN_SECRET).update(username).digest('base64');
  return {
    broker,
    iceServers: [
      { urls: [`stun:${turn}`] },
      { urls: [`turn:${turn}?transport=udp`, `turn:${turn}?transport=tcp`], username, credential },
    ],
    ...(policy ? { iceTransportPolicy: policy } : {}),
  };
}

const server = createServer((req, res) => {
  if (req.method !== 'GET' || new URL(req.url, 'http://x').pathname !== '/config.json') {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(config(Date.now())));
});
server.listen(Number(env.PORT ?? 8080), env.HOST ?? '0.0.0.0', () => {
  console.log(`config.json for ${env.DOMAIN} on port ${server.address().port}, credentials valid ${ttl} s`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
