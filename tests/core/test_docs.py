"""The snippets of the page on tokens without a framework run as written."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sysconfig
from pathlib import Path

import pytest

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
