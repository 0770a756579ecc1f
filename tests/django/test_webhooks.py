"""What only Django's webhook views do: on_webhook, and deduplication through its cache.

The shared behaviour (signatures, retries, answers) is the contract suite's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest
from asgiref.sync import async_to_sync
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import AsyncClient, Client, override_settings

from relaybox_integrations import ConfigurationError, sign_webhook
from relaybox_integrations.django import on_webhook, webhook_received
from tests.support.django_settings import TEST_WEBHOOK_SIGNING_KEY
from tests.support.redis_server import redis_server
from tests.support.servers import TEST_API_KEY

pytestmark = pytest.mark.django_db
RELAYBOX = {"API_KEY": TEST_API_KEY, "WEBHOOK_SIGNING_KEY": TEST_WEBHOOK_SIGNING_KEY}


def post(event: str, event_id: str) -> int:
    delivery = sign_webhook(event, {}, TEST_WEBHOOK_SIGNING_KEY, event_id=event_id)
    response = Client().post(
        "/relaybox/webhooks", delivery.body, "application/json", headers=delivery.headers
    )
    return int(response.status_code)


@pytest.mark.skipif(django.VERSION < (5, 0), reason="Django runs async receivers from 5.0")
def test_an_async_on_webhook_receiver_through_the_async_view() -> None:
    seen: list[str] = []

    @on_webhook("room:join")
    async def joined(sender: Any, event: Any, **kwargs: Any) -> None:
        seen.append(event.event)

    async def deliver(event: str, event_id: str) -> int:
        delivery = sign_webhook(event, {}, TEST_WEBHOOK_SIGNING_KEY, event_id=event_id)
        response = await AsyncClient().post(
            "/async/relaybox/webhooks", delivery.body, "application/json", headers=delivery.headers
        )
        return int(response.status_code)

    try:
        caches["default"].clear()
        assert async_to_sync(deliver)("presence:update", "async-1") == 200
        assert async_to_sync(deliver)("room:join", "async-2") == 200
    finally:
        assert webhook_received.disconnect(dispatch_uid=(joined, frozenset({"room:join"})))
    assert seen == ["room:join"]


@pytest.mark.skipif(django.VERSION >= (5, 0), reason="Django awaits async receivers from 5.0")
def test_before_django_5_an_async_receiver_fails_loudly_rather_than_never_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def joined(sender: Any, event: Any, **kwargs: Any) -> None:
        raise AssertionError("Django 4.2 never awaits this")

    with pytest.raises(ImproperlyConfigured, match=r"joined: .*need Django 5\.0"):
        on_webhook("room:join")(joined)
    webhook_received.connect(joined, weak=False, dispatch_uid="async-before-django-5")
    try:
        caches["default"].clear()
        assert post("room:join", "async-before-5") == 500  # Relaybox retries; not marked done
        assert "need Django 5.0" in caplog.text
    finally:
        assert webhook_received.disconnect(dispatch_uid="async-before-django-5")


def test_on_webhook_receives_its_events_only() -> None:
    seen: list[str] = []

    @on_webhook("room:join", "room:leave")
    def joined(sender: Any, event: Any, **kwargs: Any) -> None:
        seen.append(event.event)

    try:
        caches["default"].clear()
        for number, event in enumerate(["room:join", "presence:update", "room:leave"]):
            assert post(event, f"on-webhook-{number}") == 200
    finally:
        assert webhook_received.disconnect(
            dispatch_uid=(joined, frozenset({"room:join", "room:leave"}))
        )
    assert seen == ["room:join", "room:leave"]


def test_on_webhook_star_receives_every_event() -> None:
    seen: list[str] = []

    @on_webhook("*")
    def every(sender: Any, event: Any, **kwargs: Any) -> None:
        seen.append(event.event)

    try:
        caches["default"].clear()
        for number, event in enumerate(["room:join", "presence:update"]):
            assert post(event, f"on-webhook-every-{number}") == 200
    finally:
        assert webhook_received.disconnect(dispatch_uid=(every, frozenset({None})))
    assert seen == ["room:join", "presence:update"]


def test_on_webhook_without_event_names_is_an_error_not_a_silent_receiver() -> None:
    with pytest.raises(ConfigurationError, match='at least one event name, or "\\*"'):
        on_webhook()
    with pytest.raises(ConfigurationError, match="non-empty strings"):
        on_webhook("room:join", "")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def close_redis_connections() -> None:
    """Django's Redis backend keeps one pool per thread's cache and never closes it."""
    for pool in caches["default"]._cache._pools.values():  # type: ignore[attr-defined]
        pool.disconnect()


def test_two_concurrent_deliveries_of_one_id_run_the_receiver_once(
    redis_url: str, tmp_path: Path
) -> None:
    """Django's Redis cache backend shared by threads standing in for workers: one claims."""
    ran: list[str] = []
    entered = threading.Event()
    release = threading.Event()

    def slow(sender: Any, event: Any, **kwargs: Any) -> None:
        ran.append(event.id)
        entered.set()
        release.wait(10)

    cache = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    statuses: list[int] = []
    with override_settings(CACHES=cache, RELAYBOX=RELAYBOX):
        caches["default"].clear()
        webhook_received.connect(slow, weak=False)
        try:

            def deliver_in_a_thread() -> None:
                statuses.append(post("room:join", "one"))
                close_redis_connections()

            first = threading.Thread(target=deliver_in_a_thread)
            first.start()
            assert entered.wait(10)
            assert post("room:join", "one") == 503  # in progress elsewhere: Relaybox retries
            release.set()
            first.join(10)
            assert post("room:join", "one") == 200  # done: a duplicate
        finally:
            release.set()
            webhook_received.disconnect(slow)
            close_redis_connections()

    assert statuses == [200]
    assert ran == ["one"]
