"""A Relaybox realtime client for tests: what the browser client sends, from Python.

.. code-block:: python

    async with RealtimeClient(emulator.url, auth_endpoint=live_server + "/relaybox/auth") as client:
        room = await client.join("chat:lobby")
        await room.subscribe("message")
        await room.publish("message", {"text": "hi"})
        [message] = await room.wait_for_messages("message")

It takes its token as the browser client does, from the application's auth endpoint (a GET
with ``Content-Type: application/json`` and ``X-Client-Id``), or from a token response minted
directly. Frames, acknowledgements, topics and reconnects (with the same ``connectionId``)
follow the official client 3.x. It talks to the emulator or to any Relaybox core.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

from ..core import TokenResponse

__all__ = ["AckError", "Presence", "RealtimeClient", "RealtimeRoom"]

_CATCH_ALL: Final = "$:subscribe:all"
_PRESENCE_EVENTS: Final = ("join", "leave", "update")
#: As the browser client: reconnect with backoff 0.5 s x 2^attempt, at most 10 s, 10 times.
_RECONNECT_ATTEMPTS: Final = 10
#: Seconds the client waits for the connection acknowledgement (the browser client: 2).
_CONNECT_TIMEOUT: Final = 10.0


class AckError(Exception):
    """The server answered a frame with an acknowledgement error ``{name, message}``."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


def _base_urls(url: str) -> tuple[str, str]:
    """The WebSocket and HTTP core URLs for ``url``: an emulator's ``url`` (``http://host:port``)
    or a core URL ending in ``/core``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ValueError(f"url must be http(s):// or ws(s):// with a host; got {url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith("/core"):
        path += "/core"
    secure = parts.scheme in ("https", "wss")
    return (
        f"{'wss' if secure else 'ws'}://{parts.netloc}{path}",
        f"{'https' if secure else 'http'}://{parts.netloc}{path}",
    )


def _ack_id() -> str:
    """As the browser client makes them: milliseconds then nine base-36 characters."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return f"{int(time.time() * 1000)}{''.join(secrets.choice(alphabet) for _ in range(9))}"


class RealtimeClient:
    """One realtime connection, as the browser client makes it.

    Give ``auth_endpoint`` (with ``auth_headers``/``auth_params`` such as a session cookie)
    or ``token`` (a :class:`~relaybox_integrations.TokenResponse` or its JSON dict).
    """

    def __init__(
        self,
        url: str,
        *,
        auth_endpoint: str | None = None,
        token: TokenResponse | Mapping[str, Any] | None = None,
        client_id: str | None = None,
        auth_headers: Mapping[str, str] | None = None,
        auth_params: Mapping[str, str] | None = None,
        reconnect: bool = True,
    ) -> None:
        if (auth_endpoint is None) == (token is None):
            raise ValueError("give exactly one of auth_endpoint and token")
        self._ws_url, self._http_url = _base_urls(url)
        self._auth_endpoint = auth_endpoint
        self._token = token.as_dict() if isinstance(token, TokenResponse) else token
        self._requested_client_id = client_id
        self._auth_headers = dict(auth_headers or {})
        self._auth_params = dict(auth_params or {})
        self._reconnect = reconnect
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._frames: list[tuple[str, Any]] = []
        self._changed = asyncio.Condition()
        self._closing = False
        self._auth: dict[str, Any] = {}
        #: From the connection acknowledgement.
        self.connection_id: str | None = None
        self.client_id: str | None = None
        #: How many times the connection was opened (1 + reconnects).
        self.connections = 0

    def __repr__(self) -> str:
        return f"RealtimeClient(url={self._ws_url!r}, connection_id={self.connection_id!r})"

    # --- connecting ----------------------------------------------------------------------

    async def __aenter__(self) -> RealtimeClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _fetch_token(self) -> dict[str, Any]:
        if self._auth_endpoint is None:
            assert self._token is not None
            return dict(self._token)
        assert self._http is not None
        headers = {"Content-Type": "application/json", **self._auth_headers}
        if self._requested_client_id is not None:
            headers["X-Client-Id"] = self._requested_client_id
        async with self._http.get(
            self._auth_endpoint, headers=headers, params=self._auth_params
        ) as response:
            text = await response.text()
            if response.status != 200:
                raise ConnectionError(
                    f"the auth endpoint answered HTTP {response.status}: {text[:300]}"
                )
        body = json.loads(text)
        if not isinstance(body, dict) or not isinstance(body.get("token"), str):
            raise ConnectionError(f"the auth endpoint's answer has no token: {text[:300]}")
        return body

    async def connect(self) -> None:
        """Fetch a token and open the connection; returns once it is acknowledged."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
        self._closing = False
        self._auth = await self._fetch_token()
        await self._open()

    async def _open(self) -> None:
        assert self._http is not None
        query = {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in self._auth.items()
        }
        if self.connection_id is not None:
            query["connectionId"] = self.connection_id
        ws = await self._http.ws_connect(self._ws_url, params=query, autoping=True)
        try:
            first = await asyncio.wait_for(ws.receive(), _CONNECT_TIMEOUT)
            frame = json.loads(first.data) if first.type is aiohttp.WSMsgType.TEXT else None
            if (
                not isinstance(frame, dict)
                or frame.get("type") != "ds:server:connection:acknowledged"
            ):
                raise ConnectionError(
                    f"expected the connection acknowledgement; got {first.data!r}"
                )
        except BaseException:
            await ws.close()
            raise
        body = frame["body"]
        self.connection_id, self.client_id = body["connectionId"], body.get("clientId")
        self._ws = ws
        self.connections += 1
        self._reader = asyncio.ensure_future(self._read(ws))
        async with self._changed:
            self._changed.notify_all()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            kind, body = frame.get("type"), frame.get("body")
            if kind == "ds:server:message:acknowledged":
                future = self._pending.pop(body.get("ackId"), None)
                if future is not None and not future.done():
                    error = body.get("err")
                    if error:
                        future.set_exception(AckError(error.get("name"), error.get("message")))
                    else:
                        future.set_result(body.get("data"))
                continue
            async with self._changed:
                self._frames.append((kind, body))
                self._changed.notify_all()
        if not self._closing and self._reconnect:
            self._reconnecting = asyncio.ensure_future(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        for attempt in range(_RECONNECT_ATTEMPTS):
            await asyncio.sleep(min(10.0, 0.5 * 2**attempt))
            if self._closing:
                return
            try:
                if self._auth_endpoint is not None:
                    self._auth = await self._fetch_token()
                await self._open()
                return
            except (aiohttp.ClientError, ConnectionError, asyncio.TimeoutError):
                continue

    async def wait_connected(self, connections: int, timeout: float = 10) -> None:
        """Wait until the connection has been opened ``connections`` times (reconnects)."""
        await self._wait_until(
            lambda: self.connections >= connections,
            timeout,
            lambda: f"{self.connections} of {connections} connections in {timeout:g} s",
        )

    async def _wait_until(
        self, done: Callable[[], bool], timeout: float, progress: Callable[[], str]
    ) -> None:
        """Wait until ``done()``, re-checked whenever a frame arrives; on timeout, raise
        :class:`TimeoutError` saying ``progress()``."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(done), timeout)
            except asyncio.TimeoutError:
                raise TimeoutError(progress()) from None

    async def close(self) -> None:
        """Close the connection (no reconnect) and the HTTP session."""
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        if self._http is not None:
            await self._http.close()
            self._http = None

    # --- frames --------------------------------------------------------------------------

    async def request(self, kind: str, body: Mapping[str, Any], timeout: float = 10) -> Any:
        """Send a frame that expects an acknowledgement; its data, or :class:`AckError`."""
        if self._ws is None or self._ws.closed:
            raise ConnectionError("not connected")
        ack_id = _ack_id()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ack_id] = future
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        frame = {
            "type": kind,
            "body": {**body, "intiatedAt": now},
            "ackId": ack_id,
            "createdAt": now,
        }
        await self._ws.send_str(json.dumps(frame))
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(ack_id, None)

    def frames(self, topic: str) -> list[Any]:
        """Bodies pushed with ``type == topic``, oldest first."""
        return [body for kind, body in self._frames if kind == topic]

    async def wait_for_frames(self, topic: str, count: int = 1, timeout: float = 5) -> list[Any]:
        """At least ``count`` bodies pushed on ``topic``, waiting up to ``timeout`` seconds."""
        await self._wait_until(
            lambda: len(self.frames(topic)) >= count,
            timeout,
            lambda: f"{len(self.frames(topic))} of {count} frames on {topic!r} in {timeout:g} s",
        )
        return self.frames(topic)

    # --- rooms ---------------------------------------------------------------------------

    async def join(
        self, room_id: str, *, password: str | None = None, access_token: str | None = None
    ) -> RealtimeRoom:
        """Join ``room_id`` (creating it), as ``relayBox.join(roomId, {password,
        accessToken})``: a protected room needs its password, an authorized one an access
        token for it."""
        body: dict[str, Any] = {"roomId": room_id}
        if password is not None:
            body["password"] = password
        if access_token is not None:
            body["accessToken"] = access_token
        answer = await self.request("ds:client:room:join", body)
        room = RealtimeRoom(self, room_id, answer["nspRoomId"])
        room.joined = dict(answer)
        return room

    async def history(self, room_id: str, **params: str | int) -> dict[str, Any]:
        """``GET /core/history/<room_id>/messages`` with the token, as ``room.history.get``."""
        assert self._http is not None
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self._auth['token']}",
        }
        url = f"{self._http_url}/history/{room_id}/messages"
        query = {key: str(value) for key, value in params.items()}
        async with self._http.get(url, headers=headers, params=query) as response:
            body = await response.json()
            if response.status != 200:
                raise AckError(body.get("name", "Error"), body.get("message", str(response.status)))
            return dict(body)


class RealtimeRoom:
    """A joined room: subscribe, publish, presence, history, leave."""

    def __init__(self, client: RealtimeClient, room_id: str, nsp_room_id: str) -> None:
        self.client, self.room_id, self.nsp_room_id = client, room_id, nsp_room_id
        self.presence = Presence(self)
        #: The join's acknowledgement: ``{uuid, nspRoomId, visibility, memberType, roomName}``.
        self.joined: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"RealtimeRoom({self.room_id!r})"

    def _topic(self, event: str) -> str:
        return f"{self.nsp_room_id}::{event}"

    async def subscribe(self, event: str = _CATCH_ALL) -> None:
        """Bind ``event`` (default: every event), as ``room.subscribe(event, handler)``."""
        await self.client.request(
            "ds:client:room:subscription:bind", {"roomId": self.room_id, "event": event}
        )

    async def unsubscribe(self, event: str | None = None) -> None:
        """Unbind ``event``, or every event."""
        body: dict[str, Any] = {"roomId": self.room_id}
        if event is not None:
            body["event"] = event
        await self.client.request("ds:client:room:subscription:unbind", body)

    async def publish(self, event: str, data: Any, *, transient: bool = False) -> dict[str, Any]:
        """Publish to the room; the message as the server built it."""
        body: dict[str, Any] = {"roomId": self.room_id, "event": event, "data": data}
        if transient:
            body["opts"] = {"transient": True}
        return dict(await self.client.request("ds:client:publish", body))

    def messages(self, event: str | None = None) -> list[dict[str, Any]]:
        """Messages received in this room (on bound events or the catch-all), oldest first,
        each once."""
        seen: set[Any] = set()
        found = []
        prefix = f"{self.nsp_room_id}::"
        for kind, body in self.client._frames:
            if not kind.startswith(prefix) or not isinstance(body, dict) or "id" not in body:
                continue
            if (event is None or body.get("event") == event) and body["id"] not in seen:
                seen.add(body["id"])
                found.append(body)
        return found

    async def wait_for_messages(
        self, event: str | None = None, count: int = 1, timeout: float = 5
    ) -> list[dict[str, Any]]:
        """At least ``count`` messages (of ``event``), waiting up to ``timeout`` seconds."""
        await self.client._wait_until(
            lambda: len(self.messages(event)) >= count,
            timeout,
            lambda: (
                f"{len(self.messages(event))} of {count} messages {event or ''} in room "
                f"{self.room_id!r} in {timeout:g} s"
            ),
        )
        return self.messages(event)

    async def history(self, **params: str | int) -> dict[str, Any]:
        """``{items, nextPageToken}``; params: limit, start, end, order, nextPageToken."""
        return await self.client.history(self.room_id, **params)

    async def leave(self) -> None:
        """Leave as ``room.leave()`` does: leave, then the metrics unsubscribe it always sends."""
        await self.client.request("ds:client:room:leave", {"roomId": self.room_id})
        await self.client.request(
            "ds:client:room:metrics:unsubscribe", {"roomId": self.room_id, "event": "all"}
        )


class Presence:
    """A room's presence set."""

    def __init__(self, room: RealtimeRoom) -> None:
        self._room = room

    def _body(self, **extra: Any) -> dict[str, Any]:
        return {"roomId": self._room.room_id, **extra}

    async def subscribe(self) -> None:
        """Receive join, leave and update events."""
        for event in _PRESENCE_EVENTS:
            await self._room.client.request(
                "ds:client:room:presence:subscribe", self._body(event=event)
            )

    async def enter(self, data: Any = None) -> None:
        """Join the presence set with ``data`` (``room.presence.join``); needs a clientId."""
        await self._room.client.request("ds:client:room:presence:join", self._body(userData=data))

    async def update(self, data: Any) -> None:
        """Replace this connection's presence data; only once it has entered."""
        await self._room.client.request("ds:client:room:presence:update", self._body(userData=data))

    async def leave(self, data: Any = None) -> None:
        """Leave the presence set."""
        await self._room.client.request("ds:client:room:presence:leave", self._body(userData=data))

    async def get(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The members, newest first, one per clientId (at most 10, as Relaybox)."""
        body = self._body() if limit is None else self._body(limit=limit)
        return list(await self._room.client.request("ds:client:room:presence:get", body))

    async def count(self) -> int:
        """How many connections are in the presence set."""
        return int(await self._room.client.request("ds:client:room:presence:count", self._body()))

    def events(self, event: str) -> list[dict[str, Any]]:
        """Presence ``event`` (join, leave or update) bodies received, oldest first."""
        return list(self._room.client.frames(f"{self._room.nsp_room_id}:$:presence:{event}"))

    async def wait_for(self, event: str, count: int = 1, timeout: float = 5) -> list[Any]:
        """At least ``count`` presence ``event`` bodies, waiting up to ``timeout`` seconds."""
        topic = f"{self._room.nsp_room_id}:$:presence:{event}"
        return await self._room.client.wait_for_frames(topic, count, timeout)
