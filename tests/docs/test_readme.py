"""The README stays a front page: short, one example per framework, the site linked."""

from __future__ import annotations

from tests.support.snippets import README, ROOT, code_blocks

#: Past this, what is being added belongs on a page of the documentation.
MAX_LINES = 200


def test_the_readme_is_short() -> None:
    lines = (ROOT / README).read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_LINES, f"README.rst has {len(lines)} lines; move some to docs/"


def test_the_readme_has_one_example_per_framework_and_links_the_site() -> None:
    for framework in ("Django", "Flask", "Starlette", "FastAPI"):
        assert len(code_blocks(README, framework)) == 1, framework
    text = (ROOT / README).read_text(encoding="utf-8")
    assert "https://relaybox-integrations.readthedocs.io" in text
