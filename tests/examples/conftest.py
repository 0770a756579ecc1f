"""Helpers for the example applications' own tests: serve.py loaded as a module, and runs of
it that are expected to stop before serving."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.support.servers import (
    SERVE,
    TEST_API_KEY,
    TEST_SESSION_KEYS,
    TEST_WEBHOOK_SIGNING_KEY,
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
