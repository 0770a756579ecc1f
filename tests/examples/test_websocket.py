"""A WebSocket upgrade to an ASGI example is refused cleanly: a 403, no traceback.

None of the examples serves a WebSocket (the browser's realtime connection goes to
Relaybox's service), but browsers, scanners and misconfigured clients send upgrades anyway.
Django's ASGI handler raised on one: a 500 and a traceback in the log for each.
"""

from __future__ import annotations

import base64
import os
import socket
import tempfile

import pytest

from tests.support.servers import run_example

ASGI_EXAMPLES = ["django-asgi", "starlette", "fastapi"]


def upgrade_status(base_url: str, path: str) -> str:
    """The status line a server answers a WebSocket handshake for ``path`` with."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request.encode())
        answer = b""
        while b"\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


@pytest.mark.parametrize("example", ASGI_EXAMPLES)
def test_a_websocket_upgrade_is_refused_without_an_error(example: str) -> None:
    with tempfile.TemporaryFile() as output:
        with run_example(example, stderr=output) as url:
            statuses = [upgrade_status(url, path) for path in ("/", "/user/auth", "/ws")]
        output.seek(0)
        log = output.read().decode()
    assert statuses == ["HTTP/1.1 403 Forbidden"] * 3, statuses
    assert "Traceback" not in log
    assert "ERROR" not in log
