"""Presence: who is in a room, as relaybox/core and its presence service keep and
broadcast it."""

from __future__ import annotations

from typing import Any, Final

from ._checks import check_permission, presence_event_of, room_id_of
from ._metrics import Metrics
from ._session import App, Session
from ._topics import Topics
from ._wire import CATCH_ALL, PRESENCE_EVENTS, AckError, PresenceTable, iso_now, logger

__all__ = ["Presence"]

#: relaybox/core caps ``presence:get`` at this many members.
PRESENCE_GET_CAP: Final = 10


class Presence:
    """The ``presence:*`` frames over the room -> connection -> member table."""

    def __init__(self, app: App, topics: Topics, metrics: Metrics, members: PresenceTable) -> None:
        self._app, self._topics, self._metrics, self._members = app, topics, metrics, members

    def __len__(self) -> int:
        return sum(len(m) for m in self._members.values())

    def clear(self) -> None:
        self._members.clear()

    def rooms(self) -> list[str]:
        """The rooms with presence members."""
        return list(self._members)

    def remove(self, room_id: str, session: Session) -> dict[str, Any] | None:
        """Remove ``session`` from the room's presence set; its entry, if it had one."""
        members = self._members.get(room_id)
        if members is None:
            return None
        member = members.pop(session.connection_id, None)
        if not members:
            del self._members[room_id]
        return member

    async def subscribe(self, session: Session, body: dict[str, Any]) -> Any:
        room_id = room_id_of(body)
        event = presence_event_of(body)
        check_permission(session.permissions, room_id, "presence")
        session.require_joined(room_id)
        topic = f"{self._app.nsp(room_id)}:$:presence:{event}"
        self._topics.subscribe(session, topic, room_id)
        self._metrics.push(room_id)
        return topic

    async def unsubscribe(self, session: Session, body: dict[str, Any]) -> Any:
        room_id = room_id_of(body)
        topic = f"{self._app.nsp(room_id)}:$:presence:{presence_event_of(body)}"
        self._topics.unsubscribe(session, topic)
        return topic

    async def unsubscribe_all(self, session: Session, body: dict[str, Any]) -> Any:
        nsp = self._app.nsp(room_id_of(body))
        for event in PRESENCE_EVENTS:
            self._topics.unsubscribe(session, f"{nsp}:$:presence:{event}")
        return True

    async def join(self, session: Session, body: dict[str, Any]) -> Any:
        client_id = session.require_client_id()
        room_id = room_id_of(body)
        session.require_joined(room_id)
        return await self._change(session, room_id, client_id, "join", body)

    async def update(self, session: Session, body: dict[str, Any]) -> Any:
        client_id = session.require_client_id()
        room_id = room_id_of(body)
        session.require_joined(room_id)
        if session.connection_id not in self._members.get(room_id, {}):
            raise AckError(f"Client not member of presence set for {self._app.nsp(room_id)}")
        return await self._change(session, room_id, client_id, "update", body)

    async def leave(self, session: Session, body: dict[str, Any]) -> Any:
        client_id = session.require_client_id()
        room_id = room_id_of(body)
        return await self._change(session, room_id, client_id, "leave", body)

    async def _change(
        self, session: Session, room_id: str, client_id: str, event: str, body: dict[str, Any]
    ) -> str:
        data = body.get("userData")
        timestamp = iso_now()
        members = self._members.setdefault(room_id, {})
        if event == "leave":
            members.pop(session.connection_id, None)
            if not members:
                del self._members[room_id]
        else:
            members.pop(session.connection_id, None)  # re-inserted: newest last
            members[session.connection_id] = {
                "clientId": client_id,
                "data": data,
                "timestamp": timestamp,
                "event": event,
                "connectionId": session.connection_id,
            }
        logger.info("presence %s %s %s", event, room_id, client_id)
        nsp = self._app.nsp(room_id)
        topic = f"{nsp}:$:presence:{event}"
        broadcast = {"clientId": client_id, "data": data, "timestamp": timestamp, "event": event}
        self._topics.fan_out([topic, f"{nsp}::{CATCH_ALL}"], broadcast)
        self._app.webhook(f"presence:{event}", {"roomId": room_id, "userData": data}, session)
        self._metrics.push(room_id)
        return topic

    async def get(self, session: Session, body: dict[str, Any]) -> Any:
        room_id = room_id_of(body)
        check_permission(session.permissions, room_id, "presence")
        newest = list(reversed(self._members.get(room_id, {}).values()))[:PRESENCE_GET_CAP]
        seen: set[str] = set()
        members = []
        for member in newest:
            if member["clientId"] not in seen:
                seen.add(member["clientId"])
                members.append(member)
        limit = body.get("limit")
        if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
            members = members[:limit]
        return members

    async def count(self, session: Session, body: dict[str, Any]) -> Any:
        room_id = room_id_of(body)
        check_permission(session.permissions, room_id, "presence")
        return len(self._members.get(room_id, {}))
