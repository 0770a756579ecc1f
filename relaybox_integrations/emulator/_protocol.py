"""The realtime protocol's state, as relaybox/core and its services keep it, in one process.

The :class:`Hub` holds one emulated application: its connections' lives (open, dropped,
resumed, forgotten) and the routing of each frame to the module that handles its type
(rooms, messages, presence, metrics), with core's per-type middleware (size and rate
limits) in front. Rooms, connections, subscriptions, presence, history and metrics live in
plain dicts where the hosted service keeps them in Redis, Postgres and RabbitMQ. Nothing
here opens a socket: the server module hands each connection in (aiohttp's WebSocket and its
transport) and feeds its frames in.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from ..core import ApiKey, RelayBox
from ..permissions import Permissions
from ._history import History
from ._messages import Listener, Messages
from ._metrics import Metrics
from ._presence import Presence
from ._room_state import RoomTable
from ._rooms import Rooms
from ._session import App, Session, Sessions, WebhookHook
from ._state import StateRoutes
from ._topics import Topics, send
from ._wire import AckError, PresenceTable, Socket, iso_now, logger

__all__ = ["Hub"]

#: Bytes: relaybox/core answers larger frames with an acknowledgement error.
MAX_FRAME_BYTES: Final = 64 * 1024
#: Frames per connection per window, as relaybox/core's defaults.
RATE_LIMIT_FRAMES: Final = 30
#: Seconds.
RATE_LIMIT_WINDOW: Final = 5.0
#: Seconds a dropped connection keeps its presence, waiting for a reconnect (the session
#: service's "user inactive" delay).
PRESENCE_GRACE: Final = 5.0
#: Seconds a dropped connection keeps its rooms and bindings for a reconnect (4 x core's
#: 30 s idle timeout).
SESSION_GRACE: Final = 120.0
#: The frame types relaybox/core's middleware rate-limits.
_RATE_LIMITED: Final = frozenset(
    {
        "ds:client:room:join",
        "ds:client:room:create",
        "ds:client:publish",
        "ds:client:room:presence:update",
    }
)
_UNSUPPORTED: Final = {
    "ds:client:room:intellect:subscribe": "intellect",
    "ds:client:room:intellect:unsubscribe": "intellect",
    "ds:client:room:intellect:unsubscribe:all": "intellect",
    # relaybox/core has no handler either; the client reads history over HTTP.
    "ds:client:room:history:get": "history over the WebSocket",
    "ds:client:auth:user:subscribe": "auth-service users",
    "ds:client:auth:user:unsubscribe": "auth-service users",
    "ds:client:auth:user:unsubscribe:all": "auth-service users",
    "ds:client:auth:user:status:update": "auth-service users",
}

Handler = Callable[[Session, dict[str, Any]], Awaitable[Any]]


class Hub:
    """Every room, connection and subscription of one emulated Relaybox application."""

    def __init__(
        self,
        api_key: str,
        permissions: Permissions,
        *,
        on_webhook: WebhookHook,
        on_message: Listener,
    ) -> None:
        relaybox = RelayBox(api_key)
        key = ApiKey(api_key)
        del api_key
        self.app_pid = key.app_pid
        self.key_id = key.key_id
        self._app = App(key.app_pid, key.key_id, on_webhook)
        self._sessions = Sessions(relaybox, key, permissions, key.app_pid)
        self._topics = Topics()
        presence_table: PresenceTable = {}
        metrics = Metrics(self._app, self._topics, self._sessions, presence_table)
        self._presence = Presence(self._app, self._topics, metrics, presence_table)
        self.rooms = RoomTable(key.secret)
        self._rooms = Rooms(self._app, self._topics, self._presence, metrics, self.rooms)
        self._state = StateRoutes(relaybox, self.rooms, permissions)
        self._history = History(relaybox, permissions)
        self._messages = Messages(
            self._app, self._topics, self._history, relaybox, key, permissions, on_message
        )
        rooms, presence = self._rooms, self._presence
        self._handlers: dict[str, Handler] = {
            "ds:client:room:join": rooms.join,
            "ds:client:room:create": rooms.create,
            "ds:client:room:leave": rooms.leave,
            "ds:client:room:password:update": rooms.update_password,
            "ds:client:room:member:add": rooms.add_member,
            "ds:client:room:member:remove": rooms.remove_member,
            "ds:client:room:member:type": rooms.set_member_type,
            "ds:client:room:subscription:bind": rooms.bind,
            "ds:client:room:subscription:unbind": rooms.unbind,
            "ds:client:publish": self._messages.publish,
            "ds:client:room:presence:subscribe": presence.subscribe,
            "ds:client:room:presence:unsubscribe": presence.unsubscribe,
            "ds:client:room:presence:unsubscribe:all": presence.unsubscribe_all,
            "ds:client:room:presence:join": presence.join,
            "ds:client:room:presence:leave": presence.leave,
            "ds:client:room:presence:update": presence.update,
            "ds:client:room:presence:get": presence.get,
            "ds:client:room:presence:count": presence.count,
            "ds:client:room:metrics:subscribe": metrics.subscribe,
            "ds:client:room:metrics:unsubscribe": metrics.unsubscribe,
        }

    # --- connections ---------------------------------------------------------------------

    def authenticate(self, query: Mapping[str, str]) -> Session:
        """The session for an upgrade's query, or :class:`Refused` saying why not."""
        return self._sessions.authenticate(query)

    async def attach(
        self, session: Session, socket: Socket, transport: asyncio.Transport | None
    ) -> None:
        """Open ``socket`` for ``session``: restore a reconnect's state, then acknowledge."""
        session.cancel_timers()
        session.socket, session.transport = socket, transport
        session.socket_id = str(uuid.uuid4())
        restored = f" (restored {len(session.rooms)} rooms)" if session.rooms else ""
        logger.info(
            "connected %s clientId=%s%s", session.connection_id, session.client_id, restored
        )
        self._app.webhook("auth:session:initialize", None, session)
        await send(
            socket,
            {
                "type": "ds:server:connection:acknowledged",
                "body": {
                    "uid": session.uid,
                    "clientId": session.client_id,
                    "connectionId": session.connection_id,
                },
            },
        )

    def detach(self, session: Session, socket: Socket) -> None:
        """``socket`` closed: keep the session for a reconnect, for a while."""
        if session.socket is not socket:  # already replaced by a reconnect
            return
        session.socket = session.transport = None
        logger.info("disconnected %s", session.connection_id)
        if not session.rooms and not session.subscriptions:
            self._sessions.forget(session)  # nothing for a reconnect to keep
            return
        loop = asyncio.get_running_loop()
        session.leave_handle = loop.call_later(PRESENCE_GRACE, self._inactive, session)
        session.destroy_handle = loop.call_later(SESSION_GRACE, self._destroy, session)

    def sockets(self, client_id: str | None = None) -> list[Socket]:
        """Open sockets, all or ``client_id``'s."""
        return [
            s.socket
            for s in self._sessions
            if s.socket is not None and (client_id is None or s.client_id == client_id)
        ]

    def _inactive(self, session: Session) -> None:
        session.leave_handle = None
        for room_id in self._presence.rooms():
            member = self._presence.remove(room_id, session)
            if member is not None:
                body = {
                    "connectionId": session.connection_id,
                    "clientId": member["clientId"],
                    "event": "leave",
                    "timestamp": iso_now(),
                    "user": None,
                }
                self._topics.fan_out([f"{self._app.nsp(room_id)}:$:presence:leave"], body)

    def _destroy(self, session: Session) -> None:
        session.destroy_handle = None
        if session.socket is None:
            self._topics.unsubscribe_all(session)
            for room_id in self._presence.rooms():
                self._presence.remove(room_id, session)
            self._sessions.forget(session)

    def reset(self) -> None:
        """Forget every room, message and session state (open sockets stay open, blank)."""
        for session in self._sessions:
            session.cancel_timers()
            session.rooms.clear()
            session.subscriptions.clear()
            session.sent.clear()
        self._sessions.keep_open()
        self._topics.clear()
        self.rooms.clear()
        self._presence.clear()
        self._history.clear()

    def counts(self) -> dict[str, int]:
        """Sizes of every table: tests check that nothing grows without bound."""
        return {
            "sessions": len(self._sessions),
            "topics": len(self._topics),
            "rooms": len(self.rooms),
            "presence": len(self._presence),
        }

    # --- HTTP ------------------------------------------------------------------------------

    async def server_publish(
        self, public_key: str | None, signature: str | None, raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        """``POST /core/events``: the status and body."""
        return await self._messages.server_publish(public_key, signature, raw)

    def history(
        self, authorization: str | None, room_id: str, query: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """``GET /core/history/<roomId>/messages``: the status and body."""
        return self._history.page(authorization, room_id, query)

    def state(
        self,
        method: str,
        raw_path: str,
        authorization: str | None,
        query: Mapping[str, str],
        raw: bytes,
    ) -> tuple[int, Any]:
        """The emulator's own ``/state`` routes (room management): the status and body."""
        return self._state.handle(method, raw_path, authorization, query, raw)

    # --- frames --------------------------------------------------------------------------

    async def receive(self, session: Session, socket: Socket, text: str) -> None:
        """Handle one text frame; every frame with an ``ackId`` gets an acknowledgement."""
        try:
            frame = json.loads(text)
        except ValueError:
            logger.info("ignored a frame that is not JSON from %s", session.connection_id)
            return
        if not isinstance(frame, dict):
            logger.info("ignored a frame that is not a JSON object from %s", session.connection_id)
            return
        kind, ack_id, body = frame.get("type"), frame.get("ackId"), frame.get("body")
        try:
            data = await self._handle(session, text, kind, body)
        except AckError as error:
            if ack_id is not None:
                await send(
                    socket,
                    {
                        "type": "ds:server:message:acknowledged",
                        "body": {
                            "ackId": ack_id,
                            "data": None,
                            "err": {"name": error.name, "message": error.message},
                        },
                    },
                )
            return
        if ack_id is not None:
            await send(
                socket,
                {"type": "ds:server:message:acknowledged", "body": {"ackId": ack_id, "data": data}},
            )

    async def _handle(self, session: Session, text: str, kind: object, body: object) -> Any:
        """The acknowledgement data for one frame, or :class:`AckError`."""
        if len(text.encode()) > MAX_FRAME_BYTES:
            raise AckError("Message is too large")
        if not isinstance(kind, str):
            raise AckError("the frame has no string 'type'", "ValidationError")
        handler = self._handlers.get(kind)
        if handler is None:
            feature = _UNSUPPORTED.get(kind)
            if feature is None:
                raise AckError(f"unknown message type {kind!r}", "ValidationError")
            raise AckError(
                f"the Relaybox emulator does not support {feature} ({kind})",
                "NotImplementedError",
            )
        if not isinstance(body, dict):
            raise AckError("the frame's 'body' must be a JSON object", "ValidationError")
        if kind in _RATE_LIMITED:
            self._rate_limit(session)
        try:
            return await handler(session, body)
        except AckError:
            raise
        except Exception as exc:  # a bug here must not leave the client waiting forever
            logger.exception("failed on a %s frame", kind)
            raise AckError(
                f"the emulator failed on this frame ({type(exc).__name__}); its log "
                "has the details",
                "InternalError",
            ) from None

    def _rate_limit(self, session: Session) -> None:
        now = time.monotonic()
        sent = session.sent
        while sent and sent[0] <= now - RATE_LIMIT_WINDOW:
            sent.popleft()
        if len(sent) >= RATE_LIMIT_FRAMES:
            raise AckError("Rate limit exceeded")
        sent.append(now)
