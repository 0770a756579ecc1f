"""The webhook endpoint's contract, driven through every adapter the same way.

Deliveries are signed with ``sign_webhook`` (which ``tests/webhooks`` checks against Node's
own signing); each adapter must verify, deduplicate, dispatch and answer alike.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from relaybox_integrations import WEBHOOK_SIGNATURE_HEADER, sign_webhook

from .users import WEBHOOK_SIGNING_KEY, Answer, Deliver, Harness

JSON = {"Content-Type": "application/json"}


def signed(event: str = "room:join", **options: Any) -> tuple[bytes, dict[str, str]]:
    delivery = sign_webhook(event, {"roomId": "lobby"}, WEBHOOK_SIGNING_KEY, **options)
    return delivery.body, {**JSON, **delivery.headers}


def assert_json(answer: Answer, status: int, error: str | None = None) -> Any:
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    if error is not None:
        assert body["error"] == error
    return body


class Recorder:
    """A handler that records the ids it ran for, and fails while told to."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.failures = 0

    def __call__(self, event: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the handler failed")
        self.ids.append(event.id)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def deliver(webhook_harness: Harness, recorder: Recorder) -> Deliver:
    return webhook_harness.build_webhooks({"room:join": recorder})


def test_a_signed_delivery_runs_the_handler_once_however_often_it_comes(
    deliver: Deliver, recorder: Recorder
) -> None:
    body, headers = signed(event_id="evt-once")
    answers = [deliver("POST", body, headers) for _ in range(3)]
    assert [assert_json(answer, 200)["status"] for answer in answers] == [
        "processed",
        "duplicate",
        "duplicate",
    ]
    assert recorder.ids == ["evt-once"]


def test_a_failing_handler_is_a_500_and_the_retry_runs_it_again(
    deliver: Deliver, recorder: Recorder
) -> None:
    recorder.failures = 1
    body, headers = signed(event_id="evt-retried")
    assert_json(deliver("POST", body, headers), 500, "handler_failed")
    assert assert_json(deliver("POST", body, headers), 200)["status"] == "processed"
    assert recorder.ids == ["evt-retried"]


def test_handlers_run_for_their_event_only(webhook_harness: Harness) -> None:
    seen: list[str] = []
    deliver = webhook_harness.build_webhooks(
        {"room:leave": lambda event: seen.append(event.event), "*": lambda event: seen.append("*")}
    )
    for event in ("room:join", "room:leave"):
        assert_json(deliver("POST", *signed(event)), 200)
    assert seen == ["*", "room:leave", "*"] or seen == ["*", "*", "room:leave"]


def forged(kind: str) -> tuple[bytes, dict[str, str]]:
    body, headers = signed()
    if kind == "unsigned":
        del headers[WEBHOOK_SIGNATURE_HEADER]
    elif kind == "wrong key":
        other = sign_webhook("room:join", {"roomId": "lobby"}, "another-signing-key-0000000")
        headers[WEBHOOK_SIGNATURE_HEADER] = other.headers[WEBHOOK_SIGNATURE_HEADER]
    elif kind == "altered body":
        body = body.replace(b"lobby", b"admin")
    elif kind == "uppercase hex":
        headers[WEBHOOK_SIGNATURE_HEADER] = headers[WEBHOOK_SIGNATURE_HEADER].upper()
    return body, headers


@pytest.mark.parametrize("kind", ["unsigned", "wrong key", "altered body", "uppercase hex"])
def test_forgeries_get_a_final_403_and_run_nothing(
    deliver: Deliver, recorder: Recorder, kind: str
) -> None:
    assert_json(deliver("POST", *forged(kind)), 403, "invalid_signature")
    assert recorder.ids == []


def test_a_stale_delivery_gets_a_final_403(deliver: Deliver, recorder: Recorder) -> None:
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    assert_json(deliver("POST", *signed(timestamp=old)), 403, "stale_timestamp")
    assert recorder.ids == []


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'{"id": "x"}'])
def test_a_body_that_is_not_a_delivery_gets_a_final_4xx(deliver: Deliver, body: bytes) -> None:
    answer = deliver("POST", body, {**JSON, WEBHOOK_SIGNATURE_HEADER: "0" * 64})
    assert answer.status in (400, 403)
    assert answer.headers["cache-control"] == "no-store"


def test_an_oversized_body_gets_413(deliver: Deliver) -> None:
    body = b'{"data": "' + b"x" * (256 * 1024) + b'"}'
    assert_json(deliver("POST", body, {**JSON, WEBHOOK_SIGNATURE_HEADER: "0" * 64}), 413)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS"])
def test_other_methods_get_a_json_405(deliver: Deliver, method: str) -> None:
    answer = deliver(method, b"", {})
    assert_json(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == "POST"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_async_and_sync_handlers(webhook_harness: Harness, kind: str) -> None:
    seen: list[str] = []

    async def async_handler(event: Any) -> None:
        seen.append(event.id)

    handler = async_handler if kind == "async" else (lambda event: seen.append(event.id))
    deliver = webhook_harness.build_webhooks({"room:join": handler})
    assert_json(deliver("POST", *signed(event_id=f"evt-{kind}")), 200)
    assert seen == [f"evt-{kind}"]
