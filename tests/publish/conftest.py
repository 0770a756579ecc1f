"""A fresh stand-in for Relaybox's /events per test, and a RelayBox pointed at it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from relaybox_integrations import RelayBox
from tests.support.events_standin import EventsStandin
from tests.support.servers import TEST_API_KEY

#: A second key of the same app: ``chat:*`` rooms only, and a list-form key without publish.
CHAT_ONLY_KEY = "testapp.chatonly:chat-only-secret-for-the-test-suite-0123456789"
NO_PUBLISH_KEY = "testapp.readonly:read-only-secret-for-the-test-suite-0123456789"
KEYS = {
    TEST_API_KEY: ["*"],
    CHAT_ONLY_KEY: {"chat:*": ["subscribe", "publish"], "news": ["subscribe"]},
    NO_PUBLISH_KEY: ["subscribe", "presence"],
}


class SteppingClock:
    """A clock that moves 5 ms on every reading, so that each attempt has its own time."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        self.now += 0.005
        return self.now


@pytest.fixture
def standin() -> Iterator[EventsStandin]:
    with EventsStandin(KEYS) as server:
        yield server


@pytest.fixture
def relaybox(standin: EventsStandin) -> Iterator[RelayBox]:
    with RelayBox(TEST_API_KEY, core_url=standin.url) as instance:
        yield instance
