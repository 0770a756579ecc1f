"""Relaybox users' auth tokens for tests: a good one signed by Node's jsonwebtoken as
Relaybox's auth service signs it, and every kind the verifier must refuse.

Shared by the core's tests and each adapter's, so that every framework is tried with the same
forgeries.
"""

from __future__ import annotations

import base64
import functools
import json
import time
from typing import Any

from jwt.utils import base64url_encode

from relaybox_integrations import RelayBox
from tests.support.verifier import node_sign, node_user_token

SECRET = "relaybox-users-secret-0123456789abcdef"
PUBLIC_KEY = "usersapp.key1"
API_KEY = f"{PUBLIC_KEY}:{SECRET}"
#: Another application's key: its tokens are foreign here.
OTHER_SECRET = "another-apps-secret-0123456789abcdefgh"
OTHER_API_KEY = f"otherapp.key9:{OTHER_SECRET}"
USER_ID = "6f1c2b4e-1d7a-4c1e-9a55-0d2f7e3b9c10"
CLIENT_ID = "V1StGXR8_Z5j"


def good_token(client_id: str = CLIENT_ID, uid: str = USER_ID) -> str:
    """A signed-in user's id token, exactly as Relaybox's auth service signs it."""
    return node_user_token(SECRET, uid, PUBLIC_KEY, client_id)


def _unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    def segment(value: dict[str, Any]) -> str:
        return base64url_encode(json.dumps(value).encode()).decode()

    return f"{segment(header)}.{segment(payload)}."


@functools.cache
def bad_tokens() -> dict[str, str]:
    """Every token a Relaybox user's token must not be mistaken for, by what is wrong.

    Made once per test session; all but the expired one live an hour (a refused token that
    expired meanwhile would be refused for that instead).
    """
    now = int(time.time())
    claims = {
        "sub": USER_ID,
        "publicKey": PUBLIC_KEY,
        "clientId": CLIENT_ID,
        "tokenType": "id_token",
        "timestamp": "2026-12-03T10:00:00.000Z",
    }
    good = node_user_token(SECRET, USER_ID, PUBLIC_KEY, CLIENT_ID, expiresIn=3600)
    head, body, signature = good.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return {
        "expired": node_sign(
            {**claims, "iat": now - 600, "exp": now - 300}, SECRET, issuer="https://relaybox.net"
        ),
        "wrong signature": f"{head}.{body}.{flipped}",
        "another app's key": node_user_token(
            OTHER_SECRET, USER_ID, "otherapp.key9", CLIENT_ID, expiresIn=3600
        ),
        "another app's public key, this secret": node_user_token(
            SECRET, USER_ID, "otherapp.key9", CLIENT_ID, expiresIn=3600
        ),
        "wrong issuer": node_user_token(
            SECRET, USER_ID, PUBLIC_KEY, CLIENT_ID, issuer="https://evil.example", expiresIn=3600
        ),
        "no issuer": node_sign(claims, SECRET, expiresIn=3600),
        "refresh token": node_user_token(
            SECRET, USER_ID, PUBLIC_KEY, CLIENT_ID, tokenType="refresh_token", expiresIn=604800
        ),
        "MFA challenge token": node_user_token(
            SECRET, USER_ID, PUBLIC_KEY, None, tokenType="tmp_token", expiresIn=3600
        ),
        "room access token": RelayBox(API_KEY)
        .generate_room_access_token("lobby", "bob", expires_in=3600)
        .token,
        "auth endpoint token, no sub": RelayBox(API_KEY)
        .generate_token_response(client_id="bob", expires_in=3600)
        .token,
        "alg none": _unsigned(
            {"alg": "none", "typ": "JWT"},
            {**claims, "iat": now, "exp": now + 3600, "iss": "https://relaybox.net"},
        ),
        "HS512": node_sign(
            claims, SECRET, algorithm="HS512", expiresIn=3600, issuer="https://relaybox.net"
        ),
        "malformed": "not.a-token",
        "garbage base64": "eyJhbGciOiJIUzI1NiJ9.%%%%.abc",
        "non-ASCII": "ey\u00e9.ey.sig",
        "payload not an object": (
            f"{head}.{base64.urlsafe_b64encode(b'[1]').decode().rstrip('=')}.{signature}"
        ),
    }
