// The Node reference for benchmarks/endpoints.py: an Express auth endpoint that mints its
// token exactly as the official Relaybox server library (@relaybox/rest) does, which is
// the path a developer would take instead of this project.
//
//   RELAYBOX_API_KEY=<appPid>.<keyId>:<secret> node benchmarks/express-reference.js PORT [CLIENT_ID]
//
// GET /user/auth answers {token, expiresIn, expiresAt} for CLIENT_ID (default "1"). It has no
// session or user lookup at all, so it is a generous reference: the Python endpoints it is
// compared with do both. It listens on 127.0.0.1 only.
'use strict';
const express = require('express');
const jwt = require('jsonwebtoken');

const ISSUER = 'https://relaybox.net';
const EXPIRES_IN = 900;

const port = Number(process.argv[2]);
const clientId = process.argv[3] || '1';
const apiKey = process.env.RELAYBOX_API_KEY || '';
const parts = apiKey.split(':');
if (!Number.isInteger(port) || port <= 0 || parts.length !== 2) {
  process.stderr.write(
    'usage: RELAYBOX_API_KEY=<appPid>.<keyId>:<secret> node express-reference.js PORT [CLIENT_ID]\n',
  );
  process.exit(2);
}
const [publicKey, secretKey] = parts;

// The library's generateTokenResponse, step for step: payload with a fresh ISO timestamp,
// the synchronous jwt.sign with the secret string, then a second clock reading for expiresAt.
function generateTokenResponse({ clientId, expiresIn = EXPIRES_IN, permissions }) {
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
}

const app = express();
app.disable('x-powered-by');
app.get('/user/auth', (req, res) => {
  res.set('Cache-Control', 'no-store');
  res.json(generateTokenResponse({ clientId }));
});

const server = app.listen(port, '127.0.0.1', () => {
  process.stderr.write(`express reference on http://127.0.0.1:${port}/user/auth\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
