"""The room access endpoint as a Starlette route, for :func:`relaybox_routes` and FastAPI.

The flow and its answers are :mod:`relaybox_integrations.room_access`'s; this module only
reads the room id from the route's path parameter and who is asking from the issuer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..errors import ConfigurationError
from ..room_access import RoomAccessEndpoint
from .bridge import to_response

__all__ = ["ROOM_ACCESS_PATH", "RoomAccessApp", "room_access_route"]


class RoomIdConvertor(Convertor[str]):
    """Any room id, ``/`` and newlines included: the endpoint answers one Relaybox refuses
    with 400 JSON, rather than the router with a plain-text 404."""

    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("relaybox_room_id", RoomIdConvertor())

#: Where :func:`relaybox_routes` serves the room access endpoint, under its mount.
ROOM_ACCESS_PATH = "/rooms/{room_id:relaybox_room_id}/access"


class RoomAccessApp:
    """The room access endpoint as a plain ASGI app: ``endpoint`` answers, with the user
    ``load_user(request)`` returns."""

    __slots__ = ("endpoint", "load_user")

    def __init__(self, endpoint: RoomAccessEndpoint, load_user: Callable[[Request], Any]) -> None:
        self.endpoint = endpoint
        self.load_user = load_user

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        room_id = request.path_params.get("room_id", "")
        answer = await self.endpoint.arespond(
            request.method, request, room_id, lambda: self.load_user(request)
        )
        await to_response(answer)(scope, receive, send)


def room_access_route(
    endpoint: RoomAccessEndpoint,
    load_user: Callable[[Request], Any],
    *,
    path: str = ROOM_ACCESS_PATH,
    name: str = "relaybox_room_access",
) -> Route:
    """The route answering every method at ``path``, which must name ``{room_id}``."""
    if not isinstance(path, str) or path[:1] != "/" or "{room_id" not in path:
        raise ConfigurationError(
            "room_access_path",
            "room_access_path: expected a path starting with '/' with a {room_id} parameter, "
            f"e.g. {ROOM_ACCESS_PATH!r}; got {path!r}",
        )
    route = Route(path, RoomAccessApp(endpoint, load_user), name=name)
    # The whole path: the route's regex ends in "$", which also matches before a final
    # newline, and would answer ".../access\n" for the room before it.
    route.path_regex = re.compile(route.path_regex.pattern.removesuffix("$") + r"\Z")
    return route
