// Publishing exactly as the official Relaybox server library (@relaybox/rest) does, timed:
// the Node reference for benchmarks/publish.py.
//
//   node benchmarks/relaybox-rest-publish.js '{"coreUrl": "http://127.0.0.1:PORT",
//       "apiKey": "...", "roomId": "chat:1", "event": "message", "data": {...},
//       "concurrency": 32, "seconds": 3, "warmup": 1}'
//
// Per publish, as the library's publish and request: JSON.stringify({event, roomId, data,
// timestamp: Date.now(), options}), an HMAC-SHA256 of the body's UTF-8 bytes keyed with the
// secret string (hex), then fetch POST {coreUrl}/events with X-Ds-Public-Key and
// X-Ds-Req-Signature, AbortSignal.timeout(10000), response.ok checked, response.json() read.
// `concurrency` loops publish back to back on Node's one event loop, sharing fetch's
// keep-alive pool, as concurrent requests in one Node server would.
// Prints one JSON object: publishes/s, the count, errors and a sample answer.
'use strict';
const crypto = require('crypto');

function makePublisher(apiKey, coreUrl) {
  const parts = apiKey.split(':');
  if (parts.length !== 2) throw new Error('API key must be "appPid.keyId:secretKey"');
  const [publicKey, secretKey] = parts;
  return async function publish(roomId, event, data, options = {}) {
    if (!roomId || !event || !data) throw new Error('roomId, event and data are required');
    const timestamp = Date.now();
    const body = JSON.stringify({ event, roomId, data, timestamp, options });
    const signature = crypto
      .createHmac('sha256', secretKey)
      .update(Buffer.from(body, 'utf-8'))
      .digest('hex');
    const response = await fetch(`${coreUrl}/events`, {
      method: 'POST',
      headers: { 'X-Ds-Public-Key': publicKey, 'X-Ds-Req-Signature': signature },
      body,
      signal: AbortSignal.timeout(10000),
    });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return response.json();
  };
}

async function run(publish, options, seconds) {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  let errors = 0;
  let sample = null;
  async function loop() {
    while (performance.now() < deadline) {
      try {
        sample = await publish(options.roomId, options.event, options.data);
        count++;
      } catch (error) {
        errors++;
        sample = String(error);
      }
    }
  }
  const start = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const elapsed = (performance.now() - start) / 1000;
  return { publishes_per_s: count / elapsed, count, errors, sample };
}

async function main() {
  const options = JSON.parse(process.argv[2] || '{}');
  const publish = makePublisher(options.apiKey, options.coreUrl);
  await run(publish, options, options.warmup ?? 1);
  const result = await run(publish, options, options.seconds ?? 3);
  process.stdout.write(JSON.stringify({ node: process.version, ...result }));
}

main().catch((error) => {
  process.stderr.write(String(error.stack || error) + '\n');
  process.exit(1);
});
