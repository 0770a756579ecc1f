"""Room metrics: the counts relaybox/core pushes to a room's metrics subscribers whenever
someone joins, leaves or changes presence."""

from __future__ import annotations

from typing import Any

from ._checks import check_permission, room_id_of
from ._session import App, Session, Sessions
from ._topics import Topics
from ._wire import CATCH_ALL, PRESENCE_EVENTS, PresenceTable

__all__ = ["Metrics"]


class Metrics:
    """The ``metrics:*`` frames, and the counts pushed after each change in a room."""

    def __init__(
        self, app: App, topics: Topics, sessions: Sessions, presence: PresenceTable
    ) -> None:
        self._app, self._topics, self._sessions, self._presence = app, topics, sessions, presence

    async def subscribe(self, session: Session, body: dict[str, Any]) -> Any:
        room_id = room_id_of(body)
        check_permission(session.permissions, room_id, "metrics")
        topic = f"{self._app.nsp(room_id)}:$:metrics:all"
        self._topics.subscribe(session, topic, room_id)
        return topic

    async def unsubscribe(self, session: Session, body: dict[str, Any]) -> Any:
        topic = f"{self._app.nsp(room_id_of(body))}:$:metrics:all"
        self._topics.unsubscribe(session, topic)
        return topic

    def push(self, room_id: str) -> None:
        """Push the room's counts to its metrics subscribers (and catch-all ones, as core)."""
        nsp = self._app.nsp(room_id)
        topic = f"{nsp}:$:metrics:all"
        if not self._topics.listened(topic):
            return
        in_room = [s for s in self._sessions if room_id in s.rooms]
        presence_topics = {f"{nsp}:$:presence:{event}" for event in PRESENCE_EVENTS}
        counts = {
            "connection": len(in_room),
            "subscriber": sum(
                1 for s in in_room if any(t.startswith(f"{nsp}::") for t in s.subscriptions)
            ),
            "publisher": len(in_room),
            "presenceSubscriber": sum(
                1 for s in in_room if presence_topics.intersection(s.subscriptions)
            ),
            "presenceMember": len(self._presence.get(room_id, {})),
        }
        self._topics.fan_out([topic, f"{nsp}::{CATCH_ALL}"], counts)
