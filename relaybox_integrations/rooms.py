"""Room management on Relaybox's state service: ``relaybox.rooms``, sync and async.

The requests are the official ``@relaybox/rest`` library's ``rooms.*`` calls, exactly
(method, path, headers, JSON body, defaults). The state service's source is not public, so
what it answers is not known beyond the official library's type for a room, ``{id, uuid,
visibility}``: :func:`room_from` is the one place that reads it, leniently, and every result
keeps the whole answer in ``data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .errors import ServiceRequestError, TokenRequestError
from .flow import Flow, arun, run
from .options import check_client_id, check_room_id
from .services import (
    Service,
    ServiceAnswer,
    bearer,
    choice,
    encode_json,
    segment,
    text,
    utf8,
)

__all__ = [
    "MEMBER_TYPES",
    "VISIBILITIES",
    "MemberType",
    "Room",
    "Rooms",
    "Visibility",
    "room_from",
]

#: Who may join a room: anyone, members only, anyone with the password, or a holder of a
#: room access token (:meth:`~relaybox_integrations.RelayBox.generate_room_access_token`).
Visibility = Literal["public", "private", "protected", "authorized"]
#: Every :data:`Visibility`, as the official library's type lists them.
VISIBILITIES: Final = ("public", "private", "protected", "authorized")
#: A member's standing in a room; owners and admins manage it.
MemberType = Literal["owner", "admin", "member"]
#: Every :data:`MemberType`.
MEMBER_TYPES: Final = ("owner", "admin", "member")

_JSON_HEADERS: Final = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Room:
    """A room, as the state service answered about it.

    ``id``, ``uuid`` and ``visibility`` are read from the answer when it has them as
    strings (the official library's type for it), else None; ``data`` is the whole answer.
    """

    id: str | None
    uuid: str | None
    visibility: str | None
    data: Any = field(repr=False)


def room_from(answer: ServiceAnswer) -> Room:
    """The :class:`Room` in a state service answer, whatever its shape (not public)."""
    data = answer.data
    fields = data if isinstance(data, dict) else {}

    def string(name: str) -> str | None:
        value = fields.get(name)
        return value if isinstance(value, str) else None

    return Room(string("id"), string("uuid"), string("visibility"), data)


def _room_id(value: object) -> str:
    try:
        return segment("room_id", check_room_id(value))
    except TokenRequestError as exc:
        raise ServiceRequestError("room_id", str(exc)) from None


def _client_id(value: object) -> str:
    try:
        return utf8("client_id", check_client_id(value))
    except TokenRequestError as exc:
        raise ServiceRequestError("client_id", str(exc)) from None


class Rooms:
    """Create rooms and manage who is in them, as the holder of ``auth_token``.

    ``auth_token`` is a Relaybox token that the state service acts on behalf of: the
    official library passes it through, and its rules (which claims name the acting member)
    are not public. Relaybox's core, for the same operations over the WebSocket, needs the
    ``create`` permission (and ``privacy`` for a private room) and makes the creator the
    owner; managing members takes an owner or admin. Every method has an ``a``-prefixed
    twin for asyncio, and raises :class:`~relaybox_integrations.ServiceRequestError` for a
    bad argument (nothing sent) and :class:`~relaybox_integrations.ServiceError` for a
    refusal or no answer.
    """

    def __init__(self, service: Service) -> None:
        self._service = service

    def __repr__(self) -> str:
        return f"Rooms(state_url={self._service.url!r})"

    # --- create: POST /rooms (rest-js lib/rooms.ts:84-112) -----------------------------

    def create(
        self,
        room_id: str,
        auth_token: str,
        *,
        name: str | None = None,
        visibility: Visibility = "public",
        member_type: MemberType = "member",
        password: str | None = None,
    ) -> Room:
        """Create ``room_id`` (``name`` is its display name; ``password`` is for a
        ``protected`` room)."""
        return run(
            self._create(room_id, auth_token, name, visibility, member_type, password, False)
        )

    async def acreate(
        self,
        room_id: str,
        auth_token: str,
        *,
        name: str | None = None,
        visibility: Visibility = "public",
        member_type: MemberType = "member",
        password: str | None = None,
    ) -> Room:
        """:meth:`create` for asyncio."""
        return await arun(
            self._create(room_id, auth_token, name, visibility, member_type, password, True)
        )

    def _create(
        self,
        room_id: object,
        auth_token: object,
        name: object,
        visibility: object,
        member_type: object,
        password: object,
        asynchronous: bool,
    ) -> Flow[Room]:
        _room_id(room_id)
        body = {
            "roomId": room_id,
            "roomName": text("name", name, optional=True),
            "memberType": choice("member_type", member_type, MEMBER_TYPES),
            "visibility": choice("visibility", visibility, VISIBILITIES),
            "password": text("password", password, optional=True),
        }
        answer = yield from self._send("POST", "/rooms", auth_token, body, asynchronous)
        return room_from(answer)

    # --- visibility: PUT /rooms/{roomId}/visibility (lib/rooms.ts:120-144) ---------------

    def set_visibility(
        self,
        room_id: str,
        auth_token: str,
        *,
        visibility: Visibility = "public",
        password: str | None = None,
    ) -> Room:
        """Set who may join ``room_id`` (``password`` for ``protected``)."""
        return run(self._set_visibility(room_id, auth_token, visibility, password, False))

    async def aset_visibility(
        self,
        room_id: str,
        auth_token: str,
        *,
        visibility: Visibility = "public",
        password: str | None = None,
    ) -> Room:
        """:meth:`set_visibility` for asyncio."""
        return await arun(self._set_visibility(room_id, auth_token, visibility, password, True))

    def _set_visibility(
        self,
        room_id: object,
        auth_token: object,
        visibility: object,
        password: object,
        asynchronous: bool,
    ) -> Flow[Room]:
        path = f"/rooms/{_room_id(room_id)}/visibility"
        body = {
            "visibility": choice("visibility", visibility, VISIBILITIES),
            "password": text("password", password, optional=True),
        }
        answer = yield from self._send("PUT", path, auth_token, body, asynchronous)
        return room_from(answer)

    # --- members: POST, DELETE and PUT /rooms/{roomId}/members[/{clientId}] --------------

    def add_member(self, room_id: str, client_id: str | int, auth_token: str) -> ServiceAnswer:
        """Add ``client_id`` to ``room_id`` (a private room's members may join it)."""
        return run(self._add_member(room_id, client_id, auth_token, False))

    async def aadd_member(
        self, room_id: str, client_id: str | int, auth_token: str
    ) -> ServiceAnswer:
        """:meth:`add_member` for asyncio."""
        return await arun(self._add_member(room_id, client_id, auth_token, True))

    def _add_member(
        self, room_id: object, client_id: object, auth_token: object, asynchronous: bool
    ) -> Flow[ServiceAnswer]:
        # lib/rooms.ts:153-171
        path = f"/rooms/{_room_id(room_id)}/members"
        body = {"roomId": room_id, "clientId": _client_id(client_id)}
        return (yield from self._send("POST", path, auth_token, body, asynchronous))

    def remove_member(self, room_id: str, client_id: str | int, auth_token: str) -> ServiceAnswer:
        """Remove ``client_id`` from ``room_id``."""
        return run(self._remove_member(room_id, client_id, auth_token, False))

    async def aremove_member(
        self, room_id: str, client_id: str | int, auth_token: str
    ) -> ServiceAnswer:
        """:meth:`remove_member` for asyncio."""
        return await arun(self._remove_member(room_id, client_id, auth_token, True))

    def _remove_member(
        self, room_id: object, client_id: object, auth_token: object, asynchronous: bool
    ) -> Flow[ServiceAnswer]:
        # lib/rooms.ts:180-192: the Authorization header alone, and no body.
        path = f"/rooms/{_room_id(room_id)}/members/{segment('client_id', _client_id(client_id))}"
        return (yield from self._send("DELETE", path, auth_token, None, asynchronous))

    def set_member_type(
        self, room_id: str, client_id: str | int, member_type: MemberType, auth_token: str
    ) -> ServiceAnswer:
        """Make ``client_id`` an ``owner``, ``admin`` or ``member`` of ``room_id``."""
        return run(self._set_member_type(room_id, client_id, member_type, auth_token, False))

    async def aset_member_type(
        self, room_id: str, client_id: str | int, member_type: MemberType, auth_token: str
    ) -> ServiceAnswer:
        """:meth:`set_member_type` for asyncio."""
        return await arun(self._set_member_type(room_id, client_id, member_type, auth_token, True))

    def _set_member_type(
        self,
        room_id: object,
        client_id: object,
        member_type: object,
        auth_token: object,
        asynchronous: bool,
    ) -> Flow[ServiceAnswer]:
        # lib/rooms.ts:202-226
        client = _client_id(client_id)
        path = f"/rooms/{_room_id(room_id)}/members/{segment('client_id', client)}"
        body = {
            "roomId": room_id,
            "clientId": client,
            "memberType": choice("member_type", member_type, MEMBER_TYPES),
        }
        return (yield from self._send("PUT", path, auth_token, body, asynchronous))

    # --- one request ---------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        auth_token: object,
        body: dict[str, Any] | None,
        asynchronous: bool,
    ) -> Flow[ServiceAnswer]:
        """Send with the official library's headers: ``Content-Type: application/json`` and
        the bearer token, or the bearer token alone where there is no body."""
        authorization = bearer(auth_token)
        assert isinstance(auth_token, str)  # bearer() refuses anything else
        headers = {"Authorization": authorization}
        if body is not None:
            headers = {**_JSON_HEADERS, **headers}
        payload = None if body is None else encode_json(body)
        return (
            yield from self._service.call(
                method, path, headers, payload, token=auth_token, asynchronous=asynchronous
            )
        )
