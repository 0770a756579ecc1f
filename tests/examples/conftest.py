"""Helpers for the example applications' own tests: serve.py loaded as a module, runs of it
that are expected to stop before serving, and each example served once per test session
with test_contract.py's settings (:func:`example_server`)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.events_standin import EventsStandin
from tests.support.servers import (
    SERVE,
    TEST_API_KEY,
    TEST_SESSION_KEYS,
    TEST_WEBHOOK_SIGNING_KEY,
    run_example,
)

#: Every example that serve.py serves, and the server it runs under.
EXAMPLES = {
    "django": "gunicorn",
    "django-asgi": "uvicorn",
    "flask": "gunicorn",
    "starlette": "uvicorn",
    "fastapi": "uvicorn",
}


def load_serve() -> ModuleType:
    spec = importlib.util.spec_from_file_location("serve", SERVE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Runs serve.py's main once per bad setting, each in a fork of one process.
REFUSALS = Path(__file__).with_name("refusals.py")
#: example -> the third-party modules its application imports, for refusals.py to import
#: once (Django's set-up script runs in a process of its own whatever this says).
FRAMEWORKS = {
    "django": [],
    "django-asgi": [],
    "flask": ["flask", "flask_wtf.csrf", "flask_login", "flask_cors", "werkzeug.security"],
    "starlette": [
        "starlette.applications",
        "starlette.middleware.authentication",
        "starlette.middleware.cors",
        "starlette.middleware.sessions",
        "starlette.routing",
    ],
    "fastapi": ["fastapi", "fastapi.middleware.cors", "starlette.middleware.sessions"],
}


def serve_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "RELAYBOX_API_KEY": TEST_API_KEY,
        "RELAYBOX_WEBHOOK_SIGNING_KEY": TEST_WEBHOOK_SIGNING_KEY,
        **TEST_SESSION_KEYS,
        **(env or {}),
    }


def run_serve(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """serve.py with ``args``, expected to stop by itself (a test that hangs here has found
    a server that started when it should not have)."""
    return subprocess.run(
        [sys.executable, str(SERVE), *args],
        env=serve_environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_serve_in_turn(
    example: str, runs: list[tuple[list[str], dict[str, str]]]
) -> list[subprocess.CompletedProcess[str]]:
    """serve.py's main for ``example`` with each ``(args, env)`` of ``runs`` in turn, each
    in a process of its own forked from one interpreter (see refusals.py): for settings an
    example must refuse, where a test's claim is the start-up check's, not serve.py's own
    process handling (the tests that make that claim run :func:`run_serve`). Each run is
    killed after 60 s."""
    answer = subprocess.run(
        [sys.executable, str(REFUSALS), *FRAMEWORKS[example]],
        input=json.dumps([{"argv": [example, *args], "env": value} for args, value in runs]),
        env=serve_environment(),
        capture_output=True,
        text=True,
        timeout=60 * len(runs) + 30,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    return [
        subprocess.CompletedProcess(
            [str(SERVE), example, *args],
            result["returncode"],
            result["stdout"],
            result["stderr"],
        )
        for (args, _), result in zip(runs, json.loads(answer.stdout), strict=True)
    ]


# --- each example served once per session ----------------------------------------------------

#: The origin test_contract.py's cases let in, and the origins listed beside it: an origin with
#: a default port and an IPv6 one, each let in exactly as written.
ALLOWED = "http://allowed.example:3000"
LISTED = ["https://app.example.com", "http://[::1]:3000"]


@dataclass(frozen=True)
class Served:
    """One example running under its real server for the whole session."""

    base_url: str
    #: Where the server's standard error goes (its log lines, tracebacks included).
    log: Path


@contextlib.contextmanager
def logged_example(example: str, log: Path, **options: Any) -> Iterator[str]:
    """:func:`run_example` with its standard error in ``log``, shown if it fails to start."""
    with open(log, "wb") as output, contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(run_example(example, stderr=output, **options))
        except RuntimeError as exc:
            output.flush()
            raise RuntimeError(f"{exc}; it wrote:\n{log.read_text(errors='replace')}") from None
        yield url


@pytest.fixture(scope="session")
def standin() -> Iterator[EventsStandin]:
    """Relaybox's ``/events``, as the session-wide examples' RELAYBOX_CORE_URL."""
    with EventsStandin() as server:
        yield server


@pytest.fixture(scope="session")
def example_server(
    standin: EventsStandin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Served]]:
    """``example_server(name)``: the example served by serve.py with one worker, pointed at
    the events stand-in, with :data:`ALLOWED` and :data:`LISTED` as its CORS origins and a
    database of its own; started at its first use and stopped when the session ends.

    Starting a server is most of what these tests cost, so the modules whose checks need
    nothing else share it: test_contract.py's one-worker cases, the login form's and the
    staff room's. None of them changes what another reads (each logs in with a client of its
    own; only test_contract.py posts to the chat, and reads the server's log).
    """
    running: dict[str, Served] = {}
    with contextlib.ExitStack() as stack:

        def serve(example: str) -> Served:
            if example not in running:
                folder = tmp_path_factory.mktemp(example)
                env = {
                    "CORS_ALLOWED_ORIGINS": ",".join([ALLOWED, *LISTED]),
                    "RELAYBOX_CORE_URL": standin.url,
                    "DJANGO_DB_PATH": str(folder / "db.sqlite3"),
                }
                log = folder / "stderr.log"
                url = stack.enter_context(logged_example(example, log, env=env))
                running[example] = Served(url, log)
            return running[example]

        yield serve
