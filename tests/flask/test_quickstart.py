"""The quick start for Flask, followed as written in a new project under ``flask run``."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.quickstart import follow_form_app
from tests.support.snippets import assert_runs

SNIPPETS = {("docs/quickstart.rst", "Flask", "python"): 1}


def test_the_page_has_the_snippet_this_test_runs() -> None:
    assert_runs(SNIPPETS)


def test_from_a_new_project_to_a_token(tmp_path: Path) -> None:
    claims = follow_form_app("Flask", tmp_path, sys.executable, install=False)
    assert claims["clientId"] == "alice"
