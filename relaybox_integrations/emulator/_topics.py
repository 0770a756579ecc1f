"""Topics: which sessions listen on which topic, and pushing frames to them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any, Final

from aiohttp import WSMsgType

from ._session import Session
from ._wire import JSON, Socket, text_frame

__all__ = ["Topics", "send"]

#: Bytes unsent to a subscriber beyond which fan-out skips it (uWebSockets' maxBackpressure).
MAX_BACKPRESSURE: Final = 1024 * 1024


class Topics:
    """Every topic's subscribers; each session also lists its own topics."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Session]] = {}

    def __len__(self) -> int:
        return len(self._subscribers)

    def clear(self) -> None:
        self._subscribers.clear()

    def listened(self, topic: str) -> bool:
        return bool(self._subscribers.get(topic))

    def subscribe(self, session: Session, topic: str, room_id: str) -> None:
        session.subscriptions[topic] = room_id
        self._subscribers.setdefault(topic, set()).add(session)

    def unsubscribe(self, session: Session, topic: str) -> None:
        if session.subscriptions.pop(topic, None) is not None:
            self._drop(session, topic)

    def unsubscribe_room(self, session: Session, room_id: str) -> None:
        """Drop every topic ``session`` holds in ``room_id``."""
        for topic in [t for t, room in session.subscriptions.items() if room == room_id]:
            self.unsubscribe(session, topic)

    def unsubscribe_all(self, session: Session) -> None:
        for topic in session.subscriptions:
            self._drop(session, topic)
        session.subscriptions.clear()

    def _drop(self, session: Session, topic: str) -> None:
        subscribers = self._subscribers.get(topic)
        if subscribers is not None:
            subscribers.discard(session)
            if not subscribers:
                del self._subscribers[topic]

    def fan_out(self, topics: Iterable[str], body: Any) -> None:
        """Push ``body`` to every subscriber of ``topics``. Server frames are unmasked, so one
        frame's bytes serve every subscriber: built once, written to each transport. A
        subscriber with over 1 MiB unsent is skipped until it catches up, as uWebSockets
        (relaybox/core's server) skips slow receivers."""
        for topic in topics:
            subscribers = self._subscribers.get(topic)
            if not subscribers:
                continue
            frame = text_frame(JSON.encode({"type": topic, "body": body}).encode())
            for session in subscribers:
                transport, socket = session.transport, session.socket
                if (
                    transport is not None
                    and socket is not None
                    and not socket.closed  # nothing may follow a close frame
                    and not transport.is_closing()
                    and transport.get_write_buffer_size() <= MAX_BACKPRESSURE
                ):
                    transport.write(frame)


async def send(socket: Socket, frame: dict[str, Any]) -> None:
    """Send one frame to one socket; a socket closing meanwhile is dropped next anyway."""
    with contextlib.suppress(ConnectionError, RuntimeError):
        await socket.send_frame(JSON.encode(frame).encode(), WSMsgType.TEXT)
