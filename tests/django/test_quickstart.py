"""The quick start for Django, followed as written: a new project from ``django-admin
startproject``, the page's lines added to its settings and URLs, ``migrate`` and
``createsuperuser``, then ``runserver``, a login through Django's admin and a token.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.quickstart import follow_django
from tests.support.snippets import assert_runs

SNIPPETS = {("docs/quickstart.rst", "Django", "python"): 2}


def test_the_page_has_the_snippets_this_test_runs() -> None:
    assert_runs(SNIPPETS)


def test_from_a_new_project_to_a_token(tmp_path: Path) -> None:
    claims = follow_django(tmp_path, sys.executable, install=False)
    assert claims["clientId"] == "1"  # the superuser, the project's first user
