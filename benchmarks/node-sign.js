// The Node reference for benchmarks/core.py: tokens/s of minting exactly as the official
// Relaybox server library (@relaybox/rest) does, on Node's single-threaded event loop.
//
//   node benchmarks/node-sign.js '{"apiKey": "...", "clientId": "42", "permissions": null,
//                                   "expiresIn": 900, "rounds": 5, "seconds": 1.0,
//                                   "keyObject": false}'
//
// The minting itself is relaybox-rest-mint.js, shared with express-reference.js.
// Prints one JSON object: the best round's tokens/s, every round, and a sample response.
'use strict';
const { makeMinter, makeRoomMinter } = require('./relaybox-rest-mint');

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
  // "room": rooms.generateAccessToken, as the library calls it; else generateTokenResponse.
  const mint =
    options.kind === 'room'
      ? makeRoomMinter(options.apiKey, options.keyObject)
      : makeMinter(options.apiKey, options.permissions || undefined, options.keyObject);
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
