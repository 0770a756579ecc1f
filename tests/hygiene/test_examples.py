"""Every example under its real server, with its debug switch on where it has one: no page,
answer or header carries the API secret, and the server's output (access log, application
log) carries neither the secret nor any token it issued."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.hygiene.conftest import assert_no_secret
from tests.support.servers import login, run_example

EXAMPLES = ["django", "django-asgi", "flask", "starlette", "fastapi"]
#: Debug mode where the example reads it from the environment (Django's DEBUG, Flask's).
DEBUG_ENV = {"DJANGO_DEBUG": "1", "FLASK_DEBUG": "1"}
ORIGIN = "http://elsewhere.example"


@contextlib.contextmanager
def output_to(sink: IO[bytes]) -> Iterator[None]:
    """Point this process's stdout and stderr at ``sink`` while servers are started, so
    that they write their logs there for their whole life."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        yield
    finally:
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)


@pytest.fixture(scope="module", params=EXAMPLES)
def example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("server-logs") / f"{request.param}.log"
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(open(log, "wb"))  # lives as long as the server
        with output_to(sink):
            base_url = stack.enter_context(run_example(request.param, env=DEBUG_ENV))
        yield base_url, log


def visit(client: httpx.Client, csrf: dict[str, str]) -> list[httpx.Response]:
    """Every page and answer a visitor can reach, the odd ones included."""
    auth = "/user/auth"
    requests = [
        ("GET", "/", {}),
        ("GET", "/login", {}),
        ("GET", "/user/me", {}),
        ("GET", auth, {}),
        ("GET", auth + "?clientId=admin", {"X-Client-Id": "admin"}),
        ("POST", auth, {"Content-Type": "application/json", **csrf}),
        ("POST", auth, {"Content-Type": "application/json"}),
        ("HEAD", auth, {}),
        ("PUT", auth, {}),
        ("DELETE", auth, {}),
        ("OPTIONS", auth, {}),
        ("OPTIONS", auth, {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}),
        ("GET", auth, {"Origin": ORIGIN}),
        ("GET", "/no-such-page", {}),
        ("GET", "/user/no-such-page", {}),
        ("POST", "/login", {}),
        ("GET", "/docs", {}),
        ("GET", "/openapi.json", {}),
    ]
    return [
        client.request(method, url, headers=headers, content=b"{}" if method == "POST" else None)
        for method, url, headers in requests
    ]


def test_no_page_answer_or_log_line_has_the_secret(example: tuple[str, Path]) -> None:
    base_url, log = example
    responses: list[httpx.Response] = []
    with httpx.Client(base_url=base_url) as anonymous:
        responses += visit(anonymous, {})
    with httpx.Client(base_url=base_url) as user:
        login(user)
        token_page = user.get("/")
        csrf = token_page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        responses += visit(user, {"X-CSRFToken": csrf} if csrf else {})
        responses.append(user.get("/logout"))

    tokens = [
        r.json()["token"]
        for r in responses
        if r.url.path == "/user/auth"
        and r.status_code == 200
        and r.request.method in ("GET", "POST")
    ]
    assert len(tokens) >= 3  # GET, GET with spoofed ids, POST with the CSRF header
    for response in responses:
        assert response.status_code < 500, (response.request, response.text[:2000])
        assert_no_secret(
            response.content,
            [f"{name}: {value}" for name, value in response.headers.multi_items()],
        )

    time.sleep(0.5)  # the access log line follows the answer
    output = log.read_text(encoding="utf-8", errors="replace")
    assert "/user/auth" in output  # the server's access log was captured
    assert_no_secret(output)
    leaked = [token for token in tokens if token in output]
    assert not leaked, "a token is in the server's output"
