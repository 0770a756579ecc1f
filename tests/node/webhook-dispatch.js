// Delivers one webhook event as Relaybox's webhook service does (its dispatcher, signing and
// BullMQ retry policy), to test an endpoint over real HTTP.
//
//   node tests/node/webhook-dispatch.js '{"url": "...", "signingKey": "...", "webhookId": "...",
//       "payload": {"id", "event", "data", "session"}, "timeoutMs": 5000, "backoffMs": 500,
//       "attempts": 5}'
//
// Each attempt stamps a fresh timestamp, signs, and POSTs with Relaybox's headers and timeout;
// it is retried on a network error (a timeout included) or a 429, 500, 502, 503 or 504, after
// backoffMs * 2^(attempt - 1). Prints the attempts: [{"status": 200, "body": "..."} |
// {"error": "TimeoutError"}, ...]. Tests shorten timeoutMs and backoffMs; nothing else differs.
'use strict';
const { generateRequestSignature, serializeWebhookData } = require('./webhook-tool');

const RETRYABLE_ERROR_CODES = [429, 500, 502, 503, 504];

async function dispatch(options, payload) {
  const requestSignature = generateRequestSignature(
    serializeWebhookData(payload),
    options.signingKey,
  );
  const response = await fetch(options.url, {
    method: 'POST',
    headers: {
      ...(options.headers || {}),
      'Content-Type': 'application/json',
      'X-RelayBox-Webhook-Signature': requestSignature,
      'X-RelayBox-Webhook-Id': options.webhookId,
    },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
  });
  const body = await response.text();
  if (!response.ok && RETRYABLE_ERROR_CODES.includes(response.status)) {
    return { retry: true, status: response.status, body };
  }
  return { retry: false, status: response.status, body };
}

async function main() {
  const options = JSON.parse(process.argv[2]);
  const attempts = options.attempts ?? 5;
  const backoffMs = options.backoffMs ?? 500;
  const results = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    // parseWebhookPayload: the same id, event, data and session; a new timestamp.
    const { id, event, data, session } = options.payload;
    const payload = { id, event, data, session, timestamp: new Date().toISOString() };
    try {
      const { retry, status, body } = await dispatch(options, payload);
      results.push({ status, body });
      if (!retry) break;
    } catch (error) {
      results.push({ error: error.name });
    }
    if (attempt < attempts) {
      await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main();
