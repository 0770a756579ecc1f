"""The auth endpoint's whole request flow, once for every framework.

An adapter hands :class:`AuthEndpoint` the request's method, the request object and a way to
load the user; the endpoint decides everything else and returns an
:class:`~relaybox_integrations.EndpointResponse` that the adapter copies into its framework's
type. Every adapter therefore answers alike:

- ``Cache-Control: no-store`` on every answer; JSON bodies, apart from the empty 204;
- OPTIONS: 204 with ``Allow``, without looking at the user; methods other than GET, POST and
  OPTIONS: 405 JSON with ``Allow``;
- who is asking (the identity rule): ``load_user()`` returns a user object, a client id or
  None. None is anonymous. A user object (one with an ``is_authenticated`` attribute) is
  logged in only when ``is_authenticated`` is exactly ``True`` (a method, as old code wrote
  it, is not); its client id comes from the ``client_id`` hook (default
  :func:`default_client_id`). Anything else is taken as the client id itself. A client id
  must be a non-empty ``str`` or an ``int``: ``None`` for a logged-in user, a UUID, a float,
  a ``dict``... is a server bug, answered 500 JSON with the reason in the log, never a
  shared identity;
- anonymous: 401 JSON, unless anonymous tokens are allowed (then a token without
  ``clientId``);
- a hook raising :class:`~relaybox_integrations.AccessDenied`: 403 JSON with its message;
- after a token is minted, the ``token_issued`` callback gets ``request``, ``user``,
  ``client_id`` (a ``str``, or None), ``expires_in`` and ``permissions`` (what the
  permissions hook returned; None for the configured default), never the token.

The flow is written once, as a generator of calls, and run by
:func:`~relaybox_integrations.flow.run` (sync frameworks: each call is made plainly) or
:func:`~relaybox_integrations.flow.arun` (asyncio: a call's result is awaited when it is
awaitable). Adapters adapt the hooks to the style they run in before handing them over.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from .core import RelayBox
from .errors import AccessDenied, ConfigurationError, TokenRequestError
from .flow import NO_STORE, EndpointResponse, Flow, arun, json_error, run
from .options import check_client_id

__all__ = [
    "ALLOWED_METHODS",
    "AuthEndpoint",
    "default_client_id",
]

logger = logging.getLogger("relaybox_integrations")

#: Methods the auth endpoint answers. The browser client uses GET, or POST when configured;
#: OPTIONS is a CORS preflight, which a CORS middleware in front normally answers first.
ALLOWED_METHODS = ("GET", "POST", "OPTIONS")
_ALLOW = ", ".join(ALLOWED_METHODS)
_METHOD_NOT_ALLOWED = json_error(
    405, "method_not_allowed", f"The Relaybox auth endpoint answers {_ALLOW}.", ("Allow", _ALLOW)
)
_PREFLIGHT = EndpointResponse(204, b"", (*NO_STORE, ("Allow", _ALLOW)))
_NOT_AUTHENTICATED = json_error(401, "not_authenticated", "Log in to get a Relaybox token.")
_SERVER_ERROR = json_error(
    500, "token_error", "The server could not issue a Relaybox token; its log says why."
)


def default_client_id(user: Any) -> Any:
    """A logged-in user's client id, from the attribute its framework gives it.

    In order: ``identity`` (Starlette's ``BaseUser``), ``get_id()`` (Flask-Login),
    ``pk`` (Django), ``id``, then ``username`` (Starlette's ``SimpleUser`` before 1.0). A UUID
    becomes its string. None when the user has none of them, which the endpoint reports as a
    server bug. Never ``display_name``: it need not be unique.
    """
    try:
        value = user.identity
    except (AttributeError, NotImplementedError):  # BaseUser raises NotImplementedError
        get_id = getattr(user, "get_id", None)
        value = get_id() if callable(get_id) else None
        for name in ("pk", "id", "username"):
            if value is not None:
                break
            value = getattr(user, name, None)
    return str(value) if isinstance(value, uuid.UUID) else value


def _is_authenticated(user: Any) -> bool | None:
    """True or False for a user object; None for anything else (a client id, or garbage)."""
    try:
        flag = user.is_authenticated
    except AttributeError:
        return None
    except NotImplementedError:  # Starlette's BaseUser, not overridden
        return False
    return flag is True


def is_anonymous(user: Any) -> bool:
    """Whether ``load_user()``'s answer is nobody: None, or a user object whose
    ``is_authenticated`` is not exactly ``True``."""
    return user is None or _is_authenticated(user) is False


class UnusableIdentity(Exception):
    """A hook gave a logged-in user no usable client id: a server bug."""


def _usable_client_id(user: Any, value: Any) -> str:
    """``value`` as the client id of the logged-in ``user``, or :class:`UnusableIdentity`."""
    if value is None:
        raise UnusableIdentity(
            f"the client id of the logged-in {type(user).__name__} is None; give users an id "
            "(or identity), return one from the client-id hook, or raise AccessDenied to "
            "refuse the user"
        )
    try:
        return check_client_id(value)
    except TokenRequestError as exc:
        raise UnusableIdentity(
            f"the client id of the logged-in {type(user).__name__} is unusable: {exc}"
        ) from None


class AuthEndpoint:
    """The auth endpoint: who is asking, which permissions, the token, the audit call.

    Every option is checked here, once; a bad one raises :class:`ConfigurationError` naming
    it. Hooks (module docstring for the rules):

    - ``client_id(user)``: a logged-in user's client id (default
      :func:`~relaybox_integrations.endpoint.default_client_id`);
    - ``get_permissions(request, user, client_id)``: inline permissions, or None for the
      default; called for logged-in users, and for anonymous ones when they get tokens;
    - ``token_issued(request, user, client_id, expires_in, permissions)``: after minting.
    """

    __slots__ = (
        "_client_id",
        "_permissions",
        "_token_issued",
        "allow_anonymous",
        "relaybox",
    )

    def __init__(
        self,
        relaybox: RelayBox,
        *,
        allow_anonymous: bool = False,
        client_id: Callable[[Any], Any] | None = None,
        get_permissions: Callable[[Any, Any, str | None], Any] | None = None,
        token_issued: Callable[..., Any] | None = None,
    ) -> None:
        if not isinstance(allow_anonymous, bool):
            raise ConfigurationError(
                "allow_anonymous", f"allow_anonymous must be True or False; got {allow_anonymous!r}"
            )
        for name, hook in (
            ("client_id", client_id),
            ("get_permissions", get_permissions),
            ("token_issued", token_issued),
        ):
            if hook is not None and not callable(hook):
                raise ConfigurationError(name, f"{name} must be a function; got {hook!r}")
        self.relaybox = relaybox
        self.allow_anonymous = allow_anonymous
        self._client_id = client_id or default_client_id
        self._permissions = get_permissions
        self._token_issued = token_issued

    def __repr__(self) -> str:
        return f"AuthEndpoint({self.relaybox!r}, allow_anonymous={self.allow_anonymous})"

    @staticmethod
    def reject_method(method: str) -> EndpointResponse | None:
        """The answer for a method that must not mint a token, or None for GET and POST.

        For adapters whose framework checks something between the method and the user
        (Django's CSRF check on POST): OPTIONS and unknown methods never reach it.
        """
        if method in ("GET", "POST"):
            return None
        if method == "OPTIONS":
            return _PREFLIGHT
        return _METHOD_NOT_ALLOWED

    def respond(
        self,
        method: str,
        request: Any,
        load_user: Callable[[], Any],
        *,
        expires_in: int | None = None,
    ) -> EndpointResponse:
        """The answer to one request, for sync frameworks.

        ``load_user()`` returns who the server authenticated: a user object, a client id, or
        None. It is called only for GET and POST; never pass what the browser sent.
        ``expires_in`` overrides the configured lifetime (command-line tools).
        """
        return run(self.flow(method, request, load_user, expires_in))

    async def arespond(
        self, method: str, request: Any, load_user: Callable[[], Any]
    ) -> EndpointResponse:
        """:meth:`respond` for asyncio frameworks; hooks and ``load_user`` may be async."""
        return await arun(self.flow(method, request, load_user))

    def flow(
        self,
        method: str,
        request: Any,
        load_user: Callable[[], Any],
        expires_in: int | None = None,
    ) -> Flow[EndpointResponse]:
        """The request flow itself, for :func:`~relaybox_integrations.flow.run` or
        :func:`~relaybox_integrations.flow.arun` to drive."""
        rejected = self.reject_method(method)
        if rejected is not None:
            return rejected
        try:
            user = yield load_user, ()
            client_id: str | None = None
            if is_anonymous(user):
                if not self.allow_anonymous:
                    return _NOT_AUTHENTICATED
            else:
                client_id = yield from self.identify(user)
            permissions = None
            if self._permissions is not None:
                permissions = yield self._permissions, (request, user, client_id)
        except AccessDenied as exc:
            return json_error(403, "forbidden", exc.message)
        except UnusableIdentity as exc:
            return self.server_error(str(exc))
        try:
            token = self.relaybox.generate_token_response(
                client_id=client_id, expires_in=expires_in, permissions=permissions
            )
        except TokenRequestError as exc:
            return self.server_error(str(exc))
        logger.debug("Relaybox token issued: client_id=%r", client_id)
        if self._token_issued is not None:
            audit = (request, user, client_id, token.expires_in, permissions)
            yield self._token_issued, audit
        return EndpointResponse(200, token.to_json())

    def identify(self, user: Any) -> Flow[str]:
        """The client id of ``user``, who is not anonymous (``is_anonymous(user)`` is false),
        by the identity rule; raises ``UnusableIdentity`` for a server bug. A sub-flow:
        ``client_id = yield from endpoint.identify(user)``."""
        if _is_authenticated(user) is None:  # an identity loader's answer: the client id itself
            return _usable_client_id(user, user)
        if self._client_id is default_client_id:  # plain attribute reads: no round trip
            return _usable_client_id(user, default_client_id(user))
        return _usable_client_id(user, (yield self._client_id, (user,)))

    @staticmethod
    def server_error(reason: str) -> EndpointResponse:
        """The 500 answer for a hook bug: ``reason`` goes to the log, the browser gets JSON."""
        logger.error("Relaybox token not issued: %s", reason)
        return _SERVER_ERROR
