"""The quick start, followed as written in a new project: its files in an empty folder, its
server started as the page says, a login through its form, a token from ``/user/auth``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx

from .servers import TEST_API_KEY, TEST_SECRET, serving
from .snippets import code_blocks
from .verifier import node_verify

PAGE = "docs/quickstart.rst"
#: What the page tells readers to export, with test values.
ENVIRONMENT = {
    "RELAYBOX_API_KEY": TEST_API_KEY,
    "FLASK_SECRET_KEY": "test-quickstart-flask-session-key",
    "SESSION_SECRET_KEY": "test-quickstart-session-key",
}


def environment() -> dict[str, str]:
    """This process's environment with the page's variables, for the project's commands."""
    return {**os.environ, **ENVIRONMENT}


def write_app(project: Path, section: str) -> Path:
    """The section's only python block, saved as ``app.py`` as the page says."""
    (code,) = code_blocks(PAGE, section)
    path = project / "app.py"
    path.write_text(code, encoding="utf-8")
    return path


@contextlib.contextmanager
def running(name: str, command: list[str], port: int, probe: str) -> Iterator[str]:
    """The project's server, started with ``command``; yields its base URL."""
    base_url = f"http://127.0.0.1:{port}"
    with serving(name, command, base_url + probe, env=environment()):
        yield base_url


def flask_command(app: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", str(app), "run", "--port", str(port)]


def uvicorn_command(project: Path, port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "--app-dir", str(project), "app:app",
        "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip


def token_after_form_login(base_url: str, username: str = "alice") -> dict[str, object]:
    """Anonymous first (401), then log in through the page's form and follow it to the token;
    the token's claims, verified by jsonwebtoken."""
    with httpx.Client(base_url=base_url, follow_redirects=True, timeout=10) as client:
        assert client.get("/user/auth").status_code == 401
        form = client.get("/login")
        assert form.status_code == 200
        assert 'name="username"' in form.text
        answer = client.post("/login", data={"username": username})
        assert answer.url.path == "/user/auth", answer.url
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        return node_verify(answer.json()["token"], TEST_SECRET)
