"""History: each room's last messages, paged as ``GET /core/history/<roomId>/messages``
pages them."""

from __future__ import annotations

import base64
import collections
import json
from collections.abc import Mapping
from typing import Any, Final

from ..core import RelayBox
from ..errors import TokenVerificationError
from ..permissions import Permissions
from ._checks import permitted
from ._wire import JSON, http_error

__all__ = ["History"]

#: Messages kept per room for history; older ones are dropped.
HISTORY_PER_ROOM: Final = 1000
HISTORY_MAX_LIMIT: Final = 100


class History:
    """The messages kept per room, and the HTTP route that reads them."""

    def __init__(self, relaybox: RelayBox, permissions: Permissions) -> None:
        self._relaybox, self._permissions = relaybox, permissions
        self._rooms: dict[str, collections.deque[dict[str, Any]]] = {}

    def clear(self) -> None:
        self._rooms.clear()

    def add(self, room_id: str, message: dict[str, Any]) -> None:
        history = self._rooms.get(room_id)
        if history is None:
            history = self._rooms[room_id] = collections.deque(maxlen=HISTORY_PER_ROOM)
        history.append(message)

    def page(
        self, authorization: str | None, room_id: str, query: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """``GET /core/history/<roomId>/messages``: a page of the room's messages."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return 401, http_error(
                401, "TokenError", "an Authorization: Bearer <token> header is required"
            )
        try:
            claims = self._relaybox.verify_token(token.strip())
        except TokenVerificationError as exc:
            return 401, http_error(401, "TokenError", f"token refused: {exc}")
        permissions = claims.get("permissions") or self._permissions
        if not permitted(permissions, room_id, "history"):
            return 403, http_error(
                403,
                "ForbiddenError",
                f'Client not permitted to perform "history" in "{room_id}"',
            )
        if query.get("nextPageToken"):
            try:
                query = json.loads(base64.b64decode(query["nextPageToken"], validate=True))
                if not isinstance(query, dict):
                    raise ValueError
            except ValueError:
                return 400, http_error(400, "BadRequestError", "nextPageToken is not valid")
        try:
            limit = int(query.get("limit") or HISTORY_MAX_LIMIT)
            start = int(query["start"]) if query.get("start") not in (None, "") else None
            end = int(query["end"]) if query.get("end") not in (None, "") else None
        except (TypeError, ValueError):
            return 400, http_error(400, "BadRequestError", "start, end and limit must be integers")
        order = query.get("order") or "desc"
        event = query.get("event") or None
        if not 0 < limit <= HISTORY_MAX_LIMIT:
            return 400, http_error(400, "BadRequestError", "limit must be from 1 to 100")
        if order not in ("asc", "desc"):
            return 400, http_error(400, "BadRequestError", "order must be asc or desc")
        if start is not None and end is not None and end < start:
            return 400, http_error(400, "BadRequestError", "end must not be before start")
        items = [
            m
            for m in self._rooms.get(room_id, ())
            if (event is None or m["event"] == event)
            and (start is None or m["timestamp"] >= start)
            and (end is None or m["timestamp"] <= end)
        ]
        if order == "desc":
            items.reverse()
        last = query.get("lastItemId")
        if last is not None:
            ids = [m["id"] for m in items]
            items = items[ids.index(last) + 1 :] if last in ids else []
        page = items[:limit]
        next_token = None
        if len(page) == limit:
            cursor = {
                "event": event,
                "start": start,
                "end": end,
                "order": order,
                "limit": limit,
                "lastItemId": page[-1]["id"],
            }
            next_token = base64.b64encode(JSON.encode(cursor).encode()).decode()
        return 200, {"items": page, "nextPageToken": next_token}
