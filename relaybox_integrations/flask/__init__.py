"""Relaybox for Flask: ``RelayBox(app)`` adds the auth endpoint.

Configure it with ``RELAYBOX_API_KEY`` (required), ``RELAYBOX_TOKEN_EXPIRES_IN``,
``RELAYBOX_PERMISSIONS``, ``RELAYBOX_AUTH_URL`` and ``RELAYBOX_ALLOW_ANONYMOUS`` in
``app.config``. Flask-Login is optional.
"""

from ..errors import AccessDenied
from .extension import ClientIdLoader, PermissionsLoader, RelayBox, RelayBoxState, get_state
from .signals import token_issued

__all__ = [
    "AccessDenied",
    "ClientIdLoader",
    "PermissionsLoader",
    "RelayBox",
    "RelayBoxState",
    "get_state",
    "token_issued",
]
