"""The issuer on every request: :class:`RelayBoxMiddleware` puts it in the ASGI scope, and
:func:`get_issuer` and :func:`get_relaybox` take it out in your own handlers (or as
FastAPI dependencies)."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core import RelayBox
from ..errors import ConfigurationError, MissingMiddlewareError
from .endpoints import AuthEndpointApp
from .issuer import RelayBoxIssuer
from .room_access import room_access_route

__all__ = ["RelayBoxMiddleware", "get_issuer", "get_relaybox"]

# The ASGI scope key under which RelayBoxMiddleware puts the issuer.
_SCOPE_KEY = "relaybox"
_ROOM_ID = "{room_id}"
_NO_RELAYBOX_MIDDLEWARE = (
    "no Relaybox issuer on this request: RelayBoxMiddleware is not installed. Add "
    "Middleware(RelayBoxMiddleware, api_key=...) (or issuer=your_issuer) to your app's "
    "middleware list."
)


class RelayBoxMiddleware:
    """Pure ASGI middleware putting the issuer in ``scope["relaybox"]`` for :func:`get_issuer`.

    With ``auth_path`` (the request path, e.g. ``"/user/auth"``) it also answers the auth
    endpoint itself, for apps that would rather not add routes; with ``room_access_path`` (a
    path with one ``{room_id}``, e.g. ``"/user/rooms/{room_id}/access"``) the room access
    endpoint too, which needs the issuer's ``can_join_room`` hook. Place it after
    ``AuthenticationMiddleware`` so that ``request.user`` is set when it answers. At the
    application's shutdown it closes the issuer's publishing connections
    (``issuer.relaybox.aclose()``).
    """

    def __init__(
        self,
        app: ASGIApp,
        issuer: RelayBoxIssuer | None = None,
        *,
        auth_path: str | None = None,
        room_access_path: str | None = None,
        **options: Any,
    ) -> None:
        if auth_path is not None and (not isinstance(auth_path, str) or auth_path[:1] != "/"):
            raise ConfigurationError(
                "auth_path",
                f"auth_path: expected a path starting with '/'; got {auth_path!r}",
            )
        self.app = app
        self.issuer = RelayBoxIssuer.from_options(issuer, **options)
        self.auth_path = auth_path
        self._endpoint = AuthEndpointApp(self.issuer)
        self._room_access = (
            None if room_access_path is None else _room_access(self.issuer, room_access_path)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # closes the issuer's publishing client at shutdown
            await self.app(scope, receive, _closing(self.issuer, send))
            return
        scope[_SCOPE_KEY] = self.issuer
        if self._room_access is not None:
            match, child_scope = self._room_access.matches(scope)
            if match is Match.FULL:  # Route.matches honours root_path, as below
                scope.update(child_scope)
                await self._room_access.handle(scope, receive, send)
                return
        if self.auth_path is not None and scope["type"] == "http":
            path: str = scope["path"]
            root_path: str = scope.get("root_path", "")
            if root_path and path.startswith(root_path):
                path = path[len(root_path) :]
            if path == self.auth_path:
                await self._endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _room_access(issuer: RelayBoxIssuer, path: str) -> Route:
    """The route ``relaybox_routes`` would serve at ``path``, any room id matched."""
    parts = path.split(_ROOM_ID) if isinstance(path, str) else []
    if len(parts) != 2 or path[:1] != "/" or any(c in part for part in parts for c in "{}"):
        raise ConfigurationError(
            "room_access_path",
            "room_access_path: expected a path starting with '/' with exactly one {room_id} "
            f"and no other parameter, e.g. '/user/rooms/{{room_id}}/access'; got {path!r}",
        )
    if issuer.room_access is None:
        raise ConfigurationError(
            "room_access_path",
            "room_access_path needs the issuer's can_join_room hook, which decides who may "
            "join which room: pass can_join_room=... (or drop room_access_path)",
        )
    template = path.replace(_ROOM_ID, "{room_id:relaybox_room_id}")
    # The whole path, as auth_path is compared (room_access_route anchors it).
    return room_access_route(issuer.room_access, issuer._load_user, path=template)


def _closing(issuer: RelayBoxIssuer, send: Send) -> Send:
    async def send_after_closing(message: Message) -> None:
        if message["type"] == "lifespan.shutdown.complete":
            await issuer.relaybox.aclose()  # the publishing client's connections
        await send(message)

    return send_after_closing


def get_issuer(connection: HTTPConnection) -> RelayBoxIssuer:
    """The issuer :class:`RelayBoxMiddleware` configured, for minting in your own handlers.

    Also a FastAPI dependency: ``Depends(get_issuer)``.
    """
    issuer = connection.scope.get(_SCOPE_KEY)
    if not isinstance(issuer, RelayBoxIssuer):
        raise MissingMiddlewareError(_NO_RELAYBOX_MIDDLEWARE)
    return issuer


def get_relaybox(connection: HTTPConnection) -> RelayBox:
    """The :class:`~relaybox_integrations.RelayBox` :class:`RelayBoxMiddleware` configured,
    as Django's and Flask's ``get_relaybox`` give theirs; also a FastAPI dependency."""
    return get_issuer(connection).relaybox
