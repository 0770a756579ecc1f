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
const { makeMinter } = require('./relaybox-rest-mint');

const EXPIRES_IN = 900;

const port = Number(process.argv[2]);
const clientId = process.argv[3] || '1';
const apiKey = process.env.RELAYBOX_API_KEY || '';
if (!Number.isInteger(port) || port <= 0 || apiKey.split(':').length !== 2) {
  process.stderr.write(
    'usage: RELAYBOX_API_KEY=<appPid>.<keyId>:<secret> node express-reference.js PORT [CLIENT_ID]\n',
  );
  process.exit(2);
}
const generateTokenResponse = makeMinter(apiKey, undefined, false);

const app = express();
app.disable('x-powered-by');
app.get('/user/auth', (req, res) => {
  res.set('Cache-Control', 'no-store');
  res.json(generateTokenResponse(clientId, EXPIRES_IN));
});

const server = app.listen(port, '127.0.0.1', () => {
  process.stderr.write(`express reference on http://127.0.0.1:${port}/user/auth\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
