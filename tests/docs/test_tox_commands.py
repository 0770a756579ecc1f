"""Every tox environment the README and the documentation name exists in ``tox.ini``.

A reader who copies ``tox run -e NAME`` from a page must get that environment, not tox's
"provided environments not found". The names tox knows come from tox itself
(``tox list``: ``env_list`` and every other ``[testenv:...]`` section), so factor
expansion such as ``py3{10,13}-core-full`` is read exactly as tox reads it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache

from tests.support.snippets import README, ROOT, pages

#: ``tox -e a,b``, ``tox run -e a``, ``tox r --env=a``, ``tox run-parallel -e a``...
_TOX_ENVS = re.compile(r"\btox\b(?: [\w-]+)*? (?:-e|--env)[ =]([\w.{},-]+)")


@cache
def environments() -> frozenset[str]:
    """The environments tox finds in ``tox.ini``."""
    listed = subprocess.run(
        [sys.executable, "-m", "tox", "list", "--no-desc", "--root", str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return frozenset(line.strip() for line in listed.stdout.splitlines() if line.strip())


def named(text: str) -> list[str]:
    """The environment names of every ``tox ... -e NAMES`` in ``text``."""
    return [name for names in _TOX_ENVS.findall(text) for name in names.split(",")]


def test_the_pattern_reads_every_form_of_the_command() -> None:
    text = (
        "``tox run -e docs`` and ``tox -e py311-fastapi -- tests/fastapi -q``;\n"
        "    tox run-parallel --parallel 2 -e lint,type\n"
        "``tox r --env=bench``, but not ``tox run-parallel --parallel 2``"
    )
    assert named(text) == ["docs", "py311-fastapi", "lint", "type", "bench"]


def test_tox_lists_the_environments_of_tox_ini() -> None:
    assert {"docs", "lint", "package", "py313-core-full", "bench"} <= environments()


def test_every_environment_the_pages_name_exists() -> None:
    missing = {}
    for page in pages():
        unknown = set(named((ROOT / page).read_text(encoding="utf-8"))) - environments()
        if unknown:
            missing[page] = sorted(unknown)
    assert not missing, f"tox environments named but not in tox.ini: {missing}"


def test_the_readme_says_how_to_get_tox() -> None:
    text = (ROOT / README).read_text(encoding="utf-8")
    development = text[text.index("\nDevelopment\n") :]
    assert "pip install tox tox-uv" in development
