"""Relaybox's HS256 tokens for one API key: minted with the service's claims, verified as it
verifies them.

Tokens are HS256 JWTs built from PyJWT's base64url encoder and the standard library's HMAC,
keyed once and copied per token, with the constant header segment computed once, so minting
costs one string format and one HMAC. The result is byte-identical to ``jwt.encode`` with the
same claims; the test suite checks that. Arguments arrive checked: the
:class:`~relaybox_integrations.RelayBox` facade checks options and arguments, this module
only builds, signs and reads claims.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, Final

from jwt.utils import base64url_decode, base64url_encode

from .errors import TokenTooLargeError, TokenVerificationError
from .keys import ApiKey
from .permissions import Permissions
from .results import TokenResponse

__all__ = [
    "ISSUER",
    "MAX_TOKEN_LENGTH",
    "ROOM_TOKEN_TYPE",
    "TOKEN_TYPE",
    "Tokens",
    "permissions_claim",
]

#: The ``iss`` claim; Relaybox's service refuses tokens from any other issuer.
ISSUER: Final = "https://relaybox.net"
#: The ``tokenType`` claim; the service refuses every other type.
TOKEN_TYPE: Final = "id_token"
#: The ``tokenType`` of room access tokens, as the official library sets it.
ROOM_TOKEN_TYPE: Final = "basic_access"
#: The browser client sends the token in its WebSocket URL; many proxies cap a request line
#: at 8 KB, and the URL carries more than the token. Larger tokens are refused, not minted.
MAX_TOKEN_LENGTH: Final = 4096

# jwt.encode's header for HS256: {"alg":"HS256","typ":"JWT"}, keys sorted, no spaces.
_HEADER_SEGMENT = base64url_encode(b'{"alg":"HS256","typ":"JWT"}')
_HEADER_TEXT = _HEADER_SEGMENT.decode()
_COMPACT = (",", ":")


def permissions_claim(permissions: Permissions | None) -> str:
    """The ``permissions`` member of an auth token's claims, or nothing for the key's own."""
    if permissions is None:
        return ""
    return ',"permissions":' + json.dumps(permissions, separators=_COMPACT)


class Tokens:
    """Mints and verifies the HS256 tokens of one API key.

    Holds no per-user state; safe to share between threads.
    """

    __slots__ = ("_claims_prefix", "_clock", "_second_cache", "mac", "public_key")

    def __init__(self, api_key: ApiKey, clock: Callable[[], float]) -> None:
        self.public_key = api_key.public_key
        self._clock = clock
        # Keyed once: each token copies this state rather than hashing the key again. The
        #: publisher signs its requests with a copy too.
        self.mac = hmac.new(api_key.secret.encode(), digestmod=hashlib.sha256)
        self._claims_prefix = f'{{"publicKey":{json.dumps(self.public_key)},"timestamp":"'
        self._second_cache: tuple[int, str] = (-1, "")

    def auth_token(
        self, client_id: str | None, permissions_json: str, lifetime: int
    ) -> TokenResponse:
        """An auth token (``tokenType`` ``"id_token"``) for ``client_id`` (None: anonymous).

        ``permissions_json`` is :func:`permissions_claim`'s member. Raises
        :class:`TokenTooLargeError` when the token would not fit in the client's WebSocket URL.
        """
        client_json = "" if client_id is None else ',"clientId":' + json.dumps(client_id)
        token, exp = self._mint(f'"tokenType":"id_token"{client_json}{permissions_json}', lifetime)
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenTooLargeError(
                f"the token would be {len(token)} characters, over the {MAX_TOKEN_LENGTH} "
                "that fit in the URL the browser client opens its WebSocket with; move "
                "permissions to the API key, or use room patterns such as 'chat:*'"
            )
        return TokenResponse(token=token, expires_in=lifetime, expires_at=exp * 1000)

    def room_access_token(self, room_id: str, client_id: str, lifetime: int) -> TokenResponse:
        """A room access token with the claims of the official library's
        ``rooms.generateAccessToken``."""
        claims = (
            f'"roomId":"{room_id}","clientId":{json.dumps(client_id)},'
            f'"tokenType":"{ROOM_TOKEN_TYPE}","expiresIn":{lifetime}'
        )
        token, exp = self._mint(claims, lifetime)
        return TokenResponse(token=token, expires_in=lifetime, expires_at=exp * 1000)

    def _mint(self, claims: str, lifetime: int) -> tuple[str, int]:
        """A token with the common claims around ``claims`` (JSON members), and its ``exp``."""
        now_ms = int(self._clock() * 1000)
        iat = now_ms // 1000
        second, iso_second = self._second_cache
        if second != iat:
            iso_second = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(iat))
            self._second_cache = (iat, iso_second)  # one tuple: atomic for other threads
        exp = iat + lifetime
        # Same bytes as json.dumps(claims, separators=(",", ":")) with claims in this order.
        payload = (
            f'{self._claims_prefix}{iso_second}.{now_ms % 1000:03d}Z",{claims},'
            f'"iat":{iat},"exp":{exp},"iss":"https://relaybox.net"}}'
        )
        signing_input = _HEADER_SEGMENT + b"." + base64url_encode(payload.encode())
        return (signing_input + b"." + self._signature(signing_input)).decode("ascii"), exp

    def verify_room_access_token(self, token: str, room_id: str) -> dict[str, Any]:
        """The claims of a room access token, if Relaybox's core would admit it to ``room_id``."""
        claims = self._signed_claims(token)
        if claims.get("publicKey") != self.public_key:
            raise TokenVerificationError(
                f"token was issued for public key {claims.get('publicKey')!r}, "
                f"not {self.public_key!r}"
            )
        self._check_expiry(claims)
        if claims.get("roomId") != room_id:
            raise TokenVerificationError(
                f"token admits to room {claims.get('roomId')!r}, not {room_id!r}"
            )
        return claims

    def verify_token(self, token: str) -> dict[str, Any]:
        """The claims of an auth token, if Relaybox's service would accept it."""
        claims = self._signed_claims(token)
        self._check_claims(claims)
        return claims

    def _signed_claims(self, token: object) -> dict[str, Any]:
        """The payload of ``token`` once its HS256 signature under this secret checks out."""
        if not isinstance(token, str):
            raise TokenVerificationError(f"token must be a str; got {type(token).__name__}")
        if not token.isascii():  # base64url and dots only; also keeps .encode() below safe
            raise TokenVerificationError("malformed token: it has characters outside ASCII")
        segments = token.split(".")
        if len(segments) != 3:
            raise TokenVerificationError("malformed token: expected three '.'-separated parts")
        if segments[0] != _HEADER_TEXT:  # ours and jsonwebtoken's; others are decoded
            algorithm = _decode_json_segment(segments[0], "header").get("alg")
            if algorithm != "HS256":
                raise TokenVerificationError(
                    f"token algorithm {algorithm!r} is not accepted; Relaybox verifies HS256 only"
                )
        # Compared in its base64url form, as jsonwebtoken does: a signature spelt any other
        # way (padding, stray bits in the last character) is refused there, so here too.
        signing_input = token[: len(segments[0]) + len(segments[1]) + 1].encode()
        if not hmac.compare_digest(self._signature(signing_input), segments[2].encode()):
            raise TokenVerificationError("token signature does not match this API key's secret")
        return _decode_json_segment(segments[1], "payload")

    def _signature(self, signing_input: bytes) -> bytes:
        """The base64url HS256 signature of ``signing_input`` under this key's secret."""
        mac = self.mac.copy()
        mac.update(signing_input)
        return base64url_encode(mac.digest())

    def _check_claims(self, claims: dict[str, Any]) -> None:
        if claims.get("iss") != ISSUER:
            raise TokenVerificationError(f"token issuer {claims.get('iss')!r} is not {ISSUER!r}")
        if claims.get("tokenType") != TOKEN_TYPE:
            raise TokenVerificationError(
                f"token type {claims.get('tokenType')!r} is not {TOKEN_TYPE!r}"
            )
        if claims.get("publicKey") != self.public_key:
            raise TokenVerificationError(
                f"token was issued for public key {claims.get('publicKey')!r}, "
                f"not {self.public_key!r}"
            )
        if "clientId" in claims and (
            not isinstance(claims["clientId"], str) or not claims["clientId"]
        ):
            raise TokenVerificationError("token clientId must be a non-empty string")
        self._check_expiry(claims)

    def _check_expiry(self, claims: dict[str, Any]) -> None:
        now = int(self._clock())
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            raise TokenVerificationError("token has no numeric exp claim")
        if now >= exp:
            raise TokenVerificationError(f"token expired at {exp} (now {now})")
        nbf = claims.get("nbf")
        if nbf is not None and (not _is_number(nbf) or nbf > now):
            raise TokenVerificationError(f"token is not valid before {nbf!r} (now {now})")
        iat = claims.get("iat")
        if iat is not None and not _is_number(iat):
            raise TokenVerificationError(f"token iat {iat!r} is not a number")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _decode_json_segment(segment: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(base64url_decode(segment).decode())  # UTF-8, as jsonwebtoken reads it
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError included
        raise TokenVerificationError(f"malformed token: {name} is not base64url JSON") from None
    except RecursionError:  # "[[[[..." nested past the parser's depth
        raise TokenVerificationError(f"malformed token: {name} is nested too deeply") from None
    if not isinstance(value, dict):
        raise TokenVerificationError(f"malformed token: {name} is not a JSON object")
    return value
