"""The publishing page's snippets run as written, against the stand-in."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from typing import Any

import pytest

from relaybox_integrations import RelayBox
from relaybox_integrations.testing import capture_publishes
from tests.support.events_standin import EventsStandin
from tests.support.servers import TEST_API_KEY
from tests.support.snippets import assert_runs, code_blocks

PAGE = "docs/core/publishing.rst"
SNIPPETS = {
    ("docs/core/publishing.rst", "Publishing", "python"): 2,
    ("docs/core/publishing.rst", "Testing your publishes", "python"): 2,
}


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


@pytest.fixture
def environment(standin: EventsStandin, monkeypatch: pytest.MonkeyPatch) -> EventsStandin:
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("RELAYBOX_CORE_URL", standin.url)
    return standin


def run(snippet: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(snippet, PAGE, "exec"), namespace)
    return namespace


def test_the_publishing_snippets_run(environment: EventsStandin) -> None:
    sync, asynchronous = code_blocks(PAGE, "Publishing")
    namespace = run(sync)
    namespace["relaybox"].close()
    run(asynchronous)
    published = [(p.event, p.data, p.client_id, p.transient) for p in environment.published]
    assert published[:2] == [
        ("message", {"text": "Build finished"}, None, None),
        ("message", {"text": "hi"}, "1234", True),
    ]
    assert sorted(data["n"] for event, data, _, _ in published[2:]) == list(range(10))


def test_the_testing_snippets_run(environment: EventsStandin) -> None:
    context_manager, fixture_test = code_blocks(PAGE, "Testing your publishes")
    run(context_manager)
    relaybox = RelayBox.from_env()

    class Client:  # what a framework's test client does here: run a view that publishes
        def post(self, path: str, data: dict[str, str]) -> None:
            relaybox.publish("chat:lobby", "message", data)

    with capture_publishes() as outbox:
        run(fixture_test)["test_posting_a_message_publishes_it"](Client(), outbox)
    assert len(outbox) == 1
    assert environment.requests == []


def test_the_command_line_snippet_runs(environment: EventsStandin) -> None:
    (console,) = code_blocks(PAGE, "From the command line", language="console")
    (command,) = [line[2:] for line in console.splitlines() if line.startswith("$ relaybox")]
    arguments = shlex.split(command)
    result = subprocess.run(
        [sys.executable, "-m", "relaybox_integrations", *arguments[1:]],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
    )
    (published,) = environment.published
    assert json.loads(result.stdout)["requestId"] == published.request_id
    assert (published.client_id, published.transient) == ("1234", True)
