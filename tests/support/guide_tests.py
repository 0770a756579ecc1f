"""A guide's "Testing" section run as written: its tests saved as a test module of a new
project, beside the guide's "Publishing" and "Webhooks" applications, and collected and run
by pytest in a new process with no plugin or setting the guide does not give.

The project's ``conftest.py`` is the part the guide leaves to its reader, the fixtures its
tests take: ``app`` (the guide's application serving what the test calls) and
``signing_key``. Its ``pytest.ini`` is empty, so the repository's own settings stay out.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .servers import TEST_API_KEY
from .snippets import code_blocks

SIGNING_KEY = "whsec-guide-testing-signing-key-0123456789"
CONFTEST = '''\
import os

import pytest

import publishing
import receiving


@pytest.fixture
def app(request):
    """The guide's application that serves what the test calls."""
    return receiving.app if "webhook" in request.node.name else publishing.app


@pytest.fixture
def signing_key():
    return os.environ["RELAYBOX_WEBHOOK_SIGNING_KEY"]
'''


def run_the_guides_tests(page: str, project: Path, python: str) -> str:
    """Run the tests of ``page``'s "Testing" section with ``python``; their output."""
    (project / "publishing.py").write_text(code_blocks(page, "Publishing")[0], encoding="utf-8")
    (project / "receiving.py").write_text(code_blocks(page, "Webhooks")[0], encoding="utf-8")
    (project / "test_guide.py").write_text(code_blocks(page, "Testing")[0], encoding="utf-8")
    (project / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("RELAYBOX_")},
        "RELAYBOX_API_KEY": TEST_API_KEY,
        "RELAYBOX_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        "FLASK_SECRET_KEY": "test-guide-testing-session-key",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [python, "-m", "pytest", "-p", "no:cacheprovider", "-rA"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in output, output
    return output
