"""The Flask extension: one auth endpoint (and webhook endpoint) per application, and the
hooks that say who is asking.

Everything an application needs is built once, in
:meth:`~relaybox_integrations.flask.RelayBox.init_app`, and kept in
``app.extensions["relaybox"]``; the extension object itself holds only the hooks, so one
instance serves any number of applications made by a factory. Reading ``app.config`` is
the job of ``config``, answering requests that of ``views``, and the ``flask relaybox``
command that of ``cli``, modules beside this one.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, Final, ParamSpec, TypeAlias, TypeVar

from flask import Blueprint, Flask, Response, current_app, has_app_context
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from ..auth_tokens import UserFromAuthToken
from ..core import RelayBox as CoreRelayBox
from ..endpoint import AuthEndpoint, default_client_id
from ..errors import ConfigurationError
from ..permissions import PermissionsInput
from ..room_access import CanJoinRoomHook, RoomAccessEndpoint
from ..webhooks import WebhookEndpoint, WebhookHandler, event_names
from .cli import token_command
from .config import DEFAULT_WEBHOOK_URL, from_config, no_signing_key, url_path, webhooks_from_config
from .room_access import install_converter, room_access_rule
from .views import (
    auth_response,
    json_http_error,
    room_access_response,
    send_token_issued,
    webhook_response,
)

try:
    from flask_login import current_user  # type: ignore[import-untyped]
except ImportError:  # Flask-Login is optional: a client-id loader takes its place
    HAS_FLASK_LOGIN = False
else:
    HAS_FLASK_LOGIN = True

__all__ = [
    "ClientIdHook",
    "PermissionsHook",
    "RelayBox",
    "RelayBoxState",
    "UserLoader",
    "get_relaybox",
    "get_state",
]

_EXTENSION_KEY: Final = "relaybox"

ClientIdValue: TypeAlias = str | int | None
#: ``() -> user``: who is asking, in place of Flask-Login's ``current_user``: a user object,
#: a client id (str or int), or None for nobody; may be ``async``.
UserLoader: TypeAlias = Callable[[], Any]
#: ``(user) -> client id``: a logged-in user's id in tokens; may be ``async``.
ClientIdHook: TypeAlias = Callable[[Any], ClientIdValue | Awaitable[ClientIdValue]]
#: ``(request, user, client_id) -> permissions``: None keeps ``RELAYBOX_PERMISSIONS``; may be
#: ``async``. ``client_id`` is a str, as in the token, or None for an anonymous visitor.
PermissionsHook: TypeAlias = Callable[
    [Any, Any, str | None], PermissionsInput | Awaitable[PermissionsInput | None] | None
]
WebhookHandlerT = TypeVar("WebhookHandlerT", bound=WebhookHandler)
CanJoinRoomHookT = TypeVar("CanJoinRoomHookT", bound=CanJoinRoomHook)
UserLoaderT = TypeVar("UserLoaderT", bound=UserLoader)
ClientIdHookT = TypeVar("ClientIdHookT", bound=ClientIdHook)
PermissionsHookT = TypeVar("PermissionsHookT", bound=PermissionsHook)
UserFromAuthTokenT = TypeVar("UserFromAuthTokenT", bound=UserFromAuthToken)
_P = ParamSpec("_P")
_R = TypeVar("_R")

_NO_IDENTITY = (
    "RelayBox cannot tell who the user is: register a loader with "
    "@relaybox.load_user, or set up Flask-Login (LoginManager.init_app(app)) so that "
    "current_user is used"
)


@dataclass(frozen=True)
class RelayBoxState:
    """What :meth:`RelayBox.init_app` built for one application."""

    extension: RelayBox = field(repr=False)
    relaybox: CoreRelayBox
    endpoint: AuthEndpoint = field(repr=False)
    auth_url: str
    #: This application's blueprint (named ``relaybox``), e.g. for ``csrf.exempt()``.
    blueprint: Blueprint = field(repr=False)
    #: The webhook endpoint, when ``RELAYBOX_WEBHOOK_SIGNING_KEY`` is set.
    webhooks: WebhookEndpoint | None = field(default=None, repr=False)
    #: The room access endpoint at ``RELAYBOX_ROOM_ACCESS_URL``, which answers 404 JSON
    #: until a hook is registered with :meth:`RelayBox.can_join_room`.
    room_access: RoomAccessEndpoint | None = field(default=None, repr=False)


def _on_current_app(
    method: Callable[Concatenate[CoreRelayBox, _P], _R],
) -> Callable[Concatenate[RelayBox, _P], _R]:
    """The core's ``method``, called with the current application's key and settings."""

    def on_current_app(self: RelayBox, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return method(get_state().relaybox, *args, **kwargs)

    functools.update_wrapper(on_current_app, method)  # its name, and its signature for docs
    on_current_app.__doc__ = (
        f":meth:`RelayBox.{method.__name__} <relaybox_integrations.RelayBox.{method.__name__}>`"
        " with the current application's key and ``RELAYBOX_*`` settings."
    )
    return on_current_app


class RelayBox:
    """Adds the Relaybox auth endpoint to Flask applications.

    ``RelayBox(app)``, or ``RelayBox()`` then :meth:`init_app` in an application factory.
    Who is asking is Flask-Login's ``current_user`` unless a loader is registered with
    :meth:`load_user`; it never comes from what the browser sends. Hooks, registered with
    decorators before or after :meth:`init_app`, may be ``async``:

    - :meth:`load_user`: who is asking, instead of ``current_user``;
    - :meth:`client_id`: a logged-in user's client id (default
      :func:`~relaybox_integrations.endpoint.default_client_id`);
    - :meth:`get_permissions`: per-user inline permissions;
    - :meth:`can_join_room`: who may join which ``authorized`` room, through the room access
      endpoint at ``RELAYBOX_ROOM_ACCESS_URL`` (default ``/user/rooms/<room_id>/access``);
    - :meth:`user_from_auth_token`: the user a Relaybox user's auth token names, for
      :func:`~relaybox_integrations.flask.load_user_from_auth_token`.
    """

    def __init__(self, app: Flask | None = None) -> None:
        #: The functions registered with :meth:`load_user`, :meth:`client_id` and
        #: :meth:`get_permissions`, if any.
        self.user_loader: UserLoader | None = None
        self.client_id_hook: ClientIdHook | None = None
        self.permissions_hook: PermissionsHook | None = None
        #: The function registered with :meth:`can_join_room`, if any.
        self.can_join_room_hook: CanJoinRoomHook | None = None
        #: The function registered with :meth:`user_from_auth_token`, if any.
        self.user_from_auth_token_hook: UserFromAuthToken | None = None
        self._webhook_handlers: list[tuple[tuple[str, ...], WebhookHandler]] = []
        self._webhook_endpoints: weakref.WeakSet[WebhookEndpoint] = weakref.WeakSet()
        # Applications without a signing key: a handler registered later would never run.
        self._apps_without_webhooks: weakref.WeakSet[Flask] = weakref.WeakSet()
        if app is not None:
            self.init_app(app)

    def __repr__(self) -> str:
        return "<RelayBox Flask extension>"

    def init_app(self, app: Flask) -> None:
        """Validate ``app.config`` and add the auth endpoint to ``app``.

        Raises :class:`~relaybox_integrations.ConfigurationError` naming the config key at
        fault.
        """
        if _EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                f"RelayBox is already initialised on the application {app.name!r}; "
                "call init_app once per application"
            )
        relaybox, endpoint_options, auth_url = from_config(app.config)
        room_access_url = room_access_rule(app.config)
        endpoint = AuthEndpoint(
            relaybox,
            **endpoint_options,
            client_id=self._client_id,
            get_permissions=self._get_permissions,
            token_issued=send_token_issued,
        )
        # A fresh blueprint per application: blueprints keep a record of their registrations.
        blueprint = Blueprint(_EXTENSION_KEY, __name__, cli_group="relaybox")
        blueprint.cli.add_command(token_command(_token_context))
        blueprint.register_error_handler(HTTPException, json_http_error)
        # Flask prefers an app's handler for a status code (an app-wide CSRFError handler is
        # one, for 400) over a blueprint's class handler: claim 400 for this blueprint too.
        blueprint.register_error_handler(400, json_http_error)
        app.register_blueprint(blueprint)  # first: if Flask refuses it, the app is untouched
        # A rule without methods matches every method (PROPFIND included), so the endpoint
        # answers each with its own JSON 405 rather than Werkzeug's HTML one.
        app.url_map.add(Rule(auth_url, endpoint=f"{_EXTENSION_KEY}.auth"))
        app.view_functions[f"{_EXTENSION_KEY}.auth"] = _auth_view
        install_converter(app.url_map)
        app.url_map.add(Rule(room_access_url, endpoint=f"{_EXTENSION_KEY}.room_access"))
        app.view_functions[f"{_EXTENSION_KEY}.room_access"] = _room_access_view
        webhooks = self._webhooks_for(app)
        room_access = RoomAccessEndpoint(endpoint, self._can_join_room)
        app.extensions[_EXTENSION_KEY] = RelayBoxState(
            self, relaybox, endpoint, auth_url, blueprint, webhooks, room_access
        )

    def _webhooks_for(self, app: Flask) -> WebhookEndpoint | None:
        """The webhook endpoint at ``RELAYBOX_WEBHOOK_URL``, exempt from Flask-WTF's CSRF.

        None without a signing key, unless handlers are registered: then the application
        would start and answer every delivery 404, so it refuses to start instead.
        """
        if app.config.get("RELAYBOX_WEBHOOK_SIGNING_KEY") is None:
            if self._webhook_handlers:
                raise no_signing_key(app, [handler for _, handler in self._webhook_handlers])
            self._apps_without_webhooks.add(app)
            return None
        url = url_path(app.config, "RELAYBOX_WEBHOOK_URL", DEFAULT_WEBHOOK_URL)
        webhooks = webhooks_from_config(app.config)
        for events, handler in self._webhook_handlers:
            webhooks.on(*events)(handler)
        self._webhook_endpoints.add(webhooks)
        app.url_map.add(Rule(url, endpoint=f"{_EXTENSION_KEY}.webhooks"))
        app.view_functions[f"{_EXTENSION_KEY}.webhooks"] = _webhook_view
        # The signature authenticates Relaybox's call; a CSRF token never comes with it.
        csrf = app.extensions.get("csrf")
        if csrf is not None:
            csrf.exempt(_webhook_view)
        else:  # CSRFProtect may be set up after RelayBox: exempt the view when it is there
            exempted: list[bool] = []

            @app.before_request
            def exempt_from_csrf() -> None:
                late = app.extensions.get("csrf")
                if late is not None and not exempted:
                    late.exempt(_webhook_view)
                    exempted.append(True)

        return webhooks

    def webhook_handler(self, *events: str) -> Callable[[WebhookHandlerT], WebhookHandlerT]:
        """Register the decorated ``handler(event)`` for the named webhook events.

        ``@relaybox.webhook_handler("room:join")``, or ``"*"`` for every event; it may be
        ``async``, runs once per delivery id, and raises to have Relaybox retry (500).
        """
        event_names(events)  # an empty or malformed registration fails here, not at init_app

        def register(handler: WebhookHandlerT) -> WebhookHandlerT:
            keyless = next(iter(self._apps_without_webhooks), None)
            if keyless is not None:
                raise no_signing_key(keyless, [handler])

            def call(event: Any) -> object:
                return current_app.ensure_sync(handler)(event)

            functools.update_wrapper(call, handler)  # named in configuration errors
            self._webhook_handlers.append((events, call))
            for webhooks in self._webhook_endpoints:
                webhooks.on(*events)(call)
            return handler

        return register

    def load_user(self, loader: UserLoaderT) -> UserLoaderT:
        """Register ``loader() -> user`` in place of Flask-Login's ``current_user``.

        Return a user object, a client id (str or int), or None when nobody is logged in;
        raise :class:`~relaybox_integrations.AccessDenied` to refuse the user (403).
        """
        self.user_loader = loader
        return loader

    def client_id(self, hook: ClientIdHookT) -> ClientIdHookT:
        """Register ``hook(user) -> client id`` for logged-in users' ids in tokens."""
        self.client_id_hook = hook
        return hook

    def get_permissions(self, hook: PermissionsHookT) -> PermissionsHookT:
        """Register ``hook(request, user, client_id) -> permissions`` for per-user inline
        permissions.

        Return None to keep ``RELAYBOX_PERMISSIONS``; raise
        :class:`~relaybox_integrations.AccessDenied` to refuse the user (403). It is called
        for anonymous users (``client_id`` None) only when anonymous tokens are allowed.
        """
        self.permissions_hook = hook
        return hook

    def can_join_room(self, hook: CanJoinRoomHookT) -> CanJoinRoomHookT:
        """Register ``hook(request, user, client_id, room_id) -> bool``: whether the
        logged-in user may join the ``authorized`` room ``room_id``.

        Return ``True`` to answer a room access token, ``False`` to refuse (403); raise
        :class:`~relaybox_integrations.AccessDenied` to refuse with your own message. Until a
        hook is registered the room access endpoint answers 404 JSON.
        """
        if not callable(hook):
            raise ConfigurationError(
                "can_join_room", f"can_join_room must be a function; got {hook!r}"
            )
        self.can_join_room_hook = hook
        return hook

    def user_from_auth_token(self, hook: UserFromAuthTokenT) -> UserFromAuthTokenT:
        """Register ``hook(relaybox_user) -> user``: the application's user for a verified
        :class:`~relaybox_integrations.RelayBoxUser`, or None for nobody (401);
        may be ``async``. Without it the
        :class:`~relaybox_integrations.RelayBoxUser` itself is the user."""
        if not callable(hook):
            raise ConfigurationError(
                "user_from_auth_token", f"user_from_auth_token must be a function; got {hook!r}"
            )
        self.user_from_auth_token_hook = hook
        return hook

    generate_token_response = _on_current_app(CoreRelayBox.generate_token_response)
    verify_token = _on_current_app(CoreRelayBox.verify_token)
    verify_auth_token = _on_current_app(CoreRelayBox.verify_auth_token)
    check_publish = _on_current_app(CoreRelayBox.check_publish)
    publish = _on_current_app(CoreRelayBox.publish)
    apublish = _on_current_app(CoreRelayBox.apublish)

    def _load_user(self) -> Any:
        """Who is asking: the loader's answer, or Flask-Login's user; never the request."""
        if self.user_loader is not None:
            return current_app.ensure_sync(self.user_loader)()
        if HAS_FLASK_LOGIN and hasattr(current_app, "login_manager"):
            return current_user._get_current_object()
        raise RuntimeError(_NO_IDENTITY)

    def _client_id(self, user: Any) -> Any:
        if self.client_id_hook is None:
            return default_client_id(user)
        return current_app.ensure_sync(self.client_id_hook)(user)

    def _get_permissions(self, request: Any, user: Any, client_id: str | None) -> Any:
        if self.permissions_hook is None:
            return None
        return current_app.ensure_sync(self.permissions_hook)(request, user, client_id)

    def _can_join_room(self, request: Any, user: Any, client_id: str, room_id: str) -> Any:
        hook = self.can_join_room_hook
        assert hook is not None  # the view answers 404 without one
        return current_app.ensure_sync(hook)(request, user, client_id, room_id)

    def _why_anonymous(self) -> str:
        source = (
            "the load_user loader returned None"
            if self.user_loader is not None
            else "Flask-Login's current_user is not authenticated"
        )
        return f"Log in to get a Relaybox token. (Debug mode: {source}.)"


def get_state(app: Flask | None = None) -> RelayBoxState:
    """The :class:`RelayBoxState` of ``app`` (default: the current application)."""
    if app is None:
        if not has_app_context():
            raise RuntimeError(
                "RelayBox needs an application context here: use `with app.app_context():` "
                "or pass the application"
            )
        app = current_app
    state = app.extensions.get(_EXTENSION_KEY)
    if not isinstance(state, RelayBoxState):
        raise RuntimeError(
            f"RelayBox is not initialised on the application {app.name!r}; call "
            "RelayBox(app) or relaybox.init_app(app) first"
        )
    return state


def get_relaybox(app: Flask | None = None) -> CoreRelayBox:
    """The configured :class:`~relaybox_integrations.RelayBox` of ``app`` (default: the
    current application), as Django's and Starlette's ``get_relaybox`` give theirs."""
    return get_state(app).relaybox


def _auth_view() -> Response:
    state = get_state()
    return auth_response(state.endpoint, state.extension._load_user, state.extension._why_anonymous)


def _room_access_view(room_id: str) -> Response:
    state = get_state()
    extension = state.extension
    endpoint = state.room_access if extension.can_join_room_hook is not None else None
    return room_access_response(endpoint, room_id, extension._load_user)


def _webhook_view() -> Response:
    webhooks = get_state().webhooks
    assert webhooks is not None  # the view is routed only with a signing key
    return webhook_response(webhooks)


def _token_context() -> tuple[AuthEndpoint, str, Callable[[], Any]]:
    state = get_state()
    return state.endpoint, state.auth_url, state.extension._load_user
