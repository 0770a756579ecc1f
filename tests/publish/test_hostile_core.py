"""What a core that misbehaves can do to a publish, sync and async: redirect it elsewhere,
trickle its answer, or answer without end. Each against a real server on loopback.

The servers here are plain sockets, one thread per connection, so that they do exactly what
they are told and count every byte that went out: the stand-in's asyncio transport would
buffer a huge answer in memory instead of waiting for the client to read it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from relaybox_integrations import PublishError, PublishOutcomeUnknownError, RelayBox
from relaybox_integrations.transport import MAX_ANSWER_BYTES
from tests.support.events_standin import EventsStandin
from tests.support.servers import TEST_API_KEY, TEST_SECRET

MODES = ["sync", "async"]
#: Seconds the test waits for a publish before failing: far beyond the trickle test's 1 s
#: deadline (and the others' 30 s), far short of the trickle's 10 minutes.
GUARD = 120.0
#: A trickle: a byte every quarter of a second, 2,400 of them (10 minutes).
TRICKLE_INTERVAL = 0.25
TRICKLE_BYTES = 2400
#: The endless answer: 256 MiB, far beyond what loopback buffers hold (32 MiB at most on
#: common Linux settings), streamed as the client reads it, never held in memory.
ENDLESS_BYTES = 256 * 1024 * 1024
CHUNK = 64 * 1024

Answer = Callable[["RawServer", socket.socket], None]


class RawServer:
    """Reads one request per connection, then lets ``answer`` write to the socket.

    ``requests`` holds each request's bytes, ``sent`` the bytes of answers that went out;
    ``finished`` is set when an answer was written to its end, ``hung_up`` when the client
    closed the connection before that.
    """

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.sent = 0
        self.finished = threading.Event()
        self.hung_up = threading.Event()
        self.stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._connections: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def send(self, connection: socket.socket, data: bytes) -> None:
        connection.sendall(data)
        self.sent += len(data)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(None)
            self._connections.append(connection)
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    data = connection.recv(65536)
                    if not data:
                        return
                    request += data
                head, _, body = request.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                while len(body) < length:
                    body += connection.recv(65536)
                self.requests.append(request)
                self.answer(self, connection)
                self.finished.set()
            except OSError:
                if not self.stopping.is_set():
                    self.hung_up.set()

    def stop(self) -> None:
        """Stop serving; an answer still being written is cut off."""
        self.stopping.set()
        for connection in self._connections:
            with contextlib.suppress(OSError):  # closed already
                connection.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(30)
        self._listener.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Answer], RawServer]]:
    servers: list[RawServer] = []

    def start(answer: Answer) -> RawServer:
        servers.append(RawServer(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def publish(mode: str, core_url: str, timeout: float = 30.0) -> Any:
    """Publish once; return what it returned or the exception it raised.

    Run in a thread and waited for at most :data:`GUARD` seconds, so that a publish that
    does not keep its deadline fails the test instead of holding it for the trickle's 10
    minutes. The default timeout is long, so that only a trickle meets it, even on a
    machine too busy to answer within a second."""
    relaybox = RelayBox(TEST_API_KEY, core_url=core_url, timeout=timeout)

    def call() -> Any:
        if mode == "sync":
            with relaybox:
                return relaybox.publish("chat:1", "message", {"n": 1})

        async def main() -> Any:
            async with relaybox:
                return await relaybox.apublish("chat:1", "message", {"n": 1})

        return asyncio.run(main())

    pool = concurrent.futures.ThreadPoolExecutor(1)
    future = pool.submit(call)
    try:
        error = future.exception(timeout=GUARD)
    except concurrent.futures.TimeoutError:
        pytest.fail(f"the publish was still waiting after {GUARD:g} s: no deadline held it")
    finally:
        pool.shutdown(wait=False)
    return error if error is not None else future.result()


def assert_no_secret(error: BaseException) -> None:
    for text in (str(error), repr(error), str(getattr(error, "body", ""))):
        assert TEST_SECRET not in text


# --- redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(
    serve: Callable[[Answer], RawServer], mode: str, status: int
) -> None:
    """The redirect points at a server that would accept the signed request and publish it:
    before, aiohttp followed 307 and 308 there (and 301 to 303 as a GET) and reported that
    server's answer as Relaybox's."""
    with EventsStandin({TEST_API_KEY: ["*"]}) as elsewhere:
        location = f"{elsewhere.url}/events"

        def redirect(server: RawServer, connection: socket.socket) -> None:
            server.send(
                connection,
                f"HTTP/1.1 {status} Moved\r\nLocation: {location}\r\n"
                "Content-Length: 0\r\n\r\n".encode(),
            )

        core = serve(redirect)
        error = publish(mode, core.url)
        assert elsewhere.requests == []
    assert type(error) is PublishError
    assert (error.status, error.attempts) == (status, 1)
    assert f"core_url redirects (Location: {location})" in str(error)
    assert "redirects are not followed" in str(error)
    assert "Nothing was published" in str(error)
    assert len(core.requests) == 1
    assert_no_secret(error)


# --- one deadline per attempt ------------------------------------------------------------


def trickle(head: bytes, then: bytes) -> Answer:
    """Send ``head`` at once, then ``then`` a byte at a time; in all, 10 minutes."""

    def answer(server: RawServer, connection: socket.socket) -> None:
        server.send(connection, head)
        for index in range(len(then)):
            if server.stopping.wait(TRICKLE_INTERVAL):
                return
            server.send(connection, then[index : index + 1])

    return answer


TRICKLES = {
    # A status line and headers that never end: http.client's reads of the head.
    "head": trickle(b"HTTP/1.1 200 OK\r\n", b"X-Padding: " + b"a" * TRICKLE_BYTES),
    # A head at once, then a body a byte at a time: the read of the body.
    "body": trickle(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % TRICKLE_BYTES,
        b" " * TRICKLE_BYTES,
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("part", list(TRICKLES))
def test_a_trickled_answer_is_cut_off_at_the_deadline(
    serve: Callable[[Answer], RawServer], mode: str, part: str
) -> None:
    """Each byte comes well within the 1 s timeout; before, the sync path gave every read
    the whole timeout, and so waited for the whole 10 minutes."""
    core = serve(TRICKLES[part])
    error = publish(mode, core.url, timeout=1.0)
    assert type(error) is PublishOutcomeUnknownError
    assert "no complete answer within the timeout" in str(error)
    assert "timeout 1 s" in str(error)
    assert len(core.requests) == 1
    assert not core.finished.is_set()  # it returned with most of the trickle still to come
    assert_no_secret(error)


# --- the answer's size -------------------------------------------------------------------


def endless(head: bytes, chunked: bool = False) -> Answer:
    """``head``, then up to :data:`ENDLESS_BYTES` of spaces, as fast as the client reads."""

    def answer(server: RawServer, connection: socket.socket) -> None:
        server.send(connection, head)
        chunk = b" " * CHUNK
        if chunked:
            chunk = b"%x\r\n%s\r\n" % (CHUNK, chunk)
        for _ in range(ENDLESS_BYTES // CHUNK):
            server.send(connection, chunk)
        if chunked:
            server.send(connection, b"0\r\n\r\n")

    return answer


OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
ENDLESS = {
    "Content-Length": endless(OK + b"Content-Length: %d\r\n\r\n" % ENDLESS_BYTES),
    "chunked": endless(OK + b"Transfer-Encoding: chunked\r\n\r\n", chunked=True),
    "until closed": endless(OK + b"Connection: close\r\n\r\n"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framing", list(ENDLESS))
def test_an_endless_answer_is_not_read_past_the_cap(
    serve: Callable[[Answer], RawServer], mode: str, framing: str
) -> None:
    """Before, both paths read all 256 MiB into memory, then called it not Relaybox's."""
    core = serve(ENDLESS[framing])
    error = publish(mode, core.url)
    assert type(error) is PublishOutcomeUnknownError
    assert f"the answer was longer than {MAX_ANSWER_BYTES} bytes" in str(error)
    assert "may already have published it" in str(error)
    assert core.hung_up.wait(GUARD)  # the client closed the connection, rather than reading on
    assert not core.finished.is_set()
    # What went out: the cap, and what the kernels' buffers took before the client hung up.
    assert core.sent < ENDLESS_BYTES // 4
    assert len(core.requests) == 1
    assert_no_secret(error)


def answer_of(size: int) -> Answer:
    """Relaybox's answer, padded with spaces to ``size`` bytes."""
    reply = b'{"requestId":"4bd95b36-9d0e-4d5e-9a5c-1c1b0e6c3e3f","timestamp":1700000000000}'

    def answer(server: RawServer, connection: socket.socket) -> None:
        body = reply + b" " * (size - len(reply))
        server.send(connection, OK + b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    return answer


@pytest.mark.parametrize("mode", MODES)
def test_an_answer_of_the_cap_is_read_and_one_byte_more_is_not(
    serve: Callable[[Answer], RawServer], mode: str
) -> None:
    result = publish(mode, serve(answer_of(MAX_ANSWER_BYTES)).url)
    assert (result.request_id, result.timestamp) == (
        "4bd95b36-9d0e-4d5e-9a5c-1c1b0e6c3e3f",
        1700000000000,
    )
    error = publish(mode, serve(answer_of(MAX_ANSWER_BYTES + 1)).url)
    assert type(error) is PublishOutcomeUnknownError
    assert f"the answer was longer than {MAX_ANSWER_BYTES} bytes" in str(error)
