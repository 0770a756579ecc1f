"""Receiving Relaybox webhooks: check a delivery, run its handlers once, answer as Relaybox needs.

Relaybox POSTs ``JSON.stringify(payload)``, payload ``{id, event, data, session, timestamp}``,
with ``X-RelayBox-Webhook-Signature``: the lowercase hex HMAC-SHA256, keyed with the webhook's
signing key, of the payload's RFC 8785 canonical form JSON-encoded once more. It waits 5 s per
attempt and retries up to five times, with the same ``id`` and a fresh ``timestamp``, on a
network error or a 429, 500, 502, 503 or 504; any other answer ends the delivery, and after
the last attempt the event is dropped.

:func:`~relaybox_integrations.verify_webhook` checks one delivery. :class:`WebhookEndpoint`
is the whole endpoint, framework-free: adapters hand it the method, the raw body and the
signature header, and copy the :class:`~relaybox_integrations.flow.EndpointResponse` it
returns into their own type.
Everything here needs the ``[webhooks]`` extra (``orjson``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime
import functools
import hashlib
import hmac
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypedDict, TypeVar, cast

from ._extras import missing_extra
from .errors import ConfigurationError, WebhookSigningError, WebhookVerificationError
from .flow import EndpointResponse, Flow, arun, json_error, run
from .webhook_stores import ClaimOutcome, InMemoryWebhookStore, WebhookStore

try:
    from . import _canonical
except ImportError as exc:  # the [webhooks] extra is not installed
    if exc.name != "orjson":
        raise
    _missing_extra: ImportError | None = exc
else:
    _missing_extra = None

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

#: The headers Relaybox sends, spelt as it spells them (HTTP header names are
#: case-insensitive; frameworks' header mappings find them in any case).
WEBHOOK_SIGNATURE_HEADER: Final = "X-RelayBox-Webhook-Signature"
#: The webhook configuration's id in Relaybox's dashboard; the same for every delivery.
WEBHOOK_ID_HEADER: Final = "X-RelayBox-Webhook-Id"
#: Seconds a delivery's timestamp may differ from this server's clock, either way.
DEFAULT_WEBHOOK_TOLERANCE: Final = 300.0
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

_SIGNATURE = re.compile("[0-9a-f]{64}")
_ALLOW = "POST"


def _require_extra() -> None:
    if _missing_extra is not None:
        raise missing_extra("webhooks") from _missing_extra


class WebhookSession(TypedDict, total=False):
    """The session of the connection that caused the event, as Relaybox describes it."""

    appPid: str
    keyId: str
    #: None for a connection whose token had no ``clientId``.
    clientId: str | None
    connectionId: str
    socketId: str
    timestamp: str
    exp: int
    #: The Relaybox-authenticated user, when the connection has one.
    user: dict[str, Any] | None


@dataclasses.dataclass(frozen=True)
class WebhookEvent:
    """One verified webhook delivery."""

    #: The event's id: the same on every retry of one delivery, so the deduplication key.
    id: str
    #: The event's name, e.g. ``"room:publish"``, ``"presence:join"``.
    event: str
    #: The event's data, as Relaybox sent it (None when it sent none).
    data: Any
    session: WebhookSession
    #: When Relaybox sent this attempt (aware, UTC); set afresh at each retry.
    timestamp: datetime.datetime


class _SigningKey:
    """The webhook signing key, keyed into HMAC once and never shown."""

    __slots__ = ("_mac",)

    def __init__(self, value: object) -> None:
        problem = _signing_key_problem(value)
        if problem is None and isinstance(value, str):
            self._mac = hmac.new(value.encode(), digestmod=hashlib.sha256)
        # Frames in a traceback (debug pages) show their locals.
        del value
        _require_extra()
        if problem is not None:
            raise ConfigurationError("signing_key", problem)

    def hexdigest(self, message: bytes) -> str:
        mac = self._mac.copy()
        mac.update(message)
        return mac.hexdigest()

    def __repr__(self) -> str:
        return "<webhook signing key (hidden)>"

    def __reduce__(self) -> Any:
        raise TypeError("webhook signing keys cannot be pickled")


#: The last few keys :func:`verify_webhook` was given, keyed into HMAC: keying costs a tenth
#: of a verification. Held in the cache's C internals, which no repr or traceback shows.
_cached_key = functools.lru_cache(maxsize=4)(_SigningKey)


def _keyed(value: object) -> _SigningKey:
    try:
        try:
            return _cached_key(value)
        except TypeError:  # unhashable, so not a str: the key's own check says what is wrong
            return _SigningKey(value)
    finally:
        del value  # frames in a traceback show their locals


def _signing_key_problem(value: object) -> str | None:
    """What is wrong with a signing key, described without echoing any of it."""
    if not isinstance(value, str):
        return f"the webhook signing key must be a str; got {type(value).__name__}"
    if not value:
        return "the webhook signing key is empty; copy it from the webhook in Relaybox's dashboard"
    if value[0] in "\"'" or value[-1] in "\"'":
        return "the webhook signing key is wrapped in quotes (often copied from a .env file)"
    if value[0].isspace() or value[-1].isspace():
        return (
            "the webhook signing key starts or ends with whitespace (often a trailing newline "
            "from a file or an environment variable)"
        )
    try:
        value.encode()
    except UnicodeEncodeError:
        return "the webhook signing key is not valid Unicode text"
    return None


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


def check_tolerance(value: object) -> float | None:
    """A replay window in seconds (or a timedelta), or None for no timestamp check."""
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not (math.isfinite(value) and value > 0)
    ):
        raise ConfigurationError(
            "tolerance",
            "tolerance must be a positive number of seconds (or a timedelta), or None to turn "
            f"the timestamp check off; got {value!r}",
        )
    return float(value)


def check_max_body_size(value: object) -> int:
    """The largest delivery body accepted, in bytes: a positive int."""
    if type(value) is not int or value <= 0:
        raise ConfigurationError(
            "max_body_size", f"max_body_size must be a positive int; got {value!r}"
        )
    return value


def check_signing_key(value: object) -> None:
    """Raise :class:`ConfigurationError` if ``value`` cannot be a webhook signing key.

    The message describes the problem without echoing any of the key.
    """
    try:
        _SigningKey(value)
    finally:
        del value


def verify_webhook(
    body: bytes | str,
    signature: str | bytes | None,
    signing_key: str,
    *,
    tolerance: float | datetime.timedelta | None = DEFAULT_WEBHOOK_TOLERANCE,
    now: float | None = None,
) -> WebhookEvent:
    """The event of a genuine, fresh Relaybox delivery; :class:`WebhookVerificationError` else.

    ``body`` is the raw request body, as received (not parsed JSON); ``signature`` the
    ``X-RelayBox-Webhook-Signature`` header (None when absent). Refused: a missing,
    malformed or wrong signature (compared in constant time), a body that is not UTF-8 JSON
    holding an object with string ``id``, ``event`` and ``timestamp``, nesting deeper than
    254, and a ``timestamp`` more than ``tolerance`` seconds away from ``now`` (default: the
    clock) in either direction. ``tolerance=None`` turns that check off: a captured delivery
    could then be replayed for as long as its id is remembered.
    """
    try:
        key = _keyed(signing_key)
    finally:
        del signing_key
    checked_tolerance = check_tolerance(tolerance)
    if now is None:
        now = time.time()
    elif isinstance(now, bool) or not isinstance(now, (int, float)):
        raise ConfigurationError("now", f"now must be seconds since the epoch; got {now!r}")
    return _verify(body, signature, key, checked_tolerance, now)


def _verify(
    body: object, signature: object, key: _SigningKey, tolerance: float | None, now: float
) -> WebhookEvent:
    if isinstance(signature, (bytes, bytearray)):
        signature = signature.decode("latin-1")
    if signature is None or signature == "":
        raise WebhookVerificationError(
            "missing_signature", f"the request has no {WEBHOOK_SIGNATURE_HEADER} header"
        )
    if not isinstance(signature, str) or _SIGNATURE.fullmatch(signature) is None:
        raise WebhookVerificationError(
            "malformed_signature",
            f"the {WEBHOOK_SIGNATURE_HEADER} header is not 64 lowercase hex digits",
        )
    payload = _parse_body(body)
    try:
        signed = _canonical.signed_text(payload)
    except _canonical.InvalidPayload as exc:
        raise WebhookVerificationError("invalid_body", str(exc)) from None
    if not hmac.compare_digest(key.hexdigest(signed), signature):
        raise WebhookVerificationError(
            "signature_mismatch",
            "the signature does not match the body under this signing key (a forgery, a "
            "body altered on the way, or another webhook's signing key)",
        )
    event = _event_from(payload)
    if tolerance is not None:
        age = now - event.timestamp.timestamp()
        if abs(age) > tolerance:
            when = f"{age:.0f} s old" if age > 0 else f"{-age:.0f} s ahead of this server's clock"
            raise WebhookVerificationError(
                "stale_timestamp",
                f"the delivery's timestamp is {when}, beyond the {tolerance:g} s tolerance "
                "(a replayed delivery, or a wrong clock here)",
            )
    return event


def _parse_body(body: object) -> dict[str, Any]:
    if isinstance(body, str):
        try:
            body = body.encode()
        except UnicodeEncodeError:
            raise WebhookVerificationError(
                "invalid_body", "the body is not valid Unicode text"
            ) from None
    elif isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    elif not isinstance(body, bytes):
        raise WebhookVerificationError(
            "invalid_body",
            f"body must be the raw request body, bytes or str; got {type(body).__name__} "
            "(pass the body as received, not parsed JSON)",
        )
    try:
        payload = _canonical.parse_json(body)
    except _canonical.InvalidPayload as exc:
        raise WebhookVerificationError("invalid_body", str(exc)) from None
    if type(payload) is not dict:
        raise WebhookVerificationError("invalid_body", "the body is JSON but not an object")
    return payload


def _event_from(payload: dict[str, Any]) -> WebhookEvent:
    """The typed event of a payload whose signature has been checked."""
    event_id = payload.get("id")
    name = payload.get("event")
    if type(event_id) is not str or not event_id:
        raise WebhookVerificationError("invalid_body", "the payload's id is not a non-empty string")
    if type(name) is not str or not name:
        raise WebhookVerificationError(
            "invalid_body", "the payload's event is not a non-empty string"
        )
    session = payload.get("session")
    if session is None:
        session = {}
    elif type(session) is not dict:
        raise WebhookVerificationError("invalid_body", "the payload's session is not an object")
    timestamp = _parse_timestamp(payload.get("timestamp"))
    if timestamp is None:
        raise WebhookVerificationError(
            "invalid_body", "the payload's timestamp is not an ISO 8601 time with a time zone"
        )
    return WebhookEvent(
        event_id, name, payload.get("data"), cast(WebhookSession, session), timestamp
    )


def _parse_timestamp(value: object) -> datetime.datetime | None:
    if type(value) is not str:
        return None
    try:  # Python 3.10's fromisoformat does not read JavaScript's "Z"
        moment = datetime.datetime.fromisoformat(
            value[:-1] + "+00:00" if value.endswith("Z") else value
        )
    except ValueError:
        return None
    return moment.astimezone(datetime.timezone.utc) if moment.tzinfo is not None else None


@dataclasses.dataclass(frozen=True)
class SignedWebhook:
    """A delivery as Relaybox would send it: POST ``body`` with ``headers``."""

    body: bytes
    headers: dict[str, str]
    #: The payload that ``body`` encodes.
    payload: dict[str, Any]


def sign_webhook(
    event: str,
    data: Any,
    signing_key: str,
    *,
    event_id: str | None = None,
    session: Mapping[str, Any] | None = None,
    timestamp: datetime.datetime | None = None,
    webhook_id: str = "test-webhook",
) -> SignedWebhook:
    """A delivery of ``event`` with ``data``, signed as Relaybox signs it; for your tests.

    ``event_id`` defaults to a new UUID, ``session`` to ``{}``, ``timestamp`` to now (an aware
    datetime; it is sent in JavaScript's ``toISOString()`` form). The body is the payload's
    compact JSON, fields in Relaybox's order.
    """
    try:
        key = _SigningKey(signing_key)
    finally:
        del signing_key
    if not isinstance(event, str) or not event:
        raise WebhookSigningError(f"event must be a non-empty str; got {event!r}")
    if event_id is None:
        event_id = str(uuid.uuid4())
    elif not isinstance(event_id, str) or not event_id:
        raise WebhookSigningError(f"event_id must be a non-empty str; got {event_id!r}")
    if timestamp is None:
        timestamp = datetime.datetime.now(datetime.timezone.utc)
    elif not isinstance(timestamp, datetime.datetime) or timestamp.tzinfo is None:
        raise WebhookSigningError(f"timestamp must be an aware datetime; got {timestamp!r}")
    if session is not None and not isinstance(session, Mapping):
        raise WebhookSigningError(f"session must be a mapping; got {type(session).__name__}")
    if not isinstance(webhook_id, str):
        raise WebhookSigningError(f"webhook_id must be a str; got {webhook_id!r}")
    utc = timestamp.astimezone(datetime.timezone.utc)
    payload = {
        "id": event_id,
        "event": event,
        "data": data,
        "session": dict(session or {}),
        "timestamp": utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z",
    }
    try:
        # ensure_ascii=False as JSON.stringify; an unpaired surrogate comes out escaped.
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        body = text.encode("utf-8", "backslashreplace")
        signed = _canonical.signed_text(json.loads(body))
    except (TypeError, ValueError) as exc:  # _canonical.InvalidPayload included
        raise WebhookSigningError(f"data cannot be sent as JSON: {exc}") from None
    headers = {
        "Content-Type": "application/json",
        WEBHOOK_SIGNATURE_HEADER: key.hexdigest(signed),
        WEBHOOK_ID_HEADER: webhook_id,
    }
    return SignedWebhook(body, headers, payload)


WebhookHandler = Callable[[WebhookEvent], object]
"""A handler: called with the event; may be ``async`` under
:meth:`~relaybox_integrations.WebhookEndpoint.ahandle`."""
_Handler = TypeVar("_Handler", bound=WebhookHandler)


def _answer(event: WebhookEvent, status: str) -> EndpointResponse:
    return EndpointResponse(200, _canonical.compact_json({"id": event.id, "status": status}))


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
            self._signing_key = _SigningKey(signing_key)
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
            return _verify(body, signature, self._signing_key, self.tolerance, self._clock())
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
