"""How fast one user may publish through the examples' chat: a burst, then a steady rate.

Every message the chat publishes goes out on the application's API key, so one user (or one
stolen session) must not be able to publish as fast as the server can answer. Each example
asks :meth:`RateLimit.wait` before it publishes a valid message; a non-zero answer becomes a
429 with ``Retry-After`` (see ``chat.py``).

The algorithm is GCRA (the generic cell rate algorithm, a token bucket kept as one number):
per user, the time at which their bucket will be full again. A user may send ``burst``
messages at once, then one every ``interval`` seconds. It needs no background task, and a
user whose bucket is full again needs no entry, so the table holds only recent senders.

The table lives in the process: with ``serve.py --workers N``, each worker counts apart, and
a user may send up to N times as fast. An application with several workers would keep the
same number in its shared store instead (in Redis, one ``SET`` per message from a script).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable

#: Entries kept before the full buckets are swept out.
_SWEEP_AT = 1024


class RateLimit:
    """``burst`` messages at once per key, then one every ``interval`` seconds.

    Thread-safe, and safe on an event loop: :meth:`wait` never blocks beyond a short lock.
    """

    def __init__(
        self, burst: int, interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._tolerance = (burst - 1) * interval
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        #: key -> when that key's bucket is full again (the "theoretical arrival time")
        self._full_at: dict[Hashable, float] = {}

    def wait(self, key: Hashable) -> int:
        """0 if ``key`` may send now (the message is counted); else whole seconds to wait."""
        with self._lock:
            now = self._clock()
            full_at = max(self._full_at.get(key, now), now)
            early = full_at - now - self._tolerance
            if early > 0:
                return max(1, math.ceil(early))
            if len(self._full_at) >= _SWEEP_AT:
                self._full_at = {k: t for k, t in self._full_at.items() if t > now}
            self._full_at[key] = full_at + self._interval
            return 0
