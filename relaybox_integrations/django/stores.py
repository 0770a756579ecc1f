"""Webhook delivery stores on Django's cache, for :class:`~.webhooks.WebhookView`.

The same lease-then-done scheme and defaults as :mod:`relaybox_integrations.webhook_stores`,
with ``cache.add`` as the atomic claim.
"""

from __future__ import annotations

from django.core.cache import BaseCache

from ..webhook_stores import (
    DEFAULT_CLAIM_TTL,
    DEFAULT_DONE_TTL,
    DEFAULT_PREFIX,
    ClaimOutcome,
    check_ttl,
)

__all__ = ["AsyncCacheWebhookStore", "CacheWebhookStore"]

_CLAIMED, _DONE = "claimed", "done"


class CacheWebhookStore:
    """Deduplicates deliveries in a Django cache: ``cache.add`` is the atomic claim.

    ``add`` is atomic on the Redis, Memcached and database backends; ``LocMemCache`` holds
    for one process only. A claim expires after ``claim_ttl`` seconds (a process killed
    mid-delivery does not hold the id for ever); a done id is remembered ``done_ttl``.
    """

    def __init__(
        self,
        cache: BaseCache,
        *,
        prefix: str = DEFAULT_PREFIX,
        claim_ttl: float = DEFAULT_CLAIM_TTL,
        done_ttl: float = DEFAULT_DONE_TTL,
    ) -> None:
        self.cache = cache
        self.prefix = prefix
        self.claim_ttl = check_ttl("claim_ttl", claim_ttl)
        self.done_ttl = check_ttl("done_ttl", done_ttl)

    def __repr__(self) -> str:
        return f"CacheWebhookStore({self.cache!r})"

    def key(self, delivery_id: str) -> str:
        return self.prefix + delivery_id

    def claim(self, delivery_id: str) -> ClaimOutcome:
        key = self.key(delivery_id)
        if self.cache.add(key, _CLAIMED, self.claim_ttl):
            return ClaimOutcome.CLAIMED
        return ClaimOutcome.DONE if self.cache.get(key) == _DONE else ClaimOutcome.IN_PROGRESS

    def mark_done(self, delivery_id: str) -> None:
        self.cache.set(self.key(delivery_id), _DONE, self.done_ttl)

    def release(self, delivery_id: str) -> None:
        key = self.key(delivery_id)
        if self.cache.get(key) == _CLAIMED:  # never forget a done delivery
            self.cache.delete(key)


class AsyncCacheWebhookStore(CacheWebhookStore):
    """:class:`CacheWebhookStore` through the cache's async methods, for async views."""

    async def claim(self, delivery_id: str) -> ClaimOutcome:  # type: ignore[override]
        key = self.key(delivery_id)
        if await self.cache.aadd(key, _CLAIMED, self.claim_ttl):
            return ClaimOutcome.CLAIMED
        done = await self.cache.aget(key) == _DONE
        return ClaimOutcome.DONE if done else ClaimOutcome.IN_PROGRESS

    async def mark_done(self, delivery_id: str) -> None:  # type: ignore[override]
        await self.cache.aset(self.key(delivery_id), _DONE, self.done_ttl)

    async def release(self, delivery_id: str) -> None:  # type: ignore[override]
        key = self.key(delivery_id)
        if await self.cache.aget(key) == _CLAIMED:
            await self.cache.adelete(key)
