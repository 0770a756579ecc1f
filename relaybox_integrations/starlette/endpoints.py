"""The auth endpoint as Starlette routes, with the room access endpoint when the issuer has a
``can_join_room`` hook: :func:`relaybox_routes`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from .issuer import RelayBoxIssuer
from .room_access import ROOM_ACCESS_PATH, room_access_route

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
    room_access_path: str = ROOM_ACCESS_PATH,
    room_access_name: str = "relaybox_room_access",
    **options: Any,
) -> list[BaseRoute]:
    """Routes serving the auth endpoint at ``path`` (mount them, e.g. under ``/user``), and
    the room access endpoint at ``room_access_path`` when the issuer has a
    ``can_join_room`` hook.

    ``options`` are :class:`RelayBoxIssuer`'s (``api_key=`` and the rest), or pass a
    ready ``issuer``. The routes are named ``name`` and ``room_access_name`` for
    ``url_path_for`` and answer every method themselves, so that OPTIONS and 405 behave like
    the other adapters.
    """
    relaybox = RelayBoxIssuer.from_options(issuer, **options)
    routes: list[BaseRoute] = [Route(path, AuthEndpointApp(relaybox), name=name)]
    if relaybox.room_access is not None:
        routes.append(
            room_access_route(
                relaybox.room_access,
                relaybox._load_user,
                path=room_access_path,
                name=room_access_name,
            )
        )
    return routes
