"""The README's code blocks, so that tests run every snippet exactly as users read it."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.rst"
_UNDERLINE = re.compile(r"^([=\-~^])\1{2,}$")


def _sections() -> dict[str, list[str]]:
    """Section title -> its lines, up to the next title of any level."""
    lines = README.read_text().splitlines()
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and not _UNDERLINE.match(line) and _UNDERLINE.match(following):
            current = sections.setdefault(line.strip(), [])
        else:
            current.append(line)
    return sections


def code_blocks(section: str, language: str = "python") -> list[str]:
    """The ``.. code-block:: language`` bodies under the README section titled ``section``."""
    lines = _sections().get(section)
    assert lines is not None, f"README.rst has no section {section!r}"
    blocks: list[str] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() == f".. code-block:: {language}":
            index += 1
            body: list[str] = []
            while index < len(lines) and (not lines[index].strip() or lines[index][:1] == " "):
                body.append(lines[index][4:])
                index += 1
            blocks.append("\n".join(body).strip() + "\n")
        else:
            index += 1
    assert blocks, f"README.rst section {section!r} has no {language} code block"
    return blocks


def run_snippet(
    section: str, index: int, namespace: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run the ``index``-th python block of ``section`` as a module would; its globals.

    A fresh module (registered in ``sys.modules``, where ``@dataclass`` looks it up), unless
    ``namespace`` continues an earlier snippet.
    """
    if namespace is None:
        slug = re.sub(r"\W", "_", section.lower())
        module = types.ModuleType(f"readme_{slug}_{index}")
        sys.modules[module.__name__] = module
        namespace = module.__dict__
    exec(compile(code_blocks(section)[index], "README.rst", "exec"), namespace)
    return namespace
