"""serve.py's fix for uvicorn's multi-worker listening socket (uvicorn issue #3149)."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
from types import ModuleType

import pytest
import uvicorn.config

from tests.support.servers import SERVE


def load_serve() -> ModuleType:
    spec = importlib.util.spec_from_file_location("serve", SERVE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
