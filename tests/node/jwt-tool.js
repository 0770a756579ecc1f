// Independent check of our tokens with Node's jsonwebtoken, the library Relaybox's service
// verifies with. Requests, one JSON object a line:
//   verify: {"command": "verify", "secret": s, "tokens": [t, ...], "now": seconds?} -> [{"ok": true, "claims": {...}} | {"ok": false, "error": "..."}]
//   room:   {"command": "room", "secret": s, "token": t, "roomId": r}              -> {"ok": true, "claims": {...}} | {"ok": false, "error": "..."}
//   sign:   {"command": "sign", "secret": s, "payload": {...}, "options": {...}}    -> {"token": "..."}
//   user:   {"command": "user", "secret": s, "uid": u, "publicKey": p, "clientId": c,
//            "tokenType": t?, "expiresIn": n?, "issuer": i?}                       -> {"token": "..."}
'use strict';
const jwt = require('jsonwebtoken');

function verify(secret, token, now) {
  // What the service does: HS256 only, the Relaybox issuer, then the token type and the
  // public key's two parts.
  const options = { algorithms: ['HS256'], issuer: 'https://relaybox.net' };
  if (now !== undefined) options.clockTimestamp = now;
  const claims = jwt.verify(token, secret, options);
  if (claims.tokenType !== 'id_token') throw new Error(`tokenType ${claims.tokenType}`);
  const [appPid, keyId] = String(claims.publicKey).split('.');
  if (!appPid || !keyId) throw new Error(`publicKey ${claims.publicKey}`);
  return claims;
}

function verifyRoomAccess(secret, token, roomId) {
  // What relaybox/core does with a join's accessToken (src/lib/token.ts, room.service.ts):
  // HS256 only, signature and exp (no issuer: JWT_ISSUER is unset), then the room id.
  const claims = jwt.verify(token, secret, { algorithms: ['HS256'] });
  if (claims.roomId !== roomId) throw new Error('Room access denied');
  return claims;
}

function userToken(request) {
  // A signed-in user's token as Relaybox's auth service mints it (relaybox/auth
  // src/lib/token.ts, getAuthToken): these claims in this order, then jsonwebtoken adds iat,
  // exp and iss. Its refresh and MFA tokens differ only in tokenType (tmp_token has no
  // clientId) and lifetime; 300 s is its default for id tokens.
  const payload = { sub: request.uid, publicKey: request.publicKey };
  if (request.clientId !== undefined) payload.clientId = request.clientId;
  payload.tokenType = request.tokenType || 'id_token';
  payload.timestamp = new Date().toISOString();
  return jwt.sign(payload, request.secret, {
    expiresIn: request.expiresIn === undefined ? 300 : request.expiresIn,
    algorithm: 'HS256',
    issuer: request.issuer === undefined ? 'https://relaybox.net' : request.issuer,
  });
}

function answer(command, request) {
  if (command === 'user') {
    return { token: userToken(request) };
  }
  if (command === 'room') {
    try {
      return { ok: true, claims: verifyRoomAccess(request.secret, request.token, request.roomId) };
    } catch (error) {
      return { ok: false, error: error.message };
    }
  }
  if (command === 'verify') {
    return request.tokens.map((token) => {
      try {
        return { ok: true, claims: verify(request.secret, token, request.now) };
      } catch (error) {
        return { ok: false, error: error.message };
      }
    });
  }
  if (command === 'sign') {
    return { token: jwt.sign(request.payload, request.secret, request.options || {}) };
  }
  throw new Error(`unknown command ${command}`);
}

// One JSON request per line on stdin, {"command": ..., ...}; one JSON answer per line on
// stdout, so a test session pays for one Node start, not one per check.
const lines = require('readline').createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const request = JSON.parse(line);
  process.stdout.write(JSON.stringify(answer(request.command, request)) + '\n');
});
