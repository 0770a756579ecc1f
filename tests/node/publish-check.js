// Independent check of the publish requests we sent, with Node's crypto as Relaybox's service
// uses it (relaybox/core, auth.service.ts verifySignature): the raw body read into a string,
// that string's UTF-8 bytes HMAC-SHA256'd with the secret, lowercase hex compared with ===.
// Then the body parsed with JSON.parse and held to the official library's shape.
//
// stdin: {"secret": s, "requests": [{"body": base64, "signature": hex}, ...]}
// stdout: [{"ok": true, "message": {...parsed body...}} | {"ok": false, "error": "..."}, ...]
'use strict';
const crypto = require('crypto');

const FIELDS = ['event', 'roomId', 'data', 'timestamp', 'options'];

function check(secret, request) {
  const body = Buffer.from(request.body, 'base64').toString();
  const expected = crypto
    .createHmac('sha256', secret)
    .update(Buffer.from(body, 'utf-8'))
    .digest('hex');
  if (request.signature !== expected) throw new Error('signature does not match the body');
  const message = JSON.parse(body);
  if (JSON.stringify(Object.keys(message)) !== JSON.stringify(FIELDS)) {
    throw new Error(`fields ${Object.keys(message)}; expected ${FIELDS}`);
  }
  const { event, roomId, timestamp, options } = message;
  if (typeof event !== 'string' || !event) throw new Error('event is not a non-empty string');
  if (typeof roomId !== 'string' || !roomId) throw new Error('roomId is not a non-empty string');
  if (!Number.isSafeInteger(timestamp)) throw new Error('timestamp is not an integer');
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new Error('options is not an object');
  }
  for (const [key, value] of Object.entries(options)) {
    if (key === 'clientId' && typeof value === 'string' && value) continue;
    if (key === 'transient' && value === true) continue;
    throw new Error(`options.${key} = ${JSON.stringify(value)}`);
  }
  return message;
}

let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const { secret, requests } = JSON.parse(input);
  const verdicts = requests.map((request) => {
    try {
      return { ok: true, message: check(secret, request) };
    } catch (error) {
      return { ok: false, error: error.message };
    }
  });
  process.stdout.write(JSON.stringify(verdicts));
});
