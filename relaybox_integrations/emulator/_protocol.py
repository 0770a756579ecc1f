"""The realtime protocol's state, as relaybox/core and its services keep it, in one process.

Rooms, connections, subscriptions, presence, history and metrics live in plain dicts here
where the hosted service keeps them in Redis, Postgres and RabbitMQ. Nothing here opens a
socket: the server module hands each connection in (aiohttp's WebSocket and its transport)
and feeds its frames in.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import datetime
import hmac
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from aiohttp import WSMsgType

from ..core import ApiKey, RelayBox
from ..errors import TokenVerificationError
from ..permissions import Permissions

__all__ = ["DeliveredMessage", "Hub", "Refused"]

logger = logging.getLogger("relaybox_integrations.emulator")

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
#: relaybox/core caps ``presence:get`` at this many members.
PRESENCE_GET_CAP: Final = 10
#: Bytes unsent to a subscriber beyond which fan-out skips it (uWebSockets' maxBackpressure).
MAX_BACKPRESSURE: Final = 1024 * 1024
#: Messages kept per room for history; older ones are dropped.
HISTORY_PER_ROOM: Final = 1000
HISTORY_MAX_LIMIT: Final = 100

_ROOM_ID = re.compile(r"^[a-zA-Z0-9\-_:.]+$")
_CATCH_ALL = "$:subscribe:all"
_PRESENCE_EVENTS = ("join", "leave", "update")
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


class Socket(Protocol):
    """What the hub needs of a WebSocket: aiohttp's ``WebSocketResponse`` fits."""

    @property
    def closed(self) -> bool: ...

    async def send_frame(
        self, message: bytes, opcode: WSMsgType, compress: int | None = None
    ) -> None: ...


class Refused(Exception):
    """An upgrade refused: the reason is shown to the developer, never a secret."""


class _AckError(Exception):
    """A frame answered with an acknowledgement error ``{name, message}``."""

    def __init__(self, message: str, name: str = "Error") -> None:
        super().__init__(message)
        self.name, self.message = name, message


def _text_frame(payload: bytes) -> bytes:
    """A final, unmasked WebSocket text frame (RFC 6455 section 5.2) holding ``payload``."""
    length = len(payload)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 1 << 16:
        header = bytes((0x81, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + length.to_bytes(8, "big")
    return header + payload


def _iso_now() -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _ms_now() -> int:
    return int(time.time() * 1000)


def match_room_permissions(room_id: str, permissions: Mapping[str, list[str]]) -> list[str] | None:
    """The names granted in ``room_id``, found as relaybox/core finds them: the exact key,
    then the first ``:``-segment pattern that covers the room (``*`` is one segment, a
    pattern's last segment covers the rest), then ``"*"``."""
    if room_id in permissions:
        return permissions[room_id]
    room_parts = room_id.split(":")
    for key, names in permissions.items():
        key_parts = key.split(":")
        if len(key_parts) > len(room_parts):
            continue
        if all(
            (key_parts[i] if i < len(key_parts) else key_parts[-1]) in ("*", part)
            for i, part in enumerate(room_parts)
        ):
            return names
    return permissions.get("*")


def permitted(permissions: Permissions, room_id: str, permission: str) -> bool:
    """Whether ``permissions`` (a list for every room, or a room map) allow ``permission``."""
    names = (
        permissions
        if isinstance(permissions, list)
        else match_room_permissions(room_id, permissions)
    )
    return names is not None and ("*" in names or permission in names)


def _http_error(status: int, name: str, message: str) -> dict[str, Any]:
    return {"statusCode": status, "name": name, "message": message}


def _refused(reason: str) -> tuple[int, dict[str, Any]]:
    """relaybox/core's answer to every refused ``POST /events``, with the reason it keeps to
    itself: the emulator adds it to the body and its log."""
    logger.info("POST /events refused: %s", reason)
    return 500, _http_error(500, "InternalServerError", reason)


def _check_permission(permissions: Permissions, room_id: str, permission: str) -> None:
    if not permitted(permissions, room_id, permission):
        raise _AckError(
            f'Client not permitted to perform "{permission}" in "{room_id}"', "ForbiddenError"
        )


@dataclass(frozen=True)
class DeliveredMessage:
    """One message the emulator fanned out to a room (from a client or ``POST /events``)."""

    room_id: str
    event: str
    data: Any
    #: The sender's identity; None for a connection without one or a server publish without
    #: ``client_id``.
    client_id: str | None
    #: The sending connection; None for a server publish (``POST /core/events``).
    connection_id: str | None
    id: str
    #: Milliseconds since the epoch.
    timestamp: int
    transient: bool = False
    #: The frame's body as subscribers received it.
    body: dict[str, Any] = field(repr=False, default_factory=dict)


class _Session:
    """One connection's identity and state; it outlives its socket for a reconnect."""

    __slots__ = (
        "client_id",
        "connection_id",
        "destroy_handle",
        "exp",
        "leave_handle",
        "permissions",
        "rooms",
        "sent",
        "socket",
        "socket_id",
        "subscriptions",
        "timestamp",
        "transport",
    )

    def __init__(
        self, connection_id: str, client_id: str | None, permissions: Permissions, exp: int | None
    ) -> None:
        self.connection_id = connection_id
        self.client_id = client_id
        self.permissions = permissions
        self.exp = exp
        self.timestamp = _iso_now()
        self.socket: Socket | None = None
        #: The socket's connection, which fan-out writes whole frames to.
        self.transport: asyncio.Transport | None = None
        self.socket_id = ""
        #: room id -> when it was joined
        self.rooms: dict[str, str] = {}
        #: topic -> room id
        self.subscriptions: dict[str, str] = {}
        self.sent: collections.deque[float] = collections.deque()
        self.leave_handle: asyncio.TimerHandle | None = None
        self.destroy_handle: asyncio.TimerHandle | None = None

    @property
    def uid(self) -> str:
        return self.client_id or self.connection_id


WebhookHook = Callable[[str, Any, "dict[str, Any]"], None]
Listener = Callable[[DeliveredMessage], None]


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
        self._relaybox = RelayBox(api_key)
        self._api_key = ApiKey(api_key)
        del api_key
        self.app_pid = self._api_key.app_pid
        self.key_id = self._api_key.key_id
        self.permissions = permissions
        self._on_webhook = on_webhook
        self._on_message = on_message
        self._sessions: dict[str, _Session] = {}
        self._topics: dict[str, set[_Session]] = {}
        self._rooms: dict[str, str] = {}  # room id -> uuid
        self._presence: dict[str, dict[str, dict[str, Any]]] = {}  # room -> connection -> member
        self._history: dict[str, collections.deque[dict[str, Any]]] = {}
        self._handlers: dict[str, Callable[[_Session, dict[str, Any]], Awaitable[Any]]] = {
            "ds:client:room:join": self._join,
            "ds:client:room:create": self._create,
            "ds:client:room:leave": self._leave,
            "ds:client:room:subscription:bind": self._bind,
            "ds:client:room:subscription:unbind": self._unbind,
            "ds:client:publish": self._publish,
            "ds:client:room:presence:subscribe": self._presence_subscribe,
            "ds:client:room:presence:unsubscribe": self._presence_unsubscribe,
            "ds:client:room:presence:unsubscribe:all": self._presence_unsubscribe_all,
            "ds:client:room:presence:join": self._presence_join,
            "ds:client:room:presence:leave": self._presence_leave,
            "ds:client:room:presence:update": self._presence_update,
            "ds:client:room:presence:get": self._presence_get,
            "ds:client:room:presence:count": self._presence_count,
            "ds:client:room:metrics:subscribe": self._metrics_subscribe,
            "ds:client:room:metrics:unsubscribe": self._metrics_unsubscribe,
        }
        self._unsupported = {
            "ds:client:room:password:update": "protected rooms (room passwords)",
            "ds:client:room:member:add": "room membership management",
            "ds:client:room:member:remove": "room membership management",
            "ds:client:room:member:type": "room membership management",
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

    # --- connections ---------------------------------------------------------------------

    def authenticate(self, query: Mapping[str, str]) -> _Session:
        """The session for an upgrade's query, or :class:`Refused` saying why not."""

        def param(name: str) -> str | None:
            value = query.get(name)
            return None if value in (None, "", "undefined") else value

        token, api_key = param("token"), param("apiKey")
        exp: int | None = None
        if token is not None:
            try:
                claims = self._relaybox.verify_token(token)
            except TokenVerificationError as exc:
                raise Refused(f"token refused: {exc}") from None
            client_id = claims.get("clientId")
            exp = claims.get("exp")
            inline = claims.get("permissions")
            permissions: Permissions = inline if inline else self.permissions
        elif api_key is not None:
            public_key, _, secret = api_key.partition(":")
            if public_key != self._api_key.public_key or not hmac.compare_digest(
                secret.encode(), self._api_key.secret.encode()
            ):
                raise Refused("apiKey refused: it is not this emulator's API key")
            client_id = param("clientId")
            permissions = self.permissions
        else:
            raise Refused("no token in the query: connect with ?token=... (or ?apiKey=...)")
        connection_id = param("connectionId")
        session = self._sessions.get(connection_id) if connection_id else None
        if session is not None:  # a reconnect: the new token's identity and permissions count
            session.client_id, session.permissions, session.exp = client_id, permissions, exp
            return session
        if connection_id is None:
            anonymous = "" if client_id else "__a__"
            connection_id = f"{self.app_pid}:{anonymous}{secrets.token_urlsafe(9)[:12]}"
        session = _Session(connection_id, client_id, permissions, exp)
        self._sessions[connection_id] = session
        return session

    async def attach(
        self, session: _Session, socket: Socket, transport: asyncio.Transport | None
    ) -> None:
        """Open ``socket`` for ``session``: restore a reconnect's state, then acknowledge."""
        for handle in (session.leave_handle, session.destroy_handle):
            if handle is not None:
                handle.cancel()
        session.leave_handle = session.destroy_handle = None
        session.socket, session.transport = socket, transport
        session.socket_id = str(uuid.uuid4())
        restored = f" (restored {len(session.rooms)} rooms)" if session.rooms else ""
        logger.info(
            "connected %s clientId=%s%s", session.connection_id, session.client_id, restored
        )
        self._on_webhook("auth:session:initialize", None, self._webhook_session(session))
        await self._send(
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

    def detach(self, session: _Session, socket: Socket) -> None:
        """``socket`` closed: keep the session for a reconnect, for a while."""
        if session.socket is not socket:  # already replaced by a reconnect
            return
        session.socket = session.transport = None
        logger.info("disconnected %s", session.connection_id)
        if not session.rooms and not session.subscriptions:
            self._sessions.pop(session.connection_id, None)  # nothing for a reconnect to keep
            return
        loop = asyncio.get_running_loop()
        session.leave_handle = loop.call_later(PRESENCE_GRACE, self._inactive, session)
        session.destroy_handle = loop.call_later(SESSION_GRACE, self._destroy, session)

    def sockets(self, client_id: str | None = None) -> list[Socket]:
        """Open sockets, all or ``client_id``'s."""
        return [
            s.socket
            for s in self._sessions.values()
            if s.socket is not None and (client_id is None or s.client_id == client_id)
        ]

    def _inactive(self, session: _Session) -> None:
        session.leave_handle = None
        for room_id in list(self._presence):
            member = self._leave_presence(room_id, session)
            if member is not None:
                body = {
                    "connectionId": session.connection_id,
                    "clientId": member["clientId"],
                    "event": "leave",
                    "timestamp": _iso_now(),
                    "user": None,
                }
                self._fan_out([f"{self._nsp(room_id)}:$:presence:leave"], body)

    def _destroy(self, session: _Session) -> None:
        session.destroy_handle = None
        if session.socket is None:
            self._forget(session)

    def _forget(self, session: _Session) -> None:
        for topic in session.subscriptions:
            self._unsubscribe_topic(session, topic)
        session.subscriptions.clear()
        for room_id in list(self._presence):
            self._leave_presence(room_id, session)
        self._sessions.pop(session.connection_id, None)

    def _leave_presence(self, room_id: str, session: _Session) -> dict[str, Any] | None:
        """Remove ``session`` from the room's presence set; its entry, if it had one."""
        members = self._presence.get(room_id)
        if members is None:
            return None
        member = members.pop(session.connection_id, None)
        if not members:
            del self._presence[room_id]
        return member

    def reset(self) -> None:
        """Forget every room, message and session state (open sockets stay open, blank)."""
        for session in self._sessions.values():
            for handle in (session.leave_handle, session.destroy_handle):
                if handle is not None:
                    handle.cancel()
            session.rooms.clear()
            session.subscriptions.clear()
            session.sent.clear()
        self._sessions = {k: s for k, s in self._sessions.items() if s.socket is not None}
        self._topics.clear()
        self._rooms.clear()
        self._presence.clear()
        self._history.clear()

    def counts(self) -> dict[str, int]:
        """Sizes of every table: tests check that nothing grows without bound."""
        return {
            "sessions": len(self._sessions),
            "topics": len(self._topics),
            "rooms": len(self._rooms),
            "presence": sum(len(m) for m in self._presence.values()),
        }

    # --- frames --------------------------------------------------------------------------

    async def receive(self, session: _Session, socket: Socket, text: str) -> None:
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
            if len(text.encode()) > MAX_FRAME_BYTES:
                raise _AckError("Message is too large")
            if not isinstance(kind, str):
                raise _AckError("the frame has no string 'type'", "ValidationError")
            handler = self._handlers.get(kind)
            if handler is None:
                feature = self._unsupported.get(kind)
                if feature is None:
                    raise _AckError(f"unknown message type {kind!r}", "ValidationError")
                raise _AckError(
                    f"the Relaybox emulator does not support {feature} ({kind})",
                    "NotImplementedError",
                )
            if not isinstance(body, dict):
                raise _AckError("the frame's 'body' must be a JSON object", "ValidationError")
            try:
                data = await handler(session, body)
            except _AckError:
                raise
            except Exception as exc:  # a bug here must not leave the client waiting forever
                logger.exception("failed on a %s frame", kind)
                raise _AckError(
                    f"the emulator failed on this frame ({type(exc).__name__}); its log "
                    "has the details",
                    "InternalError",
                ) from None
        except _AckError as error:
            if ack_id is not None:
                await self._send(
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
            await self._send(
                socket,
                {"type": "ds:server:message:acknowledged", "body": {"ackId": ack_id, "data": data}},
            )

    def _rate_limit(self, session: _Session) -> None:
        now = time.monotonic()
        sent = session.sent
        while sent and sent[0] <= now - RATE_LIMIT_WINDOW:
            sent.popleft()
        if len(sent) >= RATE_LIMIT_FRAMES:
            raise _AckError("Rate limit exceeded")
        sent.append(now)

    def _room_id(self, body: Mapping[str, Any]) -> str:
        room_id = body.get("roomId")
        if not isinstance(room_id, str) or not _ROOM_ID.match(room_id):
            raise _AckError(f"Invalid room id {room_id!r}", "ValidationError")
        return room_id

    def _event(self, body: Mapping[str, Any]) -> str:
        event = body.get("event")
        if not isinstance(event, str) or not event:
            raise _AckError("'event' must be a non-empty string", "ValidationError")
        return event

    def _nsp(self, room_id: str) -> str:
        return f"{self.app_pid}:{room_id}"

    def _member_guard(self, session: _Session, room_id: str) -> None:
        if room_id not in session.rooms:
            raise _AckError("Client not active in room")

    # --- rooms ---------------------------------------------------------------------------

    async def _join(self, session: _Session, body: dict[str, Any]) -> Any:
        self._rate_limit(session)
        room_id = self._room_id(body)
        exists = room_id in self._rooms
        _check_permission(session.permissions, room_id, "join" if exists else "create")
        room_uuid = self._rooms.setdefault(room_id, str(uuid.uuid4()))
        session.rooms.setdefault(room_id, _iso_now())
        logger.info("join %s -> %s", session.connection_id, room_id)
        self._on_webhook("room:join", {"roomId": room_id}, self._webhook_session(session))
        self._push_metrics(room_id)
        return {
            "uuid": room_uuid,
            "nspRoomId": self._nsp(room_id),
            "visibility": "public",
            "memberType": "member",
            "roomName": None,
        }

    async def _create(self, session: _Session, body: dict[str, Any]) -> Any:
        self._rate_limit(session)
        _check_permission(session.permissions, room_id := self._room_id(body), "create")
        visibility = body.get("visibility")
        if visibility != "public":
            if visibility in ("private", "protected", "authorized"):
                raise _AckError(
                    f"the Relaybox emulator supports only public rooms, not {visibility} ones",
                    "NotImplementedError",
                )
            raise _AckError(f"Invalid visibility {visibility!r}", "ValidationError")
        if room_id in self._rooms:
            raise _AckError("Room already exists", "ForbiddenError")
        room_uuid = self._rooms[room_id] = str(uuid.uuid4())
        data = {"id": room_id, "uuid": room_uuid, "visibility": "public"}
        self._on_webhook("room:create", data, self._webhook_session(session))
        return data

    async def _leave(self, session: _Session, body: dict[str, Any]) -> Any:
        room_id = self._room_id(body)
        nsp = self._nsp(room_id)
        for topic in [t for t, room in session.subscriptions.items() if room == room_id]:
            self._unsubscribe(session, topic)
        member = self._leave_presence(room_id, session)
        if member is not None:
            leave = {"clientId": session.client_id, "event": "leave", "timestamp": _iso_now()}
            self._fan_out([f"{nsp}:$:presence:leave", f"{nsp}::{_CATCH_ALL}"], leave)
        if session.rooms.pop(room_id, None) is not None:
            logger.info("leave %s <- %s", session.connection_id, room_id)
            self._on_webhook("room:leave", {"roomId": room_id}, self._webhook_session(session))
            self._push_metrics(room_id)
        return nsp

    async def _bind(self, session: _Session, body: dict[str, Any]) -> Any:
        room_id, event = self._room_id(body), self._event(body)
        _check_permission(session.permissions, room_id, "subscribe")
        self._member_guard(session, room_id)
        topic = f"{self._nsp(room_id)}::{event}"
        self._subscribe(session, topic, room_id)
        return topic

    async def _unbind(self, session: _Session, body: dict[str, Any]) -> Any:
        room_id = self._room_id(body)
        nsp = self._nsp(room_id)
        if body.get("event") is None:
            for topic in [t for t in session.subscriptions if t.startswith(f"{nsp}::")]:
                self._unsubscribe(session, topic)
            return nsp
        topic = f"{nsp}::{self._event(body)}"
        self._unsubscribe(session, topic)
        return topic

    async def _publish(self, session: _Session, body: dict[str, Any]) -> Any:
        self._rate_limit(session)
        room_id, event = self._room_id(body), self._event(body)
        _check_permission(session.permissions, room_id, "publish")
        options = body.get("opts")
        transient = isinstance(options, dict) and bool(options.get("transient"))
        message = {
            "id": str(uuid.uuid4()),
            "body": body.get("data"),
            "sender": {"clientId": session.client_id, "connectionId": session.connection_id},
            "timestamp": _ms_now(),
            "event": event,
        }
        logger.info("publish %s %s by %s", room_id, event, session.connection_id)
        await self.dispatch(room_id, message, transient)
        if not transient:
            self._on_webhook(
                "room:publish",
                {
                    "id": message["id"],
                    "body": message["body"],
                    "roomId": room_id,
                    "timestamp": message["timestamp"],
                    "event": event,
                },
                self._webhook_session(session),
            )
        return message

    async def dispatch(self, room_id: str, message: dict[str, Any], transient: bool) -> None:
        """Fan ``message`` out to the event's and the room's catch-all subscribers."""
        nsp = self._nsp(room_id)
        self._fan_out([f"{nsp}::{message['event']}", f"{nsp}::{_CATCH_ALL}"], message)
        if not transient:
            history = self._history.get(room_id)
            if history is None:
                history = self._history[room_id] = collections.deque(maxlen=HISTORY_PER_ROOM)
            history.append(message)
        sender = message["sender"]
        self._on_message(
            DeliveredMessage(
                room_id=room_id,
                event=message["event"],
                data=message["body"],
                client_id=sender.get("clientId"),
                connection_id=sender.get("connectionId"),
                id=message["id"],
                timestamp=message["timestamp"],
                transient=transient,
                body=message,
            )
        )

    # --- HTTP: POST /events and GET /history ----------------------------------------------

    async def server_publish(
        self, public_key: str | None, signature: str | None, raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        """``POST /core/events`` checked as relaybox/core checks it: the status and body."""
        if not public_key or not signature:
            return 400, _http_error(
                400, "BadRequestError", "Public key and signature headers are required"
            )
        if public_key != self._api_key.public_key:
            return _refused(
                f"unknown public key {public_key!r}; this emulator's key is "
                f"{self._api_key.public_key!r}"
            )
        if not hmac.compare_digest(
            self._relaybox._publisher().signature(raw).encode(), signature.encode()
        ):
            return _refused(
                "X-Ds-Req-Signature is not the HMAC-SHA256 of the body under the API key's secret"
            )
        try:
            request = json.loads(raw)
        except ValueError:
            return _refused("the body is not JSON")
        if not isinstance(request, dict):
            return _refused("the body is not a JSON object")
        room_id, event, sent_at = (
            request.get("roomId"),
            request.get("event"),
            request.get("timestamp"),
        )
        options = request.get("options") or {}
        if not isinstance(room_id, str) or not room_id or not isinstance(event, str) or not event:
            return _refused("the body needs string 'roomId' and 'event'")
        if not isinstance(sent_at, (int, float)) or isinstance(sent_at, bool):
            return _refused("the body needs a numeric 'timestamp' (milliseconds)")
        if _ms_now() - sent_at > 30_000:
            return _refused("the timestamp is more than 30 s old (check this machine's clock)")
        if not isinstance(options, dict):
            return _refused("'options' must be an object")
        if not permitted(self.permissions, room_id, "publish"):
            return _refused(f"the API key's permissions do not allow 'publish' in {room_id!r}")
        sender: dict[str, Any] = {"connectionId": None, "user": None}
        if options.get("clientId") is not None:
            sender = {"clientId": options["clientId"], **sender}
        request_id = str(uuid.uuid4())
        message = {
            "id": request_id,
            "body": request.get("data"),
            "sender": sender,
            "timestamp": _ms_now(),
            "event": event,
        }
        logger.info("publish %s %s over HTTP", room_id, event)
        await self.dispatch(room_id, message, bool(options.get("transient")))
        return 200, {"requestId": request_id, "timestamp": sent_at}

    def history(
        self, authorization: str | None, room_id: str, query: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """``GET /core/history/<roomId>/messages``: a page of the room's messages."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return 401, _http_error(
                401, "TokenError", "an Authorization: Bearer <token> header is required"
            )
        try:
            claims = self._relaybox.verify_token(token.strip())
        except TokenVerificationError as exc:
            return 401, _http_error(401, "TokenError", f"token refused: {exc}")
        permissions = claims.get("permissions") or self.permissions
        if not permitted(permissions, room_id, "history"):
            return 403, _http_error(
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
                return 400, _http_error(400, "BadRequestError", "nextPageToken is not valid")
        try:
            limit = int(query.get("limit") or HISTORY_MAX_LIMIT)
            start = int(query["start"]) if query.get("start") not in (None, "") else None
            end = int(query["end"]) if query.get("end") not in (None, "") else None
        except (TypeError, ValueError):
            return 400, _http_error(400, "BadRequestError", "start, end and limit must be integers")
        order = query.get("order") or "desc"
        event = query.get("event") or None
        if not 0 < limit <= HISTORY_MAX_LIMIT:
            return 400, _http_error(400, "BadRequestError", "limit must be from 1 to 100")
        if order not in ("asc", "desc"):
            return 400, _http_error(400, "BadRequestError", "order must be asc or desc")
        if start is not None and end is not None and end < start:
            return 400, _http_error(400, "BadRequestError", "end must not be before start")
        items = [
            m
            for m in self._history.get(room_id, ())
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
            next_token = base64.b64encode(_JSON.encode(cursor).encode()).decode()
        return 200, {"items": page, "nextPageToken": next_token}

    # --- presence ------------------------------------------------------------------------

    async def _presence_subscribe(self, session: _Session, body: dict[str, Any]) -> Any:
        room_id = self._room_id(body)
        event = self._presence_event(body)
        _check_permission(session.permissions, room_id, "presence")
        self._member_guard(session, room_id)
        topic = f"{self._nsp(room_id)}:$:presence:{event}"
        self._subscribe(session, topic, room_id)
        self._push_metrics(room_id)
        return topic

    async def _presence_unsubscribe(self, session: _Session, body: dict[str, Any]) -> Any:
        room_id = self._room_id(body)
        topic = f"{self._nsp(room_id)}:$:presence:{self._presence_event(body)}"
        self._unsubscribe(session, topic)
        return topic

    async def _presence_unsubscribe_all(self, session: _Session, body: dict[str, Any]) -> Any:
        nsp = self._nsp(self._room_id(body))
        for event in _PRESENCE_EVENTS:
            self._unsubscribe(session, f"{nsp}:$:presence:{event}")
        return True

    def _presence_event(self, body: Mapping[str, Any]) -> str:
        event = body.get("event")
        if event not in _PRESENCE_EVENTS:
            raise _AckError(
                f"presence event must be join, leave or update; got {event!r}", "ValidationError"
            )
        return str(event)

    def _identified(self, session: _Session) -> str:
        if not session.client_id:
            raise _AckError("No client id provided")
        return session.client_id

    async def _presence_join(self, session: _Session, body: dict[str, Any]) -> Any:
        client_id = self._identified(session)
        room_id = self._room_id(body)
        self._member_guard(session, room_id)
        return await self._presence_change(session, room_id, client_id, "join", body)

    async def _presence_update(self, session: _Session, body: dict[str, Any]) -> Any:
        self._rate_limit(session)
        client_id = self._identified(session)
        room_id = self._room_id(body)
        self._member_guard(session, room_id)
        if session.connection_id not in self._presence.get(room_id, {}):
            raise _AckError(f"Client not member of presence set for {self._nsp(room_id)}")
        return await self._presence_change(session, room_id, client_id, "update", body)

    async def _presence_leave(self, session: _Session, body: dict[str, Any]) -> Any:
        client_id = self._identified(session)
        room_id = self._room_id(body)
        return await self._presence_change(session, room_id, client_id, "leave", body)

    async def _presence_change(
        self, session: _Session, room_id: str, client_id: str, event: str, body: dict[str, Any]
    ) -> str:
        data = body.get("userData")
        timestamp = _iso_now()
        members = self._presence.setdefault(room_id, {})
        if event == "leave":
            members.pop(session.connection_id, None)
            if not members:
                del self._presence[room_id]
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
        nsp = self._nsp(room_id)
        topic = f"{nsp}:$:presence:{event}"
        broadcast = {"clientId": client_id, "data": data, "timestamp": timestamp, "event": event}
        self._fan_out([topic, f"{nsp}::{_CATCH_ALL}"], broadcast)
        self._on_webhook(
            f"presence:{event}",
            {"roomId": room_id, "userData": data},
            self._webhook_session(session),
        )
        self._push_metrics(room_id)
        return topic

    async def _presence_get(self, session: _Session, body: dict[str, Any]) -> Any:
        room_id = self._room_id(body)
        _check_permission(session.permissions, room_id, "presence")
        newest = list(reversed(self._presence.get(room_id, {}).values()))[:PRESENCE_GET_CAP]
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

    async def _presence_count(self, session: _Session, body: dict[str, Any]) -> Any:
        room_id = self._room_id(body)
        _check_permission(session.permissions, room_id, "presence")
        return len(self._presence.get(room_id, {}))

    # --- metrics -------------------------------------------------------------------------

    async def _metrics_subscribe(self, session: _Session, body: dict[str, Any]) -> Any:
        room_id = self._room_id(body)
        _check_permission(session.permissions, room_id, "metrics")
        topic = f"{self._nsp(room_id)}:$:metrics:all"
        self._subscribe(session, topic, room_id)
        return topic

    async def _metrics_unsubscribe(self, session: _Session, body: dict[str, Any]) -> Any:
        topic = f"{self._nsp(self._room_id(body))}:$:metrics:all"
        self._unsubscribe(session, topic)
        return topic

    def _push_metrics(self, room_id: str) -> None:
        nsp = self._nsp(room_id)
        topic = f"{nsp}:$:metrics:all"
        if not self._topics.get(topic):
            return
        in_room = [s for s in self._sessions.values() if room_id in s.rooms]
        presence_topics = {f"{nsp}:$:presence:{event}" for event in _PRESENCE_EVENTS}
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
        self._fan_out([topic, f"{nsp}::{_CATCH_ALL}"], counts)

    # --- topics and sending --------------------------------------------------------------

    def _subscribe(self, session: _Session, topic: str, room_id: str) -> None:
        session.subscriptions[topic] = room_id
        self._topics.setdefault(topic, set()).add(session)

    def _unsubscribe(self, session: _Session, topic: str) -> None:
        if session.subscriptions.pop(topic, None) is not None:
            self._unsubscribe_topic(session, topic)

    def _unsubscribe_topic(self, session: _Session, topic: str) -> None:
        subscribers = self._topics.get(topic)
        if subscribers is not None:
            subscribers.discard(session)
            if not subscribers:
                del self._topics[topic]

    def _fan_out(self, topics: Iterable[str], body: Any) -> None:
        """Push ``body`` to every subscriber of ``topics``. Server frames are unmasked, so one
        frame's bytes serve every subscriber: built once, written to each transport. A
        subscriber with over 1 MiB unsent is skipped until it catches up, as uWebSockets
        (relaybox/core's server) skips slow receivers."""
        for topic in topics:
            subscribers = self._topics.get(topic)
            if not subscribers:
                continue
            frame = _text_frame(_JSON.encode({"type": topic, "body": body}).encode())
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

    @staticmethod
    async def _send(socket: Socket, frame: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):  # closing: dropped next
            await socket.send_frame(_JSON.encode(frame).encode(), WSMsgType.TEXT)

    def _webhook_session(self, session: _Session) -> dict[str, Any]:
        return {
            "appPid": self.app_pid,
            "keyId": self.key_id,
            "clientId": session.client_id,
            "connectionId": session.connection_id,
            "socketId": session.socket_id,
            "timestamp": session.timestamp,
            "exp": session.exp,
            "user": None,
        }
