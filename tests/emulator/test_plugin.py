"""The pytest plugin: the fixture in a user's suite, and a suite without the extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

USER_TESTS = """
from relaybox_integrations import RelayBox
from relaybox_integrations.emulator import DEVELOPMENT_API_KEY


def test_publish(relaybox_emulator):
    with RelayBox(DEVELOPMENT_API_KEY, core_url=relaybox_emulator.core_url) as relaybox:
        relaybox.publish("room", "event", {"n": 1})
    assert relaybox_emulator.wait_for_message("room", "event").data == {"n": 1}


def test_each_test_starts_empty(relaybox_emulator):
    assert relaybox_emulator.messages() == []
"""

# Makes ``import aiohttp`` fail, as where the [emulator] extra is not installed.
WITHOUT_AIOHTTP = (
    "import sys; sys.modules['aiohttp'] = None; import pytest; sys.exit(pytest.main())"
)


def _pytest(directory: Path, *prefix: str) -> subprocess.CompletedProcess[str]:
    (directory / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
    return subprocess.run(
        [*prefix, "-p", "no:cacheprovider", "-q", str(directory)],
        capture_output=True,
        text=True,
        cwd=directory,
        timeout=120,
    )


def test_the_fixture_in_a_users_suite(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    result = _pytest(tmp_path, sys.executable, "-m", "pytest")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_without_the_extra_pytest_still_runs(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    (tmp_path / "test_user.py").write_text("def test_it(relaybox_emulator):\n    pass\n")
    result = _pytest(tmp_path, sys.executable, "-c", WITHOUT_AIOHTTP)
    assert "1 passed" in result.stdout, result.stdout + result.stderr
    assert "needs the [emulator] extra" in result.stdout
