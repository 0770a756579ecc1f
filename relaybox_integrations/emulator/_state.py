"""The emulator's own ``/state`` routes: room management as the official server library
(``@relaybox/rest``'s ``rooms.*``) and the browser client request it.

Relaybox's state service is not public, so the requests are the libraries' (method, path,
headers, body) and everything else is the emulator's choice, kept to what core does over
the WebSocket for the same operations:

- ``Authorization: Bearer <token>`` must hold an ``id_token`` signed with the emulator's key
  (what the application's auth endpoint mints, and what the browser client holds): missing,
  401; refused, 403, as Relaybox's auth service answers. The token's ``clientId`` is the
  acting member, and its inline ``permissions`` (else the key's) are checked, as for a
  connection.
- Creating makes that clientId the room's owner, as core's ``room:create`` does (the body's
  ``memberType`` is not used); changing a room needs an owner or admin, as core's member
  frames do.
- Answers are JSON: the room ``{id, uuid, visibility}``, a member ``{id, roomId, clientId,
  memberType, createdAt}``, or an error ``{statusCode, name, message}`` with core's names.
- No webhook is sent: these requests have no connection to put in one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import unquote

from ..core import RelayBox
from ..errors import TokenVerificationError
from ..options import is_room_id
from ..permissions import Permissions
from ._room_state import RoomTable
from ._wire import AckError, http_error, logger

__all__ = ["StateRoutes"]

_STATUS: Final = {
    "ValidationError": 400,
    "UnauthorizedError": 401,
    "ForbiddenError": 403,
    "NotFoundError": 404,
    "MethodNotAllowedError": 405,
}
#: The routes, as path segments after ``/state`` (``{}`` is a variable one) -> methods.
_ROUTES: Final = {
    ("rooms",): ("POST",),
    ("rooms", "{}", "visibility"): ("PUT",),
    ("rooms", "{}", "members"): ("GET", "POST"),
    ("rooms", "{}", "members", "{}"): ("PUT", "DELETE"),
}

Answer = tuple[int, Any]


class _Request:
    """One request's parts, checked as each route reads them."""

    def __init__(
        self, claims: dict[str, Any], query: Mapping[str, str], raw: bytes, default: Permissions
    ) -> None:
        client_id = claims.get("clientId")
        self.actor = client_id if isinstance(client_id, str) else None
        self.permissions: Permissions = claims.get("permissions") or default
        self.query = query
        self._raw = raw

    def body(self) -> dict[str, Any]:
        try:
            body = json.loads(self._raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise AckError("the body must be a JSON object", "ValidationError")
        return body


class StateRoutes:
    """``/state/rooms...`` over the application's room table."""

    def __init__(self, relaybox: RelayBox, table: RoomTable, permissions: Permissions) -> None:
        self._relaybox, self._table, self._permissions = relaybox, table, permissions

    def handle(
        self,
        method: str,
        raw_path: str,
        authorization: str | None,
        query: Mapping[str, str],
        raw: bytes,
    ) -> Answer:
        """The status and JSON body for one request; ``raw_path`` starts after ``/state``."""
        try:
            return self._route(method, raw_path, authorization, query, raw)
        except AckError as error:
            status = _STATUS.get(error.name, 400)
            return status, http_error(status, error.name, error.message)
        except Exception as exc:  # a bug here must answer JSON, as every other answer
            logger.exception("failed on %s /state%s", method, raw_path)
            message = f"the emulator failed on this request ({type(exc).__name__}); its log has "
            return 500, http_error(500, "InternalError", message + "the details")

    def _route(
        self,
        method: str,
        raw_path: str,
        authorization: str | None,
        query: Mapping[str, str],
        raw: bytes,
    ) -> Answer:
        segments = [unquote(s) for s in raw_path.strip("/").split("/")]
        shape = tuple("{}" if i % 2 else s for i, s in enumerate(segments))
        methods = _ROUTES.get(shape)
        if methods is None:
            raise AckError(f"no route {method} /state{raw_path}", "NotFoundError")
        if method not in methods:
            raise AckError(
                f"{method} is not allowed on /state{raw_path}; use {' or '.join(methods)}",
                "MethodNotAllowedError",
            )
        request = _Request(self._claims(authorization), query, raw, self._permissions)
        handlers: dict[tuple[str, int], Callable[..., Answer]] = {
            ("POST", 1): self._create,
            ("PUT", 3): self._visibility,
            ("GET", 3): self._members,
            ("POST", 3): self._add_member,
            ("PUT", 4): self._member_type,
            ("DELETE", 4): self._delete_member,
        }
        return handlers[(method, len(segments))](request, *segments[1::2])

    def _claims(self, authorization: str | None) -> dict[str, Any]:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AckError(
                "an Authorization: Bearer <token> header is required (a token from your auth "
                "endpoint, signed with the emulator's key)",
                "UnauthorizedError",
            )
        try:
            return self._relaybox.verify_token(token.strip())
        except TokenVerificationError as exc:
            raise AckError(f"token refused: {exc}", "ForbiddenError") from None

    def _create(self, request: _Request) -> Answer:
        body = request.body()
        room_id = _room_id(body.get("roomId"))
        room = self._table.create(
            room_id,
            body.get("visibility"),
            body.get("password"),
            body.get("roomName"),
            request.actor,
            request.permissions,
        )
        logger.info("state: created %s room %s", room.visibility, room_id)
        return 201, room.summary()

    def _visibility(self, request: _Request, room_id: str) -> Answer:
        body = request.body()
        room = self._table.set_visibility(
            _room_id(room_id),
            body.get("visibility"),
            body.get("password"),
            request.actor,
            request.permissions,
        )
        logger.info("state: room %s is %s", room_id, room.visibility)
        return 200, room.summary()

    def _members(self, request: _Request, room_id: str) -> Answer:
        room = self._table.require(_room_id(room_id))
        offset, limit = _count(request.query, "offset", 0), _count(request.query, "limit", 10)
        members = [
            member.as_json(room.room_id, client_id)
            for client_id, member in room.members.items()
            if not member.deleted
        ]
        return 200, {"items": members[offset : offset + limit], "count": len(members)}

    def _add_member(self, request: _Request, room_id: str) -> Answer:
        body = request.body()
        room_id = _same(_room_id(room_id), body, "roomId")
        client_id = body.get("clientId")
        member = self._table.add_member(room_id, client_id, request.actor)
        logger.info("state: %s added to %s", client_id, room_id)
        return 200, member.as_json(room_id, str(client_id))

    def _member_type(self, request: _Request, room_id: str, client_id: str) -> Answer:
        body = request.body()
        room_id = _same(_room_id(room_id), body, "roomId")
        client_id = _same(client_id, body, "clientId")
        member = self._table.set_member_type(
            room_id, client_id, body.get("memberType"), request.actor
        )
        logger.info("state: %s is %s in %s", client_id, member.member_type, room_id)
        return 200, member.as_json(room_id, client_id)

    def _delete_member(self, request: _Request, room_id: str, client_id: str) -> Answer:
        room_id = _room_id(room_id)
        member = self._table.remove_member(room_id, client_id, request.actor)
        logger.info("state: %s removed from %s", client_id, room_id)
        return 200, member.as_json(room_id, client_id)


def _room_id(value: object) -> str:
    if not is_room_id(value):
        raise AckError(f"Invalid room id {value!r}", "ValidationError")
    return value


def _same(value: str, body: Mapping[str, Any], name: str) -> str:
    """``value`` from the path, which the body may repeat (the official library does) but not
    contradict."""
    if name in body and body[name] != value:
        raise AckError(f"{name} in the body is not the path's {value!r}", "ValidationError")
    return value


def _count(query: Mapping[str, str], name: str, default: int) -> int:
    text = query.get(name)
    if text in (None, ""):
        return default
    if not (text.isascii() and text.isdigit()):
        raise AckError(f"{name} must be a whole number", "ValidationError")
    return int(text)
