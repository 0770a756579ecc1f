// Minting exactly as the official Relaybox server library (@relaybox/rest) does, shared by
// node-sign.js (tokens/s) and express-reference.js (the Express endpoint).
//
// Per token, as the library's generateTokenResponse: build {publicKey, timestamp (a fresh
// Date's toISOString()), tokenType: 'id_token', permissions?, clientId?}, call the synchronous
// jwt.sign(payload, secret, {expiresIn, issuer}), then read the clock again for expiresAt.
// (The library also runs its permissions validator first; leaving it out only flatters Node.)
'use strict';
const { createSecretKey } = require('crypto');
const jwt = require('jsonwebtoken');

const ISSUER = 'https://relaybox.net';

function makeMinter(apiKey, permissions, keyObject) {
  const parts = apiKey.split(':');
  if (parts.length !== 2) throw new Error('API key must be "appPid.keyId:secretKey"');
  const publicKey = parts[0];
  // The library passes the secret string. jsonwebtoken 9 then tries to parse it as a PEM
  // private key on every call before it falls back to a secret key; keyObject (an option
  // for comparison only) hands it a prepared KeyObject instead.
  const secretKey = keyObject ? createSecretKey(Buffer.from(parts[1])) : parts[1];
  return function generateTokenResponse(clientId, expiresIn) {
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
  };
}

// As the library's rooms.generateAccessToken(roomId, clientId, tokenType, expiresIn): the
// payload {publicKey, roomId, clientId, timestamp, tokenType, expiresIn}, then jwt.sign with
// {expiresIn, issuer}. Called as mint(clientId, expiresIn) for the room ROOM_ID.
const ROOM_ID = 'team:7';

function makeRoomMinter(apiKey, keyObject) {
  const [publicKey, secret] = apiKey.split(':');
  const secretKey = keyObject ? createSecretKey(Buffer.from(secret)) : secret;
  return function generateAccessToken(clientId, expiresIn) {
    const payload = {
      publicKey,
      roomId: ROOM_ID,
      clientId,
      timestamp: new Date().toISOString(),
      tokenType: 'basic_access',
      expiresIn,
    };
    return { token: jwt.sign(payload, secretKey, { expiresIn, issuer: ISSUER }) };
  };
}

module.exports = { makeMinter, makeRoomMinter, ROOM_ID };
