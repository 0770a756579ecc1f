"""Who may join a room that exists: relaybox/core's rules for its four visibilities.

Core checks a room access token with jsonwebtoken (HS256 only, signature, ``nbf`` and
``exp`` when present) under the secret of the key the connection authenticated with, then
requires ``roomId`` to be the room's; it checks no issuer (its ``JWT_ISSUER`` is unset),
``publicKey``, ``clientId`` nor ``tokenType``. The emulator does the same, with
jsonwebtoken's error names and messages, which core passes on as the acknowledgement error.
Tokens minted by ``RelayBox.generate_room_access_token`` or the official library's
``rooms.generateAccessToken`` are admitted exactly when ``RelayBox.verify_room_access_token``
accepts them; only hand-made tokens (no ``exp``, another ``publicKey`` claim) can tell the
two apart, and here core's answer is the one that counts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from ..permissions import Permissions
from ._checks import check_permission
from ._wire import AckError

__all__ = ["check_access_token", "hash_password", "validate_room_access"]

#: What the ``jws`` package (under jsonwebtoken) takes for a compact JWS.
_JWS = re.compile(r"[a-zA-Z0-9\-_]+\.[a-zA-Z0-9\-_]+\.[a-zA-Z0-9\-_]*")


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _jwt_error(message: str, name: str = "JsonWebTokenError") -> AckError:
    return AckError(message, name)


def check_access_token(token: object, room_id: str, secret: str) -> None:
    """Refuse as core refuses an ``accessToken`` that does not admit to ``room_id``."""
    if not token:
        raise _jwt_error("jwt must be provided")
    if not isinstance(token, str):
        raise _jwt_error("jwt must be a string")
    parts = token.split(".")
    if len(parts) != 3:
        raise _jwt_error("jwt malformed")
    if not _JWS.fullmatch(token):  # jws.decode answers null, so jsonwebtoken says this
        raise _jwt_error("invalid token")
    try:
        header = json.loads(_b64url(parts[0]))
        claims: Any = json.loads(_b64url(parts[1]))
    except ValueError:
        raise _jwt_error("invalid token") from None
    if not isinstance(header, dict):
        raise _jwt_error("invalid token")
    if not parts[2].strip():
        raise _jwt_error("jwt signature is required")
    if header.get("alg") != "HS256":
        raise _jwt_error("invalid algorithm")
    mac = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256)
    expected = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=")
    if not hmac.compare_digest(expected, parts[2].encode()):
        raise _jwt_error("invalid signature")
    if not isinstance(claims, dict):  # jsonwebtoken keeps such a payload as a string
        claims = {}
    now = time.time()
    if "nbf" in claims:
        if not _number(claims["nbf"]):
            raise _jwt_error("invalid nbf value")
        if claims["nbf"] > int(now):
            raise _jwt_error("jwt not active", "NotBeforeError")
    if "exp" in claims:
        if not _number(claims["exp"]):
            raise _jwt_error("invalid exp value")
        if int(now) >= claims["exp"]:
            raise _jwt_error("jwt expired", "TokenExpiredError")
    if claims.get("roomId") != room_id:
        raise AckError("Room access denied", "ForbiddenError")


def hash_password(password: str, salt: bytes) -> bytes:
    """A room password as kept: salted and hashed, as core keeps it, so no plain password
    sits in the emulator's memory or its reprs."""
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 1000)


def validate_room_access(
    room_id: str,
    visibility: str,
    member: bool,
    removed: bool,
    permissions: Permissions,
    password_hash: tuple[bytes, bytes] | None,
    body: Mapping[str, Any],
    secret: str,
) -> None:
    """Refuse, as core's ``room:join`` does and in its order, a connection that may not
    join the existing room ``room_id``: ``join`` permission; a removed member (``member``
    and ``removed`` say whether the connection's clientId is one, and was removed); a
    private room's ``privacy`` permission and membership; a protected room's password; an
    authorized room's access token."""
    check_permission(permissions, room_id, "join")
    if removed:
        raise AckError("Room access denied", "ForbiddenError")
    if visibility == "private":
        check_permission(permissions, room_id, "privacy")
        if not member:
            raise AckError("Room access denied", "ForbiddenError")
    elif visibility == "protected":
        password = body.get("password")
        if password_hash is None or not password:
            raise AckError("Password required", "PasswordRequiredError")
        salt, digest = password_hash
        given = hash_password(password, salt) if isinstance(password, str) else b""
        if not hmac.compare_digest(given, digest):
            raise AckError("Password access denied", "ForbiddenError")
    elif visibility == "authorized":
        check_access_token(body.get("accessToken"), room_id, secret)
