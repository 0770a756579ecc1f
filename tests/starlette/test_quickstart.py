"""The quick start for Starlette, and for FastAPI where it is installed, followed as written
in a new project under uvicorn."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.support.quickstart import running, token_after_form_login, uvicorn_command, write_app
from tests.support.servers import free_port
from tests.support.snippets import assert_runs

SNIPPETS = {
    ("docs/quickstart.rst", "Starlette", "python"): 1,
    ("docs/quickstart.rst", "FastAPI", "python"): 1,
}
FRAMEWORKS = [
    "Starlette",
    pytest.param(
        "FastAPI",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("fastapi") is None,
            reason="FastAPI's quick start runs in the fastapi environments",
        ),
    ),
]


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_from_a_new_project_to_a_token(tmp_path: Path, framework: str) -> None:
    port = free_port()
    write_app(tmp_path, framework)
    command = uvicorn_command(tmp_path, port)
    with running(f"the {framework} quick start", command, port, "/login") as url:
        claims = token_after_form_login(url)
    assert claims["clientId"] == "alice"
