"""The framework-free token core: parse the API key, mint and verify Relaybox tokens.

Tokens are HS256 JWTs built from PyJWT's base64url encoder and the standard library's HMAC,
keyed once and copied per token, with the constant header segment computed once, so minting
costs one string format and one HMAC. The result
is byte-identical to ``jwt.encode`` with the same claims; the test suite checks that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from jwt.utils import base64url_decode, base64url_encode

from .errors import (
    ConfigurationError,
    ShortSecretWarning,
    TokenRequestError,
    TokenTooLargeError,
    TokenVerificationError,
)
from .options import (
    DEFAULT_CORE_URL,
    DEFAULT_EXPIRES_IN,
    DEFAULT_PUBLISH_RETRIES,
    DEFAULT_PUBLISH_TIMEOUT,
    MAX_EXPIRES_IN,
    REFRESH_MARGIN,
    check_client_id,
    check_core_url,
    check_expires_in,
    check_retries,
    check_room_id,
    check_timeout,
)
from .permissions import Permissions, PermissionsInput, validate_permissions
from .results import PublishResult, TokenResponse

if TYPE_CHECKING:
    from .publishing import Publisher

__all__ = [
    "API_KEY_ENV_VAR",
    "DEFAULT_EXPIRES_IN",
    "ISSUER",
    "MAX_EXPIRES_IN",
    "MAX_TOKEN_LENGTH",
    "REFRESH_MARGIN",
    "ROOM_TOKEN_TYPE",
    "TOKEN_TYPE",
    "ApiKey",
    "PublishResult",
    "RelayBox",
    "TokenResponse",
]

#: The ``iss`` claim; Relaybox's service refuses tokens from any other issuer.
ISSUER: Final = "https://relaybox.net"
#: The ``tokenType`` claim; the service refuses every other type.
TOKEN_TYPE: Final = "id_token"
#: The ``tokenType`` of room access tokens, as the official library sets it.
ROOM_TOKEN_TYPE: Final = "basic_access"
#: Where :meth:`~relaybox_integrations.RelayBox.from_env` and the ``relaybox`` command read
#: the API key.
API_KEY_ENV_VAR: Final = "RELAYBOX_API_KEY"
#: The browser client sends the token in its WebSocket URL; many proxies cap a request line
#: at 8 KB, and the URL carries more than the token. Larger tokens are refused, not minted.
MAX_TOKEN_LENGTH: Final = 4096
#: RFC 7518 §3.2: an HS256 key should be at least as long as the hash output.
MIN_SECRET_BYTES: Final = 32
CORE_URL_ENV_VAR: Final = "RELAYBOX_CORE_URL"

# jwt.encode's header for HS256: {"alg":"HS256","typ":"JWT"}, keys sorted, no spaces.
_HEADER_SEGMENT = base64url_encode(b'{"alg":"HS256","typ":"JWT"}')
_HEADER_TEXT = _HEADER_SEGMENT.decode()
_COMPACT = (",", ":")


class ApiKey:
    """A parsed Relaybox API key, ``<appPid>.<keyId>:<secret>``.

    The secret is kept out of ``repr()`` and ``str()``; only :attr:`public_key` is shown.
    """

    __slots__ = ("_secret", "app_pid", "key_id", "public_key")

    def __init__(self, value: object) -> None:
        problem = _api_key_problem(value)
        if problem is not None:
            # Raised from a frame that no longer holds the key: debug pages show locals.
            del value
            raise ConfigurationError("api_key", problem)
        assert isinstance(value, str)
        self.public_key, self._secret = value.split(":")
        self.app_pid, self.key_id = self.public_key.split(".")

    @property
    def secret(self) -> str:
        """The secret part. Keep it on the server."""
        return self._secret

    def __repr__(self) -> str:
        return f"ApiKey(public_key={self.public_key!r}, secret=<hidden>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ApiKey)
            and self.public_key == other.public_key
            and self._secret == other._secret
        )

    def __hash__(self) -> int:
        return hash(self.public_key)

    def __reduce__(self) -> Any:
        # Refuse pickling: a pickle would carry the secret somewhere we cannot see.
        raise TypeError("ApiKey objects cannot be pickled; pass the key string instead")


# What PyJWT refuses as an HMAC key: text that reads as a PEM or SSH public key. A Relaybox
# secret never looks like one, and jsonwebtoken would not treat it as a plain secret either.
_KEY_LIKE_PREFIXES = ("-----BEGIN", "ssh-rsa", "ssh-ed25519", "ecdsa-sha2-")
_PUBLIC_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def _api_key_problem(value: object) -> str | None:
    """What is wrong with ``value`` as an API key, in words that quote no part of it.

    A malformed key may have its halves swapped or be the secret alone, so no part of it is
    ever echoed.
    """
    if not isinstance(value, str) or not value:
        kind = "empty" if value == "" else f"a {type(value).__name__}"
        return (
            f"the Relaybox API key is {kind}; expected a string '<appPid>.<keyId>:<secret>' "
            "as shown in your Relaybox dashboard"
        )
    if value[0] in "\"'" or value[-1] in "\"'":
        return (
            "the Relaybox API key is wrapped in quotes (often copied from a .env file); "
            "remove them: '<appPid>.<keyId>:<secret>'"
        )
    if any(c.isspace() for c in value):
        return (
            "the Relaybox API key contains whitespace (often a trailing newline from a file "
            "or an environment variable); expected '<appPid>.<keyId>:<secret>'"
        )
    if not _is_utf8(value):
        return (
            "the Relaybox API key contains characters that are not valid UTF-8 (bytes an "
            "environment variable could not decode); copy the key again from your dashboard"
        )
    colons = value.count(":")
    if colons != 1:
        return (
            f"the Relaybox API key has {colons} ':' characters; expected exactly one, between "
            "the public key and the secret: '<appPid>.<keyId>:<secret>'"
        )
    public_key, secret = value.split(":")
    parts = public_key.split(".")
    if len(parts) != 2 or not all(parts):
        return (
            "the Relaybox API key's public part (before ':') must be '<appPid>.<keyId>', two "
            f"non-empty names joined by one '.'; it has {len(parts)} '.'-separated parts (are "
            "the two halves of the key swapped?)"
        )
    if not secret:
        return "the Relaybox API key has an empty secret after ':'"
    if _PUBLIC_KEY_SHAPE.fullmatch(secret) and len(public_key) > len(secret):
        # secret:appPid.keyId with a secret holding one '.': the secret would ride in every
        # token's publicKey claim, readable by every browser.
        return (
            "the two halves of the Relaybox API key look swapped: the part after ':' has the "
            "'<appPid>.<keyId>' shape and is shorter than the part before it; the key is "
            "'<appPid>.<keyId>:<secret>'"
        )
    if secret.startswith(_KEY_LIKE_PREFIXES):
        return (
            "the Relaybox API key's secret reads as a PEM or SSH public key, which is not a "
            "Relaybox secret; copy the whole key from your Relaybox dashboard"
        )
    return None


_PACKAGE_DIR: Final = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_stacklevel() -> int:
    """``warnings.warn``'s ``stacklevel`` for the first caller outside this package.

    Called by the function that warns. A configuration warning belongs on the line that
    configured, in the user's code, not on the adapter's line that built the core; how many
    of the package's frames lie between depends on the adapter. (Python 3.12's
    ``skip_file_prefixes`` does this, but 3.10 and 3.11 lack it.)
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        if frame.f_back is None:
            return 1
        frame = frame.f_back
        level += 1
    return level


def _is_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # lone surrogates, as os.environ decodes undecodable bytes
        return False
    return True


class RelayBox:
    """Mints and verifies Relaybox auth tokens for one API key.

    ``expires_in`` and ``permissions`` are the defaults for every token; each call may
    override them. All configuration is checked here, once: a bad key, expiry or default
    permissions raise :class:`ConfigurationError` naming the option. Instances hold no
    per-user state and are safe to share between threads.
    """

    def __init__(
        self,
        api_key: str,
        *,
        expires_in: int = DEFAULT_EXPIRES_IN,
        permissions: PermissionsInput | None = None,
        clock: Callable[[], float] = time.time,
        core_url: str = DEFAULT_CORE_URL,
        timeout: float = DEFAULT_PUBLISH_TIMEOUT,
        retries: int = DEFAULT_PUBLISH_RETRIES,
    ) -> None:
        try:
            self._api_key = ApiKey(api_key)
        finally:  # frames in a traceback (Django's debug page, Werkzeug's debugger) show locals
            del api_key
        self._expires_in = check_expires_in(
            expires_in, lambda message: ConfigurationError("expires_in", message)
        )
        try:
            self._permissions = None if permissions is None else validate_permissions(permissions)
        except ValueError as exc:
            raise ConfigurationError("permissions", str(exc)) from None
        self._permissions_json = _permissions_fragment(self._permissions)
        self._clock = clock
        self._key = self._api_key.secret.encode()
        # Keyed once: each token copies this state rather than hashing the key again.
        self._mac = hmac.new(self._key, digestmod=hashlib.sha256)
        public_key_json = json.dumps(self._api_key.public_key)
        self._claims_prefix = f'{{"publicKey":{public_key_json},"timestamp":"'
        self._second_cache: tuple[int, str] = (-1, "")
        self._core_url = check_core_url(core_url)
        self._timeout = check_timeout(timeout)
        self._retries = check_retries(retries)
        self._publisher_instance: Publisher | None = None
        self._publisher_lock = threading.Lock()

        secret_bytes = len(self._key)
        if secret_bytes < MIN_SECRET_BYTES:
            warnings.warn(
                f"the Relaybox API secret is {secret_bytes} bytes; HS256 keys should be at "
                f"least {MIN_SECRET_BYTES} bytes (RFC 7518 §3.2). Use the full key from your "
                "Relaybox dashboard.",
                ShortSecretWarning,
                stacklevel=_user_stacklevel(),
            )
        try:  # the default permissions alone must leave room in the WebSocket URL
            self.generate_token_response()
        except TokenTooLargeError as exc:
            raise ConfigurationError("permissions", str(exc)) from None

    @classmethod
    def from_env(cls, variable: str = API_KEY_ENV_VAR, **options: Any) -> RelayBox:
        """Build from the API key in environment variable ``variable``.

        ``core_url`` comes from ``RELAYBOX_CORE_URL`` when that is set and no ``core_url``
        is passed.
        """
        core_url = os.environ.get(CORE_URL_ENV_VAR)
        if core_url and "core_url" not in options:
            options["core_url"] = core_url
        value = os.environ.get(variable)
        if not value:
            raise ConfigurationError(
                "api_key",
                f"the environment variable {variable} is not set; set it to your Relaybox "
                "API key, '<appPid>.<keyId>:<secret>'",
            )
        return cls(value, **options)

    @property
    def public_key(self) -> str:
        """``appPid.keyId``; safe to show."""
        return self._api_key.public_key

    @property
    def expires_in(self) -> int:
        """The default token lifetime in seconds."""
        return self._expires_in

    @property
    def permissions(self) -> Permissions | None:
        """The default inline permissions, or None for the API key's own."""
        return self._permissions

    def __repr__(self) -> str:
        return f"RelayBox(public_key={self.public_key!r}, expires_in={self._expires_in})"

    def __reduce__(self) -> Any:
        raise TypeError("RelayBox objects cannot be pickled; they hold the API secret")

    def generate_token_response(
        self,
        *,
        client_id: str | int | None = None,
        expires_in: int | None = None,
        permissions: PermissionsInput | None = None,
    ) -> TokenResponse:
        """Mint a token for ``client_id`` (None: no identity, no presence).

        ``expires_in`` and ``permissions`` default to the instance's. Raises
        :class:`TokenRequestError` on a bad argument and :class:`TokenTooLargeError` when
        the token would not fit in the client's WebSocket URL.
        """
        if expires_in is None:
            lifetime = self._expires_in
        else:
            lifetime = check_expires_in(expires_in, TokenRequestError)
        if permissions is None:
            permissions_json = self._permissions_json
        else:
            try:
                permissions_json = _permissions_fragment(validate_permissions(permissions))
            except ValueError as exc:
                raise TokenRequestError(str(exc)) from None
        client_json = (
            "" if client_id is None else ',"clientId":' + json.dumps(check_client_id(client_id))
        )

        token, exp = self._mint(f'"tokenType":"id_token"{client_json}{permissions_json}', lifetime)
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenTooLargeError(
                f"the token would be {len(token)} characters, over the {MAX_TOKEN_LENGTH} "
                "that fit in the URL the browser client opens its WebSocket with; move "
                "permissions to the API key, or use room patterns such as 'chat:*'"
            )
        return TokenResponse(token=token, expires_in=lifetime, expires_at=exp * 1000)

    def generate_room_access_token(
        self, room_id: str, client_id: str | int, *, expires_in: int | None = None
    ) -> TokenResponse:
        """Mint a room access token: what the browser passes as ``accessToken`` to join
        ``room_id`` when the room's visibility is ``authorized``.

        Claims as the official library's ``rooms.generateAccessToken``: ``publicKey``,
        ``roomId``, ``clientId``, ``timestamp``, ``tokenType`` ``"basic_access"`` and
        ``expiresIn``, signed HS256 with the API secret. ``room_id`` must be what Relaybox
        accepts as a room id; raises :class:`TokenRequestError` on a bad argument.
        """
        room = check_room_id(room_id)
        client = check_client_id(client_id)
        if expires_in is None:
            lifetime = self._expires_in
        else:
            lifetime = check_expires_in(expires_in, TokenRequestError)
        claims = (
            f'"roomId":"{room}","clientId":{json.dumps(client)},'
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
        """Return the claims of a room access token if Relaybox would admit its holder to
        ``room_id``: HS256 under this key's secret, this key's ``publicKey``, an ``exp`` in
        the future and ``roomId == room_id`` (the core checks no more). Anything else raises
        :class:`TokenVerificationError`."""
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
        """Return the claims of ``token`` if Relaybox's service would accept it.

        Accepts only HS256 signed with this key's secret, issuer ``https://relaybox.net``,
        ``tokenType == "id_token"``, this key's ``publicKey``, and an ``exp`` still in the
        future. Anything else raises :class:`TokenVerificationError`.
        """
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
        mac = self._mac.copy()
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

    # --- publishing (relaybox_integrations.publishing, loaded on first use) -----------------

    def _publisher(self) -> Publisher:
        publisher = self._publisher_instance
        if publisher is None:
            with self._publisher_lock:
                publisher = self._publisher_instance
                if publisher is None:
                    from .publishing import Publisher

                    publisher = Publisher(
                        public_key=self._api_key.public_key,
                        mac=self._mac,
                        clock=self._clock,
                        core_url=self._core_url,
                        timeout=self._timeout,
                        retries=self._retries,
                    )
                    self._publisher_instance = publisher
        return publisher

    def publish(
        self,
        room_id: str,
        event: str,
        data: Any,
        *,
        client_id: str | int | None = None,
        transient: bool = False,
    ) -> PublishResult:
        """Publish ``event`` with ``data`` to everyone subscribed to ``room_id``.

        ``client_id`` is the user the message is attributed to; ``transient=True`` keeps
        it out of the room's history. Raises :class:`PublishRequestError` for a bad
        argument (nothing sent), :class:`PublishError` when Relaybox refuses or cannot be
        reached, and :class:`PublishOutcomeUnknownError` when the answer never came.
        """
        return self._publisher().publish(room_id, event, data, client_id, transient)

    def check_publish(
        self,
        room_id: str,
        event: str,
        data: Any,
        *,
        client_id: str | int | None = None,
        transient: bool = False,
    ) -> None:
        """Raise :class:`PublishRequestError` now for what :meth:`publish` would refuse.

        For publishing later (after a database commit, from a task queue): a bad argument
        is then a bug in the code that asked, reported where it asked.
        """
        self._publisher().message(room_id, event, data, client_id, transient)

    async def apublish(
        self,
        room_id: str,
        event: str,
        data: Any,
        *,
        client_id: str | int | None = None,
        transient: bool = False,
    ) -> PublishResult:
        """:meth:`publish` for asyncio, over one connection pool per event loop."""
        return await self._publisher().apublish(room_id, event, data, client_id, transient)

    def close(self) -> None:
        """Close the idle connections :meth:`publish` keeps; later calls open new ones."""
        if self._publisher_instance is not None:
            self._publisher_instance.close()

    async def aclose(self) -> None:
        """Close the connections :meth:`apublish` keeps for the running event loop."""
        if self._publisher_instance is not None:
            await self._publisher_instance.aclose()

    def __enter__(self) -> RelayBox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> RelayBox:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
        self.close()


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _permissions_fragment(permissions: Permissions | None) -> str:
    if permissions is None:
        return ""
    return ',"permissions":' + json.dumps(permissions, separators=_COMPACT)


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
