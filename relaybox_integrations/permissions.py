"""Validation of inline token permissions.

Relaybox accepts either a mapping of room names (or patterns) to permission names, or a list
of permission names that applies to every room. Inline permissions *replace* the API key's
own for the connection, so a mistake here either locks users out or lets them in too far:
every problem is reported with the room and the name at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

__all__ = [
    "FORBIDDEN_ROOM_CHARACTERS",
    "PERMISSION_NAMES",
    "Permissions",
    "PermissionsInput",
    "validate_permissions",
]

#: Every permission name Relaybox knows; ``*`` grants them all.
PERMISSION_NAMES = frozenset(
    {
        "create",
        "join",
        "subscribe",
        "publish",
        "presence",
        "metrics",
        "history",
        "intellect",
        "storage",
        "privacy",
        "*",
    }
)
#: Characters Relaybox refuses in a permission's room name or pattern.
FORBIDDEN_ROOM_CHARACTERS = frozenset("!@#$%^&()+=.")

#: The validated form: what goes into the token's ``permissions`` claim.
Permissions: TypeAlias = dict[str, list[str]] | list[str]
#: What callers may pass: any mapping of room to names, or any sequence of names.
PermissionsInput: TypeAlias = Mapping[str, Sequence[str]] | Sequence[str]

_SORTED_NAMES = ", ".join(sorted(PERMISSION_NAMES))


def validate_permissions(permissions: object) -> Permissions:
    """Return ``permissions`` as plain dicts and lists, or raise ``ValueError``.

    The message says what is wrong and where; callers re-raise it as the package error
    that fits (configuration or per-call).
    """
    if isinstance(permissions, Mapping):
        if not permissions:
            raise ValueError(
                "permissions is an empty mapping, which Relaybox ignores (the API key's own "
                "permissions would apply); pass None to mean that, or list the rooms"
            )
        return {
            _validate_room(room): _validate_names(names, f"room {room!r}")
            for room, names in permissions.items()
        }
    if isinstance(permissions, (str, bytes)) or not isinstance(permissions, Sequence):
        raise ValueError(
            "permissions must be a mapping of room name to a list of permission names, "
            'e.g. {"myRoom": ["publish", "presence"]}, or a list of permission names for '
            f'every room, e.g. ["*"]; got {type(permissions).__name__}'
        )
    if not permissions:
        raise ValueError(
            "permissions is an empty list, which Relaybox ignores (the API key's own "
            "permissions would apply); pass None to mean that"
        )
    return _validate_names(permissions, "permissions")


def _validate_room(room: object) -> str:
    if not isinstance(room, str):
        raise ValueError(f"permission room names must be strings; got {room!r}")
    if not room:
        raise ValueError("permission room names must not be empty")
    bad = sorted(FORBIDDEN_ROOM_CHARACTERS.intersection(room))
    if bad:
        raise ValueError(
            f"permission room {room!r} contains {' '.join(bad)}; room names and patterns "
            f"may not contain any of {' '.join(sorted(FORBIDDEN_ROOM_CHARACTERS))} "
            "('*' and ':' are fine)"
        )
    return room


def _validate_names(names: object, where: str) -> list[str]:
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise ValueError(
            f'{where}: permission names must be a list of strings, e.g. ["publish"]; '
            f"got {type(names).__name__}"
        )
    for name in names:
        if not isinstance(name, str) or name not in PERMISSION_NAMES:
            raise ValueError(f"{where}: unknown permission {name!r}; allowed: {_SORTED_NAMES}")
    return list(names)
