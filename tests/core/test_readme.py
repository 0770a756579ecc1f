"""The core's README snippets run as written."""

from __future__ import annotations

import json
import os
import shlex
import subprocess

import pytest

from tests.support.readme import code_blocks

API_KEY = "readmeapp.key1:a-long-enough-secret-for-hs256-keys-000000"


def test_the_token_core_snippet_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", API_KEY)
    (snippet,) = code_blocks("The token core")
    namespace: dict[str, object] = {}
    exec(compile(snippet, "README.rst", "exec"), namespace)
    response = namespace["response"]
    assert response.as_dict()["expiresIn"] == 300  # type: ignore[attr-defined]


def test_the_command_line_snippet_runs() -> None:
    (console,) = code_blocks("The command line", language="console")
    (command,) = [line[2:] for line in console.splitlines() if line.startswith("$ relaybox token")]
    result = subprocess.run(
        shlex.split(command),
        env={**os.environ, "RELAYBOX_API_KEY": API_KEY},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["expiresIn"] == 300
