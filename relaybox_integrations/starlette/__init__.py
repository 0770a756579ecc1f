"""Relaybox auth endpoint for Starlette applications.

Serve the endpoint by mounting its routes::

    app = Starlette(routes=[Mount("/user", routes=relaybox_routes(api_key=KEY))])  # /user/auth

Mint tokens inside your own handlers by adding :class:`RelayBoxMiddleware` and calling
:func:`get_issuer`. Both are built from one :class:`RelayBoxIssuer`, configured once at
start-up; pass the same issuer to both when an app uses both. The user's identity comes from
``request.user`` (Starlette's ``AuthenticationMiddleware``), or from a ``client_id`` hook.
With a ``can_join_room`` hook the same routes serve the room access endpoint,
``/user/rooms/{room_id}/access``.
"""

from ..errors import AccessDenied, MissingMiddlewareError
from .auth_tokens import AuthTokenError, RelayBoxAuthBackend, RelayBoxCredentials
from .endpoints import relaybox_routes
from .issuer import ClientId, RelayBoxIssuer
from .middleware import RelayBoxMiddleware, get_issuer, get_relaybox
from .webhooks import RelayBoxWebhooks, relaybox_webhook_routes

__all__ = [
    "AccessDenied",
    "AuthTokenError",
    "ClientId",
    "MissingMiddlewareError",
    "RelayBoxAuthBackend",
    "RelayBoxCredentials",
    "RelayBoxIssuer",
    "RelayBoxMiddleware",
    "RelayBoxWebhooks",
    "get_issuer",
    "get_relaybox",
    "relaybox_routes",
    "relaybox_webhook_routes",
]
