"""The quick start for Flask, followed as written in a new project under ``flask run``."""

from __future__ import annotations

from pathlib import Path

from tests.support.quickstart import flask_command, running, token_after_form_login, write_app
from tests.support.servers import free_port
from tests.support.snippets import assert_runs

SNIPPETS = {("docs/quickstart.rst", "Flask", "python"): 1}


def test_the_page_has_the_snippet_this_test_runs() -> None:
    assert_runs(SNIPPETS)


def test_from_a_new_project_to_a_token(tmp_path: Path) -> None:
    port = free_port()
    app = write_app(tmp_path, "Flask")
    with running("the Flask quick start", flask_command(app, port), port, "/login") as url:
        claims = token_after_form_login(url)
    assert claims["clientId"] == "alice"
