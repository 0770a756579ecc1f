"""A local stand-in for Relaybox's ``POST /events``, checking each request as the service does.

What the service does, from its public source (``relaybox/core``, ``handlers/events/post.ts``
and the modules it calls), and so what this does:

- 400 ``{"statusCode":400,"name":"BadRequestError","message":"Public key and signature
  headers are required"}`` when ``X-Ds-Public-Key`` or ``X-Ds-Req-Signature`` is missing or
  empty;
- then the key is looked up by the ``appPid`` and ``keyId`` of the public key, the raw body is
  decoded as UTF-8 and encoded again, its HMAC-SHA256 in lowercase hex compared with the
  signature, the body parsed as JSON, its ``timestamp`` refused when more than 30 s in the
  past (the future is not checked), and the key's own permissions must allow ``publish`` on
  ``roomId`` (exact name, ``:``-separated ``*`` patterns, then ``"*"``). Any failure is
  ``500 {"statusCode":500,"name":"InternalServerError"}``, with the status line
  ``500 Bad Request`` as the service writes it;
- success is ``200 {"requestId": "<uuid>", "timestamp": <the body's timestamp>}``.

Each request is recorded (``requests``: the raw bytes, headers and verdict) and each accepted
one in ``published``, so tests can check what went out. Faults for the next requests are
queued with :meth:`EventsStandin.fail_next`: a status (502, 503, 504...), a stall (no answer
for a while) or a drop (the connection closed after the request was read), each optionally
publishing first. The server is a plain asyncio protocol so that it stays far faster than
the clients benchmarked against it.

In a test: ``with EventsStandin({TEST_API_KEY: ["*"]}) as standin: ...`` (``standin.url`` is
the core URL). As a process, for servers pointed at it with ``RELAYBOX_CORE_URL``::

    python -m tests.support.events_standin --port 8765 [--keys '{"app.key:secret": ["*"]}']

It prints ``listening on http://127.0.0.1:PORT`` once ready, and serves JSON control routes:
``GET /_standin/published``, ``GET /_standin/requests``, ``GET /_standin/stats`` (counts),
``POST /_standin/faults`` (a list of
``{"kind": "status", "status": 503}``-style objects) and ``POST /_standin/reset``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import hashlib
import hmac
import json
import math
import os
import socket
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

from tests.support.servers import TEST_API_KEY

MAX_TIMESTAMP_AGE_MS = 30_000
BAD_REQUEST = {
    "statusCode": 400,
    "name": "BadRequestError",
    "message": "Public key and signature headers are required",
}
INTERNAL_ERROR = {"statusCode": 500, "name": "InternalServerError"}
#: The service's own status lines (its 500 says "Bad Request").
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 411: "Length Required"}
REASONS.update({500: "Bad Request", 502: "Bad Gateway", 503: "Service Unavailable"})
REASONS.update({504: "Gateway Timeout"})

Permissions = list[str] | dict[str, list[str]]


@dataclasses.dataclass(frozen=True)
class Fault:
    """What to do instead of answering one request normally.

    ``kind`` is ``"status"`` (answer ``status`` with a gateway-like body), ``"stall"`` (do
    the work now, answer only after ``seconds``) or ``"drop"`` (close the connection without
    answering). For ``"status"`` and ``"drop"``, ``publish`` decides whether the event is taken
    first, as when the service did its work and the answer was lost on the way back.
    """

    kind: str
    status: int = 503
    seconds: float = 60.0
    publish: bool = False

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Fault:
        return cls(**value)


@dataclasses.dataclass
class Received:
    """One request as it arrived, and what the stand-in made of it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    #: Why the service would refuse it (``"signature"``, ``"timestamp"``...), or None.
    refusal: str | None = None
    fault: Fault | None = None
    connection: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
            "status": self.status,
            "refusal": self.refusal,
            "connection": self.connection,
        }


@dataclasses.dataclass
class Published:
    """An event the service would have published."""

    public_key: str
    room_id: str
    event: Any
    data: Any
    client_id: Any
    transient: Any
    timestamp: Any
    request_id: str
    body: bytes
    signature: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "publicKey": self.public_key,
            "roomId": self.room_id,
            "event": self.event,
            "data": self.data,
            "clientId": self.client_id,
            "transient": self.transient,
            "timestamp": self.timestamp,
            "requestId": self.request_id,
        }


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _no_constants(name: str) -> Any:
    raise ValueError(f"JSON.parse has no {name}")


_JSON_PARSE = json.JSONDecoder(parse_constant=_no_constants).decode


def match_room_permissions(room_id: str, permissions: Permissions) -> list[str] | None:
    """The service's ``matchRoomPermissions``: exact room, first matching pattern, ``*``."""
    if isinstance(permissions, list):
        return permissions
    if room_id in permissions:
        return permissions[room_id]
    room_parts = room_id.split(":")
    # Object.keys order: integer-like keys first, ascending; then insertion order.
    integer_like = sorted((k for k in permissions if k.isdigit() and str(int(k)) == k), key=int)
    keys = integer_like + [k for k in permissions if k not in integer_like]
    for key in keys:
        key_parts = key.split(":")
        matches = all(
            (key_parts[i] if i < len(key_parts) else key_parts[-1]) in ("*", part)
            for i, part in enumerate(room_parts)
        )
        if matches and len(key_parts) <= len(room_parts):
            return permissions[key]
    return permissions.get("*")


class EventsStandin:
    """The stand-in server; ``keys`` maps API keys (``app.key:secret``) to their permissions."""

    def __init__(
        self,
        keys: dict[str, Permissions] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
        record: bool = True,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._secrets: dict[tuple[str, str], tuple[hmac.HMAC, Permissions]] = {}
        for api_key, permissions in (keys or {TEST_API_KEY: ["*"]}).items():
            public_key, secret = api_key.split(":")
            app_pid, key_id = public_key.split(".")
            keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)  # copied per request
            self._secrets[(app_pid, key_id)] = (keyed, permissions)
        self.clock = clock
        self.tls = tls
        self.host = host
        self.port = port
        self.requests: list[Received] = []
        self.published: list[Published] = []
        self.faults: list[Fault] = []
        self.connections = 0
        #: False keeps counts only (``stats``), for long benchmark runs.
        self.record = record
        self.counts: collections.Counter[str] = collections.Counter()
        self.open_connections: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The core URL to give ``RelayBox(core_url=...)``."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    # --- control ---------------------------------------------------------------------------

    def fail_next(self, *faults: Fault) -> None:
        """Queue faults for the next requests to ``/events``, one each, in order."""
        with self._lock:
            self.faults.extend(faults)

    def close_connections(self) -> None:
        """Close every open connection, as a server does to idle keep-alive connections."""
        assert self._loop is not None

        async def close() -> None:
            for connection in list(self.open_connections):
                connection.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.published.clear()
            self.faults.clear()
            self.counts.clear()
            self.connections = 0

    # --- the service's checks --------------------------------------------------------------

    def check(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        """The status and JSON answer the service would give; records what it publishes."""
        public_key = headers.get("x-ds-public-key", "")
        signature = headers.get("x-ds-req-signature", "")
        if not public_key or not signature:
            raise _Refused("headers")
        app_pid, _, key_id = public_key.partition(".")
        key_id = key_id.split(".")[0]
        try:
            keyed, permissions = self._secrets[(app_pid, key_id)]
        except KeyError:
            raise _Refused("unknown key") from None
        # The service reads the body into a string and signs that string's UTF-8 bytes: the
        # body itself when it is valid UTF-8, else the text with U+FFFD for each bad sequence.
        try:
            text = body.decode()
            signed = body
        except UnicodeDecodeError:
            text = body.decode("utf-8", "replace")
            signed = text.encode()
        mac = keyed.copy()
        mac.update(signed)
        if signature != mac.hexdigest():
            raise _Refused("signature")
        try:
            message = _JSON_PARSE(text)
        except ValueError:
            raise _Refused("json") from None
        if message is None:
            raise _Refused("json")
        if not isinstance(message, dict):
            message = {}
        options = message.get("options")
        if not isinstance(options, dict):
            options = {}
        timestamp = message.get("timestamp")
        now_ms = self.clock() * 1000
        if isinstance(timestamp, bool) or timestamp is None:
            timestamp_value: float = float(bool(timestamp))
        elif isinstance(timestamp, (int, float)):
            timestamp_value = timestamp
        else:
            timestamp_value = math.nan  # JavaScript: a NaN comparison is false, so it passes
        if now_ms - timestamp_value > MAX_TIMESTAMP_AGE_MS:
            raise _Refused("timestamp")
        room_id = message.get("roomId")
        if not isinstance(room_id, str):
            raise _Refused("room id")  # the service calls roomId.split(':')
        allowed = match_room_permissions(room_id, permissions)
        if not allowed or not ("*" in allowed or "publish" in allowed):
            raise _Refused("permission")
        request_id = str(uuid.uuid4())
        with self._lock:
            self.counts["published"] += 1
            if not self.record:
                return 200, {"requestId": request_id, "timestamp": timestamp}
            self.published.append(
                Published(
                    public_key=public_key,
                    room_id=room_id,
                    event=message.get("event"),
                    data=message.get("data"),
                    client_id=options.get("clientId"),
                    transient=options.get("transient"),
                    timestamp=timestamp,
                    request_id=request_id,
                    body=body,
                    signature=signature,
                )
            )
        return 200, {"requestId": request_id, "timestamp": timestamp}

    def answer(self, received: Received) -> tuple[int, bytes]:
        """The status and body for one request to the stand-in (faults aside)."""
        if received.path == "/events" and received.method == "POST":
            try:
                status, reply = self.check(received.headers, received.body)
            except _Refused as refused:
                received.refusal = refused.reason
                with self._lock:
                    self.counts[f"refused: {refused.reason}"] += 1
                status, reply = (
                    (400, BAD_REQUEST) if refused.reason == "headers" else (500, INTERNAL_ERROR)
                )
            if status == 200 and type(reply["timestamp"]) is int:  # the usual answer, quickly
                return 200, b'{"requestId":"%s","timestamp":%d}' % (
                    reply["requestId"].encode(),
                    reply["timestamp"],
                )
            return status, json.dumps(reply, separators=(",", ":")).encode()
        if received.path == "/_standin/published" and received.method == "GET":
            with self._lock:
                items = [item.as_dict() for item in self.published]
            return 200, json.dumps(items).encode()
        if received.path == "/_standin/requests" and received.method == "GET":
            with self._lock:
                items = [item.as_dict() for item in self.requests]
            return 200, json.dumps(items).encode()
        if received.path == "/_standin/stats" and received.method == "GET":
            with self._lock:
                stats = {**self.counts, "connections": self.connections}
            return 200, json.dumps(stats).encode()
        if received.path == "/_standin/faults" and received.method == "POST":
            self.fail_next(*(Fault.from_dict(item) for item in json.loads(received.body)))
            return 200, b"{}"
        if received.path == "/_standin/reset" and received.method == "POST":
            self.reset()
            return 200, b"{}"
        if received.path == "/" and received.method == "GET":
            return 200, b"{}"
        return 404, b'{"statusCode":404,"name":"NotFoundError"}'

    # --- serving ---------------------------------------------------------------------------

    async def serve(self) -> None:
        """Listen until the task is cancelled (the subprocess entry point uses this)."""
        self._loop = asyncio.get_running_loop()
        self._server = await self._loop.create_server(
            lambda: _Connection(self), self.host, self.port, backlog=1024, ssl=self.tls
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def start(self) -> EventsStandin:
        """Serve from a background thread with its own event loop."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self.serve())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="events-standin", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None or self._thread is None:
            return

        async def shut() -> None:
            server.close()
            for connection in list(self.open_connections):
                connection.close()
            loop.stop()

        asyncio.run_coroutine_threadsafe(shut(), loop)
        self._thread.join(30)
        self._thread = None

    def __enter__(self) -> EventsStandin:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _Connection(asyncio.Protocol):
    """HTTP/1.1 with Content-Length bodies and keep-alive: all that publish clients send."""

    def __init__(self, standin: EventsStandin) -> None:
        self.standin = standin
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.busy = False  # a stalled answer is pending: later requests wait behind it
        self.number = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        sock = transport.get_extra_info("socket")
        if sock is not None:  # asyncio and uvloop set it already; small answers must not wait
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.standin._lock:
            self.standin.connections += 1
            self.number = self.standin.connections
        self.standin.open_connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.standin.open_connections.discard(self)
        if self.transport is not None and not self.transport.is_closing():
            # Python 3.10's TLS transport is not marked closed when its peer hangs up, and
            # then warns when it is collected.
            self.transport.close()
        self.transport = None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.process()

    def process(self) -> None:
        while not self.busy and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buffer[:end].decode("latin-1").split("\r\n")
            try:
                method, target, version = lines[0].split(" ")
            except ValueError:
                self.reply(400, b"{}", keep_alive=False)
                return
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "transfer-encoding" in headers:
                self.reply(411, b'{"message":"send Content-Length"}', keep_alive=False)
                return
            length_text = headers.get("content-length", "0")
            if not length_text.isdigit():
                self.reply(400, b'{"message":"bad Content-Length"}', keep_alive=False)
                return
            length = int(length_text)
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
            self.handle(Received(method, target, headers, body, connection=self.number), keep_alive)

    def handle(self, received: Received, keep_alive: bool) -> None:
        standin = self.standin
        fault = None
        with standin._lock:
            if standin.record:
                standin.requests.append(received)
            if received.path == "/events":
                standin.counts["requests"] += 1
                if standin.faults:
                    fault = standin.faults.pop(0)
        received.fault = fault
        if fault is None:
            status, body = standin.answer(received)
            received.status = status
            self.reply(status, body, keep_alive)
            return
        if fault.kind == "status":
            if fault.publish:
                standin.answer(received)
            received.status = fault.status
            reply = {"statusCode": fault.status, "name": REASONS.get(fault.status, "Error")}
            self.reply(fault.status, json.dumps(reply).encode(), keep_alive)
        elif fault.kind == "drop":
            if fault.publish:
                standin.answer(received)
            assert self.transport is not None
            self.transport.close()
        elif fault.kind == "stall":  # the work is done now; only the answer is late
            status, body = standin.answer(received)
            received.status = status
            self.busy = True
            assert standin._loop is not None

            def late() -> None:
                self.busy = False
                self.reply(status, body, keep_alive)
                self.process()

            standin._loop.call_later(fault.seconds, late)
        else:
            raise ValueError(f"unknown fault kind {fault.kind!r}")

    def reply(self, status: int, body: bytes, keep_alive: bool) -> None:
        if self.transport is None:
            return
        head = (
            f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
            "Content-Type: application/json\r\n"
            "Access-Control-Allow-Origin: *\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"{'' if keep_alive else 'Connection: close' + chr(13) + chr(10)}\r\n"
        )
        self.transport.write(head.encode() + body)
        if not keep_alive:
            self.transport.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local stand-in for Relaybox's /events.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument(
        "--keys",
        help='JSON {"appPid.keyId:secret": permissions}; default: $RELAYBOX_API_KEY (or the '
        'test suite\'s key) with ["*"]',
    )
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop when installed")
    parser.add_argument(
        "--no-record", action="store_true", help="keep counts only (GET /_standin/stats)"
    )
    args = parser.parse_args(argv)
    keys = (
        json.loads(args.keys)
        if args.keys
        else {os.environ.get("RELAYBOX_API_KEY") or TEST_API_KEY: ["*"]}
    )
    standin = EventsStandin(keys, host=args.host, port=args.port, record=not args.no_record)

    async def serve_forever() -> None:
        await standin.serve()
        print(f"listening on {standin.url}", flush=True)
        await asyncio.Event().wait()

    run: Callable[[Any], Any] = asyncio.run
    if args.uvloop:
        with contextlib.suppress(ImportError):
            import uvloop

            run = uvloop.run
    with contextlib.suppress(KeyboardInterrupt):
        run(serve_forever())
    return 0


if __name__ == "__main__":
    sys.exit(main())
