"""The "Rooms with rules" snippet of the local development guide, run as a user runs it: in a
project of their own, with the guide's ``conftest.py`` from "In your tests", under a pytest
of their own, where the package's plugin provides ``relaybox_emulator``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.snippets import assert_runs, code_blocks

GUIDE = "docs/local-development.rst"
SNIPPETS = {("docs/local-development.rst", "Rooms with rules", "python"): 1}


def test_the_page_has_the_snippet_this_module_runs() -> None:
    assert_runs(SNIPPETS)


def test_the_rooms_snippet_passes_in_a_project_of_its_own(tmp_path: Path) -> None:
    conftest = code_blocks(GUIDE, "In your tests")[0]
    [test_module] = code_blocks(GUIDE, "Rooms with rules")
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    (tmp_path / "test_rooms.py").write_text(test_module, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout, result.stdout
