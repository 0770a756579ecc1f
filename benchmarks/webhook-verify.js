// The Node reference for benchmarks/webhooks.py: microseconds per call of the official
// library's verifyWebhookSignature (@relaybox/rest: json-canonicalize, JSON.stringify,
// an HMAC and ===), on one delivery, on Node's single-threaded event loop.
//
//   node benchmarks/webhook-verify.js '{"body": "...", "signature": "...", "signingKey": "...",
//                                       "rounds": 5, "seconds": 1.0}'
//
// Prints {"library": [µs per round], "parse_and_library": [µs per round], ...}: the library
// as it is called (on the body an Express app has already parsed), and JSON.parse plus the
// library, which is what a server does per delivery.
'use strict';
const crypto = require('crypto');
const { canonicalize } = require('json-canonicalize');

// @relaybox/rest 1.x: serializeData, generateHmacSignature, verifyWebhookSignature.
function verifyWebhookSignature(webhookPayload, requestSignature, signingKey) {
  const serializedData = JSON.stringify(canonicalize(webhookPayload));
  const generatedSignature = crypto
    .createHmac('sha256', signingKey)
    .update(Buffer.from(serializedData, 'utf-8'))
    .digest('hex');
  return generatedSignature === requestSignature;
}

function microsecondsPerCall(call, seconds) {
  const batch = 200;
  const limit = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let count = 0;
  let elapsed = 0n;
  let accepted = 0;
  while (elapsed < limit) {
    for (let i = 0; i < batch; i++) accepted += call() ? 1 : 0;
    count += batch;
    elapsed = process.hrtime.bigint() - start;
  }
  if (accepted !== count) throw new Error('the reference refused its own delivery');
  return Number(elapsed) / 1e3 / count;
}

function main() {
  const options = JSON.parse(process.argv[2]);
  const { body, signature, signingKey } = options;
  const parsed = JSON.parse(body);
  const paths = {
    library: () => verifyWebhookSignature(parsed, signature, signingKey),
    parse_and_library: () => verifyWebhookSignature(JSON.parse(body), signature, signingKey),
  };
  const result = {
    node: process.version,
    json_canonicalize: require('json-canonicalize/package.json').version,
  };
  for (const [name, call] of Object.entries(paths)) {
    microsecondsPerCall(call, Math.min(options.seconds, 0.5)); // let V8 optimise first
    result[name] = [];
    for (let i = 0; i < options.rounds; i++) {
      result[name].push(microsecondsPerCall(call, options.seconds));
    }
  }
  process.stdout.write(JSON.stringify(result));
}

main();
