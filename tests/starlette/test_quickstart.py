"""The quick start for Starlette, and for FastAPI where it is installed, followed as written
in a new project under uvicorn."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.support.quickstart import follow_form_app
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
    claims = follow_form_app(framework, tmp_path, sys.executable, install=False)
    assert claims["clientId"] == "alice"
