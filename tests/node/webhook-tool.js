// Relaybox's webhook signing, done as its webhook service does it (json-canonicalize 1.0.6,
// JSON.stringify and Node's crypto), as the independent reference for our verifier.
// Requests, one JSON object a line:
//   sign:   {"command": "sign", "key": k, "payloads": [p, ...]}
//             -> [{"body": JSON.stringify(p), "canonical": canonicalize(p), "signature": hex}, ...]
//   verify: {"command": "verify", "key": k, "deliveries": [{"body": b, "signature": s}, ...]}
//             -> [true | false, ...]: the official library's verifyWebhookSignature on the
//                parsed body (what an Express app with express.json() hands it)
'use strict';
const crypto = require('crypto');
const { canonicalize } = require('json-canonicalize');

// The webhook service's serializeWebhookData and generateRequestSignature.
function serializeWebhookData(data) {
  return JSON.stringify(canonicalize(data));
}

function generateRequestSignature(stringToSign, signingKey) {
  return crypto
    .createHmac('sha256', signingKey)
    .update(Buffer.from(stringToSign, 'utf-8'))
    .digest('hex');
}

// @relaybox/rest's verifyWebhookSignature, comparison included.
function verifyWebhookSignature(webhookPayload, requestSignature, signingKey) {
  const generatedSignature = generateRequestSignature(
    serializeWebhookData(webhookPayload),
    signingKey,
  );
  return generatedSignature === requestSignature;
}

function answer(request) {
  if (request.command === 'sign') {
    return request.payloads.map((payload) => {
      const canonical = canonicalize(payload);
      return {
        body: JSON.stringify(payload),
        canonical,
        signature: generateRequestSignature(JSON.stringify(canonical), request.key),
      };
    });
  }
  if (request.command === 'verify') {
    return request.deliveries.map(({ body, signature }) =>
      verifyWebhookSignature(JSON.parse(body), signature, request.key),
    );
  }
  throw new Error(`unknown command ${request.command}`);
}

module.exports = { generateRequestSignature, serializeWebhookData, verifyWebhookSignature };

if (require.main === module) {
  // One JSON request per line on stdin, one JSON answer per line on stdout, so that a test
  // session pays for one Node start.
  const lines = require('readline').createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    process.stdout.write(JSON.stringify(answer(JSON.parse(line))) + '\n');
  });
}
