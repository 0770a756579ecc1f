"""Each fault class, sync and async: what is retried, what is not, and what the error says."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from relaybox_integrations import PublishError, PublishOutcomeUnknownError, PublishResult, RelayBox
from tests.publish.conftest import CHAT_ONLY_KEY, KEYS, SteppingClock
from tests.support.events_standin import EventsStandin, Fault
from tests.support.publish_check import node_check_publishes
from tests.support.recording_server import json_answer, recording_server
from tests.support.servers import TEST_API_KEY, TEST_SECRET, free_port

MODES = ["sync", "async"]


class Waits:
    """Records the backoff waits instead of sleeping; ``then`` runs during the first one."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.then: Callable[[], None] | None = None

    def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        if self.then is not None:
            self.then()
            self.then = None

    async def async_sleep(self, delay: float) -> None:
        self.sleep(delay)


@pytest.fixture
def waits() -> Waits:
    return Waits()


def publisher(waits: Waits, api_key: str = TEST_API_KEY, **options: Any) -> RelayBox:
    relaybox = RelayBox(api_key, **{"clock": SteppingClock(), **options})
    publishing = relaybox._publisher()
    publishing.sleep = waits.sleep
    publishing.async_sleep = waits.async_sleep
    return relaybox


def send(mode: str, relaybox: RelayBox, room: str = "chat:1", **options: Any) -> PublishResult:
    if mode == "sync":
        return relaybox.publish(room, "message", {"n": 1}, **options)

    async def main() -> PublishResult:
        try:
            return await relaybox.apublish(room, "message", {"n": 1}, **options)
        finally:
            await relaybox.aclose()

    return asyncio.run(main())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_and_signed_afresh(
    standin: EventsStandin, waits: Waits, mode: str, status: int
) -> None:
    standin.fail_next(Fault("status", status))
    result = send(mode, publisher(waits, core_url=standin.url))
    first, second = standin.requests
    assert (first.status, second.status) == (status, 200)
    assert first.body != second.body  # a new timestamp, so a new signature
    stamps = [message["timestamp"] for message in node_check_publishes(
        [(r.body, r.headers["x-ds-req-signature"]) for r in standin.requests], TEST_SECRET
    )]  # fmt: skip
    assert stamps[0] < stamps[1] == result.timestamp
    assert len(standin.published) == 1
    assert len(waits.delays) == 1
    assert 0.25 <= waits.delays[0] <= 0.5


@pytest.mark.parametrize("mode", MODES)
def test_gateway_errors_give_up_after_the_retries(
    standin: EventsStandin, waits: Waits, mode: str
) -> None:
    standin.fail_next(*[Fault("status", 503)] * 3)
    with pytest.raises(PublishError) as raised:
        send(mode, publisher(waits, core_url=standin.url))
    assert type(raised.value) is PublishError
    assert (raised.value.status, raised.value.attempts) == (503, 3)
    assert "gave up after 3 attempts" in str(raised.value)
    assert len(standin.requests) == 3
    assert standin.published == []
    assert len(waits.delays) == 2
    assert 0.25 <= waits.delays[0] <= 0.5 <= waits.delays[1] <= 1.0
    standin.reset()
    standin.fail_next(Fault("status", 502))
    with pytest.raises(PublishError, match="HTTP 502"):
        send(mode, publisher(waits, core_url=standin.url, retries=0))
    assert len(standin.requests) == 1


def old_clock(seconds: float) -> Callable[[], float]:
    return lambda: time.time() - seconds


CAUSES_OF_500: dict[str, tuple[str, dict[str, Any], str]] = {
    "another secret": (
        "testapp.testkey:another-secret-of-the-same-app-0123456789",
        {},
        "signature",
    ),
    "a timestamp 31 s old": (TEST_API_KEY, {"clock": old_clock(31)}, "timestamp"),
    "an unknown key": ("testapp.gone:secret-of-a-deleted-key-0123456789abcdef", {}, "unknown key"),
    "no publish permission on the room": (CHAT_ONLY_KEY, {"room": "news"}, "permission"),
    "no room matching the key's patterns": (CHAT_ONLY_KEY, {"room": "lobby"}, "permission"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cause", list(CAUSES_OF_500))
def test_every_cause_of_500_is_explained_and_not_retried(
    standin: EventsStandin, waits: Waits, mode: str, cause: str
) -> None:
    api_key, shared_options, refusal = CAUSES_OF_500[cause]
    options = dict(shared_options)
    room = options.pop("room", "chat:1")
    relaybox = publisher(waits, api_key, core_url=standin.url, **options)
    with pytest.raises(PublishError) as raised:
        send(mode, relaybox, room)
    error = raised.value
    assert (error.status, error.attempts, error.room_id, error.event) == (500, 1, room, "message")
    assert error.body == '{"statusCode":500,"name":"InternalServerError"}'
    message = str(error)
    for part in (repr(room), "signature", "30 s old", "does not know", "'publish' permission"):
        assert part in message
    assert [r.refusal for r in standin.requests] == [refusal]
    assert waits.delays == []


def test_what_the_service_allows(waits: Waits) -> None:
    """The checks that pass: 29.999 s old, a clock an hour ahead, a pattern's deeper rooms."""
    now = time.time()
    with EventsStandin(KEYS, clock=lambda: now) as standin:
        for clock in (lambda: now - 29.999, lambda: now + 3600):
            send("sync", publisher(waits, core_url=standin.url, clock=clock))
        send("sync", publisher(waits, CHAT_ONLY_KEY, core_url=standin.url), "chat:a:b")
        assert [r.refusal for r in standin.requests] == [None, None, None]


@pytest.mark.parametrize("mode", MODES)
def test_400_is_reported_as_a_bug(standin: EventsStandin, waits: Waits, mode: str) -> None:
    standin.fail_next(Fault("status", 400))
    with pytest.raises(PublishError) as raised:
        send(mode, publisher(waits, core_url=standin.url))
    message = str(raised.value)
    assert "X-Ds-Public-Key or X-Ds-Req-Signature header is missing" in message
    assert "X-Ds-Public-Key: testapp.testkey" in message
    assert "64 hex digits" in message
    assert "report this as a bug" in message
    assert len(standin.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_no_answer_within_the_timeout_is_not_retried(
    standin: EventsStandin, waits: Waits, mode: str
) -> None:
    standin.fail_next(Fault("stall", seconds=5))
    start = time.monotonic()
    with pytest.raises(PublishOutcomeUnknownError) as raised:
        send(mode, publisher(waits, core_url=standin.url, timeout=0.3))
    assert time.monotonic() - start >= 0.3  # and less than the stall, or it would have passed
    message = str(raised.value)
    assert "no complete answer within the timeout" in message
    assert "may already have published it" in message
    assert "could publish it twice" in message
    assert raised.value.status is None
    assert len(standin.requests) == 1
    assert len(standin.published) == 1  # the service did its work: a retry would duplicate
    assert waits.delays == []


@pytest.mark.parametrize("mode", MODES)
def test_a_slow_answer_within_the_timeout_is_fine(
    standin: EventsStandin, waits: Waits, mode: str
) -> None:
    standin.fail_next(Fault("stall", seconds=0.2))
    result = send(mode, publisher(waits, core_url=standin.url, timeout=60))
    assert result.request_id == standin.published[0].request_id


@pytest.mark.parametrize("mode", MODES)
def test_a_connection_dropped_after_sending_is_not_retried(
    standin: EventsStandin, waits: Waits, mode: str
) -> None:
    standin.fail_next(Fault("drop", publish=True))
    with pytest.raises(PublishOutcomeUnknownError, match="may or may not have worked"):
        send(mode, publisher(waits, core_url=standin.url))
    assert len(standin.requests) == 1
    assert len(standin.published) == 1
    assert waits.delays == []


@pytest.mark.parametrize("mode", MODES)
def test_refused_connections_are_retried_then_reported(waits: Waits, mode: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(PublishError) as raised:
        send(mode, publisher(waits, core_url=url))
    assert type(raised.value) is PublishError
    assert (raised.value.status, raised.value.attempts) == (None, 3)
    assert "could not connect" in str(raised.value)
    assert "nothing was published" in str(raised.value)
    assert len(waits.delays) == 2


@pytest.fixture
def late_standin() -> Iterator[EventsStandin]:
    """A stand-in with a port but not yet listening; tests start it."""
    standin = EventsStandin(KEYS, port=free_port())
    yield standin
    standin.stop()


@pytest.mark.parametrize("mode", MODES)
def test_a_refused_connection_then_a_listening_server(
    late_standin: EventsStandin, waits: Waits, mode: str
) -> None:
    waits.then = late_standin.start
    result = send(mode, publisher(waits, core_url=late_standin.url))
    assert len(waits.delays) == 1
    assert [p.request_id for p in late_standin.published] == [result.request_id]


def test_an_idle_connection_closed_by_the_server_is_replaced(
    standin: EventsStandin, waits: Waits
) -> None:
    relaybox = publisher(waits, core_url=standin.url)
    send("sync", relaybox)
    standin.close_connections()
    send("sync", relaybox)
    assert [r.connection for r in standin.requests] == [1, 2]
    assert waits.delays == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("fault", "path", "expected"),
    [
        (None, "/api", "HTTP 404"),
        (Fault("status", 301), "", "core_url redirects"),
        (Fault("status", 200), "", "not Relaybox's answer"),
        (Fault("status", 401), "", "Nothing was published"),
    ],
)
def test_unexpected_answers(
    standin: EventsStandin,
    waits: Waits,
    mode: str,
    fault: Fault | None,
    path: str,
    expected: str,
) -> None:
    if fault is not None:
        standin.fail_next(fault)
    with pytest.raises(PublishError, match=expected):
        send(mode, publisher(waits, core_url=standin.url + path))
    assert len(standin.requests) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "reply",
    [
        {"requestId": 7, "timestamp": 1_700_000_000_000},
        {"requestId": None, "timestamp": 1_700_000_000_000},
        {"requestId": "r-1", "timestamp": 1_700_000_000_000.5},
        {"requestId": "r-1", "timestamp": True},
        {"requestId": "r-1", "timestamp": "1700000000000"},
    ],
)
def test_a_2xx_json_answer_of_the_wrong_types_is_not_relayboxs(
    waits: Waits, mode: str, reply: dict[str, Any]
) -> None:
    with recording_server() as server:
        server.answer(json_answer(200, reply))
        with pytest.raises(PublishError) as raised:
            send(mode, publisher(waits, core_url=server.url))
        assert type(raised.value) is PublishError
        assert str(raised.value).endswith("That is not Relaybox's answer ({requestId, timestamp}).")
        assert raised.value.status == 200
        assert len(server.requests) == 1
        # The same answer with the right types is a result.
        server.answer(json_answer(200, {"requestId": "r-1", "timestamp": 1_700_000_000_000}))
        result = send(mode, publisher(waits, core_url=server.url))
        assert result == PublishResult(request_id="r-1", timestamp=1_700_000_000_000)
