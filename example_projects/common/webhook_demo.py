"""The examples' webhook settings, and the deliveries they received, listed for the demo page.

Settings come from the environment:

- ``RELAYBOX_WEBHOOK_SIGNING_KEY``: the signing key of your webhook in Relaybox's dashboard.
  Unset, the examples verify with a DEVELOPMENT key published with them, so anyone can forge
  a delivery; serve.py and the page say so.
- ``REDIS_URL`` (e.g. ``redis://localhost:6379/0``): with several workers or machines, a
  retry may reach another process than the first attempt, and each event's handlers must
  still run once; so with ``REDIS_URL`` set, the examples deduplicate in Redis, and keep the
  received list there too, so that every worker shows the same one. Unset, both live in the
  process's memory, which is enough for one worker.

The demo's handler adds every event it is given to the list, in order: an id shows twice
only if the handler ran twice for it. Running once per id is the endpoint's job (its store),
not the list's, which therefore shows whether that job was done.
"""

from __future__ import annotations

import collections
import json
import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis
    import redis.asyncio

    from relaybox_integrations import WebhookEvent

SIGNING_KEY_SETTING = "RELAYBOX_WEBHOOK_SIGNING_KEY"
# DEVELOPMENT key: published with the examples, so it authenticates nothing. Set
# RELAYBOX_WEBHOOK_SIGNING_KEY to your webhook's signing key from Relaybox's dashboard.
DEVELOPMENT_SIGNING_KEY = "DEVELOPMENT-ONLY-webhook-signing-key-not-from-relaybox-0000"
SIGNING_KEY = os.environ.get(SIGNING_KEY_SETTING, DEVELOPMENT_SIGNING_KEY)
REDIS_URL = os.environ.get("REDIS_URL") or None
#: How many deliveries the list keeps, the newest last.
KEPT = 50
#: The Redis list holding them, when ``REDIS_URL`` is set.
REDIS_KEY = "relaybox-demo:webhooks:received"


def redis_client() -> redis.Redis | None:
    """A client for ``REDIS_URL``, or None when it is unset."""
    if REDIS_URL is None:
        return None
    import redis

    return redis.Redis.from_url(REDIS_URL)


def async_redis_client() -> redis.asyncio.Redis | None:
    """An asyncio client for ``REDIS_URL``, or None when it is unset."""
    if REDIS_URL is None:
        return None
    import redis.asyncio

    return redis.asyncio.Redis.from_url(REDIS_URL)


def entry(event: WebhookEvent) -> dict[str, Any]:
    """What the page shows of one delivery."""
    return {
        "id": event.id,
        "event": event.event,
        "timestamp": event.timestamp.isoformat(timespec="milliseconds"),
        "clientId": event.session.get("clientId"),
    }


class _Memory:
    """The list in this process: enough for one worker."""

    def __init__(self) -> None:
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=KEPT)
        self._lock = threading.Lock()

    def record(self, event: WebhookEvent) -> None:
        with self._lock:
            self._entries.append(entry(event))

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)


class ReceivedWebhooks:
    """The list for threaded servers (gunicorn): in Redis when given a client, else in memory.

    A failure to write to Redis propagates: the handler then fails, the endpoint answers
    500, and Relaybox retries the delivery later.
    """

    def __init__(self, client: redis.Redis | None) -> None:
        self._client = client
        self._memory = _Memory()

    def record(self, event: WebhookEvent) -> None:
        if self._client is None:
            self._memory.record(event)
            return
        with self._client.pipeline() as pipe:  # MULTI: append and trim together
            pipe.rpush(REDIS_KEY, json.dumps(entry(event)))
            pipe.ltrim(REDIS_KEY, -KEPT, -1)
            pipe.execute()

    def entries(self) -> list[dict[str, Any]]:
        if self._client is None:
            return self._memory.entries()
        return [json.loads(item) for item in self._client.lrange(REDIS_KEY, 0, -1)]


class AsyncReceivedWebhooks:
    """:class:`ReceivedWebhooks` for asyncio servers (uvicorn), with ``redis.asyncio``."""

    def __init__(self, client: redis.asyncio.Redis | None) -> None:
        self._client = client
        self._memory = _Memory()

    async def record(self, event: WebhookEvent) -> None:
        if self._client is None:
            self._memory.record(event)
            return
        async with self._client.pipeline() as pipe:
            pipe.rpush(REDIS_KEY, json.dumps(entry(event)))
            pipe.ltrim(REDIS_KEY, -KEPT, -1)
            await pipe.execute()

    async def entries(self) -> list[dict[str, Any]]:
        if self._client is None:
            return self._memory.entries()
        return [json.loads(item) for item in await self._client.lrange(REDIS_KEY, 0, -1)]
