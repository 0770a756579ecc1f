"""The :class:`~relaybox_integrations.emulator.Emulator`'s methods that set rooms up for a
test: what a room's owner, or the application's server, would do through ``/state``, without
a token and without the rules that apply to them."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from ._checks import room_id_of
from ._protocol import Hub
from ._room_state import MEMBER_TYPES, Member, Room
from ._wire import AckError

__all__ = ["EmulatedRoom", "RoomControl"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class EmulatedRoom:
    """A room as the emulator keeps it, for a test to check."""

    room_id: str
    uuid: str
    #: ``public``, ``private``, ``protected`` or ``authorized``
    visibility: str
    room_name: str | None
    #: clientId -> ``owner``, ``admin`` or ``member``; removed members are left out.
    members: dict[str, str] = field(default_factory=dict)


def _snapshot(room: Room) -> EmulatedRoom:
    return EmulatedRoom(
        room_id=room.room_id,
        uuid=room.uuid,
        visibility=room.visibility,
        room_name=room.name,
        members={c: m.member_type for c, m in room.members.items() if not m.deleted},
    )


def _checked(action: Callable[[], _T]) -> _T:
    """``action``'s result; its refusal as the ``ValueError`` a test expects of a bad call."""
    try:
        return action()
    except AckError as error:
        raise ValueError(error.message) from None


class RoomControl(abc.ABC):
    """Rooms set up by the test itself; state is cleared by ``reset()`` like the rest."""

    @abc.abstractmethod
    def _on_hub(self, action: Callable[[Hub], _T]) -> _T:
        """``action(hub)`` run where the hub's tables live, and its result."""

    def create_room(
        self,
        room_id: str,
        visibility: str = "public",
        *,
        password: str | None = None,
        members: Iterable[str] | Mapping[str, str] = (),
        room_name: str | None = None,
    ) -> EmulatedRoom:
        """Create ``room_id`` with ``visibility`` (a ``protected`` one needs ``password``),
        and ``members``: clientIds (each a ``member``), or clientId -> member type.

        Clients then join it by core's rules: an ``authorized`` room with an access token
        for it, a ``private`` one as a member with the ``privacy`` permission, a
        ``protected`` one with its password. Raises ``ValueError`` for a room that exists.
        """
        types = dict(members) if isinstance(members, Mapping) else dict.fromkeys(members, "member")

        def create(hub: Hub) -> EmulatedRoom:
            def make() -> Room:
                room_id_of({"roomId": room_id})
                if any(t not in MEMBER_TYPES for t in types.values()):
                    raise AckError(f"member types must be {', '.join(MEMBER_TYPES)}: {types}")
                return hub.rooms.create(room_id, visibility, password, room_name, None, None)

            room = _checked(make)
            for client_id, member_type in types.items():
                room.members[client_id] = Member(member_type)
            return _snapshot(room)

        return self._on_hub(create)

    def set_room_visibility(
        self, room_id: str, visibility: str, *, password: str | None = None
    ) -> EmulatedRoom:
        """Make the existing room ``room_id`` ``visibility`` (``protected``: with
        ``password``), as ``PUT /state/rooms/<id>/visibility`` would."""

        def change(hub: Hub) -> EmulatedRoom:
            def make() -> Room:
                room = hub.rooms.require(room_id)
                room.set_visibility(visibility, password)
                return room

            return _snapshot(_checked(make))

        return self._on_hub(change)

    def add_room_member(
        self, room_id: str, client_id: str, member_type: str = "member"
    ) -> EmulatedRoom:
        """Make ``client_id`` a member of ``room_id`` of ``member_type`` (a removed member
        comes back)."""

        def add(hub: Hub) -> EmulatedRoom:
            def make() -> Room:
                room = hub.rooms.require(room_id)
                if member_type not in MEMBER_TYPES:
                    raise AckError(f"member_type must be one of {', '.join(MEMBER_TYPES)}")
                if not isinstance(client_id, str) or not client_id:
                    raise AckError("client_id must be a non-empty str")
                room.members[client_id] = Member(member_type)
                return room

            return _snapshot(_checked(make))

        return self._on_hub(add)

    def remove_room_member(self, room_id: str, client_id: str) -> EmulatedRoom:
        """Remove ``client_id`` from ``room_id``: as in core, a removed member may not join
        the room again, whatever its visibility, until added back."""

        def remove(hub: Hub) -> EmulatedRoom:
            def make() -> Room:
                room = hub.rooms.require(room_id)
                member = room.members.get(client_id)
                if member is None:
                    raise AckError(f"{client_id!r} is not a member of {room_id!r}")
                member.deleted = True
                return room

            return _snapshot(_checked(make))

        return self._on_hub(remove)

    def room(self, room_id: str) -> EmulatedRoom | None:
        """The room ``room_id`` as the emulator keeps it; None if nobody made it."""

        def get(hub: Hub) -> EmulatedRoom | None:
            room = hub.rooms.get(room_id)
            return None if room is None else _snapshot(room)

        return self._on_hub(get)
