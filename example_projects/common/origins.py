"""``CORS_ALLOWED_ORIGINS`` for every example: exact origins only, checked at start-up.

The auth endpoint answers cross-origin requests *with credentials*, so whichever origin CORS
lets in can read the logged-in user's token. Each CORS library treats a loose entry in its
own way, and none of them safely: Starlette and Flask-Cors answer ``*`` by reflecting any
origin, ``null`` included, and Flask-Cors reads an entry with a regex character as a regex
matched at the start only (``https://*.example.com`` lets ``https://xexample.com.attacker.net``
in). So the examples accept exact origins, ``scheme://host[:port]`` as a browser sends them,
and refuse anything else before serving a request.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

SETTING = "CORS_ALLOWED_ORIGINS"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_WHY_NOT = {
    "*": "'*' would let every site read a logged-in user's token",
    "null": (
        "'null' is the origin of sandboxed frames and local files, which any site can "
        "create, so it would let every site read a logged-in user's token"
    ),
}


class OriginError(ValueError):
    """A ``CORS_ALLOWED_ORIGINS`` entry that is not one exact origin; the message says why."""


def allowed_origins(value: str) -> list[str]:
    """The comma-separated origins in ``value``, each as browsers write it in ``Origin``.

    Scheme and host are lower-cased and a default port dropped, because the CORS libraries
    compare the ``Origin`` header with each entry as a plain string.
    """
    return [_origin(entry.strip()) for entry in value.split(",") if entry.strip()]


def _origin(entry: str) -> str:
    if entry in _WHY_NOT:
        raise OriginError(f"{SETTING}: {_WHY_NOT[entry]}; list each allowed origin instead")
    example = "list each origin exactly, e.g. https://app.example.com or http://localhost:3000"
    try:
        parts = urlsplit(entry)
        port = parts.port
    except ValueError:
        raise OriginError(f"{SETTING}: {entry!r} is not an origin; {example}") from None
    host = parts.hostname or ""
    if (
        parts.scheme.lower() not in _DEFAULT_PORTS
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
        or "?" in entry
        or "#" in entry
        or not _is_host(host)
    ):
        raise OriginError(
            f"{SETTING}: {entry!r} is not an origin (scheme://host[:port], no path, no "
            f"wildcard or pattern); {example}"
        )
    scheme = parts.scheme.lower()
    shown_host = f"[{host}]" if ":" in host else host
    shown_port = "" if port in (None, _DEFAULT_PORTS[scheme]) else f":{port}"
    return f"{scheme}://{shown_host}{shown_port}"


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return _HOST_NAME.fullmatch(host) is not None
    return True
