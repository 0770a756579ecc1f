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


def _pytest(directory: Path, *prefix: str) -> subprocess.Popen[str]:
    (directory / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
    return subprocess.Popen(
        [*prefix, "-p", "no:cacheprovider", "-q", str(directory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=directory,
    )


def test_the_fixture_with_and_without_the_extra(tmp_path: Path) -> None:
    """Two user suites, run together: one with the fixture, one where ``import aiohttp``
    fails, whose plain test still passes and whose fixture says what to install."""
    with_extra, without_extra = tmp_path / "with", tmp_path / "without"
    with_extra.mkdir()
    without_extra.mkdir()
    (with_extra / "test_user.py").write_text(USER_TESTS)
    (without_extra / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    (without_extra / "test_user.py").write_text("def test_it(relaybox_emulator):\n    pass\n")
    runs = [
        _pytest(with_extra, sys.executable, "-m", "pytest"),
        _pytest(without_extra, sys.executable, "-c", WITHOUT_AIOHTTP),
    ]
    (output, _), (output_without, _) = (run.communicate(timeout=180) for run in runs)
    assert runs[0].returncode == 0, output
    assert "2 passed" in output
    assert "1 passed" in output_without, output_without
    assert "needs the [emulator] extra" in output_without
