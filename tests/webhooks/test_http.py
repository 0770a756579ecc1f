"""Relaybox's dispatcher, in Node, delivering to a WebhookEndpoint behind a real HTTP server.

The server is the standard library's threaded HTTP server on 127.0.0.1, with the few lines
of adapter any framework needs; the client is ``tests/node/webhook-dispatch.js``, which signs,
sends and retries exactly as Relaybox's webhook service does (with shorter waits).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from relaybox_integrations import (
    WEBHOOK_SIGNATURE_HEADER,
    EndpointResponse,
    WebhookEndpoint,
    WebhookEvent,
    WebhookStore,
)
from tests.support.verifier import NODE_DIR, ensure_installed
from tests.webhooks.conftest import SIGNING_KEY, relaybox_payload

PATIENCE = 10.0


class Server:
    """``endpoint`` served over HTTP; ``answers`` lists every status it sent."""

    def __init__(self, endpoint: WebhookEndpoint) -> None:
        self.endpoint = endpoint
        self.answers: list[int] = []
        self.answered = threading.Condition()
        server = self

        class Adapter(BaseHTTPRequestHandler):
            def serve(self) -> None:
                response = endpoint.reject_before_reading(
                    self.command, self.headers.get("Content-Length")
                )
                if response is None:
                    length = int(self.headers.get("Content-Length") or 0)
                    body = self.rfile.read(min(length, endpoint.max_body_size + 1))
                    signature = self.headers.get(WEBHOOK_SIGNATURE_HEADER)
                    response = endpoint.handle(self.command, body, signature)
                else:
                    self.close_connection = True  # the body was never read
                self.send(response)
                with server.answered:
                    server.answers.append(response.status)
                    server.answered.notify_all()

            def send(self, response: EndpointResponse) -> None:
                try:
                    self.send_response(response.status)
                    for name, value in response.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # Relaybox stopped waiting (its timeout); the work is done all the same

            do_POST = do_GET = do_PUT = serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Adapter)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/webhooks/relaybox"

    def wait_for(self, status: int) -> bool:
        with self.answered:
            return self.answered.wait_for(lambda: status in self.answers, PATIENCE)


@pytest.fixture
def serve(store: WebhookStore) -> Iterator[Callable[[], Server]]:
    servers: list[Server] = []

    def start() -> Server:
        server = Server(WebhookEndpoint(SIGNING_KEY, store=store))
        threading.Thread(target=server.http.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.http.shutdown()
        server.http.server_close()


def relaybox_delivers(url: str, *, signing_key: str = SIGNING_KEY, **options: Any) -> list[Any]:
    """The attempts Relaybox's dispatcher makes for one event."""
    ensure_installed()
    payload = relaybox_payload()
    del payload["timestamp"]  # the dispatcher stamps each attempt
    request = {
        "url": url,
        "signingKey": signing_key,
        "webhookId": "whk-1",
        "payload": payload,
        # Relaybox's own 5 s: a shorter wait turned a loaded machine's slow first answer into a
        # retry (seen once under a load average of 11). The slow-handler test sets its own.
        "timeoutMs": 5000,
        "backoffMs": 20,
        **options,
    }
    result = subprocess.run(
        ["node", str(NODE_DIR / "webhook-dispatch.js"), json.dumps(request)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return list(json.loads(result.stdout))


def test_a_delivery_is_handled_at_the_first_attempt(serve: Callable[[], Server]) -> None:
    server = serve()
    events: list[WebhookEvent] = []
    server.endpoint.on("room:publish")(events.append)
    (only,) = relaybox_delivers(server.url)
    assert only["status"] == 200
    assert json.loads(only["body"])["status"] == "processed"
    (event,) = events
    assert event.session["clientId"] == "user-1234"


def test_a_failed_handler_is_retried_by_relaybox_and_succeeds_once(
    serve: Callable[[], Server],
) -> None:
    server = serve()
    done: list[str] = []
    failures = iter([ConnectionError("the database restarted")])

    @server.endpoint.on("room:publish")
    def save(event: WebhookEvent) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        done.append(event.id)

    attempts = relaybox_delivers(server.url)
    assert [attempt["status"] for attempt in attempts] == [500, 200]
    assert done == ["3b0c6a8e-5f7e-4d0b-9a61-2f1c8e7d4a90"]


def test_a_forgery_gets_one_final_answer(serve: Callable[[], Server]) -> None:
    server = serve()
    events: list[WebhookEvent] = []
    server.endpoint.on("*")(events.append)
    attempts = relaybox_delivers(server.url, signing_key="someone-elses-key")
    assert [attempt["status"] for attempt in attempts] == [403]
    assert json.loads(attempts[0]["body"])["error"] == "invalid_signature"
    assert events == []


def test_a_handler_slower_than_relaybox_waits_runs_once(serve: Callable[[], Server]) -> None:
    """Relaybox gives up on the first attempt (timeout) while its handler still runs; the retry
    finds the delivery in progress (503, retried); a later retry finds it done (200)."""
    server = serve()
    runs: list[str] = []

    @server.endpoint.on("room:publish")
    def slow(event: WebhookEvent) -> None:
        runs.append(event.id)
        assert server.wait_for(503)  # finish only once a retry has been told to come back

    attempts = relaybox_delivers(server.url, timeoutMs=2000, backoffMs=100)
    assert attempts[0] == {"error": "TimeoutError"}  # the handler waits for a 503 to be sent
    assert attempts[-1]["status"] == 200
    assert json.loads(attempts[-1]["body"])["status"] == "duplicate"
    # In between: 503s, or, on a machine too busy to answer within the timeout, timeouts.
    assert {attempt.get("status", attempt.get("error")) for attempt in attempts[1:-1]} <= {
        503,
        "TimeoutError",
    }
    assert 503 in server.answers
    assert len(runs) == 1
