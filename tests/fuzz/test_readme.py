"""The README's "Fuzzing and secret hygiene" snippet, run as written.

It loads the package's shipped OpenAPI description as users would (importlib.resources) and
asserts on it itself; the test also checks that what it loaded is that file, parsed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import relaybox_integrations
from tests.support.readme import code_blocks

SECTION = "Fuzzing and secret hygiene"
SHIPPED = Path(relaybox_integrations.__file__).resolve().parent / "openapi.json"


def test_the_section_has_the_one_snippet_this_test_runs() -> None:
    # Keeps the index below honest when the README gains or loses a block.
    assert len(code_blocks(SECTION)) == 1


def test_the_snippet_loads_the_shipped_description() -> None:
    namespace: dict[str, Any] = {"__name__": "readme_fuzz_0"}
    exec(compile(code_blocks(SECTION)[0], "README.rst", "exec"), namespace)  # asserts itself
    description = namespace["description"]
    assert description == json.loads(SHIPPED.read_text("utf-8"))
    assert description["openapi"].startswith("3.1")
    assert "/user/auth" in description["paths"]
    assert namespace["token"] is description["components"]["schemas"]["TokenBody"]
