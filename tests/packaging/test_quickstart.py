"""The quick start from its first command: each framework's ``pip install`` line run as
written, from a project folder next to the clone, into a fresh virtual environment, then the
rest of the section (``tests/support/quickstart.py``) with that environment's Python.

One environment serves the four sections, each installing its own extra into it, so that
the run stays short; each project has a folder of its own, next to one copy of the clone
(see ``conftest.py``).
"""

from __future__ import annotations

import venv
from pathlib import Path

import pytest

from tests.packaging.conftest import copy_of_the_clone
from tests.support.quickstart import follow_django, follow_form_app


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_of_the_clone(tmp_path_factory.mktemp("clone") / "relaybox-integrations")


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh virtual environment's Python, as ``python3 -m venv .venv`` makes one."""
    environment = tmp_path_factory.mktemp("quickstart") / ".venv"
    venv.create(environment, with_pip=True)
    return str(environment / "bin" / "python")


@pytest.fixture
def project(clone: Path, tmp_path: Path) -> Path:
    """An empty project folder, with the clone next to it as ``../relaybox-integrations``."""
    (tmp_path / "relaybox-integrations").symlink_to(clone, target_is_directory=True)
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("framework", ["Flask", "Starlette", "FastAPI"])
def test_a_form_login_app_from_pip_install_to_a_token(
    python: str, project: Path, framework: str
) -> None:
    claims = follow_form_app(framework, project, python, install=True)
    assert claims["clientId"] == "alice"


def test_django_from_pip_install_to_a_token(python: str, project: Path) -> None:
    claims = follow_django(project, python, install=True)
    assert claims["clientId"] == "1"
