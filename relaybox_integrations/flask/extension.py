"""The Flask extension: configuration, one auth endpoint per application, user loaders.

Everything an application needs is built once, in :meth:`RelayBox.init_app`, and kept in
``app.extensions["relaybox"]``; the extension object itself holds only the loaders, so one
instance serves any number of applications made by a factory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias, TypeVar

import click
from flask import Blueprint, Flask, Response, current_app, has_app_context, request
from flask.cli import with_appcontext
from werkzeug.exceptions import HTTPException

from ..core import DEFAULT_EXPIRES_IN, TokenResponse
from ..core import RelayBox as CoreRelayBox
from ..endpoint import AccessDenied, AuthEndpoint, EndpointResponse, json_error
from ..errors import ConfigurationError
from ..permissions import PermissionsInput
from .signals import token_issued

try:
    from flask_login import current_user, login_user  # type: ignore[import-untyped]
except ImportError:  # Flask-Login is optional: a client-id loader takes its place
    HAS_FLASK_LOGIN = False
else:
    HAS_FLASK_LOGIN = True

try:
    from flask_wtf.csrf import CSRFError  # type: ignore[import-untyped,import-not-found,unused-ignore]
except ImportError:  # Flask-WTF is optional
    CSRFError = None

__all__ = [
    "ALLOW_ANONYMOUS",
    "API_KEY",
    "AUTH_URL",
    "EXTENSION_KEY",
    "PERMISSIONS",
    "TOKEN_EXPIRES_IN",
    "ClientIdLoader",
    "PermissionsLoader",
    "RelayBox",
    "RelayBoxState",
    "get_state",
]

API_KEY: Final = "RELAYBOX_API_KEY"
TOKEN_EXPIRES_IN: Final = "RELAYBOX_TOKEN_EXPIRES_IN"
PERMISSIONS: Final = "RELAYBOX_PERMISSIONS"
AUTH_URL: Final = "RELAYBOX_AUTH_URL"
ALLOW_ANONYMOUS: Final = "RELAYBOX_ALLOW_ANONYMOUS"
DEFAULT_AUTH_URL: Final = "/user/auth"
#: Where :meth:`RelayBox.init_app` keeps its :class:`RelayBoxState`.
EXTENSION_KEY: Final = "relaybox"

# Core option name -> the Flask config key it comes from, for error messages.
_CONFIG_KEYS: Final = {
    "api_key": API_KEY,
    "expires_in": TOKEN_EXPIRES_IN,
    "permissions": PERMISSIONS,
    "allow_anonymous": ALLOW_ANONYMOUS,
}
# Routed to the view so that each gets the core's JSON answer (405 with Allow for all but
# GET, POST and OPTIONS) rather than Werkzeug's HTML 405. HEAD comes with GET.
_ROUTED_METHODS: Final = ["GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE", "TRACE"]

ClientIdValue: TypeAlias = str | int | None
#: ``() -> client id``: str or int, or None for "no identity"; may be ``async``.
ClientIdLoader: TypeAlias = Callable[[], ClientIdValue | Awaitable[ClientIdValue]]
#: ``(client id) -> permissions``: None keeps ``RELAYBOX_PERMISSIONS``; may be ``async``.
PermissionsLoader: TypeAlias = Callable[
    [str | None], PermissionsInput | Awaitable[PermissionsInput | None] | None
]
ClientIdLoaderT = TypeVar("ClientIdLoaderT", bound=ClientIdLoader)
PermissionsLoaderT = TypeVar("PermissionsLoaderT", bound=PermissionsLoader)

_NO_IDENTITY = (
    "RelayBox cannot tell who the user is: register a loader with "
    "@relaybox.client_id_loader, or set up Flask-Login (LoginManager.init_app(app)) so that "
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


class RelayBox:
    """Adds the Relaybox auth endpoint to Flask applications.

    ``RelayBox(app)``, or ``RelayBox()`` then :meth:`init_app` in an application factory.
    The user's identity is Flask-Login's ``current_user`` unless a loader is registered with
    :meth:`client_id_loader`; it never comes from what the browser sends.
    """

    def __init__(self, app: Flask | None = None) -> None:
        #: The function registered with :meth:`client_id_loader`, if any.
        self.client_id_callback: ClientIdLoader | None = None
        #: The function registered with :meth:`permissions_loader`, if any.
        self.permissions_callback: PermissionsLoader | None = None
        if app is not None:
            self.init_app(app)

    def __repr__(self) -> str:
        return "<RelayBox Flask extension>"

    def init_app(self, app: Flask) -> None:
        """Validate ``app.config`` and add the auth endpoint to ``app``.

        Raises :class:`ConfigurationError` naming the config key at fault.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                f"RelayBox is already initialised on the application {app.name!r}; "
                "call init_app once per application"
            )
        relaybox, endpoint, auth_url = _from_config(app.config)
        # A fresh blueprint per application: blueprints keep a record of their registrations.
        blueprint = Blueprint(EXTENSION_KEY, __name__, cli_group="relaybox")
        blueprint.add_url_rule(auth_url, "auth", _auth_view, methods=_ROUTED_METHODS)
        blueprint.cli.add_command(_token_command)
        blueprint.register_error_handler(HTTPException, _json_http_error)
        # Flask prefers an app's handler for a status code (an app-wide CSRFError handler is
        # one, for 400) over a blueprint's class handler: claim 400 for this blueprint too.
        blueprint.register_error_handler(400, _json_http_error)
        app.register_blueprint(blueprint)  # first: if Flask refuses it, the app is untouched
        app.extensions[EXTENSION_KEY] = RelayBoxState(
            extension=self,
            relaybox=relaybox,
            endpoint=endpoint,
            auth_url=auth_url,
            blueprint=blueprint,
        )

    def client_id_loader(self, loader: ClientIdLoaderT) -> ClientIdLoaderT:
        """Register ``loader() -> client id`` in place of Flask-Login's ``current_user``.

        Return a str or int, or None when the user is not logged in; raise
        :class:`~relaybox_integrations.AccessDenied` to refuse the user (403).
        """
        self.client_id_callback = loader
        return loader

    def permissions_loader(self, loader: PermissionsLoaderT) -> PermissionsLoaderT:
        """Register ``loader(client_id) -> permissions`` for per-user inline permissions.

        Return None to keep ``RELAYBOX_PERMISSIONS``; raise
        :class:`~relaybox_integrations.AccessDenied` to refuse the user (403). It is called
        for anonymous users (``client_id`` None) only when anonymous tokens are allowed.
        """
        self.permissions_callback = loader
        return loader

    def generate_token_response(
        self,
        *,
        client_id: str | int | None = None,
        expires_in: int | None = None,
        permissions: PermissionsInput | None = None,
    ) -> TokenResponse:
        """Mint a token with the current application's key, outside the auth endpoint."""
        return get_state().relaybox.generate_token_response(
            client_id=client_id, expires_in=expires_in, permissions=permissions
        )


def get_state(app: Flask | None = None) -> RelayBoxState:
    """The :class:`RelayBoxState` of ``app`` (default: the current application)."""
    if app is None:
        if not has_app_context():
            raise RuntimeError(
                "RelayBox needs an application context here: use `with app.app_context():` "
                "or pass the application"
            )
        app = current_app
    state = app.extensions.get(EXTENSION_KEY)
    if not isinstance(state, RelayBoxState):
        raise RuntimeError(
            f"RelayBox is not initialised on the application {app.name!r}; call "
            "RelayBox(app) or relaybox.init_app(app) first"
        )
    return state


def _from_config(config: Mapping[str, Any]) -> tuple[CoreRelayBox, AuthEndpoint, str]:
    api_key = config.get(API_KEY)
    if api_key is None or api_key == "":
        raise ConfigurationError(
            API_KEY,
            f"{API_KEY} is not set in app.config; set it to your Relaybox API key, "
            "'<appPid>.<keyId>:<secret>'",
        )
    auth_url = config.get(AUTH_URL, DEFAULT_AUTH_URL)
    if not isinstance(auth_url, str) or not auth_url.startswith("/") or "<" in auth_url:
        raise ConfigurationError(
            AUTH_URL,
            f"{AUTH_URL} must be a URL path starting with '/', without <variables>; "
            f"got {auth_url!r}",
        )
    try:
        relaybox = CoreRelayBox(
            api_key,
            expires_in=config.get(TOKEN_EXPIRES_IN, DEFAULT_EXPIRES_IN),
            permissions=config.get(PERMISSIONS),
        )
        endpoint = AuthEndpoint(relaybox, allow_anonymous=config.get(ALLOW_ANONYMOUS, False))
    except ConfigurationError as exc:
        key = _CONFIG_KEYS.get(exc.setting, exc.setting)
        raise ConfigurationError(key, f"{key}: {exc.message}") from None
    return relaybox, endpoint, auth_url


def _auth_view() -> Response:
    state = get_state()
    rejected = state.endpoint.reject_method(request.method)
    if rejected is not None:  # OPTIONS and unknown methods never look the user up
        return _to_flask(rejected)
    return _to_flask(_answer(state, _session_client_id))


def _session_client_id(state: RelayBoxState) -> ClientIdValue:
    """The logged-in user's client id, from the loader or Flask-Login; never the request."""
    loader = state.extension.client_id_callback
    if loader is not None:
        value: ClientIdValue = current_app.ensure_sync(loader)()
        return value
    if HAS_FLASK_LOGIN and hasattr(current_app, "login_manager"):
        if not current_user.is_authenticated:
            return None
        user_id: str | None = current_user.get_id()
        return user_id
    raise RuntimeError(_NO_IDENTITY)


def _answer(
    state: RelayBoxState, client_id_of: Callable[[RelayBoxState], ClientIdValue]
) -> EndpointResponse:
    """Resolve the user, then let the core decide: 200, 401, 403 or 500 (hook bug)."""
    endpoint = state.endpoint
    permissions: PermissionsInput | None = None
    try:
        client_id = client_id_of(state)
        if type(client_id) is int:  # loaders may return a numeric primary key
            client_id = str(client_id)
        loader = state.extension.permissions_callback
        if loader is not None and (client_id is not None or endpoint.allow_anonymous):
            permissions = current_app.ensure_sync(loader)(client_id)
    except AccessDenied as exc:
        return AuthEndpoint.deny(exc)
    answer = endpoint.issue(client_id, permissions=permissions)
    if answer.status == 200 and token_issued.receivers:
        token_issued.send(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            client_id=client_id,
            expires_in=state.relaybox.expires_in,
            permissions=permissions,
        )
    return answer


def _json_http_error(error: HTTPException) -> Response | HTTPException:
    """A 4xx raised before the view runs (Flask-WTF's CSRF check, say), as JSON.

    The browser client shows the body in the console; an HTML page helps nobody there.
    """
    if error.code is None or not 400 <= error.code < 500:
        return error
    if CSRFError is not None and isinstance(error, CSRFError):
        code = "csrf_failed"
    else:
        code = error.name.lower().replace(" ", "_")
    return _to_flask(json_error(error.code, code, error.description or error.name))


def _to_flask(answer: EndpointResponse) -> Response:
    response = Response(answer.body, status=answer.status, headers=list(answer.headers))
    if not answer.content_type:  # the empty preflight answer: no default text/html
        del response.headers["Content-Type"]
    return response


@click.command("token")
@click.option(
    "--user",
    "user_id",
    required=True,
    metavar="ID",
    help="The user's id: what Flask-Login's user_loader takes, or the client id itself.",
)
@with_appcontext
def _token_command(user_id: str) -> None:
    """Print a token response for the user with id ID.

    With Flask-Login and a user_loader, ID is loaded and logged in for one simulated
    request, and the token is issued exactly as the auth endpoint would issue it. Without
    them, ID is the token's clientId as given.
    """
    state = get_state()
    login_manager = getattr(current_app, "login_manager", None) if HAS_FLASK_LOGIN else None
    with current_app.test_request_context(state.auth_url):
        if login_manager is not None and login_manager.user_callback is not None:
            user = login_manager.user_callback(user_id)
            if user is None:
                raise click.ClickException(
                    f"no user with id {user_id!r}: the Flask-Login user_loader returned None"
                )
            if not login_user(user):
                raise click.ClickException(
                    f"user {user_id!r} is inactive, and Flask-Login does not log them in"
                )
            answer = _answer(state, _session_client_id)
        else:
            answer = _answer(state, lambda _state: user_id)
    if answer.status != 200:
        raise click.ClickException(
            f"no token for user {user_id!r} ({answer.status}): {answer.body.decode()}"
        )
    click.echo(answer.body.decode())
