"""Relaybox's webhook signature scheme: verify a delivery, parse its event, sign one for tests.

Relaybox POSTs ``JSON.stringify(payload)``, payload ``{id, event, data, session, timestamp}``,
with ``X-RelayBox-Webhook-Signature``: the lowercase hex HMAC-SHA256, keyed with the webhook's
signing key, of the payload's RFC 8785 canonical form JSON-encoded once more.
:func:`~relaybox_integrations.verify_webhook` checks one delivery and
:func:`~relaybox_integrations.sign_webhook` makes one; the endpoint that answers deliveries
is :mod:`relaybox_integrations.webhooks`. Everything here needs the ``[webhooks]`` extra
(``orjson``).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import hmac
import json
import math
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any, Final, TypedDict, cast

from ._extras import missing_extra
from .errors import ConfigurationError, WebhookSigningError, WebhookVerificationError

try:
    from . import _canonical
except ImportError as exc:  # the [webhooks] extra is not installed
    if exc.name != "orjson":
        raise
    _missing_extra: ImportError | None = exc
else:
    _missing_extra = None

__all__ = [
    "DEFAULT_WEBHOOK_TOLERANCE",
    "WEBHOOK_ID_HEADER",
    "WEBHOOK_SIGNATURE_HEADER",
    "SignedWebhook",
    "SigningKey",
    "WebhookEvent",
    "WebhookSession",
    "check_signing_key",
    "check_tolerance",
    "sign_webhook",
    "verify",
    "verify_webhook",
]

#: The headers Relaybox sends, spelt as it spells them (HTTP header names are
#: case-insensitive; frameworks' header mappings find them in any case).
WEBHOOK_SIGNATURE_HEADER: Final = "X-RelayBox-Webhook-Signature"
#: The webhook configuration's id in Relaybox's dashboard; the same for every delivery.
WEBHOOK_ID_HEADER: Final = "X-RelayBox-Webhook-Id"
#: Seconds a delivery's timestamp may differ from this server's clock, either way.
DEFAULT_WEBHOOK_TOLERANCE: Final = 300.0

_SIGNATURE = re.compile("[0-9a-f]{64}")


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


class SigningKey:
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
_cached_key = functools.lru_cache(maxsize=4)(SigningKey)


def _keyed(value: object) -> SigningKey:
    try:
        try:
            return _cached_key(value)
        except TypeError:  # unhashable, so not a str: the key's own check says what is wrong
            return SigningKey(value)
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


def check_signing_key(value: object) -> None:
    """Raise :class:`ConfigurationError` if ``value`` cannot be a webhook signing key.

    The message describes the problem without echoing any of the key.
    """
    try:
        SigningKey(value)
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
    return verify(body, signature, key, checked_tolerance, now)


def verify(
    body: object, signature: object, key: SigningKey, tolerance: float | None, now: float
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
        key = SigningKey(signing_key)
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
