"""Rooms as relaybox/core keeps them in Postgres: visibility, password and members, and the
rules for changing them, shared by the WebSocket frames, the ``/state`` routes and the
:class:`~relaybox_integrations.emulator.Emulator`'s own methods.

Each operation takes the acting clientId (``actor``) and refuses with core's error names and
messages: only an owner or admin manages a room, only an owner makes an owner, and nobody
removes the owner. An actor is looked up among the room's members by clientId, removed ones
included, as core's query does.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from typing import Any, Final

from ..permissions import Permissions
from ._access import hash_password, validate_room_access
from ._checks import check_permission
from ._wire import AckError, iso_now

__all__ = ["MEMBER_TYPES", "VISIBILITIES", "Member", "Room", "RoomTable"]

VISIBILITIES: Final = ("public", "private", "protected", "authorized")
MEMBER_TYPES: Final = ("owner", "admin", "member")


class Member:
    """One clientId's membership of a room; a removed member is kept, marked deleted."""

    __slots__ = ("created_at", "deleted", "id", "member_type")

    def __init__(self, member_type: str) -> None:
        self.id = str(uuid.uuid4())
        self.member_type = member_type
        self.created_at = iso_now()
        self.deleted = False

    def as_json(self, room_id: str, client_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "roomId": room_id,
            "clientId": client_id,
            "memberType": self.member_type,
            "createdAt": self.created_at,
        }


class Room:
    """One room's settings and members."""

    __slots__ = ("members", "name", "password", "room_id", "uuid", "visibility")

    def __init__(self, room_id: str, visibility: str, name: str | None) -> None:
        self.room_id = room_id
        self.uuid = str(uuid.uuid4())
        self.visibility = visibility
        self.name = name
        #: (salt, hash) of a protected room's password
        self.password: tuple[bytes, bytes] | None = None
        #: clientId -> membership
        self.members: dict[str, Member] = {}

    def summary(self) -> dict[str, Any]:
        """What core's ``room:create`` acknowledges, and the official library's ``Room``."""
        return {"id": self.room_id, "uuid": self.uuid, "visibility": self.visibility}

    def set_visibility(self, visibility: object, password: object) -> None:
        """Make the room ``visibility``; a protected room needs its ``password``."""
        if visibility not in VISIBILITIES:
            raise AckError(
                f"Unsupported room type. Supported values: {', '.join(VISIBILITIES)}",
                "ValidationError",
            )
        if visibility == "protected":
            self.set_password(password)
        else:
            self.password = None
        self.visibility = str(visibility)

    def set_password(self, password: object) -> None:
        if not isinstance(password, str) or not password:
            raise AckError("Password is required for protected rooms", "ValidationError")
        salt = secrets.token_bytes(16)
        self.password = (salt, hash_password(password, salt))

    def upsert(self, client_id: str | None, member_type: str) -> None:
        """Add ``client_id`` as ``member_type``, or restore a removed member keeping their
        type, as core's upsert does (anonymous connections are not found by clientId)."""
        if not client_id:
            return
        member = self.members.get(client_id)
        if member is None:
            self.members[client_id] = Member(member_type)
        else:
            member.deleted = False

    def acting_type(self, actor: str | None) -> str | None:
        member = self.members.get(actor) if actor else None
        return None if member is None else member.member_type

    def require_manager(self, actor: str | None, message: str) -> str:
        """The actor's member type if it is owner or admin, else ``ForbiddenError``."""
        acting = self.acting_type(actor)
        if acting not in ("owner", "admin"):
            raise AckError(message, "ForbiddenError")
        return str(acting)


class RoomTable:
    """Every room of the application, by roomId."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._rooms: dict[str, Room] = {}

    def __len__(self) -> int:
        return len(self._rooms)

    def clear(self) -> None:
        self._rooms.clear()

    def get(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    def require(self, room_id: str) -> Room:
        room = self._rooms.get(room_id)
        if room is None:
            raise AckError("Room not found", "NotFoundError")
        return room

    def join(
        self, room_id: str, client_id: str | None, permissions: Permissions, body: Mapping[str, Any]
    ) -> tuple[Room, str]:
        """Admit a connection to ``room_id`` as core's ``room:join`` does, creating a public
        room on the first join: the room, and the member type to acknowledge."""
        room = self._rooms.get(room_id)
        if room is None:
            check_permission(permissions, room_id, "create")
            name = body.get("roomName")
            room = Room(room_id, "public", name if isinstance(name, str) and name else None)
            self._rooms[room_id] = room
            room.upsert(client_id, "member")
            return room, "member"
        member = room.members.get(client_id) if client_id else None
        validate_room_access(
            room_id,
            room.visibility,
            member is not None,
            member is not None and member.deleted,
            permissions,
            room.password,
            body,
            self._secret,
        )
        acknowledged = member.member_type if member is not None else "member"
        room.upsert(client_id, "member")
        return room, acknowledged

    def create(
        self,
        room_id: str,
        visibility: object,
        password: object,
        name: object,
        actor: str | None,
        permissions: Permissions | None,
    ) -> Room:
        """A new room, its creator (``actor``) its owner, as core's ``room:create``; with
        ``permissions`` None (the emulator's own API), no permission is needed."""
        if permissions is not None:
            check_permission(permissions, room_id, "create")
        if visibility not in VISIBILITIES:
            raise AckError(
                f"Unsupported room type. Supported values: {', '.join(VISIBILITIES)}",
                "ValidationError",
            )
        if visibility == "private" and permissions is not None:
            check_permission(permissions, room_id, "privacy")
        if room_id in self._rooms:
            raise AckError("Room already exists", "ForbiddenError")
        if name is not None and not isinstance(name, str):
            raise AckError("roomName must be a string", "ValidationError")
        room = Room(room_id, "public", name or None)
        room.set_visibility(visibility, password)
        room.upsert(actor, "owner")
        self._rooms[room_id] = room
        return room

    def set_visibility(
        self,
        room_id: str,
        visibility: object,
        password: object,
        actor: str | None,
        permissions: Permissions,
    ) -> Room:
        """The emulator's ``PUT /state/rooms/<id>/visibility``: core's rules for managing a
        room, and its create rule for private rooms (the ``privacy`` permission)."""
        room = self.require(room_id)
        room.require_manager(actor, "Operation not permitted")
        if visibility == "private":
            check_permission(permissions, room_id, "privacy")
        room.set_visibility(visibility, password)
        return room

    def update_password(self, room_id: str, password: object, actor: str | None) -> Room:
        """Core's ``room:password:update``."""
        room = self.require(room_id)
        if room.visibility != "protected":
            raise AckError("Room is not protected", "ValidationError")
        room.require_manager(actor, "Room is not owned by the client")
        room.set_password(password)
        return room

    def add_member(self, room_id: str, client_id: object, actor: str | None) -> Member:
        """Core's ``room:member:add``: a removed member comes back with their type."""
        room = self.require(room_id)
        room.require_manager(actor, "Operation not permitted")
        target = _client_id(client_id)
        room.upsert(target, "member")
        return room.members[target]

    def remove_member(self, room_id: str, client_id: object, actor: str | None) -> Member:
        """Core's ``room:member:remove``: the member is kept, marked removed."""
        room = self.require(room_id)
        room.require_manager(actor, "Room is not owned by the client")
        member = room.members.get(client_id) if isinstance(client_id, str) else None
        if member is None:
            raise AckError("Room member not found", "NotFoundError")
        if member.member_type == "owner":
            raise AckError("Room member is owner", "ForbiddenError")
        member.deleted = True
        return member

    def set_member_type(
        self, room_id: str, client_id: object, member_type: object, actor: str | None
    ) -> Member:
        """Core's ``room:member:type``: only an owner makes or changes an owner."""
        room = self.require(room_id)
        acting = room.acting_type(actor)
        if member_type == "owner" and acting != "owner":
            raise AckError("Operation permitted by owner only", "ForbiddenError")
        room.require_manager(actor, "Operation not permitted")
        member = room.members.get(client_id) if isinstance(client_id, str) else None
        if member is None:
            raise AckError("User not found", "NotFoundError")
        if member.member_type == "owner" and acting != "owner":
            raise AckError("Operation not permitted", "ForbiddenError")
        if member_type not in MEMBER_TYPES:
            raise AckError(
                f"memberType must be one of {', '.join(MEMBER_TYPES)}", "ValidationError"
            )
        member.member_type = str(member_type)
        return member


def _client_id(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise AckError("clientId must be a non-empty string", "ValidationError")
    return value
