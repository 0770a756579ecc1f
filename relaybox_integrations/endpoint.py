"""The auth endpoint's whole request flow, once for every framework.

An adapter hands :class:`AuthEndpoint` the request's method, the request object and a way to
load the user; the endpoint decides everything else and returns an :class:`EndpointResponse`
that the adapter copies into its framework's type. Every adapter therefore answers alike:

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
- a hook raising :class:`AccessDenied`: 403 JSON with its message;
- after a token is minted, the ``token_issued`` callback gets ``request``, ``user``,
  ``client_id`` (a ``str``, or None), ``expires_in`` and ``permissions`` (what the
  permissions hook returned; None for the configured default), never the token.

The flow is written once, as a generator of calls, and run by :func:`run` (sync frameworks:
each call is made plainly) or :func:`arun` (asyncio: a call's result is awaited when it is
awaitable). Adapters adapt the hooks to the style they run in before handing them over.
"""

from __future__ import annotations

import inspect
import json
import logging
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias, TypeVar

from .core import RelayBox, _check_client_id
from .errors import ConfigurationError, RelayBoxError, TokenRequestError

__all__ = [
    "ALLOWED_METHODS",
    "AccessDenied",
    "AuthEndpoint",
    "EndpointResponse",
    "default_client_id",
    "json_error",
]

logger = logging.getLogger("relaybox_integrations")

#: Methods the auth endpoint answers. The browser client uses GET, or POST when configured;
#: OPTIONS is a CORS preflight, which a CORS middleware in front normally answers first.
ALLOWED_METHODS = ("GET", "POST", "OPTIONS")
_ALLOW = ", ".join(ALLOWED_METHODS)
# A token response is a credential (RFC 6749 §5.1); errors must not be cached either, or a
# user who logs in would keep getting the cached 401.
_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
_JSON = (("Content-Type", "application/json"), *_NO_STORE)


class AccessDenied(RelayBoxError):
    """Raise from a client-id or permissions hook to refuse a user a token (403)."""

    def __init__(self, message: str = "You are not allowed to use realtime features.") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class EndpointResponse:
    """A framework-neutral HTTP response; adapters copy it into their own type.

    The empty 204 has no ``Content-Type``: adapters must not add their default one.
    """

    status: int
    #: Kept out of ``repr()``: a 200 body holds the token, a credential.
    body: bytes = field(repr=False)
    headers: tuple[tuple[str, str], ...] = field(default=_JSON)


def json_error(status: int, code: str, message: str, *extra: tuple[str, str]) -> EndpointResponse:
    """A JSON error answer, ``{"error": code, "message": message}``, never cached.

    Also for refusals a framework makes before the endpoint runs (a CSRF check), so that the
    browser client still reads JSON.
    """
    body = json.dumps({"error": code, "message": message}, separators=(",", ":")).encode()
    return EndpointResponse(status, body, (*_JSON, *extra))


_METHOD_NOT_ALLOWED = json_error(
    405, "method_not_allowed", f"The Relaybox auth endpoint answers {_ALLOW}.", ("Allow", _ALLOW)
)
_PREFLIGHT = EndpointResponse(204, b"", (*_NO_STORE, ("Allow", _ALLOW)))
_NOT_AUTHENTICATED = json_error(401, "not_authenticated", "Log in to get a Relaybox token.")
_SERVER_ERROR = json_error(
    500, "token_error", "The server could not issue a Relaybox token; its log says why."
)

_T = TypeVar("_T")
#: One call the flow needs made: the function and its arguments.
Call: TypeAlias = tuple[Callable[..., Any], tuple[Any, ...]]
#: A flow: yields calls, receives their results (or has their errors thrown in), returns
#: its outcome; an HTTP answer for the endpoints, a result for publishing.
Flow: TypeAlias = Generator[Call, Any, _T]


class _Finished(Generic[_T]):
    """What a flow returned (a plain class: built once per request, on the hot path)."""

    __slots__ = ("outcome",)

    def __init__(self, outcome: _T) -> None:
        self.outcome = outcome


def _resume(flow: Flow[_T], result: Any, error: BaseException | None) -> Call | _Finished[_T]:
    """Hand the last call's result (or error) back to ``flow``: its next call, or its end."""
    try:
        return flow.send(result) if error is None else flow.throw(error)
    except StopIteration as stop:
        return _Finished(stop.value)


def run(flow: Flow[_T]) -> _T:
    """Run ``flow`` making each call plainly, for sync frameworks."""
    step = _resume(flow, None, None)
    while not isinstance(step, _Finished):
        function, args = step
        try:
            result, error = function(*args), None
        except BaseException as exc:  # handed back to the flow, which decides
            result, error = None, exc
        if inspect.isawaitable(result):  # an async callable handed to a sync endpoint
            close = getattr(result, "close", None)
            if close is not None:
                close()  # no "never awaited" warning on top of the error
            result, error = (
                None,
                TypeError(
                    f"{function!r} returned an awaitable, but this endpoint runs synchronously: "
                    "use the framework's async view, or a plain function"
                ),
            )
        step = _resume(flow, result, error)
    return step.outcome


async def arun(flow: Flow[_T]) -> _T:
    """Run ``flow`` awaiting every awaitable result, for asyncio frameworks."""
    step = _resume(flow, None, None)
    while not isinstance(step, _Finished):
        function, args = step
        try:
            result = function(*args)
            result, error = (await result if inspect.isawaitable(result) else result), None
        except BaseException as exc:  # handed back to the flow (cancellation included)
            result, error = None, exc
        step = _resume(flow, result, error)
    return step.outcome


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


class _UnusableIdentity(Exception):
    """A hook gave a logged-in user no usable client id: a server bug."""


def _usable_client_id(user: Any, value: Any) -> str:
    """``value`` as the client id of the logged-in ``user``, or :class:`_UnusableIdentity`."""
    if value is None:
        raise _UnusableIdentity(
            f"the client id of the logged-in {type(user).__name__} is None; give users an id "
            "(or identity), return one from the client-id hook, or raise AccessDenied to "
            "refuse the user"
        )
    try:
        return _check_client_id(value)
    except TokenRequestError as exc:
        raise _UnusableIdentity(
            f"the client id of the logged-in {type(user).__name__} is unusable: {exc}"
        ) from None


class AuthEndpoint:
    """The auth endpoint: who is asking, which permissions, the token, the audit call.

    Every option is checked here, once; a bad one raises :class:`ConfigurationError` naming
    it. Hooks (module docstring for the rules):

    - ``client_id(user)``: a logged-in user's client id (default
      :func:`~relaybox_integrations.endpoint.default_client_id`);
    - ``permissions(request, user, client_id)``: inline permissions, or None for the
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
        permissions: Callable[[Any, Any, str | None], Any] | None = None,
        token_issued: Callable[..., Any] | None = None,
    ) -> None:
        if not isinstance(allow_anonymous, bool):
            raise ConfigurationError(
                "allow_anonymous", f"allow_anonymous must be True or False; got {allow_anonymous!r}"
            )
        for name, hook in (
            ("client_id", client_id),
            ("permissions", permissions),
            ("token_issued", token_issued),
        ):
            if hook is not None and not callable(hook):
                raise ConfigurationError(name, f"{name} must be a function; got {hook!r}")
        self.relaybox = relaybox
        self.allow_anonymous = allow_anonymous
        self._client_id = client_id or default_client_id
        self._permissions = permissions
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
        """The request flow itself, for :func:`~relaybox_integrations.endpoint.run` or
        :func:`~relaybox_integrations.endpoint.arun` to drive."""
        rejected = self.reject_method(method)
        if rejected is not None:
            return rejected
        try:
            user = yield load_user, ()
            authenticated = False if user is None else _is_authenticated(user)
            client_id: str | None = None
            if authenticated is False:
                if not self.allow_anonymous:
                    return _NOT_AUTHENTICATED
            elif authenticated is None:  # an identity loader's answer: the client id itself
                client_id = _usable_client_id(user, user)
            elif self._client_id is default_client_id:  # plain attribute reads: no round trip
                client_id = _usable_client_id(user, default_client_id(user))
            else:
                client_id = _usable_client_id(user, (yield self._client_id, (user,)))
            permissions = None
            if self._permissions is not None:
                permissions = yield self._permissions, (request, user, client_id)
        except AccessDenied as exc:
            return json_error(403, "forbidden", exc.message)
        except _UnusableIdentity as exc:
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

    @staticmethod
    def server_error(reason: str) -> EndpointResponse:
        """The 500 answer for a hook bug: ``reason`` goes to the log, the browser gets JSON."""
        logger.error("Relaybox token not issued: %s", reason)
        return _SERVER_ERROR
