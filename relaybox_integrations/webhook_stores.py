"""Where webhook deliveries are remembered, so that each event's handlers run once.

Relaybox retries a delivery up to five times with the same payload ``id``, and two attempts
can overlap (the first still running when Relaybox's 5 s timeout sends the second). A store
answers three questions about an id, each atomically:

- :meth:`~relaybox_integrations.WebhookStore.claim`: may this delivery run the handlers?
  ``CLAIMED`` when no other delivery of the id is running or done (the claim is a lease
  that expires after ``claim_ttl`` seconds, so a process killed mid-handler does not hold
  it for ever);
  ``IN_PROGRESS`` when another delivery holds the lease; ``DONE`` when the handlers already
  succeeded.
- :meth:`~relaybox_integrations.WebhookStore.mark_done`: the handlers succeeded; remember
  that for ``done_ttl``.
- :meth:`~relaybox_integrations.WebhookStore.release`: the handlers failed; drop the lease
  (never a done mark) so that Relaybox's retry runs them again.

Methods may be plain or ``async``: the endpoint's ``ahandle`` awaits whatever is awaitable,
its ``handle`` calls them plainly.
"""

from __future__ import annotations

import enum
import heapq
import inspect
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, Protocol

from .errors import ConfigurationError

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = [
    "DEFAULT_CLAIM_TTL",
    "DEFAULT_DONE_TTL",
    "DEFAULT_PREFIX",
    "AsyncRedisWebhookStore",
    "ClaimOutcome",
    "InMemoryWebhookStore",
    "RedisWebhookStore",
    "WebhookStore",
]

#: Seconds a claim holds: well above Relaybox's 5 s wait per attempt, so that a handler
#: still running when Relaybox gives up on its attempt keeps the retries out.
DEFAULT_CLAIM_TTL: Final = 30.0
#: Seconds a finished id is remembered: Relaybox's retries all come within about 35 s, and a
#: captured delivery is refused by its timestamp after the 5-minute tolerance.
DEFAULT_DONE_TTL: Final = 3600.0


class ClaimOutcome(enum.Enum):
    """What :meth:`WebhookStore.claim` found."""

    #: This delivery holds the lease: run the handlers, then mark done or release.
    CLAIMED = "claimed"
    #: Another delivery of the same id holds the lease right now.
    IN_PROGRESS = "in_progress"
    #: The handlers already succeeded for this id.
    DONE = "done"


class WebhookStore(Protocol):
    """The three operations the webhook endpoint needs; see the module's description."""

    def claim(self, delivery_id: str) -> ClaimOutcome | Awaitable[ClaimOutcome]:
        """Atomically take the lease on ``delivery_id``, or say who has it."""

    def mark_done(self, delivery_id: str) -> object:
        """Remember that ``delivery_id``'s handlers succeeded."""

    def release(self, delivery_id: str) -> object:
        """Drop this delivery's lease (never a done mark) so that a retry runs again."""


def check_ttl(name: str, value: object) -> float:
    """A store's lease or memory time: a positive, finite number of seconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(name, f"{name} must be a number of seconds; got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ConfigurationError(name, f"{name} must be a positive number of seconds; got {value}")
    return float(value)


class InMemoryWebhookStore:
    """Remembers deliveries in this process only.

    Enough for one process (threads and asyncio tasks alike); with several workers or
    machines, each has its own memory and a retry landing on another worker runs the
    handlers again: use :class:`RedisWebhookStore` (or another shared store) there.
    """

    def __init__(
        self,
        *,
        claim_ttl: float = DEFAULT_CLAIM_TTL,
        done_ttl: float = DEFAULT_DONE_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.claim_ttl = check_ttl("claim_ttl", claim_ttl)
        self.done_ttl = check_ttl("done_ttl", done_ttl)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[ClaimOutcome, float]] = {}
        # (expiry, id) for every entry written, oldest expiry first, to forget expired ids.
        self._expiries: list[tuple[float, str]] = []

    def __repr__(self) -> str:
        return (
            f"InMemoryWebhookStore(claim_ttl={self.claim_ttl:g}, done_ttl={self.done_ttl:g}, "
            f"entries={len(self._entries)})"
        )

    def claim(self, delivery_id: str) -> ClaimOutcome:
        with self._lock:
            now = self._clock()
            self._forget_expired(now)
            entry = self._entries.get(delivery_id)
            if entry is not None:
                return entry[0]
            self._write(delivery_id, ClaimOutcome.IN_PROGRESS, now + self.claim_ttl)
            return ClaimOutcome.CLAIMED

    def mark_done(self, delivery_id: str) -> None:
        with self._lock:
            self._write(delivery_id, ClaimOutcome.DONE, self._clock() + self.done_ttl)

    def release(self, delivery_id: str) -> None:
        with self._lock:
            entry = self._entries.get(delivery_id)
            if entry is not None and entry[0] is ClaimOutcome.IN_PROGRESS:
                del self._entries[delivery_id]

    def _write(self, delivery_id: str, state: ClaimOutcome, expiry: float) -> None:
        self._entries[delivery_id] = (state, expiry)
        heapq.heappush(self._expiries, (expiry, delivery_id))

    def _forget_expired(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            expiry, delivery_id = heapq.heappop(self._expiries)
            entry = self._entries.get(delivery_id)
            if entry is not None and entry[1] == expiry:
                del self._entries[delivery_id]


# Deletes the key only while it still holds a claim: a release after the lease expired must
# not erase the done mark that another delivery wrote since.
_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""
_IN_PROGRESS = ClaimOutcome.IN_PROGRESS.value
_DONE = ClaimOutcome.DONE.value
#: What the stores put before a delivery id to make their key.
DEFAULT_PREFIX: Final = "relaybox:webhook:"


def _outcome_of(value: bytes | str | None) -> ClaimOutcome:
    """What an existing key says; a key gone since SET NX failed is still in progress."""
    if value in (_DONE, _DONE.encode()):
        return ClaimOutcome.DONE
    return ClaimOutcome.IN_PROGRESS


class _RedisStore:
    """Keys, lifetimes and the release script, alike for the sync and asyncio clients."""

    _awaits: bool

    def __init__(
        self,
        client: redis.Redis | redis.asyncio.Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        claim_ttl: float = DEFAULT_CLAIM_TTL,
        done_ttl: float = DEFAULT_DONE_TTL,
    ) -> None:
        if not isinstance(prefix, str):
            raise ConfigurationError("prefix", f"prefix must be a str; got {prefix!r}")
        execute = getattr(client, "execute_command", None)
        if execute is not None and inspect.iscoroutinefunction(execute) is not self._awaits:
            # A sync store on an asyncio client would take every unawaited SET as a claim.
            wanted = "redis.asyncio.Redis" if self._awaits else "redis.Redis"
            kind = type(client)
            raise ConfigurationError(
                "client",
                f"{type(self).__name__} needs a {wanted}; got a {kind.__module__}.{kind.__name__}",
            )
        self.client = client
        self.prefix = prefix
        self.claim_ttl = check_ttl("claim_ttl", claim_ttl)
        self.done_ttl = check_ttl("done_ttl", done_ttl)
        self._claim_ms = max(1, round(self.claim_ttl * 1000))
        self._done_ms = max(1, round(self.done_ttl * 1000))
        self._release: Callable[..., Any] = client.register_script(_RELEASE_SCRIPT)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.client!r}, prefix={self.prefix!r}, "
            f"claim_ttl={self.claim_ttl:g}, done_ttl={self.done_ttl:g})"
        )

    def key(self, delivery_id: str) -> str:
        return self.prefix + delivery_id


class RedisWebhookStore(_RedisStore):
    """Remembers deliveries in Redis, shared by every process and machine that uses it.

    ``client`` is a ``redis.Redis`` (redis-py, the ``[redis]`` extra). A claim is one
    ``SET key in_progress NX PX claim_ttl``, atomic in Redis; keys are ``prefix + id``.
    """

    client: redis.Redis
    _awaits = False

    def claim(self, delivery_id: str) -> ClaimOutcome:
        key = self.key(delivery_id)
        if self.client.set(key, _IN_PROGRESS, nx=True, px=self._claim_ms):
            return ClaimOutcome.CLAIMED
        return _outcome_of(self.client.get(key))

    def mark_done(self, delivery_id: str) -> None:
        self.client.set(self.key(delivery_id), _DONE, px=self._done_ms)

    def release(self, delivery_id: str) -> None:
        self._release(keys=[self.key(delivery_id)], args=[_IN_PROGRESS])


class AsyncRedisWebhookStore(_RedisStore):
    """:class:`RedisWebhookStore` for ``redis.asyncio.Redis``, for the endpoint's ``ahandle``."""

    client: redis.asyncio.Redis
    _awaits = True

    async def claim(self, delivery_id: str) -> ClaimOutcome:
        key = self.key(delivery_id)
        if await self.client.set(key, _IN_PROGRESS, nx=True, px=self._claim_ms):
            return ClaimOutcome.CLAIMED
        return _outcome_of(await self.client.get(key))

    async def mark_done(self, delivery_id: str) -> None:
        await self.client.set(self.key(delivery_id), _DONE, px=self._done_ms)

    async def release(self, delivery_id: str) -> None:
        await self._release(keys=[self.key(delivery_id)], args=[_IN_PROGRESS])
