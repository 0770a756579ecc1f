"""Fixtures for the webhook tests: a real Redis server, stores, and Relaybox-shaped payloads."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from relaybox_integrations import InMemoryWebhookStore, RedisWebhookStore, WebhookStore
from tests.support.redis_server import redis_server

#: A signing key for tests only; Relaybox's dashboard shows a webhook's real one.
SIGNING_KEY = "whsec-test-signing-key-for-the-test-suite-0123456789"


def iso(moment: datetime.datetime) -> str:
    """``moment`` as JavaScript's toISOString() writes it, as Relaybox's timestamps are."""
    utc = moment.astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def relaybox_payload(
    event_id: str = "3b0c6a8e-5f7e-4d0b-9a61-2f1c8e7d4a90",
    *,
    event: str = "room:publish",
    data: Any = None,
    timestamp: datetime.datetime | None = None,
) -> dict[str, Any]:
    """A payload shaped as Relaybox's webhook service builds it (a room:publish by default).

    Fields in its order, ``{id, event, data, session, timestamp}``; the session as its
    realtime server reduces it, with ``user`` null for a connection without an
    authenticated user.
    """
    now = timestamp or datetime.datetime.now(datetime.timezone.utc)
    if data is None:
        data = {
            "id": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
            "body": {"text": "Hello from the lobby \U0001f44b"},
            "roomId": "chat:lobby",
            "timestamp": 1764643200123,
            "event": "message",
        }
    return {
        "id": event_id,
        "event": event,
        "data": data,
        "session": {
            "appPid": "a1b2c3d4e5f6",
            "keyId": "k9y8x7w6v5u4",
            "clientId": "user-1234",
            "connectionId": "a1b2c3d4e5f6:user-1234",
            "socketId": "2b7e1516-28ae-4d2a-a6f7-15880988cf4f",
            "timestamp": iso(now - datetime.timedelta(minutes=3)),
            "exp": int(now.timestamp()) + 600,
            "user": None,
        },
        "timestamp": iso(now),
    }


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> WebhookStore:
    """Each sync store the endpoint is tested with."""
    if request.param == "memory":
        return InMemoryWebhookStore()
    client: redis.Redis = request.getfixturevalue("redis_client")
    return RedisWebhookStore(client)
