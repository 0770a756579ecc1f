"""The room access endpoint's whole request flow, once for every framework.

A room whose visibility is ``authorized`` admits a client only with a room access token for
that room (:meth:`~relaybox_integrations.RelayBox.generate_room_access_token`). The browser
asks your server for one (``/user/rooms/<room_id>/access``); your application decides, per
room and user, through one hook:

- ``can_join_room(request, user, client_id, room_id)``: return ``True`` to let the user join
  ``room_id``, ``False`` to refuse (403), or raise
  :class:`~relaybox_integrations.AccessDenied` to refuse with your own message (403). Any
  other answer is a server bug: JSON 500, the reason in the log. It runs only for logged-in
  users, with ``room_id`` already checked.

Everything else is the auth endpoint's (:mod:`relaybox_integrations.endpoint`), reused: the
same methods, the same answer to OPTIONS and to other methods, the same identity rule (who
is asking comes from ``load_user()``, never from what the browser sends; the token's
``clientId`` is the logged-in user's, through the ``client_id`` hook), and ``Cache-Control:
no-store`` on every answer. In order:

- OPTIONS: 204 with ``Allow``; methods other than GET, POST and OPTIONS: 405 JSON;
- anonymous: 401 JSON, always (a room access token names its user; anonymous tokens, when
  the auth endpoint allows them, do not extend to rooms);
- a room id Relaybox would refuse on join (``^[a-zA-Z0-9-_:.]+$``): 400 JSON
  ``invalid_room_id``;
- the hook refusing: 403 JSON; granting: 200 ``{"token", "expiresIn", "expiresAt"}``, where
  ``token`` is what the browser passes as ``accessToken`` to ``relayBox.join(roomId, ...)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .endpoint import ALLOWED_METHODS, AuthEndpoint, UnusableIdentity, is_anonymous
from .errors import AccessDenied, ConfigurationError, TokenRequestError
from .flow import NO_STORE, EndpointResponse, Flow, arun, json_error, run
from .options import check_room_id

__all__ = ["CanJoinRoomHook", "RoomAccessEndpoint"]

logger = logging.getLogger("relaybox_integrations")

#: ``(request, user, client_id, room_id) -> bool``: whether the logged-in ``user`` (whose
#: token names ``client_id``, a str) may join ``room_id``; may raise
#: :class:`~relaybox_integrations.AccessDenied`. Adapters that run on asyncio, and Flask,
#: accept ``async`` hooks.
CanJoinRoomHook = Callable[[Any, Any, str, str], Any]

_ALLOW = ", ".join(ALLOWED_METHODS)
_METHOD_NOT_ALLOWED = json_error(
    405,
    "method_not_allowed",
    f"The Relaybox room access endpoint answers {_ALLOW}.",
    ("Allow", _ALLOW),
)
_PREFLIGHT = EndpointResponse(204, b"", (*NO_STORE, ("Allow", _ALLOW)))
_NOT_AUTHENTICATED = json_error(401, "not_authenticated", "Log in to join Relaybox rooms.")
_REFUSED = json_error(403, "forbidden", "You may not join this room.")
_SERVER_ERROR = json_error(
    500, "token_error", "The server could not issue a room access token; its log says why."
)


class RoomAccessEndpoint:
    """The room access endpoint: who is asking, which room, the hook's verdict, the token.

    ``auth`` is the application's configured auth endpoint, whose core, ``client_id`` hook
    and identity rule this endpoint shares; ``can_join_room`` is the hook (module docstring).
    A hook that is not a function raises :class:`~relaybox_integrations.ConfigurationError`
    naming ``can_join_room``.
    """

    __slots__ = ("_can_join_room", "auth")

    def __init__(self, auth: AuthEndpoint, can_join_room: CanJoinRoomHook) -> None:
        if not isinstance(auth, AuthEndpoint):
            raise ConfigurationError(
                "auth", f"auth must be the application's AuthEndpoint; got {type(auth).__name__}"
            )
        if not callable(can_join_room):
            raise ConfigurationError(
                "can_join_room", f"can_join_room must be a function; got {can_join_room!r}"
            )
        self.auth = auth
        self._can_join_room = can_join_room

    def __repr__(self) -> str:
        return f"RoomAccessEndpoint({self.auth.relaybox!r})"

    def __reduce__(self) -> Any:
        raise TypeError("RoomAccessEndpoint objects cannot be pickled; they hold the API secret")

    @staticmethod
    def reject_method(method: str) -> EndpointResponse | None:
        """The answer for a method that must not mint a token, or None for GET and POST
        (see :meth:`~relaybox_integrations.AuthEndpoint.reject_method`)."""
        if method in ("GET", "POST"):
            return None
        if method == "OPTIONS":
            return _PREFLIGHT
        return _METHOD_NOT_ALLOWED

    def respond(
        self, method: str, request: Any, room_id: str, load_user: Callable[[], Any]
    ) -> EndpointResponse:
        """The answer to one request for ``room_id`` (as the URL gave it), for sync
        frameworks. ``load_user()`` returns who the server authenticated (a user object, a
        client id, or None); it is called only for GET and POST."""
        return run(self.flow(method, request, room_id, load_user))

    async def arespond(
        self, method: str, request: Any, room_id: str, load_user: Callable[[], Any]
    ) -> EndpointResponse:
        """:meth:`respond` for asyncio frameworks; hooks and ``load_user`` may be async."""
        return await arun(self.flow(method, request, room_id, load_user))

    def flow(
        self, method: str, request: Any, room_id: str, load_user: Callable[[], Any]
    ) -> Flow[EndpointResponse]:
        """The request flow itself, for :func:`~relaybox_integrations.flow.run` or
        :func:`~relaybox_integrations.flow.arun` to drive."""
        rejected = self.reject_method(method)
        if rejected is not None:
            return rejected
        try:
            user = yield load_user, ()
            if is_anonymous(user):
                return _NOT_AUTHENTICATED
            try:
                room = check_room_id(room_id)
            except TokenRequestError as exc:
                return json_error(400, "invalid_room_id", str(exc))
            client_id = yield from self.auth.identify(user)
            verdict = yield self._can_join_room, (request, user, client_id, room)
        except AccessDenied as exc:
            return json_error(403, "forbidden", exc.message)
        except UnusableIdentity as exc:
            return self.server_error(str(exc))
        if verdict is not True:
            if verdict is False:
                return _REFUSED
            return self.server_error(
                f"can_join_room returned {type(verdict).__name__}, not True or False; return "
                "True to let the user join, False (or raise AccessDenied) to refuse"
            )
        try:
            token = self.auth.relaybox.generate_room_access_token(room, client_id)
        except TokenRequestError as exc:
            return self.server_error(str(exc))
        logger.debug("Relaybox room access token issued: room_id=%r client_id=%r", room, client_id)
        return EndpointResponse(200, token.to_json())

    @staticmethod
    def server_error(reason: str) -> EndpointResponse:
        """The 500 answer for a hook bug: ``reason`` goes to the log, the browser gets JSON."""
        logger.error("Relaybox room access token not issued: %s", reason)
        return _SERVER_ERROR
