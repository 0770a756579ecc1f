"""Receiving Relaybox webhooks: check a delivery, run its handlers once, answer as Relaybox needs.

Relaybox waits 5 s per attempt and retries up to five times, with the same ``id`` and a
fresh ``timestamp``, on a network error or a 429, 500, 502, 503 or 504; any other answer
ends the delivery, and after the last attempt the event is dropped.

:class:`WebhookEndpoint` is the whole endpoint, framework-free: adapters hand it the method,
the raw body and the signature header, and copy the
:class:`~relaybox_integrations.flow.EndpointResponse` it returns into their own type. How a
delivery is signed and verified is :mod:`relaybox_integrations.webhook_signatures`; its
names are importable from here too. Everything here needs the ``[webhooks]`` extra
(``orjson``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypeVar

from .errors import ConfigurationError, WebhookVerificationError
from .flow import EndpointResponse, Flow, arun, json_error, run
from .webhook_signatures import (
    DEFAULT_WEBHOOK_TOLERANCE,
    WEBHOOK_ID_HEADER,
    WEBHOOK_SIGNATURE_HEADER,
    SignedWebhook,
    SigningKey,
    WebhookEvent,
    WebhookSession,
    check_tolerance,
    sign_webhook,
    verify,
    verify_webhook,
)
from .webhook_stores import ClaimOutcome, InMemoryWebhookStore, WebhookStore

try:
    from ._canonical import compact_json
except ImportError as exc:  # no [webhooks] extra: a WebhookEndpoint refuses to be built
    if exc.name != "orjson":
        raise

__all__ = [
    "DEFAULT_WEBHOOK_BODY_LIMIT",
    "DEFAULT_WEBHOOK_TOLERANCE",
    "EVERY_EVENT",
    "WEBHOOK_ID_HEADER",
    "WEBHOOK_SIGNATURE_HEADER",
    "SignedWebhook",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookHandler",
    "WebhookSession",
    "event_names",
    "sign_webhook",
    "verify_webhook",
]

logger = logging.getLogger("relaybox_integrations.webhooks")

#: Bytes. Relaybox's realtime server takes messages of at most 16 KiB (uWebSockets' default),
#: and a webhook adds the session to one; 256 KiB leaves ample room, and a refused event is
#: lost for good, while reading that much before the signature is checked costs little.
DEFAULT_WEBHOOK_BODY_LIMIT: Final = 256 * 1024

#: Bytes. Under :meth:`WebhookEndpoint.ahandle`, a larger body is verified in a worker thread:
#: its signature cannot be checked before it is canonicalised, which for a hostile body takes
#: milliseconds of CPU, and a flood of those must not hold up the event loop and a genuine
#: delivery behind them. Relaybox's own deliveries are mostly smaller (a message of at most
#: 16 KiB, usually far less, and its session), and skip the thread's hand-over.
VERIFY_IN_THREAD_ABOVE: Final = 8 * 1024
#: The one thread per process those verifications queue for: pure Python holds the GIL, and
#: each thread more holding it would leave the event loop a smaller share of it.
_VERIFIER = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="relaybox-webhooks")

_ALLOW = "POST"


#: The event name that registers a handler for every event, in every adapter.
EVERY_EVENT: Final = "*"


def event_names(events: tuple[object, ...]) -> tuple[str | None, ...]:
    """The names a handler registration gave, checked; None stands for every event.

    Every adapter's registration goes through this, so an empty one is an error everywhere
    rather than "nothing" in one framework and "everything" in another.
    """
    if not events:
        raise ConfigurationError(
            "event",
            f'a webhook handler needs at least one event name, or "{EVERY_EVENT}" for every event',
        )
    checked: list[str | None] = []
    for name in events:
        if not isinstance(name, str) or not name:
            raise ConfigurationError("event", f"event names are non-empty strings; got {name!r}")
        checked.append(None if name == EVERY_EVENT else name)
    return tuple(checked)


def check_max_body_size(value: object) -> int:
    """The largest delivery body accepted, in bytes: a positive int."""
    if type(value) is not int or value <= 0:
        raise ConfigurationError(
            "max_body_size", f"max_body_size must be a positive int; got {value!r}"
        )
    return value


WebhookHandler = Callable[[WebhookEvent], object]
"""A handler: called with the event; may be ``async`` under
:meth:`~relaybox_integrations.WebhookEndpoint.ahandle`."""
_Handler = TypeVar("_Handler", bound=WebhookHandler)


def _answer(event: WebhookEvent, status: str) -> EndpointResponse:
    return EndpointResponse(200, compact_json({"id": event.id, "status": status}))


_METHOD_NOT_ALLOWED = json_error(
    405, "method_not_allowed", "The Relaybox webhook endpoint answers POST.", ("Allow", _ALLOW)
)
_LENGTH_REQUIRED = json_error(
    411,
    "length_required",
    "This server cannot read a body sent without Content-Length (chunked): send "
    "Content-Length, or serve the application with a server that reads chunked bodies.",
)
# Relaybox retries 5xx: a failed handler gets another chance, and so does a delivery that
# arrived while another attempt of it was still running.
_HANDLER_FAILED = json_error(
    500, "handler_failed", "A webhook handler failed; the server's log says why."
)
_STORE_UNAVAILABLE = json_error(
    503, "store_unavailable", "The webhook deduplication store failed; try again."
)
_IN_PROGRESS = json_error(
    503, "delivery_in_progress", "Another attempt of this delivery is being handled; try again."
)
# Final answers: Relaybox does not retry a 4xx other than 429.
_STATUS_OF_REASON = {
    "missing_signature": (403, "invalid_signature"),
    "malformed_signature": (403, "invalid_signature"),
    "signature_mismatch": (403, "invalid_signature"),
    "invalid_body": (400, "invalid_body"),
    "stale_timestamp": (403, "stale_timestamp"),
}


class WebhookEndpoint:
    """A Relaybox webhook endpoint: verification, deduplication, handlers and the answer.

    ``signing_key`` is the webhook's signing key from Relaybox's dashboard. ``store``
    remembers which deliveries ran (default: an :class:`InMemoryWebhookStore`, which holds
    for this process only; use a shared store with several workers). ``tolerance`` bounds
    the age of a delivery's timestamp (seconds, or None for no check); ``max_body_size``
    refuses larger bodies with 413 before they are parsed.

    Answers: 200 once the handlers have succeeded, or for a delivery already done (no
    handler runs), or for an event no handler is registered for; a final 400 or 403 for a
    bad body, signature or timestamp, 405 for methods other than POST, 411 for a body the
    server cannot delimit and 413 for a body over the limit, none of which Relaybox retries;
    500 when a handler raises, and 503 when another attempt of the same delivery is still
    running or the store fails, which it does retry. Every answer is JSON with
    ``Cache-Control: no-store``.
    """

    def __init__(
        self,
        signing_key: str,
        *,
        store: WebhookStore | None = None,
        tolerance: float | datetime.timedelta | None = DEFAULT_WEBHOOK_TOLERANCE,
        max_body_size: int = DEFAULT_WEBHOOK_BODY_LIMIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            self._signing_key = SigningKey(signing_key)
        finally:
            del signing_key
        self.tolerance = check_tolerance(tolerance)
        self.max_body_size = check_max_body_size(max_body_size)
        self.store: WebhookStore = InMemoryWebhookStore() if store is None else store
        self._clock = clock
        self._handlers: list[tuple[str | None, WebhookHandler]] = []

    def __repr__(self) -> str:
        # Partial while __init__ runs: a debug page may show a half-built endpoint.
        shown = ("store", "tolerance", "max_body_size", "_handlers")
        settings = ", ".join(
            f"{name.lstrip('_')}={getattr(self, name)!r}" for name in shown if hasattr(self, name)
        )
        return f"WebhookEndpoint({settings})"

    def __reduce__(self) -> Any:
        raise TypeError("WebhookEndpoint objects cannot be pickled; they hold the signing key")

    def on(self, *events: str) -> Callable[[_Handler], _Handler]:
        """Register the decorated function for the named events (``"room:publish"``...), or
        for every event with ``"*"``.

        Handlers run in the order they were registered, catch-alls included.
        """
        names = event_names(events)

        def register(handler: _Handler) -> _Handler:
            self._add(names, handler)
            return handler

        return register

    def _add(self, events: tuple[str | None, ...], handler: WebhookHandler) -> None:
        if not callable(handler):
            raise ConfigurationError("handler", f"a handler must be callable; got {handler!r}")
        self._handlers.extend((name, handler) for name in events)

    def _handlers_for(self, event: str) -> list[WebhookHandler]:
        return [handler for name, handler in self._handlers if name is None or name == event]

    def reject_before_reading(
        self, method: str, content_length: int | str | None, *, body_delimited: bool = True
    ) -> EndpointResponse | None:
        """The 405, 411 or 413 answer that needs no body, or None to go on and read it.

        Adapters call this before reading the body, then read at most
        ``max_body_size`` + 1 bytes (a request without Content-Length can still be long).
        ``body_delimited=False`` says the server cannot tell where a body sent without
        Content-Length ends (chunked, under a WSGI server that does not set
        ``wsgi.input_terminated``): such a body is answered 411 rather than read as empty.
        """
        if method != "POST":
            return _METHOD_NOT_ALLOWED
        if content_length is None and not body_delimited:
            return _LENGTH_REQUIRED
        try:
            length = int(content_length) if content_length is not None else 0
        except ValueError:
            return None  # the server's business; the body's real size is checked in handle
        if length > self.max_body_size:
            return self._too_large()
        return None

    async def receive_asgi_body(
        self, receive: Callable[[], Awaitable[Mapping[str, Any]]]
    ) -> bytes | None:
        """The body of an ASGI request, read from ``receive`` until it ends or exceeds
        ``max_body_size`` (by at most one chunk, which the check then refuses with 413);
        None when the client disconnected first.

        The chunks are joined once: adding each to the body so far would cost time quadratic
        in their number, which the client chooses.
        """
        chunks: list[bytes] = []
        size = 0
        more_body = True
        while more_body and size <= self.max_body_size:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more_body = message.get("more_body", False)
        return b"".join(chunks)

    def _too_large(self) -> EndpointResponse:
        return json_error(
            413,
            "body_too_large",
            f"The body exceeds the webhook endpoint's {self.max_body_size}-byte limit.",
        )

    def _check(
        self, method: str, body: bytes | str, signature: str | bytes | None
    ) -> WebhookEvent | EndpointResponse:
        """The verified event, or the final answer for a delivery that is not one."""
        if method != "POST":
            return _METHOD_NOT_ALLOWED
        if isinstance(body, (bytes, bytearray, str)) and len(body) > self.max_body_size:
            return self._too_large()
        try:
            return verify(body, signature, self._signing_key, self.tolerance, self._clock())
        except WebhookVerificationError as exc:
            logger.warning("Relaybox webhook refused (%s): %s", exc.reason, exc.message)
            status, code = _STATUS_OF_REASON[exc.reason]
            return json_error(status, code, exc.message)

    def handle(
        self, method: str, body: bytes | str, signature: str | bytes | None
    ) -> EndpointResponse:
        """Answer one delivery, calling handlers and store plainly (sync views)."""
        return run(self.flow(method, body, signature))

    async def ahandle(
        self, method: str, body: bytes | str, signature: str | bytes | None
    ) -> EndpointResponse:
        """Answer one delivery, awaiting whatever a handler or the store returns (async views).

        A body over ``VERIFY_IN_THREAD_ABOVE`` bytes is verified in a worker thread (one per
        process), off the event loop (asyncio).
        """
        if isinstance(body, (bytes, bytearray, str)) and len(body) > VERIFY_IN_THREAD_ABOVE:
            checked = await asyncio.get_running_loop().run_in_executor(
                _VERIFIER, self._check, method, body, signature
            )
        else:
            checked = self._check(method, body, signature)
        return await arun(self._handled(checked))

    def flow(
        self, method: str, body: bytes | str, signature: str | bytes | None
    ) -> Flow[EndpointResponse]:
        """One delivery's flow, for :func:`~relaybox_integrations.flow.run` or ``arun``."""
        return self._handled(self._check(method, body, signature))

    def _handled(self, checked: WebhookEvent | EndpointResponse) -> Flow[EndpointResponse]:
        """The flow after the check: deduplication, handlers and the answer."""
        if isinstance(checked, EndpointResponse):
            return checked
        event = checked
        handlers = self._handlers_for(event.event)
        if not handlers:
            return self._ignored(event)
        try:
            outcome = _outcome((yield self.store.claim, (event.id,)))
        except Exception:
            logger.exception("Relaybox webhook %s (%s): store claim failed", event.id, event.event)
            return _STORE_UNAVAILABLE
        if outcome is not ClaimOutcome.CLAIMED:
            return self._not_claimed(event, outcome)
        try:
            for handler in handlers:
                yield handler, (event,)
        except BaseException as exc:  # asyncio.CancelledError included: release, re-raise
            try:
                yield self.store.release, (event.id,)
            except Exception:
                logger.exception("Relaybox webhook %s: store release failed", event.id)
            if not isinstance(exc, Exception):
                raise
            return self._handler_failed(event)
        try:
            yield self.store.mark_done, (event.id,)
        except Exception:
            logger.exception("Relaybox webhook %s: handled, but not marked done", event.id)
        return self._processed(event)

    @staticmethod
    def _ignored(event: WebhookEvent) -> EndpointResponse:
        logger.info("Relaybox webhook %s: no handler for %r", event.id, event.event)
        return _answer(event, "ignored")

    @staticmethod
    def _not_claimed(event: WebhookEvent, outcome: ClaimOutcome) -> EndpointResponse:
        if outcome is ClaimOutcome.DONE:
            logger.info("Relaybox webhook %s (%s): already handled", event.id, event.event)
            return _answer(event, "duplicate")
        logger.info("Relaybox webhook %s (%s): another attempt is running", event.id, event.event)
        return _IN_PROGRESS

    @staticmethod
    def _handler_failed(event: WebhookEvent) -> EndpointResponse:
        logger.exception("Relaybox webhook %s (%s): handler failed", event.id, event.event)
        return _HANDLER_FAILED

    @staticmethod
    def _processed(event: WebhookEvent) -> EndpointResponse:
        logger.debug("Relaybox webhook %s (%s): handled", event.id, event.event)
        return _answer(event, "processed")


def _outcome(value: object) -> ClaimOutcome:
    if not isinstance(value, ClaimOutcome):
        raise TypeError(f"the store's claim must return a ClaimOutcome; got {value!r}")
    return value
