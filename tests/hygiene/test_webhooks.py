"""Webhooks: no public object, answer, log line or exception shows the signing key.

The key used here is the test API secret, so that the core's checks (``assert_no_secret``)
cover the webhook objects too.
"""

from __future__ import annotations

import logging
import pickle
import traceback

import pytest
import redis
import redis.asyncio

from relaybox_integrations import (
    AsyncRedisWebhookStore,
    ClaimOutcome,
    ConfigurationError,
    InMemoryWebhookStore,
    RedisWebhookStore,
    WebhookEndpoint,
    WebhookEvent,
    WebhookVerificationError,
    sign_webhook,
    verify_webhook,
)
from tests.hygiene.conftest import assert_no_secret
from tests.support.servers import TEST_SECRET

SIGNING_KEY = TEST_SECRET
_SIGNATURE = "X-RelayBox-Webhook-Signature"


def webhook_objects() -> dict[str, object]:
    """One instance of every public webhook class (a dict for the WebhookSession TypedDict,
    an in-memory store for the WebhookStore protocol)."""
    endpoint = WebhookEndpoint(SIGNING_KEY)
    endpoint.on("*")(lambda event: None)
    delivery = sign_webhook("room:join", {"roomId": "lobby"}, SIGNING_KEY)
    event = verify_webhook(delivery.body, delivery.headers[_SIGNATURE], SIGNING_KEY)
    client = redis.Redis(port=1)  # never connects: nothing here sends a command
    return {
        "WebhookEndpoint": endpoint,
        "WebhookEvent": event,
        "WebhookSession": event.session,
        "SignedWebhook": delivery,
        "ClaimOutcome": ClaimOutcome.DONE,
        "InMemoryWebhookStore": InMemoryWebhookStore(),
        "WebhookStore": InMemoryWebhookStore(),
        "RedisWebhookStore": RedisWebhookStore(client),
        "AsyncRedisWebhookStore": AsyncRedisWebhookStore(redis.asyncio.Redis(port=1)),
        "answer": endpoint.handle("POST", delivery.body, delivery.headers[_SIGNATURE]),
    }


@pytest.mark.parametrize("name", list(webhook_objects()))
def test_repr_and_str(name: str) -> None:
    value = webhook_objects()[name]
    assert_no_secret(repr(value), str(value))
    if isinstance(value, (WebhookEndpoint, WebhookEvent)):
        assert_no_secret(*(repr(attribute) for attribute in vars(value).values()))


def test_the_endpoint_refuses_pickling() -> None:
    with pytest.raises(TypeError) as raised:
        pickle.dumps(webhook_objects()["WebhookEndpoint"])
    assert_no_secret(str(raised.value))


def test_answers_and_logs_of_every_kind(caplog: pytest.LogCaptureFixture) -> None:
    endpoint = WebhookEndpoint(SIGNING_KEY)

    @endpoint.on("room:join")
    def failing(event: WebhookEvent) -> None:
        raise RuntimeError("handler failed")

    good = sign_webhook("room:join", None, SIGNING_KEY)
    requests = [
        ("POST", good.body, good.headers[_SIGNATURE]),
        ("POST", good.body, SIGNING_KEY),
        ("POST", SIGNING_KEY.encode(), good.headers[_SIGNATURE]),
        ("POST", good.body, None),
        ("GET", b"", None),
    ]
    with caplog.at_level(logging.DEBUG):
        answers = [endpoint.handle(*request) for request in requests]
    assert [answer.status for answer in answers] == [500, 403, 400, 403, 405]
    assert_no_secret(caplog.text, *(answer.body for answer in answers))


def test_errors_and_their_frames() -> None:
    """Debug pages show each frame's locals: no frame of ours may hold the key."""
    good = sign_webhook("room:join", None, SIGNING_KEY)
    failures = [
        lambda: verify_webhook(good.body, "f" * 64, SIGNING_KEY),
        lambda: verify_webhook(b"[]", good.headers[_SIGNATURE], SIGNING_KEY),
        lambda: verify_webhook(good.body, good.headers[_SIGNATURE], SIGNING_KEY, tolerance=-1),
        lambda: WebhookEndpoint(SIGNING_KEY, max_body_size=-1),
        lambda: WebhookEndpoint(f" {SIGNING_KEY}"),
        lambda: sign_webhook("", None, SIGNING_KEY),
    ]
    for failure in failures:
        with pytest.raises((WebhookVerificationError, ConfigurationError, ValueError)) as raised:
            failure()
        assert_no_secret(traceback.format_exception(raised.value), repr(raised.value))
        frames = traceback.walk_tb(raised.value.__traceback__)
        for frame, _ in frames:
            if "relaybox_integrations" in frame.f_code.co_filename:
                assert_no_secret(*(repr(value) for value in frame.f_locals.values()))
