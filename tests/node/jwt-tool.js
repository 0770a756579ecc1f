// Independent check of our tokens with Node's jsonwebtoken, the library Relaybox's service
// verifies with. Reads one JSON request on stdin, writes one JSON answer on stdout.
//   verify: {"secret": s, "tokens": [t, ...], "now": seconds?} -> [{"ok": true, "claims": {...}} | {"ok": false, "error": "..."}]
//   sign:   {"secret": s, "payload": {...}, "options": {...}}    -> {"token": "..."}
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

let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const request = JSON.parse(input);
  const command = process.argv[2];
  let answer;
  if (command === 'verify') {
    answer = request.tokens.map((token) => {
      try {
        return { ok: true, claims: verify(request.secret, token, request.now) };
      } catch (error) {
        return { ok: false, error: error.message };
      }
    });
  } else if (command === 'sign') {
    answer = { token: jwt.sign(request.payload, request.secret, request.options || {}) };
  } else {
    throw new Error(`unknown command ${command}`);
  }
  process.stdout.write(JSON.stringify(answer));
});
