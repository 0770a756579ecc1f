"""The Relaybox API key: parsed once, checked in words that never quote it, kept out of reprs.

Every adapter and the emulator build their key here, so a malformed key is refused with
the same message everywhere, and a short secret warns on the user's own line.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from typing import Any, Final

from .errors import ConfigurationError, ShortSecretWarning

__all__ = ["MIN_SECRET_BYTES", "ApiKey", "user_stacklevel", "warn_if_short_secret"]

#: RFC 7518 §3.2: an HS256 key should be at least as long as the hash output.
MIN_SECRET_BYTES: Final = 32


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
    if not (public_key.isascii() and public_key.isprintable()):
        # It travels in every publish and service call's X-Ds-Public-Key header.
        return (
            "the Relaybox API key's public part (before ':') has characters that cannot "
            "travel in an HTTP header (only printable ASCII can); copy the key again from "
            "your dashboard"
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


def _is_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # lone surrogates, as os.environ decodes undecodable bytes
        return False
    return True


def warn_if_short_secret(api_key: ApiKey) -> None:
    """Warn with :class:`ShortSecretWarning` when the secret is too short for HS256."""
    secret_bytes = len(api_key.secret.encode())
    if secret_bytes < MIN_SECRET_BYTES:
        warnings.warn(
            f"the Relaybox API secret is {secret_bytes} bytes; HS256 keys should be at "
            f"least {MIN_SECRET_BYTES} bytes (RFC 7518 §3.2). Use the full key from your "
            "Relaybox dashboard.",
            ShortSecretWarning,
            stacklevel=user_stacklevel(),
        )


_PACKAGE_DIR: Final = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
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
