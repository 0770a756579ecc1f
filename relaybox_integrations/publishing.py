"""Publishing events to Relaybox rooms over HTTP, as the official ``@relaybox/rest`` does.

``RelayBox.publish`` and ``RelayBox.apublish`` delegate here; the token core imports this
module only when something is first published, so minting never loads the publishing
machinery (nor aiohttp).

One request per attempt: ``POST {core_url}/events`` with the compact JSON body
``{"event", "roomId", "data", "timestamp", "options"}`` and the headers ``X-Ds-Public-Key``
and ``X-Ds-Req-Signature`` (the lowercase hex HMAC-SHA256 of the exact body bytes, keyed
with the API secret). Every argument is checked before a byte is sent.

The sync path is the standard library's ``http.client`` behind a small thread-safe pool of
keep-alive connections: on the machine this was measured on it publishes several times
faster than urllib3 or httpx. The async path is aiohttp (the ``[publish]`` extra), one
session per event loop, created on first use in that loop: httpx's async pool collapses
under concurrency.

Whatever answers at ``core_url`` is trusted with nothing: neither path follows a redirect
(the signed request goes there and nowhere else), each attempt has one deadline from
connecting to the answer's last byte, and at most ``MAX_ANSWER_BYTES`` of an answer is read.
"""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import math
import random
import select
import socket
import ssl
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from . import __version__
from ._extras import missing_extra
from .errors import (
    ConfigurationError,
    PublishError,
    PublishOutcomeUnknownError,
    PublishRequestError,
    TokenRequestError,
)
from .flow import Flow, arun, run
from .options import check_client_id
from .results import PublishResult

if TYPE_CHECKING:
    import hmac

    import aiohttp
    from _typeshed import WriteableBuffer

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "MAX_ANSWER_BYTES",
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "RETRY_STATUSES",
    "PublishResult",
    "Publisher",
    "backoff_delay",
]

#: Relaybox refuses WebSocket messages over 64 KiB; its HTTP ``/events`` endpoint sets no
#: limit of its own. A server publish is held to the same size as a client's.
MAX_BODY_BYTES: Final = 64 * 1024
#: The most of an answer read. Relaybox's is ``{"requestId", "timestamp"}`` (under 100 bytes)
#: and its errors are as small; a gateway's HTML error page fits too. Anything longer is not
#: Relaybox's, and reading it all would let whatever answers fill this process's memory.
MAX_ANSWER_BYTES: Final = 64 * 1024
#: Nesting deeper than this in ``data`` is refused (JSON texts that deep are almost always
#: a mistake, and recursion limits differ between the encoder here and the decoders there).
MAX_DEPTH: Final = 64
#: JavaScript reads larger integers as rounded floats: browsers would see another number.
MAX_SAFE_INTEGER: Final = 2**53 - 1
#: Gateway answers: the request did not reach Relaybox's handler, or timed out on the way.
RETRY_STATUSES: Final = frozenset({502, 503, 504})
#: Seconds. Retry ``n`` (from 0) waits between half and all of ``min(CAP, BASE * 2**n)``.
BACKOFF_BASE: Final = 0.5
#: Seconds; the longest wait before a retry.
BACKOFF_CAP: Final = 5.0
#: Idle keep-alive connections kept per instance for the sync path; more are closed.
MAX_IDLE_CONNECTIONS: Final = 32
#: How much of an unexpected answer an error message quotes.
BODY_EXCERPT: Final = 500

_USER_AGENT = f"relaybox-integrations/{__version__}"
# One encoder, made once: json.dumps with options builds a new one on every call.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_TOO_LONG = (
    f"the answer was longer than {MAX_ANSWER_BYTES} bytes and was not read further (Relaybox's "
    "is a small JSON object: is core_url right?)"
)
_CAUSES_OF_500 = (
    "Relaybox answers 500 to each of these: a signature that does not match (the secret in "
    "RELAYBOX_API_KEY is not this public key's), a timestamp more than 30 s old (check this "
    "machine's clock), an API key it does not know, or a key without 'publish' permission on "
    "room {room!r} (the key's own permissions in the Relaybox dashboard count, not a token's). "
    "It also answers 500 when its own processing takes over 5 s, in which case the event may "
    "still have been published. Not retried: none of the usual causes goes away by itself."
)


def backoff_delay(retry: int) -> float:
    """Seconds to wait before retry number ``retry`` (0-based): jittered so that many
    clients failing together do not come back together."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**retry)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


class _Invalid(Exception):
    """Raised inside the ``data`` check; collects the path to the bad value on the way out."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []


def _shown(value: object) -> str:
    """A short repr for an error message (an int of 5,000 digits has none: 3.11's limit)."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_value(value: object, depth: int) -> None:
    if isinstance(value, str) or value is None or value is True or value is False:
        return
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return
        raise _Invalid(
            f"is {_shown(value)}, outside JavaScript's safe integer range "
            f"(±{MAX_SAFE_INTEGER}): browsers would read another number; send it as a string"
        )
    if isinstance(value, float):
        if math.isfinite(value):
            return
        raise _Invalid(f"is {value}; JSON (and so JavaScript's JSON) has no NaN or Infinity")
    if depth >= MAX_DEPTH:
        raise _Invalid(f"is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise _Invalid(
                    f"has the key {_shown(key)} ({type(key).__name__}); JSON object keys "
                    "must be strings (json.dumps would silently turn it into one)"
                )
        entries: Iterable[tuple[object, object]] = value.items()
    elif isinstance(value, (list, tuple)):
        entries = enumerate(value)
    else:
        raise _Invalid(
            f"is a {type(value).__name__}, which JSON cannot represent; convert it to a str, "
            "number, bool, None, list or dict first"
        )
    for key, item in entries:
        try:
            _check_value(item, depth + 1)
        except _Invalid as error:
            error.path.append(f"[{_shown(key)}]")
            raise


def _check_text(argument: str, value: object) -> str:
    if not isinstance(value, str):
        raise PublishRequestError(argument, f"{argument} must be a str; got {type(value).__name__}")
    if not value:
        raise PublishRequestError(argument, f"{argument} must not be empty")
    return value


def _utf8(text: str, parts: dict[str, str]) -> bytes:
    """``text`` as UTF-8, or the error naming which of ``parts`` holds a lone surrogate."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        argument = next(name for name, part in parts.items() if not _encodable(part))
        raise PublishRequestError(
            argument,
            f"{argument} contains a lone surrogate (often text decoded with "
            "errors='surrogateescape'), which is not valid Unicode and cannot be sent as UTF-8",
        ) from None


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class _Message:
    """A checked message: the body around its timestamp, which each attempt sets anew."""

    room_id: str
    event: str
    head: bytes
    tail: bytes


class _NotSent(Exception):
    """The attempt failed before the whole request went out: safe to retry."""


class _MaybeSent(Exception):
    """The request went out, and then the answer did not come: not safe to retry."""


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    location: str | None


class _Target:
    """Where to send: the parts of ``core_url`` the transports need."""

    def __init__(self, core_url: str) -> None:
        parts = urlsplit(core_url)
        self.url = core_url + "/events"
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        self.path = (parts.path or "") + "/events"


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
    which :meth:`_SyncTransport.post` sets to what is left of the attempt."""

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


class _SyncTransport:
    """Keep-alive ``http.client`` connections shared by threads, one thread per connection
    at a time. ``close`` starts a new generation: connections in use when it is called are
    closed when they come back instead of being kept."""

    def __init__(self, target: _Target) -> None:
        self._target = target
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._generation = 0
        self._ssl_context = ssl.create_default_context() if target.https else None

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        target = self._target
        connection: http.client.HTTPConnection
        if self._ssl_context is not None:
            connection = http.client.HTTPSConnection(
                target.host, target.port, timeout=timeout, context=self._ssl_context
            )
        else:
            connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        connection.response_class = _Response
        try:
            connection.connect()
        except OSError as exc:  # refused, unreachable, DNS, connect timeout, TLS handshake
            connection.close()
            raise _NotSent(f"could not connect: {exc}") from None
        return connection

    def _checkout(self) -> tuple[http.client.HTTPConnection | None, int]:
        with self._lock:
            generation = self._generation
            while self._idle:
                connection = self._idle.pop()
                if not _dropped(connection.sock):
                    return connection, generation
                connection.close()
        return None, generation

    def _checkin(self, connection: http.client.HTTPConnection, generation: int) -> None:
        with self._lock:
            if generation == self._generation and len(self._idle) < MAX_IDLE_CONNECTIONS:
                self._idle.append(connection)
                return
        connection.close()

    def post(self, body: bytes, headers: dict[str, str], timeout: float) -> _Answer:
        deadline = time.monotonic() + timeout
        connection, generation = self._checkout()
        if connection is None:
            connection = self._connect(timeout)
        try:
            assert connection.sock is not None
            connection.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            connection.request("POST", self._target.path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise _NotSent(f"the connection failed while sending: {exc!r}") from None
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("timed out")
            connection.sock.settimeout(remaining)  # the answer's deadline: see _Response
            response = connection.getresponse()
            payload = response.read(MAX_ANSWER_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise _MaybeSent(_describe_failure(exc)) from None
        if response.isclosed() and not response.will_close:
            self._checkin(connection, generation)
        else:  # the server closes it, or the answer was too long to be read to its end
            response.close()
            connection.close()
        return _Answer(response.status, payload, response.getheader("Location"))

    def close(self) -> None:
        with self._lock:
            self._generation += 1
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):  # two classes before 3.11
        return "no complete answer within the timeout"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the connection was closed without an answer"
    return f"the connection failed before the answer was complete ({type(exc).__name__}: {exc})"


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


class _AsyncTransport:
    """One aiohttp session per event loop, made on first use in that loop."""

    def __init__(self, target: _Target, timeout: float) -> None:
        self._target = target
        self._timeout = timeout
        self._clients: dict[asyncio.AbstractEventLoop, _LoopClient] = {}
        self._lock = threading.Lock()
        self._url: Any = None  # a yarl.URL, parsed once rather than on every request

    async def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is not None and not client.session.closed:
            return client.session
        try:
            import aiohttp
            import yarl
        except ImportError:
            raise missing_extra("publish") from None
        if self._url is None:
            self._url = yarl.URL(self._target.url)
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self._timeout), auto_decompress=False
        )
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

    async def post(self, body: bytes, headers: dict[str, str]) -> _Answer:
        session = await self._session()  # says what to install when aiohttp is missing
        import aiohttp

        try:
            # Not redirected: the signed request goes to core_url and nowhere else.
            async with session.post(
                self._url, data=body, headers=headers, allow_redirects=False
            ) as response:
                payload = b""
                while len(payload) <= MAX_ANSWER_BYTES:
                    chunk = await response.content.read(MAX_ANSWER_BYTES + 1 - len(payload))
                    if not chunk:
                        break
                    payload += chunk
                return _Answer(response.status, payload, response.headers.get("Location"))
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise _NotSent(f"could not connect: {exc}") from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise _MaybeSent(_describe_failure(exc)) from None

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.pop(loop, None)
        if client is not None:
            await client.session.close()
            await client.closer.aclose()


class Publisher:
    """The publishing half of one ``RelayBox``: checks, signs, sends and retries.

    Built by ``RelayBox`` on first use, from the HMAC it already keyed with the secret, so
    the secret itself is never copied here. Safe to share between threads; ``apublish`` is
    safe to call concurrently within an event loop.
    """

    def __init__(
        self,
        *,
        public_key: str,
        mac: hmac.HMAC,
        clock: Callable[[], float],
        core_url: str,
        timeout: float,
        retries: int,
    ) -> None:
        if not (public_key.isascii() and public_key.isprintable()):
            raise ConfigurationError(
                "api_key",
                "the API key's public part has characters that cannot travel in an HTTP "
                "header (only printable ASCII can)",
            )
        self._mac = mac
        self._clock = clock
        self._timeout = timeout
        self._retries = retries
        self._target = _Target(core_url)
        self._base_headers = {
            "Content-Type": "application/json",
            "User-Agent": _USER_AGENT,
            "X-Ds-Public-Key": public_key,
        }
        self._sync = _SyncTransport(self._target)
        # A RelayBox dropped without close() still closes its sockets when collected.
        weakref.finalize(self, self._sync.close)
        self._async = _AsyncTransport(self._target, timeout)
        #: Waits between attempts; replaceable so tests can act during the wait.
        self.sleep: Callable[[float], None] = time.sleep
        self.async_sleep: Callable[[float], Any] = asyncio.sleep

    def __repr__(self) -> str:
        return f"Publisher(core_url={self._target.url.removesuffix('/events')!r})"

    def __reduce__(self) -> Any:
        raise TypeError("Publisher objects cannot be pickled; they hold the API secret's HMAC")

    # --- checking and signing ------------------------------------------------------------

    def message(
        self, room_id: object, event: object, data: object, client_id: object, transient: object
    ) -> _Message:
        """Check every argument and build the body around its timestamp, or raise
        :class:`~relaybox_integrations.PublishRequestError` naming the argument at fault."""
        room = _check_text("room_id", room_id)
        name = _check_text("event", event)
        options: dict[str, Any] = {}
        if client_id is not None:
            try:
                options["clientId"] = check_client_id(client_id)
            except TokenRequestError as exc:
                raise PublishRequestError("client_id", str(exc)) from None
        if transient is not False:
            if transient is not True:
                raise PublishRequestError(
                    "transient", f"transient must be True or False; got {transient!r}"
                )
            options["transient"] = True
        try:
            _check_value(data, 0)
        except _Invalid as error:
            where = "data" + "".join(reversed(error.path))
            raise PublishRequestError("data", f"{where} {error.problem}") from None
        data_json = _JSON.encode(data)
        options_json = _JSON.encode(options)
        text = (
            f'{{"event":{_JSON.encode(name)},"roomId":{_JSON.encode(room)},"data":{data_json},'
            f'"timestamp":'
        )
        parts = {"room_id": room, "event": name, "data": data_json, "client_id": options_json}
        head = _utf8(text, parts)
        tail = _utf8(f',"options":{options_json}}}', parts)
        size = len(head) + len(tail) + 13  # a millisecond timestamp has 13 digits until 2286
        if size > MAX_BODY_BYTES:
            raise PublishRequestError(
                "data",
                f"the message would be {size} bytes, over the {MAX_BODY_BYTES} that Relaybox "
                "accepts from a client: send a reference (an id or a URL) instead of the content",
            )
        return _Message(room, name, head, tail)

    def signed(self, message: _Message) -> tuple[bytes, dict[str, str]]:
        """The body with the current time, and its headers; made afresh for each attempt."""
        body = message.head + str(int(self._clock() * 1000)).encode() + message.tail
        return body, {**self._base_headers, "X-Ds-Req-Signature": self.signature(body)}

    def signature(self, body: bytes) -> str:
        """``X-Ds-Req-Signature`` for ``body``: the lowercase hex HMAC-SHA256 under the secret
        (also what the emulator checks ``POST /events`` against)."""
        mac = self._mac.copy()
        mac.update(body)
        return mac.hexdigest()

    # --- sending -------------------------------------------------------------------------

    def transmit(self, body: bytes, headers: dict[str, str]) -> _Answer:
        """One attempt over the sync pool (replaced by ``relaybox_integrations.testing``)."""
        return self._sync.post(body, headers, self._timeout)

    async def atransmit(self, body: bytes, headers: dict[str, str]) -> _Answer:
        """One attempt over this event loop's session (replaced by the testing helper)."""
        return await self._async.post(body, headers)

    def publish(
        self, room_id: object, event: object, data: object, client_id: object, transient: object
    ) -> PublishResult:
        message = self.message(room_id, event, data, client_id, transient)
        return run(self._attempts(message, self.transmit, self.sleep))

    async def apublish(
        self, room_id: object, event: object, data: object, client_id: object, transient: object
    ) -> PublishResult:
        message = self.message(room_id, event, data, client_id, transient)
        return await arun(self._attempts(message, self.atransmit, self.async_sleep))

    def _attempts(
        self, message: _Message, transmit: Callable[..., Any], sleep: Callable[[float], Any]
    ) -> Flow[PublishResult]:
        """Send ``message`` until it is answered or retries run out; one flow, sync or async."""
        attempt = 0
        while True:
            attempt += 1
            body, headers = self.signed(message)
            try:
                answer: _Answer = yield transmit, (body, headers)
            except _NotSent as failure:
                if attempt <= self._retries:
                    yield sleep, (backoff_delay(attempt - 1),)
                    continue
                raise self._unreachable(message, failure, attempt) from None
            except _MaybeSent as failure:
                raise self._unknown(message, failure, attempt) from None
            if len(answer.body) > MAX_ANSWER_BYTES:  # each transport reads one byte more
                raise self._unknown(message, _MaybeSent(_TOO_LONG), attempt)
            if answer.status in RETRY_STATUSES and attempt <= self._retries:
                yield sleep, (backoff_delay(attempt - 1),)
                continue
            return self._result(message, answer, headers, attempt)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()

    # --- answers -------------------------------------------------------------------------

    def _where(self, message: _Message) -> str:
        return f"event {message.event!r} to room {message.room_id!r} at {self._target.url}"

    def _unreachable(self, message: _Message, failure: _NotSent, attempts: int) -> PublishError:
        return PublishError(
            f"could not publish {self._where(message)}: {failure} ({attempts} attempt"
            f"{'s' if attempts > 1 else ''}; the request never went out, nothing was published)",
            room_id=message.room_id,
            event=message.event,
            attempts=attempts,
        )

    def _unknown(
        self, message: _Message, failure: _MaybeSent, attempts: int
    ) -> PublishOutcomeUnknownError:
        return PublishOutcomeUnknownError(
            f"publishing {self._where(message)} may or may not have worked: {failure} after "
            f"the request went out (attempt {attempts}, timeout {self._timeout:g} s). Relaybox "
            "may already have published it, and it has no idempotency key, so it was not "
            "sent again: sending it again could publish it twice",
            room_id=message.room_id,
            event=message.event,
            attempts=attempts,
        )

    def _result(
        self, message: _Message, answer: _Answer, headers: dict[str, str], attempts: int
    ) -> PublishResult:
        text = answer.body.decode("utf-8", "replace")
        excerpt = text[:BODY_EXCERPT]

        def error(explanation: str) -> PublishError:
            return PublishError(
                f"Relaybox answered HTTP {answer.status} to publishing {self._where(message)}"
                f" (attempt {attempts}): {excerpt!r}. {explanation}",
                room_id=message.room_id,
                event=message.event,
                status=answer.status,
                body=text,
                attempts=attempts,
            )

        if 200 <= answer.status < 300:
            try:
                reply = json.loads(text)
                request_id, timestamp = reply["requestId"], reply["timestamp"]
            except (ValueError, TypeError, KeyError):
                raise error(
                    "That is not Relaybox's answer ({requestId, timestamp}): is core_url "
                    "right? The event may have been published."
                ) from None
            if isinstance(request_id, str) and type(timestamp) is int:
                return PublishResult(request_id=request_id, timestamp=timestamp)
            raise error("That is not Relaybox's answer ({requestId, timestamp}).")
        if answer.status == 500:
            raise error(_CAUSES_OF_500.format(room=message.room_id))
        if answer.status == 400:
            public_key = headers["X-Ds-Public-Key"]
            raise error(
                "Relaybox answers 400 only when the X-Ds-Public-Key or X-Ds-Req-Signature "
                f"header is missing; this request sent both (X-Ds-Public-Key: {public_key}, "
                f"X-Ds-Req-Signature: {len(headers['X-Ds-Req-Signature'])} hex digits), so "
                "something between here and Relaybox (a proxy?) removed one. If not, please "
                "report this as a bug in relaybox-integrations."
            )
        if 300 <= answer.status < 400:
            raise error(
                f"core_url redirects (Location: {answer.location}), and redirects are not "
                "followed: the signed request goes to core_url only. Nothing was published. If "
                "Relaybox has moved there, set core_url to that address."
            )
        if answer.status in RETRY_STATUSES:
            raise error(f"A gateway's answer; gave up after {attempts} attempts.")
        raise error("Nothing was published.")
