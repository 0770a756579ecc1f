"""Relaybox auth endpoint for Starlette applications.

Serve the endpoint by mounting its routes::

    app = Starlette(routes=[Mount("/user", routes=relaybox_routes(api_key=KEY))])  # /user/auth

Mint tokens inside your own handlers by adding :class:`RelayBoxMiddleware` and calling
:func:`get_issuer`. Both are built from one :class:`RelayBoxIssuer`, configured once at
start-up; pass the same issuer to both when an app uses both. The user's identity comes from
``request.user`` (Starlette's ``AuthenticationMiddleware``), or from a ``client_id`` hook.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core import DEFAULT_EXPIRES_IN, RelayBox
from ..endpoint import AccessDenied, AuthEndpoint, EndpointResponse
from ..errors import ConfigurationError, RelayBoxError
from ..permissions import PermissionsInput

__all__ = [
    "SCOPE_KEY",
    "AccessDenied",
    "ClientId",
    "MissingMiddlewareError",
    "RelayBoxIssuer",
    "RelayBoxMiddleware",
    "get_issuer",
    "relaybox_routes",
    "to_response",
    "user_client_id",
]

#: The ASGI scope key under which :class:`RelayBoxMiddleware` puts the issuer.
SCOPE_KEY = "relaybox"

#: What identifies a user to Relaybox; None is anonymous.
ClientId: TypeAlias = str | int | None
ClientIdHook: TypeAlias = Callable[[Request], ClientId | Awaitable[ClientId]]
PermissionsHook: TypeAlias = Callable[
    [Request, ClientId], PermissionsInput | Awaitable[PermissionsInput | None] | None
]
TokenIssuedHook: TypeAlias = Callable[[Request, ClientId], Awaitable[None] | None]

_NO_AUTH_MIDDLEWARE = (
    "request.user is not set, so the Relaybox auth endpoint cannot tell who is asking: "
    "Starlette's AuthenticationMiddleware is not installed (or runs after RelayBoxMiddleware). "
    "Add Middleware(AuthenticationMiddleware, backend=YourBackend()) to your app's middleware "
    "list, before RelayBoxMiddleware if you use it; or pass client_id=<callable taking the "
    "request> to identify users another way."
)
_NO_RELAYBOX_MIDDLEWARE = (
    "no Relaybox issuer on this request: RelayBoxMiddleware is not installed. Add "
    "Middleware(RelayBoxMiddleware, api_key=...) (or issuer=your_issuer) to your app's "
    "middleware list."
)


class MissingMiddlewareError(RelayBoxError, RuntimeError):
    """A middleware the Relaybox integration relies on is not installed."""


def to_response(answer: EndpointResponse) -> Response:
    """Copy the core's framework-neutral answer into a Starlette response."""
    return Response(answer.body, status_code=answer.status, headers=dict(answer.headers))


def user_client_id(user: object) -> ClientId:
    """The Relaybox client id of ``user``: None when anonymous.

    Accepts a client id itself (str or int), None, or a user object: one whose
    ``is_authenticated`` is false is anonymous; otherwise its ``identity`` (Starlette's
    ``BaseUser``) is used, or, when ``identity`` is not implemented, its ``id`` or else its
    ``username``. Never ``display_name``: it need not be unique.
    """
    if user is None or isinstance(user, (str, int)):
        return user
    if not getattr(user, "is_authenticated", True):
        return None
    try:
        identity = user.identity  # type: ignore[attr-defined]
    except (AttributeError, NotImplementedError):
        # Starlette < 1.0's SimpleUser has only a username; model classes have an id.
        identity = getattr(user, "id", None)
        if identity is None:
            identity = getattr(user, "username", None)
    if isinstance(identity, uuid.UUID):
        return str(identity)
    if isinstance(identity, (str, int)):
        return identity
    raise TypeError(
        f"cannot tell which Relaybox client id belongs to the {type(user).__name__} user: "
        f"its identity (or id, or username) is {type(identity).__name__}, not a str or an "
        "int. Implement BaseUser.identity, give the user an id attribute, or pass "
        "client_id=<callable>."
    )


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        type(func).__call__  # instances of a class with an async __call__
    )


def _awaitable_hook(setting: str, hook: object) -> Callable[..., Awaitable[Any]] | None:
    """Wrap ``hook`` once so that calling it never blocks the event loop."""
    if hook is None:
        return None
    if not callable(hook):
        raise ConfigurationError(
            setting, f"invalid argument {setting}: expected a function; got {hook!r}"
        )
    if _is_async(hook):
        return hook
    return functools.partial(run_in_threadpool, hook)


class RelayBoxIssuer:
    """The configured Relaybox auth endpoint, shared by routes, middleware and FastAPI.

    Built once at start-up; every argument is checked here and a bad one raises
    :class:`~relaybox_integrations.ConfigurationError` naming it. Hooks may be sync (run in a
    threadpool) or async:

    - ``client_id(request)``: who is asking, instead of ``request.user``;
    - ``get_permissions(request, client_id)``: this user's inline permissions, or None for
      the default (``client_id`` is a str, as in the token, or None);
    - ``token_issued(request, client_id)``: called after a token is minted, for audit.

    ``client_id`` and ``get_permissions`` may raise :class:`AccessDenied` to answer 403.
    """

    __slots__ = ("_client_id", "_get_permissions", "_token_issued", "endpoint", "relaybox")

    def __init__(
        self,
        *,
        api_key: str,
        expires_in: int = DEFAULT_EXPIRES_IN,
        permissions: PermissionsInput | None = None,
        allow_anonymous: bool = False,
        client_id: ClientIdHook | None = None,
        get_permissions: PermissionsHook | None = None,
        token_issued: TokenIssuedHook | None = None,
    ) -> None:
        try:
            self.relaybox = RelayBox(api_key, expires_in=expires_in, permissions=permissions)
            self.endpoint = AuthEndpoint(self.relaybox, allow_anonymous=allow_anonymous)
        except ConfigurationError as exc:
            raise ConfigurationError(
                exc.setting, f"invalid argument {exc.setting}: {exc.message}"
            ) from None
        self._client_id = _awaitable_hook("client_id", client_id)
        self._get_permissions = _awaitable_hook("get_permissions", get_permissions)
        self._token_issued = _awaitable_hook("token_issued", token_issued)

    def __repr__(self) -> str:
        return f"RelayBoxIssuer({self.endpoint!r})"

    @property
    def has_client_id_hook(self) -> bool:
        """Whether identity comes from a ``client_id`` hook rather than ``request.user``."""
        return self._client_id is not None

    async def client_id_for(self, request: Request) -> ClientId:
        """Who is asking, from the server side only (never from what the browser sent)."""
        if self._client_id is not None:
            return await self._client_id(request)  # type: ignore[no-any-return]
        try:
            user = request.scope["user"]
        except KeyError:
            raise MissingMiddlewareError(_NO_AUTH_MIDDLEWARE) from None
        return user_client_id(user)

    async def respond(self, request: Request) -> Response:
        """The auth endpoint's full answer to ``request``."""
        rejected = self.endpoint.reject_method(request.method)
        if rejected is not None:
            return to_response(rejected)
        try:
            client_id = await self.client_id_for(request)
        except AccessDenied as exc:
            return to_response(AuthEndpoint.deny(exc))
        return await self.respond_for(request, client_id)

    async def respond_for(self, request: Request, client_id: ClientId) -> Response:
        """The answer for a GET or POST whose user is already known (None: anonymous)."""
        if type(client_id) is int:  # a numeric primary key: hooks see what the token holds
            client_id = str(client_id)
        permissions = None
        if self._get_permissions is not None and (
            client_id is not None or self.endpoint.allow_anonymous
        ):
            try:
                permissions = await self._get_permissions(request, client_id)
            except AccessDenied as exc:
                return to_response(AuthEndpoint.deny(exc))
        answer = self.endpoint.issue(client_id, permissions=permissions)
        if answer.status == 200 and self._token_issued is not None:
            await self._token_issued(request, client_id)
        return to_response(answer)


def _issuer_from(issuer: RelayBoxIssuer | None, options: dict[str, Any]) -> RelayBoxIssuer:
    if issuer is None:
        return RelayBoxIssuer(**options)
    if not isinstance(issuer, RelayBoxIssuer):
        raise ConfigurationError(
            "issuer",
            f"invalid argument issuer: expected a RelayBoxIssuer; got {type(issuer).__name__} "
            "(pass the API key as api_key=...)",
        )
    if options:
        names = ", ".join(sorted(options))
        raise ConfigurationError(
            next(iter(options)),
            f"pass either issuer= or its options ({names}), not both: the issuer is "
            "already configured",
        )
    return issuer


class _AuthEndpointApp:
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
    return [Route(path, _AuthEndpointApp(_issuer_from(issuer, options)), name=name)]


class RelayBoxMiddleware:
    """Pure ASGI middleware putting the issuer in ``scope["relaybox"]`` for :func:`get_issuer`.

    With ``auth_path`` (the request path, e.g. ``"/user/auth"``) it also answers the auth
    endpoint itself, for apps that would rather not add routes. Place it after
    ``AuthenticationMiddleware`` so that ``request.user`` is set when it answers.
    """

    def __init__(
        self,
        app: ASGIApp,
        issuer: RelayBoxIssuer | None = None,
        *,
        auth_path: str | None = None,
        **options: Any,
    ) -> None:
        if auth_path is not None and (not isinstance(auth_path, str) or auth_path[:1] != "/"):
            raise ConfigurationError(
                "auth_path",
                f"invalid argument auth_path: expected a path starting with '/'; got {auth_path!r}",
            )
        self.app = app
        self.issuer = _issuer_from(issuer, options)
        self.auth_path = auth_path
        self._endpoint = _AuthEndpointApp(self.issuer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            scope[SCOPE_KEY] = self.issuer
            if self.auth_path is not None and scope["type"] == "http":
                path: str = scope["path"]
                root_path: str = scope.get("root_path", "")
                if root_path and path.startswith(root_path):
                    path = path[len(root_path) :]
                if path == self.auth_path:
                    await self._endpoint(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def get_issuer(connection: HTTPConnection) -> RelayBoxIssuer:
    """The issuer :class:`RelayBoxMiddleware` configured, for minting in your own handlers.

    Also a FastAPI dependency: ``Depends(get_issuer)``.
    """
    issuer = connection.scope.get(SCOPE_KEY)
    if not isinstance(issuer, RelayBoxIssuer):
        raise MissingMiddlewareError(_NO_RELAYBOX_MIDDLEWARE)
    return issuer
