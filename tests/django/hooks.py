"""Hooks the tests name by import string in ``RELAYBOX``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from relaybox_integrations.django import AccessDenied

NOT_A_FUNCTION = 42


def client_id_from_username(user: Any) -> str:
    return f"user-{user.get_username()}"


def client_id_from_database(user: Any) -> str:
    """Reads the ORM: must never run on the event loop."""
    return f"groups-{user.groups.count()}-{user.pk}"


async def async_client_id(user: Any) -> str:
    return f"async-{user.pk}"


def refuse_banned(user: Any) -> str:
    if user.get_username().startswith("banned"):
        raise AccessDenied("Banned users cannot use realtime features.")
    return str(user.pk)


def client_id_none(user: Any) -> None:
    return None


def staff_permissions(request: HttpRequest | None, user: Any, client_id: str | None) -> Any:
    """Staff get everything; others keep the static default (None)."""
    if user.is_staff:
        return {"staff:*": ["*"]}
    return None


def bad_permissions(request: HttpRequest | None, user: Any, client_id: str | None) -> Any:
    return {"room": ["fly"]}


def request_path_permissions(request: HttpRequest | None, user: Any, client_id: str | None) -> Any:
    """Permissions that depend on the request: proves the hook sees it (None from the CLI)."""
    room = "cli" if request is None else "web"
    return {room: ["subscribe"]}
