"""The snippets of the page on tokens without a framework run as written."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sysconfig
import warnings
from pathlib import Path

import pytest

from relaybox_integrations import RelayBox
from tests.support.snippets import assert_runs, code_blocks, run_snippet

PAGE = "docs/core/tokens.rst"
SNIPPETS = {
    ("docs/core/tokens.rst", "Minting and verifying", "python"): 1,
    ("docs/core/tokens.rst", "Room access tokens", "python"): 1,
}
API_KEY = "docsapp.key1:a-long-enough-secret-for-hs256-keys-000000"


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def test_the_token_core_snippet_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", API_KEY)
    namespace = run_snippet(PAGE, "Minting and verifying", 0)  # asserts on the claims itself
    response = namespace["response"]
    assert response.as_dict()["expiresIn"] == 300
    assert namespace["claims"]["permissions"] == {"myRoom": ["publish", "presence", "metrics"]}


def test_the_room_access_snippet_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", API_KEY)
    namespace = run_snippet(PAGE, "Room access tokens", 0)  # asserts on the claims itself
    assert namespace["access"].expires_in == 600


def test_the_command_line_snippet_runs() -> None:
    (console,) = code_blocks(PAGE, "The command line", language="console")
    (command,) = [line[2:] for line in console.splitlines() if line.startswith("$ relaybox token")]
    program, *args = shlex.split(command)
    # The environment's own script, whether or not its bin folder is on PATH.
    script = Path(sysconfig.get_path("scripts")) / program
    result = subprocess.run(
        [str(script), *args],
        env={**os.environ, "RELAYBOX_API_KEY": API_KEY},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["expiresIn"] == 300


def test_the_quick_starts_key_starts_without_a_warning() -> None:
    """The key the quick start exports is well formed and long enough not to warn at every
    start (a short secret raises ``ShortSecretWarning``)."""
    (console,) = code_blocks("docs/quickstart.rst", "Installing", language="console")
    (line,) = [line for line in console.splitlines() if line.startswith("export RELAYBOX_API_KEY=")]
    key = shlex.split(line.split("=", 1)[1].split("#", 1)[0])[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        RelayBox(key)
    assert [str(warning.message) for warning in caught] == []
