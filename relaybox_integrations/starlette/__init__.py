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
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeAlias, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._extras import require_extra
from ..core import RelayBox
from ..endpoint import AuthEndpoint
from ..errors import AccessDenied, ConfigurationError, MissingMiddlewareError
from ..flow import EndpointResponse
from ..options import (
    DEFAULT_CORE_URL,
    DEFAULT_EXPIRES_IN,
    DEFAULT_PUBLISH_RETRIES,
    DEFAULT_PUBLISH_TIMEOUT,
)
from ..permissions import PermissionsInput
from ..webhooks import WEBHOOK_SIGNATURE_HEADER, WebhookEndpoint, WebhookEvent, event_names
from .auth_tokens import AuthTokenError, RelayBoxAuthBackend, RelayBoxCredentials

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

# The ASGI scope key under which RelayBoxMiddleware puts the issuer.
_SCOPE_KEY = "relaybox"
_SIGNATURE_HEADER = WEBHOOK_SIGNATURE_HEADER.lower().encode()

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
_NO_RELAYBOX_MIDDLEWARE = (
    "no Relaybox issuer on this request: RelayBoxMiddleware is not installed. Add "
    "Middleware(RelayBoxMiddleware, api_key=...) (or issuer=your_issuer) to your app's "
    "middleware list."
)


def _to_response(answer: EndpointResponse) -> Response:
    return Response(answer.body, status_code=answer.status, headers=dict(answer.headers))


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        type(func).__call__  # instances of a class with an async __call__
    )


def _awaitable_hook(setting: str, hook: object) -> Callable[..., Awaitable[Any]] | None:
    """Wrap ``hook`` once so that calling it never blocks the event loop."""
    if hook is None:
        return None
    if not callable(hook):
        raise ConfigurationError(setting, f"{setting}: expected a function; got {hook!r}")
    if _is_async(hook):
        return hook
    return functools.partial(run_in_threadpool, hook)


class RelayBoxIssuer:
    """The configured Relaybox auth endpoint, shared by routes, middleware and FastAPI.

    Built once at start-up; every argument is checked here and a bad one raises
    :class:`~relaybox_integrations.ConfigurationError` naming it. ``core_url``, ``timeout``
    and ``retries`` configure publishing, as for :class:`~relaybox_integrations.RelayBox`.
    Hooks may be sync (run in a threadpool) or async:

    - ``load_user(request)``: who is asking, instead of ``request.user``: a user object, a
      client id, or None for nobody;
    - ``client_id(user)``: a logged-in user's client id (default
      :func:`~relaybox_integrations.endpoint.default_client_id`);
    - ``get_permissions(request, user, client_id)``: this user's inline permissions, or None
      for the default (``client_id`` is a str, as in the token, or None);
    - ``token_issued(request, user, client_id, expires_in, permissions)``: called after a
      token is minted, for audit; never given the token.

    ``load_user``, ``client_id`` and ``get_permissions`` may raise
    :class:`~relaybox_integrations.AccessDenied` to answer 403.
    """

    __slots__ = ("_user_loader", "endpoint")

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
        load_user: UserLoader | None = None,
        client_id: ClientIdHook | None = None,
        get_permissions: PermissionsHook | None = None,
        token_issued: TokenIssuedHook | None = None,
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
        )
        #: The core's auth endpoint, configured; FastAPI's router answers through it.
        self.endpoint = AuthEndpoint(
            relaybox,
            allow_anonymous=allow_anonymous,
            client_id=_awaitable_hook("client_id", client_id),
            get_permissions=_awaitable_hook("get_permissions", get_permissions),
            token_issued=_awaitable_hook("token_issued", token_issued),
        )
        self._user_loader = _awaitable_hook("load_user", load_user)

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
        return _to_response(answer)


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
    return [
        Route(path, _AuthEndpointApp(RelayBoxIssuer.from_options(issuer, **options)), name=name)
    ]


class RelayBoxMiddleware:
    """Pure ASGI middleware putting the issuer in ``scope["relaybox"]`` for :func:`get_issuer`.

    With ``auth_path`` (the request path, e.g. ``"/user/auth"``) it also answers the auth
    endpoint itself, for apps that would rather not add routes. Place it after
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
        self._endpoint = _AuthEndpointApp(self.issuer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # closes the issuer's publishing client at shutdown
            await self.app(scope, receive, _closing(self.issuer, send))
            return
        scope[_SCOPE_KEY] = self.issuer
        if self.auth_path is not None and scope["type"] == "http":
            path: str = scope["path"]
            root_path: str = scope.get("root_path", "")
            if root_path and path.startswith(root_path):
                path = path[len(root_path) :]
            if path == self.auth_path:
                await self._endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


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


Handler = TypeVar("Handler", bound=Callable[..., Any])


class RelayBoxWebhooks:
    """The configured webhook endpoint, for :func:`relaybox_webhook_routes` and FastAPI.

    ``options`` are :class:`~relaybox_integrations.WebhookEndpoint`'s (``signing_key=``,
    ``store=``, ``tolerance=``, ``max_body_size=``). Register handlers with :meth:`on`
    (``"*"`` for every event) or pass ``handlers={"room:join": joined}``; sync handlers run
    in the threadpool, async ones on the event loop. The default store holds for this
    process only: with several workers, pass an
    :class:`~relaybox_integrations.AsyncRedisWebhookStore`.
    """

    __slots__ = ("endpoint",)

    def __init__(
        self,
        *,
        handlers: Mapping[str, Callable[[WebhookEvent], Any]] | None = None,
        **options: Any,
    ) -> None:
        #: The core's endpoint, configured.
        self.endpoint = WebhookEndpoint(**options)
        for event, handler in (handlers or {}).items():
            self.on(event)(handler)

    def __repr__(self) -> str:
        return f"RelayBoxWebhooks({self.endpoint!r})"

    def on(self, *events: str) -> Callable[[Handler], Handler]:
        """Register the decorated ``handler(event)`` for ``events`` (``"*"``: every event)."""
        event_names(events)  # an empty or malformed registration fails here, not when used

        def register(handler: Handler) -> Handler:
            call = _awaitable_hook("handler", handler)
            assert call is not None
            self.endpoint.on(*events)(call)
            return handler

        return register

    async def respond(self, request: Request) -> Response:
        """The webhook endpoint's full answer to ``request``."""
        return _to_response(await self._answer(request.scope, request.receive))

    async def _answer(self, scope: Scope, receive: Receive) -> EndpointResponse:
        # Straight from the ASGI messages: a Request, its Headers and its body stream cost
        # more than the verification, on an endpoint measured against a plain JSON one.
        endpoint = self.endpoint
        content_length = signature = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                content_length = value.decode("latin-1")
            elif name == _SIGNATURE_HEADER:
                signature = value.decode("latin-1")
        refused = endpoint.reject_before_reading(scope["method"], content_length)
        if refused is not None:
            return refused
        body = await endpoint.receive_asgi_body(receive)
        if body is None:
            raise ClientDisconnect()
        return await endpoint.ahandle("POST", body, signature)


class _WebhookApp:
    __slots__ = ("webhooks",)

    def __init__(self, webhooks: RelayBoxWebhooks) -> None:
        self.webhooks = webhooks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self.webhooks._answer(scope, receive)
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [
                    (b"content-length", b"%d" % len(answer.body)),
                    *((name.encode(), value.encode()) for name, value in answer.headers),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})


def relaybox_webhook_routes(
    webhooks: RelayBoxWebhooks | None = None,
    *,
    path: str = "/relaybox/webhooks",
    name: str = "relaybox_webhooks",
    **options: Any,
) -> list[BaseRoute]:
    """Routes receiving Relaybox webhooks at ``path``: pass ``webhooks`` or its options.

    POST only (other methods get the JSON 405). Starlette has no CSRF protection to exempt
    it from; the signature authenticates Relaybox's call.
    """
    if webhooks is None:
        webhooks = RelayBoxWebhooks(**options)
    elif options:
        raise ConfigurationError(
            next(iter(options)), "pass either webhooks= or its options, not both"
        )
    return [Route(path, _WebhookApp(webhooks), name=name)]


def get_relaybox(connection: HTTPConnection) -> RelayBox:
    """The :class:`~relaybox_integrations.RelayBox` :class:`RelayBoxMiddleware` configured,
    as Django's and Flask's ``get_relaybox`` give theirs; also a FastAPI dependency."""
    return get_issuer(connection).relaybox
