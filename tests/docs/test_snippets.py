"""Every Python and JavaScript block of the README and of every documentation page is run by
a test.

Each test module that runs snippets declares them in a module-level ``SNIPPETS`` literal,
``{(page, section, language): count}``, and checks that claim against the page itself
(:func:`tests.support.snippets.assert_runs`); the modules run in the tox environment of
their framework. This test, which needs no framework, reads every claim and every page and
fails on a block nobody runs, or a claim on a block that is gone.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from tests.support.snippets import ROOT, inventory, pages


def claims() -> dict[Path, dict[tuple[str, str, str], int]]:
    """Every test module's ``SNIPPETS``, read from its source without importing it."""
    found: dict[Path, dict[tuple[str, str, str], int]] = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in tree.body:
            target = node.targets[0] if isinstance(node, ast.Assign) else None
            if isinstance(target, ast.Name) and target.id == "SNIPPETS":
                found[path.relative_to(ROOT)] = ast.literal_eval(node.value)
    return found


def test_test_modules_declare_snippets() -> None:
    modules = claims()
    assert len(modules) >= 10, sorted(modules)  # the declarations are still found


def test_every_block_on_every_page_is_run_by_a_test() -> None:
    claimed: Counter[tuple[str, str, str]] = Counter()
    for blocks in claims().values():
        for key, count in blocks.items():
            claimed[key] = max(claimed[key], count)
    present: Counter[tuple[str, str, str]] = Counter()
    for page in pages():
        for (section, language), count in inventory(page).items():
            present[(page, section, language)] = count
    unclaimed = {key: count for key, count in present.items() if claimed[key] != count}
    assert not unclaimed, (
        f"blocks no test runs (page, section, language: count): {unclaimed}; run them in the "
        "test module of their framework and declare them in its SNIPPETS"
    )
    stale = sorted(set(claimed) - set(present))
    assert not stale, f"SNIPPETS claim blocks that are gone: {stale}"


def test_every_page_is_read() -> None:
    read = set(pages())
    assert "README.rst" in read
    assert {"docs/quickstart.rst", "docs/guides/django.rst", "docs/concepts.rst"} <= read
