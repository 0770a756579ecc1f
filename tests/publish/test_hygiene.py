"""The secret stays out of every publish error, its traceback's frame locals and every repr."""

from __future__ import annotations

import asyncio
import pickle
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from relaybox_integrations import (
    PublishResult,
    RelayBox,
    RelayBoxError,
)
from relaybox_integrations.testing import capture_publishes
from tests.support.events_standin import EventsStandin, Fault
from tests.support.servers import TEST_API_KEY, TEST_SECRET, free_port


def shown_by_a_debug_page(error: BaseException) -> list[str]:
    """The traceback, and the repr of every local of every frame, as debug pages show them."""
    texts = [*traceback.format_exception(error), str(error), repr(error), repr(vars(error))]
    frame_traceback = error.__traceback__
    while frame_traceback is not None:
        texts.extend(repr(value) for value in frame_traceback.tb_frame.f_locals.values())
        frame_traceback = frame_traceback.tb_next
    return texts


def assert_hidden(texts: list[str]) -> None:
    for text in texts:
        assert TEST_SECRET not in text, text[:2000]


SCENARIOS: dict[str, Callable[[RelayBox, EventsStandin], Any]] = {
    "bad data": lambda rb, s: rb.publish("chat:1", "e", {"x": {1, 2}}),
    "bad client id": lambda rb, s: rb.publish("chat:1", "e", 1, client_id=""),
    "refused (500)": lambda rb, s: RelayBox(
        TEST_API_KEY, core_url=s.url, clock=lambda: 0.0
    ).publish("chat:1", "e", 1),
    "a 400": lambda rb, s: (s.fail_next(Fault("status", 400)), rb.publish("chat:1", "e", 1)),
    "dropped": lambda rb, s: (s.fail_next(Fault("drop")), rb.publish("chat:1", "e", 1)),
    "unreachable": lambda rb, s: RelayBox(
        TEST_API_KEY, core_url=f"http://127.0.0.1:{free_port()}", retries=0
    ).publish("chat:1", "e", 1),
    "async refused": lambda rb, s: asyncio.run(
        RelayBox(TEST_API_KEY, core_url=s.url, clock=lambda: 0.0).apublish("chat:1", "e", 1)
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_errors_and_their_frames_never_hold_the_secret(
    relaybox: RelayBox, standin: EventsStandin, scenario: str
) -> None:
    with pytest.raises(RelayBoxError) as raised:
        SCENARIOS[scenario](relaybox, standin)
    assert_hidden(shown_by_a_debug_page(raised.value))


def test_reprs_and_pickling(relaybox: RelayBox) -> None:
    with capture_publishes() as outbox:
        result = relaybox.publish("chat:1", "e", 1)
    publisher = relaybox._publisher()
    assert_hidden([repr(relaybox), repr(publisher), repr(result), repr(outbox), str(outbox)])
    assert isinstance(result, PublishResult)
    with pytest.raises(TypeError) as raised:
        pickle.dumps(publisher)
    assert_hidden([str(raised.value)])
