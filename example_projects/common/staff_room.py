"""The demo's second room, ``demo:staff``: only the ``staff`` demo user may join it.

The room is meant to be ``authorized``: Relaybox admits a client to such a room only with a
room access token for it. Each example's room access endpoint hands tokens out through its
``can_join_room`` hook, which asks :func:`can_join`; the home page asks for a token, joins
with it, and shows the outcome either way (joined, or refused and why).
"""

from __future__ import annotations

from relaybox_integrations import AccessDenied

ROOM_ID = "demo:staff"
STAFF_USERNAME = "staff"
STAFF_PASSWORD = "staff-password"
#: Why everyone else is refused: the 403's message, which the page shows.
STAFF_ONLY = f"Only staff may join {ROOM_ID}."


def can_join(room_id: str, is_staff: bool) -> bool:
    """Whether a user may join ``room_id``: staff may join ``demo:staff``, which is the only
    room this demo hands tokens out for."""
    if room_id != ROOM_ID:
        return False
    if not is_staff:
        raise AccessDenied(STAFF_ONLY)
    return True
