"""The quick start for Django, followed as written: a new project from ``django-admin
startproject``, the page's lines added to its settings and URLs, ``migrate`` and
``createsuperuser``, then ``runserver``, a login through Django's admin and a token.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.quickstart import PAGE, environment, running
from tests.support.servers import TEST_SECRET, free_port
from tests.support.snippets import assert_runs, code_blocks
from tests.support.verifier import node_verify

SNIPPETS = {("docs/quickstart.rst", "Django", "python"): 2}
SUPERUSER = {
    "DJANGO_SUPERUSER_USERNAME": "ada",
    "DJANGO_SUPERUSER_PASSWORD": "quick-start-password",
    "DJANGO_SUPERUSER_EMAIL": "ada@example.com",
}
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_the_page_has_the_snippets_this_test_runs() -> None:
    assert_runs(SNIPPETS)


def run_console_line(line: str, project: Path) -> None:
    """One of the page's commands, with this Python; ``createsuperuser`` takes its answers
    from the environment rather than a terminal."""
    words = shlex.split(line)
    if words[0] == "django-admin":
        words = [sys.executable, "-m", "django", *words[1:]]
    elif words[0] == "python":
        words = [sys.executable, *words[1:]]
    if "createsuperuser" in words:
        words.append("--noinput")
    result = subprocess.run(
        words, cwd=project, env={**environment(), **SUPERUSER}, capture_output=True, text=True
    )
    assert result.returncode == 0, f"{line}: {result.stdout}{result.stderr}"


def test_from_a_new_project_to_a_token(tmp_path: Path) -> None:
    (commands,) = code_blocks(PAGE, "Django", language="console")
    settings_lines, urls = code_blocks(PAGE, "Django")
    lines = [line for line in commands.splitlines() if line.strip()]
    assert lines[0] == "django-admin startproject mysite .", lines
    run_console_line(lines[0], tmp_path)
    settings = tmp_path / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + "\n" + settings_lines)
    (tmp_path / "mysite" / "urls.py").write_text(urls)
    for line in lines[1:]:
        run_console_line(line, tmp_path)

    port = free_port()
    command = [sys.executable, str(tmp_path / "manage.py"), "runserver", "--noreload", str(port)]
    with (
        running("the Django quick start", command, port, "/admin/login/") as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        assert client.get("/user/auth").status_code == 401
        form = client.get("/admin/login/")
        (csrf_token,) = CSRF_FIELD.findall(form.text)
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
        answer = client.get("/user/auth")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    claims = node_verify(answer.json()["token"], TEST_SECRET)
    assert claims["clientId"] == "1"  # the superuser, the project's first user
