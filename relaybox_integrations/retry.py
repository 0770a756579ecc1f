"""When to try a request again: never when it may have been applied.

Relaybox's services take no idempotency key, so a request that went out and got no answer
(:class:`~relaybox_integrations.transport.MaybeSent`) is never sent again: it may already have
been applied. One that never went out whole
(:class:`~relaybox_integrations.transport.NotSent`) is retried, after a jittered backoff, up
to the configured number of retries. Answers in a caller's ``retry_statuses`` are retried
too: publishing and reads pass :data:`RETRY_STATUSES`, calls that change state pass none.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from .flow import Flow
from .transport import MaybeSent, NotSent, Request, Response

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "RETRY_STATUSES",
    "Answered",
    "GaveUp",
    "attempts",
    "backoff_delay",
]

#: Gateway answers: the request did not reach Relaybox's handler, or timed out on the way.
RETRY_STATUSES: Final = frozenset({502, 503, 504})
#: Seconds. Retry ``n`` (from 0) waits between half and all of ``min(CAP, BASE * 2**n)``.
BACKOFF_BASE: Final = 0.5
#: Seconds; the longest wait before a retry.
BACKOFF_CAP: Final = 5.0


def backoff_delay(retry: int) -> float:
    """Seconds to wait before retry number ``retry`` (0-based): jittered so that many
    clients failing together do not come back together."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**retry)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


@dataclass(frozen=True)
class Answered:
    """The last attempt's request and the answer it got."""

    request: Request
    response: Response
    attempts: int


class GaveUp(Exception):
    """No answer to act on. ``failure`` says whether the request may have been applied
    (:class:`~relaybox_integrations.transport.MaybeSent`) or cannot have been
    (:class:`~relaybox_integrations.transport.NotSent`, retries exhausted)."""

    def __init__(self, failure: NotSent | MaybeSent, attempts: int) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.attempts = attempts


def attempts(
    request: Callable[[], Request],
    send: Callable[[Request], Any],
    sleep: Callable[[float], Any],
    *,
    retries: int,
    retry_statuses: frozenset[int],
) -> Flow[Answered]:
    """Send ``request()`` (built afresh for each attempt) until an answer is final or the
    retries run out; one flow, driven sync or async by whoever delegates to it."""
    attempt = 0
    while True:
        attempt += 1
        sent = request()
        try:
            response: Response = yield send, (sent,)
        except NotSent as failure:
            if attempt <= retries:
                yield sleep, (backoff_delay(attempt - 1),)
                continue
            raise GaveUp(failure, attempt) from None
        except MaybeSent as failure:
            raise GaveUp(failure, attempt) from None
        if response.status in retry_statuses and attempt <= retries:
            yield sleep, (backoff_delay(attempt - 1),)
            continue
        return Answered(sent, response, attempt)
