"""Webhook deliveries as Relaybox's webhook service makes them: signed, retried, recorded.

Each attempt is signed afresh by :func:`~relaybox_integrations.sign_webhook` (same event id,
new timestamp), POSTed with a 5 s timeout, and retried on a network error, a timeout or a
429, 500, 502, 503 or 504, five attempts in all with backoff from 0.5 s; any other answer
ends the delivery.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

from ..errors import ConfigurationError
from ..webhooks import sign_webhook

__all__ = ["WebhookDelivery", "WebhookSender", "check_urls"]

logger = logging.getLogger("relaybox_integrations.emulator")

ATTEMPTS: Final = 5
BACKOFF_BASE: Final = 0.5
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
DEFAULT_WEBHOOK_TIMEOUT: Final = 5.0


def check_urls(urls: object) -> tuple[str, ...]:
    """``urls`` if it is a list of http(s) URLs with a host, else a ConfigurationError."""
    if isinstance(urls, str) or not isinstance(urls, Sequence):
        raise ConfigurationError(
            "webhook_urls", f"webhook_urls must be a list of URLs; got {type(urls).__name__}"
        )
    for url in urls:
        try:
            parts = urlsplit(url) if isinstance(url, str) else None
            valid = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)
            if parts is not None:
                parts.port  # noqa: B018 - parsing the port is the check
        except ValueError:
            valid = False
        if not valid:
            raise ConfigurationError(
                "webhook_urls",
                f"webhook URL {url!r} is not an http:// or https:// URL with a host",
            )
    return tuple(urls)


@dataclass
class WebhookDelivery:
    """One event sent (or being sent) to one webhook URL."""

    url: str
    event: str
    #: The payload of the last attempt ``{id, event, data, session, timestamp}``.
    payload: dict[str, Any] = field(repr=False)
    attempts: int = 0
    #: The receiver's last HTTP status; None when it never answered.
    status: int | None = None
    #: ``"pending"``, ``"delivered"`` (any final answer) or ``"failed"`` (retries exhausted).
    outcome: str = "pending"
    #: Why the last attempt failed, when it did.
    error: str | None = None

    @property
    def id(self) -> str:
        """The event's id, the same on every attempt."""
        return str(self.payload["id"])

    @property
    def data(self) -> Any:
        """The event's data, as in the payload."""
        return self.payload["data"]


class WebhookSender:
    """Sends the hub's webhook events to every configured URL, in the background."""

    def __init__(
        self,
        urls: tuple[str, ...],
        signing_key: str,
        record: Callable[[WebhookDelivery], None],
        changed: Callable[[], None],
        timeout: float = DEFAULT_WEBHOOK_TIMEOUT,
    ) -> None:
        self._urls = urls
        self._signing_key = signing_key
        self._record = record
        self._changed = changed
        self._timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"WebhookSender(urls={self._urls!r})"

    def send(self, event: str, data: Any, session: dict[str, Any]) -> None:
        """Start delivering ``event`` to every URL; returns at once."""
        event_id = str(uuid.uuid4())
        for index, url in enumerate(self._urls, 1):
            first = sign_webhook(event, data, self._signing_key, event_id=event_id, session=session)
            delivery = WebhookDelivery(url, event, first.payload)
            self._record(delivery)
            task = asyncio.ensure_future(
                self._deliver(delivery, f"emulator-webhook-{index}", session)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(
        self, delivery: WebhookDelivery, webhook_id: str, session: dict[str, Any]
    ) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        for attempt in range(1, ATTEMPTS + 1):
            signed = sign_webhook(
                delivery.event,
                delivery.data,
                self._signing_key,
                event_id=delivery.id,
                session=session,
                webhook_id=webhook_id,
            )
            delivery.payload, delivery.attempts = signed.payload, attempt
            try:
                async with self._session.post(
                    delivery.url, data=signed.body, headers=signed.headers
                ) as response:
                    await response.read()
                    delivery.status, delivery.error = response.status, None
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                delivery.status = None
                delivery.error = (
                    "no answer within the timeout"
                    if isinstance(exc, asyncio.TimeoutError)
                    else f"{type(exc).__name__}: {exc}"
                )
            if delivery.status is not None and delivery.status not in RETRY_STATUSES:
                delivery.outcome = "delivered"
                break
            if delivery.status is not None:
                delivery.error = f"HTTP {delivery.status}"
            if attempt < ATTEMPTS:
                await asyncio.sleep(BACKOFF_BASE * 2 ** (attempt - 1))
        else:
            delivery.outcome = "failed"
        logger.info(
            "webhook %s -> %s: %s (%s, %d attempt%s)",
            delivery.event,
            delivery.url,
            delivery.outcome,
            delivery.status if delivery.error is None else delivery.error,
            delivery.attempts,
            "" if delivery.attempts == 1 else "s",
        )
        self._changed()

    def cancel(self) -> None:
        """Drop deliveries in progress (``reset``)."""
        for task in list(self._tasks):
            task.cancel()

    async def close(self) -> None:
        self.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
