"""``relaybox publish``, run as users run it: a real process, the key in the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.publish.conftest import CHAT_ONLY_KEY
from tests.support.events_standin import EventsStandin, Fault
from tests.support.servers import TEST_API_KEY, TEST_SECRET


def run(
    *args: str, standin: EventsStandin | None, key: str | None = TEST_API_KEY, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAYBOX_")}
    if key is not None:
        env["RELAYBOX_API_KEY"] = key
    if standin is not None:
        env["RELAYBOX_CORE_URL"] = standin.url
    return subprocess.run(
        [sys.executable, "-m", "relaybox_integrations", "publish", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_publish_prints_relaybox_answer(standin: EventsStandin) -> None:
    result = run(
        "chat:1", "message", "--data", '{"text": "hi"}', "--client-id", "42", "--transient",
        standin=standin,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (published,) = standin.published
    assert json.loads(result.stdout) == {
        "requestId": published.request_id,
        "timestamp": published.timestamp,
    }
    assert (published.room_id, published.event, published.data) == (
        "chat:1",
        "message",
        {"text": "hi"},
    )
    assert (published.client_id, published.transient) == ("42", True)


def test_data_from_stdin(standin: EventsStandin) -> None:
    result = run("chat:1", "message", "--data", "-", standin=standin, stdin="[1, 2]\n")
    assert result.returncode == 0, result.stderr
    assert standin.published[0].data == [1, 2]


def assert_one_line_error(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("relaybox: error: ")
    assert text in result.stderr
    assert "Traceback" not in result.stderr
    assert TEST_SECRET not in result.stderr


@pytest.mark.parametrize(
    ("args", "key", "text"),
    [
        (["chat:1", "e", "--data", "{nope"], TEST_API_KEY, "--data is not JSON"),
        (["chat:1", "e", "--data", "NaN"], TEST_API_KEY, "data is nan"),
        (["", "e", "--data", "1"], TEST_API_KEY, "room_id must not be empty"),
        (["chat:1", "e", "--data", "1", "--client-id", ""], TEST_API_KEY, "client_id must not"),
        (["news", "e", "--data", "1"], CHAT_ONLY_KEY, "HTTP 500"),
        (["chat:1", "e", "--data", "1"], None, "RELAYBOX_API_KEY is not set"),
    ],
)
def test_errors_are_one_line(
    standin: EventsStandin, args: list[str], key: str | None, text: str
) -> None:
    assert_one_line_error(run(*args, standin=standin, key=key), text)
    assert standin.published == []


def test_unknown_outcome_is_one_line(standin: EventsStandin) -> None:
    standin.fail_next(Fault("drop"))
    assert_one_line_error(run("chat:1", "e", "--data", "1", standin=standin), "may or may not")


def test_data_is_required_and_the_key_never_comes_from_argv(standin: EventsStandin) -> None:
    result = run("chat:1", "e", standin=standin)
    assert result.returncode == 2
    assert "--data" in result.stderr
    result = run("chat:1", "e", "--data", "1", "--api-key", TEST_API_KEY, standin=standin, key=None)
    assert result.returncode == 2
    assert "unrecognized arguments: --api-key" in result.stderr
    assert standin.requests == []
