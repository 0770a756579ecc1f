"""Relaybox for Flask: ``RelayBox(app)`` adds the auth endpoint.

Configure it with ``RELAYBOX_*`` keys in ``app.config`` (``RELAYBOX_API_KEY`` is required;
the Flask guide lists the rest). Flask-Login is optional.
"""

from ..errors import AccessDenied
from .auth_tokens import load_user_from_auth_token
from .extension import (
    ClientIdHook,
    PermissionsHook,
    RelayBox,
    RelayBoxState,
    UserLoader,
    get_relaybox,
    get_state,
)
from .signals import token_issued

__all__ = [
    "AccessDenied",
    "ClientIdHook",
    "PermissionsHook",
    "RelayBox",
    "RelayBoxState",
    "UserLoader",
    "get_relaybox",
    "get_state",
    "load_user_from_auth_token",
    "token_issued",
]
