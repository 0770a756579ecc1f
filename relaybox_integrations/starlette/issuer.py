"""The configured auth endpoint that Starlette's routes and middleware and FastAPI's router
share: :class:`RelayBoxIssuer`, and the hooks it takes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from starlette.requests import Request
from starlette.responses import Response

from .._extras import require_extra
from ..core import RelayBox
from ..endpoint import AuthEndpoint
from ..errors import ConfigurationError, MissingMiddlewareError
from ..options import (
    DEFAULT_AUTH_SERVICE_URL,
    DEFAULT_CORE_URL,
    DEFAULT_EXPIRES_IN,
    DEFAULT_PUBLISH_RETRIES,
    DEFAULT_PUBLISH_TIMEOUT,
    DEFAULT_STATE_URL,
)
from ..permissions import PermissionsInput
from ..room_access import CanJoinRoomHook, RoomAccessEndpoint
from .bridge import awaitable_hook, to_response

__all__ = [
    "ClientId",
    "ClientIdHook",
    "PermissionsHook",
    "RelayBoxIssuer",
    "TokenIssuedHook",
    "UserLoader",
]

#: A client id as hooks return it: a str or an int, or None.
ClientId: TypeAlias = str | int | None
#: ``(request) -> user``: who is asking, in place of ``request.user``: a user object, a
#: client id, or None for nobody.
UserLoader: TypeAlias = Callable[[Request], Any]
#: ``(user) -> client id``: a logged-in user's id in tokens.
ClientIdHook: TypeAlias = Callable[[Any], ClientId | Awaitable[ClientId]]
#: ``(request, user, client_id) -> permissions``: None for the configured default.
PermissionsHook: TypeAlias = Callable[
    [Request, Any, str | None], PermissionsInput | Awaitable[PermissionsInput | None] | None
]
TokenIssuedHook: TypeAlias = Callable[..., Awaitable[None] | None]

_NO_AUTH_MIDDLEWARE = (
    "request.user is not set, so the Relaybox auth endpoint cannot tell who is asking: "
    "Starlette's AuthenticationMiddleware is not installed (or runs after RelayBoxMiddleware). "
    "Add Middleware(AuthenticationMiddleware, backend=YourBackend()) to your app's middleware "
    "list, before RelayBoxMiddleware if you use it; or pass load_user=<callable taking the "
    "request> to identify users another way."
)


class RelayBoxIssuer:
    """The configured Relaybox auth endpoint, shared by routes, middleware and FastAPI.

    Built once at start-up; every argument is checked here and a bad one raises
    :class:`~relaybox_integrations.ConfigurationError` naming it. ``core_url``, ``state_url``,
    ``auth_service_url``, ``timeout`` and ``retries`` configure publishing and the service calls, as
    for :class:`~relaybox_integrations.RelayBox`.
    Hooks may be sync (run in a threadpool) or async:

    - ``load_user(request)``: who is asking, instead of ``request.user``: a user object, a
      client id, or None for nobody;
    - ``client_id(user)``: a logged-in user's client id (default
      :func:`~relaybox_integrations.endpoint.default_client_id`);
    - ``get_permissions(request, user, client_id)``: this user's inline permissions, or None
      for the default (``client_id`` is a str, as in the token, or None);
    - ``token_issued(request, user, client_id, expires_in, permissions)``: called after a
      token is minted, for audit; never given the token;
    - ``can_join_room(request, user, client_id, room_id)``: whether the logged-in user may
      join ``room_id``, an ``authorized`` room (``True`` or ``False``); with it,
      :func:`~relaybox_integrations.starlette.relaybox_routes` also serves the room access
      endpoint (:mod:`relaybox_integrations.room_access`).

    ``load_user``, ``client_id``, ``get_permissions`` and ``can_join_room`` may raise
    :class:`~relaybox_integrations.AccessDenied` to answer 403.
    """

    __slots__ = ("_user_loader", "endpoint", "room_access")

    def __init__(
        self,
        *,
        api_key: str,
        expires_in: int = DEFAULT_EXPIRES_IN,
        permissions: PermissionsInput | None = None,
        allow_anonymous: bool = False,
        core_url: str = DEFAULT_CORE_URL,
        timeout: float = DEFAULT_PUBLISH_TIMEOUT,
        retries: int = DEFAULT_PUBLISH_RETRIES,
        state_url: str = DEFAULT_STATE_URL,
        auth_service_url: str = DEFAULT_AUTH_SERVICE_URL,
        load_user: UserLoader | None = None,
        client_id: ClientIdHook | None = None,
        get_permissions: PermissionsHook | None = None,
        token_issued: TokenIssuedHook | None = None,
        can_join_room: CanJoinRoomHook | None = None,
    ) -> None:
        # The issuer publishes with apublish: without aiohttp, fail here, not at a request.
        require_extra("publish")
        relaybox = RelayBox(
            api_key,
            expires_in=expires_in,
            permissions=permissions,
            core_url=core_url,
            timeout=timeout,
            retries=retries,
            state_url=state_url,
            auth_service_url=auth_service_url,
        )
        #: The core's auth endpoint, configured; FastAPI's router answers through it.
        self.endpoint = AuthEndpoint(
            relaybox,
            allow_anonymous=allow_anonymous,
            client_id=awaitable_hook("client_id", client_id),
            get_permissions=awaitable_hook("get_permissions", get_permissions),
            token_issued=awaitable_hook("token_issued", token_issued),
        )
        self._user_loader = awaitable_hook("load_user", load_user)
        join_hook = awaitable_hook("can_join_room", can_join_room)
        #: The core's room access endpoint, configured; None without ``can_join_room``.
        self.room_access = (
            None if join_hook is None else RoomAccessEndpoint(self.endpoint, join_hook)
        )

    @classmethod
    def from_options(cls, issuer: RelayBoxIssuer | None = None, **options: Any) -> RelayBoxIssuer:
        """``issuer`` itself, or a new issuer built from ``options``; never both."""
        if issuer is None:
            return cls(**options)
        if not isinstance(issuer, RelayBoxIssuer):
            raise ConfigurationError(
                "issuer",
                f"issuer: expected a RelayBoxIssuer; got {type(issuer).__name__} (pass the "
                "API key as api_key=...)",
            )
        if options:
            names = ", ".join(sorted(options))
            raise ConfigurationError(
                next(iter(options)),
                f"pass either issuer= or its options ({names}), not both: the issuer is "
                "already configured",
            )
        return issuer

    def __repr__(self) -> str:
        return f"RelayBoxIssuer({self.endpoint!r})"

    @property
    def relaybox(self) -> RelayBox:
        """The configured core, e.g. to mint tokens in your own handlers."""
        return self.endpoint.relaybox

    @property
    def has_user_loader(self) -> bool:
        """Whether who is asking comes from ``load_user`` rather than ``request.user``."""
        return self._user_loader is not None

    def _load_user(self, request: Request) -> Any:
        if self._user_loader is not None:
            return self._user_loader(request)
        try:
            return request.scope["user"]
        except KeyError:
            raise MissingMiddlewareError(_NO_AUTH_MIDDLEWARE) from None

    async def respond(self, request: Request) -> Response:
        """The auth endpoint's full answer to ``request``."""
        answer = await self.endpoint.arespond(
            request.method, request, lambda: self._load_user(request)
        )
        return to_response(answer)
