"""Relaybox auth endpoint for FastAPI applications.

Built on :mod:`relaybox_integrations.starlette` (FastAPI is Starlette): the same issuer
answers, with the user coming from a FastAPI dependency instead of ``request.user``::

    app.include_router(relaybox_router(dependency=current_user, api_key=KEY), prefix="/user")

``current_user`` returns the logged-in user (or its client id), or None when anonymous. To
mint tokens in your own routes, add :class:`~relaybox_integrations.starlette.RelayBoxMiddleware`
and depend on :func:`~relaybox_integrations.starlette.get_issuer`.
"""

from ..starlette import (
    AccessDenied,
    MissingMiddlewareError,
    RelayBoxIssuer,
    RelayBoxMiddleware,
    RelayBoxWebhooks,
    get_issuer,
    get_relaybox,
)
from .auth_tokens import RelayBoxBearer
from .endpoints import relaybox_router
from .schemas import ErrorBody, TokenBody, WebhookAnswer, WebhookBody
from .webhooks import relaybox_webhook_router

__all__ = [
    "AccessDenied",
    "ErrorBody",
    "MissingMiddlewareError",
    "RelayBoxBearer",
    "RelayBoxIssuer",
    "RelayBoxMiddleware",
    "RelayBoxWebhooks",
    "TokenBody",
    "WebhookAnswer",
    "WebhookBody",
    "get_issuer",
    "get_relaybox",
    "relaybox_router",
    "relaybox_webhook_router",
]
