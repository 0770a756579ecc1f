"""The code blocks of the README and the documentation pages, so that tests run every
snippet exactly as users read it.

A page is a path relative to the repository (``"README.rst"``, ``"docs/guides/flask.rst"``);
a section is the title of the heading the blocks stand under, up to the next heading of
any level. Block options (``:caption:`` and the like) are not part of the code.
"""

from __future__ import annotations

import contextlib
import re
import sys
import types
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.support.events_standin import EventsStandin
from tests.support.servers import TEST_API_KEY

ROOT = Path(__file__).resolve().parents[2]
README = "README.rst"
#: Languages whose blocks tests run; other blocks (console, ini, nginx...) are illustrations.
RUN_LANGUAGES = ("python", "javascript")
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+<>:.])\1{2,}$")
_BLOCK = re.compile(r"^\.\. code-block:: *(\S+)\s*$")
_OPTION = re.compile(r"^ {3,4}:[\w-]+:")


def pages() -> list[str]:
    """Every page with snippets: the README and each documentation source page."""
    sources = sorted((ROOT / "docs").rglob("*.rst"))
    return [README, *(str(path.relative_to(ROOT)) for path in sources)]


@cache
def _parsed(page: str) -> dict[str, list[tuple[str, str, int]]]:
    """Section title -> its ``(language, code, first line number)`` blocks, in page order."""
    lines = (ROOT / page).read_text(encoding="utf-8").splitlines()
    sections: dict[str, list[tuple[str, str, int]]] = {}
    current: list[tuple[str, str, int]] = sections.setdefault("", [])
    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        block = _BLOCK.match(line)
        if line.strip() and not _UNDERLINE.match(line) and _UNDERLINE.match(following):
            current = sections.setdefault(line.strip(), [])
            index += 2
        elif block:
            index += 1
            while index < len(lines) and _OPTION.match(lines[index]):
                index += 1
            body: list[str] = []
            while index < len(lines) and (not lines[index].strip() or lines[index][:1] == " "):
                body.append(lines[index][4:])
                index += 1
            first = next((number for number, text in enumerate(body) if text.strip()), 0)
            start = index - len(body) + first + 1  # 1-based, for tracebacks
            current.append((block.group(1), "\n".join(body).strip() + "\n", start))
        else:
            index += 1
    return sections


def code_blocks(page: str, section: str, language: str = "python") -> list[str]:
    """The ``.. code-block:: language`` bodies of ``page`` under the heading ``section``."""
    sections = _parsed(page)
    assert section in sections, f"{page} has no section {section!r}"
    blocks = [code for kind, code, _ in sections[section] if kind == language]
    assert blocks, f"{page} section {section!r} has no {language} code block"
    return blocks


def inventory(page: str) -> Counter[tuple[str, str]]:
    """How many blocks of each run language stand under each section of ``page``."""
    return Counter(
        (section, language)
        for section, blocks in _parsed(page).items()
        for language, _, _ in blocks
        if language in RUN_LANGUAGES
    )


def run_snippet(
    page: str, section: str, index: int, namespace: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run the ``index``-th python block of ``section`` as a module would; its globals.

    A fresh module (registered in ``sys.modules``, where ``@dataclass`` looks it up), unless
    ``namespace`` continues an earlier snippet.
    """
    if namespace is None:
        slug = re.sub(r"\W", "_", f"{page}_{section}".lower())
        module = types.ModuleType(f"snippet_{slug}_{index}")
        sys.modules[module.__name__] = module
        namespace = module.__dict__
    exec(compile(_numbered(page, section, index), page, "exec"), namespace)
    return namespace


def _numbered(page: str, section: str, index: int) -> str:
    """The block's code, preceded by blank lines so that tracebacks show the page's lines."""
    code = code_blocks(page, section)[index]
    python = [line for kind, _, line in _parsed(page)[section] if kind == "python"]
    return "\n" * (python[index] - 1) + code


def assert_runs(claimed: dict[tuple[str, str, str], int]) -> None:
    """Check a test module's ``SNIPPETS`` claim against the pages.

    Every module that runs snippets declares ``SNIPPETS = {(page, section, language):
    count}`` as a literal, runs each block it claims, and calls this from a test, so that a
    block added to or removed from a page fails here until its test follows;
    ``tests/docs/test_snippets.py`` checks that every block of every page is claimed.
    """
    for (page, section, language), count in claimed.items():
        found = len(code_blocks(page, section, language))
        assert found == count, (
            f"{page} section {section!r} has {found} {language} blocks; this module runs "
            f"{count}: update its tests and its SNIPPETS"
        )


@contextlib.contextmanager
def publishing_snippet(
    page: str, monkeypatch: pytest.MonkeyPatch, **environment: str
) -> Iterator[tuple[Any, EventsStandin]]:
    """A guide's "Publishing" snippet's ``app``, publishing to a stand-in of Relaybox (its
    core URL, as in development), with ``environment`` set too."""
    with EventsStandin({TEST_API_KEY: ["*"]}) as standin:
        environment = {
            "RELAYBOX_API_KEY": TEST_API_KEY,
            "RELAYBOX_CORE_URL": standin.url,
            **environment,
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        yield run_snippet(page, "Publishing", 0)["app"], standin
