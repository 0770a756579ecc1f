"""The Flask, Starlette and FastAPI guides' publishing, webhook and testing sections, in a
fresh virtual environment that has only what the guide's own install lines put there.

Each guide gets an environment of its own (their lines differ), made once: its ``pip
install`` lines run as written from a project folder next to a copy of the clone of its own
(see ``conftest.py``), then its "Testing" section's tests run under pytest against its
"Publishing" and "Webhooks" applications (``tests/support/guide_tests.py``). A guide that
forgets an extra fails here: the application refuses to start, naming it.
"""

from __future__ import annotations

import venv
from pathlib import Path

from tests.packaging.conftest import copy_of_the_clone
from tests.support.guide_tests import run_the_guides_tests
from tests.support.quickstart import run_command
from tests.support.servers import ROOT
from tests.support.snippets import pages


def install_lines(page: str) -> list[str]:
    """Every ``pip install`` line of the page's console blocks, in page order."""
    text = (ROOT / page).read_text(encoding="utf-8").splitlines()
    lines, in_console = [], False
    for line in text:
        if line.startswith(".. code-block::"):
            in_console = line.split("::")[1].strip() == "console"
        elif in_console and line.startswith("    "):
            if " pip install " in f" {line.strip()}":
                lines.append(line.strip())
        elif line.strip():
            in_console = False
    return lines


def follow_the_guide(framework: str, tmp_path: Path) -> None:
    page = f"docs/guides/{framework}.rst"
    assert page in pages()
    lines = install_lines(page)
    assert any("relaybox-integrations[" in line for line in lines), lines
    copy_of_the_clone(tmp_path / "relaybox-integrations")
    project = tmp_path / "project"
    project.mkdir()
    environment = project / ".venv"
    venv.create(environment, with_pip=True)
    python = str(environment / "bin" / "python")
    for line in lines:
        run_command(line, project, python)
    run_the_guides_tests(page, project, python)


# A class per guide, so that ``pytest -n --dist loadscope`` (``tox -e package``) runs the
# three at once.


class TestFlask:
    def test_the_guides_tests_pass_with_only_what_the_guide_installs(self, tmp_path: Path) -> None:
        follow_the_guide("flask", tmp_path)


class TestStarlette:
    def test_the_guides_tests_pass_with_only_what_the_guide_installs(self, tmp_path: Path) -> None:
        follow_the_guide("starlette", tmp_path)


class TestFastAPI:
    def test_the_guides_tests_pass_with_only_what_the_guide_installs(self, tmp_path: Path) -> None:
        follow_the_guide("fastapi", tmp_path)
