"""The "Local development and testing" guide's pytest snippets, run as a user runs them: its
``conftest.py`` and its test module in a project of their own, under a pytest of their own,
where the package's plugin (installed with it) provides ``relaybox_emulator``.

The guide's browser snippet runs against the official client in
``tests/browser/test_official_client.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.snippets import assert_runs, code_blocks

GUIDE = "docs/local-development.rst"
SNIPPETS = {("docs/local-development.rst", "In your tests", "python"): 2}


def test_the_page_has_the_snippets_this_module_runs() -> None:
    assert_runs(SNIPPETS)


def test_the_testing_snippets_pass_in_a_project_of_their_own(tmp_path: Path) -> None:
    conftest, test_module = code_blocks(GUIDE, "In your tests")
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    (tmp_path / "test_realtime.py").write_text(test_module, encoding="utf-8")
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
