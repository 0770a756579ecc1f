"""The auth endpoint as Starlette routes: :func:`relaybox_routes`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from .issuer import RelayBoxIssuer

__all__ = ["AuthEndpointApp", "relaybox_routes"]


class AuthEndpointApp:
    """The auth endpoint as a plain ASGI app: no per-request wrapping beyond a Request."""

    __slots__ = ("issuer",)

    def __init__(self, issuer: RelayBoxIssuer) -> None:
        self.issuer = issuer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.issuer.respond(Request(scope, receive))
        await response(scope, receive, send)


def relaybox_routes(
    issuer: RelayBoxIssuer | None = None,
    *,
    path: str = "/auth",
    name: str = "relaybox_auth",
    **options: Any,
) -> list[BaseRoute]:
    """Routes serving the auth endpoint at ``path`` (mount them, e.g. under ``/user``).

    ``options`` are :class:`RelayBoxIssuer`'s (``api_key=`` and the rest), or pass a
    ready ``issuer``. The route is named ``name`` for ``url_path_for`` and answers every
    method itself, so that OPTIONS and 405 behave like the other adapters.
    """
    return [Route(path, AuthEndpointApp(RelayBoxIssuer.from_options(issuer, **options)), name=name)]
