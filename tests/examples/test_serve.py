"""serve.py as a newcomer meets it: its help, a port already taken, development keys, slow
clients under the WSGI examples, and its fix for uvicorn's workers (uvicorn issue
#3149)."""

from __future__ import annotations

import asyncio
import socket
import tempfile
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn.config

from tests.examples.conftest import EXAMPLES, load_serve, run_serve
from tests.support.servers import run_example

OPTIONS = ["--host", "--port", "--workers", "--no-access-log"]


def test_help_describes_every_option_and_its_default() -> None:
    result = run_serve("--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for option in OPTIONS:
        described = text.split(option, 2)[-1].split(" --", 1)[0]
        assert "default" in described, f"{option} has no default in --help: {described!r}"
    assert "(default: 127.0.0.1" in text
    assert "(default: 8000)" in text
    for example in EXAMPLES:
        assert example in text.split("positional arguments:", 1)[1]


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else is listening on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


@pytest.mark.parametrize("example", ["flask", "starlette", "django"])
def test_a_taken_port_stops_serve_py_before_it_starts(example: str, taken_port: int) -> None:
    started = time.monotonic()
    result = run_serve(example, "--port", str(taken_port), timeout=30)
    assert result.returncode == 1, result.stderr
    assert f"Port {taken_port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr
    assert "Serving the" not in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 25  # gunicorn alone retries for a while first


def test_a_taken_port_suggests_a_free_one(taken_port: int) -> None:
    result = run_serve("flask", "--port", str(taken_port), timeout=30)
    suggested = int(result.stderr.rsplit("--port ", 1)[1].rstrip(".\n"))
    assert suggested > taken_port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", suggested))


@pytest.mark.parametrize(
    ("example", "setting"),
    [
        ("django", "DJANGO_SECRET_KEY"),
        ("django-asgi", "DJANGO_SECRET_KEY"),
        ("flask", "FLASK_SECRET_KEY"),
        ("starlette", "SESSION_SECRET_KEY"),
        ("fastapi", "SESSION_SECRET_KEY"),
    ],
)
def test_every_development_key_is_named(example: str, setting: str) -> None:
    warnings = load_serve().development_key_warnings
    webhook = "RELAYBOX_WEBHOOK_SIGNING_KEY"
    every = warnings(example, {})
    assert [w.split(" ", 1)[0] for w in every] == ["RELAYBOX_API_KEY", setting, webhook]
    assert all("DEVELOPMENT" in warning for warning in every)
    assert "forge a login" in every[1]
    assert "forge a delivery" in every[2]
    assert warnings(example, {"RELAYBOX_API_KEY": "x", setting: "y", webhook: "z"}) == []


def test_serve_py_prints_the_development_key_warnings() -> None:
    with tempfile.TemporaryFile() as output:
        env: dict[str, str | None] = {
            "RELAYBOX_API_KEY": None,
            "SESSION_SECRET_KEY": None,
            "RELAYBOX_WEBHOOK_SIGNING_KEY": None,
        }
        with run_example("starlette", env=env, stderr=output):
            pass
        output.seek(0)
        printed = output.read().decode()
    assert "RELAYBOX_API_KEY is not set" in printed
    assert "SESSION_SECRET_KEY is not set" in printed
    assert "RELAYBOX_WEBHOOK_SIGNING_KEY is not set" in printed


#: Slow clients at once: more than a threaded worker's threads (8, then 16 and more), far
#: fewer than gevent's connections per worker (1000).
SLOW_CLIENTS = 40


def start_slow_request(base_url: str, body: bool) -> socket.socket:
    """A client that has sent part of a request (its headers, or all but its body's first
    byte) and will send the rest much later: here, never."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    slow = socket.create_connection((host, int(port)))
    head = f"POST /login HTTP/1.1\r\nHost: {host}\r\n".encode()
    if body:
        form = b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n"
        slow.sendall(head + form + b"\r\nu")
    else:
        slow.sendall(head + b"X-Slow: ")
    return slow


@pytest.mark.parametrize("example", ["django", "flask"])
def test_slow_clients_do_not_stall_the_gunicorn_examples(
    example: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """With one sync worker, each slow client held every other request for 30 s; with a
    threaded one, as many slow clients as it has threads did (issue 21: twenty slow bodies
    starved Flask). Half of these clients stop in their headers, half in their body."""
    database = tmp_path_factory.mktemp("db") / "slow.sqlite3"
    with run_example(example, env={"DJANGO_DB_PATH": str(database)}) as url:
        slow_clients = [start_slow_request(url, body=n % 2 == 1) for n in range(SLOW_CLIENTS)]
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                for _ in range(3):
                    assert client.get("/login").status_code == 200
        finally:
            for slow in slow_clients:
                slow.close()


async def nodelay_of_accepted_connection(listening: socket.socket) -> int:
    """TCP_NODELAY as asyncio leaves it on a connection accepted from ``listening``."""
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[int] = loop.create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    server = await loop.create_server(Probe, sock=listening)
    host, port = listening.getsockname()[:2]
    _, writer = await asyncio.open_connection(host, port)
    try:
        return await asyncio.wait_for(accepted, timeout=5)
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


def loopback_available(host: str) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family) as probe:
            probe.bind((host, 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_the_shared_worker_socket_gives_connections_tcp_nodelay(host: str) -> None:
    if not loopback_available(host):  # containers without IPv6 have no ::1
        pytest.skip(f"{host} cannot be bound on this machine")
    bind_socket = load_serve().with_tcp_nodelay(uvicorn.config.Config.bind_socket)
    listening = bind_socket(uvicorn.config.Config(app="app:app", host=host, port=0))
    assert listening.proto == socket.IPPROTO_TCP
    assert asyncio.run(nodelay_of_accepted_connection(listening)) == 1
