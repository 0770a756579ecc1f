// The Node reference for benchmarks/core.py: tokens/s of minting exactly as the official
// Relaybox server library (@relaybox/rest) does, on Node's single-threaded event loop.
//
//   node benchmarks/node-sign.js '{"apiKey": "...", "clientId": "42", "permissions": null,
//                                   "expiresIn": 900, "rounds": 5, "seconds": 1.0,
//                                   "keyObject": false}'
//
// Per token, as the library's generateTokenResponse: build {publicKey, timestamp (a fresh
// Date's toISOString()), tokenType: 'id_token', permissions?, clientId?}, call the synchronous
// jwt.sign(payload, secret, {expiresIn, issuer}), then read the clock again for expiresAt.
// (The library also runs its permissions validator first; leaving it out only flatters Node.)
// Prints one JSON object: the best round's tokens/s, every round, and a sample response.
'use strict';
const { createSecretKey } = require('crypto');
const jwt = require('jsonwebtoken');

const ISSUER = 'https://relaybox.net';

function makeMinter(apiKey, permissions, keyObject) {
  const parts = apiKey.split(':');
  if (parts.length !== 2) throw new Error('API key must be "appPid.keyId:secretKey"');
  const publicKey = parts[0];
  // The library passes the secret string. jsonwebtoken 9 then tries to parse it as a PEM
  // private key on every call before it falls back to a secret key; keyObject (an option
  // for comparison only) hands it a prepared KeyObject instead.
  const secretKey = keyObject ? createSecretKey(Buffer.from(parts[1])) : parts[1];
  return function generateTokenResponse(clientId, expiresIn) {
    const payload = {
      publicKey,
      timestamp: new Date().toISOString(),
      tokenType: 'id_token',
      ...(permissions && { permissions }),
      ...(clientId && clientId != 'null' && { clientId }),
    };
    const token = jwt.sign(payload, secretKey, { expiresIn, issuer: ISSUER });
    const expiresAt = new Date().getTime() + expiresIn * 1000;
    return { token, expiresIn, expiresAt };
  };
}

function timeRound(mint, clientId, expiresIn, seconds) {
  const batch = 200;
  const limit = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let count = 0;
  let elapsed = 0n;
  let sink = 0;
  while (elapsed < limit) {
    for (let i = 0; i < batch; i++) sink += mint(clientId, expiresIn).token.length;
    count += batch;
    elapsed = process.hrtime.bigint() - start;
  }
  if (sink === 0) throw new Error('no tokens minted');
  return count / (Number(elapsed) / 1e9);
}

function main() {
  const options = JSON.parse(process.argv[2] || '{}');
  const mint = makeMinter(options.apiKey, options.permissions || undefined, options.keyObject);
  const expiresIn = options.expiresIn || 900;
  const clientId = options.clientId;
  const rounds = options.rounds || 5;
  const seconds = options.seconds || 1.0;
  // Warm up: let V8 optimise the path before anything is counted.
  timeRound(mint, clientId, expiresIn, Math.min(seconds, 0.5));
  const results = [];
  for (let i = 0; i < rounds; i++) results.push(timeRound(mint, clientId, expiresIn, seconds));
  process.stdout.write(
    JSON.stringify({
      node: process.version,
      jsonwebtoken: require('jsonwebtoken/package.json').version,
      tokens_per_s: Math.max(...results),
      rounds: results,
      sample: mint(clientId, expiresIn),
    }),
  );
}

main();
