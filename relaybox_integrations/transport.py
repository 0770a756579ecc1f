"""HTTP transports: one :class:`Request` in, one :class:`Response` out, sync or async.

Publishing and the service calls build requests and read answers; a transport only moves
them, as httpx's transports do. What to do when one fails (try again, or not) is
:mod:`relaybox_integrations.retry`'s business. A failure is one of two exceptions, because
the difference decides whether a retry is safe: :class:`NotSent` (the request never went
out whole) and :class:`MaybeSent` (it went out, and no complete answer came back).

The sync transport is the standard library's ``http.client`` behind a small thread-safe pool
of keep-alive connections per origin: on the machine this was measured on it publishes
several times faster than urllib3 or httpx. The async transport is aiohttp (the
``[publish]`` extra), one session per event loop, created on first use in that loop:
httpx's async pool collapses under concurrency.

Whatever answers is trusted with nothing: neither transport follows a redirect (a signed or
authorised request goes where it was addressed and nowhere else), each request has one
deadline from connecting to the answer's last byte, and at most :data:`MAX_ANSWER_BYTES` of
an answer is read.
"""

from __future__ import annotations

import asyncio
import functools
import http.client
import io
import select
import socket
import ssl
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlsplit

from ._extras import missing_extra
from ._version import __version__

if TYPE_CHECKING:
    import aiohttp
    from _typeshed import WriteableBuffer

__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_IDLE_CONNECTIONS",
    "USER_AGENT",
    "AnswerTooLong",
    "AsyncHTTPTransport",
    "AsyncTransport",
    "HTTPTransport",
    "MaybeSent",
    "NotSent",
    "Request",
    "Response",
    "Transport",
]

#: The most of an answer read. Relaybox's answers are small JSON objects, and a gateway's
#: HTML error page fits too. Anything longer is not Relaybox's, and reading it all would let
#: whatever answers fill this process's memory.
MAX_ANSWER_BYTES: Final = 64 * 1024
#: Idle keep-alive connections kept per origin by the sync transport; more are closed.
MAX_IDLE_CONNECTIONS: Final = 32
#: What every request of the package says it comes from.
USER_AGENT: Final = f"relaybox-integrations/{__version__}"


class NotSent(Exception):
    """The attempt failed before the whole request went out: nothing can have been applied,
    so trying again is safe."""


class MaybeSent(Exception):
    """The request went out, and then no complete answer came: it may have been applied."""


class AnswerTooLong(MaybeSent):
    """The answer ran past :data:`MAX_ANSWER_BYTES` and was not read further."""

    def __init__(self) -> None:
        super().__init__(
            f"the answer was longer than {MAX_ANSWER_BYTES} bytes and was not read further"
        )


@dataclass(frozen=True)
class Request:
    """One HTTP request, complete: what a transport sends, byte for byte."""

    method: str
    #: The absolute URL, query included.
    url: str
    #: Kept out of ``repr()``: they carry signatures and bearer tokens.
    headers: Mapping[str, str] = field(repr=False)
    #: The body (None: none, and no ``Content-Length`` on GET and DELETE).
    body: bytes | None = field(repr=False)
    #: Seconds from connecting to the answer's last byte.
    timeout: float


@dataclass(frozen=True)
class Response:
    """An answer: its status, headers and body (at most :data:`MAX_ANSWER_BYTES`)."""

    status: int
    #: Kept out of ``repr()``: answers can carry credentials (an identity's access token).
    body: bytes = field(repr=False)
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


class Transport(Protocol):
    """Sends a request and returns its answer, or raises :class:`NotSent` or
    :class:`MaybeSent`."""

    def handle(self, request: Request) -> Response: ...


class AsyncTransport(Protocol):
    """:class:`Transport` for asyncio."""

    async def handle_async(self, request: Request) -> Response: ...


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):  # two classes before 3.11
        return "no complete answer within the timeout"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the connection was closed without an answer"
    return f"the connection failed before the answer was complete ({type(exc).__name__}: {exc})"


# --- sync: http.client ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """The parts of a URL that ``http.client`` needs: where to connect, and what to ask."""

    https: bool
    host: str
    port: int
    path: str


@functools.lru_cache(maxsize=256)
def _target(url: str) -> _Target:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(https, parts.hostname or "", parts.port or (443 if https else 80), path)


class _AnswerReader(io.RawIOBase):
    """A socket's reading end held to one deadline for the whole answer.

    ``http.client`` gives each read of the socket the whole timeout, so a server that sends
    a byte now and then (or an answer without end) holds the caller for ever; this sets the
    timeout to what is left of the deadline before each read instead.
    """

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._raw = raw  # the socket's own reader, which keeps the socket open until closed
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")
        self._sock.settimeout(remaining)
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Response(http.client.HTTPResponse):
    """An answer read under :class:`_AnswerReader`. ``http.client`` hands a response only
    the socket, so the deadline travels as the socket's timeout when the answer begins,
    which :meth:`HTTPTransport.handle` sets to what is left of the attempt."""

    def __init__(
        self,
        sock: socket.socket,
        debuglevel: int = 0,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(sock, debuglevel, method, url)
        deadline = time.monotonic() + (sock.gettimeout() or 0.0)
        self.fp = io.BufferedReader(_AnswerReader(self.fp.detach(), sock, deadline))


def _dropped(sock: socket.socket | None) -> bool:
    """Whether an idle keep-alive socket was closed by the server (or has stray data)."""
    if sock is None:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class _Pools:
    """The idle connections of one :class:`HTTPTransport`, by origin. Kept apart from the
    transport so that a transport dropped without ``close()`` still closes them when
    collected. ``close`` starts a new generation: connections in use when it is called are
    closed when they come back instead of being kept."""

    def __init__(self) -> None:
        self.idle: dict[tuple[bool, str, int], list[http.client.HTTPConnection]] = {}
        self.lock = threading.Lock()
        self.generation = 0

    def checkout(self, target: _Target) -> tuple[http.client.HTTPConnection | None, int]:
        with self.lock:
            generation = self.generation
            idle = self.idle.get((target.https, target.host, target.port))
            while idle:
                connection = idle.pop()
                if not _dropped(connection.sock):
                    return connection, generation
                connection.close()
        return None, generation

    def checkin(
        self, target: _Target, connection: http.client.HTTPConnection, generation: int
    ) -> None:
        with self.lock:
            if generation == self.generation:
                idle = self.idle.setdefault((target.https, target.host, target.port), [])
                if len(idle) < MAX_IDLE_CONNECTIONS:
                    idle.append(connection)
                    return
        connection.close()

    def close(self) -> None:
        with self.lock:
            self.generation += 1
            pools, self.idle = self.idle, {}
        for idle in pools.values():
            for connection in idle:
                connection.close()


class HTTPTransport:
    """Keep-alive ``http.client`` connections shared by threads, one thread per connection
    at a time. Safe to share between threads."""

    def __init__(self) -> None:
        self._pools = _Pools()
        self._ssl_context: ssl.SSLContext | None = None
        self._ssl_lock = threading.Lock()
        weakref.finalize(self, self._pools.close)

    def __repr__(self) -> str:
        return "HTTPTransport()"

    def _context(self) -> ssl.SSLContext:
        """One TLS context, made on first use: loading the trust store takes milliseconds."""
        with self._ssl_lock:
            if self._ssl_context is None:
                self._ssl_context = ssl.create_default_context()
            return self._ssl_context

    def _connect(self, target: _Target, timeout: float) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if target.https:
            connection = http.client.HTTPSConnection(
                target.host, target.port, timeout=timeout, context=self._context()
            )
        else:
            connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        connection.response_class = _Response
        try:
            connection.connect()
        except OSError as exc:  # refused, unreachable, DNS, connect timeout, TLS handshake
            connection.close()
            raise NotSent(f"could not connect: {exc}") from None
        return connection

    def handle(self, request: Request) -> Response:
        """Send ``request`` over a kept connection to its origin, or a new one."""
        deadline = time.monotonic() + request.timeout
        target = _target(request.url)
        connection, generation = self._pools.checkout(target)
        if connection is None:
            connection = self._connect(target, request.timeout)
        try:
            assert connection.sock is not None
            connection.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            connection.request(request.method, target.path, request.body, dict(request.headers))
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise NotSent(f"the connection failed while sending: {exc!r}") from None
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("timed out")
            connection.sock.settimeout(remaining)  # the answer's deadline: see _Response
            response = connection.getresponse()
            payload = response.read(MAX_ANSWER_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise MaybeSent(_describe_failure(exc)) from None
        if response.isclosed() and not response.will_close:
            self._pools.checkin(target, connection, generation)
        else:  # the server closes it, or the answer was too long to be read to its end
            response.close()
            connection.close()
        if len(payload) > MAX_ANSWER_BYTES:
            raise AnswerTooLong
        return Response(response.status, payload, tuple(response.getheaders()))

    def close(self) -> None:
        """Close the idle connections; later requests open new ones."""
        self._pools.close()


# --- async: aiohttp ------------------------------------------------------------------------


async def _close_with_loop(
    session: aiohttp.ClientSession, forget: Callable[[], None]
) -> AsyncGenerator[None, None]:
    """Parked at its ``yield`` for the loop's lifetime: ``asyncio.run`` (and asgiref, and
    pytest-asyncio) close every live async generator before closing the loop, which closes
    the session while its loop can still run the close."""
    try:
        yield
    finally:
        forget()
        await session.close()


class _LoopClient:
    def __init__(self, session: aiohttp.ClientSession, closer: AsyncGenerator[None, None]) -> None:
        self.session = session
        self.closer = closer


@functools.lru_cache(maxsize=256)
def _yarl_url(url: str) -> Any:
    """``url`` as a yarl.URL, parsed once rather than on every request."""
    import yarl

    return yarl.URL(url)


class AsyncHTTPTransport:
    """One aiohttp session per event loop, made on first use in that loop; safe to call
    concurrently within a loop, and from threads with loops of their own."""

    def __init__(self) -> None:
        self._clients: dict[asyncio.AbstractEventLoop, _LoopClient] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "AsyncHTTPTransport()"

    async def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is not None and not client.session.closed:
            return client.session
        try:
            import aiohttp
        except ImportError:
            raise missing_extra("publish") from None
        # Answers are read as sent (at most MAX_ANSWER_BYTES, never inflated), so ask for
        # them uncompressed, as http.client does: aiohttp would offer gzip and deflate.
        session = aiohttp.ClientSession(
            auto_decompress=False, headers={"Accept-Encoding": "identity"}
        )
        # aiohttp sends a GET, PUT or DELETE again by itself when the connection drops
        # before the answer: a request that may have been applied is the retry policy's
        # to judge (it never sends one again), and http.client does not either.
        session._retry_connection = False
        closer = _close_with_loop(session, lambda: self._forget(loop, session))
        # Registered before any await, so two tasks of one loop never both make a session.
        with self._lock:
            for other in [other for other in self._clients if other.is_closed()]:
                del self._clients[other]  # loops closed without running their shutdown
            self._clients[loop] = _LoopClient(session, closer)
        await closer.__anext__()  # the loop's async generator hooks now know it
        return session

    def _forget(self, loop: asyncio.AbstractEventLoop, session: aiohttp.ClientSession) -> None:
        with self._lock:
            client = self._clients.get(loop)
            if client is not None and client.session is session:
                del self._clients[loop]

    async def handle_async(self, request: Request) -> Response:
        """Send ``request`` over this event loop's session."""
        session = await self._session()  # says what to install when aiohttp is missing
        import aiohttp

        try:
            # Not redirected: the request goes where it was addressed and nowhere else.
            async with session.request(
                request.method,
                _yarl_url(request.url),
                data=request.body,
                headers=request.headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=request.timeout),
            ) as response:
                payload = b""
                while len(payload) <= MAX_ANSWER_BYTES:
                    chunk = await response.content.read(MAX_ANSWER_BYTES + 1 - len(payload))
                    if not chunk:
                        break
                    payload += chunk
                headers = tuple(response.headers.items())
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise NotSent(f"could not connect: {exc}") from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise MaybeSent(_describe_failure(exc)) from None
        if len(payload) > MAX_ANSWER_BYTES:
            raise AnswerTooLong
        return Response(response.status, payload, headers)

    async def aclose(self) -> None:
        """Close the running event loop's session; later requests in it open a new one."""
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.pop(loop, None)
        if client is not None:
            await client.session.close()
            await client.closer.aclose()
