"""Rooms and subscriptions over the WebSocket: joining, creating, managing and leaving rooms,
and binding events in them."""

from __future__ import annotations

from typing import Any

from ._checks import check_permission, event_of, room_id_of
from ._metrics import Metrics
from ._presence import Presence
from ._room_state import RoomTable
from ._session import App, Session
from ._topics import Topics
from ._wire import CATCH_ALL, iso_now, logger

__all__ = ["Rooms"]


class Rooms:
    """The ``room:*`` and ``subscription:*`` frames, over the table of rooms."""

    def __init__(
        self, app: App, topics: Topics, presence: Presence, metrics: Metrics, table: RoomTable
    ) -> None:
        self._app, self._topics, self._presence, self._metrics = app, topics, presence, metrics
        self._table = table

    async def join(self, session: Session, body: dict[str, Any]) -> Any:
        room_id = room_id_of(body)
        room, member_type = self._table.join(room_id, session.client_id, session.permissions, body)
        session.rooms.setdefault(room_id, iso_now())
        logger.info("join %s -> %s", session.connection_id, room_id)
        self._app.webhook("room:join", {"roomId": room_id}, session)
        self._metrics.push(room_id)
        return {
            "uuid": room.uuid,
            "nspRoomId": self._app.nsp(room_id),
            "visibility": room.visibility,
            "memberType": member_type,
            "roomName": room.name,
        }

    async def create(self, session: Session, body: dict[str, Any]) -> Any:
        room = self._table.create(
            room_id_of(body),
            body.get("visibility"),
            body.get("password"),
            body.get("roomName"),
            session.client_id,
            session.permissions,
        )
        data = room.summary()
        self._app.webhook("room:create", data, session)
        return data

    async def update_password(self, session: Session, body: dict[str, Any]) -> Any:
        room = self._table.update_password(
            room_id_of(body), body.get("password"), session.client_id
        )
        data = {"id": room.room_id, "visibility": room.visibility}
        self._app.webhook("room:password:update", data, session)
        return data

    async def add_member(self, session: Session, body: dict[str, Any]) -> Any:
        room_id, client_id = room_id_of(body), body.get("clientId")
        member = self._table.add_member(room_id, client_id, session.client_id)
        self._app.webhook("room:member:add", member.as_json(room_id, str(client_id)), session)
        return None  # core acknowledges what its upsert returns: nothing

    async def remove_member(self, session: Session, body: dict[str, Any]) -> Any:
        room_id, client_id = room_id_of(body), body.get("clientId")
        member = self._table.remove_member(room_id, client_id, session.client_id)
        self._app.webhook("room:member:remove", member.as_json(room_id, str(client_id)), session)
        return member.id

    async def set_member_type(self, session: Session, body: dict[str, Any]) -> Any:
        room_id, client_id = room_id_of(body), body.get("clientId")
        member = self._table.set_member_type(
            room_id, client_id, body.get("memberType"), session.client_id
        )
        self._app.webhook("room:member:type", member.as_json(room_id, str(client_id)), session)
        return None  # core acknowledges what its update returns: nothing

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
