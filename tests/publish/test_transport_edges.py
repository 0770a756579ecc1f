"""The transports' edge paths, against real local sockets: deadlines already spent, pooled
connections coming back after close() or to a full pool, TLS to a server that does not
speak it, and the async transport's sessions (aiohttp missing, loops closed unannounced)."""

from __future__ import annotations

import asyncio
import http.client
import http.server
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from relaybox_integrations.transport import (
    MAX_IDLE_CONNECTIONS,
    AsyncHTTPTransport,
    HTTPTransport,
    MaybeSent,
    NotSent,
    Request,
    _AnswerReader,
    _dropped,
    _Pools,
    _target,
)


class _KeepAliveHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b'{"ok":true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up before its answer (the deadline test) is expected


@pytest.fixture
def keep_alive_url() -> Iterator[str]:
    """A plain HTTP/1.1 server that keeps connections open between answers."""
    server = _QuietServer(("127.0.0.1", 0), _KeepAliveHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening TCP socket whose backlog completes connections nobody accepts."""
    server = socket.create_server(("127.0.0.1", 0), backlog=128)
    try:
        yield server
    finally:
        server.close()


def _get(url: str, timeout: float = 30.0) -> Request:
    return Request("GET", url, {}, None, timeout)


def test_answer_reader_with_its_deadline_passed_times_out_without_reading() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(b"unread")
        reader = _AnswerReader(ours.makefile("rb", buffering=0), ours, time.monotonic() - 1)
        with pytest.raises(TimeoutError, match=r"^timed out$"):
            reader.readinto(bytearray(16))
        reader.close()
        assert reader.closed
        ours.settimeout(5)
        assert ours.recv(16) == b"unread"  # the expired read took nothing off the socket


def test_a_connection_without_socket_counts_as_dropped() -> None:
    assert _dropped(None) is True


def test_dropped_tells_a_live_idle_socket_from_one_the_peer_closed() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert _dropped(ours) is False
        theirs.close()
        assert _dropped(ours) is True


def _connected(listener: socket.socket) -> http.client.HTTPConnection:
    host, port = listener.getsockname()
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.connect()
    return connection


def test_a_connection_back_after_close_is_closed_not_kept(listener: socket.socket) -> None:
    pools = _Pools()
    target = _target(f"http://127.0.0.1:{listener.getsockname()[1]}/")
    connection, generation = pools.checkout(target)
    assert connection is None
    connection = _connected(listener)
    pools.close()  # while the connection is out
    pools.checkin(target, connection, generation)
    assert connection.sock is None
    assert pools.idle == {}
    assert pools.checkout(target) == (None, generation + 1)


def test_a_connection_back_to_a_full_pool_is_closed(listener: socket.socket) -> None:
    pools = _Pools()
    target = _target(f"http://127.0.0.1:{listener.getsockname()[1]}/")
    kept = [_connected(listener) for _ in range(MAX_IDLE_CONNECTIONS)]
    extra = _connected(listener)
    try:
        for connection in kept:
            pools.checkin(target, connection, 0)
        pools.checkin(target, extra, 0)
        assert extra.sock is None
        idle = pools.idle[(False, "127.0.0.1", target.port)]
        assert len(idle) == MAX_IDLE_CONNECTIONS
        assert all(connection.sock is not None for connection in idle)
    finally:
        pools.close()
    assert all(connection.sock is None for connection in kept)


def test_https_to_a_server_that_does_not_speak_tls_is_not_sent(listener: socket.socket) -> None:
    def answer_in_plain_text() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=answer_in_plain_text, daemon=True)
    thread.start()
    transport = HTTPTransport()
    url = f"https://127.0.0.1:{listener.getsockname()[1]}/events"
    try:
        with pytest.raises(NotSent, match=r"^could not connect: "):
            transport.handle(_get(url))
        context = transport._ssl_context
        assert context is not None
        with pytest.raises(NotSent, match=r"^could not connect: "):
            transport.handle(_get(url))
        assert transport._ssl_context is context  # made once, then reused
        assert transport._pools.idle == {}
    finally:
        transport.close()
    thread.join(timeout=30)
    assert not thread.is_alive()


def test_a_deadline_spent_before_the_answer_is_maybe_sent_and_drops_the_connection(
    keep_alive_url: str,
) -> None:
    transport = HTTPTransport()
    try:
        assert transport.handle(_get(keep_alive_url)).status == 200
        key = (False, "127.0.0.1", _target(keep_alive_url).port)
        (pooled,) = transport._pools.idle[key]
        # No time at all: the kept connection still takes the request into its send buffer,
        # and the deadline is past by the time the answer would be awaited.
        with pytest.raises(MaybeSent, match=r"^no complete answer within the timeout$"):
            transport.handle(_get(keep_alive_url, timeout=0))
        assert pooled.sock is None
        assert transport._pools.idle[key] == []
        assert transport.handle(_get(keep_alive_url)).status == 200  # a new connection
    finally:
        transport.close()


def test_the_async_transport_without_aiohttp_says_what_to_install() -> None:
    code = (
        "import asyncio, sys\n"
        "sys.modules['aiohttp'] = None  # as if it were not installed\n"
        "from relaybox_integrations import MissingExtraError\n"
        "from relaybox_integrations.transport import AsyncHTTPTransport, Request\n"
        "request = Request('GET', 'http://127.0.0.1:9/', {}, None, 5)\n"
        "try:\n"
        "    asyncio.run(AsyncHTTPTransport().handle_async(request))\n"
        "except MissingExtraError as error:\n"
        "    print(error.extra, error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.startswith("publish apublish (publishing without blocking")
    assert "[publish] extra (aiohttp), which is not installed" in result.stdout


def test_sessions_of_loops_closed_without_shutdown_are_forgotten(keep_alive_url: str) -> None:
    pytest.importorskip("aiohttp")
    transport = AsyncHTTPTransport()
    request = _get(keep_alive_url)
    old_loop = asyncio.new_event_loop()
    try:
        answer = old_loop.run_until_complete(transport.handle_async(request))
        assert answer.status == 200
        old_session = transport._clients[old_loop].session
        old_loop.run_until_complete(old_session.close())
    finally:
        old_loop.close()  # without shutdown_asyncgens: the session's closer never runs
    assert old_loop in transport._clients

    async def in_a_new_loop() -> None:
        loop = asyncio.get_running_loop()
        assert (await transport.handle_async(request)).status == 200
        assert list(transport._clients) == [loop]  # the closed loop's entry is gone
        session = transport._clients[loop].session
        assert (await transport.handle_async(request)).status == 200
        assert transport._clients[loop].session is session  # one session per loop
        await transport.aclose()
        assert session.closed
        assert transport._clients == {}
        await transport.aclose()  # nothing left to close

    asyncio.run(in_a_new_loop())
