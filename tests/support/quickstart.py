"""The quick start, followed as written in a new project: the section's commands run in an
empty folder, its ``app.py`` saved there, its server started as the page says, a login
through its form, and a token from ``/user/auth``.

Each framework's tests follow it with the Python running them, skipping the install line
(their environment has the framework already); ``tests/packaging`` runs the install lines
too, in a fresh virtual environment.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from .servers import TEST_API_KEY, TEST_SECRET, free_port, serving
from .snippets import code_blocks
from .verifier import node_verify

PAGE = "docs/quickstart.rst"
#: What the page tells readers to export, with test values.
ENVIRONMENT = {
    "RELAYBOX_API_KEY": TEST_API_KEY,
    "FLASK_SECRET_KEY": "test-quickstart-flask-session-key",
    "SESSION_SECRET_KEY": "test-quickstart-session-key",
}
#: ``createsuperuser --noinput`` reads its answers from these.
SUPERUSER = {
    "DJANGO_SUPERUSER_USERNAME": "ada",
    "DJANGO_SUPERUSER_PASSWORD": "quick-start-password",
    "DJANGO_SUPERUSER_EMAIL": "ada@example.com",
}
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def environment() -> dict[str, str]:
    """This process's environment with the page's variables, for the project's commands."""
    return {**os.environ, **ENVIRONMENT, **SUPERUSER}


def commands(section: str) -> list[str]:
    """The lines of the section's console block."""
    (block,) = code_blocks(PAGE, section, language="console")
    return [line for line in block.splitlines() if line.strip()]


def run_command(line: str, project: Path, python: str) -> None:
    """One of the page's commands, with ``python`` for ``python`` and ``django-admin``;
    ``createsuperuser`` takes its answers from the environment rather than a terminal."""
    words = shlex.split(line.split("#", 1)[0])
    if words[0] == "django-admin":
        words = [python, "-m", "django", *words[1:]]
    elif words[0] == "python":
        words = [python, *words[1:]]
    if "createsuperuser" in words:
        words.append("--noinput")
    result = subprocess.run(
        words, cwd=project, env=environment(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{line}: {result.stdout}{result.stderr}"


def run_commands(lines: list[str], project: Path, python: str, *, install: bool) -> None:
    """``lines`` of the page in ``project``; the ``pip install`` line only if ``install``."""
    for line in lines:
        if install or " pip install " not in f" {line}":
            run_command(line, project, python)


@contextlib.contextmanager
def running(name: str, command: list[str], probe: str, port: int) -> Iterator[str]:
    """The project's server, started with ``command``; yields its base URL."""
    base_url = f"http://127.0.0.1:{port}"
    with serving(name, command, base_url + probe, env=environment()):
        yield base_url


def follow_form_app(section: str, project: Path, python: str, *, install: bool) -> Any:
    """Flask, Starlette or FastAPI: install, save ``app.py``, run it, log in through its form;
    the token's claims, verified by jsonwebtoken."""
    run_commands(commands(section), project, python, install=install)
    (code,) = code_blocks(PAGE, section)
    app = project / "app.py"
    app.write_text(code, encoding="utf-8")
    port = free_port()
    if section == "Flask":
        command = [python, "-m", "flask", "--app", str(app), "run", "--port", str(port)]
    else:
        command = [
            python, "-m", "uvicorn", "--app-dir", str(project), "app:app",
            "--port", str(port), "--log-level", "warning",
        ]  # fmt: skip
    with (
        running(f"the {section} quick start", command, "/login", port) as url,
        httpx.Client(base_url=url, follow_redirects=True, timeout=10) as client,
    ):
        assert client.get("/user/auth").status_code == 401
        form = client.get("/login")
        assert form.status_code == 200
        assert 'name="username"' in form.text
        answer = client.post("/login", data={"username": "alice"})
    assert answer.url.path == "/user/auth", answer.url
    return token_claims(answer)


def follow_django(project: Path, python: str, *, install: bool) -> Any:
    """Django: the commands (``startproject``, ``migrate``, ``createsuperuser``), the page's
    lines at the end of the settings and as the URLs, ``runserver``, a login through the
    admin; the token's claims, verified by jsonwebtoken."""
    lines = commands("Django")
    settings_lines, urls = code_blocks(PAGE, "Django")
    first_after_startproject = (
        next(index for index, line in enumerate(lines) if "startproject" in line) + 1
    )
    run_commands(lines[:first_after_startproject], project, python, install=install)
    settings = project / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + "\n" + settings_lines)
    (project / "mysite" / "urls.py").write_text(urls)
    run_commands(lines[first_after_startproject:], project, python, install=install)

    port = free_port()
    command = [python, str(project / "manage.py"), "runserver", "--noreload", str(port)]
    with (
        running("the Django quick start", command, "/admin/login/", port) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        assert client.get("/user/auth").status_code == 401
        (csrf_token,) = _CSRF_FIELD.findall(client.get("/admin/login/").text)
        logged_in = client.post(
            "/admin/login/?next=/admin/",
            data={
                "csrfmiddlewaretoken": csrf_token,
                "username": SUPERUSER["DJANGO_SUPERUSER_USERNAME"],
                "password": SUPERUSER["DJANGO_SUPERUSER_PASSWORD"],
            },
            headers={"Referer": f"{url}/admin/login/"},
        )
        assert logged_in.status_code == 302, logged_in.text
        return token_claims(client.get("/user/auth"))


def token_claims(answer: httpx.Response) -> Any:
    """The claims of the token answer, verified by jsonwebtoken."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return node_verify(answer.json()["token"], TEST_SECRET)
