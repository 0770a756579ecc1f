"""Helpers for the example applications' own tests: serve.py loaded as a module, and runs of
it that are expected to stop before serving."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
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


def run_serve(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """serve.py with ``args``, expected to stop by itself (a test that hangs here has found
    a server that started when it should not have)."""
    return subprocess.run(
        [sys.executable, str(SERVE), *args],
        env={
            **os.environ,
            "RELAYBOX_API_KEY": TEST_API_KEY,
            "RELAYBOX_WEBHOOK_SIGNING_KEY": TEST_WEBHOOK_SIGNING_KEY,
            **TEST_SESSION_KEYS,
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
