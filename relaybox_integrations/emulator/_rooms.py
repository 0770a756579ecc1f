"""Rooms and subscriptions: joining, creating and leaving rooms, and binding events in them."""

from __future__ import annotations

import uuid
from typing import Any

from ._checks import check_permission, event_of, room_id_of
from ._metrics import Metrics
from ._presence import Presence
from ._session import App, Session
from ._topics import Topics
from ._wire import CATCH_ALL, AckError, iso_now, logger

__all__ = ["Rooms"]


class Rooms:
    """The ``room:*`` and ``subscription:*`` frames, over the table of rooms."""

    def __init__(self, app: App, topics: Topics, presence: Presence, metrics: Metrics) -> None:
        self._app, self._topics, self._presence, self._metrics = app, topics, presence, metrics
        self._uuids: dict[str, str] = {}  # room id -> uuid

    def __len__(self) -> int:
        return len(self._uuids)

    def clear(self) -> None:
        self._uuids.clear()

    async def join(self, session: Session, body: dict[str, Any]) -> Any:
        room_id = room_id_of(body)
        exists = room_id in self._uuids
        check_permission(session.permissions, room_id, "join" if exists else "create")
        room_uuid = self._uuids.setdefault(room_id, str(uuid.uuid4()))
        session.rooms.setdefault(room_id, iso_now())
        logger.info("join %s -> %s", session.connection_id, room_id)
        self._app.webhook("room:join", {"roomId": room_id}, session)
        self._metrics.push(room_id)
        return {
            "uuid": room_uuid,
            "nspRoomId": self._app.nsp(room_id),
            "visibility": "public",
            "memberType": "member",
            "roomName": None,
        }

    async def create(self, session: Session, body: dict[str, Any]) -> Any:
        check_permission(session.permissions, room_id := room_id_of(body), "create")
        visibility = body.get("visibility")
        if visibility != "public":
            if visibility in ("private", "protected", "authorized"):
                raise AckError(
                    f"the Relaybox emulator supports only public rooms, not {visibility} ones",
                    "NotImplementedError",
                )
            raise AckError(f"Invalid visibility {visibility!r}", "ValidationError")
        if room_id in self._uuids:
            raise AckError("Room already exists", "ForbiddenError")
        room_uuid = self._uuids[room_id] = str(uuid.uuid4())
        data = {"id": room_id, "uuid": room_uuid, "visibility": "public"}
        self._app.webhook("room:create", data, session)
        return data

    async def leave(self, session: Session, body: dict[str, Any]) -> Any:
        room_id = room_id_of(body)
        nsp = self._app.nsp(room_id)
        self._topics.unsubscribe_room(session, room_id)
        member = self._presence.remove(room_id, session)
        if member is not None:
            leave = {"clientId": session.client_id, "event": "leave", "timestamp": iso_now()}
            self._topics.fan_out([f"{nsp}:$:presence:leave", f"{nsp}::{CATCH_ALL}"], leave)
        if session.rooms.pop(room_id, None) is not None:
            logger.info("leave %s <- %s", session.connection_id, room_id)
            self._app.webhook("room:leave", {"roomId": room_id}, session)
            self._metrics.push(room_id)
        return nsp

    async def bind(self, session: Session, body: dict[str, Any]) -> Any:
        room_id, event = room_id_of(body), event_of(body)
        check_permission(session.permissions, room_id, "subscribe")
        session.require_joined(room_id)
        topic = f"{self._app.nsp(room_id)}::{event}"
        self._topics.subscribe(session, topic, room_id)
        return topic

    async def unbind(self, session: Session, body: dict[str, Any]) -> Any:
        room_id = room_id_of(body)
        nsp = self._app.nsp(room_id)
        if body.get("event") is None:
            for topic in [t for t in session.subscriptions if t.startswith(f"{nsp}::")]:
                self._topics.unsubscribe(session, topic)
            return nsp
        topic = f"{nsp}::{event_of(body)}"
        self._topics.unsubscribe(session, topic)
        return topic
