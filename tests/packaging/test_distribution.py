"""What publishing needs, checked before it is needed: the sdist and wheel build and pass
PyPI's checks, the version has a changelog entry, and the README's install line works.

These tests build and install the package themselves (``tox -e package`` runs them without
installing it first), and fetch the framework extra's dependencies from the package index.
Each builds from a copy of the clone of its own (see ``conftest.py``).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from tests.packaging.conftest import copy_of_the_clone
from tests.support.servers import ROOT
from tests.support.snippets import README, code_blocks

VERSION_LINE = re.compile(r'^__version__ = "([^"]+)"$', flags=re.MULTILINE)


def package_version() -> str:
    """The version the package declares, read without importing it."""
    source = (ROOT / "relaybox_integrations" / "_version.py").read_text(encoding="utf-8")
    match = VERSION_LINE.search(source)
    assert match is not None, "relaybox_integrations/_version.py declares no __version__"
    return match.group(1)


def run(command: list[str], cwd: Path = ROOT) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, (
        f"{shlex.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel, built as a release builds them: the sdist from the clone,
    the wheel from the sdist. Their build environments are made with uv, which makes them
    faster than pip does (what is built is the same)."""
    out = tmp_path_factory.mktemp("dist")
    clone = copy_of_the_clone(tmp_path_factory.mktemp("build") / "relaybox-integrations")
    run([sys.executable, "-m", "build", "--installer", "uv", "--outdir", str(out), str(clone)])
    built = {path.suffix: path for path in out.iterdir()}
    assert set(built) == {".gz", ".whl"}, sorted(out.iterdir())
    return {"sdist": built[".gz"], "wheel": built[".whl"]}


def test_the_distributions_pass_twine_check_strict(distributions: dict[str, Path]) -> None:
    """PyPI refuses a long description it cannot render; ``--strict`` fails on warnings too."""
    output = run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, distributions.values())]
    )
    assert output.count("PASSED") == 2, output


def test_the_distributions_carry_the_version_and_the_package_data(
    distributions: dict[str, Path],
) -> None:
    version = package_version()
    assert distributions["wheel"].name == f"relaybox_integrations-{version}-py3-none-any.whl"
    assert distributions["sdist"].name == f"relaybox_integrations-{version}.tar.gz"
    with zipfile.ZipFile(distributions["wheel"]) as wheel:
        names = set(wheel.namelist())
    assert {"relaybox_integrations/py.typed", "relaybox_integrations/openapi.json"} <= names
    assert any(
        name.endswith(".dist-info/licenses/LICENSE") or name.endswith(".dist-info/LICENSE")
        for name in names
    ), "the wheel carries no licence text"
    with tarfile.open(distributions["sdist"]) as sdist:
        members = {Path(name).name for name in sdist.getnames()}
    assert {"README.rst", "setup.cfg", "pyproject.toml", "openapi.json", "LICENSE"} <= members


def test_the_changelog_has_an_entry_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.rst").read_text(encoding="utf-8")
    titles = re.findall(r"^(\S[^\n]*)\n=+$", changelog, flags=re.MULTILINE)
    versions = [title.split()[0] for title in titles[1:]]  # the first is the document's title
    assert versions, "CHANGELOG.rst lists no version"
    assert versions[0] == package_version(), (
        f"newest entry {versions[0]}, package {package_version()}"
    )


class TestReadme:
    """A class of its own, so that ``pytest -n --dist loadscope`` (``tox -e package``) runs
    it beside the build rather than after it."""

    def test_the_readmes_install_line_installs_from_a_clone(self, tmp_path: Path) -> None:
        """Run as written, from the clone's top folder, in a fresh virtual environment."""
        clone = copy_of_the_clone(tmp_path / "relaybox-integrations")
        [block] = code_blocks(README, "Installation", language="console")
        [line] = [line for line in block.splitlines() if line.strip()]
        command = shlex.split(line.split("#", 1)[0])
        pip_arguments = command[command.index("pip") + 1 :]
        assert pip_arguments[0] == "install", line
        environment = tmp_path / "venv"
        venv.create(environment, with_pip=True)
        python = str(environment / "bin" / "python")
        run(
            [python, "-m", "pip", *pip_arguments, "--quiet", "--disable-pip-version-check"],
            cwd=clone,
        )
        run([python, "-c", "import django, relaybox_integrations.django"], cwd=tmp_path)
