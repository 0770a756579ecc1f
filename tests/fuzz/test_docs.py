"""The development page's "Fuzzing and secret hygiene" snippet, run as written.

It loads the package's shipped OpenAPI description as users would (importlib.resources) and
asserts on it itself; the test also checks that what it loaded is that file, parsed.
"""

from __future__ import annotations

import json
from pathlib import Path

import relaybox_integrations
from tests.support.snippets import assert_runs, run_snippet

PAGE = "docs/development.rst"
SNIPPETS = {("docs/development.rst", "Fuzzing and secret hygiene", "python"): 1}
SHIPPED = Path(relaybox_integrations.__file__).resolve().parent / "openapi.json"


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def test_the_snippet_loads_the_shipped_description() -> None:
    namespace = run_snippet(PAGE, "Fuzzing and secret hygiene", 0)  # asserts itself
    description = namespace["description"]
    assert description == json.loads(SHIPPED.read_text("utf-8"))
    assert description["openapi"].startswith("3.1")
    assert "/user/auth" in description["paths"]
    assert namespace["token"] is description["components"]["schemas"]["TokenBody"]
