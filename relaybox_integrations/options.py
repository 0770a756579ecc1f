"""The core's options: their defaults and the checks every adapter's settings go through.

Framework adapters name these options in their own settings style; they validate through
the functions here (via the core's constructor), so a value means the same everywhere.
This module imports nothing of the package but its errors.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable
from typing import Final, TypeGuard
from urllib.parse import urlsplit

from .errors import ConfigurationError, TokenRequestError

__all__ = [
    "DEFAULT_AUTH_SERVICE_URL",
    "DEFAULT_CORE_URL",
    "DEFAULT_EXPIRES_IN",
    "DEFAULT_PUBLISH_RETRIES",
    "DEFAULT_PUBLISH_TIMEOUT",
    "DEFAULT_STATE_URL",
    "MAX_EXPIRES_IN",
    "REFRESH_MARGIN",
    "check_auth_service_url",
    "check_client_id",
    "check_core_url",
    "check_expires_in",
    "check_retries",
    "check_room_id",
    "check_state_url",
    "check_timeout",
    "is_room_id",
]

#: Seconds; Relaybox's own default (15 minutes).
DEFAULT_EXPIRES_IN: Final = 900
#: The browser client refreshes ``REFRESH_MARGIN`` seconds before expiry, so a token must
#: live longer than that or the client refreshes without pause.
REFRESH_MARGIN: Final = 20
#: Seconds; the longest lifetime accepted. Relaybox closes every WebSocket after 60 minutes
#: and the browser client refreshes before expiry, so a longer token buys nothing but a longer
#: life for a leaked credential; a day leaves room for any deliberate choice.
MAX_EXPIRES_IN: Final = 86_400
#: Where Relaybox takes published events (the official library's default).
DEFAULT_CORE_URL: Final = "https://gnet.prod.relaybox-services.net"
#: Relaybox's state service, where rooms are managed (the official library's default).
DEFAULT_STATE_URL: Final = "https://state.prod.relaybox-services.net"
#: Relaybox's auth service, which holds its users (the official library's default).
DEFAULT_AUTH_SERVICE_URL: Final = "https://auth.prod.relaybox-services.net"
#: Seconds per attempt of a publish or service call, as the official library.
DEFAULT_PUBLISH_TIMEOUT: Final = 10.0
#: Attempts after the first, for failures where nothing can have been applied.
DEFAULT_PUBLISH_RETRIES: Final = 2


def check_expires_in(value: object, error: Callable[[str], Exception]) -> int:
    """A token lifetime in seconds; ``error(message)`` builds what is raised."""
    if type(value) is not int:  # bool is an int subclass; 1.5 and "300" are not ints here
        raise error(f"expires_in must be a whole number of seconds (int); got {value!r}")
    if value <= REFRESH_MARGIN:
        raise error(
            f"expires_in must be more than {REFRESH_MARGIN} seconds: the browser client "
            f"refreshes {REFRESH_MARGIN} s before expiry, so {value} s would make it refresh "
            f"without pause; got {value}"
        )
    if value > MAX_EXPIRES_IN:
        raise error(
            f"expires_in must be at most {MAX_EXPIRES_IN} seconds (a day): Relaybox closes "
            "every connection after 60 minutes and the client refreshes tokens before they "
            f"expire, so a longer lifetime only extends a leaked token's use; got {value}"
        )
    return value


def check_client_id(value: object) -> str:
    """A client id as the token carries it: a non-empty str, or an int written out."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TokenRequestError(
            f"client_id must be a str or an int (or None for no identity); got "
            f"{type(value).__name__}"
        )
    try:
        client_id = str(value)
    except ValueError:  # an int over Python's 4,300-digit conversion limit
        raise TokenRequestError("client_id is an int too large to write out") from None
    if not client_id:
        raise TokenRequestError(
            "client_id must not be empty; pass None to issue a token with no identity"
        )
    return client_id


def check_core_url(value: object) -> str:
    """An http(s) URL of Relaybox's core, without a trailing slash."""
    return _check_url(value, "core_url", DEFAULT_CORE_URL)


def check_state_url(value: object) -> str:
    """An http(s) URL of Relaybox's state service, without a trailing slash."""
    return _check_url(value, "state_url", DEFAULT_STATE_URL)


def check_auth_service_url(value: object) -> str:
    """An http(s) URL of Relaybox's auth service, without a trailing slash."""
    return _check_url(value, "auth_service_url", DEFAULT_AUTH_SERVICE_URL)


def _check_url(value: object, option: str, default: str) -> str:
    # The value is never echoed: a mixed-up environment could hold the API key here.
    if not isinstance(value, str):
        raise ConfigurationError(option, f"{option} must be a str; got {type(value).__name__}")
    example = f"an http:// or https:// URL with a host, such as {default}"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ConfigurationError(option, f"{option} is not a URL; expected {example}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(option, f"{option} must be {example}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(
            option, f"{option} must not carry a query, a fragment or credentials"
        )
    return value.rstrip("/")


def check_timeout(value: object) -> float:
    """Seconds one attempt of a publish or service call may take."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(
            "timeout", f"timeout must be a number of seconds; got {type(value).__name__}"
        )
    if not math.isfinite(value) or value <= 0:
        raise ConfigurationError(
            "timeout", f"timeout must be finite and above 0 seconds; got {value}"
        )
    return float(value)


def check_retries(value: object) -> int:
    """Attempts of a publish or service call after the first."""
    shown = value if type(value) in (int, float, bool) else type(value).__name__
    if type(value) is not int or not 0 <= value <= 10:
        raise ConfigurationError(
            "retries", f"retries must be a whole number from 0 to 10; got {shown}"
        )
    return value


#: What a room id is made of, as Relaybox's core accepts one on join.
_ROOM_ID_CHARACTERS: Final = string.ascii_letters + string.digits + "-_:."


def is_room_id(value: object) -> TypeGuard[str]:
    """Whether Relaybox's core accepts ``value`` as a room id on join: its
    ``/^[a-zA-Z0-9-_:.]+$/``, read as JavaScript reads it (no trailing newline). Stripping
    the allowed characters is twice as fast as that regular expression, on every token."""
    return isinstance(value, str) and value != "" and not value.strip(_ROOM_ID_CHARACTERS)


def check_room_id(value: object) -> str:
    """A room id Relaybox's core would accept (:func:`is_room_id`)."""
    if not is_room_id(value):
        shown = repr(value) if isinstance(value, str) else type(value).__name__
        raise TokenRequestError(
            "room_id must be letters, digits and '-', '_', ':' or '.', as Relaybox accepts "
            f"on join; got {shown[:80]}"
        )
    return value
