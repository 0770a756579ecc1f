"""The README's webhook snippets run as written, against the test Redis server."""

from __future__ import annotations

import pytest

from tests.support.readme import code_blocks
from tests.webhooks.conftest import SIGNING_KEY


def test_the_webhook_snippets_run(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RELAYBOX_WEBHOOK_SIGNING_KEY", SIGNING_KEY)
    monkeypatch.setenv("REDIS_URL", redis_url)
    blocks = [*code_blocks("Checking one delivery"), *code_blocks("The endpoint")]
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "README.rst", "exec"), namespace)
    assert "Relaybox event room:publish at" in capsys.readouterr().out


def test_the_task_queue_snippet_registers_a_handler() -> None:
    """It imports the reader's own task module, so it is only compiled here."""
    (snippet,) = code_blocks("Deduplication")
    assert "webhooks.on(" in snippet
    compile(snippet, "README.rst", "exec")
