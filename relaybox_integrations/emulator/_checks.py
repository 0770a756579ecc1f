"""The checks relaybox/core makes on a frame's fields and on a connection's permissions, with
its refusals word for word, since a client's error handling may read them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..options import is_room_id
from ..permissions import Permissions
from ._wire import PRESENCE_EVENTS, AckError

__all__ = [
    "check_permission",
    "event_of",
    "match_room_permissions",
    "permitted",
    "presence_event_of",
    "room_id_of",
]


def room_id_of(body: Mapping[str, Any]) -> str:
    """The frame's ``roomId``, if relaybox/core would accept it."""
    room_id = body.get("roomId")
    if not is_room_id(room_id):
        raise AckError(f"Invalid room id {room_id!r}", "ValidationError")
    return room_id


def event_of(body: Mapping[str, Any]) -> str:
    """The frame's ``event``: a non-empty string."""
    event = body.get("event")
    if not isinstance(event, str) or not event:
        raise AckError("'event' must be a non-empty string", "ValidationError")
    return event


def presence_event_of(body: Mapping[str, Any]) -> str:
    """The frame's presence ``event``: join, leave or update."""
    event = body.get("event")
    if event not in PRESENCE_EVENTS:
        raise AckError(
            f"presence event must be join, leave or update; got {event!r}", "ValidationError"
        )
    return str(event)


def match_room_permissions(room_id: str, permissions: Mapping[str, list[str]]) -> list[str] | None:
    """The names granted in ``room_id``, found as relaybox/core finds them: the exact key,
    then the first ``:``-segment pattern that covers the room (``*`` is one segment, a
    pattern's last segment covers the rest), then ``"*"``."""
    if room_id in permissions:
        return permissions[room_id]
    room_parts = room_id.split(":")
    for key, names in permissions.items():
        key_parts = key.split(":")
        if len(key_parts) > len(room_parts):
            continue
        if all(
            (key_parts[i] if i < len(key_parts) else key_parts[-1]) in ("*", part)
            for i, part in enumerate(room_parts)
        ):
            return names
    return permissions.get("*")


def permitted(permissions: Permissions, room_id: str, permission: str) -> bool:
    """Whether ``permissions`` (a list for every room, or a room map) allow ``permission``."""
    names = (
        permissions
        if isinstance(permissions, list)
        else match_room_permissions(room_id, permissions)
    )
    return names is not None and ("*" in names or permission in names)


def check_permission(permissions: Permissions, room_id: str, permission: str) -> None:
    """Refuse, as relaybox/core does, what ``permissions`` do not allow in ``room_id``."""
    if not permitted(permissions, room_id, permission):
        raise AckError(
            f'Client not permitted to perform "{permission}" in "{room_id}"', "ForbiddenError"
        )
