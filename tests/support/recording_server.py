"""A real local HTTP server that records every request and answers as a test scripts it.

Each request is kept as it arrived (method, raw path, headers with their names lower-cased,
body); each answer is the next scripted one (``answer(...)``), or ``200 {}``. An answer may
wait before it is sent, or drop the connection with no answer at all.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.servers import free_port


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b"{}"
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    #: Seconds to wait before answering.
    delay: float = 0.0
    #: Close the connection instead of answering.
    drop: bool = False


def json_answer(status: int, value: Any, **options: Any) -> Answer:
    return Answer(status, json.dumps(value).encode(), **options)


@dataclass
class RecordingServer:
    port: int
    requests: list[Recorded] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, *answers: Answer) -> None:
        self.script.extend(answers)


def _handler(server: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Relaybox's services

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server.requests.append(
                Recorded(
                    self.command,
                    self.path,
                    {name.lower(): value for name, value in self.headers.items()},
                    body,
                )
            )
            answer = server.script.pop(0) if server.script else Answer()
            time.sleep(answer.delay)
            if answer.drop:
                self.close_connection = True
                return
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up before a delayed answer: what the test wanted


@contextmanager
def recording_server(port: int | None = None) -> Iterator[RecordingServer]:
    """A :class:`RecordingServer` on a free loopback port (or ``port``), for one block."""
    server = RecordingServer(port or free_port())
    httpd = _Server(("127.0.0.1", server.port), _handler(server))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
